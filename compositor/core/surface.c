/*
 * wl_surface: double-buffered state (pending → cached for synchronized subsurfaces → current),
 * validation at commit, damage in surface-local coordinates handed to the scene.
 */
#include "core/surface.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <wayland-server-protocol.h>

#include "core/buffer.h"
#include "core/pacing.h"
#include "core/sync.h"
#include "fd.h"
#include "formats.h"
#include "log.h"
#include "core/region.h"
#include "core/scene.h"
#include "core/resource.h"
#include "core/server.h"

void
sl_feedback_list_presented(struct wl_list *feedbacks, struct sl_output *output, int64_t time_ns,
			   uint64_t msc, uint32_t flags)
{
	struct sl_feedback *feedback, *tmp;
	wl_list_for_each_safe (feedback, tmp, feedbacks, link) {
		wl_list_remove(&feedback->link);
		wl_list_init(&feedback->link);
		feedback->impl->presented(feedback, output, time_ns, msc, flags);
	}
}

void
sl_feedback_list_discard(struct wl_list *feedbacks)
{
	struct sl_feedback *feedback, *tmp;
	wl_list_for_each_safe (feedback, tmp, feedbacks, link) {
		wl_list_remove(&feedback->link);
		wl_list_init(&feedback->link);
		feedback->impl->discarded(feedback);
	}
}

void
frame_callbacks_destroy_list(struct wl_list *callbacks)
{
	struct wl_resource *resource, *tmp;
	wl_resource_for_each_safe (resource, tmp, callbacks)
		wl_resource_destroy(resource);
}

static void
state_handle_buffer_destroy(struct wl_listener *listener, void *data)
{
	struct sl_surface_state *state = wl_container_of(listener, state, buffer_destroy);
	/* Only pending state holds a weak reference; a destroyed attached buffer acts as NULL. */
	assert(!state->buffer_locked);
	state->buffer = NULL;
	wl_list_remove(&listener->link);
	wl_list_init(&listener->link);
}

/* lock: cached and current own a lock; pending only watches for destruction. */
static void
state_set_buffer(struct sl_surface_state *state, struct sl_buffer *buffer, bool lock)
{
	/* Lock first: re-committing the shown buffer must not release it in between. */
	if (buffer && lock)
		sl_buffer_lock(buffer);
	if (state->buffer) {
		if (state->buffer_locked) {
			sl_buffer_unlock(state->buffer);
		} else {
			wl_list_remove(&state->buffer_destroy.link);
			wl_list_init(&state->buffer_destroy.link);
		}
	}
	state->buffer = buffer;
	state->buffer_locked = buffer && lock;
	if (buffer && !lock)
		wl_signal_add(&buffer->events.resource_destroy, &state->buffer_destroy);
}

void
sl_surface_state_init(struct sl_surface_state *state)
{
	*state = (struct sl_surface_state){.scale = 1};
	state->buffer_destroy.notify = state_handle_buffer_destroy;
	wl_list_init(&state->buffer_destroy.link);
	pixman_region32_init(&state->surface_damage);
	pixman_region32_init(&state->buffer_damage);
	pixman_region32_init(&state->opaque);
	region_init_infinite(&state->input);
	wl_list_init(&state->frame_callbacks);
	wl_list_init(&state->feedbacks);
	state->acquire_fd = -1;
	wl_list_init(&state->releases);
}

void
sl_surface_state_finish(struct sl_surface_state *state)
{
	/* The buffer of this state will never be read again (once no plane shows it). */
	sl_buffer_release_or_defer(state->buffer, &state->releases);
	state_set_buffer(state, NULL, false);
	pixman_region32_fini(&state->surface_damage);
	pixman_region32_fini(&state->buffer_damage);
	pixman_region32_fini(&state->opaque);
	pixman_region32_fini(&state->input);
	frame_callbacks_destroy_list(&state->frame_callbacks);
	sl_feedback_list_discard(&state->feedbacks);
	if (state->acquire_fd >= 0)
		close(state->acquire_fd);
	state->acquire_fd = -1;
	sl_sync_point_unset(&state->acquire);
}

