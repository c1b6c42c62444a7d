/*
 * wp_linux_drm_syncobj_manager_v1: acquire and release points on imported DRM syncobj
 * timelines, advertised only where the main device has DRM_CAP_SYNCOBJ_TIMELINE.
 *
 * The acquire point becomes the commit's wait (core/sync.c). A release point of a composited
 * buffer is signalled from the CPU once its commit is superseded; one of a buffer on a plane gets
 * the CRTC out-fence of the commit that takes the buffer off the screen imported into the point,
 * so the kernel signals it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xf86drm.h>

#include "core/buffer.h"
#include "fence.h"
#include "linux-drm-syncobj-v1-server-protocol.h"
#include "log.h"
#include "protocols/protocols.h"
#include "core/resource.h"
#include "core/server.h"
#include "core/surface.h"
#include "core/sync.h"

/* A syncobj release point, signalled from the CPU. */
struct syncobj_release {
	struct sl_release base;
	struct sl_sync_point point;
};

static void
syncobj_release_fire(struct sl_release *base)
{
	struct syncobj_release *release = wl_container_of(base, release, base);
	struct sl_timeline *timeline = release->point.timeline;
	if (drmSyncobjTimelineSignal(timeline->drm_fd, &timeline->handle, &release->point.point,
				     1) < 0)
		log_errno("sync", "cannot signal release point %" PRIu64, release->point.point);
	sl_sync_point_unset(&release->point);
	free(release);
}

/* The kernel signals the point when the fence does: a temporary binary syncobj carries it over. */
static bool
syncobj_release_fire_fenced(struct sl_release *base, int fence_fd)
{
	struct syncobj_release *release = wl_container_of(base, release, base);
	struct sl_timeline *timeline = release->point.timeline;
	bool ok = syncobj_point_import_sync_file(timeline->drm_fd, timeline->handle,
						 release->point.point, fence_fd);
	if (!ok)
		log_errno("sync",
			  "cannot attach the flip's fence to release point %" PRIu64
			  ": signalling it after the flip instead",
			  release->point.point);
	if (!ok)
		return false;
	sl_sync_point_unset(&release->point);
	free(release);
	return true;
}

/* ---- wp_linux_drm_syncobj_manager_v1 ---- */

struct syncobj_surface {
	struct wl_resource *resource;
	struct sl_surface *surface; /* NULL once the wl_surface is gone */
	struct wl_listener surface_destroy;
	struct wl_listener precommit;
	struct sl_sync_point acquire, release;
};

static void
timeline_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wp_linux_drm_syncobj_timeline_v1_interface timeline_impl = {
	.destroy = timeline_handle_destroy,
};

static void
timeline_handle_resource_destroy(struct wl_resource *resource)
{
	/* Points already set keep their own references. */
	sl_timeline_unref(wl_resource_get_user_data(resource));
}

static void
syncobj_surface_handle_surface_destroy(struct wl_listener *listener, void *data)
{
	struct syncobj_surface *ss = wl_container_of(listener, ss, surface_destroy);
	ss->surface = NULL;
	wl_list_remove(&ss->surface_destroy.link);
	wl_list_init(&ss->surface_destroy.link);
	wl_list_remove(&ss->precommit.link);
	wl_list_init(&ss->precommit.link);
}

