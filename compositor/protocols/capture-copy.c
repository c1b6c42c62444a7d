/* Readback pixels into client buffers, and damage against a reference (capture-copy.h). */
#include "protocols/capture-copy.h"

#include <drm_fourcc.h>
#include <stdlib.h>
#include <string.h>

#include "core/buffer.h"
#include "core/region.h"

#define TILE 32

static const uint32_t *
row(const uint32_t *pixels, uint32_t stride, const pixman_box32_t *box, int32_t y)
{
	return pixels + (size_t)(box->y1 + y) * (stride / 4) + (size_t)box->x1;
}

void
capture_reference_finish(struct capture_reference *ref)
{
	free(ref->pixels);
	ref->pixels = NULL;
}

void
capture_reference_damage(const struct capture_reference *ref, const pixman_box32_t *box,
			 const uint32_t *pixels, uint32_t stride, pixman_region32_t *damage)
{
	int32_t w = box_width(box), h = box_height(box);
	if (!ref->pixels || memcmp(&ref->box, box, sizeof(*box)) != 0) {
		pixman_region32_init_rect(damage, 0, 0, (unsigned)w, (unsigned)h);
		return;
	}
	pixman_region32_init(damage);
	for (int32_t ty = 0; ty < h; ty += TILE) {
		int32_t th = h - ty < TILE ? h - ty : TILE;
		for (int32_t tx = 0; tx < w; tx += TILE) {
			int32_t tw = w - tx < TILE ? w - tx : TILE;
			for (int32_t y = ty; y < ty + th; y++) {
				const uint32_t *then = ref->pixels + (size_t)y * (size_t)w + tx;
				if (memcmp(row(pixels, stride, box, y) + tx, then,
					   (size_t)tw * 4)) {
					pixman_region32_union_rect(damage, damage, tx, ty,
								   (unsigned)tw, (unsigned)th);
					break;
				}
			}
		}
	}
}

bool
capture_reference_update(struct capture_reference *ref, const pixman_box32_t *box,
			 const uint32_t *pixels, uint32_t stride)
{
	int32_t w = box_width(box), h = box_height(box);
	if (!ref->pixels || box_width(&ref->box) != w || box_height(&ref->box) != h) {
		free(ref->pixels);
		ref->pixels = malloc((size_t)w * (size_t)h * 4);
		if (!ref->pixels)
			return false;
	}
	ref->box = *box;
	for (int32_t y = 0; y < h; y++)
		memcpy(ref->pixels + (size_t)y * (size_t)w, row(pixels, stride, box, y),
		       (size_t)w * 4);
	return true;
}

bool
capture_buffer_fits(struct sl_buffer *buffer, int32_t width, int32_t height)
{
	if (!buffer || buffer->width != width || buffer->height != height ||
	    buffer->format != DRM_FORMAT_XRGB8888)
		return false;
	if (buffer->type == SL_BUFFER_SHM)
		return buffer->shm.stride >= width * 4;
	return buffer->type == SL_BUFFER_DMABUF && buffer->dmabuf.n_planes == 1 &&
	       (buffer->dmabuf.modifier == DRM_FORMAT_MOD_LINEAR ||
		buffer->dmabuf.modifier == DRM_FORMAT_MOD_INVALID);
}

bool
capture_copy_to_buffer(struct sl_buffer *buffer, const pixman_box32_t *box, const uint32_t *pixels,
		       uint32_t stride)
{
	struct sl_buffer_access access;
	if (!buffer->resource || !sl_buffer_begin_write(buffer, &access))
		return false;
	for (int32_t y = 0; y < box_height(box); y++)
		memcpy((uint8_t *)access.data + (size_t)y * access.stride,
		       row(pixels, stride, box, y), (size_t)box_width(box) * 4);
	sl_buffer_end_write(buffer);
	return true;
}
