/*
 * ext_output_image_capture_source_manager_v1 and ext_image_copy_capture_manager_v1: the
 * standard capture protocols, only with --capture. A source names an output; a session on it
 * says what buffers it fills (the output's size, XRGB8888 in wl_shm, and on a device linear
 * XRGB8888 dma-bufs) and copies the output's readback into one frame's buffer at a time, with
 * the tiles that changed since the session's last frame. As with wlr-screencopy, the pixels
 * are what the CRTC produced, so a cursor is in them exactly when it was on screen, whether
 * paint_cursors was asked for or not; cursor sessions are refused (their image session stops
 * at once): sluice's cursor is part of the output's image, not a capturable thing of its own.
 */
#include <ext-image-capture-source-v1-server-protocol.h>
#include <ext-image-copy-capture-v1-server-protocol.h>
#include <drm_fourcc.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-server-protocol.h>

#include "core/buffer.h"
#include "core/output.h"
#include "core/resource.h"
#include "core/server.h"
#include "protocols/capture-copy.h"
#include "protocols/capture-queue.h"
#include "protocols/protocols.h"

/* ---- sources ---- */

struct capture_source {
	struct wl_resource *resource;
	struct sl_output *output; /* NULL once it is gone (or was when the source was made) */
	struct wl_listener output_destroy;
};

static void
source_forget_output(struct capture_source *source)
{
	if (!source->output)
		return;
	wl_list_remove(&source->output_destroy.link);
	source->output = NULL;
}

static void
source_handle_output_destroy(struct wl_listener *listener, void *data)
{
	struct capture_source *source = wl_container_of(listener, source, output_destroy);
	source_forget_output(source);
}

static void
source_handle_resource_destroy(struct wl_resource *resource)
{
	struct capture_source *source = wl_resource_get_user_data(resource);
	source_forget_output(source);
	free(source);
}

static void
handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct ext_image_capture_source_v1_interface source_impl = {
	.destroy = handle_destroy,
};

static void
output_source_manager_handle_create_source(struct wl_client *client, struct wl_resource *resource,
					   uint32_t id, struct wl_resource *output_resource)
{
	struct capture_source *source = calloc(1, sizeof(*source));
	if (!source) {
		wl_client_post_no_memory(client);
		return;
	}
	source->resource = sl_resource_create(client, &ext_image_capture_source_v1_interface, 1, id,
					      &source_impl, source, source_handle_resource_destroy);
	if (!source->resource) {
		free(source);
		return;
	}
	source->output = sl_output_from_resource(output_resource);
	if (source->output) {
		source->output_destroy.notify = source_handle_output_destroy;
		wl_signal_add(&source->output->events.destroy, &source->output_destroy);
	}
}

static const struct ext_output_image_capture_source_manager_v1_interface
	output_source_manager_impl = {
		.create_source = output_source_manager_handle_create_source,
		.destroy = handle_destroy,
};

static void
output_source_manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	sl_resource_create(client, &ext_output_image_capture_source_manager_v1_interface, 1, id,
			   &output_source_manager_impl, data, NULL);
}

/* ---- sessions and frames ---- */

struct copy_frame;

struct copy_session {
	struct wl_resource *resource;
	struct sl_output *output; /* NULL once stopped */
	struct wl_listener output_destroy;
	struct copy_frame *frame;     /* the one frame object, or NULL */
	struct capture_reference ref; /* the last frame made ready: what damage is against */
};

struct copy_frame {
	struct wl_resource *resource;
	struct copy_session *session; /* NULL once the session is gone */
	struct sl_buffer *buffer;     /* attached, locked until the frame finishes */
	bool attached;		      /* a wl_buffer was, even one sluice cannot use */
	bool captured, finished;
	struct capture_request request;
};

static struct sl_output *
frame_output(const struct copy_frame *frame)
{
	return frame->session ? frame->session->output : NULL;
}

/* No more events: the buffer let go, nothing queued or waited for. */
static void
frame_finish(struct copy_frame *frame)
{
	frame->finished = true;
	capture_request_cancel(&frame->request);
	if (frame->buffer)
		sl_buffer_unlock(frame->buffer);
	frame->buffer = NULL;
}

