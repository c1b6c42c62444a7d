/*
 * Outputs and the repaint loop, the same for every backend.
 *
 * A frame's life: a commit adds damage and schedules a repaint. The repaint runs repaint_window
 * before the predicted vblank (late, so that commits arriving meanwhile still make it), draws the
 * damaged region into the backend's buffer and submits it. When the backend reports the frame on
 * screen, frame callbacks get their done event and presentation feedback its timestamp, both from
 * that vblank; then, if anything changed meanwhile, the next repaint is scheduled.
 */
#include "core/output.h"

#include <assert.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-server-protocol.h>

#include "core/buffer.h"
#include "fd.h"
#include "log.h"
#include "core/loop.h"
#include "core/pacing.h"
#include "core/renderer.h"
#include "core/scene.h"
#include "core/resource.h"
#include "core/server.h"
#include "core/surface.h"
#include "time-util.h"
#include "core/timer.h"

#define BACKGROUND_RGB 0x000000

static void
output_send_state(struct sl_output *output, struct wl_resource *resource)
{
	int version = wl_resource_get_version(resource);
	wl_output_send_geometry(resource, output->x, output->y, 0, 0, WL_OUTPUT_SUBPIXEL_UNKNOWN,
				output->make, output->model, (int32_t)output->transform);
	/* The mode is the display's, in pixels: clients rotate it by the transform. */
	wl_output_send_mode(resource, WL_OUTPUT_MODE_CURRENT | WL_OUTPUT_MODE_PREFERRED,
			    output->pixel_width, output->pixel_height, output->refresh_mhz);
	if (version >= WL_OUTPUT_SCALE_SINCE_VERSION)
		wl_output_send_scale(resource, 1);
	if (version >= WL_OUTPUT_NAME_SINCE_VERSION)
		wl_output_send_name(resource, output->name);
	if (version >= WL_OUTPUT_DESCRIPTION_SINCE_VERSION)
		wl_output_send_description(resource, output->description);
	if (version >= WL_OUTPUT_DONE_SINCE_VERSION)
		wl_output_send_done(resource);
}

static void
output_handle_release(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_output_interface output_impl = {
	.release = output_handle_release,
};

static void
output_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct sl_output *output = data;
	struct wl_resource *resource =
		sl_resource_create(client, &wl_output_interface, (int)version, id, &output_impl,
				   output, sl_resource_unlink);
	if (!resource)
		return;
	if (!output) {
		/* The output went away while the client bound it: an inert resource. */
		wl_list_init(wl_resource_get_link(resource));
		return;
	}
	wl_list_insert(&output->resources, wl_resource_get_link(resource));
	output_send_state(output, resource);
}

struct sl_output *
sl_output_from_resource(struct wl_resource *resource)
{
	assert(wl_resource_instance_of(resource, &wl_output_interface, &output_impl));
	return wl_resource_get_user_data(resource);
}

void
sl_output_send_surface_enter(struct sl_output *output, struct wl_resource *surface)
{
	struct wl_resource *resource;
	wl_resource_for_each (resource, &output->resources)
		if (wl_resource_get_client(resource) == wl_resource_get_client(surface))
			wl_surface_send_enter(surface, resource);
}

/* The start of the vblank after now, predicted from the last presentation. */
static int64_t
predict_next_vblank(struct sl_output *output, int64_t now)
{
	if (output->last_present_ns == 0 || output->refresh_ns <= 0)
		return now;
	int64_t since = now - output->last_present_ns;
	int64_t periods = since < 0 ? 0 : since / output->refresh_ns + 1;
	return output->last_present_ns + periods * output->refresh_ns;
}

static void output_repaint(void *data);

static void
frame_callbacks_send_done(struct wl_list *callbacks, int64_t time_ns)
{
	uint32_t ms = (uint32_t)(time_ns / 1000000);
	struct wl_resource *callback, *tmp;
	wl_resource_for_each_safe (callback, tmp, callbacks) {
		wl_callback_send_done(callback, ms);
		wl_resource_destroy(callback);
	}
}

