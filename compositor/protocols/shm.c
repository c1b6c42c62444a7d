/*
 * wl_shm: clients share memory through a file descriptor; buffers are windows into that mapping.
 *
 * Every size, offset and stride is checked against the pool and the pixel format before a buffer
 * exists, so a renderer can never read outside the mapping. The one hazard left is a client that
 * shrinks its file after sharing it: reading then faults with SIGBUS. Sealed memfds (F_SEAL_SHRINK)
 * cannot shrink; for other files, a SIGBUS handler replaces the vanished pages with zeroes and the
 * client gets a protocol error once the read is over.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wayland-server-protocol.h>

#include "core/buffer.h"
#include "formats.h"
#include "core/renderer.h"
#include "log.h"
#include "core/resource.h"
#include "protocols/protocols.h"
#include "core/server.h"

struct sl_shm_pool {
	struct wl_resource *resource; /* NULL once the client destroyed it */
	struct sl_server *server;
	int fd;
	void *data;
	size_t size;
	bool sealed;	    /* F_SEAL_SHRINK: the file can never get shorter than the mapping */
	unsigned refcount;  /* the resource plus one per buffer */
	unsigned accessors; /* nested begin_access calls */
	bool sigbus;	    /* a read faulted since begin_access */
};

/*
 * Signal handlers cannot be handed context, so the pool being read is the one piece of
 * process-wide mutable state outside main(). sluice renders on one thread; the variable is
 * thread-local anyway so a future render thread stays correct.
 */
static _Thread_local struct sl_shm_pool *current_access;
static struct sigaction previous_sigbus;
static bool sigbus_installed; /* previous_sigbus is to be restored by shm_global_finish() */

static void
handle_sigbus(int sig, siginfo_t *info, void *context)
{
	struct sl_shm_pool *pool = current_access;
	uint8_t *addr = info->si_addr;
	if (pool && addr >= (uint8_t *)pool->data && addr < (uint8_t *)pool->data + pool->size) {
		/* Replace the whole mapping with zero pages; the read continues on zeroes. */
		if (mmap(pool->data, pool->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) != MAP_FAILED) {
			pool->sigbus = true;
			return;
		}
	}
	/* Not ours: behave as if no handler had been installed. */
	sigaction(SIGBUS, &previous_sigbus, NULL);
	raise(sig);
}

static void
pool_unmap_close(struct sl_shm_pool *pool)
{
	if (pool->data != MAP_FAILED)
		munmap(pool->data, pool->size);
	close(pool->fd);
	free(pool);
}

static void
shm_pool_unref(struct sl_shm_pool *pool)
{
	assert(pool->refcount > 0);
	if (--pool->refcount == 0)
		pool_unmap_close(pool);
}

static void *
shm_pool_begin_access(struct sl_shm_pool *pool)
{
	if (pool->accessors++ == 0 && !pool->sealed) {
		assert(!current_access || current_access == pool);
		current_access = pool;
	}
	return pool->data;
}

static void
shm_pool_end_access(struct sl_shm_pool *pool)
{
	assert(pool->accessors > 0);
	if (--pool->accessors > 0 || pool->sealed)
		return;
	current_access = NULL;
	if (pool->sigbus) {
		pool->sigbus = false;
		if (pool->resource)
			wl_resource_post_error(pool->resource, WL_SHM_ERROR_INVALID_FD,
					       "the file behind this pool shrank below the pool "
					       "size (%zu bytes) while in use",
					       pool->size);
		else
			log_warn("shm", "a client shrank the file of a destroyed pool");
	}
}

static void
shm_buffer_finish(struct sl_buffer *buffer)
{
	if (buffer->shm.pool)
		shm_pool_unref(buffer->shm.pool);
}

static bool
shm_buffer_begin_access(struct sl_buffer *buffer, struct sl_buffer_access *access)
{
	uint8_t *base = shm_pool_begin_access(buffer->shm.pool);
	access->data = base + buffer->shm.offset;
	access->stride = (uint32_t)buffer->shm.stride;
	access->planes[0] = access->data;
	access->strides[0] = access->stride;
	return true;
}

static void
shm_buffer_end_access(struct sl_buffer *buffer)
{
	shm_pool_end_access(buffer->shm.pool);
}

