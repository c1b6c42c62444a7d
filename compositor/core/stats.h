#ifndef SLUICE_STATS_H
#define SLUICE_STATS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Counters that tests and benchmarks read (sluice --stats FILE writes them as JSON at exit): they
 * tell which path a buffer took, which the pixels alone cannot. One list makes both the struct
 * and the file, so a new counter cannot be left out of either.
 */
#define SL_STATS_FIELDS(X)                                                                       \
	X(dmabuf_buffers)	    /* wl_buffers created from dma-bufs */                       \
	X(dmabuf_failed)	    /* create/create_immed refused after the argument checks */  \
	X(dmabuf_import_gpu)	    /* imported as EGL images */                                 \
	X(dmabuf_import_cpu)	    /* read through a CPU mapping */                             \
	X(dmabuf_import_kms)	    /* also added as KMS framebuffers */                         \
	X(dmabuf_cpu_draws)	    /* draws that read a dma-buf on the CPU */                   \
	X(dmabuf_gpu_draws)	    /* draws that sampled a dma-buf's EGL image */               \
	X(implicit_fences)	    /* commits whose buffer still had a write fence */           \
	X(commits_queued)	    /* commits held back until their buffer was ready */         \
	X(explicit_fences)	    /* commits with an acquire fence or point */                 \
	X(fifo_waits)		    /* commits held behind a fifo barrier */                     \
	X(fifo_barriers_forced)	    /* barriers lowered with nothing showing the surface */      \
	X(timed_commits)	    /* commits held until their target time */                   \
	X(async_flips)		    /* frames flipped at once for a surface that may tear */     \
	X(async_refused)	    /* frames that may tear but were flipped at a vblank */      \
	X(syncobj_waiters)	    /* waiter threads started for unsignalled points */          \
	X(syncobj_eventfds)	    /* kernel eventfd waits (no thread), Linux 6.6+ */           \
	X(fences_failed)	    /* frames dropped because a fence signalled an error */      \
	X(fences_to_kms)	    /* acquire fences handed to a plane's IN_FENCE_FD */         \
	X(fence_holds)		    /* repaints held for a fence the kernel could not take */    \
	X(releases_fenced)	    /* releases carrying the replacing flip's out-fence */       \
	X(render_fences)	    /* composited frames that ended with a GPU fence */          \
	X(feedback_resends)	    /* per-surface feedback sent again after a change */         \
	X(writeback_timeouts)	    /* writeback fences given up on (their capture failed) */    \
	X(writeback_late_fences)    /* writebacks completed on an earlier job's fence */       \
	X(writeback_kicks)	    /* writebacks asked for again, no fence having signalled */ \
	X(frames)		    /* output frames drawn */                                    \
	X(frames_direct)	    /* output frames shown with no composition */                \
	X(draw_calls)		    /* surfaces drawn by the renderer */                         \
	X(content_rows_copied)	    /* buffer rows uploaded to textures or converted from YUV */ \
	X(planes_used)		    /* client surfaces put on planes, summed over frames */      \
	X(scanout_refused_format)   /* candidates without a KMS framebuffer */                   \
	X(scanout_refused_geometry) /* transform, scaling or position */                         \
	X(scanout_refused_planes)   /* eligible, but no plane could take them */                 \
	X(plane_allocations)	    /* frames whose planes libliftoff allocated (TEST_ONLY) */   \
	X(plane_reuses)		    /* frames that reused the last allocation, untested */       \
	X(client_batches)	    /* rounds of client requests dispatched */                   \
	X(client_batch_max_us)	    /* the longest such round, in microseconds */                \
	X(repaint_delay_max_us)	    /* the latest a repaint started after its time */            \
	X(priority_max_us)	    /* longest compositor work between two requests */           \
	X(clients_throttled)	    /* times a client was left unread for committing too fast */

struct sl_stats {
#define SL_STATS_MEMBER(name) uint64_t name;
	SL_STATS_FIELDS(SL_STATS_MEMBER)
#undef SL_STATS_MEMBER
};

/* Writes the counters as one JSON object; false (with a log line) on failure. */
bool stats_write(const struct sl_stats *stats, const char *path);

#endif
