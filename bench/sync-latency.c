/*
 * How long a fenced frame takes to reach the screen, per way of fencing it: no fence (the
 * baseline), implicit (a vgem write fence on the dma-buf), a zwp explicit-sync acquire sync_file
 * (sw_sync), and a linux-drm-syncobj acquire point; the explicit ones both with sluice waiting
 * for the fence (--acquire-fences wait, the default) and with the kernel waiting for it as the
 * plane's IN_FENCE_FD (--acquire-fences kms). Each frame is committed, its fence signalled DELAY ms
 * later from this process, and the wp_presentation timestamp of its flip recorded, along with
 * sluice's CPU time. Runs inside the test VM on vkms (bench/run-sync boots it); prints a table.
 *
 * "missed" counts frames shown later than the first vblank after their fence signalled. All
 * numbers of one run come from one machine state, so compare them as ratios to the baseline row.
 */
#include <drm_fourcc.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <xf86drm.h>

#include "harness.h"

enum { FRAMES = 120, DELAY_US = 4000 };

struct vgem_fence_attach {
	uint32_t handle, flags, out_fence, pad;
};
struct vgem_fence_signal {
	uint32_t fence, flags;
};
#define VGEM_FENCE_ATTACH DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct vgem_fence_attach)
#define VGEM_FENCE_SIGNAL DRM_IOW(DRM_COMMAND_BASE + 0x2, struct vgem_fence_signal)

enum mode { NONE, IMPLICIT, SYNC_FILE, SYNCOBJ };

static const struct row {
	const char *name;
	enum mode mode;
	bool kms; /* --acquire-fences kms */
} rows[] = {
	{"no fence", NONE, false},
	{"implicit (vgem)", IMPLICIT, false},
	{"sync_file, wait", SYNC_FILE, false},
	{"syncobj, wait", SYNCOBJ, false},
	{"sync_file, kms", SYNC_FILE, true},
	{"syncobj, kms", SYNCOBJ, true},
};
enum { N_ROWS = sizeof(rows) / sizeof(rows[0]) };

struct result {
	int frames, missed, zero_copy;
	double commit_median, commit_p99, signal_median, signal_p99; /* ms */
	double cpu_ms;						     /* sluice, per frame */
};

static uint32_t
grey(int32_t x, int32_t y, void *data)
{
	return *(const uint32_t *)data;
}