static void
frame_fail(struct copy_frame *frame, enum ext_image_copy_capture_frame_v1_failure_reason reason)
{
	ext_image_copy_capture_frame_v1_send_failed(frame->resource, reason);
	frame_finish(frame);
}

static void
frame_done(struct capture_request *request, const struct sl_output_readback_event *event)
{
	struct copy_frame *frame = wl_container_of(request, frame, request);
	struct copy_session *session = frame->session;
	if (!session || !session->output) {
		frame_fail(frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED);
		return;
	}
	if (!event->pixels) {
		frame_fail(frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_UNKNOWN);
		return;
	}
	struct sl_output *output = session->output;
	const pixman_box32_t box = {0, 0, output->pixel_width, output->pixel_height};
	pixman_region32_t damage;
	capture_reference_damage(&session->ref, &box, event->pixels, event->stride, &damage);
	if (!pixman_region32_not_empty(&damage)) {
		/* Not the session's first frame, and nothing changed: wait for a change. */
		pixman_region32_fini(&damage);
		if (!capture_request_queue_on_change(&frame->request, output))
			frame_fail(frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_UNKNOWN);
		return;
	}
	if (!capture_copy_to_buffer(frame->buffer, &box, event->pixels, event->stride)) {
		pixman_region32_fini(&damage);
		frame_fail(frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_UNKNOWN);
		return;
	}
	/* Without memory for a reference the next frame is simply damaged whole. */
	capture_reference_update(&session->ref, &box, event->pixels, event->stride);

	/* The frame holds the output's pixels: the client turns them as the output is turned. */
	ext_image_copy_capture_frame_v1_send_transform(frame->resource, output->transform);
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(&damage, &n);
	for (int i = 0; i < n; i++)
		ext_image_copy_capture_frame_v1_send_damage(frame->resource, rects[i].x1,
							    rects[i].y1, rects[i].x2 - rects[i].x1,
							    rects[i].y2 - rects[i].y1);
	pixman_region32_fini(&damage);
	uint64_t sec = (uint64_t)(event->time_ns / 1000000000);
	ext_image_copy_capture_frame_v1_send_presentation_time(
		frame->resource, (uint32_t)(sec >> 32), (uint32_t)sec,
		(uint32_t)(event->time_ns % 1000000000));
	ext_image_copy_capture_frame_v1_send_ready(frame->resource);
	frame_finish(frame);
}

static bool
frame_not_captured(struct wl_resource *resource, const char *request)
{
	struct copy_frame *frame = wl_resource_get_user_data(resource);
	if (frame->captured)
		wl_resource_post_error(resource,
				       EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_ALREADY_CAPTURED,
				       "%s: this frame was already captured", request);
	return !frame->captured;
}

static void
frame_handle_attach_buffer(struct wl_client *client, struct wl_resource *resource,
			   struct wl_resource *buffer_resource)
{
	struct copy_frame *frame = wl_resource_get_user_data(resource);
	if (!frame_not_captured(resource, "attach_buffer"))
		return;
	struct sl_buffer *buffer = sl_buffer_from_resource(buffer_resource);
	if (frame->buffer)
		sl_buffer_unlock(frame->buffer);
	/* A wl_buffer sluice cannot use stays NULL here and fails the capture's constraints. */
	frame->buffer = buffer ? sl_buffer_lock(buffer) : NULL;
	frame->attached = true;
}

static void
frame_handle_damage_buffer(struct wl_client *client, struct wl_resource *resource, int32_t x,
			   int32_t y, int32_t width, int32_t height)
{
	if (!frame_not_captured(resource, "damage_buffer"))
		return;
	if (x < 0 || y < 0 || width <= 0 || height <= 0) {
		wl_resource_post_error(resource,
				       EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_INVALID_BUFFER_DAMAGE,
				       "buffer damage %d,%d %dx%d: the position must not be "
				       "negative and the size must be positive",
				       x, y, width, height);
		return;
	}
	/* Every frame is written whole, which covers any damage a client can name. */
}