/* Moves src's committed fields onto dst and leaves src empty. */
static void
state_merge(struct sl_surface_state *dst, struct sl_surface_state *src, bool lock)
{
	uint32_t fields = src->committed;
	if (fields & SL_STATE_BUFFER) {
		/* dst's buffer is superseded: done with it for its commit, once no plane shows it.
		 */
		sl_buffer_release_or_defer(dst->buffer, &dst->releases);
		state_set_buffer(dst, src->buffer, lock);
		state_set_buffer(src, NULL, false);
		wl_list_insert_list(&dst->releases, &src->releases);
		wl_list_init(&src->releases);
	}
	if (fields & SL_STATE_OFFSET) {
		dst->dx += src->dx;
		dst->dy += src->dy;
		src->dx = src->dy = 0;
	}
	pixman_region32_union(&dst->surface_damage, &dst->surface_damage, &src->surface_damage);
	pixman_region32_union(&dst->buffer_damage, &dst->buffer_damage, &src->buffer_damage);
	pixman_region32_clear(&src->surface_damage);
	pixman_region32_clear(&src->buffer_damage);
	if (fields & SL_STATE_OPAQUE_REGION)
		pixman_region32_copy(&dst->opaque, &src->opaque);
	if (fields & SL_STATE_INPUT_REGION)
		pixman_region32_copy(&dst->input, &src->input);
	if (fields & SL_STATE_TRANSFORM)
		dst->transform = src->transform;
	if (fields & SL_STATE_SCALE)
		dst->scale = src->scale;
	if (fields & SL_STATE_VIEWPORT)
		dst->viewport = src->viewport;
	wl_list_insert_list(dst->frame_callbacks.prev, &src->frame_callbacks);
	wl_list_init(&src->frame_callbacks);
	if (fields & SL_STATE_FEEDBACK) {
		/* Feedback of a content update that a newer one replaced before it was shown. */
		sl_feedback_list_discard(&dst->feedbacks);
		wl_list_insert_list(&dst->feedbacks, &src->feedbacks);
		wl_list_init(&src->feedbacks);
	}
	if (fields & SL_STATE_FIFO) {
		/* Updates merged into one (a synchronized subsurface's) keep both conditions. */
		dst->fifo_set_barrier |= src->fifo_set_barrier;
		dst->fifo_wait_barrier |= src->fifo_wait_barrier;
		src->fifo_set_barrier = src->fifo_wait_barrier = false;
	}
	if (fields & SL_STATE_TEARING)
		dst->tearing = src->tearing;
	if (fields & SL_STATE_COLOUR)
		dst->colour = src->colour;
	if (fields & SL_STATE_TARGET_TIME) {
		dst->target_ns = src->target_ns;
		src->target_ns = 0;
	}
	dst->committed |= fields;
	src->committed = 0;
}

struct sl_buffer *
sl_surface_attached_buffer(struct sl_surface *surface)
{
	if (!(surface->pending.committed & SL_STATE_BUFFER))
		return NULL;
	return surface->pending.buffer;
}

bool
sl_surface_has_frame_callbacks(const struct sl_surface *surface)
{
	return !wl_list_empty(&surface->current.frame_callbacks) ||
	       !wl_list_empty(&surface->current.feedbacks);
}

void
sl_surface_take_frame_resources(struct sl_surface *surface, struct wl_list *callbacks,
				struct wl_list *feedbacks)
{
	wl_list_insert_list(callbacks->prev, &surface->current.frame_callbacks);
	wl_list_init(&surface->current.frame_callbacks);
	wl_list_insert_list(feedbacks->prev, &surface->current.feedbacks);
	wl_list_init(&surface->current.feedbacks);
}

bool
sl_surface_set_role(struct sl_surface *surface, const struct sl_surface_role *role, void *role_data,
		    struct wl_resource *error_resource, uint32_t error_code)
{
	if (surface->role && surface->role != role) {
		wl_resource_post_error(error_resource, error_code,
				       "wl_surface@%u already has the role %s, cannot become %s",
				       wl_resource_get_id(surface->resource), surface->role->name,
				       role->name);
		return false;
	}
	if (surface->role_data && surface->role_data != role_data) {
		wl_resource_post_error(error_resource, error_code,
				       "wl_surface@%u already has a live %s object",
				       wl_resource_get_id(surface->resource), role->name);
		return false;
	}
	surface->role = role;
	surface->role_data = role_data;
	return true;
}

/* Implicit fences (one per plane) and one explicit acquire wait. */
#define MAX_COMMIT_WAITS (SL_DMABUF_MAX_PLANES + 1)

/*
 * A commit held back until its buffer is ready. It keeps the whole state of that commit (buffer,
 * damage, callbacks, ...), so applying it later is the same as applying it when it came.
 */
struct sl_surface_commit {
	struct wl_list link; /* sl_surface.queued */
	struct sl_surface *surface;
	struct sl_surface_state state;
	struct {
		struct wl_event_source *source;
		int fd;
		bool sync_file;		    /* else an eventfd from a syncobj waiter */
		struct sync_waiter *waiter; /* for the eventfd */
	} waits[MAX_COMMIT_WAITS];
	int n_waits;   /* still unsignalled */
	bool failed;   /* a fence signalled with an error: the buffer is dropped */
	uint8_t paced; /* enum sl_pacing_hold: what held it, counted once */
};

/* The committed state that holds the newest value of a field: queued (newest first), cached,
 * current. */
static const struct sl_surface_state *
committed_state_with(const struct sl_surface *surface, uint32_t flag)
{
	const struct sl_surface_commit *commit;
	wl_list_for_each_reverse (commit, &surface->queued, link)
		if (commit->state.committed & flag)
			return &commit->state;
	if (surface->has_cache && (surface->cached.committed & flag))
		return &surface->cached;
	return &surface->current;
}

