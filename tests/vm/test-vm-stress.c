/*
 * Stress on vkms (the host tier's test-stress does the same on the headless backend with shm):
 *
 * - a thousand clients that each commit a dma-buf frame whose acquire fence is still pending
 *   (a sw_sync fence, or a syncobj point on every fourth, which sluice waits for on a thread)
 *   and vanish, must leave sluice with the fds, threads and memory it had before;
 * - 64 client processes committing dma-buf frames as fast as they can must not cost the
 *   client on screen its frames: every one presented, two thirds or more at the next vblank.
 *
 * Counts, not durations: every limit is a number of frames or vblanks.
 */
#include <drm_fourcc.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xf86drm.h>

#include "fence.h"
#include "harness.h"

/* Freed memory goes back at once, so that the resident size shows what is really kept. */
static const char *const no_quarantine[] = {
	"ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:quarantine_size_mb=0", NULL};

static uint32_t
flat(int32_t x, int32_t y, void *data)
{
	return *(const uint32_t *)data;
}

static int
count_threads(pid_t pid)
{
	char path[64], line[128];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	int threads = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &threads) == 1)
			break;
	if (f)
		fclose(f);
	return threads;
}

/* One client's life: a window, a dma-buf frame committed behind a fence that has not
 * signalled, a release requested, then the connection closes (as when a client crashes). */
static bool
fenced_client(struct th_server *server, int drm_fd, int i)
{
	struct th_client *c = th_client_connect(server);
	if (!c)
		return false;
	struct th_window *w = th_window_create(c);
	struct th_painted_buffer buf;
	uint32_t colour = 0x010101u * (uint32_t)(i & 0xff);
	bool ok = w && th_painted_buffer_create(c, TH_DMABUF_HEAP, DRM_FORMAT_XRGB8888, 64, 64,
						flat, &colour, &buf);
	int timeline = ok ? sw_sync_timeline_create() : -1;
	int fence = timeline >= 0 ? sw_sync_fence(timeline, 1) : -1;
	uint32_t syncobj = 0;
	bool use_syncobj = i % 4 == 3 && c->syncobj;
	ok = ok && fence >= 0;
	if (ok && use_syncobj) {
		int fd = -1;
		ok = drmSyncobjCreate(drm_fd, 0, &syncobj) == 0 &&
		     syncobj_point_import_sync_file(drm_fd, syncobj, 1, fence) &&
		     drmSyncobjHandleToFD(drm_fd, syncobj, &fd) == 0;
		if (ok) {
			struct wp_linux_drm_syncobj_timeline_v1 *t =
				wp_linux_drm_syncobj_manager_v1_import_timeline(c->syncobj, fd);
			struct wp_linux_drm_syncobj_surface_v1 *s =
				wp_linux_drm_syncobj_manager_v1_get_surface(c->syncobj, w->surface);
			wp_linux_drm_syncobj_surface_v1_set_acquire_point(s, t, 0, 1);
			wp_linux_drm_syncobj_surface_v1_set_release_point(s, t, 0, 2);
			close(fd);
		}
	} else if (ok) {
		struct zwp_linux_surface_synchronization_v1 *s =
			zwp_linux_explicit_synchronization_v1_get_synchronization(c->explicit_sync,
										  w->surface);
		zwp_linux_surface_synchronization_v1_set_acquire_fence(s, fence);
		zwp_linux_surface_synchronization_v1_get_release(s);
	}
	if (ok) {
		wl_surface_attach(w->surface, buf.buffer, 0, 0);
		wl_surface_damage_buffer(w->surface, 0, 0, 64, 64);
		wl_surface_frame(w->surface);
		struct th_presented p;
		th_feedback_request(c, w->surface, &p);
		wl_surface_commit(w->surface);
		ok = th_roundtrip(c); /* sluice has the commit, and is waiting for the fence */
	}
	/* Gone without cleaning up; the fence never signals while sluice could see it. */
	th_client_destroy(c);
	if (fence >= 0)
		close(fence);
	if (timeline >= 0)
		close(timeline);
	if (syncobj)
		drmSyncobjDestroy(drm_fd, syncobj);
	if (ok)
		th_dmabuf_free(&buf.mem); /* its wl_buffer went with the connection */
	return ok;
}

