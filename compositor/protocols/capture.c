/* sluice_capture_v1: copies what an output presented into a client's wl_shm buffer. */
#include <assert.h>
#include <drm_fourcc.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-server-protocol.h>

#include "core/buffer.h"
#include "formats.h"
#include "log.h"
#include "core/output.h"
#include "core/resource.h"
#include "protocols/capture-queue.h"
#include "protocols/protocols.h"
#include "core/server.h"
#include "sluice-capture-v1-server-protocol.h"

struct sl_capture_frame {
	struct wl_resource *resource;
	struct sl_output *output; /* NULL once finished or the output went away */
	struct sl_buffer *buffer; /* locked while queued */
	struct capture_request request;
	struct wl_listener output_destroy; /* while output is set */
	bool used;
};

static void
capture_frame_finish(struct sl_capture_frame *frame)
{
	capture_request_cancel(&frame->request);
	if (frame->buffer)
		sl_buffer_unlock(frame->buffer);
	frame->buffer = NULL;
	if (frame->output)
		wl_list_remove(&frame->output_destroy.link);
	frame->output = NULL;
}

static void
capture_frame_handle_output_destroy(struct wl_listener *listener, void *data)
{
	struct sl_capture_frame *frame = wl_container_of(listener, frame, output_destroy);
	/* A queued request is answered by the queue; one not yet copied fails at copy. */
	wl_list_remove(&frame->output_destroy.link);
	frame->output = NULL;
}

/* The frame's pixels, or the reason it has none. */
static void
capture_frame_done(struct capture_request *request, const struct sl_output_readback_event *event)
{
	struct sl_capture_frame *frame = wl_container_of(request, frame, request);
	struct sl_output *output = event->output;
	struct sl_buffer *buffer = frame->buffer;
	struct sl_buffer_access access;
	if (!event->pixels) {
		sluice_capture_frame_v1_send_failed(frame->resource, event->reason);
	} else if (!buffer->resource || !sl_buffer_begin_access(buffer, &access)) {
		sluice_capture_frame_v1_send_failed(frame->resource, "the buffer was destroyed");
	} else {
		/* The buffer was checked at copy: same size, XRGB8888, tight stride. */
		size_t row = (size_t)output->pixel_width * 4;
		for (int32_t y = 0; y < output->pixel_height; y++)
			memcpy((uint8_t *)access.data + (size_t)y * access.stride,
			       (const uint8_t *)event->pixels + (size_t)y * event->stride, row);
		sl_buffer_end_access(buffer);
		uint64_t sec = (uint64_t)(event->time_ns / 1000000000);
		sluice_capture_frame_v1_send_ready(
			frame->resource, (uint32_t)(sec >> 32), (uint32_t)sec,
			(uint32_t)(event->time_ns % 1000000000), (uint32_t)(event->msc >> 32),
			(uint32_t)event->msc);
	}
	capture_frame_finish(frame);
}

static void
capture_frame_handle_copy(struct wl_client *client, struct wl_resource *resource,
			  struct wl_resource *buffer_resource)
{
	struct sl_capture_frame *frame = wl_resource_get_user_data(resource);
	if (frame->used) {
		wl_resource_post_error(resource, SLUICE_CAPTURE_FRAME_V1_ERROR_ALREADY_USED,
				       "copy was already requested on this frame");
		return;
	}
	frame->used = true;
	if (!frame->output) {
		sluice_capture_frame_v1_send_failed(resource, "the output went away");
		return;
	}
	struct sl_output *output = frame->output;
	struct sl_buffer *buffer = sl_buffer_from_resource(buffer_resource);
	if (!buffer || buffer->type != SL_BUFFER_SHM || buffer->width != output->pixel_width ||
	    buffer->height != output->pixel_height || buffer->format != DRM_FORMAT_XRGB8888 ||
	    buffer->shm.stride != output->pixel_width * 4) {
		wl_resource_post_error(
			resource, SLUICE_CAPTURE_FRAME_V1_ERROR_INVALID_BUFFER,
			"capture needs a %dx%d XRGB8888 wl_shm buffer with stride %d",
			output->pixel_width, output->pixel_height, output->pixel_width * 4);
		return;
	}
	if (!capture_request_queue(&frame->request, output)) {
		wl_client_post_no_memory(client);
		return;
	}
	frame->buffer = sl_buffer_lock(buffer);
}

static void
capture_frame_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct sluice_capture_frame_v1_interface capture_frame_impl = {
	.copy = capture_frame_handle_copy,
	.destroy = capture_frame_handle_destroy,
};

static void
capture_frame_handle_resource_destroy(struct wl_resource *resource)
{
	struct sl_capture_frame *frame = wl_resource_get_user_data(resource);
	capture_frame_finish(frame);
	free(frame);
}

static void
capture_handle_capture_output(struct wl_client *client, struct wl_resource *resource, uint32_t id,
			      struct wl_resource *output_resource)
{
	struct sl_capture_frame *frame = calloc(1, sizeof(*frame));
	if (!frame) {
		wl_client_post_no_memory(client);
		return;
	}
	frame->resource = wl_resource_create(client, &sluice_capture_frame_v1_interface, 1, id);
	if (!frame->resource) {
		free(frame);
		wl_client_post_no_memory(client);
		return;
	}
	capture_request_init(&frame->request, capture_frame_done);
	wl_resource_set_implementation(frame->resource, &capture_frame_impl, frame,
				       capture_frame_handle_resource_destroy);
	frame->output = sl_output_from_resource(output_resource);
	if (!frame->output) {
		sluice_capture_frame_v1_send_failed(frame->resource, "the output went away");
		return;
	}
	frame->output_destroy.notify = capture_frame_handle_output_destroy;
	wl_signal_add(&frame->output->events.destroy, &frame->output_destroy);
	sluice_capture_frame_v1_send_buffer(
		frame->resource, format_shm_from_drm(DRM_FORMAT_XRGB8888),
		(uint32_t)frame->output->pixel_width, (uint32_t)frame->output->pixel_height,
		(uint32_t)frame->output->pixel_width * 4);
}

static void
capture_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct sluice_capture_manager_v1_interface capture_impl = {
	.destroy = capture_handle_destroy,
	.capture_output = capture_handle_capture_output,
};

static void
capture_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource = sl_resource_create(
		client, &sluice_capture_manager_v1_interface, 1, id, &capture_impl, data, NULL);
	if (!resource)
		return;
}

bool
capture_global_init(struct sl_server *server)
{
	struct wl_global *global = wl_global_create(
		server->display, &sluice_capture_manager_v1_interface, 1, server, capture_bind);
	return global != NULL;
}
