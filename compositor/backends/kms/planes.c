/*
 * Client buffers straight on planes: libliftoff picks planes for the frame's surfaces with
 * TEST_ONLY commits when the layers change; frames that only bring new buffers reuse its last
 * allocation untested. Buffers on planes stay locked until the flip that replaces them.
 */
#include <assert.h>
#include <libliftoff.h>
#include <wayland-server-protocol.h>
#include <stdio.h>
#include <xf86drmMode.h>

#include "backends/kms/kms-internal.h"
#include "core/buffer.h"
#include "core/output.h"
#include "core/server.h"
#include "core/surface.h"
#include "formats.h"
#include "log.h"

/* Locked client buffers on planes, per stage of a frame. */
void
kms_scanout_set_clear(struct kms_scanout_set *set)
{
	for (int i = 0; i < set->count; i++)
		sl_buffer_scanout_unlock(set->buffers[i]);
	set->count = 0;
}

void
kms_scanout_set_move(struct kms_scanout_set *dst, struct kms_scanout_set *src)
{
	kms_scanout_set_clear(dst);
	*dst = *src;
	src->count = 0;
}

static bool
scanout_set_has(const struct kms_scanout_set *set, const struct sl_buffer *buffer)
{
	for (int i = 0; i < set->count; i++)
		if (set->buffers[i] == buffer)
			return true;
	return false;
}

/* The shown buffers the commit just submitted leaves out are read until its out-fence. */
void
kms_release_replaced_buffers(struct kms_output *ko)
{
	if (ko->out_fence < 0)
		return;
	for (int i = 0; i < ko->shown.count; i++)
		if (!scanout_set_has(&ko->in_flight, ko->shown.buffers[i]))
			ko->device->server->stats.releases_fenced +=
				(uint64_t)sl_buffer_scanout_replaced(ko->shown.buffers[i],
								     ko->out_fence);
}

/* ---- client buffers on planes ---- */

void
kms_layer_set_geometry(struct liftoff_layer *layer, int32_t x, int32_t y, int32_t w, int32_t h)
{
	liftoff_layer_set_property(layer, "CRTC_X", (uint64_t)x);
	liftoff_layer_set_property(layer, "CRTC_Y", (uint64_t)y);
	liftoff_layer_set_property(layer, "CRTC_W", (uint64_t)w);
	liftoff_layer_set_property(layer, "CRTC_H", (uint64_t)h);
	liftoff_layer_set_property(layer, "SRC_X", 0);
	liftoff_layer_set_property(layer, "SRC_Y", 0);
	liftoff_layer_set_property(layer, "SRC_W", (uint64_t)w << 16);
	liftoff_layer_set_property(layer, "SRC_H", (uint64_t)h << 16);
}

/*
 * The plane's "rotation" for a plane_transform. wl_output.transform says what was done to the
 * picture to make the buffer (a flip, then counter-clockwise turns), which the plane has to undo;
 * DRM's bits say what the plane does to the buffer: a reflection first, then a counter-clockwise
 * turn. Undoing "flip, then turn by k" is "turn back by k, then flip", which is "flip, then turn
 * by k": flipped transforms keep their angle, the others take the opposite one.
 */
static uint64_t
drm_rotation(uint32_t transform)
{
	static const uint64_t bits[8] = {
		[WL_OUTPUT_TRANSFORM_NORMAL] = DRM_MODE_ROTATE_0,
		[WL_OUTPUT_TRANSFORM_90] = DRM_MODE_ROTATE_270,
		[WL_OUTPUT_TRANSFORM_180] = DRM_MODE_ROTATE_180,
		[WL_OUTPUT_TRANSFORM_270] = DRM_MODE_ROTATE_90,
		[WL_OUTPUT_TRANSFORM_FLIPPED] = DRM_MODE_ROTATE_0 | DRM_MODE_REFLECT_X,
		[WL_OUTPUT_TRANSFORM_FLIPPED_90] = DRM_MODE_ROTATE_90 | DRM_MODE_REFLECT_X,
		[WL_OUTPUT_TRANSFORM_FLIPPED_180] = DRM_MODE_ROTATE_180 | DRM_MODE_REFLECT_X,
		[WL_OUTPUT_TRANSFORM_FLIPPED_270] = DRM_MODE_ROTATE_270 | DRM_MODE_REFLECT_X,
	};
	return bits[transform & 7];
}

