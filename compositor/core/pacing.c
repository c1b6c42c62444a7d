/*
 * When a content update may become current, beyond its fences: wp_fifo_v1's barrier (the update
 * before stays on screen for a refresh) and wp_commit_timer_v1's target time (not shown before
 * it). Both only hold commits in the surface's queue (surface.c), which applies them in order;
 * nothing here blocks, and no output that stops presenting holds a surface for ever.
 */
#include "core/pacing.h"

#include <wayland-server-core.h>

#include "log.h"
#include "time-util.h"
#include "core/output.h"
#include "core/server.h"
#include "core/surface.h"
#include "core/timer.h"

/*
 * A target this close after a vblank counts as that vblank: a client that aims at a predicted
 * vblank lands within a few microseconds either side of it, and must not lose a whole refresh.
 */
#define TARGET_SLACK_NS 1000000
/*
 * A barrier that no frame took within this many refreshes is lowered even while an active
 * output shows the surface (occluded by an opaque surface the scene skips, or an output whose
 * frames stopped): the client must make progress. Taken by a frame, it waits for that frame.
 */
#define FIFO_STALL_REFRESHES 4
#define DEFAULT_REFRESH_NS 16666667

static bool
output_active(const struct sl_output *output)
{
	return !output->powered_off && !output->paused;
}

/* The first active output showing the surface, or NULL. */
static struct sl_output *
surface_output(const struct sl_surface *surface)
{
	struct sl_output *output;
	wl_list_for_each (output, &surface->server->outputs, link)
		if ((surface->entered_outputs & (1u << output->index)) && output_active(output))
			return output;
	return NULL;
}

static int64_t
refresh_ns(const struct sl_surface *surface)
{
	const struct sl_output *output = surface_output(surface);
	if (!output && !wl_list_empty(&surface->server->outputs))
		output = wl_container_of(surface->server->outputs.next, output, link);
	return output && output->refresh_ns > 0 ? output->refresh_ns : DEFAULT_REFRESH_NS;
}

/*
 * When an update for target may become current: at the vblank before the first one at or
 * after target, so that the frame made for that vblank takes it and no earlier frame can. A
 * surface no active output shows has nothing to predict from: it waits for target itself.
 */
static int64_t
release_ns(const struct sl_surface *surface, int64_t target)
{
	const struct sl_output *output = surface_output(surface);
	if (!output || output->refresh_ns <= 0 || output->last_present_ns == 0)
		return target;
	int64_t refresh = output->refresh_ns;
	int64_t since = target - TARGET_SLACK_NS - output->last_present_ns;
	int64_t periods = since <= 0 ? 0 : (since + refresh - 1) / refresh;
	return output->last_present_ns + (periods - 1) * refresh;
}

static void
queue_timer_fired(void *data)
{
	sl_surface_flush_queue(data);
}

bool
sl_pacing_commit_held(struct sl_surface *surface, const struct sl_surface_state *state,
		      uint8_t *counted)
{
	struct sl_stats *stats = &surface->server->stats;
	if (state->fifo_wait_barrier && surface->fifo_barrier &&
	    !sl_surface_is_synchronized(surface)) {
		if (!(*counted & SL_PACING_FIFO))
			stats->fifo_waits++;
		*counted |= SL_PACING_FIFO;
		return true;
	}
	if (state->target_ns == 0)
		return false;
	int64_t at = release_ns(surface, state->target_ns);
	if (at <= monotonic_ns())
		return false;
	if (!surface->queue_timer) {
		surface->queue_timer =
			sl_timer_create(surface->server->loop, queue_timer_fired, surface);
		if (!surface->queue_timer) {
			log_errno("pacing", "cannot make a timer: a timed commit goes ahead now");
			return false;
		}
	}
	sl_timer_arm(surface->queue_timer, at);
	if (!(*counted & SL_PACING_TIME))
		stats->timed_commits++;
	*counted |= SL_PACING_TIME;
	return true;
}