/*
 * Outputs side by side in creation order; what moved is sent again. Toplevels follow the
 * primary output's size (none: 0x0, the client picks).
 */
static void
outputs_changed(struct sl_server *server)
{
	int32_t x = 0;
	struct sl_output *output;
	wl_list_for_each (output, &server->outputs, link) {
		if (output->x != x) {
			output->x = x;
			struct wl_resource *resource;
			wl_resource_for_each (resource, &output->resources)
				output_send_state(output, resource);
		}
		x += output->width;
	}
	wl_signal_emit_mutable(&server->events.outputs_changed, server);
}

static void
output_power_off(struct sl_output *output)
{
	output->power_off_pending = false;
	/* While paused the display is someone else's; it is found off when the session returns. */
	if (!output->paused && output->impl->set_power && !output->impl->set_power(output, false)) {
		log_error("output", "%s: cannot turn the display off", output->name);
		return;
	}
	output->powered_off = true;
	log_info("output", "%s: display off", output->name);
}

void
sl_output_set_power(struct sl_output *output, bool on)
{
	if (!on) {
		if (output->powered_off)
			return;
		/* The backend turns a display off with nothing in flight. */
		if (output->repaint_state == SL_REPAINT_IN_FLIGHT)
			output->power_off_pending = true;
		else
			output_power_off(output);
		return;
	}
	output->power_off_pending = false;
	if (!output->powered_off)
		return;
	output->powered_off = false;
	if (output->impl->set_power)
		output->impl->set_power(output, true);
	log_info("output", "%s: display on", output->name);
	/* What was on screen is gone: everything is drawn again. */
	output->composition_valid = false;
	sl_output_damage_whole(output);
}

void
sl_output_set_paused(struct sl_output *output, bool paused)
{
	if (output->paused == paused)
		return;
	output->paused = paused;
	log_info("output", "%s: %s", output->name, paused ? "paused" : "resumed");
	if (paused)
		return;
	/* Another DRM master may have drawn anything meanwhile: everything is drawn again. */
	output->composition_valid = false;
	sl_output_damage_whole(output);
}

void
sl_output_schedule_frame(struct sl_output *output)
{
	output->frame_wanted = true;
	if (output->repaint_state != SL_REPAINT_IDLE || output->powered_off || output->paused)
		return; /* handled when the frame in flight is presented, at power on or resume */

	int64_t now = monotonic_ns();
	int64_t window = (int64_t)output->server->options.repaint_window_ms * 1000000;
	int64_t at = predict_next_vblank(output, now) - window;
	/* Inside the window already: repaint now and hope to catch the vblank. */
	sl_timer_arm(output->repaint_timer, at > now ? at : now);
	output->repaint_state = SL_REPAINT_SCHEDULED;
}

void
sl_output_region_to_pixels(struct sl_output *output, const pixman_region32_t *layout,
			   pixman_region32_t *pixels)
{
	if (output->transform == WL_OUTPUT_TRANSFORM_NORMAL) {
		pixman_region32_copy(pixels, (pixman_region32_t *)layout);
		return;
	}
	int n;
	const pixman_box32_t *boxes = pixman_region32_rectangles((pixman_region32_t *)layout, &n);
	pixman_region32_clear(pixels);
	for (int i = 0; i < n; i++) {
		const int32_t in[4] = {boxes[i].x1, boxes[i].y1, boxes[i].x2, boxes[i].y2};
		int32_t out[4];
		sl_affine_box(&output->layout_to_pixels, in, out);
		pixman_region32_union_rect(pixels, pixels, out[0], out[1],
					   (unsigned)(out[2] - out[0]),
					   (unsigned)(out[3] - out[1]));
	}
}

void
sl_output_pixel_to_layout(struct sl_output *output, double px, double py, double *lx, double *ly)
{
	sl_affine_apply(&output->pixels_to_layout, px, py, lx, ly);
}