/* The same with pending first: what the commit about to happen makes current. */
static const struct sl_surface_state *
next_state_with(const struct sl_surface *surface, uint32_t flag)
{
	if (surface->pending.committed & flag)
		return &surface->pending;
	return committed_state_with(surface, flag);
}

struct yuv_encoding
sl_surface_yuv_encoding(const struct sl_surface *surface)
{
	const struct sl_colour_repr *c = &surface->current.colour;
	struct yuv_encoding e = YUV_ENCODING_DEFAULT;
	/* The protocol's numbers: bt709 2, bt601 4, bt2020 6; full 1, limited 2. */
	if (c->coefficients == 2)
		e.matrix = YUV_MATRIX_BT709;
	else if (c->coefficients == 6)
		e.matrix = YUV_MATRIX_BT2020;
	e.full_range = c->coefficients > 1 && c->range == 1;
	return e;
}

struct sl_buffer *
sl_surface_committed_buffer(const struct sl_surface *surface)
{
	return committed_state_with(surface, SL_STATE_BUFFER)->buffer;
}

#define NEXT_FIELD(surface, flag, field) (next_state_with((surface), (flag))->field)

/*
 * A colour representation the buffer cannot have: the identity matrix on YCbCr, a YCbCr matrix
 * or a chroma location on RGB. False with the message in message.
 */
static bool
colour_fits(const struct sl_colour_repr *colour, const struct sl_buffer *buffer, char *message,
	    size_t size)
{
	/* Single-pixel buffers are RGB. */
	const struct format_info *info = buffer->type == SL_BUFFER_SINGLE_PIXEL
						 ? NULL
						 : format_info_from_drm(buffer->format);
	bool yuv = info && info->is_yuv;
	char fourcc[5];
	const char *format = buffer->type == SL_BUFFER_SINGLE_PIXEL
				     ? "single-pixel"
				     : format_fourcc_str(buffer->format, fourcc);
	if (colour->coefficients == 1 && yuv) {
		snprintf(message, size,
			 "the identity matrix is for RGB formats, and the buffer is %s (YCbCr)",
			 format);
		return false;
	}
	if (colour->coefficients > 1 && !yuv) {
		snprintf(message, size,
			 "matrix coefficients %u are for YCbCr formats, and the buffer is %s (RGB)",
			 colour->coefficients, format);
		return false;
	}
	if (colour->chroma_location && !yuv) {
		snprintf(message, size,
			 "a chroma location is for YCbCr formats, and the buffer is %s (RGB)",
			 format);
		return false;
	}
	return true;
}

/* Checks that the state a commit would make current is consistent; posts the error if not. */
static bool
surface_validate_next(struct sl_surface *surface)
{
	struct sl_buffer *buffer = NEXT_FIELD(surface, SL_STATE_BUFFER, buffer);
	if (!buffer)
		return true;
	struct sl_colour_repr colour = NEXT_FIELD(surface, SL_STATE_COLOUR, colour);
	char colour_error[160];
	if (!colour_fits(&colour, buffer, colour_error, sizeof(colour_error))) {
		assert(surface->colour);
		surface->colour->post_error(surface->colour, colour_error);
		return false;
	}
	int32_t scale = NEXT_FIELD(surface, SL_STATE_SCALE, scale);
	uint32_t transform = NEXT_FIELD(surface, SL_STATE_TRANSFORM, transform);
	struct sl_viewport_params vp = NEXT_FIELD(surface, SL_STATE_VIEWPORT, viewport);
	struct sl_surface_geometry geometry;

	switch (sl_geometry_compute(buffer->width, buffer->height, transform, scale, &vp,
				    &geometry)) {
	case SL_GEOMETRY_OK:
		return true;
	case SL_GEOMETRY_NOT_DIVISIBLE:
		wl_resource_post_error(surface->resource, WL_SURFACE_ERROR_INVALID_SIZE,
				       "buffer size %dx%d is not a multiple of the buffer scale %d",
				       buffer->width, buffer->height, scale);
		return false;
	case SL_GEOMETRY_SRC_NOT_INTEGER: {
		assert(surface->viewport);
		char message[128];
		snprintf(message, sizeof(message),
			 "source size %gx%g is not integer and no destination is set", vp.src_w,
			 vp.src_h);
		surface->viewport->post_error(surface->viewport, SL_GEOMETRY_SRC_NOT_INTEGER,
					      message);
		return false;
	}
	case SL_GEOMETRY_SRC_OUTSIDE: {
		assert(surface->viewport);
		char message[192];
		snprintf(message, sizeof(message),
			 "source rectangle %gx%g at (%g,%g) extends outside the %dx%d "
			 "buffer (scale %d, transform %u)",
			 vp.src_w, vp.src_h, vp.src_x, vp.src_y, buffer->width, buffer->height,
			 scale, transform);
		surface->viewport->post_error(surface->viewport, SL_GEOMETRY_SRC_OUTSIDE, message);
		return false;
	}
	}
	return false;
}