static void
test_connect_cycles(void)
{
	char vkms[32];
	th_require_vkms(vkms, sizeof(vkms));
	const char *const args[] = {"--backend", "drm",		"--drm-device", vkms, "--renderer",
				    "pixman",	 "--log-level", "info",		NULL};
	struct th_server *server = th_server_start_env(args, no_quarantine);
	th_require(server);
	int drm_fd = open(vkms, O_RDWR | O_CLOEXEC);
	th_require(drm_fd >= 0);
	/* Warm up: the allocator's and libwayland's first-use growth is not a leak. */
	for (int i = 0; i < 40; i++)
		th_require(fenced_client(server, drm_fd, i));
	usleep(500000); /* syncobj waiter threads notice cancellation within 200 ms */
	int fds_before = th_count_fds(server->pid);
	int threads_before = count_threads(server->pid);
	long rss_before = th_rss_kib(server->pid);
	int failed = 0;
	for (int i = 0; i < 1000; i++)
		failed += !fenced_client(server, drm_fd, i);
	struct th_client *probe = th_client_connect(server);
	th_check(probe && th_roundtrip(probe), "sluice stopped answering");
	th_client_destroy(probe);
	usleep(500000);
	int fds_after = th_count_fds(server->pid);
	int threads_after = count_threads(server->pid);
	long rss_after = th_rss_kib(server->pid);
	th_note("1000 clients with pending fences: fds %d -> %d, threads %d -> %d, resident %ld "
		"-> %ld KiB",
		fds_before, fds_after, threads_before, threads_after, rss_before, rss_after);
	th_check(failed == 0, "%d clients could not commit their frame", failed);
	th_check(fds_after == fds_before, "fds %d after 1000 clients, %d before", fds_after,
		 fds_before);
	th_check(threads_after == threads_before, "threads %d after, %d before", threads_after,
		 threads_before);
	th_check(rss_after - rss_before < 1024, "resident size grew by %ld KiB",
		 rss_after - rss_before);
	close(drm_fd);
	th_check(th_server_stop(server));
}

/* Commits new dma-buf frames without waiting for anything, until it is killed. */
static void
flood(struct th_server *server, int index)
{
	struct th_client *c = th_client_connect(server);
	struct th_window *w = c ? th_window_create(c) : NULL;
	struct th_painted_buffer b[2];
	uint32_t colour = 0x30303030u + (uint32_t)index;
	if (!w ||
	    !th_painted_buffer_create(c, TH_DMABUF_HEAP, DRM_FORMAT_XRGB8888, 64, 64, flat, &colour,
				      &b[0]) ||
	    !th_painted_buffer_create(c, TH_DMABUF_HEAP, DRM_FORMAT_XRGB8888, 64, 64, flat, &colour,
				      &b[1]))
		_exit(1);
	for (unsigned n = 0;; n++) {
		wl_surface_attach(w->surface, b[n % 2].buffer, 0, 0);
		wl_surface_damage_buffer(w->surface, 0, 0, 64, 64);
		wl_surface_commit(w->surface);
		/* Keep reading (releases, pings) so that the compositor never waits for us. */
		if (n % 16 == 0 && !th_roundtrip(c))
			_exit(2);
	}
}

