/* The software renderer: pixman composites client buffers straight from their shared memory. */
#include <assert.h>
#include <drm_fourcc.h>
#include <stdlib.h>
#include <string.h>

#include "core/buffer.h"
#include "core/content-copy.h"
#include "core/format-set.h"
#include "formats.h"
#include "log.h"
#include "core/renderer.h"
#include "renderers/pixman.h"
#include "core/stats.h"
#include "core/surface.h"
#include "yuv.h"

struct sl_render_target {
	pixman_image_t *image; /* x8r8g8b8 */
};

struct pixman_renderer {
	struct sl_renderer base;
	struct sl_render_target *target; /* between begin and end */
	struct wl_list converted;	 /* pixman_converted.copy.link */
};

/* A YUV surface's pixels as XRGB8888, kept and refreshed by damage. */
struct pixman_converted {
	struct sl_content_copy copy;
	pixman_image_t *image;
};

#define CONVERT_MAX_BANDS 8

static struct pixman_renderer *
pixman_renderer(struct sl_renderer *renderer)
{
	return (struct pixman_renderer *)renderer;
}

static pixman_format_code_t
pixman_format_from_drm(uint32_t drm)
{
	switch (drm) {
	case DRM_FORMAT_ARGB8888:
		return PIXMAN_a8r8g8b8;
	case DRM_FORMAT_XRGB8888:
		return PIXMAN_x8r8g8b8;
	case DRM_FORMAT_ABGR8888:
		return PIXMAN_a8b8g8r8;
	case DRM_FORMAT_XBGR8888:
		return PIXMAN_x8b8g8r8;
	case DRM_FORMAT_RGB565:
		return PIXMAN_r5g6b5;
	case DRM_FORMAT_ARGB2101010:
		return PIXMAN_a2r10g10b10;
	case DRM_FORMAT_XRGB2101010:
		return PIXMAN_x2r10g10b10;
	case DRM_FORMAT_ABGR2101010:
		return PIXMAN_a2b10g10r10;
	case DRM_FORMAT_XBGR2101010:
		return PIXMAN_x2b10g10r10;
	default:
		return 0;
	}
}

static struct sl_render_target *
pixman_target_create(struct sl_renderer *renderer, int32_t width, int32_t height)
{
	struct sl_render_target *target = calloc(1, sizeof(*target));
	if (!target)
		return NULL;
	/* pixman allocates and zeroes: a new target is black. */
	target->image = pixman_image_create_bits(PIXMAN_x8r8g8b8, width, height, NULL, 0);
	if (!target->image) {
		free(target);
		return NULL;
	}
	return target;
}

static void
pixman_target_destroy(struct sl_renderer *renderer, struct sl_render_target *target)
{
	if (!target)
		return;
	pixman_image_unref(target->image);
	free(target);
}

static void
pixman_begin(struct sl_renderer *renderer, struct sl_render_target *target)
{
	struct pixman_renderer *pr = pixman_renderer(renderer);
	assert(!pr->target);
	pr->target = target;
}

static int
pixman_end(struct sl_renderer *renderer)
{
	struct pixman_renderer *pr = pixman_renderer(renderer);
	assert(pr->target);
	pixman_image_set_clip_region32(pr->target->image, NULL);
	pr->target = NULL;
	return -1; /* pixman draws synchronously */
}

static void
pixman_clear(struct sl_renderer *renderer, const pixman_region32_t *region, uint32_t rgb)
{
	struct pixman_renderer *pr = pixman_renderer(renderer);
	pixman_color_t color = {
		.red = (uint16_t)(((rgb >> 16) & 0xff) * 0x101),
		.green = (uint16_t)(((rgb >> 8) & 0xff) * 0x101),
		.blue = (uint16_t)((rgb & 0xff) * 0x101),
		.alpha = 0xffff,
	};
	int n;
	pixman_box32_t *boxes = pixman_region32_rectangles((pixman_region32_t *)region, &n);
	pixman_image_fill_boxes(PIXMAN_OP_SRC, pr->target->image, &color, n, boxes);
}

static uint16_t
channel16(uint32_t v)
{
	return (uint16_t)(v >> 16);
}

static void
converted_destroy(struct sl_content_copy *copy)
{
	struct pixman_converted *c = wl_container_of(copy, c, copy);
	sl_content_copy_finish(copy);
	if (c->image)
		pixman_image_unref(c->image);
	free(c);
}

/*
 * The surface's YUV buffer as XRGB8888, converting only the rows damaged since the last draw; a
 * new reference, or NULL.
 */
