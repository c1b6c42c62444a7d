#include "core/loop.h"

#include <assert.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "log.h"
#include "time-util.h"
#include "core/timer.h"

struct sl_loop {
	struct wl_display *display;
	struct wl_event_loop *clients; /* the display's own */
	struct wl_event_loop *priority;
	struct wl_event_source *clients_source; /* the display loop's fd, on the priority loop */
	struct wl_protocol_logger *logger;
	struct wl_listener display_destroy;
	struct sl_stats *stats;

	bool running;
	bool clients_ready;
	bool in_priority;
	int64_t last_check_ns;

	/* Who the compositor's own work sent events to, to flush those first; see flush_woken. */
	struct wl_client *woken[8];
	unsigned n_woken;
	bool woke_more;

	uint64_t frames;
	struct wl_list throttled; /* throttled_client.link, those not read from */
	struct wl_list budgets;	  /* throttled_client.budget_link, every one */
	/* Budgets of clients that made an extra commit lately, which share the rate. */
	unsigned n_active;
	int64_t active_counted_ns;
	unsigned extra_commits_per_s;
	struct sl_timer *resume_timer;
	bool resume_armed;
	bool cannot_throttle; /* said once: no /proc, so no way to pause a client */
};

/* A client's commit budget, made at its first extra commit and gone with the client. */
struct throttled_client {
	struct sl_loop *loop;
	struct wl_client *client;
	struct wl_listener destroy;
	struct wl_list link; /* sl_loop.throttled while paused, else empty */
	struct wl_list budget_link;
	int64_t last_charge_ns;
	double tokens;
	int64_t refilled_ns;
	/* libwayland's registration of the client: its copy of the fd, and its source. */
	int watched_fd;
	uint64_t epoll_data;
	bool have_epoll_data;
	bool paused;
};

static int
handle_clients_ready(int fd, uint32_t mask, void *data)
{
	struct sl_loop *loop = data;
	loop->clients_ready = true;
	return 0;
}

static void
dispatch_priority(struct sl_loop *loop, int timeout_ms)
{
	assert(!loop->in_priority);
	loop->in_priority = true;
	loop->n_woken = 0;
	loop->woke_more = false;
	int64_t start = monotonic_ns();
	wl_event_loop_dispatch(loop->priority, timeout_ms);
	uint64_t us = (uint64_t)(monotonic_ns() - start) / 1000;
	if (timeout_ms == 0 && us > loop->stats->priority_max_us)
		loop->stats->priority_max_us = us;
	loop->in_priority = false;
}

/*
 * Sends what the compositor's own work (frame callbacks, presentation feedback, releases)
 * queued, now rather than after the next batch of requests, so that a client paced by those
 * answers within this refresh. Only to those clients: under a flood, a write to each of 64
 * clients between every two batches costs more than the batches. wl_client_flush() never
 * destroys a client, so unlike wl_display_flush_clients() it is safe mid-batch.
 */
static void
flush_woken(struct sl_loop *loop)
{
	if (loop->woke_more) {
		struct wl_client *client;
		wl_client_for_each(client, wl_display_get_client_list(loop->display))
			wl_client_flush(client);
		return;
	}
	for (unsigned i = 0; i < loop->n_woken; i++)
		wl_client_flush(loop->woken[i]);
}

static void
note_woken(struct sl_loop *loop, struct wl_client *client)
{
	for (unsigned i = 0; i < loop->n_woken; i++)
		if (loop->woken[i] == client)
			return;
	if (loop->n_woken < sizeof(loop->woken) / sizeof(loop->woken[0]))
		loop->woken[loop->n_woken++] = client;
	else
		loop->woke_more = true;
}

/*
 * Runs between two requests of a batch: libwayland dispatches everything a client's read
 * brought in (up to 4 KiB, some 80 commits) for each of up to 32 ready clients before the loop
 * comes round again, which under a flood is longer than a refresh. Between requests no handler
 * is half-way, and the compositor only destroys objects that take no requests (callbacks,
 * feedback, release objects), so the one about to be dispatched stays valid.
 */
static void
handle_request(void *data, enum wl_protocol_logger_type type,
	       const struct wl_protocol_logger_message *message)
{
	struct sl_loop *loop = data;
	if (loop->in_priority) {
		if (type == WL_PROTOCOL_LOGGER_EVENT)
			note_woken(loop, wl_resource_get_client(message->resource));
		return;
	}
	if (type != WL_PROTOCOL_LOGGER_REQUEST)
		return;
	int64_t now = monotonic_ns();
	if (now - loop->last_check_ns < SL_LOOP_CHECK_NS)
		return;
	loop->last_check_ns = now;
	struct pollfd pfd = {.fd = wl_event_loop_get_fd(loop->priority), .events = POLLIN};
	if (poll(&pfd, 1, 0) != 1)
		return;
	dispatch_priority(loop, 0);
	flush_woken(loop);
}

