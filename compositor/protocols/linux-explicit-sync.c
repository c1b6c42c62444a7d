/*
 * zwp_linux_explicit_synchronization_v1: an acquire sync_file per commit, and a release object
 * per commit that fires once sluice no longer reads that commit's buffer.
 *
 * The pending state goes to the surface at commit (surface.c turns the acquire into a wait on the
 * event loop and queues the commit behind it; core/sync.c). Releases: pixman, and GL where EGL
 * has no native fences, read client buffers synchronously, so a composited buffer is done with as
 * soon as its commit is superseded and immediate_release fires then. Where GL frames end with a
 * native fence, the buffer's read fence (the last frame that sampled it) goes with
 * fenced_release instead (core/buffer.c). A buffer on a plane is read by the
 * display until the flip that replaces it: when that commit is submitted, the KMS backend hands
 * its CRTC out-fence to the buffer's releases (fenced_release), so the client learns when it may
 * reuse the buffer a frame earlier and the kernel, not sluice, signals it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sync_file.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/buffer.h"
#include "linux-explicit-synchronization-unstable-v1-server-protocol.h"
#include "log.h"
#include "protocols/protocols.h"
#include "core/resource.h"
#include "core/server.h"
#include "core/surface.h"
#include "core/sync.h"

static bool
fd_is_sync_file(int fd)
{
	struct sync_file_info info = {0};
	return ioctl(fd, SYNC_IOC_FILE_INFO, &info) == 0;
}

/* zwp_linux_buffer_release_v1: one event, then the object is gone. */
struct zwp_release {
	struct sl_release base;
	struct wl_resource *resource;
	struct zwp_surface_sync *owner; /* while pending on a sync object */
};

static void
zwp_release_fire(struct sl_release *base)
{
	struct zwp_release *release = wl_container_of(base, release, base);
	/* Nothing left to wait for: the buffer was read synchronously, or never. */
	zwp_linux_buffer_release_v1_send_immediate_release(release->resource);
	wl_resource_destroy(release->resource);
}

static bool
zwp_release_fire_fenced(struct sl_release *base, int fence_fd)
{
	struct zwp_release *release = wl_container_of(base, release, base);
	/* libwayland sends a duplicate: the fd stays the caller's. */
	zwp_linux_buffer_release_v1_send_fenced_release(release->resource, fence_fd);
	wl_resource_destroy(release->resource);
	return true;
}

/* ---- zwp_linux_explicit_synchronization_v1 ---- */

struct zwp_surface_sync {
	struct wl_resource *resource;
	struct sl_surface *surface; /* NULL once the wl_surface is gone */
	struct wl_listener surface_destroy;
	struct wl_listener precommit;
	int pending_fence;
	struct zwp_release *pending_release;
};

static void
zwp_release_handle_resource_destroy(struct wl_resource *resource)
{
	struct zwp_release *release = wl_resource_get_user_data(resource);
	if (release->owner)
		release->owner->pending_release = NULL;
	wl_list_remove(&release->base.link);
	free(release);
}

static void
zwp_sync_handle_surface_destroy(struct wl_listener *listener, void *data)
{
	struct zwp_surface_sync *sync = wl_container_of(listener, sync, surface_destroy);
	sync->surface = NULL;
	wl_list_remove(&sync->surface_destroy.link);
	wl_list_init(&sync->surface_destroy.link);
	wl_list_remove(&sync->precommit.link);
	wl_list_init(&sync->precommit.link);
}

static void
zwp_sync_handle_precommit(struct wl_listener *listener, void *data)
{
	struct zwp_surface_sync *sync = wl_container_of(listener, sync, precommit);
	struct sl_surface_precommit_event *event = data;
	struct sl_surface *surface = sync->surface;
	struct sl_buffer *buffer = sl_surface_attached_buffer(surface);
	if ((sync->pending_fence >= 0 || sync->pending_release) && !buffer) {
		wl_resource_post_error(
			sync->resource, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_BUFFER,
			"%s set but no buffer attached to wl_surface@%u in this commit",
			sync->pending_fence >= 0 ? "acquire fence" : "release",
			wl_resource_get_id(surface->resource));
		event->rejected = true;
		return;
	}
	if (sync->pending_fence >= 0 && buffer->type != SL_BUFFER_DMABUF) {
		wl_resource_post_error(
			sync->resource,
			ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_UNSUPPORTED_BUFFER,
			"acquire fence on a %s buffer: only dma-bufs are synchronized explicitly",
			buffer->type == SL_BUFFER_SHM ? "wl_shm" : "single-pixel");
		event->rejected = true;
		return;
	}
	if (sync->pending_fence >= 0) {
		if (surface->pending.acquire_fd >= 0)
			close(surface->pending.acquire_fd);
		surface->pending.acquire_fd = sync->pending_fence;
		sync->pending_fence = -1;
	}
	if (sync->pending_release) {
		sync->pending_release->owner = NULL;
		wl_list_insert(surface->pending.releases.prev, &sync->pending_release->base.link);
		sync->pending_release = NULL;
	}
}