void
sl_output_add_damage(struct sl_output *output, const pixman_region32_t *damage)
{
	pixman_region32_union(&output->damage, &output->damage, (pixman_region32_t *)damage);
	pixman_region32_intersect_rect(&output->damage, &output->damage, 0, 0,
				       (unsigned)output->width, (unsigned)output->height);
	if (pixman_region32_not_empty(&output->damage))
		sl_output_schedule_frame(output);
}

void
sl_output_damage_whole(struct sl_output *output)
{
	pixman_region32_union_rect(&output->damage, &output->damage, 0, 0, (unsigned)output->width,
				   (unsigned)output->height);
	sl_output_schedule_frame(output);
}

#define MAX_CANDIDATES 64

struct sl_repaint_scratch {
	struct sl_output *output;
	struct sl_plane_candidate candidates[MAX_CANDIDATES];
	int count;
};

/*
 * Where the surface lands in the output's pixels, and why its buffer cannot go to a plane as it
 * is (NULL: it could, rotated by c->plane_transform, which the backend may not be able to do).
 */
static const char *
scanout_obstacle(struct sl_output *output, struct sl_plane_candidate *c)
{
	struct sl_surface *surface = c->surface;
	struct sl_buffer *buffer = surface->current.buffer;
	const int32_t layout[4] = {c->x, c->y, c->x + surface->geometry.width,
				   c->y + surface->geometry.height};
	int32_t px[4];
	sl_affine_box(&output->layout_to_pixels, layout, px);
	c->pixel_x = px[0];
	c->pixel_y = px[1];
	c->pixel_width = px[2] - px[0];
	c->pixel_height = px[3] - px[1];
	if (buffer->type != SL_BUFFER_DMABUF)
		return "not a dma-buf";
	if (!surface->geometry.pixel_exact)
		return "scaled";
	/* Output pixels → layout → surface-local → buffer: only a rotation or flip is left. */
	struct sl_affine to_surface = output->pixels_to_layout;
	to_surface.m[2] -= c->x;
	to_surface.m[5] -= c->y;
	struct sl_affine m = sl_affine_compose(&surface->geometry.surface_to_buffer, &to_surface);
	c->plane_transform = sl_transform_of_linear(&m);
	if (c->plane_transform == UINT32_MAX)
		return "scaled";
	bool swapped = c->plane_transform & 1;
	if (c->pixel_width != (swapped ? buffer->height : buffer->width) ||
	    c->pixel_height != (swapped ? buffer->width : buffer->height))
		return "scaled";
	if (c->pixel_x < 0 || c->pixel_y < 0 || px[2] > output->pixel_width ||
	    px[3] > output->pixel_height)
		return "size";
	return NULL;
}

static void
collect_surface(struct sl_surface *surface, int32_t x, int32_t y, void *data)
{
	struct sl_repaint_scratch *ctx = data;
	struct sl_output *output = ctx->output;
	uint32_t bit = 1u << output->index;
	if (!(surface->entered_outputs & bit)) {
		surface->entered_outputs |= bit;
		sl_output_send_surface_enter(output, surface->resource);
	}
	sl_pacing_surface_shown(surface, output);
	if (ctx->count == MAX_CANDIDATES) {
		/* Drawn like the rest; only frame resources would be lost otherwise. */
		sl_surface_take_frame_resources(surface, &output->frame_callbacks,
						&output->feedbacks);
		return;
	}
	struct sl_plane_candidate *c = &ctx->candidates[ctx->count++];
	*c = (struct sl_plane_candidate){.surface = surface, .x = x, .y = y};
	c->reason = scanout_obstacle(output, c);
}

/*
 * A frame may flip at once (tear) when its top surface is the fullscreen one, asks for it, and
 * is scanned out with nothing composed; the backend tries (frame_async_wanted). Otherwise the
 * frame waits for the vblank, counted, and the reason logged when it changes.
 */