/*
 * libwayland reads each ready client and dispatches all it read, and has no call to leave a
 * client unread for a while; its display loop's epoll set does: taking the client's fd out of
 * it pauses the client, putting it back with the same data (libwayland's source) resumes it.
 * libwayland watches its own duplicate of the client's fd, so /proc/self/fdinfo is searched
 * (once per client) for the entry on the same socket, by inode, for that fd and data. libwayland
 * copes with the fd being absent meanwhile: its own EPOLL_CTL_MOD (asking to write) fails and its
 * next flush retries, and its EPOLL_CTL_DEL when the client goes fails harmlessly.
 */
static bool
find_epoll_entry(int epoll_fd, int fd, int *watched_fd, uint64_t *data)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return false;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epoll_fd);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char line[256];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		int tfd;
		unsigned events;
		uint64_t value;
		unsigned long ino;
		if (sscanf(line, "tfd: %d events: %x data: %" SCNx64 " pos:%*d ino:%lx", &tfd,
			   &events, &value, &ino) == 4 &&
		    ino == (unsigned long)st.st_ino) {
			*watched_fd = tfd;
			*data = value;
			found = true;
		}
	}
	fclose(f);
	return found;
}

/*
 * A client that made an extra commit within this time shares the rate; one that stopped does
 * not dilute the others' shares for ever.
 */
#define ACTIVE_WINDOW_NS 1000000000LL

/* The clients sharing the rate now; recounted at most every 100 ms. */
static unsigned
active_budgets(struct sl_loop *loop, int64_t now)
{
	if (loop->n_active > 0 && now - loop->active_counted_ns < ACTIVE_WINDOW_NS / 10)
		return loop->n_active;
	unsigned n = 0;
	struct throttled_client *t;
	wl_list_for_each (t, &loop->budgets, budget_link)
		n += t->paused || now - t->last_charge_ns < ACTIVE_WINDOW_NS;
	loop->n_active = n ? n : 1;
	loop->active_counted_ns = now;
	return loop->n_active;
}

/* How often paused clients are looked at: when each has earned a commit, or each refresh. */
static int64_t
resume_period_ns(struct sl_loop *loop)
{
	int64_t period =
		1000000000LL * active_budgets(loop, monotonic_ns()) / loop->extra_commits_per_s;
	return period > 16666666 ? period : 16666666;
}

static void
throttle_pause(struct throttled_client *t)
{
	struct sl_loop *loop = t->loop;
	int epoll_fd = wl_event_loop_get_fd(loop->clients);
	if (!t->have_epoll_data) {
		t->have_epoll_data = find_epoll_entry(epoll_fd, wl_client_get_fd(t->client),
						      &t->watched_fd, &t->epoll_data);
		if (!t->have_epoll_data) {
			if (!loop->cannot_throttle)
				log_warn("loop",
					 "cannot find client fds in /proc/self/fdinfo: clients "
					 "that flood sluice with commits are not held back");
			loop->cannot_throttle = true;
			return;
		}
	}
	if (epoll_ctl(epoll_fd, EPOLL_CTL_DEL, t->watched_fd, NULL) < 0) {
		log_errno("loop", "cannot pause a client");
		return;
	}
	t->paused = true;
	wl_list_insert(loop->throttled.prev, &t->link);
	loop->stats->clients_throttled++;
	if (!loop->resume_armed) {
		sl_timer_arm(loop->resume_timer, monotonic_ns() + resume_period_ns(loop));
		loop->resume_armed = true;
	}
}

static void
throttle_resume(struct throttled_client *t)
{
	struct epoll_event event = {.events = EPOLLIN, .data.u64 = t->epoll_data};
	if (epoll_ctl(wl_event_loop_get_fd(t->loop->clients), EPOLL_CTL_ADD, t->watched_fd,
		      &event) < 0)
		log_errno("loop", "cannot resume a client");
	t->paused = false;
	wl_list_remove(&t->link);
	wl_list_init(&t->link);
}

static void
throttle_refill(struct throttled_client *t, int64_t now)
{
	/* Shared: 64 clients flooding get, together, what one alone would. */
	double rate = (double)t->loop->extra_commits_per_s / active_budgets(t->loop, now);
	t->tokens += (double)(now - t->refilled_ns) * rate / 1e9;
	if (t->tokens > SL_LOOP_EXTRA_COMMITS_BURST)
		t->tokens = SL_LOOP_EXTRA_COMMITS_BURST;
	t->refilled_ns = now;
}

static void
handle_resume_timer(void *data)
{
	struct sl_loop *loop = data;
	loop->resume_armed = false;
	int64_t now = monotonic_ns();
	struct throttled_client *t, *tmp;
	wl_list_for_each_safe (t, tmp, &loop->throttled, link) {
		throttle_refill(t, now);
		if (t->tokens >= 0)
			throttle_resume(t);
	}
	if (!wl_list_empty(&loop->throttled)) {
		sl_timer_arm(loop->resume_timer, now + resume_period_ns(loop));
		loop->resume_armed = true;
	}
}

static void
throttle_handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct throttled_client *t = wl_container_of(listener, t, destroy);
	/* libwayland takes the fd out of its epoll set itself (or finds it gone): no resume. */
	wl_list_remove(&t->link);
	wl_list_remove(&t->budget_link);
	wl_list_remove(&t->destroy.link);
	t->loop->n_active = 0; /* recount */
	free(t);
}

