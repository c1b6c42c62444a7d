/*
 * Explicit synchronization, both protocols:
 *
 * - zwp_linux_explicit_synchronization_v1: an acquire sync_file per commit, and a release object
 *   per commit that gets immediate_release once sluice no longer reads that commit's buffer;
 * - wp_linux_drm_syncobj_manager_v1: acquire and release points on imported DRM syncobj
 *   timelines (advertised only where the main device has DRM_CAP_SYNCOBJ_TIMELINE).
 *
 * Both hand their pending state to the surface at commit (surface.c turns the acquire into a wait
 * on the event loop and queues the commit behind it). A sync_file is polled directly. A timeline
 * point cannot be polled before Linux 6.6 (DRM_IOCTL_SYNCOBJ_EVENTFD); sluice runs a small
 * waiter thread per pending point that blocks in DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT (with
 * WAIT_FOR_SUBMIT, so a point not yet submitted is fine) and wakes the event loop through an
 * eventfd. The waiter only ever touches its own handle, its own fd and the eventfd, so the event
 * loop can forget it at any time without waiting for it.
 *
 * Releases: the renderers read client buffers synchronously (pixman) or up to a glFinish, so a
 * composited buffer is done with as soon as its commit is superseded; the release then fires at
 * once (immediate_release, or the release point signalled from the CPU). A buffer on a plane is
 * read by the display until the flip that replaces it: when that commit is submitted, kms.c
 * hands its CRTC out-fence to the buffer's releases (fenced_release, or the sync_file imported
 * into the release point), so the client learns when it may reuse the buffer a frame earlier
 * and the kernel, not sluice, signals it.
 */
#include "explicit-sync.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sync_file.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>

#include "buffer.h"
#include "linux-drm-syncobj-v1-server-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-server-protocol.h"
#include "fence.h"
#include "log.h"
#include "resource.h"
#include "server.h"

/* ---- fences ---- */

bool
sync_file_signalled_ok(int fd)
{
	struct sync_file_info info = {0};
	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info) < 0)
		return false;
	return info.status == 1;
}

static bool
fd_is_sync_file(int fd)
{
	struct sync_file_info info = {0};
	return ioctl(fd, SYNC_IOC_FILE_INFO, &info) == 0;
}

/* ---- timelines ---- */

struct sl_timeline {
	int refs;
	int drm_fd; /* the server's main device, not owned */
	uint32_t handle;
};

static struct sl_timeline *
timeline_ref(struct sl_timeline *timeline)
{
	timeline->refs++;
	return timeline;
}

static void
timeline_unref(struct sl_timeline *timeline)
{
	if (--timeline->refs > 0)
		return;
	drmSyncobjDestroy(timeline->drm_fd, timeline->handle);
	free(timeline);
}

void
sl_sync_point_unset(struct sl_sync_point *point)
{
	if (point->timeline)
		timeline_unref(point->timeline);
	*point = (struct sl_sync_point){0};
}

static void
sync_point_set(struct sl_sync_point *point, struct sl_timeline *timeline, uint64_t value)
{
	timeline_ref(timeline);
	sl_sync_point_unset(point);
	point->timeline = timeline;
	point->point = value;
}

/* ---- the waiter thread ---- */

struct sync_waiter {
	atomic_int refs; /* the thread's, and the event loop's until it stops waiting */
	int drm_fd;	 /* a dup: the server may close its own meanwhile */
	uint32_t handle; /* our own handle to the syncobj */
	uint64_t point;
	int eventfd; /* the thread's copy */
};

static void
waiter_unref(struct sync_waiter *waiter)
{
	if (atomic_fetch_sub(&waiter->refs, 1) != 1)
		return;
	if (waiter->handle)
		drmSyncobjDestroy(waiter->drm_fd, waiter->handle);
	if (waiter->drm_fd >= 0)
		close(waiter->drm_fd);
	if (waiter->eventfd >= 0)
		close(waiter->eventfd);
	free(waiter);
}

void
sync_waiter_release(struct sync_waiter *waiter)
{
	if (waiter)
		waiter_unref(waiter);
}

enum { WAITER_OK = 1, WAITER_FAILED = 2 };

static void *
waiter_run(void *data)
{
	struct sync_waiter *waiter = data;
	uint64_t result = WAITER_FAILED;
	for (;;) {
		/* Wake up now and then: the event loop may have stopped caring. */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t deadline = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec + 200000000;
		int ret = drmSyncobjTimelineWait(waiter->drm_fd, &waiter->handle, &waiter->point, 1,
						 deadline, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
						 NULL);
		if (ret == 0) {
			result = WAITER_OK;
			break;
		}
		if (errno != ETIME && errno != EINTR)
			break;
		if (atomic_load(&waiter->refs) == 1)
			break; /* nobody listens any more */
	}
	/* Written to our own copy: harmless if the event loop already let go. */
	ssize_t n = write(waiter->eventfd, &result, sizeof(result));
	(void)n;
	waiter_unref(waiter);
	return NULL;
}

