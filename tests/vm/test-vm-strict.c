/*
 * Strict mode on vkms with dma-bufs: sluice's sample clients in every mode and weston's dma-buf
 * client get reports with no finding; a client planted with one fault each (a blind format
 * choice, an unaligned stride, a buffer reused before its wl_buffer.release or before its
 * explicit release, a format outside its scanout tranche) gets exactly that finding.
 */
#include <drm_fourcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static char vkms_path[32];

static struct th_server *
start(const char *name, char *dir, size_t size)
{
	th_strict_dir(name, dir, size);
	const char *const args[] = {"--backend",       "drm",	     "--drm-device",
				    vkms_path,	       "--renderer", "pixman",
				    "--strict-report", dir,	     NULL};
	return th_server_start(args);
}

static const char *
bin(const char *var, const char *fallback)
{
	const char *path = getenv(var);
	return path ? path : fallback;
}

/* Correct clients: silence. */
static void
test_correct_clients(void)
{
	char dir[512];
	struct th_server *server = start("vm-correct", dir, sizeof(dir));
	th_require(server);
	const char *gpu = bin("SLUICE_GPU_BIN", "sluice-gpu");
	static const char *const modes[] = {"--sync=implicit", "--sync=sync-file",
					    "--sync=syncobj"};
	for (int i = 0; i < 3; i++) {
		const char *const argv[] = {gpu,      modes[i],	 "--frames", "12",
					    "--size", "256x192", NULL};
		struct th_process_result r;
		th_check(th_run_client(server, argv, th_client_lsan_env(), 60000, &r) &&
				 r.status == 0,
			 "sluice-gpu %s: %s", modes[i], r.output);
		th_process_result_finish(&r);
	}
	const char *const camera[] = {bin("SLUICE_CAMERA_BIN", "sluice-camera"), "--frames", "10",
				      NULL};
	struct th_process_result r;
	th_check(th_run_client(server, camera, NULL, 60000, &r) && r.status == 0,
		 "sluice-camera: %s", r.output);
	th_process_result_finish(&r);
	char node[64];
	snprintf(node, sizeof(node), "--drm-render-node=%s", vkms_path);
	const char *const weston[] = {"weston-simple-dmabuf-egl", node, NULL};
	th_run_client(server, weston, NULL, 4000, &r);
	th_check(r.timed_out, "weston-simple-dmabuf-egl stopped early: %s", r.output);
	th_process_result_finish(&r);
	th_check(th_server_stop(server));
	th_strict_check_reports(dir, "sluice-gpu", 3, NULL);
	th_strict_check_reports(dir, "sluice-camera", 1, NULL);
	/* Process names are cut at 15 characters. */
	th_strict_check_reports(dir, "weston-simple-d", 1, NULL);
}

static uint32_t
grey(int32_t x, int32_t y, void *data)
{
	return 0x808080;
}

/* A dma-buf created without asking which formats sluice takes. */
static void
test_format_not_advertised(void)
{
	char dir[512];
	struct th_server *server = start("vm-blind-format", dir, sizeof(dir));
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c && c->dmabuf && c->dmabuf_version >= 4);
	struct th_painted_buffer b;
	th_check(th_painted_buffer_create(c, TH_DMABUF_HEAP, DRM_FORMAT_XRGB8888, 64, 64, grey,
					  NULL, &b));
	th_check(th_roundtrip(c));
	th_painted_buffer_destroy(&b);
	th_client_destroy(c);
	th_check(th_server_stop(server));
	th_strict_check_reports(dir, "test-vm-strict", 1, "format_not_advertised");
}

/* A 1000-pixel XRGB8888 row is 4000 bytes: valid, but not a multiple of 64. */
static void
test_stride_alignment(void)
{
	char dir[512];
	struct th_server *server = start("vm-stride", dir, sizeof(dir));
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c);
	struct zwp_linux_dmabuf_feedback_v1 *feedback = th_dmabuf_feedback(c, NULL);
	th_require(feedback);
	struct th_dmabuf mem;
	th_require(th_dmabuf_alloc(TH_DMABUF_HEAP, 4000 * 100, &mem));
	uint32_t offsets[4] = {0}, strides[4] = {4000};
	struct wl_buffer *buffer =
		th_dmabuf_buffer_create(c, mem.fd, DRM_FORMAT_XRGB8888, 1000, 100, 1, offsets,
					strides, DRM_FORMAT_MOD_LINEAR);
	th_check(buffer && th_roundtrip(c));
	if (buffer)
		wl_buffer_destroy(buffer);
	th_dmabuf_free(&mem);
	zwp_linux_dmabuf_feedback_v1_destroy(feedback);
	th_client_destroy(c);
	th_check(th_server_stop(server));
	th_strict_check_reports(dir, "test-vm-strict", 1, "stride_alignment");
}

/*
 * A fullscreen heap buffer A on the primary plane is replaced by B, and A is committed again
 * while it is still shown: B's commit waits for a fence (its acquire fence, or a write fence in
 * its dma-buf for implicit sync) that signals only once sluice has read both commits. Without
 * that wait a busy machine may read B's commit, flip to it and release A before it reads A's,
 * and there would be no fault to find.
 */
