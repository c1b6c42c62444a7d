/*
 * wp_fifo_v1 and wp_commit_timer_v1 on the headless backend, whose vblanks are exact instants
 * (epoch + k * refresh): commits queued ahead with fifo barriers are presented one per vblank,
 * none dropped; a target time is honoured at the first vblank at or after it, never before; a
 * surface nothing shows is not held for ever; the two combine. wp_tearing_control_v1's async hint
 * is taken and refused, truthfully: a headless output's vblank is a timer.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define REFRESH_NS 16666666LL
/* sluice counts a target this close after a vblank as that vblank (core/pacing.c). */
#define SLACK_NS 1000000LL

enum { MAX_FRAMES = 40 };

struct fixture {
	struct th_server *server;
	struct th_client *client;
	struct th_window *window;
	struct th_buffer *buffers[MAX_FRAMES];
	char stats[512];
	struct th_presented last; /* the frame shown before the test's own */
};

static bool
setup(struct fixture *f, const char *name)
{
	*f = (struct fixture){0};
	th_stats_path(name, f->stats, sizeof(f->stats));
	const char *const args[] = {"--headless", "640x480@60", "--stats", f->stats, NULL};
	f->server = th_server_start(args);
	if (!f->server || !(f->client = th_client_connect(f->server)) ||
	    !(f->window = th_window_create(f->client)))
		return false;
	if (!th_check(f->client->fifo_manager && f->client->commit_timing,
		      "wp_fifo_manager_v1 or wp_commit_timing_manager_v1 not offered"))
		return false;
	for (int i = 0; i < MAX_FRAMES; i++) {
		f->buffers[i] = th_shm_buffer_create(f->client, 64, 64, 1);
		th_buffer_fill(f->buffers[i], 0, 0, 64, 64, 0xff000000u | (uint32_t)(i * 0x050403));
	}
	/* Mapped and shown once, so the surface is on the output and its vblanks are known. */
	wl_surface_attach(f->window->surface, f->buffers[0]->buffer, 0, 0);
	wl_surface_damage_buffer(f->window->surface, 0, 0, 64, 64);
	return th_check(th_commit_and_wait(f->client, f->window->surface, &f->last),
			"the first frame was not presented");
}

static void
teardown(struct fixture *f)
{
	for (int i = 0; i < MAX_FRAMES; i++)
		th_buffer_destroy(f->buffers[i]);
	th_window_destroy(f->window);
	th_client_destroy(f->client);
	th_server_stop(f->server);
}

static void
attach(struct fixture *f, int i)
{
	wl_surface_attach(f->window->surface, f->buffers[i]->buffer, 0, 0);
	wl_surface_damage_buffer(f->window->surface, 0, 0, 64, 64);
	f->buffers[i]->busy = true;
}

static void
set_target(struct wp_commit_timer_v1 *timer, int64_t ns)
{
	uint64_t sec = (uint64_t)(ns / 1000000000);
	wp_commit_timer_v1_set_timestamp(timer, (uint32_t)(sec >> 32), (uint32_t)sec,
					 (uint32_t)(ns % 1000000000));
}

/* Dispatches until every result is done; false on a timeout or a connection error. */
static bool
wait_all(struct fixture *f, struct th_presented *results, int n, int timeout_ms)
{
	for (int i = 0; i < n; i++)
		if (!th_dispatch_until(f->client, &results[i].done, timeout_ms))
			return false;
	return true;
}

static int
compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Thirty commits sent at once, each waiting for the barrier the one before raised: every one is
 * presented (a commit applied over one not yet shown would be discarded), each at its own vblank,
 * in order. The machine is shared, so a late repaint may cost a vblank now and then: the
 * median step must still be one.
 */