static const struct sl_buffer_impl shm_buffer_impl = {
	.type = SL_BUFFER_SHM,
	.finish = shm_buffer_finish,
	.begin_access = shm_buffer_begin_access,
	.end_access = shm_buffer_end_access,
	/* The pool is mapped for writing too; a SIGBUS while writing is caught the same way. */
	.begin_write = shm_buffer_begin_access,
	.end_write = shm_buffer_end_access,
};

/* Single-plane RGB formats the renderer can draw. */
static bool
shm_format_usable(struct sl_server *server, uint32_t drm_format)
{
	const struct format_info *info = format_info_from_drm(drm_format);
	struct sl_renderer *renderer = server->renderer;
	return info && !info->is_yuv && info->planes == 1 &&
	       renderer->impl->supports_shm_format(renderer, drm_format);
}

static void
shm_buffer_handle_create(struct wl_client *client, struct wl_resource *resource, uint32_t id,
			 int32_t offset, int32_t width, int32_t height, int32_t stride,
			 uint32_t shm_format)
{
	struct sl_shm_pool *pool = wl_resource_get_user_data(resource);
	uint32_t drm_format = format_drm_from_shm(shm_format);
	const struct format_info *info = format_info_from_drm(drm_format);
	char name[5];

	if (!shm_format_usable(pool->server, drm_format)) {
		wl_resource_post_error(resource, WL_SHM_ERROR_INVALID_FORMAT,
				       "format 0x%08" PRIx32 " (%s) is not supported for wl_shm",
				       shm_format, format_fourcc_str(drm_format, name));
		return;
	}
	if (width <= 0 || height <= 0) {
		wl_resource_post_error(resource, WL_SHM_ERROR_INVALID_STRIDE,
				       "invalid buffer size %" PRId32 "x%" PRId32, width, height);
		return;
	}
	uint32_t min_stride = format_min_stride(info, (uint32_t)width);
	if (stride <= 0 || min_stride == 0 || (uint32_t)stride < min_stride) {
		wl_resource_post_error(resource, WL_SHM_ERROR_INVALID_STRIDE,
				       "stride %" PRId32 " is less than width %" PRId32
				       " x %u bytes per pixel of %s",
				       stride, width, info->cpp[0],
				       format_fourcc_str(drm_format, name));
		return;
	}
	if (offset < 0) {
		wl_resource_post_error(resource, WL_SHM_ERROR_INVALID_STRIDE,
				       "negative offset %" PRId32, offset);
		return;
	}
	/* The last row only needs its pixels, but every row is addressed with the stride. */
	uint64_t end = (uint64_t)offset + (uint64_t)stride * (uint64_t)(height - 1) + min_stride;
	if (end > pool->size) {
		wl_resource_post_error(resource, WL_SHM_ERROR_INVALID_STRIDE,
				       "buffer at offset %" PRId32 " of %" PRId32 "x%" PRId32
				       " with stride %" PRId32 " needs %" PRIu64
				       " bytes but the pool has %zu",
				       offset, width, height, stride, end, pool->size);
		return;
	}

	struct sl_buffer *buffer =
		sl_buffer_create(client, id, &shm_buffer_impl, width, height, drm_format);
	if (!buffer)
		return;
	pool->refcount++;
	buffer->shm.pool = pool;
	buffer->shm.offset = offset;
	buffer->shm.stride = stride;
}

static void
shm_pool_handle_resize(struct wl_client *client, struct wl_resource *resource, int32_t size)
{
	struct sl_shm_pool *pool = wl_resource_get_user_data(resource);
	if (size <= 0 || (size_t)size < pool->size) {
		wl_resource_post_error(resource, WL_SHM_ERROR_INVALID_STRIDE,
				       "pools can only grow: %" PRId32 " bytes is less than %zu",
				       size, pool->size);
		return;
	}
	if ((size_t)size == pool->size)
		return;
	if (pool->sealed) {
		struct stat st;
		if (fstat(pool->fd, &st) == 0 && st.st_size < size) {
			wl_resource_post_error(resource, WL_SHM_ERROR_INVALID_FD,
					       "cannot grow pool to %" PRId32
					       " bytes: the file has only %jd",
					       size, (intmax_t)st.st_size);
			return;
		}
	}
	void *data = mremap(pool->data, pool->size, (size_t)size, MREMAP_MAYMOVE);
	if (data == MAP_FAILED) {
		wl_resource_post_error(resource, WL_SHM_ERROR_INVALID_FD,
				       "cannot grow pool to %" PRId32 " bytes: %s", size,
				       strerror(errno));
		return;
	}
	pool->data = data;
	pool->size = (size_t)size;
}