/* Converts buffer-pixel damage to surface-local damage (bounding boxes where scaled/rotated). */
static void
buffer_damage_to_surface(struct sl_surface *surface, const pixman_region32_t *buffer_damage,
			 pixman_region32_t *out)
{
	struct sl_affine to_surface;
	if (!sl_affine_invert(&surface->geometry.surface_to_buffer, &to_surface))
		return;
	int n;
	const pixman_box32_t *boxes =
		pixman_region32_rectangles((pixman_region32_t *)buffer_damage, &n);
	for (int i = 0; i < n; i++) {
		const int32_t in[4] = {boxes[i].x1, boxes[i].y1, boxes[i].x2, boxes[i].y2};
		int32_t b[4];
		sl_affine_box(&to_surface, in, b);
		/* Filtering reads a neighbour pixel when scaling: grow by one to cover it. */
		int32_t pad = surface->geometry.pixel_exact ? 0 : 1;
		region_add_rect(out, b[0] - pad, b[1] - pad, b[2] - b[0] + 2 * pad,
				b[3] - b[1] + 2 * pad);
	}
}

static bool
affine_is_identity(const struct sl_affine *a)
{
	return a->m[0] == 1 && a->m[1] == 0 && a->m[2] == 0 && a->m[3] == 0 && a->m[4] == 1 &&
	       a->m[5] == 0;
}

/* Beyond this many rectangles the content damage becomes its bounding box. */
#define CONTENT_DAMAGE_MAX_RECTS 16

/*
 * Adds this commit's damage to what renderers have yet to copy. Surface-local damage is the
 * buffer's own only where the two coordinate systems are one; elsewhere a damaged commit counts
 * as the whole buffer (renderers that copy content do so only for such plain surfaces anyway).
 */
static void
content_damage_add(struct sl_surface *surface, bool new_buffer)
{
	struct sl_surface_state *cur = &surface->current;
	pixman_region32_t *content = &surface->content_damage;
	if (!cur->buffer) {
		pixman_region32_clear(content);
		return;
	}
	int32_t w = cur->buffer->width, h = cur->buffer->height;
	bool damaged = pixman_region32_not_empty(&cur->surface_damage) ||
		       pixman_region32_not_empty(&cur->buffer_damage);
	if (!affine_is_identity(&surface->geometry.surface_to_buffer)) {
		if (damaged || new_buffer)
			pixman_region32_union_rect(content, content, 0, 0, (unsigned)w,
						   (unsigned)h);
	} else {
		pixman_region32_union(content, content, &cur->surface_damage);
		pixman_region32_union(content, content, &cur->buffer_damage);
	}
	pixman_region32_intersect_rect(content, content, 0, 0, (unsigned)w, (unsigned)h);
	if (pixman_region32_n_rects(content) > CONTENT_DAMAGE_MAX_RECTS) {
		pixman_box32_t box = *pixman_region32_extents(content);
		pixman_region32_reset(content, &box);
	}
}

void
sl_surface_content_copied(struct sl_surface *surface)
{
	pixman_region32_clear(&surface->content_damage);
}

static void
surface_apply_state(struct sl_surface *surface, struct sl_surface_state *next)
{
	struct sl_surface_state *cur = &surface->current;
	int32_t old_w = surface->geometry.width, old_h = surface->geometry.height;
	bool had_buffer = cur->buffer != NULL;
	uint32_t fields = next->committed;

	/* Whatever was committed before and not yet shown is superseded now. */
	sl_feedback_list_discard(&cur->feedbacks);
	if (fields & SL_STATE_BUFFER) {
		fd_close(&surface->buffer_fence);
		surface->buffer_fence = next->acquire_fd;
		next->acquire_fd = -1;
	}
	state_merge(cur, next, true);

	if (cur->buffer) {
		enum sl_geometry_error err =
			sl_geometry_compute(cur->buffer->width, cur->buffer->height, cur->transform,
					    cur->scale, &cur->viewport, &surface->geometry);
		assert(err == SL_GEOMETRY_OK); /* surface_validate_next() ran first */
		(void)err;
	} else {
		surface->geometry = (struct sl_surface_geometry){0};
	}

	pixman_region32_t damage;
	pixman_region32_init(&damage);
	bool geometry_changed =
		surface->geometry.width != old_w || surface->geometry.height != old_h ||
		had_buffer != (cur->buffer != NULL) ||
		(fields &
		 (SL_STATE_TRANSFORM | SL_STATE_SCALE | SL_STATE_VIEWPORT | SL_STATE_OFFSET));
	if (geometry_changed) {
		/* Everything the surface covered before and covers now. */
		region_add_rect(&damage, 0, 0, old_w, old_h);
		region_add_rect(&damage, 0, 0, surface->geometry.width, surface->geometry.height);
	} else if (cur->buffer) {
		pixman_region32_copy(&damage, &cur->surface_damage);
		buffer_damage_to_surface(surface, &cur->buffer_damage, &damage);
		pixman_region32_intersect_rect(&damage, &damage, 0, 0,
					       (unsigned)surface->geometry.width,
					       (unsigned)surface->geometry.height);
	}
	content_damage_add(surface, geometry_changed || (fields & SL_STATE_BUFFER));
	pixman_region32_clear(&cur->surface_damage);
	pixman_region32_clear(&cur->buffer_damage);
	cur->dx = cur->dy = 0;
	cur->committed = 0;

	if (had_buffer && !cur->buffer)
		scene_surface_gone(surface);

	bool structure_changed = sl_subsurface_parent_commit(surface) || geometry_changed;
	if (surface->role && surface->role->commit)
		surface->role->commit(surface);
	scene_surface_committed(surface, &damage, structure_changed);
	pixman_region32_fini(&damage);
	/* The update's own conditions end with it; a barrier it sets goes up now. */
	sl_pacing_commit_applied(surface, cur);
	cur->fifo_set_barrier = cur->fifo_wait_barrier = false;
	cur->target_ns = 0;
}

