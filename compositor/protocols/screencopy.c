/*
 * zwlr_screencopy_manager_v1 (version 3): copies what an output presented, or a rectangle of it,
 * into a client's wl_shm buffer or linear dma-buf. Only with --capture: reading the screen is
 * not for every client. The pixels are the output's readback (what the CRTC produced, through
 * the writeback connector on KMS), so the cursor is in them exactly when it was on screen;
 * overlay_cursor cannot add or remove it. copy_with_damage waits for a frame that differs from
 * the last one this manager copied of the output, and says where, found by comparing pixels:
 * what reached the screen, whatever path it took there.
 */
#include <drm_fourcc.h>
#include <pixman.h>
#include <stdlib.h>
#include <wayland-server-protocol.h>

#include "core/buffer.h"
#include "core/output.h"
#include "core/region.h"
#include "core/resource.h"
#include "core/server.h"
#include "protocols/capture-copy.h"
#include "protocols/capture-queue.h"
#include "protocols/protocols.h"
#include "wlr-screencopy-unstable-v1-server-protocol.h"

/* What a manager last copied of one output: the reference for copy_with_damage. */
struct last_copy {
	struct wl_list link; /* screencopy_manager.last_copies */
	struct sl_output *output;
	struct capture_reference ref;
	struct wl_listener output_destroy;
};

struct screencopy_manager {
	struct wl_resource *resource;
	struct wl_list last_copies;
	struct wl_list frames; /* screencopy_frame.manager_link */
};

struct screencopy_frame {
	struct wl_resource *resource;
	struct screencopy_manager *manager; /* NULL once the manager is gone */
	struct wl_list manager_link;
	struct sl_output *output; /* NULL once the output is gone */
	struct wl_listener output_destroy;
	pixman_box32_t box;	  /* in output pixels, non-empty */
	struct sl_buffer *buffer; /* locked from copy until finished */
	bool used, with_damage, finished;
	struct capture_request request;
};

static void
last_copy_destroy(struct last_copy *last)
{
	wl_list_remove(&last->link);
	wl_list_remove(&last->output_destroy.link);
	capture_reference_finish(&last->ref);
	free(last);
}

static void
last_copy_handle_output_destroy(struct wl_listener *listener, void *data)
{
	struct last_copy *last = wl_container_of(listener, last, output_destroy);
	last_copy_destroy(last);
}

static struct last_copy *
last_copy_find(struct screencopy_manager *manager, struct sl_output *output)
{
	struct last_copy *last;
	wl_list_for_each (last, &manager->last_copies, link)
		if (last->output == output)
			return last;
	return NULL;
}

/* Ends the frame: no more events, the buffer and the output let go. */
static void
frame_finish(struct screencopy_frame *frame)
{
	frame->finished = true;
	capture_request_cancel(&frame->request);
	if (frame->buffer)
		sl_buffer_unlock(frame->buffer);
	frame->buffer = NULL;
	if (frame->output)
		wl_list_remove(&frame->output_destroy.link);
	frame->output = NULL;
}

static void
frame_fail(struct screencopy_frame *frame)
{
	zwlr_screencopy_frame_v1_send_failed(frame->resource);
	frame_finish(frame);
}

static void
frame_handle_output_destroy(struct wl_listener *listener, void *data)
{
	struct screencopy_frame *frame = wl_container_of(listener, frame, output_destroy);
	/* A request in the capture queue is answered by it (with no pixels) before this. */
	if (!frame->finished)
		frame_fail(frame);
}

/* Keeps the copied pixels as the manager's reference for this output. */
static void
remember_copy(struct screencopy_frame *frame, const uint32_t *pixels, uint32_t stride)
{
	struct screencopy_manager *manager = frame->manager;
	if (!manager)
		return;
	struct last_copy *last = last_copy_find(manager, frame->output);
	if (!last) {
		last = calloc(1, sizeof(*last));
		if (!last)
			return; /* the next copy_with_damage reports everything */
		last->output = frame->output;
		last->output_destroy.notify = last_copy_handle_output_destroy;
		wl_signal_add(&frame->output->events.destroy, &last->output_destroy);
		wl_list_insert(&manager->last_copies, &last->link);
	}
	if (!capture_reference_update(&last->ref, &frame->box, pixels, stride))
		last_copy_destroy(last);
}