void
sl_loop_charge_extra_commit(struct sl_loop *loop, struct wl_client *client)
{
	if (loop->extra_commits_per_s == 0)
		return;
	struct wl_listener *listener =
		wl_client_get_destroy_listener(client, throttle_handle_client_destroy);
	struct throttled_client *t;
	int64_t now = monotonic_ns();
	if (listener) {
		t = wl_container_of(listener, t, destroy);
	} else {
		t = calloc(1, sizeof(*t));
		if (!t)
			return; /* not held back: the flood costs time, not correctness */
		t->loop = loop;
		t->client = client;
		t->tokens = SL_LOOP_EXTRA_COMMITS_BURST;
		t->refilled_ns = now;
		wl_list_init(&t->link);
		wl_list_insert(&loop->budgets, &t->budget_link);
		t->destroy.notify = throttle_handle_client_destroy;
		wl_client_add_destroy_listener(client, &t->destroy);
		loop->n_active = 0; /* recount */
	}
	t->last_charge_ns = now;
	throttle_refill(t, now);
	t->tokens -= 1;
	if (t->tokens < 0 && !t->paused && !loop->cannot_throttle)
		throttle_pause(t);
}

void
sl_loop_frame_started(struct sl_loop *loop)
{
	loop->frames++;
}

uint64_t
sl_loop_frame_count(const struct sl_loop *loop)
{
	return loop->frames;
}

static void
handle_display_destroy(struct wl_listener *listener, void *data)
{
	struct sl_loop *loop = wl_container_of(listener, loop, display_destroy);
	/* Both refer to the display: its logger list and its loop's fd go with it. */
	wl_protocol_logger_destroy(loop->logger);
	loop->logger = NULL;
	wl_event_source_remove(loop->clients_source);
	loop->clients_source = NULL;
	wl_list_remove(&loop->display_destroy.link);
	wl_list_init(&loop->display_destroy.link);
	loop->display = NULL;
}

struct sl_loop *
sl_loop_create(struct wl_display *display, struct sl_stats *stats, unsigned extra_commits_per_s)
{
	struct sl_loop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->display = display;
	loop->stats = stats;
	loop->extra_commits_per_s = extra_commits_per_s;
	loop->frames = 1; /* a surface's "last committed in frame" starts at 0 */
	wl_list_init(&loop->throttled);
	wl_list_init(&loop->budgets);
	loop->clients = wl_display_get_event_loop(display);
	loop->priority = wl_event_loop_create();
	if (!loop->priority)
		goto err;
	loop->clients_source =
		wl_event_loop_add_fd(loop->priority, wl_event_loop_get_fd(loop->clients),
				     WL_EVENT_READABLE, handle_clients_ready, loop);
	loop->logger = wl_display_add_protocol_logger(display, handle_request, loop);
	loop->resume_timer = sl_timer_create(loop->priority, handle_resume_timer, loop);
	if (!loop->clients_source || !loop->logger || !loop->resume_timer)
		goto err;
	loop->display_destroy.notify = handle_display_destroy;
	wl_display_add_destroy_listener(display, &loop->display_destroy);
	return loop;

err:
	log_error("loop", "cannot set up the event loops");
	if (loop->logger)
		wl_protocol_logger_destroy(loop->logger);
	if (loop->clients_source)
		wl_event_source_remove(loop->clients_source);
	sl_timer_destroy(loop->resume_timer);
	if (loop->priority)
		wl_event_loop_destroy(loop->priority);
	free(loop);
	return NULL;
}

void
sl_loop_destroy(struct sl_loop *loop)
{
	if (!loop)
		return;
	/* The display goes first: its clients' and globals' teardown still uses this loop. */
	assert(!loop->display);
	/* Every client is gone, and with each its budget. */
	assert(wl_list_empty(&loop->throttled));
	sl_timer_destroy(loop->resume_timer);
	wl_event_loop_destroy(loop->priority);
	free(loop);
}

struct wl_event_loop *
sl_loop_priority(struct sl_loop *loop)
{
	return loop->priority;
}

void
sl_loop_dispatch(struct sl_loop *loop, int timeout_ms)
{
	wl_display_flush_clients(loop->display);
	dispatch_priority(loop, timeout_ms);
	flush_woken(loop);
	if (!loop->clients_ready)
		return;
	loop->clients_ready = false;
	int64_t start = monotonic_ns();
	loop->last_check_ns = start;
	wl_event_loop_dispatch(loop->clients, 0);
	uint64_t us = (uint64_t)(monotonic_ns() - start) / 1000;
	loop->stats->client_batches++;
	if (us > loop->stats->client_batch_max_us)
		loop->stats->client_batch_max_us = us;
}

void
sl_loop_run(struct sl_loop *loop)
{
	loop->running = true;
	while (loop->running)
		sl_loop_dispatch(loop, -1);
	wl_display_flush_clients(loop->display);
}

void
sl_loop_terminate(struct sl_loop *loop)
{
	loop->running = false;
}