void
surface_apply_cached(struct sl_surface *surface)
{
	if (!surface->has_cache)
		return;
	surface->has_cache = false;
	surface_apply_state(surface, &surface->cached);
}

/* Makes one commit's state take effect: cached for a synchronized subsurface, else current. */
static void
surface_commit_state(struct sl_surface *surface, struct sl_surface_state *state)
{
	if (sl_surface_is_synchronized(surface)) {
		state_merge(&surface->cached, state, true);
		surface->has_cache = true;
		return;
	}
	if (surface->has_cache) {
		/* A desynchronized subsurface with leftovers: apply both as one update. */
		state_merge(&surface->cached, state, true);
		surface_apply_cached(surface);
	} else {
		surface_apply_state(surface, state);
	}
}

static void
commit_destroy(struct sl_surface_commit *commit)
{
	for (int i = 0; i < MAX_COMMIT_WAITS; i++) {
		if (commit->waits[i].source)
			wl_event_source_remove(commit->waits[i].source);
		if (commit->waits[i].fd >= 0)
			close(commit->waits[i].fd);
		sync_waiter_release(commit->waits[i].waiter);
	}
	wl_list_remove(&commit->link);
	sl_surface_state_finish(&commit->state);
	free(commit);
}

/* A frame whose fence failed: keep everything but its buffer (the last good one stays). */
static void
commit_drop_buffer(struct sl_surface_commit *commit)
{
	struct sl_surface *surface = commit->surface;
	log_warn("surface", "wl_surface@%u: a buffer fence signalled an error: frame dropped",
		 wl_resource_get_id(surface->resource));
	surface->server->stats.fences_failed++;
	if (commit->state.committed & SL_STATE_BUFFER) {
		state_set_buffer(&commit->state, NULL, false);
		sl_release_fire_list(&commit->state.releases);
		commit->state.committed &= ~(uint32_t)SL_STATE_BUFFER;
	}
	pixman_region32_clear(&commit->state.surface_damage);
	pixman_region32_clear(&commit->state.buffer_damage);
	sl_feedback_list_discard(&commit->state.feedbacks);
	commit->state.committed &= ~(uint32_t)SL_STATE_FEEDBACK;
}

void
sl_surface_flush_queue(struct sl_surface *surface)
{
	while (!wl_list_empty(&surface->queued)) {
		struct sl_surface_commit *commit =
			wl_container_of(surface->queued.next, commit, link);
		if (commit->n_waits > 0 ||
		    sl_pacing_commit_held(surface, &commit->state, &commit->paced))
			return;
		if (commit->failed)
			commit_drop_buffer(commit);
		surface_commit_state(surface, &commit->state);
		commit_destroy(commit);
	}
}

static int
commit_handle_fence(int fd, uint32_t mask, void *data)
{
	struct sl_surface_commit *commit = data;
	for (int i = 0; i < MAX_COMMIT_WAITS; i++) {
		if (commit->waits[i].fd != fd)
			continue;
		bool ok = commit->waits[i].sync_file ? sync_file_signalled_ok(fd)
						     : sync_waiter_signalled_ok(fd);
		commit->failed = commit->failed || !ok;
		wl_event_source_remove(commit->waits[i].source);
		commit->waits[i].source = NULL;
		close(fd);
		commit->waits[i].fd = -1;
		sync_waiter_release(commit->waits[i].waiter);
		commit->waits[i].waiter = NULL;
		commit->n_waits--;
	}
	sl_surface_flush_queue(commit->surface);
	return 0;
}