static void
decide_async(struct sl_output *output, const struct sl_repaint_scratch *ctx, bool composition)
{
	output->frame_async = false;
	output->frame_async_wanted = false;
	const struct sl_plane_candidate *top = ctx->count ? &ctx->candidates[ctx->count - 1] : NULL;
	if (!top || !top->surface->current.tearing || !top->surface->scanout_candidate) {
		output->async_refusal = NULL;
		return;
	}
	const char *refusal = output->async_unavailable;
	if (!refusal && (composition || !top->on_plane))
		refusal = "the surface is composited, not scanned out";
	if (!refusal) {
		output->frame_async_wanted = true;
		return;
	}
	output->server->stats.async_refused++;
	if (refusal != output->async_refusal)
		log_info("output", "%s: wl_surface@%u may tear, but flips wait for the vblank: %s",
			 output->name, wl_resource_get_id(top->surface->resource), refusal);
	output->async_refusal = refusal;
}

/* Whether the planes hold the same surfaces as last frame (else the back buffers are stale). */
static bool
planes_unchanged(struct sl_output *output, const struct sl_repaint_scratch *ctx)
{
	int n = 0;
	for (int i = 0; i < ctx->count; i++) {
		if (!ctx->candidates[i].on_plane)
			continue;
		if (n >= 8 || output->plane_surfaces[n] != ctx->candidates[i].surface)
			return false;
		n++;
	}
	return n == output->n_plane_surfaces;
}

static void
remember_planes(struct sl_output *output, const struct sl_repaint_scratch *ctx)
{
	output->n_plane_surfaces = 0;
	for (int i = 0; i < ctx->count && output->n_plane_surfaces < 8; i++)
		if (ctx->candidates[i].on_plane)
			output->plane_surfaces[output->n_plane_surfaces++] =
				ctx->candidates[i].surface;
}

/* Buffer fences that have signalled (with or without an error) are done with. */
static void
drop_signalled_fences(struct sl_repaint_scratch *ctx)
{
	for (int i = 0; i < ctx->count; i++) {
		struct sl_surface *surface = ctx->candidates[i].surface;
		struct pollfd pfd = {.fd = surface->buffer_fence, .events = POLLIN};
		if (surface->buffer_fence >= 0 && poll(&pfd, 1, 0) == 1)
			fd_close(&surface->buffer_fence);
	}
}

static void output_repaint_now(struct sl_output *output);

/* A repaint due while the output is off or paused: the frame waits for it to come back. */
static bool
repaint_deferred(struct sl_output *output)
{
	if (!output->powered_off && !output->paused)
		return false;
	output->repaint_state = SL_REPAINT_IDLE;
	output->frame_wanted = true;
	return true;
}

static int
handle_fence_hold(int fd, uint32_t mask, void *data)
{
	struct sl_output *output = data;
	wl_event_source_remove(output->fence_hold);
	output->fence_hold = NULL;
	fd_close(&output->fence_hold_fd);
	if (!repaint_deferred(output))
		output_repaint_now(output);
	return 0;
}

/*
 * A buffer that was to be shown on a plane with its fence (IN_FENCE_FD) has to be composed
 * instead: the renderer must not read it before the fence signals, so the frame waits for it.
 */
static bool
hold_for_fence(struct sl_output *output, const struct sl_repaint_scratch *ctx)
{
	for (int i = 0; i < ctx->count; i++) {
		const struct sl_plane_candidate *c = &ctx->candidates[i];
		if (c->on_plane || c->surface->buffer_fence < 0)
			continue;
		output->fence_hold_fd = fcntl(c->surface->buffer_fence, F_DUPFD_CLOEXEC, 0);
		if (output->fence_hold_fd >= 0)
			output->fence_hold =
				wl_event_loop_add_fd(output->server->loop, output->fence_hold_fd,
						     WL_EVENT_READABLE, handle_fence_hold, output);
		if (!output->fence_hold) {
			/* Cannot wait without blocking: better late content than a stuck output. */
			log_errno("output", "%s: cannot wait for a buffer's fence", output->name);
			fd_close(&output->fence_hold_fd);
			return false;
		}
		log_debug("output", "%s: wl_surface@%u composed: waiting for its buffer's fence",
			  output->name, wl_resource_get_id(c->surface->resource));
		output->server->stats.fence_holds++;
		return true;
	}
	return false;
}

enum repaint_result { REPAINT_SUBMITTED, REPAINT_FAILED, REPAINT_HELD };

