#ifndef SLUICE_TIMER_H
#define SLUICE_TIMER_H

#include <stdint.h>
#include <wayland-server-core.h>

/*
 * A CLOCK_MONOTONIC timerfd on the event loop, armed at absolute nanosecond times. libwayland's own
 * timers take relative milliseconds, too coarse for a repaint window a few milliseconds wide.
 */
struct sl_timer;

typedef void (*sl_timer_fn)(void *data);

struct sl_timer *sl_timer_create(struct wl_event_loop *loop, sl_timer_fn fn, void *data);
void sl_timer_destroy(struct sl_timer *timer);
/* Fires once at time_ns (immediately if it is in the past). */
void sl_timer_arm(struct sl_timer *timer, int64_t time_ns);
/* When the timer was last armed to fire (CLOCK_MONOTONIC ns), for measuring how late it ran. */
int64_t sl_timer_due_ns(const struct sl_timer *timer);

#endif