static void
fifo_lower(struct sl_surface *surface)
{
	surface->fifo_barrier = false;
	surface->fifo_latched = 0;
	wl_list_remove(&surface->fifo_link);
	wl_list_init(&surface->fifo_link);
	sl_surface_flush_queue(surface);
}

/* Looks again one refresh after a barrier went up: nothing may hold it for ever. */
static void
fifo_timer_fired(void *data)
{
	struct sl_surface *surface = data;
	if (!surface->fifo_barrier)
		return;
	bool taken = false, shown = false;
	struct sl_output *output;
	wl_list_for_each (output, &surface->server->outputs, link) {
		uint32_t bit = 1u << output->index;
		if (!output_active(output))
			continue;
		taken = taken || (surface->fifo_latched & bit);
		shown = shown || (surface->entered_outputs & bit);
	}
	int64_t now = monotonic_ns(), refresh = refresh_ns(surface);
	if (taken || (shown && now - surface->fifo_raised_ns < FIFO_STALL_REFRESHES * refresh)) {
		sl_timer_arm(surface->fifo_timer, now + refresh);
		return;
	}
	surface->server->stats.fifo_barriers_forced++;
	fifo_lower(surface);
}

void
sl_pacing_commit_applied(struct sl_surface *surface, const struct sl_surface_state *state)
{
	if (!state->fifo_set_barrier)
		return;
	struct sl_server *server = surface->server;
	if (!surface->fifo_timer) {
		surface->fifo_timer = sl_timer_create(server->loop, fifo_timer_fired, surface);
		if (!surface->fifo_timer) {
			log_errno("pacing", "cannot make a timer: fifo barrier not raised");
			return;
		}
	}
	if (!surface->fifo_barrier)
		wl_list_insert(server->fifo_surfaces.prev, &surface->fifo_link);
	surface->fifo_barrier = true;
	surface->fifo_latched = 0;
	surface->fifo_raised_ns = monotonic_ns();
	/* An update that changed nothing visible still has to be taken by a frame. */
	struct sl_output *output;
	wl_list_for_each (output, &server->outputs, link)
		if (surface->entered_outputs & (1u << output->index))
			sl_output_schedule_frame(output);
	sl_timer_arm(surface->fifo_timer, surface->fifo_raised_ns + refresh_ns(surface));
}

void
sl_pacing_surface_finish(struct sl_surface *surface)
{
	if (surface->fifo_barrier)
		wl_list_remove(&surface->fifo_link);
	surface->fifo_barrier = false;
	sl_timer_destroy(surface->fifo_timer);
	surface->fifo_timer = NULL;
	sl_timer_destroy(surface->queue_timer);
	surface->queue_timer = NULL;
}

void
sl_pacing_surface_shown(struct sl_surface *surface, struct sl_output *output)
{
	if (surface->fifo_barrier)
		surface->fifo_latched |= 1u << output->index;
}

void
sl_pacing_output_presented(struct sl_server *server, struct sl_output *output)
{
	uint32_t bit = 1u << output->index;
	/* Taken off the list first: lowering one barrier applies commits that may raise others. */
	struct wl_list lowered;
	wl_list_init(&lowered);
	struct sl_surface *surface, *tmp;
	wl_list_for_each_safe (surface, tmp, &server->fifo_surfaces, fifo_link) {
		if (!(surface->fifo_latched & bit))
			continue;
		wl_list_remove(&surface->fifo_link);
		wl_list_insert(lowered.prev, &surface->fifo_link);
	}
	while (!wl_list_empty(&lowered)) {
		surface = wl_container_of(lowered.next, surface, fifo_link);
		fifo_lower(surface);
	}
}

void
sl_pacing_output_gone(struct sl_server *server, struct sl_output *output)
{
	struct sl_surface *surface;
	wl_list_for_each (surface, &server->fifo_surfaces, fifo_link)
		surface->fifo_latched &= ~(1u << output->index);
}
