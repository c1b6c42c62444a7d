#include "core/timer.h"

#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"

struct sl_timer {
	int fd;
	struct wl_event_source *source;
	sl_timer_fn fn;
	void *data;
	int64_t due_ns;
};

static int
timer_handle_fd(int fd, uint32_t mask, void *data)
{
	struct sl_timer *timer = data;
	uint64_t expirations;
	if (read(fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return 0; /* disarmed between the wake-up and the read */
	timer->fn(timer->data);
	return 0;
}

struct sl_timer *
sl_timer_create(struct wl_event_loop *loop, sl_timer_fn fn, void *data)
{
	struct sl_timer *timer = calloc(1, sizeof(*timer));
	if (!timer)
		return NULL;
	timer->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (timer->fd < 0) {
		log_errno("timer", "timerfd_create");
		free(timer);
		return NULL;
	}
	timer->fn = fn;
	timer->data = data;
	timer->source =
		wl_event_loop_add_fd(loop, timer->fd, WL_EVENT_READABLE, timer_handle_fd, timer);
	if (!timer->source) {
		close(timer->fd);
		free(timer);
		return NULL;
	}
	return timer;
}

void
sl_timer_destroy(struct sl_timer *timer)
{
	if (!timer)
		return;
	wl_event_source_remove(timer->source);
	close(timer->fd);
	free(timer);
}

void
sl_timer_arm(struct sl_timer *timer, int64_t time_ns)
{
	/* it_value of zero would disarm: the earliest valid absolute time is 1 ns. */
	if (time_ns <= 0)
		time_ns = 1;
	timer->due_ns = time_ns;
	struct itimerspec spec = {
		.it_value = {.tv_sec = time_ns / 1000000000, .tv_nsec = time_ns % 1000000000},
	};
	if (timerfd_settime(timer->fd, TFD_TIMER_ABSTIME, &spec, NULL) < 0)
		log_errno("timer", "timerfd_settime");
}

int64_t
sl_timer_due_ns(const struct sl_timer *timer)
{
	return timer->due_ns;
}
