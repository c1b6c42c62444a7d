/* sluice_capture_v1: copies what an output presented into a client's wl_shm buffer. */
#include "capture.h"

#include <assert.h>
#include <drm_fourcc.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-server-protocol.h>

#include "buffer.h"
#include "formats.h"
#include "log.h"
#include "output.h"
#include "resource.h"
#include "server.h"
#include "sluice-capture-v1-server-protocol.h"

struct sl_capture_frame {
	struct wl_resource *resource;
	struct sl_output *output; /* NULL once finished or the output went away */
	struct sl_buffer *buffer; /* locked while queued */
	struct wl_list link;	  /* sl_output.captures or captures_in_flight while queued */
	bool used;
};

static void
capture_frame_finish(struct sl_capture_frame *frame)
{
	if (frame->buffer) {
		wl_list_remove(&frame->link);
		sl_buffer_unlock(frame->buffer);
		frame->buffer = NULL;
	}
	frame->output = NULL;
}

void
capture_output_frame_started(struct sl_output *output)
{
	wl_list_insert_list(output->captures_in_flight.prev, &output->captures);
	wl_list_init(&output->captures);
}

bool
capture_output_frame_wants_capture(struct sl_output *output)
{
	return !wl_list_empty(&output->captures_in_flight);
}

void
capture_output_deliver(struct sl_output *output, const void *pixels, uint32_t stride,
		       int64_t time_ns, uint64_t msc, const char *reason)
{
	struct sl_capture_frame *frame, *tmp;
	wl_list_for_each_safe (frame, tmp, &output->captures_in_flight, link) {
		struct sl_buffer *buffer = frame->buffer;
		struct sl_buffer_access access;
		if (!pixels) {
			sluice_capture_frame_v1_send_failed(frame->resource, reason);
		} else if (!buffer->resource || !sl_buffer_begin_access(buffer, &access)) {
			sluice_capture_frame_v1_send_failed(frame->resource,
							    "the buffer was destroyed");
		} else {
			/* The buffer was checked at copy: same size, XRGB8888, tight stride. */
			size_t row = (size_t)output->width * 4;
			for (int32_t y = 0; y < output->height; y++)
				memcpy((uint8_t *)access.data + (size_t)y * access.stride,
				       (const uint8_t *)pixels + (size_t)y * stride, row);
			sl_buffer_end_access(buffer);
			uint64_t sec = (uint64_t)(time_ns / 1000000000);
			sluice_capture_frame_v1_send_ready(frame->resource, (uint32_t)(sec >> 32),
							   (uint32_t)sec,
							   (uint32_t)(time_ns % 1000000000),
							   (uint32_t)(msc >> 32), (uint32_t)msc);
		}
		capture_frame_finish(frame);
	}
}

void
capture_output_destroyed(struct sl_output *output)
{
	/* Queued or in flight, none will be captured now. */
	capture_output_frame_started(output);
	capture_output_deliver(output, NULL, 0, 0, 0, "the output went away");
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
	if (!buffer || buffer->type != SL_BUFFER_SHM || buffer->width != output->width ||
	    buffer->height != output->height || buffer->format != DRM_FORMAT_XRGB8888 ||
	    buffer->shm.stride != output->width * 4) {
		wl_resource_post_error(
			resource, SLUICE_CAPTURE_FRAME_V1_ERROR_INVALID_BUFFER,
			"capture needs a %dx%d XRGB8888 wl_shm buffer with stride %d",
			output->width, output->height, output->width * 4);
		return;
	}
	frame->buffer = sl_buffer_lock(buffer);
	wl_list_insert(output->captures.prev, &frame->link);
	sl_output_schedule_frame(output);
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
	wl_resource_set_implementation(frame->resource, &capture_frame_impl, frame,
				       capture_frame_handle_resource_destroy);
	frame->output = sl_output_from_resource(output_resource);
	if (!frame->output) {
		sluice_capture_frame_v1_send_failed(frame->resource, "the output went away");
		return;
	}
	sluice_capture_frame_v1_send_buffer(
		frame->resource, format_shm_from_drm(DRM_FORMAT_XRGB8888),
		(uint32_t)frame->output->width, (uint32_t)frame->output->height,
		(uint32_t)frame->output->width * 4);
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
	server->capture_global = wl_global_create(
		server->display, &sluice_capture_manager_v1_interface, 1, server, capture_bind);
	return server->capture_global != NULL;
}
