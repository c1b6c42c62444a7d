/*
 * Synchronization that commits and buffers carry, whichever protocol set it up: sync_files,
 * DRM syncobj timeline points and waits for them that never block the event loop, and releases
 * (what to signal once the compositor no longer reads a commit's buffer).
 */
#ifndef SLUICE_SYNC_H
#define SLUICE_SYNC_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>

struct sl_server;
struct sync_waiter;

/* An imported DRM syncobj timeline, shared by the points on it. */
struct sl_timeline {
	int refs;
	int drm_fd; /* the server's main device, not owned */
	uint32_t handle;
	bool kernel_eventfd; /* DRM_IOCTL_SYNCOBJ_EVENTFD: waits need no thread (Linux 6.6+) */
};

/* A point on a timeline; timeline NULL when unset. */
struct sl_sync_point {
	struct sl_timeline *timeline; /* one reference held */
	uint64_t point;
};

/*
 * Something to signal once the compositor no longer reads the buffer of one commit: a
 * zwp_linux_buffer_release_v1, or a syncobj release point. Fired exactly once, then freed.
 */
struct sl_release {
	struct wl_list link;
	void (*fire)(struct sl_release *release);
	/*
	 * Fires with a sync_file (borrowed) that signals once the buffer is no longer read, so the
	 * client hears before the flip that retires the buffer. False if this release cannot
	 * carry the fence: it stays where it was and fire() follows later.
	 */
	bool (*fire_fenced)(struct sl_release *release, int fence_fd);
};

void sl_release_fire_list(struct wl_list *releases);
/* The same, each with fence_fd (borrowed) where it can carry it, plainly where not. */
void sl_release_fire_list_fenced(struct wl_list *releases, int fence_fd);

/* Whether a sync_file has signalled without an error (never blocks). */
bool sync_file_signalled_ok(int fd);

/* A timeline for the syncobj fd (borrowed) on drm_fd, one reference; NULL with errno set. */
struct sl_timeline *sl_timeline_import(int drm_fd, int syncobj_fd);
void sl_timeline_unref(struct sl_timeline *timeline);
/* Points point at value on timeline (taking a reference), dropping what it pointed at. */
void sl_sync_point_set(struct sl_sync_point *point, struct sl_timeline *timeline, uint64_t value);
void sl_sync_point_unset(struct sl_sync_point *point);

/*
 * Starts waiting for a syncobj point off the event loop. Returns an eventfd that becomes readable
 * when the point has signalled (or the wait failed), and the waiter to release when the caller
 * stops waiting; or -1 when the point already signalled (or cannot be waited for). The kernel
 * signals the eventfd itself where it can (DRM_IOCTL_SYNCOBJ_EVENTFD), else a thread does.
 */
int sync_point_wait(struct sl_server *server, const struct sl_sync_point *point,
		    struct sync_waiter **waiter);
/*
 * A sync_file for a point that has been submitted (signalled or not), without waiting; -1 when
 * nothing has been submitted for it yet.
 */
int sync_point_export_sync_file(const struct sl_sync_point *point);
void sync_waiter_release(struct sync_waiter *waiter);
/* Reads the eventfd of a finished sync_point_wait(): false if the wait failed. */
bool sync_waiter_signalled_ok(int fd);

#endif