static void
zwp_sync_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
zwp_sync_handle_set_acquire_fence(struct wl_client *client, struct wl_resource *resource,
				  int32_t fd)
{
	struct zwp_surface_sync *sync = wl_resource_get_user_data(resource);
	if (!sync->surface) {
		close(fd);
		wl_resource_post_error(resource,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_SURFACE,
				       "the wl_surface of this synchronization object is gone");
		return;
	}
	if (!fd_is_sync_file(fd)) {
		close(fd);
		wl_resource_post_error(resource,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_INVALID_FENCE,
				       "the acquire fence fd is not a sync_file");
		return;
	}
	if (sync->pending_fence >= 0) {
		close(fd);
		wl_resource_post_error(resource,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_DUPLICATE_FENCE,
				       "an acquire fence was already set for this commit");
		return;
	}
	sync->pending_fence = fd;
}

static void
zwp_sync_handle_get_release(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
	struct zwp_surface_sync *sync = wl_resource_get_user_data(resource);
	struct zwp_release *release = calloc(1, sizeof(*release));
	if (!release) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_list_init(&release->base.link);
	release->base.fire = zwp_release_fire;
	release->base.fire_fenced = zwp_release_fire_fenced;
	release->resource =
		sl_resource_create(client, &zwp_linux_buffer_release_v1_interface, 1, id, NULL,
				   release, zwp_release_handle_resource_destroy);
	if (!release->resource) {
		free(release);
		return;
	}
	if (!sync->surface) {
		wl_resource_post_error(resource,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_SURFACE,
				       "the wl_surface of this synchronization object is gone");
		return;
	}
	if (sync->pending_release) {
		wl_resource_post_error(resource,
				       ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_DUPLICATE_RELEASE,
				       "a release was already requested for this commit");
		return;
	}
	release->owner = sync;
	sync->pending_release = release;
}

static const struct zwp_linux_surface_synchronization_v1_interface zwp_sync_impl = {
	.destroy = zwp_sync_handle_destroy,
	.set_acquire_fence = zwp_sync_handle_set_acquire_fence,
	.get_release = zwp_sync_handle_get_release,
};

static void
zwp_sync_handle_resource_destroy(struct wl_resource *resource)
{
	struct zwp_surface_sync *sync = wl_resource_get_user_data(resource);
	wl_list_remove(&sync->surface_destroy.link);
	wl_list_remove(&sync->precommit.link);
	if (sync->pending_fence >= 0)
		close(sync->pending_fence);
	if (sync->pending_release) {
		/* Never committed: nothing was read. */
		sync->pending_release->owner = NULL;
		zwp_release_fire(&sync->pending_release->base);
	}
	free(sync);
}

static void
zwp_manager_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
zwp_manager_handle_get_synchronization(struct wl_client *client, struct wl_resource *resource,
				       uint32_t id, struct wl_resource *surface_resource)
{
	struct sl_surface *surface = sl_surface_from_resource(surface_resource);
	if (wl_signal_get(&surface->events.destroy, zwp_sync_handle_surface_destroy)) {
		wl_resource_post_error(
			resource,
			ZWP_LINUX_EXPLICIT_SYNCHRONIZATION_V1_ERROR_SYNCHRONIZATION_EXISTS,
			"wl_surface@%u already has a synchronization object",
			wl_resource_get_id(surface_resource));
		return;
	}
	struct zwp_surface_sync *sync = calloc(1, sizeof(*sync));
	if (!sync) {
		wl_client_post_no_memory(client);
		return;
	}
	sync->pending_fence = -1;
	sync->resource = sl_resource_create(client, &zwp_linux_surface_synchronization_v1_interface,
					    wl_resource_get_version(resource), id, &zwp_sync_impl,
					    sync, zwp_sync_handle_resource_destroy);
	if (!sync->resource) {
		free(sync);
		return;
	}
	sync->surface = surface;
	sync->surface_destroy.notify = zwp_sync_handle_surface_destroy;
	wl_signal_add(&surface->events.destroy, &sync->surface_destroy);
	sync->precommit.notify = zwp_sync_handle_precommit;
	wl_signal_add(&surface->events.precommit, &sync->precommit);
}

static const struct zwp_linux_explicit_synchronization_v1_interface zwp_manager_impl = {
	.destroy = zwp_manager_handle_destroy,
	.get_synchronization = zwp_manager_handle_get_synchronization,
};

static void
zwp_manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	sl_resource_create(client, &zwp_linux_explicit_synchronization_v1_interface, (int)version,
			   id, &zwp_manager_impl, data, NULL);
}

bool
linux_explicit_sync_global_init(struct sl_server *server)
{
	if (!wl_global_create(server->display, &zwp_linux_explicit_synchronization_v1_interface, 2,
			      server, zwp_manager_bind)) {
		log_error("sync", "cannot create zwp_linux_explicit_synchronization_v1");
		return false;
	}
	return true;
}