static void
commit_add_wait(struct sl_surface_commit *commit, int fd, struct sync_waiter *waiter)
{
	for (int i = 0; i < MAX_COMMIT_WAITS; i++) {
		if (commit->waits[i].fd >= 0)
			continue;
		commit->waits[i].fd = fd;
		commit->waits[i].sync_file = waiter == NULL;
		commit->waits[i].waiter = waiter;
		commit->waits[i].source =
			wl_event_loop_add_fd(commit->surface->server->loop, fd, WL_EVENT_READABLE,
					     commit_handle_fence, commit);
		if (commit->waits[i].source)
			commit->n_waits++;
		else
			log_errno("surface", "cannot wait for a buffer fence: not waiting");
		return;
	}
	assert(!"more waits than a commit can have");
	close(fd);
	sync_waiter_release(waiter);
}

/* Moves the pending state into a queued commit waiting for fds (which it takes over). */
static void
surface_queue_commit(struct sl_surface *surface, const int *sync_files, int n_sync_files,
		     int waiter_fd, struct sync_waiter *waiter, uint8_t paced)
{
	struct sl_surface_commit *commit = calloc(1, sizeof(*commit));
	if (!commit) {
		for (int i = 0; i < n_sync_files; i++)
			close(sync_files[i]);
		if (waiter_fd >= 0)
			close(waiter_fd);
		sync_waiter_release(waiter);
		wl_client_post_no_memory(wl_resource_get_client(surface->resource));
		return;
	}
	commit->surface = surface;
	commit->paced = paced;
	sl_surface_state_init(&commit->state);
	for (int i = 0; i < MAX_COMMIT_WAITS; i++)
		commit->waits[i].fd = -1;
	for (int i = 0; i < n_sync_files; i++)
		commit_add_wait(commit, sync_files[i], NULL);
	if (waiter_fd >= 0)
		commit_add_wait(commit, waiter_fd, waiter);
	/* The queue owns a lock: the client may destroy the wl_buffer meanwhile. */
	state_merge(&commit->state, &surface->pending, true);
	wl_list_insert(surface->queued.prev, &commit->link);
	surface->server->stats.commits_queued++;
}

/*
 * --acquire-fences=kms: a new dma-buf for a surface that is on a plane is applied at once, its
 * acquire fence (a sync_file, or the syncobj point's, once submitted) kept for the plane's
 * IN_FENCE_FD. Leaves the fence in pending->acquire_fd and returns true; false to wait here.
 */
static bool
fence_goes_to_kms(struct sl_surface *surface)
{
	struct sl_surface_state *pending = &surface->pending;
	if (!surface->server->options.acquire_fences_to_kms || !surface->scanned_out ||
	    !wl_list_empty(&surface->queued) || sl_surface_is_synchronized(surface) ||
	    surface->has_cache || !(pending->committed & SL_STATE_BUFFER) || !pending->buffer ||
	    pending->buffer->type != SL_BUFFER_DMABUF)
		return false;
	if (pending->acquire.timeline) {
		if (pending->acquire_fd >= 0)
			return false;
		pending->acquire_fd = sync_point_export_sync_file(&pending->acquire);
		if (pending->acquire_fd < 0)
			return false;
		sl_sync_point_unset(&pending->acquire);
	}
	return true;
}

static void
surface_handle_commit(struct wl_client *client, struct wl_resource *resource)
{
	struct sl_surface *surface = sl_surface_from_resource(resource);
	if (!surface_validate_next(surface))
		return;
	if (surface->role && surface->role->precommit && !surface->role->precommit(surface))
		return;
	struct sl_surface_precommit_event event = {.surface = surface};
	wl_signal_emit_mutable(&surface->events.precommit, &event);
	if (event.rejected)
		return;
	wl_signal_emit_mutable(&surface->server->events.surface_commit, surface);

	int fds[MAX_COMMIT_WAITS];
	int n_fds = 0, waiter_fd = -1;
	struct sync_waiter *waiter = NULL;
	struct sl_surface_state *pending = &surface->pending;
	struct sl_buffer *buffer = pending->buffer;
	/* Behind queued commits it waits anyway; alone it may wait for its barrier or time. */
	uint8_t paced = 0;
	bool held =
		wl_list_empty(&surface->queued) && sl_pacing_commit_held(surface, pending, &paced);
	if ((pending->acquire_fd >= 0 || pending->acquire.timeline) && !held &&
	    fence_goes_to_kms(surface)) {
		/* Applied now: the plane (or the repaint) waits for the fence instead. */
		surface->server->stats.explicit_fences++;
	} else if (pending->acquire_fd >= 0 || pending->acquire.timeline) {
		/* Explicit sync: the client's fence replaces the implicit ones. */
		if (pending->acquire_fd >= 0) {
			if (sync_file_signalled_ok(pending->acquire_fd))
				close(pending->acquire_fd);
			else
				fds[n_fds++] = pending->acquire_fd;
			pending->acquire_fd = -1;
		}
		if (pending->acquire.timeline) {
			waiter_fd = sync_point_wait(surface->server, &pending->acquire, &waiter);
			sl_sync_point_unset(&pending->acquire);
		}
		surface->server->stats.explicit_fences++;
	} else if ((pending->committed & SL_STATE_BUFFER) && buffer) {
		/* Implicit sync: a dma-buf the GPU still writes is not shown before it is done. */
		n_fds = sl_buffer_export_fences(buffer, fds);
		if (n_fds > 0)
			surface->server->stats.implicit_fences++;
	}
	if (held || n_fds > 0 || waiter_fd >= 0 || !wl_list_empty(&surface->queued)) {
		surface_queue_commit(surface, fds, n_fds, waiter_fd, waiter, paced);
		sl_surface_flush_queue(surface);
		return;
	}
	surface_commit_state(surface, &surface->pending);
}

