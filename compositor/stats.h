#ifndef SLUICE_STATS_H
#define SLUICE_STATS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Counters that tests and benchmarks read (sluice --stats FILE writes them as JSON at exit): they
 * tell which path a buffer took, which the pixels alone cannot.
 */
struct sl_stats {
	uint64_t dmabuf_buffers;	 /* wl_buffers created from dma-bufs */
	uint64_t dmabuf_failed;		 /* create/create_immed refused after the argument checks */
	uint64_t dmabuf_import_gpu;	 /* imported as EGL images */
	uint64_t dmabuf_import_cpu;	 /* read through a CPU mapping */
	uint64_t dmabuf_import_kms;	 /* also added as KMS framebuffers */
	uint64_t dmabuf_cpu_draws;	 /* draws that read a dma-buf on the CPU */
	uint64_t dmabuf_gpu_draws;	 /* draws that sampled a dma-buf's EGL image */
	uint64_t implicit_fences;	 /* commits whose buffer still had a write fence */
	uint64_t commits_queued;	 /* commits held back until their buffer was ready */
	uint64_t explicit_fences;	 /* commits with an acquire fence or point */
	uint64_t syncobj_waiters;	 /* waiter threads started for unsignalled points */
	uint64_t fences_failed;		 /* frames dropped because a fence signalled an error */
	uint64_t feedback_resends;	 /* per-surface feedback sent again after a change */
	uint64_t frames;		 /* output frames drawn */
	uint64_t frames_direct;		 /* output frames shown with no composition */
	uint64_t draw_calls;		 /* surfaces drawn by the renderer */
	uint64_t planes_used;		 /* client surfaces put on planes, summed over frames */
	uint64_t scanout_refused_format; /* candidates without a KMS framebuffer */
	uint64_t scanout_refused_geometry; /* transform, scaling or position */
	uint64_t scanout_refused_planes;   /* eligible, but no plane could take them */
};

/* Writes the counters as one JSON object; false (with a log line) on failure. */
bool stats_write(const struct sl_stats *stats, const char *path);

#endif