static void
frame_done(struct capture_request *request, const struct sl_output_readback_event *event)
{
	struct screencopy_frame *frame = wl_container_of(request, frame, request);
	if (!event->pixels || !frame->output) {
		frame_fail(frame);
		return;
	}
	const uint32_t *pixels = event->pixels;
	struct last_copy *last =
		frame->manager ? last_copy_find(frame->manager, frame->output) : NULL;
	static const struct capture_reference none = {0};
	pixman_region32_t damage;
	capture_reference_damage(last ? &last->ref : &none, &frame->box, pixels, event->stride,
				 &damage);
	if (frame->with_damage && !pixman_region32_not_empty(&damage)) {
		/* The same as last time: wait for a frame that changed something. */
		pixman_region32_fini(&damage);
		if (!capture_request_queue_on_change(&frame->request, frame->output))
			frame_fail(frame);
		return;
	}
	if (!capture_copy_to_buffer(frame->buffer, &frame->box, pixels, event->stride)) {
		pixman_region32_fini(&damage);
		frame_fail(frame);
		return;
	}
	remember_copy(frame, pixels, event->stride);

	zwlr_screencopy_frame_v1_send_flags(frame->resource, 0);
	if (frame->with_damage) {
		int n;
		const pixman_box32_t *rects = pixman_region32_rectangles(&damage, &n);
		for (int i = 0; i < n; i++)
			zwlr_screencopy_frame_v1_send_damage(frame->resource, (uint32_t)rects[i].x1,
							     (uint32_t)rects[i].y1,
							     (uint32_t)(rects[i].x2 - rects[i].x1),
							     (uint32_t)(rects[i].y2 - rects[i].y1));
	}
	pixman_region32_fini(&damage);
	uint64_t sec = (uint64_t)(event->time_ns / 1000000000);
	zwlr_screencopy_frame_v1_send_ready(frame->resource, (uint32_t)(sec >> 32), (uint32_t)sec,
					    (uint32_t)(event->time_ns % 1000000000));
	frame_finish(frame);
}

static void
frame_copy(struct wl_resource *resource, struct wl_resource *buffer_resource, bool with_damage)
{
	struct screencopy_frame *frame = wl_resource_get_user_data(resource);
	if (frame->used) {
		wl_resource_post_error(resource, ZWLR_SCREENCOPY_FRAME_V1_ERROR_ALREADY_USED,
				       "copy was already asked for on this frame");
		return;
	}
	frame->used = true;
	if (frame->finished)
		return; /* failed already (no output, or it went away): nothing more is said */
	struct sl_buffer *buffer = sl_buffer_from_resource(buffer_resource);
	if (!capture_buffer_fits(buffer, box_width(&frame->box), box_height(&frame->box))) {
		wl_resource_post_error(resource, ZWLR_SCREENCOPY_FRAME_V1_ERROR_INVALID_BUFFER,
				       "the frame needs a %dx%d XRGB8888 wl_shm buffer (stride at "
				       "least %d) or linear single-plane dma-buf",
				       box_width(&frame->box), box_height(&frame->box),
				       box_width(&frame->box) * 4);
		return;
	}
	frame->with_damage = with_damage;
	frame->buffer = sl_buffer_lock(buffer);
	if (!capture_request_queue(&frame->request, frame->output))
		wl_client_post_no_memory(wl_resource_get_client(resource));
}

static void
frame_handle_copy(struct wl_client *client, struct wl_resource *resource,
		  struct wl_resource *buffer)
{
	frame_copy(resource, buffer, false);
}

static void
frame_handle_copy_with_damage(struct wl_client *client, struct wl_resource *resource,
			      struct wl_resource *buffer)
{
	frame_copy(resource, buffer, true);
}

static void
frame_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct zwlr_screencopy_frame_v1_interface frame_impl = {
	.copy = frame_handle_copy,
	.destroy = frame_handle_destroy,
	.copy_with_damage = frame_handle_copy_with_damage,
};

static void
frame_handle_resource_destroy(struct wl_resource *resource)
{
	struct screencopy_frame *frame = wl_resource_get_user_data(resource);
	frame_finish(frame);
	wl_list_remove(&frame->manager_link);
	free(frame);
}