void
sl_surface_set_scanout_candidate(struct sl_surface *surface, bool candidate)
{
	if (surface->scanout_candidate == candidate)
		return;
	surface->scanout_candidate = candidate;
	wl_signal_emit_mutable(&surface->events.scanout_candidate, surface);
}

static void
surface_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
surface_handle_attach(struct wl_client *client, struct wl_resource *resource,
		      struct wl_resource *buffer_resource, int32_t x, int32_t y)
{
	struct sl_surface *surface = sl_surface_from_resource(resource);
	struct sl_buffer *buffer = NULL;

	if (buffer_resource) {
		buffer = sl_buffer_from_resource(buffer_resource);
		if (!buffer) {
			wl_resource_post_error(resource, WL_DISPLAY_ERROR_INVALID_OBJECT,
					       "wl_buffer@%u was not created by a buffer factory "
					       "sluice supports",
					       wl_resource_get_id(buffer_resource));
			return;
		}
	}
	if (wl_resource_get_version(resource) >= WL_SURFACE_OFFSET_SINCE_VERSION) {
		if (x != 0 || y != 0) {
			wl_resource_post_error(
				resource, WL_SURFACE_ERROR_INVALID_OFFSET,
				"attach with offset (%d,%d) on wl_surface version %d: "
				"use wl_surface.offset",
				x, y, wl_resource_get_version(resource));
			return;
		}
	} else {
		surface->pending.dx = x;
		surface->pending.dy = y;
		surface->pending.committed |= SL_STATE_OFFSET;
	}
	state_set_buffer(&surface->pending, buffer, false);
	surface->pending.committed |= SL_STATE_BUFFER;
}

static void
surface_handle_damage(struct wl_client *client, struct wl_resource *resource, int32_t x, int32_t y,
		      int32_t w, int32_t h)
{
	struct sl_surface *surface = sl_surface_from_resource(resource);
	region_add_rect(&surface->pending.surface_damage, x, y, w, h);
	surface->pending.committed |= SL_STATE_SURFACE_DAMAGE;
}

static void
surface_handle_damage_buffer(struct wl_client *client, struct wl_resource *resource, int32_t x,
			     int32_t y, int32_t w, int32_t h)
{
	struct sl_surface *surface = sl_surface_from_resource(resource);
	region_add_rect(&surface->pending.buffer_damage, x, y, w, h);
	surface->pending.committed |= SL_STATE_BUFFER_DAMAGE;
}

static void
callback_handle_resource_destroy(struct wl_resource *resource)
{
	sl_resource_unlink(resource);
}

static void
surface_handle_frame(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
	struct sl_surface *surface = sl_surface_from_resource(resource);
	struct wl_resource *callback =
		sl_resource_create(client, &wl_callback_interface, 1, id, NULL, NULL,
				   callback_handle_resource_destroy);
	if (!callback)
		return;
	wl_list_insert(surface->pending.frame_callbacks.prev, wl_resource_get_link(callback));
	surface->pending.committed |= SL_STATE_FRAME_CALLBACKS;
}

static void
surface_handle_set_opaque_region(struct wl_client *client, struct wl_resource *resource,
				 struct wl_resource *region_resource)
{
	struct sl_surface *surface = sl_surface_from_resource(resource);
	if (region_resource)
		pixman_region32_copy(&surface->pending.opaque,
				     region_from_resource(region_resource));
	else
		pixman_region32_clear(&surface->pending.opaque);
	surface->pending.committed |= SL_STATE_OPAQUE_REGION;
}

static void
surface_handle_set_input_region(struct wl_client *client, struct wl_resource *resource,
				struct wl_resource *region_resource)
{
	struct sl_surface *surface = sl_surface_from_resource(resource);
	if (region_resource) {
		pixman_region32_copy(&surface->pending.input,
				     region_from_resource(region_resource));
	} else {
		pixman_region32_fini(&surface->pending.input);
		region_init_infinite(&surface->pending.input);
	}
	surface->pending.committed |= SL_STATE_INPUT_REGION;
}

