#ifndef SLUICE_BUFFER_H
#define SLUICE_BUFFER_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>

struct sl_shm_pool;

enum sl_buffer_type {
	SL_BUFFER_SHM,
	SL_BUFFER_SINGLE_PIXEL,
};

/*
 * The compositor's side of a wl_buffer. Every wl_buffer sluice creates uses the one implementation
 * in buffer.c, so any resource can be checked and converted with sl_buffer_from_resource().
 *
 * Lifetime: the client owns the wl_buffer; the compositor takes locks while it needs the contents
 * (committed surface state, a renderer, a capture). wl_buffer.release is sent when the last lock
 * goes. If the client destroys the wl_buffer while it is locked, the struct lives on (resource
 * NULL) until the last unlock, keeping its storage mapped so that the surface keeps its last frame.
 */
struct sl_buffer {
	struct wl_resource *resource; /* NULL once the client destroyed it */
	enum sl_buffer_type type;
	int32_t width, height;
	uint32_t format; /* DRM fourcc */
	unsigned n_locks;

	struct {
		/* Emitted when the wl_buffer resource is destroyed (weak references drop it). */
		struct wl_signal resource_destroy;
	} events;

	union {
		struct {
			struct sl_shm_pool *pool; /* one reference held */
			int32_t offset, stride;
		} shm;
		struct {
			/* Premultiplied RGBA, each channel 0..UINT32_MAX. */
			uint32_t r, g, b, a;
		} single_pixel;
	};
};

/* Creates the resource and the struct; NULL after posting no_memory. */
struct sl_buffer *sl_buffer_create(struct wl_client *client, uint32_t id, enum sl_buffer_type type,
				   int32_t width, int32_t height, uint32_t format);
/* NULL if the resource is not a sluice wl_buffer (e.g. from an unsupported buffer factory). */
struct sl_buffer *sl_buffer_from_resource(struct wl_resource *resource);
struct sl_buffer *sl_buffer_lock(struct sl_buffer *buffer);
void sl_buffer_unlock(struct sl_buffer *buffer);

/* CPU view of a buffer's pixels, valid between begin and end access. */
struct sl_buffer_access {
	void *data;
	uint32_t stride;
};
/* False for buffers without CPU-visible storage (single-pixel). */
bool sl_buffer_begin_access(struct sl_buffer *buffer, struct sl_buffer_access *access);
void sl_buffer_end_access(struct sl_buffer *buffer);

/* shm.c: buffer storage hooks used by buffer.c. */
void shm_pool_unref(struct sl_shm_pool *pool);
void *shm_pool_begin_access(struct sl_shm_pool *pool);
void shm_pool_end_access(struct sl_shm_pool *pool);

#endif
