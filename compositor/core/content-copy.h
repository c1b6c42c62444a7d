#ifndef SLUICE_CONTENT_COPY_H
#define SLUICE_CONTENT_COPY_H

#include <stdint.h>
#include <wayland-server-core.h>

#include "core/damage.h"
#include "yuv.h"

struct sl_buffer;
struct sl_stats;
struct sl_surface;

/*
 * A renderer's own copy of a surface's pixels, for buffers it cannot sample where they are: GL's
 * texture of a wl_shm buffer, the pixman renderer's XRGB8888 conversion of a YUV buffer. It is
 * kept across frames and refreshed only where the client damaged its buffer
 * (sl_surface.content_damage), whole when the buffer's size or format changed, or how its YCbCr
 * is to be read (wp_color_representation_v1). Embedded in the
 * renderer's own struct; gone with the surface (destroy is called) or with the renderer.
 */
struct sl_content_copy {
	struct sl_surface *surface;
	struct wl_listener surface_destroy;
	struct wl_list link; /* the renderer's list of copies */
	int32_t width, height;
	uint32_t format;	      /* of the buffer last copied; 0: nothing copied yet */
	struct yuv_encoding encoding; /* what YCbCr was read as (a change copies all again) */
	void (*destroy)(struct sl_content_copy *copy);
};

/* The copy a renderer keeps of surface, or NULL. One renderer draws a server's surfaces. */
struct sl_content_copy *sl_content_copy_get(struct sl_surface *surface);
void sl_content_copy_init(struct sl_content_copy *copy, struct sl_surface *surface,
			  struct wl_list *list, void (*destroy)(struct sl_content_copy *copy));
/* The surface was drawn from somewhere else: its copy, if any, is stale from now on. */
void sl_content_copy_forget(struct sl_surface *surface);
/* Undoes init (the owner then frees it). */
void sl_content_copy_finish(struct sl_content_copy *copy);

/*
 * The rows of buffer to copy now, as bands (at most max): the whole buffer when the copy holds
 * another size or format or nothing yet (*reallocate is then set, for the owner to make room),
 * otherwise the surface's content damage; 0 when the copy is up to date.
 */
int sl_content_copy_bands(struct sl_content_copy *copy, const struct sl_buffer *buffer,
			  struct sl_row_band *bands, int max, bool *reallocate);
/* The bands were copied: the copy matches buffer, the surface's content damage is cleared. */
void sl_content_copy_done(struct sl_content_copy *copy, const struct sl_buffer *buffer,
			  const struct sl_row_band *bands, int n, struct sl_stats *stats);

#endif