/*
 * A buffer that has to be turned asks the plane for it; a plane without "rotation" (6.1's vkms)
 * then cannot take the layer and libliftoff leaves it to composition. An upright buffer says
 * rotate-0 all the same: a plane keeps the rotation of the last commit that set it, which may
 * have been another process's, and libliftoff accepts rotate-0 on planes that have no such
 * property.
 */
static void
set_rotation(struct liftoff_layer *layer, const struct sl_plane_candidate *c)
{
	liftoff_layer_set_property(layer, "rotation", drm_rotation(c->plane_transform));
	if (c->plane_transform == WL_OUTPUT_TRANSFORM_NORMAL)
		return;
	const struct sl_buffer *buffer = c->surface->current.buffer;
	liftoff_layer_set_property(layer, "SRC_W", (uint64_t)buffer->width << 16);
	liftoff_layer_set_property(layer, "SRC_H", (uint64_t)buffer->height << 16);
}

/*
 * A YCbCr buffer tells the plane how to read it: "COLOR_ENCODING" and "COLOR_RANGE", whose enum
 * values the kernel numbers BT.601 0, BT.709 1, BT.2020 2 and limited 0, full 1. A plane without
 * them cannot take the layer and libliftoff leaves it to composition, which reads it right.
 * RGB buffers set neither, so that they fit every plane.
 */
static void
set_colour(struct liftoff_layer *layer, const struct sl_plane_candidate *c)
{
	const struct sl_buffer *buffer = c->surface->current.buffer;
	const struct format_info *info = format_info_from_drm(buffer->format);
	if (!info || !info->is_yuv) {
		liftoff_layer_unset_property(layer, "COLOR_ENCODING");
		liftoff_layer_unset_property(layer, "COLOR_RANGE");
		return;
	}
	struct yuv_encoding e = sl_surface_yuv_encoding(c->surface);
	liftoff_layer_set_property(layer, "COLOR_ENCODING",
				   e.matrix == YUV_MATRIX_BT709	   ? 1
				   : e.matrix == YUV_MATRIX_BT2020 ? 2
								   : 0);
	liftoff_layer_set_property(layer, "COLOR_RANGE", e.full_range ? 1 : 0);
}

static struct kms_layer_key
layer_key(const struct sl_plane_candidate *c, uint32_t fb_id)
{
	const struct sl_buffer *buffer = c->surface->current.buffer;
	return (struct kms_layer_key){
		.x = c->pixel_x,
		.y = c->pixel_y,
		.width = c->pixel_width,
		.height = c->pixel_height,
		.transform = c->plane_transform,
		.encoding = sl_surface_yuv_encoding(c->surface),
		.format = fb_id ? buffer->format : 0,
		.modifier = fb_id ? buffer->dmabuf.modifier : 0,
		.eligible = fb_id != 0,
	};
}

static bool
layer_key_equal(const struct kms_layer_key *a, const struct kms_layer_key *b)
{
	return a->x == b->x && a->y == b->y && a->width == b->width && a->height == b->height &&
	       a->transform == b->transform && a->encoding.matrix == b->encoding.matrix &&
	       a->encoding.full_range == b->encoding.full_range && a->format == b->format &&
	       a->modifier == b->modifier && a->eligible == b->eligible;
}