static void
shm_pool_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_shm_pool_interface shm_pool_impl = {
	.create_buffer = shm_buffer_handle_create,
	.destroy = shm_pool_handle_destroy,
	.resize = shm_pool_handle_resize,
};

static void
shm_pool_handle_resource_destroy(struct wl_resource *resource)
{
	struct sl_shm_pool *pool = wl_resource_get_user_data(resource);
	pool->resource = NULL;
	shm_pool_unref(pool);
}

static void
shm_handle_create_pool(struct wl_client *client, struct wl_resource *resource, uint32_t id,
		       int32_t fd, int32_t size)
{
	/* The fd is ours from here on: every path below closes it or hands it to the pool. */
	if (size <= 0) {
		wl_resource_post_error(resource, WL_SHM_ERROR_INVALID_STRIDE,
				       "invalid pool size %" PRId32, size);
		close(fd);
		return;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		wl_resource_post_error(resource, WL_SHM_ERROR_INVALID_FD, "unusable fd: %s",
				       strerror(errno));
		close(fd);
		return;
	}
	if (S_ISREG(st.st_mode) && st.st_size < size) {
		wl_resource_post_error(resource, WL_SHM_ERROR_INVALID_FD,
				       "pool size %" PRId32 " exceeds the file size %jd", size,
				       (intmax_t)st.st_size);
		close(fd);
		return;
	}
	/* Writable: capture copies output pixels into client shm buffers. */
	void *data = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (data == MAP_FAILED) {
		wl_resource_post_error(resource, WL_SHM_ERROR_INVALID_FD,
				       "cannot map %" PRId32 " bytes of the fd: %s", size,
				       strerror(errno));
		close(fd);
		return;
	}

	struct sl_shm_pool *pool = calloc(1, sizeof(*pool));
	if (!pool) {
		munmap(data, (size_t)size);
		close(fd);
		wl_client_post_no_memory(client);
		return;
	}
	pool->server = wl_resource_get_user_data(resource);
	pool->fd = fd;
	pool->data = data;
	pool->size = (size_t)size;
	int seals = fcntl(fd, F_GET_SEALS);
	pool->sealed = seals >= 0 && (seals & F_SEAL_SHRINK);
	pool->refcount = 1;
	pool->resource = wl_resource_create(client, &wl_shm_pool_interface, 1, id);
	if (!pool->resource) {
		pool_unmap_close(pool);
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(pool->resource, &shm_pool_impl, pool,
				       shm_pool_handle_resource_destroy);
}

static const struct wl_shm_interface shm_impl = {
	.create_pool = shm_handle_create_pool,
	/* wl_shm.release appeared in version 2 (libwayland 1.22); 1.21 knows version 1 only. */
};

static void
shm_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource =
		sl_resource_create(client, &wl_shm_interface, 1, id, &shm_impl, data, NULL);
	if (!resource)
		return;

	struct sl_server *server = data;
	unsigned count;
	const struct format_info *formats = format_table(&count);
	for (unsigned i = 0; i < count; i++)
		if (shm_format_usable(server, formats[i].drm))
			wl_shm_send_format(resource, format_shm_from_drm(formats[i].drm));
}

bool
shm_global_init(struct sl_server *server)
{
	struct sigaction sa = {.sa_sigaction = handle_sigbus, .sa_flags = SA_SIGINFO | SA_NODEFER};
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &previous_sigbus) < 0) {
		log_errno("shm", "cannot install the SIGBUS handler");
		return false;
	}
	sigbus_installed = true;
	struct wl_global *global =
		wl_global_create(server->display, &wl_shm_interface, 1, server, shm_bind);
	return global != NULL;
}

void
shm_global_finish(void)
{
	if (sigbus_installed)
		sigaction(SIGBUS, &previous_sigbus, NULL);
	sigbus_installed = false;
}