int
sync_point_export_sync_file(const struct sl_sync_point *point)
{
	struct sl_timeline *timeline = point->timeline;
	uint64_t value = point->point;
	/* A point nobody has submitted yet has no fence to hand over. */
	if (drmSyncobjTimelineWait(timeline->drm_fd, &timeline->handle, &value, 1, 0,
				   DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE, NULL) < 0)
		return -1;
	uint32_t tmp = 0;
	int fd = -1;
	if (drmSyncobjCreate(timeline->drm_fd, 0, &tmp) < 0)
		return -1;
	if (drmSyncobjTransfer(timeline->drm_fd, tmp, 0, timeline->handle, value, 0) < 0 ||
	    drmSyncobjExportSyncFile(timeline->drm_fd, tmp, &fd) < 0)
		fd = -1;
	drmSyncobjDestroy(timeline->drm_fd, tmp);
	return fd;
}

int
sync_point_wait(struct sl_server *server, const struct sl_sync_point *point,
		struct sync_waiter **out)
{
	*out = NULL;
	struct sl_timeline *timeline = point->timeline;
	uint64_t value = point->point;
	/* Already signalled: nothing to wait for. */
	uint64_t signalled = 0;
	if (drmSyncobjQuery(timeline->drm_fd, &timeline->handle, &signalled, 1) == 0 &&
	    signalled >= value)
		return -1;

	struct sync_waiter *waiter = calloc(1, sizeof(*waiter));
	if (!waiter)
		goto err;
	atomic_init(&waiter->refs, 1);
	waiter->drm_fd = -1;
	waiter->eventfd = -1;
	waiter->point = value;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int syncobj_fd = -1;
	if (efd < 0 || drmSyncobjHandleToFD(timeline->drm_fd, timeline->handle, &syncobj_fd) < 0)
		goto err_efd;
	waiter->drm_fd = fcntl(timeline->drm_fd, F_DUPFD_CLOEXEC, 0);
	waiter->eventfd = fcntl(efd, F_DUPFD_CLOEXEC, 0);
	bool ok = waiter->drm_fd >= 0 && waiter->eventfd >= 0 &&
		  drmSyncobjFDToHandle(waiter->drm_fd, syncobj_fd, &waiter->handle) == 0;
	close(syncobj_fd);
	if (!ok)
		goto err_efd;
	atomic_store(&waiter->refs, 2);
	pthread_t thread;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int ret = pthread_create(&thread, &attr, waiter_run, waiter);
	pthread_attr_destroy(&attr);
	if (ret != 0) {
		atomic_store(&waiter->refs, 1);
		goto err_efd;
	}
	server->stats.syncobj_waiters++;
	*out = waiter;
	return efd;
err_efd:
	if (efd >= 0)
		close(efd);
	waiter_unref(waiter);
err:
	log_errno("sync", "cannot wait for a timeline point: showing the buffer now");
	return -1;
}

bool
sync_waiter_signalled_ok(int fd)
{
	uint64_t value = 0;
	if (read(fd, &value, sizeof(value)) != sizeof(value))
		return false;
	return value == WAITER_OK;
}
/* ---- releases ---- */

void
sl_release_fire_list(struct wl_list *releases)
{
	struct sl_release *release, *tmp;
	wl_list_for_each_safe (release, tmp, releases, link) {
		wl_list_remove(&release->link);
		wl_list_init(&release->link);
		release->fire(release);
	}
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
	/* Composited buffers are read synchronously: nothing left to wait for. */
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

/* Whether the commit about to happen attaches a buffer (a NULL attach does not count). */
static struct sl_buffer *
attached_buffer(struct sl_surface *surface)
{
	if (!(surface->pending.committed & SL_STATE_BUFFER))
		return NULL;
	return surface->pending.buffer;
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
	struct sl_buffer *buffer = attached_buffer(surface);
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
	timeline_unref(wl_resource_get_user_data(resource));
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
	struct sl_buffer *buffer = attached_buffer(surface);
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
	sync_point_set(acquire ? &ss->acquire : &ss->release, timeline, (uint64_t)hi << 32 | lo);
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
	struct sl_timeline *timeline = calloc(1, sizeof(*timeline));
	if (!timeline) {
		close(fd);
		wl_client_post_no_memory(client);
		return;
	}
	timeline->refs = 1;
	timeline->drm_fd = server->main_device_fd;
	int ret = drmSyncobjFDToHandle(timeline->drm_fd, fd, &timeline->handle);
	int saved = errno;
	close(fd);
	struct wl_resource *timeline_resource = sl_resource_create(
		client, &wp_linux_drm_syncobj_timeline_v1_interface,
		wl_resource_get_version(resource), id, &timeline_impl, NULL, NULL);
	if (ret < 0) {
		free(timeline);
		wl_resource_post_error(
			resource, WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_INVALID_TIMELINE,
			"the fd is not a DRM syncobj of this device: %s", strerror(saved));
		return;
	}
	if (!timeline_resource) {
		timeline_unref(timeline);
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

/* ---- globals ---- */

bool
explicit_sync_global_init(struct sl_server *server)
{
	if (!wl_global_create(server->display, &zwp_linux_explicit_synchronization_v1_interface, 2,
			      server, zwp_manager_bind)) {
		log_error("sync", "cannot create zwp_linux_explicit_synchronization_v1");
		return false;
	}
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
	log_info("sync", "explicit sync: sync_file acquire/release, syncobj timelines (waits on a "
			 "thread: no DRM_IOCTL_SYNCOBJ_EVENTFD before Linux 6.6)");
	return true;
}