/* Lets libliftoff find planes for the layers, with TEST_ONLY commits; false if none works. */
static bool
allocate(struct kms_output *ko, int count)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	if (!req)
		return false;
	bool modeset = !ko->modeset_done;
	struct atomic atomic = {.req = req};
	if (modeset)
		kms_add_modeset(ko, &atomic);
	int ret = atomic.failed ? -1
				: liftoff_output_apply(ko->liftoff, req,
						       modeset ? DRM_MODE_ATOMIC_ALLOW_MODESET : 0);
	drmModeAtomicFree(req);
	ko->device->server->stats.plane_allocations++;
	if (ret < 0) {
		log_debug("kms", "%s: no plane allocation (%d): composing everything",
			  ko->output->name, ret);
		for (int i = 0; i < count; i++)
			liftoff_layer_set_fb_composited(ko->layers[i]);
		return false;
	}
	for (int i = 0; i < count; i++)
		ko->alloc_on_plane[i] = liftoff_layer_get_plane(ko->layers[i]) &&
					!liftoff_layer_needs_composition(ko->layers[i]);
	return true;
}

bool
kms_assign_planes(struct sl_output *output, struct sl_plane_candidate *candidates, int count,
		  bool *composition)
{
	struct kms_output *ko = kms_from_output(output);
	struct sl_stats *stats = &ko->device->server->stats;
	*composition = true;
	ko->steady = false;
	kms_scanout_set_clear(&ko->assigned);
	if (!ko->liftoff || count > KMS_MAX_LAYERS)
		return false;
	while (ko->n_layers < count) {
		ko->layers[ko->n_layers] = liftoff_layer_create(ko->liftoff);
		if (!ko->layers[ko->n_layers])
			return false;
		ko->n_layers++;
	}
	while (ko->n_layers > count)
		liftoff_layer_destroy(ko->layers[--ko->n_layers]);

	struct kms_layer_key keys[KMS_MAX_LAYERS];
	bool same = ko->alloc_valid && ko->modeset_done && count == ko->alloc_count;
	for (int i = 0; i < count; i++) {
		struct sl_plane_candidate *c = &candidates[i];
		struct liftoff_layer *layer = ko->layers[i];
		struct sl_buffer *buffer = c->surface->current.buffer;
		if (!c->reason && c->plane_transform != WL_OUTPUT_TRANSFORM_NORMAL &&
		    ko->device->rotation_unavailable)
			c->reason = "transform";
		uint32_t fb_id = c->reason ? 0 : kms_buffer_fb_id(buffer);
		if (c->reason && buffer->type == SL_BUFFER_DMABUF)
			stats->scanout_refused_geometry++;
		else if (!c->reason && !fb_id) {
			c->reason = "format";
			stats->scanout_refused_format++;
		}
		keys[i] = layer_key(c, fb_id);
		/* This layer's place and size are what libliftoff last heard. */
		bool layer_same = ko->alloc_valid && i < ko->alloc_count &&
				  layer_key_equal(&keys[i], &ko->alloc_keys[i]);
		same = same && layer_same;
		/* Unsignalled (output.c dropped the rest): the kernel holds the flip for it. */
		ko->layer_fbs[i] = fb_id;
		ko->layer_fences[i] =
			fb_id && c->surface->buffer_fence >= 0 ? c->surface->buffer_fence : -1;
		/*
		 * Above the composition layer, in stacking order. libliftoff hears every change,
		 * even when it is not asked to allocate: the next allocation starts from the truth
		 * and holds no fence number closed since. (It finds properties by name, so what
		 * has not changed is not written again.)
		 */
		if (!layer_same) {
			liftoff_layer_set_property(layer, "zpos", (uint64_t)i + 1);
			kms_layer_set_geometry(layer, c->pixel_x, c->pixel_y, c->pixel_width,
					       c->pixel_height);
			set_rotation(layer, c);
			set_colour(layer, c);
		}
		if (ko->layer_fences[i] >= 0)
			liftoff_layer_set_property(layer, "IN_FENCE_FD",
						   (uint64_t)ko->layer_fences[i]);
		else
			liftoff_layer_unset_property(layer, "IN_FENCE_FD");
		if (fb_id) {
			liftoff_layer_set_property(layer, "FB_ID", fb_id);
		} else {
			liftoff_layer_unset_property(layer, "FB_ID");
			liftoff_layer_set_fb_composited(layer);
		}
	}
	/* For the test, the composition layer shows the back buffer. */
	int back = ko->front == 0 ? 1 : 0;
	liftoff_layer_set_property(ko->composition_layer, "FB_ID", ko->fbs[back].fb_id);

	if (same) {
		ko->steady = true;
		stats->plane_reuses++;
	} else {
		ko->alloc_valid = allocate(ko, count);
		if (!ko->alloc_valid)
			return false;
		ko->alloc_count = count;
		for (int i = 0; i < count; i++)
			ko->alloc_keys[i] = keys[i];
	}

	for (int i = 0; i < count; i++) {
		struct sl_plane_candidate *c = &candidates[i];
		c->on_plane = ko->layer_fbs[i] && ko->alloc_on_plane[i];
		if (c->on_plane) {
			struct sl_buffer *buffer = c->surface->current.buffer;
			sl_buffer_scanout_lock(buffer);
			ko->assigned.buffers[ko->assigned.count++] = buffer;
			if (ko->layer_fences[i] >= 0)
				stats->fences_to_kms++;
		} else if (!c->reason && c->plane_transform != WL_OUTPUT_TRANSFORM_NORMAL) {
			/* Likely the turn: no plane here can rotate (or not this way). */
			c->reason = "transform";
			stats->scanout_refused_planes++;
		} else if (!c->reason) {
			c->reason = "planes";
			stats->scanout_refused_planes++;
		}
	}
	/*
	 * Our own reading: libliftoff 0.3 counts its composition layer as a layer that "needs
	 * composition" whenever it is left off the planes, which is exactly when none is needed.
	 */
	bool all_on_planes = count > 0;
	for (int i = 0; i < count; i++)
		all_on_planes = all_on_planes && candidates[i].on_plane;
	*composition = !all_on_planes;
	/*
	 * A steady frame writes FB_ID only to the planes libliftoff reports for its layers, and
	 * when every layer is composited libliftoff 0.3 reports none for the composition layer
	 * although it shows it: the new composition would never reach the screen, and the next
	 * one would be drawn into the buffer being scanned out. Such frames go through
	 * libliftoff's own apply.
	 */
	if (ko->steady && *composition && !liftoff_layer_get_plane(ko->composition_layer))
		ko->steady = false;
	return true;
}