static void
frame_handle_capture(struct wl_client *client, struct wl_resource *resource)
{
	struct copy_frame *frame = wl_resource_get_user_data(resource);
	if (!frame_not_captured(resource, "capture"))
		return;
	if (!frame->attached) {
		wl_resource_post_error(resource, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_NO_BUFFER,
				       "capture without a buffer attached");
		return;
	}
	frame->captured = true;
	struct sl_output *output = frame_output(frame);
	if (!output) {
		frame_fail(frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED);
		return;
	}
	if (!capture_buffer_fits(frame->buffer, output->pixel_width, output->pixel_height)) {
		frame_fail(frame,
			   EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS);
		return;
	}
	if (!capture_request_queue(&frame->request, output))
		wl_client_post_no_memory(client);
}

static const struct ext_image_copy_capture_frame_v1_interface frame_impl = {
	.destroy = handle_destroy,
	.attach_buffer = frame_handle_attach_buffer,
	.damage_buffer = frame_handle_damage_buffer,
	.capture = frame_handle_capture,
};

static void
frame_handle_resource_destroy(struct wl_resource *resource)
{
	struct copy_frame *frame = wl_resource_get_user_data(resource);
	frame_finish(frame);
	if (frame->session)
		frame->session->frame = NULL;
	free(frame);
}

/* The output went, or the session was refused from the start: no more frames. */
static void
session_stop(struct copy_session *session)
{
	if (session->output)
		wl_list_remove(&session->output_destroy.link);
	session->output = NULL;
	ext_image_copy_capture_session_v1_send_stopped(session->resource);
	struct copy_frame *frame = session->frame;
	if (frame && frame->captured && !frame->finished)
		frame_fail(frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED);
}

static void
session_handle_output_destroy(struct wl_listener *listener, void *data)
{
	struct copy_session *session = wl_container_of(listener, session, output_destroy);
	session_stop(session);
}

static void
session_handle_create_frame(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
	struct copy_session *session = wl_resource_get_user_data(resource);
	if (session->frame) {
		wl_resource_post_error(resource,
				       EXT_IMAGE_COPY_CAPTURE_SESSION_V1_ERROR_DUPLICATE_FRAME,
				       "this session's frame %u still exists",
				       wl_resource_get_id(session->frame->resource));
		return;
	}
	struct copy_frame *frame = calloc(1, sizeof(*frame));
	if (!frame) {
		wl_client_post_no_memory(client);
		return;
	}
	frame->resource = sl_resource_create(client, &ext_image_copy_capture_frame_v1_interface, 1,
					     id, &frame_impl, frame, frame_handle_resource_destroy);
	if (!frame->resource) {
		free(frame);
		return;
	}
	capture_request_init(&frame->request, frame_done);
	frame->session = session;
	session->frame = frame;
}

static const struct ext_image_copy_capture_session_v1_interface session_impl = {
	.create_frame = session_handle_create_frame,
	.destroy = handle_destroy,
};

static void
session_handle_resource_destroy(struct wl_resource *resource)
{
	struct copy_session *session = wl_resource_get_user_data(resource);
	struct copy_frame *frame = session->frame;
	if (frame) {
		/* The frame stays, but there is nothing left for it to capture. */
		frame->session = NULL;
		if (frame->captured && !frame->finished)
			frame_fail(frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED);
	}
	if (session->output)
		wl_list_remove(&session->output_destroy.link);
	capture_reference_finish(&session->ref);
	free(session);
}

/* The session's buffer constraints, as one batch. */
static void
session_send_constraints(struct copy_session *session, struct sl_server *server)
{
	struct wl_resource *r = session->resource;
	ext_image_copy_capture_session_v1_send_buffer_size(
		r, (uint32_t)session->output->pixel_width, (uint32_t)session->output->pixel_height);
	ext_image_copy_capture_session_v1_send_shm_format(r, WL_SHM_FORMAT_XRGB8888);
	if (server->has_main_device) {
		struct wl_array device, modifiers;
		wl_array_init(&device);
		wl_array_init(&modifiers);
		dev_t *dev = wl_array_add(&device, sizeof(*dev));
		uint64_t *linear = wl_array_add(&modifiers, sizeof(*linear));
		if (dev && linear) {
			*dev = server->main_device;
			*linear = DRM_FORMAT_MOD_LINEAR;
			ext_image_copy_capture_session_v1_send_dmabuf_device(r, &device);
			ext_image_copy_capture_session_v1_send_dmabuf_format(r, DRM_FORMAT_XRGB8888,
									     &modifiers);
		}
		wl_array_release(&device);
		wl_array_release(&modifiers);
	}
	ext_image_copy_capture_session_v1_send_done(r);
}

