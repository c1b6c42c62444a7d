/*
 * The current stack (Mesa 25 llvmpipe, weston 14, Linux 6.12; suite vm-current): the GL renderer
 * on Mesa 25 with every dma-buf source and format, read back through the writeback connector,
 * with sluice's counters saying which path each buffer took; and a canary for the Mesa fault that
 * keeps llvmpipe from sampling imported dma-bufs on a KMS device (when it stops faulting, the
 * canary fails and the CPU routing in renderers/gl.c can go).
 */
#include <drm_fourcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wayland-client.h>

#include "harness.h"

static char vkms_path[32];

static struct th_server *
start_gl(const char *stats, bool scanout)
{
	/* Composited unless asked: no plane takes what the renderer is to import. */
	const char *const args[] = {"--backend", "drm",	       "--drm-device",
				    vkms_path,	 "--renderer", "gl",
				    "--stats",	 stats,	       scanout ? NULL : "--no-scanout",
				    NULL};
	return th_server_start(args);
}

/* Left half one colour, right half another: a mirrored or misread import shows. */
static uint32_t
halves(int32_t x, int32_t y, void *data)
{
	const uint32_t *c = data;
	return x < (int32_t)c[2] / 2 ? c[0] : c[1];
}

struct format_case {
	uint32_t format;
	const char *name;
	int tolerance; /* YUV is quantised on the way */
};

static const struct format_case formats[] = {
	{DRM_FORMAT_XRGB8888, "XRGB8888", 1},
	{DRM_FORMAT_ARGB8888, "ARGB8888", 1},
	{DRM_FORMAT_NV12, "NV12", 8},
	{DRM_FORMAT_YUYV, "YUYV", 8},
};

static const enum th_dmabuf_source all_sources[] = {TH_DMABUF_VKMS, TH_DMABUF_UDMABUF,
						    TH_DMABUF_HEAP, TH_DMABUF_VGEM};

/*
 * The GL renderer on this stack is Mesa 25's llvmpipe, not the pre-23.1 case, and says why it
 * reads client dma-bufs on the CPU.
 */
static void
check_gl_log(struct th_server *server)
{
	th_check(th_server_log_count(server, "GLES2 renderer: llvmpipe") == 1,
		 "the GL renderer is not llvmpipe");
	th_check(th_server_log_count(server, "OpenGL ES 3.2 Mesa 25.") == 1, "not Mesa 25");
	th_check(th_server_log_count(server, "faults sampling dma-bufs imported on a KMS device") ==
			 1,
		 "the renderer did not say why dma-bufs take the CPU path");
}

/*
 * Every format from one source, composited by GL on Mesa 25 (no planes), with the right colours;
 * each buffer read on the CPU as routed (none given to EGL), and said once per format. One
 * sluice per source, so that what one source does cannot hide another's result.
 */
