/*
 * How long a fenced frame takes to reach the screen, per way of fencing it: no fence (the
 * baseline), implicit (a vgem write fence on the dma-buf), a zwp explicit-sync acquire sync_file
 * (sw_sync), and a linux-drm-syncobj acquire point. Each frame is committed, its fence signalled
 * DELAY ms later from this process, and the wp_presentation timestamp of its flip recorded.
 * Runs inside the test VM on vkms (bench/run-sync boots it); prints a table.
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

enum mode { NONE, IMPLICIT, SYNC_FILE, SYNCOBJ, N_MODES };
static const char *const mode_names[N_MODES] = {"no fence", "implicit (vgem)", "sync_file",
						"syncobj"};

struct result {
	int frames, missed;
	double commit_median, commit_p99, signal_median, signal_p99; /* ms */
};

static uint32_t
grey(int32_t x, int32_t y, void *data)
{
	return *(const uint32_t *)data;
}

static bool
run_mode(const char *vkms, enum mode mode, struct result *out)
{
	const char *const args[] = {"--backend", "drm", "--drm-device", vkms, "--renderer",
				    "pixman",	 NULL};
	struct th_server *server = th_server_start(args);
	if (!server)
		return false;
	struct th_client *c = th_client_connect(server);
	struct th_window *w = c ? th_window_create(c) : NULL;
	if (!w || !c->dmabuf || !c->explicit_sync || (mode == SYNCOBJ && !c->syncobj)) {
		fprintf(stderr, "sluice-bench-sync: %s: the compositor lacks what it needs\n",
			mode_names[mode]);
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
	if (mode == SYNC_FILE) {
		zsync = zwp_linux_explicit_synchronization_v1_get_synchronization(c->explicit_sync,
										  w->surface);
		sw_timeline = th_sw_timeline_create();
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

	double commit_to_present[FRAMES], signal_to_present[FRAMES];
	int n = 0, missed = 0;
	for (int i = -10; i < FRAMES; i++) {
		int b = (i + 10) % 2;
		struct vgem_fence_attach attach = {.handle = bufs[b].mem.vgem_handle, .flags = 1};
		if (mode == IMPLICIT &&
		    drmIoctl(bufs[b].mem.vgem_fd, VGEM_FENCE_ATTACH, &attach) < 0)
			return false;
		if (mode == SYNC_FILE) {
			int fence = th_sw_fence(sw_timeline, (uint32_t)(i + 11));
			if (fence < 0)
				return false;
			zwp_linux_surface_synchronization_v1_set_acquire_fence(zsync, fence);
			close(fence);
		}
		if (mode == SYNCOBJ) {
			uint64_t acquire = (uint64_t)(i + 11) * 2, release = acquire + 1;
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
		} else if (mode == SYNC_FILE) {
			th_sw_advance(sw_timeline, 1);
		} else if (mode == SYNCOBJ) {
			uint64_t point = (uint64_t)(i + 11) * 2;
			drmSyncobjTimelineSignal(drm_fd, &syncobj, &point, 1);
		}
		if (!th_dispatch_until(c, &p.done, 3000) || !p.presented)
			return false;
		if (i < 0)
			continue; /* warm-up */
		commit_to_present[n] = (double)(p.time_ns - committed) / 1e6;
		signal_to_present[n] = (double)(p.time_ns - signalled) / 1e6;
		/* Later than the first vblank after the signal: a frame lost to the fence path. */
		missed += p.time_ns - signalled > (int64_t)p.refresh_ns;
		n++;
	}
	*out = (struct result){.frames = n, .missed = missed};
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
	struct result results[N_MODES];
	for (int m = 0; m < N_MODES; m++) {
		if (!run_mode(vkms, (enum mode)m, &results[m])) {
			fprintf(stderr, "sluice-bench-sync: the %s run failed\n", mode_names[m]);
			return 1;
		}
	}
	printf("\nfence signalled %d ms after each commit; %d frames per row; vkms 60 Hz; "
	       "pixman\n\n",
	       DELAY_US / 1000, FRAMES);
	printf("%-17s %8s %8s %8s %8s %7s %9s\n", "acquire", "c->p med", "c->p p99", "s->p med",
	       "s->p p99", "missed", "c->p/base");
	for (int m = 0; m < N_MODES; m++) {
		struct result *r = &results[m];
		printf("%-17s %8.2f %8.2f %8.2f %8.2f %3d/%-3d %9.2f\n", mode_names[m],
		       r->commit_median, r->commit_p99, r->signal_median, r->signal_p99, r->missed,
		       r->frames, r->commit_median / results[NONE].commit_median);
	}
	printf("\n(c->p: commit to presentation, s->p: fence signal to presentation, in ms. "
	       "IN_FENCE_FD is not measured: sluice does not hand acquire fences to the kernel "
	       "yet)\n");
	return 0;
}