/* A session on output, or (output NULL) one that stops at once. */
static struct copy_session *
session_create(struct wl_client *client, struct sl_server *server, uint32_t id,
	       struct sl_output *output)
{
	struct copy_session *session = calloc(1, sizeof(*session));
	if (!session) {
		wl_client_post_no_memory(client);
		return NULL;
	}
	session->resource =
		sl_resource_create(client, &ext_image_copy_capture_session_v1_interface, 1, id,
				   &session_impl, session, session_handle_resource_destroy);
	if (!session->resource) {
		free(session);
		return NULL;
	}
	if (!output) {
		session_stop(session);
		return session;
	}
	session->output = output;
	session->output_destroy.notify = session_handle_output_destroy;
	wl_signal_add(&output->events.destroy, &session->output_destroy);
	session_send_constraints(session, server);
	return session;
}

/* ---- cursor sessions: refused ---- */

struct cursor_session {
	bool got_session;
};

static void
cursor_session_handle_get_capture_session(struct wl_client *client, struct wl_resource *resource,
					  uint32_t id)
{
	struct cursor_session *cursor = wl_resource_get_user_data(resource);
	if (cursor->got_session) {
		wl_resource_post_error(
			resource, EXT_IMAGE_COPY_CAPTURE_CURSOR_SESSION_V1_ERROR_DUPLICATE_SESSION,
			"this cursor session's image session was already made");
		return;
	}
	cursor->got_session = true;
	/* The cursor is not captured on its own: its image session stops at once. */
	session_create(client, NULL, id, NULL);
}

static const struct ext_image_copy_capture_cursor_session_v1_interface cursor_session_impl = {
	.destroy = handle_destroy,
	.get_capture_session = cursor_session_handle_get_capture_session,
};

static void
cursor_session_handle_resource_destroy(struct wl_resource *resource)
{
	free(wl_resource_get_user_data(resource));
}

/* ---- the manager ---- */

static void
manager_handle_create_session(struct wl_client *client, struct wl_resource *resource, uint32_t id,
			      struct wl_resource *source_resource, uint32_t options)
{
	if (options & ~(uint32_t)EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_OPTIONS_PAINT_CURSORS) {
		wl_resource_post_error(resource,
				       EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_ERROR_INVALID_OPTION,
				       "options %#x: only paint_cursors (1) is defined", options);
		return;
	}
	struct capture_source *source = wl_resource_get_user_data(source_resource);
	session_create(client, wl_resource_get_user_data(resource), id, source->output);
}

static void
manager_handle_create_pointer_cursor_session(struct wl_client *client, struct wl_resource *resource,
					     uint32_t id, struct wl_resource *source,
					     struct wl_resource *pointer)
{
	struct cursor_session *cursor = calloc(1, sizeof(*cursor));
	if (!cursor) {
		wl_client_post_no_memory(client);
		return;
	}
	if (!sl_resource_create(client, &ext_image_copy_capture_cursor_session_v1_interface, 1, id,
				&cursor_session_impl, cursor,
				cursor_session_handle_resource_destroy))
		free(cursor);
}

static const struct ext_image_copy_capture_manager_v1_interface manager_impl = {
	.create_session = manager_handle_create_session,
	.create_pointer_cursor_session = manager_handle_create_pointer_cursor_session,
	.destroy = handle_destroy,
};

static void
manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	sl_resource_create(client, &ext_image_copy_capture_manager_v1_interface, 1, id,
			   &manager_impl, data, NULL);
}

bool
image_copy_capture_globals_init(struct sl_server *server)
{
	return wl_global_create(server->display,
				&ext_output_image_capture_source_manager_v1_interface, 1, server,
				output_source_manager_bind) &&
	       wl_global_create(server->display, &ext_image_copy_capture_manager_v1_interface, 1,
				server, manager_bind);
}
