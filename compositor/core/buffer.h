#ifndef SLUICE_BUFFER_H
#define SLUICE_BUFFER_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>

struct sl_buffer;
struct sl_buffer_access;
struct sl_shm_pool;

enum sl_buffer_type {
	SL_BUFFER_SHM,
	SL_BUFFER_SINGLE_PIXEL,
	SL_BUFFER_DMABUF,
};

#define SL_DMABUF_MAX_PLANES 4

/*
 * What a kind of buffer (wl_shm, linux-dmabuf, single-pixel) provides. buffer.c knows no kind:
 * each protocol that makes buffers passes its table to sl_buffer_alloc()/sl_buffer_create().
 */
struct sl_buffer_impl {
	enum sl_buffer_type type;
	/* Frees what the kind keeps for the buffer; the struct itself is freed by buffer.c. */
	void (*finish)(struct sl_buffer *buffer);
	/*
	 * Optional: a CPU view of the pixels, false if there is none. Every successful begin is
	 * paired with one end_access.
	 */
	bool (*begin_access)(struct sl_buffer *buffer, struct sl_buffer_access *access);
	void (*end_access)(struct sl_buffer *buffer);
	/* Optional: the same for writing into the buffer (a capture's target). */
	bool (*begin_write)(struct sl_buffer *buffer, struct sl_buffer_access *access);
	void (*end_write)(struct sl_buffer *buffer);
	/*
	 * Optional, implicit sync: stores sync_files (the caller owns them) of writes still
	 * pending on the buffer's storage, leaving out signalled ones; returns how many.
	 */
	int (*export_fences)(struct sl_buffer *buffer, int fds[static SL_DMABUF_MAX_PLANES]);
};

/* One plane of a dma-buf buffer, as the client described it. */
struct sl_dmabuf_plane {
	int fd; /* owned */
	uint32_t offset, stride;
	/* The CPU mapping of the whole dma-buf (fallback path), made on first use. */
	void *map;
	size_t map_size;
};

/*
 * The compositor's side of a wl_buffer. Every wl_buffer sluice creates uses the one wl_buffer
 * implementation in buffer.c, so any resource can be checked and converted with
 * sl_buffer_from_resource(); what differs between kinds is in impl.
 *
 * Lifetime: the client owns the wl_buffer; the compositor takes locks while it needs the contents
 * (committed surface state, a renderer, a capture). wl_buffer.release is sent when the last lock
 * goes. If the client destroys the wl_buffer while it is locked, the struct lives on (resource
 * NULL) until the last unlock, keeping its storage mapped so that the surface keeps its last frame.
 */
struct sl_buffer {
	struct wl_resource *resource; /* NULL once the client destroyed it */
	const struct sl_buffer_impl *impl;
	enum sl_buffer_type type; /* impl->type */
	int32_t width, height;
	uint32_t format; /* DRM fourcc */
	unsigned n_locks;
	/*
	 * Planes showing the buffer (each also holds a lock). The display reads it until the flip
	 * that replaces it, so explicit releases of its commits wait here until then.
	 */
	unsigned n_scanout;
	struct wl_list deferred_releases; /* sl_release.link */
	/*
	 * The renderer's fence (a sync_file, owned) of the last composited frame that read the
	 * buffer, -1 when that reading is known to be done: explicit releases carry it.
	 */
	int read_fence;

	struct {
		/* Emitted when the wl_buffer resource is destroyed (weak references drop it). */
		struct wl_signal resource_destroy;
		/*
		 * Emitted when the struct is freed: importers (EGL images, KMS framebuffers) keep
		 * their per-buffer state as a listener here and find it with wl_signal_get().
		 */
		struct wl_signal destroy;
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
		struct {
			struct sl_dmabuf_plane planes[SL_DMABUF_MAX_PLANES];
			unsigned n_planes;
			uint64_t modifier;
			bool y_invert;
			bool cpu_fallback_logged;
			/* Plane 0 mapped for writing, between begin_write and end_write. */
			void *write_map;
			size_t write_map_size;
		} dmabuf;
	};
};

/*
 * For imports that can still fail: the struct without its resource. Either publish it (creates the
 * wl_buffer with id, or a server-allocated one for id 0; on failure the buffer is freed and
 * no_memory posted) or discard it.
 */
struct sl_buffer *sl_buffer_alloc(const struct sl_buffer_impl *impl, int32_t width, int32_t height,
				  uint32_t format);
bool sl_buffer_publish(struct sl_buffer *buffer, struct wl_client *client, uint32_t id);
void sl_buffer_discard(struct sl_buffer *buffer);
/* Creates the resource and the struct; NULL after posting no_memory. */
struct sl_buffer *sl_buffer_create(struct wl_client *client, uint32_t id,
				   const struct sl_buffer_impl *impl, int32_t width, int32_t height,
				   uint32_t format);
/* NULL if the resource is not a sluice wl_buffer (e.g. from an unsupported buffer factory). */
struct sl_buffer *sl_buffer_from_resource(struct wl_resource *resource);
struct sl_buffer *sl_buffer_lock(struct sl_buffer *buffer);
void sl_buffer_unlock(struct sl_buffer *buffer);
void sl_buffer_scanout_lock(struct sl_buffer *buffer);
void sl_buffer_scanout_unlock(struct sl_buffer *buffer);
/*
 * A commit that no longer shows the buffer was submitted; fence_fd (borrowed) signals when it has
 * left the screen. Fires the deferred releases that can carry the fence; returns how many.
 */
int sl_buffer_scanout_replaced(struct sl_buffer *buffer, int fence_fd);
/*
 * Fires the releases now (with the buffer's read fence where it has one and they can carry it),
 * or when the last plane lets go of the buffer (buffer nullable).
 */
void sl_buffer_release_or_defer(struct sl_buffer *buffer, struct wl_list *releases);
/* A composited frame read the buffer; fence_fd (borrowed) signals when that frame is drawn. */
void sl_buffer_set_read_fence(struct sl_buffer *buffer, int fence_fd);

/* CPU view of a buffer's pixels, valid between begin and end access. */
struct sl_buffer_access {
	void *data; /* plane 0 */
	uint32_t stride;
	/* Every plane (the first is data/stride again), for multi-planar formats. */
	const uint8_t *planes[3];
	uint32_t strides[3];
};
/*
 * False for buffers without CPU-visible storage (single-pixel) or dma-bufs that cannot be mapped.
 * For dma-bufs the access is bracketed by DMA_BUF_IOCTL_SYNC so that caches are coherent.
 */
bool sl_buffer_begin_access(struct sl_buffer *buffer, struct sl_buffer_access *access);
void sl_buffer_end_access(struct sl_buffer *buffer);
/* A CPU view to write the pixels through (plane 0), where the kind has one. */
bool sl_buffer_begin_write(struct sl_buffer *buffer, struct sl_buffer_access *access);
void sl_buffer_end_write(struct sl_buffer *buffer);

/*
 * Implicit sync: the sync_files of writes still pending on the buffer (see
 * sl_buffer_impl.export_fences); 0 for kinds without any.
 */
int sl_buffer_export_fences(struct sl_buffer *buffer, int fds[static SL_DMABUF_MAX_PLANES]);

#endif
