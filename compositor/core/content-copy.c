/* Renderers' copies of surface content, refreshed by damage (see content-copy.h). */
#include <stdbool.h>

#include "core/buffer.h"
#include "core/content-copy.h"
#include "core/stats.h"
#include "core/surface.h"

static void
handle_surface_destroy(struct wl_listener *listener, void *data)
{
	struct sl_content_copy *copy = wl_container_of(listener, copy, surface_destroy);
	copy->destroy(copy);
}

struct sl_content_copy *
sl_content_copy_get(struct sl_surface *surface)
{
	struct wl_listener *listener =
		wl_signal_get(&surface->events.destroy, handle_surface_destroy);
	if (!listener)
		return NULL;
	struct sl_content_copy *copy = wl_container_of(listener, copy, surface_destroy);
	return copy;
}

void
sl_content_copy_init(struct sl_content_copy *copy, struct sl_surface *surface, struct wl_list *list,
		     void (*destroy)(struct sl_content_copy *copy))
{
	copy->surface = surface;
	copy->width = copy->height = 0;
	copy->format = 0;
	copy->encoding = YUV_ENCODING_DEFAULT;
	copy->destroy = destroy;
	copy->surface_destroy.notify = handle_surface_destroy;
	wl_signal_add(&surface->events.destroy, &copy->surface_destroy);
	wl_list_insert(list, &copy->link);
}

void
sl_content_copy_forget(struct sl_surface *surface)
{
	struct sl_content_copy *copy = sl_content_copy_get(surface);
	if (copy)
		copy->format = 0;
}

void
sl_content_copy_finish(struct sl_content_copy *copy)
{
	wl_list_remove(&copy->surface_destroy.link);
	wl_list_remove(&copy->link);
}

int
sl_content_copy_bands(struct sl_content_copy *copy, const struct sl_buffer *buffer,
		      struct sl_row_band *bands, int max, bool *reallocate)
{
	*reallocate = copy->format != buffer->format || copy->width != buffer->width ||
		      copy->height != buffer->height;
	/* A dma-buf stored bottom-up has its rows the other way round from its damage. */
	bool bottom_up = buffer->type == SL_BUFFER_DMABUF && buffer->dmabuf.y_invert;
	struct yuv_encoding e = sl_surface_yuv_encoding(copy->surface);
	bool reread =
		e.matrix != copy->encoding.matrix || e.full_range != copy->encoding.full_range;
	if (*reallocate || bottom_up || reread) {
		bands[0] = (struct sl_row_band){0, buffer->height};
		return 1;
	}
	return sl_damage_row_bands(&copy->surface->content_damage, bands, max);
}

void
sl_content_copy_done(struct sl_content_copy *copy, const struct sl_buffer *buffer,
		     const struct sl_row_band *bands, int n, struct sl_stats *stats)
{
	copy->width = buffer->width;
	copy->height = buffer->height;
	copy->format = buffer->format;
	copy->encoding = sl_surface_yuv_encoding(copy->surface);
	sl_surface_content_copied(copy->surface);
	for (int i = 0; stats && i < n; i++)
		stats->content_rows_copied += (uint64_t)(bands[i].y2 - bands[i].y1);
}
