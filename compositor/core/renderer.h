#ifndef SLUICE_RENDERER_H
#define SLUICE_RENDERER_H

#include <pixman.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/transform.h"

struct sl_buffer;
struct sl_format_set;
struct sl_stats;
struct sl_surface;
struct sl_render_target;

/* How a renderer will read a dma-buf buffer. */
enum sl_dmabuf_import {
	SL_DMABUF_IMPORT_FAILED,
	SL_DMABUF_IMPORT_GPU, /* an EGL image: sampled in place */
	SL_DMABUF_IMPORT_CPU, /* mapped and read on the CPU (pixman, or GL's last resort) */
};

/*
 * Where a surface goes in the target: its origin in the output's layout, the map from layout to
 * the target's pixels (the output's transform) and back, and the pixels it covers.
 */
struct sl_placement {
	int32_t x, y;
	const struct sl_affine *layout_to_pixels, *pixels_to_layout;
	struct {
		int32_t x, y, width, height;
	} pixel_box;
};

struct sl_renderer;

/* A renderer composes surfaces into render targets. The pixman one now; the GL one beside it. */
struct sl_renderer_impl {
	void (*destroy)(struct sl_renderer *renderer);
	struct sl_render_target *(*target_create)(struct sl_renderer *renderer, int32_t width,
						  int32_t height);
	void (*target_destroy)(struct sl_renderer *renderer, struct sl_render_target *target);
	void (*begin)(struct sl_renderer *renderer, struct sl_render_target *target);
	/* Fills region (target pixels) with an opaque colour (0xRRGGBB). */
	void (*clear)(struct sl_renderer *renderer, const pixman_region32_t *region, uint32_t rgb);
	/* Draws the surface's current buffer, clipped to clip (target pixels). */
	void (*draw_surface)(struct sl_renderer *renderer, struct sl_surface *surface,
			     const struct sl_placement *placement, const pixman_region32_t *clip);
	/*
	 * Ends the frame. Returns a sync_file (the caller's) that signals once the drawing is done,
	 * or -1 when it already is: the display waits for it before scanning out, and the client
	 * buffers read for the frame may be reused once it signals.
	 */
	int (*end)(struct sl_renderer *renderer);
	/* A render target over existing XRGB8888 memory (a KMS dumb buffer), or NULL. */
	struct sl_render_target *(*target_wrap)(struct sl_renderer *renderer, void *data,
						int32_t width, int32_t height, uint32_t stride);
	/*
	 * A target the display can scan out, allocated on the KMS device the renderer was created
	 * for; a dma-buf of it (the caller's to close), its pitch and modifier are returned for
	 * drmModeAddFB2WithModifiers. A dma-buf, not a GEM handle: the renderer's handles live in
	 * a file of its own.
	 * NULL where the renderer has no such buffers (pixman draws into dumb buffers instead).
	 */
	struct sl_render_target *(*target_create_scanout)(struct sl_renderer *renderer,
							  int32_t width, int32_t height,
							  int *dmabuf_fd, uint32_t *pitch,
							  uint64_t *modifier);
	/* Adds every (format, modifier) pair it can draw from a dma-buf. */
	void (*dmabuf_formats)(struct sl_renderer *renderer, struct sl_format_set *out);
	/*
	 * Prepares a new dma-buf buffer for drawing (an EGL image cached until the buffer goes, or
	 * a CPU mapping) and says which path it will take.
	 */
	enum sl_dmabuf_import (*import_dmabuf)(struct sl_renderer *renderer,
					       struct sl_buffer *buffer);
	/* Whether wl_shm buffers of this DRM format can be drawn. */
	bool (*supports_shm_format)(struct sl_renderer *renderer, uint32_t drm_format);
	/* A target's pixels as XRGB8888, or NULL if the renderer cannot read them on the CPU. */
	const void *(*target_pixels)(struct sl_renderer *renderer, struct sl_render_target *target,
				     uint32_t *stride);
};

struct sl_renderer {
	const struct sl_renderer_impl *impl;
	struct sl_stats *stats; /* the server's counters, set by whoever installs the renderer */
	bool software;		/* a CPU rasteriser behind GL (llvmpipe, softpipe) */
};

#endif