/* Assigns planes, draws the rest, submits. */
static enum repaint_result
output_repaint_once(struct sl_output *output, bool *had_planes)
{
	struct sl_server *server = output->server;
	struct sl_renderer *renderer = server->renderer;
	bool drew = false;
	int render_fence = -1;
	*had_planes = false;

	struct sl_repaint_scratch *ctx = output->scratch;
	ctx->output = output;
	ctx->count = 0;
	scene_for_each_surface(server, output, collect_surface, ctx);
	drop_signalled_fences(ctx);

	bool composition = true;
	if (output->impl->assign_planes && !server->options.no_scanout &&
	    !output->impl->assign_planes(output, ctx->candidates, ctx->count, &composition))
		composition = true;
	if (hold_for_fence(output, ctx))
		return REPAINT_HELD;
	if (!planes_unchanged(output, ctx)) {
		output->composition_valid = false;
		pixman_region32_union_rect(&output->damage, &output->damage, 0, 0,
					   (unsigned)output->width, (unsigned)output->height);
	}
	remember_planes(output, ctx);

	int on_planes = 0;
	for (int i = 0; i < ctx->count; i++) {
		struct sl_plane_candidate *c = &ctx->candidates[i];
		on_planes += c->on_plane;
		/* Say why a surface left or missed the planes, once per change, not per frame. */
		const char *reason = c->on_plane ? NULL : c->reason;
		if (c->on_plane != c->surface->scanned_out ||
		    reason != c->surface->scanout_reason) {
			if (c->on_plane)
				log_debug("output", "%s: wl_surface@%u scanned out from its buffer",
					  output->name, wl_resource_get_id(c->surface->resource));
			else
				log_debug("output", "%s: wl_surface@%u composited: %s",
					  output->name, wl_resource_get_id(c->surface->resource),
					  reason ? reason : "planes off");
			c->surface->scanned_out = c->on_plane;
			c->surface->scanout_reason = reason;
		}
		sl_surface_take_frame_resources(c->surface, &output->frame_callbacks,
						c->on_plane ? &output->feedbacks_zero_copy
							    : &output->feedbacks);
	}
	struct sl_output_frame_event frame = {output, ctx->candidates, ctx->count};
	wl_signal_emit_mutable(&output->events.frame, &frame);
	output->stats.planes_used += (uint64_t)on_planes;
	decide_async(output, ctx, composition);
	*had_planes = on_planes > 0;
	server->stats.planes_used += (uint64_t)on_planes;

	if (composition && pixman_region32_not_empty(&output->damage)) {
		int age = 0;
		struct sl_render_target *target = output->impl->begin_frame(output, &age);
		if (target) {
			if (!output->composition_valid)
				age = 0;
			pixman_region32_t region;
			pixman_region32_init(&region);
			sl_damage_ring_repaint_region(&output->damage_ring, age, &output->damage,
						      &region);
			/* Layout damage, drawn in the target's pixels. */
			pixman_region32_t pixels;
			pixman_region32_init(&pixels);
			sl_output_region_to_pixels(output, &region, &pixels);
			renderer->impl->begin(renderer, target);
			server->stats.frames++;
			renderer->impl->clear(renderer, &pixels, BACKGROUND_RGB);
			for (int i = 0; i < ctx->count; i++) {
				struct sl_plane_candidate *c = &ctx->candidates[i];
				if (c->on_plane)
					continue;
				pixman_region32_t clip;
				pixman_region32_init_rect(&clip, c->pixel_x, c->pixel_y,
							  (unsigned)c->pixel_width,
							  (unsigned)c->pixel_height);
				pixman_region32_intersect(&clip, &clip, &pixels);
				if (pixman_region32_not_empty(&clip)) {
					struct sl_placement placement = {
						.x = c->x,
						.y = c->y,
						.layout_to_pixels = &output->layout_to_pixels,
						.pixels_to_layout = &output->pixels_to_layout,
						.pixel_box = {c->pixel_x, c->pixel_y,
							      c->pixel_width, c->pixel_height},
					};
					renderer->impl->draw_surface(renderer, c->surface,
								     &placement, &clip);
					server->stats.draw_calls++;
				}
				pixman_region32_fini(&clip);
			}
			render_fence = renderer->impl->end(renderer);
			if (render_fence >= 0) {
				server->stats.render_fences++;
				for (int i = 0; i < ctx->count; i++) {
					struct sl_buffer *buffer =
						ctx->candidates[i].surface->current.buffer;
					if (!ctx->candidates[i].on_plane && buffer)
						sl_buffer_set_read_fence(buffer, render_fence);
				}
			}
			sl_damage_ring_push(&output->damage_ring, &output->damage);
			pixman_region32_clear(&output->damage);
			pixman_region32_fini(&pixels);
			pixman_region32_fini(&region);
			drew = true;
			output->composition_valid = true;
		} else {
			log_warn("output", "%s: no buffer to draw into, frame skipped",
				 output->name);
		}
	} else if (!composition) {
		/* Everything is on planes: nothing to draw, and the back buffers fall behind. */
		pixman_region32_clear(&output->damage);
		output->composition_valid = false;
		output->stats.frames_direct++;
		server->stats.frames_direct++;
	}
	if (composition)
		output->stats.frames_composited++;

	output->repaint_state = SL_REPAINT_IN_FLIGHT;
	if (drew)
		output->stats.frames_drawn++;
	bool submitted = output->impl->submit_frame(output, drew, render_fence);
	fd_close(&render_fence);
	return submitted ? REPAINT_SUBMITTED : REPAINT_FAILED;
}

