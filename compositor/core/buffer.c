#include "core/buffer.h"

#include <assert.h>
#include <fcntl.h>
#include <stdlib.h>
#include <wayland-server-protocol.h>

#include "core/surface.h"
#include "core/sync.h"
#include "fd.h"

static void
buffer_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_buffer_interface buffer_impl = {
	.destroy = buffer_handle_destroy,
};

static void
buffer_free(struct sl_buffer *buffer)
{
	assert(buffer->n_locks == 0 && !buffer->resource && buffer->n_scanout == 0);
	assert(wl_list_empty(&buffer->deferred_releases));
	wl_signal_emit_mutable(&buffer->events.destroy, buffer);
	buffer->impl->finish(buffer);
	fd_close(&buffer->read_fence);
	free(buffer);
}

static void
buffer_handle_resource_destroy(struct wl_resource *resource)
{
	struct sl_buffer *buffer = wl_resource_get_user_data(resource);
	wl_signal_emit_mutable(&buffer->events.resource_destroy, buffer);
	buffer->resource = NULL;
	/* A locked buffer stays: its storage is still mapped and the surface keeps showing it. */
	if (buffer->n_locks == 0)
		buffer_free(buffer);
}

struct sl_buffer *
sl_buffer_alloc(const struct sl_buffer_impl *impl, int32_t width, int32_t height, uint32_t format)
{
	assert(impl->finish);
	struct sl_buffer *buffer = calloc(1, sizeof(*buffer));
	if (!buffer)
		return NULL;
	buffer->impl = impl;
	buffer->type = impl->type;
	buffer->width = width;
	buffer->height = height;
	buffer->format = format;
	wl_signal_init(&buffer->events.resource_destroy);
	wl_signal_init(&buffer->events.destroy);
	wl_list_init(&buffer->deferred_releases);
	buffer->read_fence = -1;
	return buffer;
}

void
sl_buffer_discard(struct sl_buffer *buffer)
{
	assert(!buffer->resource);
	buffer_free(buffer);
}

bool
sl_buffer_publish(struct sl_buffer *buffer, struct wl_client *client, uint32_t id)
{
	assert(!buffer->resource);
	buffer->resource = wl_resource_create(client, &wl_buffer_interface, 1, id);
	if (!buffer->resource) {
		buffer_free(buffer);
		wl_client_post_no_memory(client);
		return false;
	}
	wl_resource_set_implementation(buffer->resource, &buffer_impl, buffer,
				       buffer_handle_resource_destroy);
	return true;
}

struct sl_buffer *
sl_buffer_create(struct wl_client *client, uint32_t id, const struct sl_buffer_impl *impl,
		 int32_t width, int32_t height, uint32_t format)
{
	struct sl_buffer *buffer = sl_buffer_alloc(impl, width, height, format);
	if (!buffer) {
		wl_client_post_no_memory(client);
		return NULL;
	}
	return sl_buffer_publish(buffer, client, id) ? buffer : NULL;
}

struct sl_buffer *
sl_buffer_from_resource(struct wl_resource *resource)
{
	if (!wl_resource_instance_of(resource, &wl_buffer_interface, &buffer_impl))
		return NULL;
	return wl_resource_get_user_data(resource);
}

struct sl_buffer *
sl_buffer_lock(struct sl_buffer *buffer)
{
	buffer->n_locks++;
	return buffer;
}

void
sl_buffer_unlock(struct sl_buffer *buffer)
{
	assert(buffer->n_locks > 0);
	if (--buffer->n_locks > 0)
		return;
	if (buffer->resource)
		wl_buffer_send_release(buffer->resource);
	else
		buffer_free(buffer);
}

void
sl_buffer_scanout_lock(struct sl_buffer *buffer)
{
	buffer->n_scanout++;
	sl_buffer_lock(buffer);
}

void
sl_buffer_scanout_unlock(struct sl_buffer *buffer)
{
	assert(buffer->n_scanout > 0);
	if (--buffer->n_scanout == 0)
		sl_release_fire_list(&buffer->deferred_releases);
	sl_buffer_unlock(buffer);
}

int
sl_buffer_scanout_replaced(struct sl_buffer *buffer, int fence_fd)
{
	/* Another output may still show it: then only the last unlock can tell. */
	if (fence_fd < 0 || buffer->n_scanout != 1)
		return 0;
	int fired = 0;
	struct wl_list kept;
	wl_list_init(&kept);
	struct sl_release *release, *tmp;
	wl_list_for_each_safe (release, tmp, &buffer->deferred_releases, link) {
		wl_list_remove(&release->link);
		wl_list_init(&release->link);
		if (release->fire_fenced(release, fence_fd)) {
			fired++;
		} else {
			wl_list_insert(kept.prev, &release->link);
		}
	}
	wl_list_insert_list(&buffer->deferred_releases, &kept);
	return fired;
}

void
sl_buffer_release_or_defer(struct sl_buffer *buffer, struct wl_list *releases)
{
	if (buffer && buffer->n_scanout > 0) {
		wl_list_insert_list(buffer->deferred_releases.prev, releases);
		wl_list_init(releases);
		return;
	}
	/* The GPU may still be reading it: each release that can carry the fence waits on it. */
	if (buffer && buffer->read_fence >= 0)
		sl_release_fire_list_fenced(releases, buffer->read_fence);
	else
		sl_release_fire_list(releases);
}

void
sl_buffer_set_read_fence(struct sl_buffer *buffer, int fence_fd)
{
	fd_close(&buffer->read_fence);
	if (fence_fd >= 0)
		buffer->read_fence = fcntl(fence_fd, F_DUPFD_CLOEXEC, 0);
}

bool
sl_buffer_begin_access(struct sl_buffer *buffer, struct sl_buffer_access *access)
{
	return buffer->impl->begin_access && buffer->impl->begin_access(buffer, access);
}

void
sl_buffer_end_access(struct sl_buffer *buffer)
{
	buffer->impl->end_access(buffer);
}

bool
sl_buffer_begin_write(struct sl_buffer *buffer, struct sl_buffer_access *access)
{
	return buffer->impl->begin_write && buffer->impl->begin_write(buffer, access);
}

void
sl_buffer_end_write(struct sl_buffer *buffer)
{
	buffer->impl->end_write(buffer);
}

int
sl_buffer_export_fences(struct sl_buffer *buffer, int fds[static SL_DMABUF_MAX_PLANES])
{
	return buffer->impl->export_fences ? buffer->impl->export_fences(buffer, fds) : 0;
}
