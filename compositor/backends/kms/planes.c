/*
 * Client buffers straight on planes: libliftoff picks planes for the frame's surfaces with
 * TEST_ONLY commits; buffers on planes stay locked until the flip that replaces them.
 */
#include <libliftoff.h>
#include <stdio.h>
#include <xf86drmMode.h>

#include "backends/kms/kms-internal.h"
#include "core/buffer.h"
#include "core/output.h"
#include "core/server.h"
#include "core/surface.h"
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

bool
kms_assign_planes(struct sl_output *output, struct sl_plane_candidate *candidates, int count,
		  bool *composition)
{
	struct kms_output *ko = kms_from_output(output);
	struct sl_stats *stats = &ko->device->server->stats;
	*composition = true;
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

	for (int i = 0; i < count; i++) {
		struct sl_plane_candidate *c = &candidates[i];
		struct liftoff_layer *layer = ko->layers[i];
		struct sl_buffer *buffer = c->surface->current.buffer;
		uint32_t fb_id = c->reason ? 0 : kms_buffer_fb_id(buffer);
		if (c->reason && buffer->type == SL_BUFFER_DMABUF)
			stats->scanout_refused_geometry++;
		else if (!c->reason && !fb_id) {
			c->reason = "format";
			stats->scanout_refused_format++;
		}
		/* Above the composition layer, in stacking order. */
		liftoff_layer_set_property(layer, "zpos", (uint64_t)i + 1);
		kms_layer_set_geometry(layer, c->x, c->y, c->surface->geometry.width,
				       c->surface->geometry.height);
		/* Unsignalled (output.c dropped the rest): the kernel holds the flip for it. */
		if (fb_id && c->surface->buffer_fence >= 0)
			liftoff_layer_set_property(layer, "IN_FENCE_FD",
						   (uint64_t)c->surface->buffer_fence);
		else
			liftoff_layer_unset_property(layer, "IN_FENCE_FD");
		if (fb_id) {
			liftoff_layer_set_property(layer, "FB_ID", fb_id);
		} else {
			liftoff_layer_unset_property(layer, "FB_ID");
			liftoff_layer_set_fb_composited(layer);
		}
	}

	/* Try it: the composition layer shows the back buffer for now. */
	int back = ko->front == 0 ? 1 : 0;
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	if (!req)
		return false;
	bool modeset = !ko->modeset_done;
	struct atomic atomic = {.req = req};
	if (modeset)
		kms_add_modeset(ko, &atomic);
	liftoff_layer_set_property(ko->composition_layer, "FB_ID", ko->fbs[back].fb_id);
	int ret = atomic.failed ? -1
				: liftoff_output_apply(ko->liftoff, req,
						       modeset ? DRM_MODE_ATOMIC_ALLOW_MODESET : 0);
	drmModeAtomicFree(req);
	if (ret < 0) {
		log_debug("kms", "%s: no plane allocation (%d): composing everything", output->name,
			  ret);
		for (int i = 0; i < count; i++)
			liftoff_layer_set_fb_composited(ko->layers[i]);
		return false;
	}
	for (int i = 0; i < count; i++) {
		struct sl_plane_candidate *c = &candidates[i];
		struct liftoff_layer *layer = ko->layers[i];
		c->on_plane = !c->reason && liftoff_layer_get_plane(layer) &&
			      !liftoff_layer_needs_composition(layer);
		if (c->on_plane) {
			struct sl_buffer *buffer = c->surface->current.buffer;
			sl_buffer_scanout_lock(buffer);
			ko->assigned.buffers[ko->assigned.count++] = buffer;
			if (c->surface->buffer_fence >= 0)
				stats->fences_to_kms++;
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
	return true;
}
