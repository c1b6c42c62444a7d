/*
 * Fences shared by compositor, clients and tests: sw_sync timelines (CPU-signalled sync_files,
 * debugfs, root only) and moving a sync_file into a DRM syncobj timeline point.
 */
#ifndef SLUICE_COMMON_FENCE_H
#define SLUICE_COMMON_FENCE_H

#include <stdbool.h>
#include <stdint.h>

/* A new sw_sync timeline (an fd; closing it signals its pending fences with an error), or -1. */
int sw_sync_timeline_create(void);
/* A sync_file that signals when the timeline reaches value, or -1. */
int sw_sync_fence(int timeline, uint32_t value);
/* Advances the timeline, signalling the fences it passes. */
bool sw_sync_advance(int timeline, uint32_t by);

/*
 * Makes `point` on the syncobj timeline `handle` (of drm_fd) signal when `sync_file` does,
 * through a temporary binary syncobj. False with errno set on failure.
 */
bool syncobj_point_import_sync_file(int drm_fd, uint32_t handle, uint64_t point, int sync_file);

/*
 * DRM_IOCTL_SYNCOBJ_EVENTFD (Linux 6.6+): efd becomes readable (counter 1) once `point` of the
 * timeline `handle` has signalled, including a point not submitted yet; with wait_available,
 * once it has a fence. The ioctl number and argument are spelt out here because Debian 12's
 * libdrm headers (2.4.114) predate them. 0, or -1 with errno (ENOTTY/EINVAL before 6.6).
 */
int syncobj_eventfd(int drm_fd, uint32_t handle, uint64_t point, int efd, bool wait_available);
/* Whether drm_fd's kernel has DRM_IOCTL_SYNCOBJ_EVENTFD (probed with a handle that cannot exist).
 */
bool syncobj_eventfd_supported(int drm_fd);

#endif