static void
test_flood_bystander(void)
{
	char vkms[32];
	th_require_vkms(vkms, sizeof(vkms));
	/* As on the host tier: without --realtime the flooders take sluice's CPU. */
	char stats[512];
	th_stats_path("dmabuf-flood-bystander", stats, sizeof(stats));
	const char *const args[] = {"--backend",  "drm",     "--drm-device", vkms,
				    "--renderer", "pixman",  "--log-level",  "info",
				    "--realtime", "--stats", stats,	     NULL};
	struct th_server *server = th_server_start_env(args, no_quarantine);
	th_require(server);
	enum { FLOODERS = 64, FRAMES = 120 };
	pid_t pids[FLOODERS];
	int started = 0;
	for (int i = 0; i < FLOODERS; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			flood(server, i);
			_exit(0);
		}
		if (pid > 0)
			pids[started++] = pid;
	}
	/*
	 * The bystander runs at sluice's real-time level too: with two virtual CPUs and 64
	 * busy processes, the guest's scheduler would otherwise decide when it commits, and what
	 * is measured here is whether sluice shows its frames in time.
	 */
	th_check(th_realtime_begin(), "cannot run the bystander at real-time priority");
	sleep(2);
	struct th_client *c = th_client_connect(server);
	struct th_window *w = c ? th_window_create(c) : NULL;
	struct th_painted_buffer b[2];
	uint32_t colours[2] = {0x404040, 0x808080};
	bool have = w &&
		    th_painted_buffer_create(c, TH_DMABUF_VKMS, DRM_FORMAT_XRGB8888, w->width,
					     w->height, flat, &colours[0], &b[0]) &&
		    th_painted_buffer_create(c, TH_DMABUF_VKMS, DRM_FORMAT_XRGB8888, w->width,
					     w->height, flat, &colours[1], &b[1]);
	int missed = 0, presented = 0, next_vblank = 0;
	uint64_t last_seq = 0;
	if (th_check(have, "the bystander has no window")) {
		for (int i = 0; i < FRAMES + 10; i++) {
			struct th_presented p;
			wl_surface_attach(w->surface, b[i % 2].buffer, 0, 0);
			wl_surface_damage_buffer(w->surface, 0, 0, w->width, w->height);
			if (!th_check(th_commit_and_wait(c, w->surface, &p),
				      "frame %d was not presented", i))
				break;
			if (i >= 10) { /* the first ones map it and settle */
				int gap = (int)(p.seq - last_seq) - 1;
				missed += gap;
				next_vblank += gap == 0;
				presented++;
			}
			last_seq = p.seq;
		}
	}
	th_realtime_end();
	int alive = th_reap(pids, started);
	th_note("%d dma-buf flooders running at the end; the bystander: %d frames, %d at the next "
		"vblank, %d vblanks missed",
		alive, presented, next_vblank, missed);
	th_check(alive == FLOODERS, "only %d of %d flooders kept going", alive, FLOODERS);
	/*
	 * Every frame of the client on screen is presented while all 64 flooders keep going, and
	 * at its pace. Before sluice held flooders back (loop.h), it was saturated by them on two
	 * emulated CPUs and this ranged from 95 down to 0 of 120 frames at the next vblank; since,
	 * 114-119. A late frame here is sluice's own doing: the bystander and sluice both run
	 * real-time, and the flooders' work is bounded.
	 */
	th_check(presented == FRAMES, "the bystander got %d of %d frames presented", presented,
		 FRAMES);
	th_check(next_vblank >= (FRAMES * 2) / 3,
		 "the bystander lost its pace: %d of %d frames at the next vblank", next_vblank,
		 FRAMES);
	th_check(th_server_alive(server), "sluice died");
	if (have) {
		th_painted_buffer_destroy(&b[0]);
		th_painted_buffer_destroy(&b[1]);
	}
	if (w)
		th_window_destroy(w);
	if (c)
		th_client_destroy(c);
	th_check(th_server_stop(server));
	th_note("sluice: %lld rounds of client requests, the longest %lld us; repaints at most "
		"%lld us late; flooders held back %lld times",
		th_stats_value(stats, "client_batches"),
		th_stats_value(stats, "client_batch_max_us"),
		th_stats_value(stats, "repaint_delay_max_us"),
		th_stats_value(stats, "clients_throttled"));
}

int
main(int argc, char *argv[])
{
	static const struct th_test tests[] = {
		{"connect-cycles-fenced", test_connect_cycles},
		{"dmabuf-flood-bystander", test_flood_bystander},
	};
	return th_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
