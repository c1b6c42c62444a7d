/* zwp_linux_dmabuf_v1: clients' dma-buf wl_buffers, formats and per-surface feedback. */
#ifndef SLUICE_DMABUF_H
#define SLUICE_DMABUF_H

#include <stdbool.h>
#include <wayland-server-core.h>

struct sl_buffer;
struct sl_dmabuf;
struct sl_server;
struct sl_surface;

struct sl_dmabuf_events {
	/* struct wl_client *: it was told which formats and modifiers it may use. */
	struct wl_signal formats_sent;
	/* struct sl_buffer *: a client made a dma-buf wl_buffer (its resource is set). */
	struct wl_signal buffer_created;
};

/*
 * After the backend: the formats come from the renderer and, with a main device, the scanout
 * tranche from the primary planes. Without any importable format there is no global. NULL
 * (with a log line) on failure.
 */
struct sl_dmabuf *dmabuf_create(struct sl_server *server);
void dmabuf_destroy(struct sl_dmabuf *dmabuf);
struct sl_dmabuf_events *dmabuf_get_events(struct sl_dmabuf *dmabuf);
/*
 * Whether the surface was offered a scanout tranche (per-surface feedback) that the buffer's
 * format and modifier are not in.
 */
bool dmabuf_buffer_misses_scanout(const struct sl_dmabuf *dmabuf, struct sl_surface *surface,
				  const struct sl_buffer *buffer);

#endif
