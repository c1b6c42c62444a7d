/*
 * The synchronization mechanisms that commits and buffers use, whichever protocol set them up:
 * sync_files, DRM syncobj timeline points, and releases.
 *
 * A sync_file is polled directly on the event loop. A timeline point is waited for through an
 * eventfd: from Linux 6.6 the kernel signals it (DRM_IOCTL_SYNCOBJ_EVENTFD, also for points not
 * submitted yet), so no thread is involved. Before that, sluice runs a small waiter thread per
 * pending point that blocks in DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT (with WAIT_FOR_SUBMIT) and wakes
 * the event loop through the eventfd. The waiter only ever touches its own handle, its own fd
 * and the eventfd, so the event loop can forget it at any time without waiting for it.
 */
#include "core/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sync_file.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>

#include "fence.h"
#include "log.h"
#include "core/server.h"

/* ---- fences ---- */

bool
sync_file_signalled_ok(int fd)
{
	struct sync_file_info info = {0};
	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info) < 0)
		return false;
	return info.status == 1;
}

/* ---- timelines ---- */

struct sl_timeline *
sl_timeline_import(int drm_fd, int syncobj_fd)
{
	struct sl_timeline *timeline = calloc(1, sizeof(*timeline));
	if (!timeline)
		return NULL;
	timeline->refs = 1;
	timeline->drm_fd = drm_fd;
	if (drmSyncobjFDToHandle(drm_fd, syncobj_fd, &timeline->handle) < 0) {
		int saved = errno;
		free(timeline);
		errno = saved;
		return NULL;
	}
	timeline->kernel_eventfd = syncobj_eventfd_supported(drm_fd);
	return timeline;
}

static struct sl_timeline *
timeline_ref(struct sl_timeline *timeline)
{
	timeline->refs++;
	return timeline;
}

void
sl_timeline_unref(struct sl_timeline *timeline)
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
		sl_timeline_unref(point->timeline);
	*point = (struct sl_sync_point){0};
}

void
sl_sync_point_set(struct sl_sync_point *point, struct sl_timeline *timeline, uint64_t value)
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

/* WAITER_OK is also what the kernel's eventfd reads (one signal): both kinds read the same. */
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
	if (efd >= 0 && timeline->kernel_eventfd) {
		/* The kernel writes the eventfd: the waiter is only the caller's handle to release.
		 */
		if (syncobj_eventfd(timeline->drm_fd, timeline->handle, value, efd, false) == 0) {
			server->stats.syncobj_eventfds++;
			*out = waiter;
			return efd;
		}
		log_errno("sync", "DRM_IOCTL_SYNCOBJ_EVENTFD failed: waiting on a thread");
	}
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
	sl_release_fire_list_fenced(releases, -1);
}

void
sl_release_fire_list_fenced(struct wl_list *releases, int fence_fd)
{
	struct sl_release *release, *tmp;
	wl_list_for_each_safe (release, tmp, releases, link) {
		wl_list_remove(&release->link);
		wl_list_init(&release->link);
		if (fence_fd < 0 || !release->fire_fenced(release, fence_fd))
			release->fire(release);
	}
}