static void
test_fifo_one_per_vblank(void)
{
	struct fixture f;
	if (setup(&f, "pacing-fifo")) {
		enum { N = 30 };
		struct wp_fifo_v1 *fifo =
			wp_fifo_manager_v1_get_fifo(f.client->fifo_manager, f.window->surface);
		struct th_presented p[N];
		for (int i = 0; i < N; i++) {
			attach(&f, 1 + i);
			wp_fifo_v1_wait_barrier(fifo);
			wp_fifo_v1_set_barrier(fifo);
			th_feedback_request(f.client, f.window->surface, &p[i]);
			wl_surface_commit(f.window->surface);
		}
		if (th_check(wait_all(&f, p, N, 5000), "not every commit was answered")) {
			uint64_t steps[N];
			int consecutive = 0;
			for (int i = 0; i < N; i++) {
				th_check(p[i].presented, "commit %d was discarded", i);
				uint64_t prev = i == 0 ? f.last.seq : p[i - 1].seq;
				th_check(p[i].seq > prev, "commit %d at vblank %llu after %llu", i,
					 (unsigned long long)p[i].seq, (unsigned long long)prev);
				steps[i] = p[i].seq - prev;
				consecutive += steps[i] == 1;
			}
			qsort(steps, N, sizeof(steps[0]), compare_u64);
			th_note("%d of %d at the vblank after the previous", consecutive, N);
			th_check(steps[N / 2] == 1, "median step %llu vblanks",
				 (unsigned long long)steps[N / 2]);
		}
		wp_fifo_v1_destroy(fifo);
		th_check(th_server_stop(f.server));
		long long waits = th_stats_value(f.stats, "fifo_waits");
		th_note("%lld commits waited for a barrier", waits);
		th_check(waits >= N - 2, "only %lld commits waited for a barrier", waits);
		f.server = NULL;
	}
	teardown(&f);
}

/*
 * Without wait_barrier a barrier holds nothing: commits sent at once all apply at once, and
 * only the last is presented.
 */
static void
test_fifo_barrier_alone_holds_nothing(void)
{
	struct fixture f;
	if (setup(&f, "pacing-fifo-alone")) {
		enum { N = 5 };
		struct wp_fifo_v1 *fifo =
			wp_fifo_manager_v1_get_fifo(f.client->fifo_manager, f.window->surface);
		struct th_presented p[N];
		for (int i = 0; i < N; i++) {
			attach(&f, 1 + i);
			wp_fifo_v1_set_barrier(fifo);
			th_feedback_request(f.client, f.window->surface, &p[i]);
			wl_surface_commit(f.window->surface);
		}
		if (th_check(wait_all(&f, p, N, 5000))) {
			for (int i = 0; i < N - 1; i++)
				th_check(p[i].discarded, "commit %d was shown", i);
			th_check(p[N - 1].presented, "the last commit was not shown");
		}
		wp_fifo_v1_destroy(fifo);
	}
	teardown(&f);
}

/*
 * A surface that nothing shows (it has no role) must not hold its fifo queue for ever: each
 * barrier falls after about a refresh, so ten commits all apply (each releases the buffer
 * before it) in about ten refreshes, and not all at once.
 */
static void
test_fifo_unshown_surface_progresses(void)
{
	struct fixture f;
	if (setup(&f, "pacing-fifo-unshown")) {
		struct wl_surface *s = wl_compositor_create_surface(f.client->compositor);
		struct wp_fifo_v1 *fifo = wp_fifo_manager_v1_get_fifo(f.client->fifo_manager, s);
		enum { N = 10 };
		int64_t start = th_now_ns();
		for (int i = 0; i < N; i++) {
			wl_surface_attach(s, f.buffers[1 + i]->buffer, 0, 0);
			f.buffers[1 + i]->busy = true;
			wp_fifo_v1_wait_barrier(fifo);
			wp_fifo_v1_set_barrier(fifo);
			wl_surface_commit(s);
		}
		/* The ninth buffer is released once the tenth commit applied. */
		bool released = false;
		for (int64_t until = start + 3000000000LL; th_now_ns() < until && !released;) {
			if (!th_roundtrip(f.client))
				break;
			released = !f.buffers[N - 1]->busy;
		}
		int64_t took = th_now_ns() - start;
		th_check(released, "the queue of an unshown surface stalled");
		th_note("%d commits of an unshown surface applied in %.1f ms", N, took / 1e6);
		th_check(took >= (N - 2) * REFRESH_NS,
			 "applied in %.1f ms: the barriers held nothing", took / 1e6);
		wp_fifo_v1_destroy(fifo);
		wl_surface_destroy(s);
		th_check(th_server_stop(f.server));
		long long forced = th_stats_value(f.stats, "fifo_barriers_forced");
		th_check(forced >= N - 1, "%lld barriers lowered for want of an output", forced);
		f.server = NULL;
	}
	teardown(&f);
}