static pixman_image_t *
converted_image(struct pixman_renderer *pr, struct sl_surface *surface, struct sl_buffer *buffer,
		const struct sl_buffer_access *access)
{
	struct sl_content_copy *copy = sl_content_copy_get(surface);
	struct pixman_converted *c = copy ? wl_container_of(copy, c, copy) : NULL;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		sl_content_copy_init(&c->copy, surface, &pr->converted, converted_destroy);
	}
	struct sl_row_band bands[CONVERT_MAX_BANDS];
	bool reallocate;
	int n = sl_content_copy_bands(&c->copy, buffer, bands, CONVERT_MAX_BANDS, &reallocate);
	/* A copy without an image holds nothing yet: format 0, so reallocate is set. */
	if (reallocate) {
		if (c->image)
			pixman_image_unref(c->image);
		c->image = pixman_image_create_bits_no_clear(PIXMAN_x8r8g8b8, buffer->width,
							     buffer->height, NULL, 0);
		if (!c->image) {
			c->copy.format = 0;
			return NULL;
		}
	}
	uint8_t *data = (uint8_t *)pixman_image_get_data(c->image);
	uint32_t stride = (uint32_t)pixman_image_get_stride(c->image);
	for (int i = 0; i < n; i++)
		yuv_convert_rows_encoded(buffer->format, sl_surface_yuv_encoding(surface),
					 access->planes, access->strides, buffer->width,
					 bands[i].y1, bands[i].y2,
					 (uint32_t *)(data + (size_t)bands[i].y1 * stride), stride);
	sl_content_copy_done(&c->copy, buffer, bands, n, pr->base.stats);
	return pixman_image_ref(c->image);
}

static void
pixman_draw_surface(struct sl_renderer *renderer, struct sl_surface *surface,
		    const struct sl_placement *placement, const pixman_region32_t *clip)
{
	struct pixman_renderer *pr = pixman_renderer(renderer);
	struct sl_buffer *buffer = surface->current.buffer;
	pixman_image_t *dst = pr->target->image;
	int32_t x = placement->pixel_box.x, y = placement->pixel_box.y;
	int32_t w = placement->pixel_box.width, h = placement->pixel_box.height;

	pixman_image_set_clip_region32(dst, (pixman_region32_t *)clip);

	if (buffer->type == SL_BUFFER_SINGLE_PIXEL) {
		pixman_color_t color = {
			.red = channel16(buffer->single_pixel.r),
			.green = channel16(buffer->single_pixel.g),
			.blue = channel16(buffer->single_pixel.b),
			.alpha = channel16(buffer->single_pixel.a),
		};
		pixman_image_t *fill = pixman_image_create_solid_fill(&color);
		if (fill) {
			pixman_image_composite32(PIXMAN_OP_OVER, fill, NULL, dst, 0, 0, 0, 0, x, y,
						 w, h);
			pixman_image_unref(fill);
		}
		return;
	}

	struct sl_buffer_access access;
	pixman_format_code_t format = pixman_format_from_drm(buffer->format);
	const struct format_info *info = format_info_from_drm(buffer->format);
	bool yuv = info && info->is_yuv;
	if ((!format && !yuv) || !sl_buffer_begin_access(buffer, &access)) {
		log_warn("pixman", "buffer format cannot be drawn by the pixman renderer");
		return;
	}
	pixman_image_t *src;
	if (yuv) {
		/* pixman reads few YUV layouts: the conversion to XRGB8888 is kept. */
		format = PIXMAN_x8r8g8b8;
		src = converted_image(pr, surface, buffer, &access);
	} else {
		sl_content_copy_forget(surface);
		src = pixman_image_create_bits_no_clear(format, buffer->width, buffer->height,
							access.data, (int)access.stride);
	}
	if (buffer->type == SL_BUFFER_DMABUF && pr->base.stats)
		pr->base.stats->dmabuf_cpu_draws++;
	if (src) {
		/* Target pixels → layout → surface-local (minus placement) → buffer pixels. */
		struct sl_affine to_surface = *placement->pixels_to_layout;
		to_surface.m[2] -= placement->x;
		to_surface.m[5] -= placement->y;
		struct sl_affine to_buffer =
			sl_affine_compose(&surface->geometry.surface_to_buffer, &to_surface);
		double m[6];
		memcpy(m, to_buffer.m, sizeof(m));
		if (buffer->type == SL_BUFFER_DMABUF && buffer->dmabuf.y_invert) {
			/* The first row in memory is the bottom of the image. */
			m[3] = -m[3];
			m[4] = -m[4];
			m[5] = buffer->height - m[5];
		}
		struct pixman_transform transform = {{
			{pixman_double_to_fixed(m[0]), pixman_double_to_fixed(m[1]),
			 pixman_double_to_fixed(m[2])},
			{pixman_double_to_fixed(m[3]), pixman_double_to_fixed(m[4]),
			 pixman_double_to_fixed(m[5])},
			{0, 0, pixman_fixed_1},
		}};
		pixman_image_set_transform(src, &transform);
		pixman_image_set_filter(src,
					surface->geometry.pixel_exact ? PIXMAN_FILTER_NEAREST
								      : PIXMAN_FILTER_BILINEAR,
					NULL, 0);
		/* Bilinear sampling at the edges reads outside: repeat the edge, not transparency.
		 */
		pixman_image_set_repeat(src, PIXMAN_REPEAT_PAD);
		bool opaque = !PIXMAN_FORMAT_A(format);
		pixman_image_composite32(opaque ? PIXMAN_OP_SRC : PIXMAN_OP_OVER, src, NULL, dst, x,
					 y, 0, 0, x, y, w, h);
		pixman_image_unref(src);
	}
	sl_buffer_end_access(buffer);
}