/*
 * A steady frame's planes: the kernel keeps every plane property of the last commit, so only
 * what changes each frame is written, for the planes libliftoff placed layers on.
 */
static void
add_plane_buffer(struct kms_output *ko, struct atomic *atomic, struct liftoff_layer *layer,
		 uint32_t fb_id, int fence)
{
	struct liftoff_plane *placed = liftoff_layer_get_plane(layer);
	if (!placed || !fb_id)
		return;
	uint32_t id = liftoff_plane_get_id(placed);
	const struct kms_plane *plane = NULL;
	for (size_t i = 0; i < ko->device->n_planes && !plane; i++)
		if (ko->device->planes[i].id == id)
			plane = &ko->device->planes[i];
	if (!plane) {
		atomic->failed = true;
		return;
	}
	atomic_add(atomic, id, plane->props[PLANE_FB_ID], fb_id);
	if (fence >= 0 && plane->props[PLANE_IN_FENCE_FD])
		atomic_add(atomic, id, plane->props[PLANE_IN_FENCE_FD], (uint64_t)fence);
}

void
kms_add_steady_planes(struct kms_output *ko, struct atomic *atomic, uint32_t composition_fb,
		      int render_fence)
{
	assert(ko->steady);
	add_plane_buffer(ko, atomic, ko->composition_layer, composition_fb, render_fence);
	for (int i = 0; i < ko->n_layers; i++)
		add_plane_buffer(ko, atomic, ko->layers[i], ko->layer_fbs[i], ko->layer_fences[i]);
}