static void
output_repaint_now(struct sl_output *output)
{
	assert(output->repaint_state == SL_REPAINT_SCHEDULED);
	output->frame_wanted = false;
	sl_loop_frame_started(output->server->main_loop);
	/* A readback still in flight (none should be: it precedes presentation) stays wanted. */
	output->readback_in_flight |= output->readback_wanted;
	output->readback_wanted = false;
	wl_signal_emit_mutable(&output->events.frame_started, output);

	bool had_planes;
	enum repaint_result result = output_repaint_once(output, &had_planes);
	if (result == REPAINT_FAILED && had_planes) {
		/*
		 * The kernel refused client buffers on planes that TEST_ONLY accepted; the backend
		 * no longer offers those. Compose them now rather than lose the frame.
		 */
		log_info("output", "%s: planes refused at commit time, composing this frame",
			 output->name);
		wl_signal_emit_mutable(&output->events.frame_failed, output);
		wl_list_insert_list(&output->feedbacks, &output->feedbacks_zero_copy);
		wl_list_init(&output->feedbacks_zero_copy);
		output->repaint_state = SL_REPAINT_SCHEDULED;
		pixman_region32_union_rect(&output->damage, &output->damage, 0, 0,
					   (unsigned)output->width, (unsigned)output->height);
		result = output_repaint_once(output, &had_planes);
	}
	if (result == REPAINT_FAILED) {
		log_error("output", "%s: frame submission failed", output->name);
		sl_output_frame_failed(output);
	}
}

static void
output_repaint(void *data)
{
	struct sl_output *output = data;
	if (repaint_deferred(output))
		return;
	int64_t delay = monotonic_ns() - sl_timer_due_ns(output->repaint_timer);
	struct sl_stats *stats = &output->server->stats;
	if (delay > 0 && (uint64_t)delay / 1000 > stats->repaint_delay_max_us)
		stats->repaint_delay_max_us = (uint64_t)delay / 1000;
	output_repaint_now(output);
}

