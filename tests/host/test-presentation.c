/* Frame callbacks, presentation feedback and buffer release follow the output's vblanks. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

struct fixture {
	struct th_server *server;
	struct th_client *client;
	struct th_window *window;
	struct th_buffer *buffers[3];
};

static bool
setup(struct fixture *f, const char *mode)
{
	*f = (struct fixture){0};
	const char *const args[] = {"--headless", mode, NULL};
	f->server = th_server_start(args);
	if (!f->server || !(f->client = th_client_connect(f->server)) ||
	    !(f->window = th_window_create(f->client)))
		return false;
	for (int i = 0; i < 3; i++) {
		f->buffers[i] = th_shm_buffer_create(f->client, 256, 256, 1);
		th_buffer_fill(f->buffers[i], 0, 0, 256, 256, 0xff102030u * (uint32_t)(i + 1));
	}
	return true;
}

static void
teardown(struct fixture *f)
{
	for (int i = 0; i < 3; i++)
		th_buffer_destroy(f->buffers[i]);
	th_window_destroy(f->window);
	th_client_destroy(f->client);
	th_server_stop(f->server);
}

static void
attach(struct fixture *f, int i)
{
	wl_surface_attach(f->window->surface, f->buffers[i]->buffer, 0, 0);
	wl_surface_damage_buffer(f->window->surface, 0, 0, 256, 256);
	f->buffers[i]->busy = true;
}

static int
compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void
test_clock_and_flags(void)
{
	struct fixture f;
	if (setup(&f, "640x480@60")) {
		th_check(f.client->clock_id == CLOCK_MONOTONIC, "clock id %u", f.client->clock_id);
		attach(&f, 0);
		struct th_presented p;
		int64_t before = th_now_ns();
		if (th_check(th_commit_and_wait(f.client, f.window->surface, &p))) {
			th_check(p.flags & WP_PRESENTATION_FEEDBACK_KIND_VSYNC);
			/* The headless backend is a timer: no hardware clock, no zero-copy. */
			th_check(!(p.flags & WP_PRESENTATION_FEEDBACK_KIND_HW_CLOCK));
			th_check(!(p.flags & WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY));
			th_check(p.refresh_ns == 16666666, "refresh %u ns", p.refresh_ns);
			th_check(p.sync_output == f.client->outputs[0].output, "sync_output");
			th_check(p.time_ns >= before && p.time_ns <= th_now_ns(),
				 "timestamp within the commit-to-event interval");
		}
	}
	teardown(&f);
}

/*
 * A client that draws on each frame callback is presented at every vblank. The machine is shared,
 * so a late wake-up may cost a vblank now and then; most frames must still be consecutive, which a
 * compositor that halves the client's rate (seq steps of 2) fails.
 */
static void
test_every_vblank(void)
{
	struct fixture f;
	if (setup(&f, "640x480@60")) {
		enum { FRAMES = 120 };
		uint64_t seqs[FRAMES];
		int64_t times[FRAMES];
		int n = 0;
		for (int i = 0; i < FRAMES; i++) {
			struct th_presented p;
			struct wl_callback *cb = wl_surface_frame(f.window->surface);
			attach(&f, i % 3);
			if (!th_check(th_commit_and_wait(f.client, f.window->surface, &p)))
				break;
			wl_callback_destroy(cb);
			seqs[n] = p.seq;
			times[n++] = p.time_ns;
		}
		uint64_t deltas[FRAMES];
		int consecutive = 0;
		for (int i = 1; i < n; i++) {
			deltas[i - 1] = seqs[i] - seqs[i - 1];
			th_check(seqs[i] > seqs[i - 1], "sequence must increase");
			/* The virtual clock ticks exactly: time follows the sequence. */
			int64_t expect = (int64_t)deltas[i - 1] * 16666666;
			th_check(llabs(times[i] - times[i - 1] - expect) < 1000,
				 "frame %d: %lld ns for %llu vblanks", i,
				 (long long)(times[i] - times[i - 1]),
				 (unsigned long long)deltas[i - 1]);
			consecutive += deltas[i - 1] == 1;
		}
		if (n > 1) {
			qsort(deltas, (size_t)n - 1, sizeof(deltas[0]), compare_u64);
			th_note("%d of %d frames at consecutive vblanks", consecutive, n - 1);
			th_check(deltas[(n - 1) / 2] == 1, "median vblank step %llu",
				 (unsigned long long)deltas[(n - 1) / 2]);
		}
	}
	teardown(&f);
}

struct callback_ctx {
	bool done;
	uint32_t time_ms;
};

static void
callback_handle_done(void *data, struct wl_callback *cb, uint32_t time)
{
	struct callback_ctx *ctx = data;
	ctx->done = true;
	ctx->time_ms = time;
	wl_callback_destroy(cb);
}

static const struct wl_callback_listener callback_listener = {.done = callback_handle_done};