/* One target: presented at the first vblank at or after it, never before. */
static bool
check_target(struct fixture *f, struct wp_commit_timer_v1 *timer, int64_t target, int buffer,
	     uint64_t *seq)
{
	struct th_presented p;
	attach(f, buffer);
	set_target(timer, target);
	if (!th_check(th_commit_and_wait(f->client, f->window->surface, &p), "not presented"))
		return false;
	/* The headless vblanks are exact: the first one at or after target, less the slack. */
	int64_t first =
		f->last.time_ns +
		((target - SLACK_NS - f->last.time_ns + REFRESH_NS - 1) / REFRESH_NS) * REFRESH_NS;
	if (first < f->last.time_ns + REFRESH_NS)
		first = f->last.time_ns + REFRESH_NS; /* a target in the past: the next vblank */
	th_check(p.time_ns >= target - SLACK_NS || target < f->last.time_ns,
		 "presented %.3f ms before its target", (target - p.time_ns) / 1e6);
	*seq = p.seq;
	bool exact = llabs(p.time_ns - first) < 1000;
	if (!exact)
		th_note("target %+.3f ms after the last frame: presented at %+.3f ms, expected "
			"%+.3f",
			(target - f->last.time_ns) / 1e6, (p.time_ns - f->last.time_ns) / 1e6,
			(first - f->last.time_ns) / 1e6);
	f->last = p;
	return exact;
}

/*
 * Targets on a vblank, between two, just after one and in the past. Each is checked against
 * the vblank it must land on; a shared machine may make one late, so all must be not early
 * and most exact.
 */
static void
test_commit_timing_targets(void)
{
	struct fixture f;
	if (setup(&f, "pacing-targets")) {
		struct wp_commit_timer_v1 *timer = wp_commit_timing_manager_v1_get_timer(
			f.client->commit_timing, f.window->surface);
		static const struct {
			int64_t after; /* ns after the last presentation */
		} targets[] = {
			{4 * REFRESH_NS},
			{5 * REFRESH_NS + REFRESH_NS / 2},
			{3 * REFRESH_NS + 2000000},
			{6 * REFRESH_NS - 500000},
			{-1000000000LL},
			{10 * REFRESH_NS},
			{2 * REFRESH_NS + 1},
			{7 * REFRESH_NS + REFRESH_NS / 3},
		};
		enum { N = sizeof(targets) / sizeof(targets[0]) };
		int exact = 0;
		for (int i = 0; i < N; i++) {
			uint64_t seq;
			exact += check_target(&f, timer, f.last.time_ns + targets[i].after, 1 + i,
					      &seq);
			if (th_subtest_failed())
				break;
		}
		th_note("%d of %d targets at exactly the vblank expected", exact, N);
		th_check(exact >= N - 2, "only %d of %d targets at the vblank expected", exact, N);
		wp_commit_timer_v1_destroy(timer);
		th_check(th_server_stop(f.server));
		th_check(th_stats_value(f.stats, "timed_commits") >= N - 2);
		f.server = NULL;
	}
	teardown(&f);
}

/*
 * Updates stay in commit order: one without a time, sent right after one with a time far
 * ahead, waits behind it. The first is then replaced before it was ever shown (discarded),
 * the second shown no earlier than the first's time.
 */
static void
test_commit_timing_keeps_order(void)
{
	struct fixture f;
	if (setup(&f, "pacing-order")) {
		struct wp_commit_timer_v1 *timer = wp_commit_timing_manager_v1_get_timer(
			f.client->commit_timing, f.window->surface);
		int64_t target = f.last.time_ns + 20 * REFRESH_NS + REFRESH_NS / 2;
		struct th_presented p[2];
		attach(&f, 1);
		set_target(timer, target);
		th_feedback_request(f.client, f.window->surface, &p[0]);
		wl_surface_commit(f.window->surface);
		attach(&f, 2);
		th_feedback_request(f.client, f.window->surface, &p[1]);
		wl_surface_commit(f.window->surface);
		if (th_check(wait_all(&f, p, 2, 5000))) {
			th_check(p[0].discarded, "the timed commit was shown, then replaced");
			th_check(p[1].presented && p[1].time_ns >= target - SLACK_NS,
				 "the commit behind it was shown %.3f ms before the target",
				 (target - p[1].time_ns) / 1e6);
		}
		wp_commit_timer_v1_destroy(timer);
	}
	teardown(&f);
}

/*
 * fifo and targets together: five commits sent at once, each behind a barrier and aimed two
 * vblanks after the one before. Each waits for both: presented every second vblank, none
 * dropped, none early.
 */
