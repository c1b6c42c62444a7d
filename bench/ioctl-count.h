#ifndef SLUICE_BENCH_IOCTL_COUNT_H
#define SLUICE_BENCH_IOCTL_COUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The shared file ioctl-count.so counts into (SLUICE_IOCTL_COUNTS names it). */
struct sl_ioctl_counts {
	uint64_t ioctls;       /* every ioctl */
	uint64_t commits;      /* DRM_IOCTL_MODE_ATOMIC, real */
	uint64_t test_commits; /* DRM_IOCTL_MODE_ATOMIC with DRM_MODE_ATOMIC_TEST_ONLY */
	uint64_t fb_adds;      /* DRM_IOCTL_MODE_ADDFB and ADDFB2 */
	uint64_t drm_other;    /* any other DRM ioctl */
};

/* For the benchmarks that read them (bench/counts.c). */

/* The counter library beside the running program, into path; false if it is not there. */
bool sl_ioctl_counter_path(char *path, size_t size);
/* A new zeroed counts file in /tmp, its name into path (at least 40 bytes). */
bool sl_ioctl_counts_create(char *path, size_t size);
/* Zeroes the file again, for the next process. */
bool sl_ioctl_counts_reset(const char *path);
/* The file mapped read-only, or NULL. */
const struct sl_ioctl_counts *sl_ioctl_counts_map(const char *path);
void sl_ioctl_counts_unmap(const struct sl_ioctl_counts *counts);
struct sl_ioctl_counts sl_ioctl_counts_sub(const struct sl_ioctl_counts *after,
					   const struct sl_ioctl_counts *before);
/* count / frames with two decimals, into out. */
void sl_per_frame_str(char *out, size_t size, uint64_t count, int frames);

#endif