static void
manager_capture(struct wl_client *client, struct wl_resource *resource, uint32_t id,
		struct wl_resource *output_resource, const pixman_box32_t *region)
{
	struct screencopy_frame *frame = calloc(1, sizeof(*frame));
	if (!frame) {
		wl_client_post_no_memory(client);
		return;
	}
	frame->resource = sl_resource_create(client, &zwlr_screencopy_frame_v1_interface,
					     wl_resource_get_version(resource), id, &frame_impl,
					     frame, frame_handle_resource_destroy);
	if (!frame->resource) {
		free(frame);
		return;
	}
	frame->manager = wl_resource_get_user_data(resource);
	wl_list_insert(&frame->manager->frames, &frame->manager_link);
	capture_request_init(&frame->request, frame_done);
	struct sl_output *output = sl_output_from_resource(output_resource);
	frame->box = (pixman_box32_t){0, 0, output ? output->pixel_width : 0,
				      output ? output->pixel_height : 0};
	if (output && region) {
		/*
		 * The region is in the output's layout (sluice has no output scale); the frame is
		 * in its pixels, which the client turns by wl_output's transform.
		 */
		const int32_t layout[4] = {region->x1, region->y1, region->x2, region->y2};
		int32_t px[4];
		sl_affine_box(&output->layout_to_pixels, layout, px);
		frame->box.x1 = px[0] > 0 ? px[0] : 0;
		frame->box.y1 = px[1] > 0 ? px[1] : 0;
		frame->box.x2 = px[2] < output->pixel_width ? px[2] : output->pixel_width;
		frame->box.y2 = px[3] < output->pixel_height ? px[3] : output->pixel_height;
	}
	if (!output || frame->box.x2 <= frame->box.x1 || frame->box.y2 <= frame->box.y1) {
		/* An output gone, or a region that misses it: nothing to copy. */
		frame_fail(frame);
		return;
	}
	frame->output = output;
	frame->output_destroy.notify = frame_handle_output_destroy;
	wl_signal_add(&output->events.destroy, &frame->output_destroy);
	int32_t w = box_width(&frame->box), h = box_height(&frame->box);
	zwlr_screencopy_frame_v1_send_buffer(frame->resource, WL_SHM_FORMAT_XRGB8888, (uint32_t)w,
					     (uint32_t)h, (uint32_t)w * 4);
	if (wl_resource_get_version(resource) >=
	    ZWLR_SCREENCOPY_FRAME_V1_LINUX_DMABUF_SINCE_VERSION) {
		zwlr_screencopy_frame_v1_send_linux_dmabuf(frame->resource, DRM_FORMAT_XRGB8888,
							   (uint32_t)w, (uint32_t)h);
		zwlr_screencopy_frame_v1_send_buffer_done(frame->resource);
	}
}

static void
manager_handle_capture_output(struct wl_client *client, struct wl_resource *resource, uint32_t id,
			      int32_t overlay_cursor, struct wl_resource *output)
{
	manager_capture(client, resource, id, output, NULL);
}

static void
manager_handle_capture_output_region(struct wl_client *client, struct wl_resource *resource,
				     uint32_t id, int32_t overlay_cursor,
				     struct wl_resource *output, int32_t x, int32_t y,
				     int32_t width, int32_t height)
{
	/* Sizes that overflow or are not positive give an empty region, which fails. */
	pixman_box32_t region = {x, y, x, y};
	if (width > 0 && height > 0 && x <= INT32_MAX - width && y <= INT32_MAX - height)
		region = (pixman_box32_t){x, y, x + width, y + height};
	manager_capture(client, resource, id, output, &region);
}

static void
manager_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct zwlr_screencopy_manager_v1_interface manager_impl = {
	.capture_output = manager_handle_capture_output,
	.capture_output_region = manager_handle_capture_output_region,
	.destroy = manager_handle_destroy,
};

static void
manager_handle_resource_destroy(struct wl_resource *resource)
{
	struct screencopy_manager *manager = wl_resource_get_user_data(resource);
	/* Its frames live on; they only stop keeping references for it. */
	struct screencopy_frame *frame, *tmp;
	wl_list_for_each_safe (frame, tmp, &manager->frames, manager_link) {
		frame->manager = NULL;
		wl_list_remove(&frame->manager_link);
		wl_list_init(&frame->manager_link);
	}
	struct last_copy *last, *last_tmp;
	wl_list_for_each_safe (last, last_tmp, &manager->last_copies, link)
		last_copy_destroy(last);
	free(manager);
}

static void
manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct screencopy_manager *manager = calloc(1, sizeof(*manager));
	if (!manager) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_list_init(&manager->last_copies);
	wl_list_init(&manager->frames);
	manager->resource =
		sl_resource_create(client, &zwlr_screencopy_manager_v1_interface, (int)version, id,
				   &manager_impl, manager, manager_handle_resource_destroy);
	if (!manager->resource)
		free(manager);
}

bool
screencopy_global_init(struct sl_server *server)
{
	return wl_global_create(server->display, &zwlr_screencopy_manager_v1_interface, 3, server,
				manager_bind) != NULL;
}