static void
test_fifo_with_targets(void)
{
	struct fixture f;
	if (setup(&f, "pacing-fifo-targets")) {
		struct wp_fifo_v1 *fifo =
			wp_fifo_manager_v1_get_fifo(f.client->fifo_manager, f.window->surface);
		struct wp_commit_timer_v1 *timer = wp_commit_timing_manager_v1_get_timer(
			f.client->commit_timing, f.window->surface);
		enum { N = 5 };
		struct th_presented p[N];
		int64_t base = f.last.time_ns, targets[N];
		for (int i = 0; i < N; i++) {
			targets[i] = base + (2 * i + 3) * REFRESH_NS;
			attach(&f, 1 + i);
			wp_fifo_v1_wait_barrier(fifo);
			wp_fifo_v1_set_barrier(fifo);
			set_target(timer, targets[i]);
			th_feedback_request(f.client, f.window->surface, &p[i]);
			wl_surface_commit(f.window->surface);
		}
		int exact = 0;
		if (th_check(wait_all(&f, p, N, 5000))) {
			for (int i = 0; i < N; i++) {
				th_check(p[i].presented, "commit %d was discarded", i);
				th_check(p[i].time_ns >= targets[i] - SLACK_NS,
					 "commit %d presented %.3f ms early", i,
					 (targets[i] - p[i].time_ns) / 1e6);
				exact += llabs(p[i].time_ns - targets[i]) < 1000;
			}
		}
		th_note("%d of %d at exactly their target vblank", exact, N);
		th_check(exact >= N - 1, "only %d of %d at their target vblank", exact, N);
		wp_fifo_v1_destroy(fifo);
		wp_commit_timer_v1_destroy(timer);
	}
	teardown(&f);
}

/*
 * wp_presentation is offered at version 2 (the harness binds it so): the fixed refresh of the
 * output is still told, as version 2 asks of a display with a constant rate.
 */
static void
test_presentation_version_2(void)
{
	struct fixture f;
	if (setup(&f, "pacing-presentation")) {
		th_check(f.client->presentation_version == 2, "wp_presentation version %u",
			 f.client->presentation_version);
		th_check(f.last.refresh_ns == REFRESH_NS, "refresh %u", f.last.refresh_ns);
	}
	teardown(&f);
}

/*
 * A fullscreen-capable (activated) surface asks to tear: headless cannot, so every frame still
 * says vsync in its feedback, the refusal is counted per frame and its reason logged once;
 * once the object is gone (hint back to vsync), nothing more is refused.
 */
static void
test_tearing_refused(void)
{
	struct fixture f;
	if (!setup(&f, "pacing-tearing") ||
	    !th_check(f.client->tearing, "wp_tearing_control_manager_v1 not offered")) {
		teardown(&f);
		return;
	}
	struct wp_tearing_control_v1 *tearing = wp_tearing_control_manager_v1_get_tearing_control(
		f.client->tearing, f.window->surface);
	wp_tearing_control_v1_set_presentation_hint(tearing,
						    WP_TEARING_CONTROL_V1_PRESENTATION_HINT_ASYNC);
	enum { N = 4 };
	for (int i = 0; i < N; i++) {
		attach(&f, 1 + i);
		struct th_presented p;
		if (!th_check(th_commit_and_wait(f.client, f.window->surface, &p) && p.presented,
			      "frame %d not presented", i))
			break;
		th_check(p.flags & WP_PRESENTATION_FEEDBACK_KIND_VSYNC,
			 "frame %d: feedback flags %#x lack vsync, yet headless cannot tear", i,
			 p.flags);
	}
	th_check(th_server_log_count(f.server, "may tear, but flips wait for the vblank") == 1,
		 "the refusal's reason was not logged once");
	th_check(th_server_log_count(f.server, "vblank is a timer, it cannot tear") == 1);
	wp_tearing_control_v1_destroy(tearing);
	attach(&f, 1 + N);
	struct th_presented p;
	th_check(th_commit_and_wait(f.client, f.window->surface, &p) && p.presented);
	for (int i = 0; i < 3; i++) {
		attach(&f, 2 + N + i);
		th_check(th_commit_and_wait(f.client, f.window->surface, &p) && p.presented);
	}
	teardown(&f);
	long long refused = th_stats_value(f.stats, "async_refused");
	th_check(refused >= N && refused <= N + 1, "async_refused %lld for %d frames", refused, N);
	th_check(th_stats_value(f.stats, "async_flips") == 0, "async_flips %lld",
		 th_stats_value(f.stats, "async_flips"));
}

TH_MAIN({"fifo-one-per-vblank", test_fifo_one_per_vblank},
	{"fifo-barrier-alone-holds-nothing", test_fifo_barrier_alone_holds_nothing},
	{"fifo-unshown-surface-progresses", test_fifo_unshown_surface_progresses},
	{"commit-timing-targets", test_commit_timing_targets},
	{"commit-timing-keeps-order", test_commit_timing_keeps_order},
	{"fifo-with-targets", test_fifo_with_targets},
	{"presentation-version-2", test_presentation_version_2},
	{"tearing-refused", test_tearing_refused})