static void
run_reuse(bool explicit_sync, const char *want)
{
	char dir[512];
	struct th_server *server =
		start(explicit_sync ? "vm-release" : "vm-reuse", dir, sizeof(dir));
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c && (!explicit_sync || c->explicit_sync));
	struct zwp_linux_dmabuf_feedback_v1 *feedback = th_dmabuf_feedback(c, NULL);
	struct th_window *w = th_window_create(c);
	th_require(feedback && w);
	struct th_painted_buffer a, b;
	th_require(th_painted_buffer_create(c, TH_DMABUF_HEAP, DRM_FORMAT_XRGB8888, w->width,
					    w->height, grey, NULL, &a) &&
		   th_painted_buffer_create(c, TH_DMABUF_HEAP, DRM_FORMAT_XRGB8888, w->width,
					    w->height, grey, NULL, &b));
	struct zwp_linux_surface_synchronization_v1 *sync =
		explicit_sync ? zwp_linux_explicit_synchronization_v1_get_synchronization(
					c->explicit_sync, w->surface)
			      : NULL;
	int timeline = sw_sync_timeline_create();
	th_require(timeline >= 0);
	uint32_t value = 0;
	/* A reaches the plane before the fault; its presentation says it is scanned out. */
	for (int i = 0; i < 2; i++) {
		if (sync) {
			int fence = sw_sync_fence(timeline, ++value);
			sw_sync_advance(timeline, 1);
			zwp_linux_surface_synchronization_v1_set_acquire_fence(sync, fence);
			close(fence);
			zwp_linux_buffer_release_v1_destroy(
				zwp_linux_surface_synchronization_v1_get_release(sync));
		}
		wl_surface_attach(w->surface, a.buffer, 0, 0);
		wl_surface_damage_buffer(w->surface, 0, 0, w->width, w->height);
		struct th_presented p;
		th_require(th_commit_and_wait(c, w->surface, &p) && p.presented);
		th_check(p.flags & WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY,
			 "A was composited (flags 0x%x), not scanned out", p.flags);
	}
	/* B, held back by a fence not signalled yet; then A again. */
	int gate = sw_sync_fence(timeline, ++value);
	th_require(gate >= 0);
	if (!sync)
		th_require(th_dmabuf_add_write_fence(&b.mem, gate));
	struct wl_buffer *order[] = {b.buffer, a.buffer};
	struct th_presented shown;
	for (int i = 0; i < 2; i++) {
		if (sync) {
			zwp_linux_surface_synchronization_v1_set_acquire_fence(sync, gate);
			zwp_linux_buffer_release_v1_destroy(
				zwp_linux_surface_synchronization_v1_get_release(sync));
		}
		wl_surface_attach(w->surface, order[i], 0, 0);
		wl_surface_damage_buffer(w->surface, 0, 0, w->width, w->height);
		if (i == 1)
			th_feedback_request(c, w->surface, &shown);
		wl_surface_commit(w->surface);
	}
	close(gate);
	/* Both commits are read: now B's fence signals and the two apply together. */
	th_check(th_roundtrip(c));
	th_check(sw_sync_advance(timeline, 1));
	th_check(th_dispatch_until(c, &shown.done, 10000) && shown.presented,
		 "A, committed again after B, was not presented");
	if (sync)
		zwp_linux_surface_synchronization_v1_destroy(sync);
	close(timeline);
	th_painted_buffer_destroy(&a);
	th_painted_buffer_destroy(&b);
	th_window_destroy(w);
	zwp_linux_dmabuf_feedback_v1_destroy(feedback);
	th_client_destroy(c);
	th_check(th_server_stop(server));
	th_strict_check_reports(dir, "test-vm-strict", 1, want);
}

static void
test_reuse_before_release(void)
{
	run_reuse(false, "reuse_before_release");
}

static void
test_release_not_waited(void)
{
	run_reuse(true, "release_not_waited");
}

/* The surface was offered XRGB8888 for scanout and committed ARGB8888 anyway. */
static void
test_not_scanout_format(void)
{
	char dir[512];
	struct th_server *server = start("vm-scanout-format", dir, sizeof(dir));
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c);
	struct zwp_linux_dmabuf_feedback_v1 *feedback = th_dmabuf_feedback(c, NULL);
	struct th_window *w = th_window_create(c);
	th_require(feedback && w);
	struct zwp_linux_dmabuf_feedback_v1 *surface_feedback = th_dmabuf_feedback(c, w->surface);
	th_require(surface_feedback);
	struct th_painted_buffer b;
	th_require(th_painted_buffer_create(c, TH_DMABUF_HEAP, DRM_FORMAT_ARGB8888, w->width,
					    w->height, grey, NULL, &b));
	wl_surface_attach(w->surface, b.buffer, 0, 0);
	wl_surface_damage_buffer(w->surface, 0, 0, w->width, w->height);
	struct th_presented p;
	th_check(th_commit_and_wait(c, w->surface, &p) && p.presented);
	th_painted_buffer_destroy(&b);
	zwp_linux_dmabuf_feedback_v1_destroy(surface_feedback);
	th_window_destroy(w);
	zwp_linux_dmabuf_feedback_v1_destroy(feedback);
	th_client_destroy(c);
	th_check(th_server_stop(server));
	th_strict_check_reports(dir, "test-vm-strict", 1, "not_scanout_format");
}

int
main(int argc, char *argv[])
{
	th_require_vkms(vkms_path, sizeof(vkms_path));
	static const struct th_test tests[] = {
		{"correct-clients", test_correct_clients},
		{"format-not-advertised", test_format_not_advertised},
		{"stride-alignment", test_stride_alignment},
		{"reuse-before-release", test_reuse_before_release},
		{"release-not-waited", test_release_not_waited},
		{"not-scanout-format", test_not_scanout_format},
	};
	return th_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