void
sl_output_presented(struct sl_output *output, int64_t time_ns, uint64_t msc)
{
	assert(output->repaint_state == SL_REPAINT_IN_FLIGHT);
	if (output->last_msc && msc > output->last_msc + 1)
		output->stats.vblanks_missed += msc - output->last_msc - 1;
	output->last_present_ns = time_ns;
	output->last_msc = msc;
	output->stats.frames_presented++;
	output->repaint_state = SL_REPAINT_IDLE;
	struct sl_output_present_event present = {output, time_ns, msc};
	wl_signal_emit_mutable(&output->events.present, &present);
	log_debug("output", "%s: frame presented at vblank %llu", output->name,
		  (unsigned long long)msc);

	/* A frame flipped at once was not in step with the vblank. */
	uint32_t flags =
		output->presentation_flags & ~(output->frame_async ? SL_PRESENT_VSYNC : 0u);
	sl_feedback_list_presented(&output->feedbacks, output, time_ns, msc, flags);
	/* Shown straight from the client's buffer. */
	sl_feedback_list_presented(&output->feedbacks_zero_copy, output, time_ns, msc,
				   flags | SL_PRESENT_ZERO_COPY);
	frame_callbacks_send_done(&output->frame_callbacks, time_ns);
	/* Updates behind a fifo barrier of this frame's surfaces go ahead, for the next frame. */
	sl_pacing_output_presented(output->server, output);

	if (output->power_off_pending)
		output_power_off(output);
	if (output->frame_wanted)
		sl_output_schedule_frame(output);
}

void
sl_output_frame_failed(struct sl_output *output)
{
	/*
	 * The previous frame stays on screen. Feedback for this one is discarded, frame callbacks
	 * wait for the next frame that makes it, and the retry comes one refresh later, so a
	 * persistent failure neither spins the compositor nor its clients.
	 */
	output->repaint_state = SL_REPAINT_SCHEDULED;
	output->frame_wanted = true;
	wl_signal_emit_mutable(&output->events.frame_failed, output);
	if (output->readback_in_flight)
		sl_output_readback_done(output, NULL, 0, 0, 0, "the frame could not be displayed");
	sl_feedback_list_discard(&output->feedbacks);
	sl_feedback_list_discard(&output->feedbacks_zero_copy);
	pixman_region32_union_rect(&output->damage, &output->damage, 0, 0, (unsigned)output->width,
				   (unsigned)output->height);
	int64_t period = output->refresh_ns > 0 ? output->refresh_ns : 16666666;
	sl_timer_arm(output->repaint_timer, monotonic_ns() + period);
}

void
sl_output_request_readback(struct sl_output *output)
{
	output->readback_wanted = true;
	sl_output_schedule_frame(output);
}

void
sl_output_readback_done(struct sl_output *output, const void *pixels, uint32_t stride,
			int64_t time_ns, uint64_t msc, const char *reason)
{
	output->readback_in_flight = false;
	struct sl_output_readback_event event = {output, pixels, stride, time_ns, msc, reason};
	wl_signal_emit_mutable(&output->events.readback, &event);
}

/* The user's choice for this output, else for every output, else the display's own. */
static uint32_t
choose_transform(struct sl_server *server, const char *name, uint32_t display_transform)
{
	const struct sl_options *options = &server->options;
	uint32_t transform = display_transform;
	for (int i = 0; i < options->n_transforms; i++)
		if (!options->transforms[i].output)
			transform = options->transforms[i].transform;
	for (int i = 0; i < options->n_transforms; i++)
		if (options->transforms[i].output &&
		    strcmp(options->transforms[i].output, name) == 0)
			transform = options->transforms[i].transform;
	return transform;
}