static bool
run_row(const char *vkms, const struct row *row, struct result *out)
{
	enum mode mode = row->mode;
	const char *const args[] = {
		"--backend",  "drm",	"--drm-device",	    vkms,
		"--renderer", "pixman", "--acquire-fences", row->kms ? "kms" : "wait",
		NULL};
	struct th_server *server = th_server_start(args);
	if (!server)
		return false;
	struct th_client *c = th_client_connect(server);
	struct th_window *w = c ? th_window_create(c) : NULL;
	if (!w || !c->dmabuf || !c->explicit_sync || (mode == SYNCOBJ && !c->syncobj)) {
		fprintf(stderr, "sluice-bench-sync: %s: the compositor lacks what it needs\n",
			row->name);
		return false;
	}
	/* Two buffers, alternating, from vgem (which can carry a fence). */
	struct th_painted_buffer bufs[2];
	for (int i = 0; i < 2; i++) {
		uint32_t colour = i ? 0x404040 : 0x808080;
		if (!th_painted_buffer_create(c, TH_DMABUF_VGEM, DRM_FORMAT_XRGB8888, w->width,
					      w->height, grey, &colour, &bufs[i]))
			return false;
	}
	struct zwp_linux_surface_synchronization_v1 *zsync = NULL;
	struct wp_linux_drm_syncobj_surface_v1 *ssync = NULL;
	int sw_timeline = -1, drm_fd = -1;
	uint32_t syncobj = 0;
	struct wp_linux_drm_syncobj_timeline_v1 *timeline = NULL;
	if (mode == SYNC_FILE || mode == SYNCOBJ)
		sw_timeline = sw_sync_timeline_create();
	if (mode == SYNC_FILE) {
		zsync = zwp_linux_explicit_synchronization_v1_get_synchronization(c->explicit_sync,
										  w->surface);
	} else if (mode == SYNCOBJ) {
		drm_fd = open(vkms, O_RDWR | O_CLOEXEC);
		int fd = -1;
		if (drmSyncobjCreate(drm_fd, 0, &syncobj) < 0 ||
		    drmSyncobjHandleToFD(drm_fd, syncobj, &fd) < 0)
			return false;
		timeline = wp_linux_drm_syncobj_manager_v1_import_timeline(c->syncobj, fd);
		close(fd);
		ssync = wp_linux_drm_syncobj_manager_v1_get_surface(c->syncobj, w->surface);
	}

	double commit_to_present[FRAMES], signal_to_present[FRAMES], cpu_start = 0;
	int n = 0, missed = 0, zero_copy = 0;
	for (int i = -10; i < FRAMES; i++) {
		if (i == 0)
			cpu_start = th_cpu_seconds(server->pid);
		int b = (i + 10) % 2;
		struct vgem_fence_attach attach = {.handle = bufs[b].mem.vgem_handle, .flags = 1};
		if (mode == IMPLICIT &&
		    drmIoctl(bufs[b].mem.vgem_fd, VGEM_FENCE_ATTACH, &attach) < 0)
			return false;
		if (mode == SYNC_FILE) {
			int fence = sw_sync_fence(sw_timeline, (uint32_t)(i + 11));
			if (fence < 0)
				return false;
			zwp_linux_surface_synchronization_v1_set_acquire_fence(zsync, fence);
			close(fence);
		}
		if (mode == SYNCOBJ) {
			/* Submitted like GPU work: the point holds an unsignalled fence. */
			uint64_t acquire = (uint64_t)(i + 11) * 2, release = acquire + 1;
			int fence = sw_sync_fence(sw_timeline, (uint32_t)(i + 11));
			bool ok = fence >= 0 &&
				  syncobj_point_import_sync_file(drm_fd, syncobj, acquire, fence);
			if (fence >= 0)
				close(fence);
			if (!ok)
				return false;
			wp_linux_drm_syncobj_surface_v1_set_acquire_point(ssync, timeline, 0,
									  (uint32_t)acquire);
			wp_linux_drm_syncobj_surface_v1_set_release_point(ssync, timeline, 0,
									  (uint32_t)release);
		}
		wl_surface_attach(w->surface, bufs[b].buffer, 0, 0);
		wl_surface_damage_buffer(w->surface, 0, 0, 64, 64);
		struct th_presented p = {0};
		th_feedback_request(c, w->surface, &p);
		wl_surface_commit(w->surface);
		wl_display_flush(c->display);
		int64_t committed = th_now_ns();
		if (mode != NONE)
			usleep(DELAY_US);
		int64_t signalled = th_now_ns();
		if (mode == IMPLICIT) {
			struct vgem_fence_signal sig = {.fence = attach.out_fence};
			drmIoctl(bufs[b].mem.vgem_fd, VGEM_FENCE_SIGNAL, &sig);
		} else if (mode == SYNC_FILE || mode == SYNCOBJ) {
			sw_sync_advance(sw_timeline, 1);
		}
		if (!th_dispatch_until(c, &p.done, 3000) || !p.presented)
			return false;
		if (i < 0)
			continue; /* warm-up */
		commit_to_present[n] = (double)(p.time_ns - committed) / 1e6;
		signal_to_present[n] = (double)(p.time_ns - signalled) / 1e6;
		/* Later than the first vblank after the signal: a frame lost to the fence path. */
		missed += p.time_ns - signalled > (int64_t)p.refresh_ns;
		zero_copy += (p.flags & WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY) != 0;
		n++;
	}
	*out = (struct result){.frames = n, .missed = missed, .zero_copy = zero_copy};
	out->cpu_ms = (th_cpu_seconds(server->pid) - cpu_start) * 1000.0 / n;
	out->commit_median = th_percentile(commit_to_present, n, 0.5);
	out->commit_p99 = th_percentile(commit_to_present, n, 0.99);
	out->signal_median = th_percentile(signal_to_present, n, 0.5);
	out->signal_p99 = th_percentile(signal_to_present, n, 0.99);
	if (zsync)
		zwp_linux_surface_synchronization_v1_destroy(zsync);
	if (ssync)
		wp_linux_drm_syncobj_surface_v1_destroy(ssync);
	if (timeline)
		wp_linux_drm_syncobj_timeline_v1_destroy(timeline);
	if (drm_fd >= 0) {
		drmSyncobjDestroy(drm_fd, syncobj);
		close(drm_fd);
	}
	if (sw_timeline >= 0)
		close(sw_timeline);
	for (int i = 0; i < 2; i++)
		th_painted_buffer_destroy(&bufs[i]);
	th_window_destroy(w);
	th_client_destroy(c);
	return th_server_stop(server);
}

int
main(void)
{
	char vkms[32];
	if (!th_find_drm_device("vkms", vkms, sizeof(vkms))) {
		fprintf(stderr,
			"sluice-bench-sync: no vkms device (run it through bench/run-sync)\n");
		return 1;
	}
	struct result results[N_ROWS];
	for (int r = 0; r < N_ROWS; r++) {
		if (!run_row(vkms, &rows[r], &results[r])) {
			fprintf(stderr, "sluice-bench-sync: the %s run failed\n", rows[r].name);
			return 1;
		}
	}
	printf("\nfence signalled %d ms after each commit; %d frames per row; vkms 60 Hz; "
	       "pixman; buffers on the primary plane\n\n",
	       DELAY_US / 1000, FRAMES);
	printf("%-16s %8s %8s %8s %8s %7s %9s %7s %9s\n", "acquire, waiter", "c->p med", "c->p p99",
	       "s->p med", "s->p p99", "missed", "zero-copy", "cpu ms", "c->p/base");
	for (int r = 0; r < N_ROWS; r++) {
		struct result *x = &results[r];
		printf("%-16s %8.2f %8.2f %8.2f %8.2f %3d/%-3d %5d/%-3d %7.2f %9.2f\n",
		       rows[r].name, x->commit_median, x->commit_p99, x->signal_median,
		       x->signal_p99, x->missed, x->frames, x->zero_copy, x->frames, x->cpu_ms,
		       x->commit_median / results[0].commit_median);
	}
	printf("\n(c->p: commit to presentation, s->p: fence signal to presentation, in ms; cpu: "
	       "sluice's user+system time per frame. wait: sluice waits for the fence; kms: the "
	       "kernel does, as the plane's IN_FENCE_FD)\n");
	return 0;
}