static void
run_egl_import(const void *arg)
{
	enum th_dmabuf_source source = *(const enum th_dmabuf_source *)arg;
	char stats[256], label[64];
	snprintf(label, sizeof(label), "current-egl-import-%s", th_dmabuf_source_name(source));
	th_stats_path(label, stats, sizeof(stats));
	struct th_server *server = start_gl(stats, false);
	th_require(server);
	check_gl_log(server);
	struct th_client *c = th_client_connect(server);
	th_require(c && c->dmabuf && c->capture);
	struct th_window *w = th_window_create(c);
	th_require(w);
	int buffers = 0;
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		const struct format_case *fc = &formats[f];
		uint32_t colours[3] = {0xffd02010, 0xff10a0e0, (uint32_t)w->width};
		struct th_painted_buffer pb;
		if (!th_check(th_painted_buffer_create(c, source, fc->format, w->width, w->height,
						       halves, colours, &pb),
			      "%s %s: no buffer", th_dmabuf_source_name(source), fc->name))
			continue;
		wl_surface_attach(w->surface, pb.buffer, 0, 0);
		wl_surface_damage_buffer(w->surface, 0, 0, w->width, w->height);
		struct th_presented p;
		struct th_capture cap;
		if (th_check(th_commit_and_wait(c, w->surface, &p) && p.presented,
			     "%s %s: not presented (%s)", th_dmabuf_source_name(source), fc->name,
			     th_protocol_error_message()) &&
		    th_check(th_capture_output(c, 0, &cap))) {
			buffers++;
			uint32_t left = th_capture_pixel(&cap, w->width / 4, w->height / 2);
			uint32_t right = th_capture_pixel(&cap, w->width * 3 / 4, w->height / 2);
			bool ok = th_check(th_rgb_close(left, colours[0], fc->tolerance) &&
						   th_rgb_close(right, colours[1], fc->tolerance),
					   "%s %s: left 0x%06x right 0x%06x, want 0x%06x 0x%06x",
					   th_dmabuf_source_name(source), fc->name, left & 0xffffff,
					   right & 0xffffff, colours[0] & 0xffffff,
					   colours[1] & 0xffffff);
			if (!ok) {
				char name[64];
				snprintf(name, sizeof(name), "current-%s-%s",
					 th_dmabuf_source_name(source), fc->name);
				th_capture_save(&cap, name);
			}
			th_capture_finish(&cap);
		}
		th_painted_buffer_destroy(&pb);
	}
	th_window_destroy(w);
	th_client_destroy(c);
	int cpu_logged = th_server_log_count(server, "read on the CPU: this Mesa's software GL");
	th_check(th_server_stop(server), "sluice did not exit cleanly");
	long long gpu = th_stats_value(stats, "dmabuf_import_gpu");
	long long cpu = th_stats_value(stats, "dmabuf_import_cpu");
	long long gpu_draws = th_stats_value(stats, "dmabuf_gpu_draws");
	long long cpu_draws = th_stats_value(stats, "dmabuf_cpu_draws");
	th_note("%d buffers shown: %lld EGL imports, %lld CPU; draws %lld GPU, %lld CPU; %d "
		"format/modifier pairs logged",
		buffers, gpu, cpu, gpu_draws, cpu_draws, cpu_logged);
	th_check(buffers == 4, "%d of 4 buffers shown", buffers);
	th_check(cpu == buffers && gpu == 0, "EGL imported %lld, CPU %lld of %d", gpu, cpu,
		 buffers);
	th_check(cpu_draws >= buffers && gpu_draws == 0, "draws: GPU %lld, CPU %lld", gpu_draws,
		 cpu_draws);
	th_check(cpu_logged == 4, "%d pairs logged, want one per format", cpu_logged);
}

/*
 * Blending in the GL renderer: a translucent ARGB8888 dma-buf subsurface over an opaque XRGB8888
 * one. Premultiplied 50% blue (0x80000080) over red is (0x7f, 0, 0x80) give or take rounding.
 */
static void
test_argb_blended(void)
{
	char stats[256];
	th_stats_path("current-blend", stats, sizeof(stats));
	struct th_server *server = start_gl(stats, false);
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c && c->dmabuf && c->subcompositor);
	struct th_window *w = th_window_create(c);
	th_require(w);
	uint32_t red[3] = {0xffff0000, 0xffff0000, 1}, blue[3] = {0x80000080, 0x80000080, 1};
	struct th_painted_buffer below, above;
	th_require(th_painted_buffer_create(c, TH_DMABUF_UDMABUF, DRM_FORMAT_XRGB8888, w->width,
					    w->height, halves, red, &below));
	th_require(th_painted_buffer_create(c, TH_DMABUF_HEAP, DRM_FORMAT_ARGB8888, 256, 256,
					    halves, blue, &above));
	struct wl_surface *child = wl_compositor_create_surface(c->compositor);
	struct wl_subsurface *sub =
		wl_subcompositor_get_subsurface(c->subcompositor, child, w->surface);
	wl_subsurface_set_position(sub, 64, 64);
	wl_subsurface_set_desync(sub);
	wl_surface_attach(child, above.buffer, 0, 0);
	wl_surface_damage_buffer(child, 0, 0, 256, 256);
	wl_surface_commit(child);
	wl_surface_attach(w->surface, below.buffer, 0, 0);
	wl_surface_damage_buffer(w->surface, 0, 0, w->width, w->height);
	struct th_presented p;
	th_check(th_commit_and_wait(c, w->surface, &p) && p.presented);
	uint32_t inside = th_output_pixel(c, 0, 64 + 128, 64 + 128) & 0xffffff;
	uint32_t outside = th_output_pixel(c, 0, 64 + 300, 64 + 128) & 0xffffff;
	th_note("blended 0x%06x, outside 0x%06x", inside, outside);
	th_check(th_rgb_close(inside, 0x7f0080, 2), "blended pixel 0x%06x, want ~0x7f0080", inside);
	th_check(th_rgb_close(outside, 0xff0000, 1), "outside the subsurface 0x%06x", outside);
	wl_subsurface_destroy(sub);
	wl_surface_destroy(child);
	th_painted_buffer_destroy(&above);
	th_painted_buffer_destroy(&below);
	th_window_destroy(w);
	th_client_destroy(c);
	th_check(th_server_stop(server));
	long long gpu = th_stats_value(stats, "dmabuf_import_gpu");
	long long cpu_draws = th_stats_value(stats, "dmabuf_cpu_draws");
	long long cpu = th_stats_value(stats, "dmabuf_import_cpu");
	th_check(cpu == 2 && gpu == 0 && cpu_draws >= 2,
		 "imports: EGL %lld, CPU %lld; CPU draws %lld", gpu, cpu, cpu_draws);
}

