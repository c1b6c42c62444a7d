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

#endif
