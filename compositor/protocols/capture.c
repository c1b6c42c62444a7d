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
#include "protocols/protocols.h"
#include "core/server.h"
#include "sluice-capture-v1-server-protocol.h"

struct sl_capture_frame {
	struct wl_resource *resource;
	struct sl_output *output; /* NULL once finished or the output went away */
	struct sl_buffer *buffer; /* locked while queued */
	struct wl_list link;	  /* capture_output.queued or in_flight while queued */
	bool used;
};

/* The captures of one output, made when the first is queued; freed with the output. */
struct capture_output {
	struct sl_output *output;
	struct wl_list queued;	  /* sl_capture_frame.link: for the next frame */
	struct wl_list in_flight; /* sl_capture_frame.link: for the frame in flight */
	struct wl_listener frame_started;
	struct wl_listener readback;
	struct wl_listener destroy;
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

static void
handle_output_frame_started(struct wl_listener *listener, void *data)
{
	struct capture_output *co = wl_container_of(listener, co, frame_started);
	wl_list_insert_list(co->in_flight.prev, &co->queued);
	wl_list_init(&co->queued);
}

/* Completes the captures of the frame in flight with its pixels, or fails them with reason. */
static void
capture_output_deliver(struct capture_output *co, const void *pixels, uint32_t stride,
		       int64_t time_ns, uint64_t msc, const char *reason)
{
	struct sl_output *output = co->output;
	struct sl_capture_frame *frame, *tmp;
	wl_list_for_each_safe (frame, tmp, &co->in_flight, link) {
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

static void
handle_output_readback(struct wl_listener *listener, void *data)
{
	struct capture_output *co = wl_container_of(listener, co, readback);
	const struct sl_output_readback_event *event = data;
	capture_output_deliver(co, event->pixels, event->stride, event->time_ns, event->msc,
			       event->reason);
}

static void
handle_output_destroy(struct wl_listener *listener, void *data)
{
	struct capture_output *co = wl_container_of(listener, co, destroy);
	/* Queued or in flight, none will be captured now. */
	handle_output_frame_started(&co->frame_started, NULL);
	capture_output_deliver(co, NULL, 0, 0, 0, "the output went away");
	wl_list_remove(&co->frame_started.link);
	wl_list_remove(&co->readback.link);
	wl_list_remove(&co->destroy.link);
	free(co);
}

static struct capture_output *
capture_output_get(struct sl_output *output)
{
	struct wl_listener *listener =
		wl_signal_get(&output->events.destroy, handle_output_destroy);
	if (listener) {
		struct capture_output *co = wl_container_of(listener, co, destroy);
		return co;
	}
	struct capture_output *co = calloc(1, sizeof(*co));
	if (!co)
		return NULL;
	co->output = output;
	wl_list_init(&co->queued);
	wl_list_init(&co->in_flight);
	co->frame_started.notify = handle_output_frame_started;
	wl_signal_add(&output->events.frame_started, &co->frame_started);
	co->readback.notify = handle_output_readback;
	wl_signal_add(&output->events.readback, &co->readback);
	co->destroy.notify = handle_output_destroy;
	wl_signal_add(&output->events.destroy, &co->destroy);
	return co;
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
	struct capture_output *co = capture_output_get(output);
	if (!co) {
		wl_client_post_no_memory(client);
		return;
	}
	frame->buffer = sl_buffer_lock(buffer);
	wl_list_insert(co->queued.prev, &frame->link);
	sl_output_request_readback(output);
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
	struct wl_global *global = wl_global_create(
		server->display, &sluice_capture_manager_v1_interface, 1, server, capture_bind);
	return global != NULL;
}