static void
syncobj_surface_handle_precommit(struct wl_listener *listener, void *data)
{
	struct syncobj_surface *ss = wl_container_of(listener, ss, precommit);
	struct sl_surface_precommit_event *event = data;
	struct sl_surface *surface = ss->surface;
	struct sl_buffer *buffer = sl_surface_attached_buffer(surface);
	uint32_t code = 0;
	char message[160];
	if (!buffer && (ss->acquire.timeline || ss->release.timeline)) {
		code = WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_BUFFER;
		snprintf(message, sizeof(message),
			 "timeline points set but no buffer attached to wl_surface@%u in this "
			 "commit",
			 wl_resource_get_id(surface->resource));
	} else if (buffer && buffer->type != SL_BUFFER_DMABUF) {
		code = WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_UNSUPPORTED_BUFFER;
		snprintf(message, sizeof(message),
			 "a %s buffer cannot be synchronized with timelines: only dma-bufs",
			 buffer->type == SL_BUFFER_SHM ? "wl_shm" : "single-pixel");
	} else if (buffer && !ss->acquire.timeline) {
		code = WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_ACQUIRE_POINT;
		snprintf(message, sizeof(message),
			 "a buffer was attached without an acquire point");
	} else if (buffer && !ss->release.timeline) {
		code = WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_RELEASE_POINT;
		snprintf(message, sizeof(message), "a buffer was attached without a release point");
	} else if (buffer && ss->acquire.timeline == ss->release.timeline &&
		   ss->acquire.point >= ss->release.point) {
		code = WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_CONFLICTING_POINTS;
		snprintf(message, sizeof(message),
			 "acquire point %" PRIu64 " is not before release point %" PRIu64
			 " on the same timeline",
			 ss->acquire.point, ss->release.point);
	}
	if (code) {
		wl_resource_post_error(ss->resource, code, "%s", message);
		event->rejected = true;
		return;
	}
	if (!buffer)
		return;
	sl_sync_point_unset(&surface->pending.acquire);
	surface->pending.acquire = ss->acquire; /* the reference moves */
	ss->acquire = (struct sl_sync_point){0};
	struct syncobj_release *release = calloc(1, sizeof(*release));
	if (!release) {
		wl_client_post_no_memory(wl_resource_get_client(ss->resource));
		event->rejected = true;
		return;
	}
	release->base.fire = syncobj_release_fire;
	release->base.fire_fenced = syncobj_release_fire_fenced;
	release->point = ss->release;
	ss->release = (struct sl_sync_point){0};
	wl_list_insert(surface->pending.releases.prev, &release->base.link);
}

static void
syncobj_surface_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
syncobj_surface_set_point(struct wl_resource *resource, struct wl_resource *timeline_resource,
			  uint32_t hi, uint32_t lo, bool acquire)
{
	struct syncobj_surface *ss = wl_resource_get_user_data(resource);
	if (!ss->surface) {
		wl_resource_post_error(resource, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_SURFACE,
				       "the wl_surface of this synchronization object is gone");
		return;
	}
	struct sl_timeline *timeline = wl_resource_get_user_data(timeline_resource);
	sl_sync_point_set(acquire ? &ss->acquire : &ss->release, timeline, (uint64_t)hi << 32 | lo);
}

static void
syncobj_surface_handle_set_acquire_point(struct wl_client *client, struct wl_resource *resource,
					 struct wl_resource *timeline, uint32_t hi, uint32_t lo)
{
	syncobj_surface_set_point(resource, timeline, hi, lo, true);
}

static void
syncobj_surface_handle_set_release_point(struct wl_client *client, struct wl_resource *resource,
					 struct wl_resource *timeline, uint32_t hi, uint32_t lo)
{
	syncobj_surface_set_point(resource, timeline, hi, lo, false);
}

static const struct wp_linux_drm_syncobj_surface_v1_interface syncobj_surface_impl = {
	.destroy = syncobj_surface_handle_destroy,
	.set_acquire_point = syncobj_surface_handle_set_acquire_point,
	.set_release_point = syncobj_surface_handle_set_release_point,
};

static void
syncobj_surface_handle_resource_destroy(struct wl_resource *resource)
{
	struct syncobj_surface *ss = wl_resource_get_user_data(resource);
	wl_list_remove(&ss->surface_destroy.link);
	wl_list_remove(&ss->precommit.link);
	sl_sync_point_unset(&ss->acquire);
	sl_sync_point_unset(&ss->release);
	free(ss);
}

