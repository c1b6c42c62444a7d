#include "input/idle.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "log.h"
#include "core/output.h"
#include "core/server.h"
#include "time-util.h"
#include "core/timer.h"

struct sl_idle {
	struct sl_server *server;
	struct sl_timer *timer;
	int64_t timeout_ns;
	int64_t last_activity_ns;
	bool blanked;
	struct wl_listener input_activity;
};

static void
set_power(struct sl_idle *idle, bool on)
{
	idle->blanked = !on;
	struct sl_output *output;
	wl_list_for_each (output, &idle->server->outputs, link)
		sl_output_set_power(output, on);
}

static void
handle_timer(void *data)
{
	struct sl_idle *idle = data;
	int64_t due = idle->last_activity_ns + idle->timeout_ns;
	/* Input since the timer was armed only moved the deadline: not a syscall per event. */
	if (monotonic_ns() < due) {
		sl_timer_arm(idle->timer, due);
		return;
	}
	log_info("idle", "no input for %lld s: blanking the outputs",
		 (long long)(idle->timeout_ns / 1000000000));
	set_power(idle, false);
}

/* Any input event: cheap, since it comes for every one. */
static void
handle_input_activity(struct wl_listener *listener, void *data)
{
	struct sl_idle *idle = wl_container_of(listener, idle, input_activity);
	idle->last_activity_ns = monotonic_ns();
	if (idle->blanked) {
		log_info("idle", "input: lighting the outputs");
		set_power(idle, true);
		sl_timer_arm(idle->timer, idle->last_activity_ns + idle->timeout_ns);
	}
}

struct sl_idle *
idle_create(struct sl_server *server, int timeout_s)
{
	struct sl_idle *idle = calloc(1, sizeof(*idle));
	if (!idle)
		return NULL;
	idle->server = server;
	idle->timeout_ns = (int64_t)timeout_s * 1000000000;
	idle->timer = sl_timer_create(server->loop, handle_timer, idle);
	if (!idle->timer) {
		free(idle);
		return NULL;
	}
	idle->last_activity_ns = monotonic_ns();
	sl_timer_arm(idle->timer, idle->last_activity_ns + idle->timeout_ns);
	idle->input_activity.notify = handle_input_activity;
	wl_signal_add(&server->events.input_activity, &idle->input_activity);
	return idle;
}

void
idle_destroy(struct sl_idle *idle)
{
	if (!idle)
		return;
	wl_list_remove(&idle->input_activity.link);
	sl_timer_destroy(idle->timer);
	free(idle);
}
