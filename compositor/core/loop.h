#ifndef SLUICE_LOOP_H
#define SLUICE_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>

#include "core/stats.h"

/*
 * The compositor's event loop in two levels. libwayland's own loop (the display's) holds the
 * listening sockets and one source per client; every other source — repaint timers, page-flip
 * and fence fds, signals, idle work — lives on the priority loop, which is what modules get as
 * server->loop. The priority loop runs before every batch of client requests, and is looked at
 * again every SL_LOOP_CHECK_NS while a batch runs, so no client, however much it sends, delays a
 * repaint or a page-flip event by more than that and one request.
 */
struct sl_loop;

#define SL_LOOP_CHECK_NS 500000

/* extra_commits_per_s: the shared rate below (0: no limit). */
struct sl_loop *sl_loop_create(struct wl_display *display, struct sl_stats *stats,
			       unsigned extra_commits_per_s);
void sl_loop_destroy(struct sl_loop *loop);
struct wl_event_loop *sl_loop_priority(struct sl_loop *loop);

/*
 * Commits beyond one per surface and frame, and commits of surfaces no output shows, show
 * nothing. Each client may make SL_LOOP_EXTRA_COMMITS_BURST of them at once and, all such
 * clients together, SL_LOOP_EXTRA_COMMITS_PER_S (sluice --extra-commits); a client beyond its share
 * is not read from until it is back within it, so however many clients flood, together they cost
 * the compositor a bounded share of each refresh. Their requests wait in their sockets, in order;
 * nothing is lost.
 */
#define SL_LOOP_EXTRA_COMMITS_PER_S 240
#define SL_LOOP_EXTRA_COMMITS_BURST 8

/* A surface of client was committed again within the same frame. */
void sl_loop_charge_extra_commit(struct sl_loop *loop, struct wl_client *client);
/* An output started a frame: what counts as "the same frame" above. */
void sl_loop_frame_started(struct sl_loop *loop);
uint64_t sl_loop_frame_count(const struct sl_loop *loop);

/* Runs until sl_loop_terminate(). */
void sl_loop_run(struct sl_loop *loop);
void sl_loop_terminate(struct sl_loop *loop);
/* One round: compositor sources, then one batch of clients; waits at most timeout_ms. */
void sl_loop_dispatch(struct sl_loop *loop, int timeout_ms);

#endif