struct sl_output *
sl_output_create(struct sl_server *server, const struct sl_output_impl *impl, const char *name,
		 int32_t width, int32_t height, int32_t refresh_mhz, uint32_t display_transform)
{
	unsigned index = 0;
	struct sl_output *other;
	wl_list_for_each (other, &server->outputs, link)
		if (other->index >= index)
			index = other->index + 1;
	if (index >= 32) {
		log_error("output", "at most 32 outputs are supported");
		return NULL;
	}

	struct sl_output *output = calloc(1, sizeof(*output));
	if (!output)
		return NULL;
	output->scratch = malloc(sizeof(*output->scratch));
	if (!output->scratch) {
		free(output);
		return NULL;
	}
	output->server = server;
	output->impl = impl;
	output->index = index;
	output->fence_hold_fd = -1;
	snprintf(output->name, sizeof(output->name), "%s", name);
	snprintf(output->description, sizeof(output->description), "sluice %s %dx%d@%.3f", name,
		 width, height, refresh_mhz / 1000.0);
	output->make = "sluice";
	output->model = "virtual"; /* backends name their model */
	output->pixel_width = width;
	output->pixel_height = height;
	output->transform = choose_transform(server, name, display_transform);
	output->layout_to_pixels = sl_output_layout_to_pixels(output->transform, width, height,
							      &output->width, &output->height);
	bool invertible = sl_affine_invert(&output->layout_to_pixels, &output->pixels_to_layout);
	assert(invertible);
	(void)invertible;
	if (output->transform != WL_OUTPUT_TRANSFORM_NORMAL)
		log_info("output", "%s: transform %s, %dx%d pixels shown as %dx%d", name,
			 sl_transform_name(output->transform), width, height, output->width,
			 output->height);
	output->refresh_mhz = refresh_mhz;
	output->refresh_ns = refresh_mhz > 0 ? 1000000000000LL / refresh_mhz : 0;
	wl_list_init(&output->resources);
	wl_list_init(&output->frame_callbacks);
	wl_list_init(&output->feedbacks);
	wl_list_init(&output->feedbacks_zero_copy);
	wl_signal_init(&output->events.destroy);
	wl_signal_init(&output->events.frame_started);
	wl_signal_init(&output->events.frame);
	wl_signal_init(&output->events.frame_failed);
	wl_signal_init(&output->events.present);
	wl_signal_init(&output->events.readback);
	pixman_region32_init(&output->damage);
	sl_damage_ring_init(&output->damage_ring, output->width, output->height);

	output->repaint_timer = sl_timer_create(server->loop, output_repaint, output);
	output->global =
		wl_global_create(server->display, &wl_output_interface, 4, output, output_bind);
	if (!output->repaint_timer || !output->global) {
		log_error("output", "cannot create output %s", name);
		sl_timer_destroy(output->repaint_timer);
		if (output->global)
			wl_global_destroy(output->global);
		sl_damage_ring_finish(&output->damage_ring);
		pixman_region32_fini(&output->damage);
		free(output->scratch);
		free(output);
		return NULL;
	}
	/* Last: outputs_changed places it right of the others before anyone sees it. */
	wl_list_insert(server->outputs.prev, &output->link);
	log_info("output", "%s: %dx%d@%.3f Hz", name, width, height, refresh_mhz / 1000.0);
	outputs_changed(server);
	wl_signal_emit_mutable(&server->events.new_output, output);
	return output;
}

void
sl_output_destroy(struct sl_output *output)
{
	if (!output)
		return;
	/* Listeners let go of what they queued for it (captures, frames they track). */
	wl_signal_emit_mutable(&output->events.destroy, output);
	scene_output_removed(output);
	sl_pacing_output_gone(output->server, output);
	if (output->fence_hold)
		wl_event_source_remove(output->fence_hold);
	fd_close(&output->fence_hold_fd);
	sl_feedback_list_discard(&output->feedbacks);
	sl_feedback_list_discard(&output->feedbacks_zero_copy);
	/* Taken for a frame that will not be shown: done now, or their clients would wait forever
	 * (the surfaces' next callbacks wait for an output that shows them). */
	frame_callbacks_send_done(&output->frame_callbacks, monotonic_ns());

	struct wl_resource *resource, *tmp;
	wl_resource_for_each_safe (resource, tmp, &output->resources) {
		wl_resource_set_user_data(resource, NULL);
		wl_list_remove(wl_resource_get_link(resource));
		wl_list_init(wl_resource_get_link(resource));
	}
	wl_global_set_user_data(output->global, NULL);
	server_retire_global(output->server, output->global);
	sl_timer_destroy(output->repaint_timer);
	wl_list_remove(&output->link);
	outputs_changed(output->server);
	sl_damage_ring_finish(&output->damage_ring);
	pixman_region32_fini(&output->damage);
	output->impl->destroy(output);
	free(output->scratch);
	free(output);
}