static void
syncobj_manager_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
syncobj_manager_handle_get_surface(struct wl_client *client, struct wl_resource *resource,
				   uint32_t id, struct wl_resource *surface_resource)
{
	struct sl_surface *surface = sl_surface_from_resource(surface_resource);
	if (wl_signal_get(&surface->events.destroy, syncobj_surface_handle_surface_destroy)) {
		wl_resource_post_error(resource,
				       WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_SURFACE_EXISTS,
				       "wl_surface@%u already has a syncobj surface object",
				       wl_resource_get_id(surface_resource));
		return;
	}
	struct syncobj_surface *ss = calloc(1, sizeof(*ss));
	if (!ss) {
		wl_client_post_no_memory(client);
		return;
	}
	ss->resource =
		sl_resource_create(client, &wp_linux_drm_syncobj_surface_v1_interface,
				   wl_resource_get_version(resource), id, &syncobj_surface_impl, ss,
				   syncobj_surface_handle_resource_destroy);
	if (!ss->resource) {
		free(ss);
		return;
	}
	ss->surface = surface;
	ss->surface_destroy.notify = syncobj_surface_handle_surface_destroy;
	wl_signal_add(&surface->events.destroy, &ss->surface_destroy);
	ss->precommit.notify = syncobj_surface_handle_precommit;
	wl_signal_add(&surface->events.precommit, &ss->precommit);
}

static void
syncobj_manager_handle_import_timeline(struct wl_client *client, struct wl_resource *resource,
				       uint32_t id, int32_t fd)
{
	struct sl_server *server = wl_resource_get_user_data(resource);
	struct sl_timeline *timeline = sl_timeline_import(server->main_device_fd, fd);
	int saved = errno;
	close(fd);
	if (!timeline && saved == ENOMEM) {
		wl_client_post_no_memory(client);
		return;
	}
	struct wl_resource *timeline_resource = sl_resource_create(
		client, &wp_linux_drm_syncobj_timeline_v1_interface,
		wl_resource_get_version(resource), id, &timeline_impl, NULL, NULL);
	if (!timeline) {
		wl_resource_post_error(
			resource, WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_INVALID_TIMELINE,
			"the fd is not a DRM syncobj of this device: %s", strerror(saved));
		return;
	}
	if (!timeline_resource) {
		sl_timeline_unref(timeline);
		return;
	}
	wl_resource_set_implementation(timeline_resource, &timeline_impl, timeline,
				       timeline_handle_resource_destroy);
}

static const struct wp_linux_drm_syncobj_manager_v1_interface syncobj_manager_impl = {
	.destroy = syncobj_manager_handle_destroy,
	.get_surface = syncobj_manager_handle_get_surface,
	.import_timeline = syncobj_manager_handle_import_timeline,
};

static void
syncobj_manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	sl_resource_create(client, &wp_linux_drm_syncobj_manager_v1_interface, (int)version, id,
			   &syncobj_manager_impl, data, NULL);
}

bool
drm_syncobj_global_init(struct sl_server *server)
{
	uint64_t timeline = 0;
	if (server->main_device_fd < 0 ||
	    drmGetCap(server->main_device_fd, DRM_CAP_SYNCOBJ_TIMELINE, &timeline) < 0 ||
	    !timeline) {
		log_info("sync", "no DRM device with timeline syncobjs: no linux-drm-syncobj");
		return true;
	}
	if (!wl_global_create(server->display, &wp_linux_drm_syncobj_manager_v1_interface, 1,
			      server, syncobj_manager_bind)) {
		log_error("sync", "cannot create wp_linux_drm_syncobj_manager_v1");
		return false;
	}
	if (syncobj_eventfd_supported(server->main_device_fd))
		log_info("sync", "explicit sync: sync_file acquire/release, syncobj timelines "
				 "(waits through DRM_IOCTL_SYNCOBJ_EVENTFD)");
	else
		log_info("sync",
			 "explicit sync: sync_file acquire/release, syncobj timelines "
			 "(waits on a thread: no DRM_IOCTL_SYNCOBJ_EVENTFD before Linux 6.6)");
	return true;
}