/* Linear layouts of every format the CPU path reads: pixman's RGB formats and the YUV ones. */
static void
pixman_dmabuf_formats(struct sl_renderer *renderer, struct sl_format_set *out)
{
	unsigned count;
	const struct format_info *table = format_table(&count);
	for (unsigned i = 0; i < count; i++) {
		if (!pixman_format_from_drm(table[i].drm) && !table[i].is_yuv)
			continue;
		sl_format_set_add(out, table[i].drm, DRM_FORMAT_MOD_LINEAR);
		/* Without a device, "implicit" can only mean linear here. */
		sl_format_set_add(out, table[i].drm, DRM_FORMAT_MOD_INVALID);
	}
}

static enum sl_dmabuf_import
pixman_import_dmabuf(struct sl_renderer *renderer, struct sl_buffer *buffer)
{
	struct sl_buffer_access access;
	if (!sl_buffer_begin_access(buffer, &access))
		return SL_DMABUF_IMPORT_FAILED;
	sl_buffer_end_access(buffer);
	return SL_DMABUF_IMPORT_CPU;
}

static bool
pixman_supports_shm_format(struct sl_renderer *renderer, uint32_t drm_format)
{
	return pixman_format_from_drm(drm_format) != 0;
}

static const void *
pixman_target_pixels(struct sl_renderer *renderer, struct sl_render_target *target,
		     uint32_t *stride)
{
	*stride = (uint32_t)pixman_image_get_stride(target->image);
	return pixman_image_get_data(target->image);
}

static struct sl_render_target *
pixman_target_wrap(struct sl_renderer *renderer, void *data, int32_t width, int32_t height,
		   uint32_t stride)
{
	struct sl_render_target *target = calloc(1, sizeof(*target));
	if (!target)
		return NULL;
	target->image = pixman_image_create_bits_no_clear(PIXMAN_x8r8g8b8, width, height, data,
							  (int)stride);
	if (!target->image) {
		free(target);
		return NULL;
	}
	return target;
}

static void
pixman_destroy(struct sl_renderer *renderer)
{
	struct pixman_renderer *pr = pixman_renderer(renderer);
	struct pixman_converted *c, *tmp;
	wl_list_for_each_safe (c, tmp, &pr->converted, copy.link)
		converted_destroy(&c->copy);
	free(pr);
}

static const struct sl_renderer_impl pixman_renderer_impl = {
	.destroy = pixman_destroy,
	.target_create = pixman_target_create,
	.target_destroy = pixman_target_destroy,
	.begin = pixman_begin,
	.clear = pixman_clear,
	.draw_surface = pixman_draw_surface,
	.end = pixman_end,
	.target_wrap = pixman_target_wrap,
	.supports_shm_format = pixman_supports_shm_format,
	.dmabuf_formats = pixman_dmabuf_formats,
	.import_dmabuf = pixman_import_dmabuf,
	.target_pixels = pixman_target_pixels,
};

struct sl_renderer *
renderer_pixman_create(void)
{
	struct pixman_renderer *pr = calloc(1, sizeof(*pr));
	if (!pr)
		return NULL;
	pr->base.impl = &pixman_renderer_impl;
	wl_list_init(&pr->converted);
	return &pr->base;
}