static void
test_frame_callback_after_present(void)
{
	struct fixture f;
	if (setup(&f, "640x480@60")) {
		struct callback_ctx ctx = {0};
		struct wl_callback *cb = wl_surface_frame(f.window->surface);
		wl_callback_add_listener(cb, &callback_listener, &ctx);
		attach(&f, 0);
		struct th_presented p;
		th_check(th_commit_and_wait(f.client, f.window->surface, &p));
		th_roundtrip(f.client);
		th_check(ctx.done, "frame callback done with the presentation");
		th_check(ctx.time_ms == (uint32_t)(p.time_ns / 1000000),
			 "callback time %u ms, presented at %lld ns", ctx.time_ms,
			 (long long)p.time_ns);

		/* A commit without new content still gets its callback at the next vblank. */
		struct callback_ctx ctx2 = {0};
		cb = wl_surface_frame(f.window->surface);
		wl_callback_add_listener(cb, &callback_listener, &ctx2);
		wl_surface_commit(f.window->surface);
		th_check(th_dispatch_until(f.client, &ctx2.done, 5000), "callback without damage");
		th_check(ctx2.time_ms > ctx.time_ms);
	}
	teardown(&f);
}

static void
test_discarded_when_replaced(void)
{
	struct fixture f;
	if (setup(&f, "640x480@60")) {
		struct th_presented first, second;
		attach(&f, 0);
		th_feedback_request(f.client, f.window->surface, &first);
		wl_surface_commit(f.window->surface);
		/* Replaced before any vblank could show it. */
		attach(&f, 1);
		th_check(th_commit_and_wait(f.client, f.window->surface, &second));
		th_check(first.discarded && !first.presented, "first update must be discarded");
	}
	teardown(&f);
}

/*
 * An update nothing will show (its toplevel is under a newer one) is discarded at once, not
 * held until the client commits again: a client pacing itself by feedback would wait forever.
 */
static void
test_discarded_when_hidden(void)
{
	struct fixture f;
	if (setup(&f, "640x480@60")) {
		struct th_presented p;
		attach(&f, 0);
		th_check(th_commit_and_wait(f.client, f.window->surface, &p));
		/* A second window maps on top of the first. */
		struct th_window *top = th_window_create(f.client);
		th_require(top);
		wl_surface_attach(top->surface, f.buffers[2]->buffer, 0, 0);
		wl_surface_damage_buffer(top->surface, 0, 0, 256, 256);
		th_check(th_commit_and_wait(f.client, top->surface, &p));
		/* Answered while the commit is handled: by the time of a roundtrip. */
		attach(&f, 1);
		th_feedback_request(f.client, f.window->surface, &p);
		wl_surface_commit(f.window->surface);
		th_check(th_roundtrip(f.client) && p.done, "no feedback for a hidden update");
		th_check(p.discarded && !p.presented, "a hidden update must be discarded");
		/* Shown again once the window on top goes. */
		th_window_destroy(top);
		attach(&f, 0);
		th_check(th_commit_and_wait(f.client, f.window->surface, &p) && p.presented,
			 "the window must be presented again once it is on top");
	}
	teardown(&f);
}

static void
test_release_after_replace(void)
{
	struct fixture f;
	if (setup(&f, "640x480@60")) {
		struct th_presented p;
		attach(&f, 0);
		th_check(th_commit_and_wait(f.client, f.window->surface, &p));
		th_roundtrip(f.client);
		th_check(f.buffers[0]->busy, "the shown buffer is kept");
		attach(&f, 1);
		th_check(th_commit_and_wait(f.client, f.window->surface, &p));
		th_roundtrip(f.client);
		th_check(!f.buffers[0]->busy, "the replaced buffer is released");
		th_check(f.buffers[1]->busy, "the new buffer is kept");
		/* Re-committing the same buffer keeps it; releasing it twice would be wrong. */
		attach(&f, 1);
		th_check(th_commit_and_wait(f.client, f.window->surface, &p));
		th_roundtrip(f.client);
		th_check(f.buffers[1]->busy);
	}
	teardown(&f);
}

static void
test_idle_output_sleeps(void)
{
	/* With nothing to do, the output must stop presenting frames (and waking up). */
	struct fixture f;
	if (setup(&f, "640x480@60")) {
		attach(&f, 0);
		struct th_presented p, q;
		th_check(th_commit_and_wait(f.client, f.window->surface, &p));
		/* Let any frame still in flight finish, then count frames over an idle spell. */
		struct timespec settle = {0, 100000000}, idle = {0, 500000000};
		nanosleep(&settle, NULL);
		int before = th_server_log_count(f.server, "frame presented");
		nanosleep(&idle, NULL);
		int after = th_server_log_count(f.server, "frame presented");
		th_check(before > 0, "the log shows presented frames");
		th_check(after == before, "%d frames presented while idle", after - before);
		attach(&f, 1);
		th_check(th_commit_and_wait(f.client, f.window->surface, &q));
		th_check(q.seq > p.seq + 30, "vblanks went on while idle (%llu -> %llu)",
			 (unsigned long long)p.seq, (unsigned long long)q.seq);
	}
	teardown(&f);
}

TH_MAIN({"clock-and-flags", test_clock_and_flags}, {"every-vblank", test_every_vblank},
	{"frame-callback-after-present", test_frame_callback_after_present},
	{"discarded-when-replaced", test_discarded_when_replaced},
	{"discarded-when-hidden", test_discarded_when_hidden},
	{"release-after-replace", test_release_after_replace},
	{"idle-output-sleeps", test_idle_output_sleeps})