static void
surface_handle_set_buffer_transform(struct wl_client *client, struct wl_resource *resource,
				    int32_t transform)
{
	struct sl_surface *surface = sl_surface_from_resource(resource);
	if (transform < WL_OUTPUT_TRANSFORM_NORMAL || transform > WL_OUTPUT_TRANSFORM_FLIPPED_270) {
		wl_resource_post_error(
			resource, WL_SURFACE_ERROR_INVALID_TRANSFORM,
			"buffer transform %d is not a wl_output.transform value (0-7)", transform);
		return;
	}
	surface->pending.transform = (uint32_t)transform;
	surface->pending.committed |= SL_STATE_TRANSFORM;
}

static void
surface_handle_set_buffer_scale(struct wl_client *client, struct wl_resource *resource,
				int32_t scale)
{
	struct sl_surface *surface = sl_surface_from_resource(resource);
	if (scale < 1) {
		wl_resource_post_error(resource, WL_SURFACE_ERROR_INVALID_SCALE,
				       "buffer scale %d is not positive", scale);
		return;
	}
	surface->pending.scale = scale;
	surface->pending.committed |= SL_STATE_SCALE;
}

static void
surface_handle_offset(struct wl_client *client, struct wl_resource *resource, int32_t x, int32_t y)
{
	struct sl_surface *surface = sl_surface_from_resource(resource);
	surface->pending.dx = x;
	surface->pending.dy = y;
	surface->pending.committed |= SL_STATE_OFFSET;
}

static const struct wl_surface_interface surface_impl = {
	.destroy = surface_handle_destroy,
	.attach = surface_handle_attach,
	.damage = surface_handle_damage,
	.frame = surface_handle_frame,
	.set_opaque_region = surface_handle_set_opaque_region,
	.set_input_region = surface_handle_set_input_region,
	.commit = surface_handle_commit,
	.set_buffer_transform = surface_handle_set_buffer_transform,
	.set_buffer_scale = surface_handle_set_buffer_scale,
	.damage_buffer = surface_handle_damage_buffer,
	.offset = surface_handle_offset,
};

struct sl_surface *
sl_surface_from_resource(struct wl_resource *resource)
{
	assert(wl_resource_instance_of(resource, &wl_surface_interface, &surface_impl));
	return wl_resource_get_user_data(resource);
}

static void
surface_handle_resource_destroy(struct wl_resource *resource)
{
	struct sl_surface *surface = wl_resource_get_user_data(resource);
	/* Role objects, subsurfaces and the viewport go inert before the state is torn down. */
	wl_signal_emit_mutable(&surface->events.destroy, surface);
	struct sl_surface_commit *commit, *tmp;
	wl_list_for_each_safe (commit, tmp, &surface->queued, link)
		commit_destroy(commit);
	sl_pacing_surface_finish(surface);
	scene_surface_gone(surface);
	wl_list_remove(&surface->self_node.link);
	wl_list_remove(&surface->self_node.pending_link);
	assert(wl_list_empty(&surface->subsurfaces));
	assert(wl_list_empty(&surface->subsurfaces_pending));
	sl_surface_state_finish(&surface->pending);
	sl_surface_state_finish(&surface->cached);
	sl_surface_state_finish(&surface->current);
	pixman_region32_fini(&surface->content_damage);
	fd_close(&surface->buffer_fence);
	free(surface);
}

void
surface_create(struct sl_server *server, struct wl_client *client, uint32_t version, uint32_t id)
{
	struct sl_surface *surface = calloc(1, sizeof(*surface));
	if (!surface) {
		wl_client_post_no_memory(client);
		return;
	}
	surface->resource = wl_resource_create(client, &wl_surface_interface, (int)version, id);
	if (!surface->resource) {
		free(surface);
		wl_client_post_no_memory(client);
		return;
	}
	surface->server = server;
	surface->buffer_fence = -1;
	sl_surface_state_init(&surface->pending);
	sl_surface_state_init(&surface->cached);
	sl_surface_state_init(&surface->current);
	pixman_region32_init(&surface->content_damage);
	wl_list_init(&surface->subsurfaces);
	wl_list_init(&surface->subsurfaces_pending);
	wl_list_insert(&surface->subsurfaces, &surface->self_node.link);
	wl_list_insert(&surface->subsurfaces_pending, &surface->self_node.pending_link);
	wl_list_init(&surface->queued);
	wl_list_init(&surface->fifo_link);
	wl_signal_init(&surface->events.destroy);
	wl_signal_init(&surface->events.scanout_candidate);
	wl_signal_init(&surface->events.precommit);
	wl_resource_set_implementation(surface->resource, &surface_impl, surface,
				       surface_handle_resource_destroy);
}