/*
 * The canary: with every dma-buf forced through EGL, Mesa 25.0's llvmpipe faults at the first
 * draw of an imported buffer. If this stops happening, the routing in renderers/gl.c is obsolete
 * for that Mesa: this test then fails and says so.
 */
static void
test_llvmpipe_import_still_faults(void)
{
	char stats[256];
	th_stats_path("current-forced-import", stats, sizeof(stats));
	const char *const args[] = {"--backend",    "drm", "--drm-device", vkms_path,
				    "--renderer",   "gl",  "--stats",	   stats,
				    "--no-scanout", NULL};
	const char *const env[] = {"SLUICE_GL_FORCE_DMABUF_IMPORT=1", NULL};
	struct th_server *server = th_server_start_env(args, env);
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c && c->dmabuf);
	struct th_window *w = th_window_create(c);
	th_require(w);
	uint32_t colours[3] = {0xffd02010, 0xff10a0e0, (uint32_t)w->width};
	struct th_painted_buffer pb;
	th_require(th_painted_buffer_create(c, TH_DMABUF_UDMABUF, DRM_FORMAT_XRGB8888, w->width,
					    w->height, halves, colours, &pb));
	wl_surface_attach(w->surface, pb.buffer, 0, 0);
	wl_surface_damage_buffer(w->surface, 0, 0, w->width, w->height);
	struct th_presented p;
	bool presented = th_commit_and_wait(c, w->surface, &p) && p.presented;
	bool faulted = th_server_exits_within(server, 3000);
	int imported = th_server_log_count(server, "imported through EGL");
	th_note("forced EGL import: %s, presented %s", faulted ? "sluice faulted" : "no fault",
		presented ? "yes" : "no");
	th_check(imported == 1, "the buffer was not given to EGL");
	th_check(faulted && !presented,
		 "Mesa no longer faults sampling an imported dma-buf: renderers/gl.c can import on "
		 "this Mesa");
	th_painted_buffer_destroy(&pb);
	th_window_destroy(w);
	th_client_destroy(c);
	int status = th_server_stop_status(server);
	th_note("sluice's wait status 0x%x", status);
}

int
main(int argc, char *argv[])
{
	th_require_vkms(vkms_path, sizeof(vkms_path));
	static const struct th_test tests[] = {
		{"argb-blended", test_argb_blended},
		{"llvmpipe-import-still-faults", test_llvmpipe_import_still_faults},
	};
	size_t n_sources = sizeof(all_sources) / sizeof(all_sources[0]);
	size_t n_tests = sizeof(tests) / sizeof(tests[0]);
	printf("TAP version 13\n1..%zu\n", n_sources + n_tests);
	unsigned n = 0;
	int failed = 0;
	for (size_t i = 0; i < n_sources; i++) {
		char name[64];
		snprintf(name, sizeof(name), "egl-import-%s",
			 th_dmabuf_source_name(all_sources[i]));
		failed += th_run_one(name, run_egl_import, &all_sources[i], ++n);
	}
	for (size_t i = 0; i < n_tests; i++)
		failed +=
			th_run_one(tests[i].name, (void (*)(const void *))tests[i].run, NULL, ++n);
	return failed ? 1 : 0;
}
