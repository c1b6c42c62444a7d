/*
 * linux-dmabuf with real dma-bufs, inside the test VM on vkms: buffers from vgem, udmabuf and the
 * system heap in single- and multi-planar formats, drawn by both renderers and read back through
 * the writeback connector; v4 feedback; version 5's one modifier for all planes; implicit sync
 * with a vgem fence; errors that need a real dma-buf's size; peer clients.
 */
#include <drm_fourcc.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xf86drm.h>

#include "formats.h"
#include "harness.h"

static char vkms_path[32];

static struct th_server *
start_on_vkms(const char *renderer, const char *stats_path)
{
	const char *const args[] = {"--backend", "drm",	    "--drm-device", vkms_path, "--renderer",
				    renderer,	 "--stats", stats_path,	    NULL};
	return th_server_start(args);
}

/* Reads one counter from sluice's --stats file. */
/* ---- the pixels of every source × format through each renderer ---- */

/* Four quadrants of distinct colours; one translucent (premultiplied) where alpha exists. */
static uint32_t
quadrant_colour(int32_t x, int32_t y, void *data)
{
	const int32_t *size = data;
	bool right = x >= size[0] / 2, bottom = y >= size[1] / 2;
	if (!right && !bottom)
		return 0xffc03020;
	if (right && !bottom)
		return 0xff20c040;
	if (!right && bottom)
		return 0xff3040c0;
	return size[2] ? 0x80604020 : 0xffe0e0e0; /* alpha 0.5, premultiplied */
}

struct format_case {
	uint32_t format;
	const char *name;
	int tolerance; /* per channel: YUV is quantised on the way */
};

static const struct format_case formats[] = {
	{DRM_FORMAT_XRGB8888, "XRGB8888", 1}, {DRM_FORMAT_ARGB8888, "ARGB8888", 1},
	{DRM_FORMAT_YUYV, "YUYV", 6},	      {DRM_FORMAT_UYVY, "UYVY", 6},
	{DRM_FORMAT_NV12, "NV12", 6},	      {DRM_FORMAT_P010, "P010", 6},
	{DRM_FORMAT_YUV420, "YUV420", 6},
};

/* What the screen shows for a quadrant colour: translucent ones over the black background. */
static uint32_t
expected_on_screen(uint32_t colour)
{
	return colour & 0xffffff;
}

struct buffer_result {
	bool shown_ok;
	bool created;
};

static void
show_and_check(struct th_client *c, struct th_window *w, enum th_dmabuf_source source,
	       const struct format_case *fc, struct buffer_result *result)
{
	int32_t width = w->width, height = w->height;
	uint32_t offsets[4] = {0}, strides[4] = {0};
	unsigned n_planes;
	size_t size = th_layout(fc->format, width, height, offsets, strides, &n_planes);
	struct th_dmabuf dmabuf;
	if (!th_check(th_dmabuf_alloc(source, size, &dmabuf), "%s: cannot allocate %zu bytes",
		      th_dmabuf_source_name(source), size))
		return;
	int32_t data[3] = {width, height, fc->format == DRM_FORMAT_ARGB8888};
	th_dmabuf_begin_write(&dmabuf);
	th_paint(fc->format, dmabuf.map, offsets, strides, width, height, quadrant_colour, data);
	th_dmabuf_end_write(&dmabuf);
	struct wl_buffer *buffer =
		th_dmabuf_buffer_create(c, dmabuf.fd, fc->format, width, height, n_planes, offsets,
					strides, DRM_FORMAT_MOD_LINEAR);
	wl_surface_attach(w->surface, buffer, 0, 0);
	wl_surface_damage_buffer(w->surface, 0, 0, width, height);
	struct th_presented p;
	struct th_capture cap;
	if (th_check(th_commit_and_wait(c, w->surface, &p) && p.presented,
		     "%s %s: not presented (%s)", th_dmabuf_source_name(source), fc->name,
		     th_protocol_error_message()) &&
	    th_check(th_capture_output(c, 0, &cap))) {
		result->created = true;
		int bad = 0;
		for (int q = 0; q < 4; q++) {
			int32_t x = (q % 2) ? width * 3 / 4 : width / 4;
			int32_t y = (q / 2) ? height * 3 / 4 : height / 4;
			uint32_t want = expected_on_screen(quadrant_colour(x, y, data));
			uint32_t got = th_capture_pixel(&cap, x, y) & 0xffffff;
			if (!th_check(th_rgb_close(got, want, fc->tolerance),
				      "%s %s quadrant %d at (%d,%d): 0x%06x, want 0x%06x (±%d)",
				      th_dmabuf_source_name(source), fc->name, q, x, y, got, want,
				      fc->tolerance))
				bad++;
		}
		if (bad) {
			char name[64];
			snprintf(name, sizeof(name), "vm-dmabuf-%s-%s",
				 th_dmabuf_source_name(source), fc->name);
			th_capture_save(&cap, name);
		}
		result->shown_ok = bad == 0;
		th_capture_finish(&cap);
	}
	/* The next buffer replaces this one; sluice keeps its own references meanwhile. */
	if (buffer)
		wl_buffer_destroy(buffer);
	th_dmabuf_free(&dmabuf);
}

static void
run_pixels(const char *renderer)
{
	char stats[256];
	char label[32];
	snprintf(label, sizeof(label), "dmabuf-pixels-%s", renderer);
	th_stats_path(label, stats, sizeof(stats));
	struct th_server *server = start_on_vkms(renderer, stats);
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c && c->dmabuf, "no linux-dmabuf");
	th_check(c->dmabuf_version == 5, "version %u on KMS", c->dmabuf_version);
	struct th_window *w = th_window_create(c);
	th_require(w);
	int buffers = 0, rgb_buffers = 0, native_rgb = 0, native = 0;
	static const enum th_dmabuf_source sources[] = {TH_DMABUF_VGEM, TH_DMABUF_UDMABUF,
							TH_DMABUF_HEAP, TH_DMABUF_VKMS};
	for (size_t s = 0; s < 4; s++) {
		for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
			struct buffer_result result = {0};
			show_and_check(c, w, sources[s], &formats[f], &result);
			bool rgb = formats[f].format == DRM_FORMAT_XRGB8888 ||
				   formats[f].format == DRM_FORMAT_ARGB8888;
			buffers += result.created;
			rgb_buffers += result.created && rgb;
			native_rgb += result.created && rgb && sources[s] == TH_DMABUF_VKMS;
			native += result.created && sources[s] == TH_DMABUF_VKMS;
		}
	}
	th_window_destroy(w);
	th_client_destroy(c);
	bool software_gl = th_server_log_count(server, "client dma-bufs are read") == 1;
	bool native_only = th_server_log_count(server, "the KMS device's own dma-bufs are "
						       "imported through EGL") == 1;
	/* Own buffers EGL itself refused: said once per format, with EGL's error. */
	int egl_refused = th_server_log_count(server, "read on the CPU: EGL refused the import");
	th_check(th_server_stop(server), "sluice did not exit cleanly");

	/* Which path each buffer took. */
	long long gpu = th_stats_value(stats, "dmabuf_import_gpu");
	long long cpu = th_stats_value(stats, "dmabuf_import_cpu");
	long long kms = th_stats_value(stats, "dmabuf_import_kms");
	long long gpu_draws = th_stats_value(stats, "dmabuf_gpu_draws");
	long long cpu_draws = th_stats_value(stats, "dmabuf_cpu_draws");
	/* Buffers a plane showed were not drawn at all (tests/vm/test-vm-scanout.c). */
	long long on_planes = th_stats_value(stats, "planes_used");
	th_note("%s: %d buffers: %lld EGL imports, %lld CPU, %lld KMS framebuffers; draws %lld "
		"GPU, "
		"%lld CPU",
		renderer, buffers, gpu, cpu, kms, gpu_draws, cpu_draws);
	th_check(gpu + cpu == buffers, "imports %lld + %lld for %d buffers", gpu, cpu, buffers);
	if (strcmp(renderer, "gl") == 0 && software_gl) {
		/*
		 * The stock stack's GL is Mesa 22.3's llvmpipe, which crashes sampling imported
		 * dma-bufs: sluice must see that and read every client dma-buf on the CPU itself,
		 * including the display device's own buffers.
		 */
		th_check(native_rgb == 2);
		th_check(gpu == 0 && cpu == buffers && cpu_draws + on_planes >= buffers,
			 "GL imported %lld, CPU %lld, CPU draws %lld, on planes %lld", gpu, cpu,
			 cpu_draws, on_planes);
	} else if (strcmp(renderer, "gl") == 0 && native_only) {
		/*
		 * The current stack's llvmpipe on KMS samples only the device's own buffers
		 * (renderers/gl.c, is_native): those are EGL images, but for the layouts EGL
		 * refuses (Mesa 25.0.7: the multi-planar ones in one dumb buffer, EGL_BAD_ALLOC);
		 * vgem, udmabuf and heap buffers are read on the CPU.
		 */
		th_note("own buffers: %d, %d of them refused by EGL", native, egl_refused);
		th_check(native_rgb == 2);
		th_check(egl_refused < native && gpu == native - egl_refused &&
				 cpu == buffers - gpu &&
				 gpu_draws + cpu_draws + on_planes >= buffers,
			 "GL imported %lld of %d own (%d refused), CPU %lld; draws GPU %lld, "
			 "CPU %lld, on planes %lld",
			 gpu, native, egl_refused, cpu, gpu_draws, cpu_draws, on_planes);
	} else if (strcmp(renderer, "gl") == 0) {
		/* A GL that imports everything (a hardware driver): every one an EGL image,
		 * none read on the CPU. */
		th_check(native_rgb == 2);
		th_check(gpu == buffers && cpu == 0 && cpu_draws == 0 &&
				 gpu_draws + on_planes >= buffers,
			 "GL imported %lld, CPU %lld; draws GPU %lld, CPU %lld, on planes %lld",
			 gpu, cpu, gpu_draws, cpu_draws, on_planes);
	} else {
		th_check(cpu == buffers && gpu == 0 && cpu_draws + on_planes >= buffers,
			 "CPU draws %lld, on planes %lld", cpu_draws, on_planes);
	}
	/* vkms scans out XRGB8888/ARGB8888, so those (and only what it takes) became framebuffers.
	 */
	th_check(kms >= rgb_buffers && kms <= buffers, "KMS framebuffers %lld for %d RGB buffers",
		 kms, rgb_buffers);
}

/* ---- wp_color_representation_v1: YCbCr read the way the client says ---- */

/* Eight vertical bars of colours whose RGB depends strongly on the matrix and range. */
static const uint32_t bar_colours[8] = {
	0xffffff, 0xbfbf00, 0x00bfbf, 0x00bf00, 0xbf00bf, 0xbf0000, 0x0000bf, 0x303030,
};

static uint32_t
bar_colour(int32_t x, int32_t y, void *data)
{
	const int32_t *width = data;
	return bar_colours[(x * 8 / *width) & 7];
}

/* The worst channel difference of the bars' centres from their colours; -1 without a capture. */
static int
bars_error(struct th_client *c, int32_t width, int32_t height)
{
	struct th_capture cap;
	if (!th_capture_output(c, 0, &cap))
		return -1;
	int worst = 0;
	for (int i = 0; i < 8; i++) {
		uint32_t got = th_capture_pixel(&cap, width * (2 * i + 1) / 16, height / 2);
		for (int shift = 0; shift <= 16; shift += 8) {
			int d = (int)((got >> shift) & 0xff) -
				(int)((bar_colours[i] >> shift) & 0xff);
			worst = d < 0 ? (-d > worst ? -d : worst) : (d > worst ? d : worst);
		}
	}
	th_capture_finish(&cap);
	return worst;
}

static void
run_colour_representation(const char *renderer)
{
	char stats[256];
	char label[48];
	snprintf(label, sizeof(label), "dmabuf-colour-%s", renderer);
	th_stats_path(label, stats, sizeof(stats));
	struct th_server *server = start_on_vkms(renderer, stats);
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c && c->dmabuf && c->colour_repr, "no linux-dmabuf or color representation");
	th_require(th_roundtrip(c));
	/* What is announced: premultiplied alpha; bt601, bt709, bt2020 both ranges; identity. */
	th_check(c->colour_done && c->colour_alpha_modes == 1u, "alpha modes 0x%x",
		 c->colour_alpha_modes);
	for (uint32_t coef = 2; coef <= 6; coef += 2)
		for (uint32_t range = 1; range <= 2; range++)
			th_check(c->colour_pairs & (1ull << (8 * coef + range)),
				 "coefficients %u with range %u not announced", coef, range);
	th_check(c->colour_pairs & (1ull << (8 * 1 + 1)), "identity not announced");
	th_check(!(c->colour_pairs & (1ull << (8 * 3 + 2))), "fcc announced");
	struct th_window *w = th_window_create(c);
	th_require(w);
	struct wp_color_representation_surface_v1 *cr =
		wp_color_representation_manager_v1_get_surface(c->colour_repr, w->surface);

	static const struct {
		struct yuv_encoding encoding;
		uint32_t coefficients, range;
	} encodings[] = {
		{{YUV_MATRIX_BT601, false}, 4, 2},
		{{YUV_MATRIX_BT709, true}, 2, 1},
		{{YUV_MATRIX_BT2020, false}, 6, 2},
	};
	static const uint32_t formats_yuv[] = {DRM_FORMAT_NV12, DRM_FORMAT_YUYV};
	/* The heap's buffers are read on the CPU; the display's own may be EGL images (current). */
	static const enum th_dmabuf_source sources_yuv[] = {TH_DMABUF_HEAP, TH_DMABUF_VKMS};
	const int tolerance = 10;
	for (size_t s = 0; s < 2; s++)
		for (size_t f = 0; f < 2; f++)
			for (size_t e = 0; e < 3; e++) {
				char fourcc[5];
				const char *name = yuv_encoding_name(encodings[e].encoding);
				struct th_painted_buffer d;
				int32_t width = w->width;
				if (!th_check(th_painted_buffer_create_encoded(
						      c, sources_yuv[s], formats_yuv[f],
						      &encodings[e].encoding, w->width, w->height,
						      bar_colour, &width, &d),
					      "%s %s %s: no buffer",
					      th_dmabuf_source_name(sources_yuv[s]),
					      format_fourcc_str(formats_yuv[f], fourcc), name))
					continue;
				wp_color_representation_surface_v1_set_coefficients_and_range(
					cr, encodings[e].coefficients, encodings[e].range);
				wl_surface_attach(w->surface, d.buffer, 0, 0);
				wl_surface_damage_buffer(w->surface, 0, 0, w->width, w->height);
				struct th_presented p;
				int err = -1;
				if (th_check(th_commit_and_wait(c, w->surface, &p) && p.presented))
					err = bars_error(c, w->width, w->height);
				th_note("%s: %s %s %s: bars within %d", renderer,
					th_dmabuf_source_name(sources_yuv[s]),
					format_fourcc_str(formats_yuv[f], fourcc), name, err);
				th_check(err >= 0 && err <= tolerance,
					 "%s %s %s: the bars are %d off",
					 th_dmabuf_source_name(sources_yuv[s]),
					 format_fourcc_str(formats_yuv[f], fourcc), name, err);
				if (e == 1) {
					/* The same buffer read the default way is visibly wrong. */
					wp_color_representation_surface_v1_destroy(cr);
					cr = wp_color_representation_manager_v1_get_surface(
						c->colour_repr, w->surface);
					wl_surface_attach(w->surface, d.buffer, 0, 0);
					wl_surface_damage_buffer(w->surface, 0, 0, w->width,
								 w->height);
					int unset = -1;
					if (th_check(th_commit_and_wait(c, w->surface, &p)))
						unset = bars_error(c, w->width, w->height);
					th_check(unset > 3 * tolerance,
						 "%s read as BT.601 limited is only %d off", name,
						 unset);
				}
				th_painted_buffer_destroy(&d);
			}
	wp_color_representation_surface_v1_destroy(cr);
	th_window_destroy(w);
	th_client_destroy(c);
	th_check(th_server_stop(server), "sluice did not exit cleanly");
	th_note("%s: %lld EGL imports, %lld GPU draws, %lld CPU draws", renderer,
		th_stats_value(stats, "dmabuf_import_gpu"),
		th_stats_value(stats, "dmabuf_gpu_draws"),
		th_stats_value(stats, "dmabuf_cpu_draws"));
}

static void
test_colour_representation_gl(void)
{
	run_colour_representation("gl");
}

static void
test_colour_representation_pixman(void)
{
	run_colour_representation("pixman");
}

static void
test_pixels_gl(void)
{
	run_pixels("gl");
}

static void
test_pixels_pixman(void)
{
	run_pixels("pixman");
}

/* ---- v4 feedback ---- */

struct tranche {
	dev_t device;
	uint32_t flags;
	uint16_t indices[512];
	size_t n;
};

struct feedback {
	bool done;
	int rounds;
	int table_fd;
	uint32_t table_size;
	dev_t main_device;
	struct tranche tranches[4], current;
	int n_tranches, building;
};

static void
fb_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *f)
{
	struct feedback *fb = data;
	fb->done = true;
	fb->rounds++;
	fb->n_tranches = fb->building;
	fb->building = 0;
}

static void
fb_format_table(void *data, struct zwp_linux_dmabuf_feedback_v1 *f, int32_t fd, uint32_t size)
{
	struct feedback *fb = data;
	if (fb->table_fd >= 0)
		close(fb->table_fd);
	fb->table_fd = fd;
	fb->table_size = size;
}

static dev_t
array_dev(struct wl_array *array)
{
	dev_t dev = 0;
	if (array->size == sizeof(dev))
		memcpy(&dev, array->data, sizeof(dev));
	return dev;
}

static void
fb_main_device(void *data, struct zwp_linux_dmabuf_feedback_v1 *f, struct wl_array *device)
{
	((struct feedback *)data)->main_device = array_dev(device);
}

static void
fb_tranche_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *f)
{
	struct feedback *fb = data;
	if (fb->building < 4)
		fb->tranches[fb->building++] = fb->current;
	fb->current = (struct tranche){0};
}

static void
fb_tranche_target_device(void *data, struct zwp_linux_dmabuf_feedback_v1 *f,
			 struct wl_array *device)
{
	((struct feedback *)data)->current.device = array_dev(device);
}

static void
fb_tranche_formats(void *data, struct zwp_linux_dmabuf_feedback_v1 *f, struct wl_array *indices)
{
	struct tranche *t = &((struct feedback *)data)->current;
	uint16_t *index;
	wl_array_for_each (index, indices)
		if (t->n < 512)
			t->indices[t->n++] = *index;
}

static void
fb_tranche_flags(void *data, struct zwp_linux_dmabuf_feedback_v1 *f, uint32_t flags)
{
	((struct feedback *)data)->current.flags = flags;
}

static const struct zwp_linux_dmabuf_feedback_v1_listener feedback_listener = {
	.done = fb_done,
	.format_table = fb_format_table,
	.main_device = fb_main_device,
	.tranche_done = fb_tranche_done,
	.tranche_target_device = fb_tranche_target_device,
	.tranche_formats = fb_tranche_formats,
	.tranche_flags = fb_tranche_flags,
};

struct table_entry {
	uint32_t format, pad;
	uint64_t modifier;
};

/* Whether tranche t lists (format, modifier), reading the client's copy of the table. */
static bool
tranche_has(const struct feedback *fb, const struct tranche *t, const struct table_entry *table,
	    uint32_t format, uint64_t modifier)
{
	for (size_t i = 0; i < t->n; i++) {
		if ((size_t)t->indices[i] >= fb->table_size / sizeof(*table))
			return false;
		if (table[t->indices[i]].format == format &&
		    table[t->indices[i]].modifier == modifier)
			return true;
	}
	return false;
}

static bool
wait_rounds(struct th_client *c, struct feedback *fb, int rounds)
{
	int64_t deadline = th_now_ns() + 3000000000LL;
	while (fb->rounds < rounds && th_now_ns() < deadline) {
		bool never = false;
		if (!th_dispatch_until(c, &never, 50) && wl_display_get_error(c->display))
			return false;
	}
	return fb->rounds >= rounds;
}

static void
test_feedback(void)
{
	char stats[256];
	th_stats_path("dmabuf-feedback", stats, sizeof(stats));
	struct th_server *server = start_on_vkms("gl", stats);
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c && c->dmabuf && c->dmabuf_version == 5);
	struct stat st;
	th_require(stat(vkms_path, &st) == 0);

	/* Default feedback: the KMS device, one render tranche, a sealed shared table. */
	struct feedback def = {.table_fd = -1};
	struct zwp_linux_dmabuf_feedback_v1 *f =
		zwp_linux_dmabuf_v1_get_default_feedback(c->dmabuf);
	zwp_linux_dmabuf_feedback_v1_add_listener(f, &feedback_listener, &def);
	th_require(wait_rounds(c, &def, 1));
	th_check(def.main_device == st.st_rdev, "main device %jx, vkms is %jx",
		 (uintmax_t)def.main_device, (uintmax_t)st.st_rdev);
	th_require(def.table_fd >= 0 && def.table_size > 0 && def.table_size % 16 == 0,
		   "table size %u", def.table_size);
	const struct table_entry *table =
		mmap(NULL, def.table_size, PROT_READ, MAP_PRIVATE, def.table_fd, 0);
	th_require(table != MAP_FAILED);
	/* Nobody may write it: a writable shared mapping is refused. */
	void *writable =
		mmap(NULL, def.table_size, PROT_READ | PROT_WRITE, MAP_SHARED, def.table_fd, 0);
	th_check(writable == MAP_FAILED, "the format table can be written");
	if (writable != MAP_FAILED)
		munmap(writable, def.table_size);
	th_check(def.n_tranches == 1 && def.tranches[0].flags == 0 &&
			 def.tranches[0].device == st.st_rdev,
		 "%d tranches, flags %u", def.n_tranches, def.tranches[0].flags);
	th_check(tranche_has(&def, &def.tranches[0], table, DRM_FORMAT_XRGB8888,
			     DRM_FORMAT_MOD_LINEAR));
	th_check(tranche_has(&def, &def.tranches[0], table, DRM_FORMAT_NV12, DRM_FORMAT_MOD_LINEAR),
		 "NV12 is not in the render tranche");

	/* Surface feedback for the fullscreen toplevel on top: scanout first, then render. */
	struct th_window *w = th_window_create(c);
	th_require(w);
	struct th_buffer *b1 = th_shm_buffer_create(c, w->width, w->height, 1);
	wl_surface_attach(w->surface, b1->buffer, 0, 0);
	struct th_presented p;
	th_require(th_commit_and_wait(c, w->surface, &p));
	struct feedback sf = {.table_fd = -1};
	struct zwp_linux_dmabuf_feedback_v1 *g =
		zwp_linux_dmabuf_v1_get_surface_feedback(c->dmabuf, w->surface);
	zwp_linux_dmabuf_feedback_v1_add_listener(g, &feedback_listener, &sf);
	th_require(wait_rounds(c, &sf, 1));
	th_check(sf.n_tranches == 2, "%d tranches", sf.n_tranches);
	th_check(sf.tranches[0].flags == ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT &&
			 sf.tranches[1].flags == 0,
		 "flags %u, %u", sf.tranches[0].flags, sf.tranches[1].flags);
	th_check(tranche_has(&sf, &sf.tranches[0], table, DRM_FORMAT_XRGB8888,
			     DRM_FORMAT_MOD_LINEAR),
		 "XRGB8888 linear is not in the scanout tranche");
	/* vkms's primary plane takes no YUV: none in the scanout tranche. */
	th_check(!tranche_has(&sf, &sf.tranches[0], table, DRM_FORMAT_NV12, DRM_FORMAT_MOD_LINEAR));

	/* Another toplevel maps on top: the first is no longer a candidate, and is told so. */
	struct th_window *w2 = th_window_create(c);
	th_require(w2);
	struct th_buffer *b2 = th_shm_buffer_create(c, w2->width, w2->height, 1);
	wl_surface_attach(w2->surface, b2->buffer, 0, 0);
	th_check(th_commit_and_wait(c, w2->surface, &p));
	th_check(wait_rounds(c, &sf, 2) && sf.n_tranches == 1 && sf.tranches[0].flags == 0,
		 "after another toplevel mapped: %d rounds, %d tranches", sf.rounds, sf.n_tranches);
	/* ...and back when it goes. */
	th_window_destroy(w2);
	th_check(wait_rounds(c, &sf, 3) && sf.n_tranches == 2, "after it went: %d rounds",
		 sf.rounds);
	th_buffer_destroy(b2);
	th_buffer_destroy(b1);

	munmap((void *)table, def.table_size);
	close(def.table_fd);
	if (sf.table_fd >= 0)
		close(sf.table_fd);
	zwp_linux_dmabuf_feedback_v1_destroy(f);
	zwp_linux_dmabuf_feedback_v1_destroy(g);
	th_window_destroy(w);
	th_client_destroy(c);
	th_check(th_server_stop(server));
	th_check(th_stats_value(stats, "feedback_resends") == 2, "resends %lld",
		 th_stats_value(stats, "feedback_resends"));
}

/* ---- implicit sync: a vgem write fence holds the frame back ---- */

struct th_vgem_fence_attach {
	uint32_t handle, flags, out_fence, pad;
};
struct th_vgem_fence_signal {
	uint32_t fence, flags;
};
#define TH_VGEM_FENCE_WRITE 0x1
#define TH_IOCTL_VGEM_FENCE_ATTACH DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct th_vgem_fence_attach)
#define TH_IOCTL_VGEM_FENCE_SIGNAL DRM_IOW(DRM_COMMAND_BASE + 0x2, struct th_vgem_fence_signal)

static uint32_t
solid(int32_t x, int32_t y, void *data)
{
	return *(const uint32_t *)data;
}

static struct wl_buffer *
solid_dmabuf(struct th_client *c, struct th_window *w, uint32_t colour, struct th_dmabuf *dmabuf)
{
	uint32_t offsets[4], strides[4];
	unsigned n;
	size_t size = th_layout(DRM_FORMAT_XRGB8888, w->width, w->height, offsets, strides, &n);
	if (!th_dmabuf_alloc(TH_DMABUF_VGEM, size, dmabuf))
		return NULL;
	th_paint(DRM_FORMAT_XRGB8888, dmabuf->map, offsets, strides, w->width, w->height, solid,
		 &colour);
	return th_dmabuf_buffer_create(c, dmabuf->fd, DRM_FORMAT_XRGB8888, w->width, w->height, n,
				       offsets, strides, DRM_FORMAT_MOD_LINEAR);
}

static void
run_implicit_sync(const char *renderer)
{
	char stats[256], label[48];
	snprintf(label, sizeof(label), "dmabuf-implicit-%s", renderer);
	th_stats_path(label, stats, sizeof(stats));
	struct th_server *server = start_on_vkms(renderer, stats);
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c && c->dmabuf);
	struct th_window *w = th_window_create(c);
	th_require(w);
	struct th_dmabuf a, b;
	struct wl_buffer *ba = solid_dmabuf(c, w, 0xff0000ff, &a);
	struct wl_buffer *bb = solid_dmabuf(c, w, 0xff00ff00, &b);
	th_require(ba && bb);

	wl_surface_attach(w->surface, ba, 0, 0);
	struct th_presented p;
	th_require(th_commit_and_wait(c, w->surface, &p) && p.presented);

	/* B is "being written" by a device: a vgem write fence sits on it. */
	struct th_vgem_fence_attach attach = {.handle = b.vgem_handle,
					      .flags = TH_VGEM_FENCE_WRITE};
	th_require(drmIoctl(b.vgem_fd, TH_IOCTL_VGEM_FENCE_ATTACH, &attach) == 0,
		   "vgem fence attach: %m");
	wl_surface_attach(w->surface, bb, 0, 0);
	wl_surface_damage_buffer(w->surface, 0, 0, w->width, w->height);
	struct th_presented held = {0};
	th_feedback_request(c, w->surface, &held);
	wl_surface_commit(w->surface);
	/* Meanwhile frames go on and still show A (another surface's commits are not held up). */
	for (int i = 0; i < 3; i++) {
		struct th_capture cap;
		/*
		 * 6.12's vkms has been seen to drop a writeback job now and then (its fence never
		 * signals): sluice gives that capture up after a second and goes on (stat
		 * writeback_timeouts), and a second capture tells whether frames still come.
		 */
		bool captured = th_capture_output_try(c, 0, &cap);
		if (!captured) {
			th_note("frame %d while held: a capture failed; once more", i);
			captured = th_capture_output(c, 0, &cap);
		}
		if (!captured) {
			th_check(false, "frame %d while held: the capture did not complete", i);
			th_server_print_state(server);
		} else {
			th_check((th_capture_pixel(&cap, 100, 100) & 0xffffff) == 0x0000ff,
				 "frame %d shows 0x%06x before the fence signalled", i,
				 th_capture_pixel(&cap, 100, 100) & 0xffffff);
			th_capture_finish(&cap);
		}
	}
	th_check(!held.done, "the fenced commit was presented before its fence signalled");

	struct th_vgem_fence_signal signal = {.fence = attach.out_fence};
	int64_t signalled_at = th_now_ns();
	th_require(drmIoctl(b.vgem_fd, TH_IOCTL_VGEM_FENCE_SIGNAL, &signal) == 0,
		   "vgem fence signal: %m");
	th_check(th_dispatch_until(c, &held.done, 3000) && held.presented,
		 "not presented after the fence signalled");
	th_note("%s: presented %.1f ms after the fence signalled", renderer,
		(double)(held.time_ns - signalled_at) / 1e6);
	struct th_capture cap;
	if (th_check(th_capture_output(c, 0, &cap))) {
		th_check((th_capture_pixel(&cap, 100, 100) & 0xffffff) == 0x00ff00,
			 "shows 0x%06x after the fence", th_capture_pixel(&cap, 100, 100));
		th_capture_finish(&cap);
	}
	wl_buffer_destroy(ba);
	wl_buffer_destroy(bb);
	th_dmabuf_free(&a);
	th_dmabuf_free(&b);
	th_window_destroy(w);
	th_client_destroy(c);
	th_check(th_server_stop(server));
	if (th_stats_value(stats, "writeback_timeouts") > 0)
		th_note("%lld writeback fences never signalled",
			th_stats_value(stats, "writeback_timeouts"));
	th_check(th_stats_value(stats, "implicit_fences") == 1 &&
			 th_stats_value(stats, "commits_queued") == 1,
		 "implicit fences %lld, queued commits %lld",
		 th_stats_value(stats, "implicit_fences"), th_stats_value(stats, "commits_queued"));
}

/* ---- partial damage: only the damaged rows are copied, and the screen is exact ---- */

/* The rectangle the second frame changes, in buffer (and output) pixels. */
enum { RX = 100, RY = 200, RW = 300, RH = 50 };

/* Rows shaded top to bottom; "new" differs inside the rectangle only. */
static uint32_t
partial_colour(int32_t x, int32_t y, void *data)
{
	bool fresh = *(const bool *)data && x >= RX && x < RX + RW && y >= RY && y < RY + RH;
	uint32_t green = (uint32_t)(y * 3) & 0xff;
	return 0xff000000u | (fresh ? 0x2000c0u : 0xc00020u) | green << 8;
}

/* The screen at points around the rectangle's edges: old outside it, new inside. */
static bool
partial_screen_is(struct th_client *c, bool fresh, int tolerance, const char *what)
{
	struct th_capture cap;
	if (!th_check(th_capture_output(c, 0, &cap), "%s: no capture", what))
		return false;
	static const int32_t xs[] = {RX - 1, RX, RX + RW / 2, RX + RW - 1, RX + RW, 900};
	static const int32_t ys[] = {10, RY - 1, RY, RY + RH / 2, RY + RH - 1, RY + RH, 700};
	int bad = 0;
	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
		for (size_t j = 0; j < sizeof(ys) / sizeof(ys[0]); j++) {
			uint32_t want = partial_colour(xs[i], ys[j], &fresh) & 0xffffff;
			uint32_t got = th_capture_pixel(&cap, xs[i], ys[j]) & 0xffffff;
			if (!th_rgb_close(got, want, tolerance) && bad++ < 4)
				th_check(false, "%s: (%d,%d) is 0x%06x, want 0x%06x", what, xs[i],
					 ys[j], got, want);
		}
	if (bad)
		th_capture_save(&cap, "vm-partial-damage");
	th_capture_finish(&cap);
	return bad == 0;
}

/* Full frame of a, then b damaged in the rectangle only, then a again damaged there. */
static bool
partial_sequence(struct th_client *c, struct th_window *w, struct wl_buffer *a, struct wl_buffer *b,
		 int tolerance, const char *what)
{
	struct th_presented p;
	wl_surface_attach(w->surface, a, 0, 0);
	wl_surface_damage_buffer(w->surface, 0, 0, w->width, w->height);
	bool ok = th_check(th_commit_and_wait(c, w->surface, &p) && p.presented) &&
		  partial_screen_is(c, false, tolerance, what);
	wl_surface_attach(w->surface, b, 0, 0);
	wl_surface_damage_buffer(w->surface, RX, RY, RW, RH);
	ok = ok && th_check(th_commit_and_wait(c, w->surface, &p) && p.presented) &&
	     partial_screen_is(c, true, tolerance, what);
	/* The kept copy holds b's rows now: a's must replace them, and only them. */
	wl_surface_attach(w->surface, a, 0, 0);
	wl_surface_damage_buffer(w->surface, RX, RY, RW, RH);
	return ok && th_check(th_commit_and_wait(c, w->surface, &p) && p.presented) &&
	       partial_screen_is(c, false, tolerance, what);
}

/*
 * A client that keeps its promise (the new buffer differs from the old only where it says)
 * sees exactly that on screen, with wl_shm and with a YUYV dma-buf read on the CPU; the
 * renderer copies (uploads, converts) only the damaged rows into the copy it keeps.
 */
static void
run_partial_damage(const char *renderer)
{
	char stats[256];
	th_stats_path(renderer, stats, sizeof(stats));
	const char *const args[] = {"--backend",    "drm",    "--drm-device", vkms_path,
				    "--renderer",   renderer, "--stats",      stats,
				    "--no-scanout", NULL};
	struct th_server *server = th_server_start(args);
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c && c->dmabuf);
	struct th_window *w = th_window_create(c);
	th_require(w && w->width == 1024 && w->height == 768);

	struct th_buffer *shm[2];
	for (int i = 0; i < 2; i++) {
		bool fresh = i == 1;
		th_require((shm[i] = th_shm_buffer_create(c, w->width, w->height, 0)));
		for (int32_t y = 0; y < w->height; y++)
			for (int32_t x = 0; x < w->width; x++)
				((uint32_t *)shm[i]->data)[(size_t)y * (size_t)shm[i]->stride / 4 +
							   (size_t)x] =
					partial_colour(x, y, &fresh);
	}
	partial_sequence(c, w, shm[0]->buffer, shm[1]->buffer, 1, "wl_shm");

	struct th_painted_buffer yuv[2];
	bool fresh[2] = {false, true};
	for (int i = 0; i < 2; i++)
		th_require(th_painted_buffer_create(c, TH_DMABUF_HEAP, DRM_FORMAT_YUYV, w->width,
						    w->height, partial_colour, &fresh[i], &yuv[i]));
	partial_sequence(c, w, yuv[0].buffer, yuv[1].buffer, 6, "YUYV");

	for (int i = 0; i < 2; i++) {
		th_painted_buffer_destroy(&yuv[i]);
		th_buffer_destroy(shm[i]);
	}
	th_window_destroy(w);
	th_client_destroy(c);
	th_check(th_server_stop(server));
	long long rows = th_stats_value(stats, "content_rows_copied");
	bool gl = strcmp(renderer, "gl") == 0;
	bool yuv_on_cpu = th_stats_value(stats, "dmabuf_cpu_draws") > 0;
	/* Per copied kind: one whole buffer, then the rectangle's rows twice. */
	long long each = 768 + 2 * RH;
	long long want = (gl ? each : 0) + (yuv_on_cpu ? each : 0);
	th_note("%s: %lld rows copied (YUYV %s)", renderer, rows,
		yuv_on_cpu ? "read on the CPU" : "imported by EGL");
	/* Copying whole buffers would be 768 rows a frame; repaints without commits copy none. */
	th_check(rows == want, "%lld rows copied, want %lld", rows, want);
}

static void
test_partial_damage_gl(void)
{
	run_partial_damage("gl");
}

static void
test_partial_damage_pixman(void)
{
	run_partial_damage("pixman");
}

static void
test_implicit_sync_gl(void)
{
	run_implicit_sync("gl");
}

static void
test_implicit_sync_pixman(void)
{
	run_implicit_sync("pixman");
}

/* ---- errors that need a real dma-buf, and a client that sends garbage sizes ---- */

static void
test_real_size_checked(void)
{
	char stats[256];
	th_stats_path("dmabuf-errors", stats, sizeof(stats));
	struct th_server *server = start_on_vkms("pixman", stats);
	th_require(server);
	static const enum th_dmabuf_source sources[] = {TH_DMABUF_VGEM, TH_DMABUF_UDMABUF,
							TH_DMABUF_HEAP};
	for (size_t s = 0; s < 3; s++) {
		struct th_client *c = th_client_connect(server);
		th_require(c && c->dmabuf);
		struct th_dmabuf d;
		th_require(th_dmabuf_alloc(sources[s], 64 * 1024, &d));
		char size[48];
		snprintf(size, sizeof(size), "%zu-byte dma-buf", d.size);
		/* 1024x768 XRGB8888 needs 3 MiB: far more than the dma-buf has. */
		uint32_t offsets[4] = {0}, strides[4] = {4096};
		th_dmabuf_buffer_create(c, d.fd, DRM_FORMAT_XRGB8888, 1024, 768, 1, offsets,
					strides, DRM_FORMAT_MOD_LINEAR);
		const char *const needles[] = {"plane 0", size, NULL};
		/* The helper destroyed the params right after create_immed. */
		th_check(th_expect_protocol_error_msg(
				 c, NULL, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS, needles),
			 "%s", th_dmabuf_source_name(sources[s]));
		th_client_destroy(c);
		th_dmabuf_free(&d);
	}
	th_check(th_server_stop(server));
}

/*
 * Version 5's one change, on the device that offers it: planes of one buffer with different
 * modifiers are invalid_format as soon as the second is added, naming both; a bystander client
 * keeps getting frames.
 */
static void
test_modifier_mismatch_v5(void)
{
	char stats[256];
	th_stats_path("dmabuf-modifier-mismatch", stats, sizeof(stats));
	struct th_server *server = start_on_vkms("pixman", stats);
	th_require(server);
	struct th_client *bystander = th_client_connect(server);
	th_require(bystander);
	struct th_window *w = th_window_create(bystander);
	th_require(w);
	struct th_buffer *b = th_shm_buffer_create(bystander, w->width, w->height, 1);
	wl_surface_attach(w->surface, b->buffer, 0, 0);
	struct th_presented p;
	th_require(th_commit_and_wait(bystander, w->surface, &p) && p.presented);

	struct th_client *c = th_client_connect(server);
	th_require(c && c->dmabuf && c->dmabuf_version == 5, "version %u",
		   c ? c->dmabuf_version : 0);
	struct th_dmabuf d;
	th_require(th_dmabuf_alloc(TH_DMABUF_HEAP, 64 * 1024, &d));
	struct zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(c->dmabuf);
	zwp_linux_buffer_params_v1_add(params, d.fd, 0, 0, 256, 0, 0);
	/* I915_FORMAT_MOD_X_TILED: any modifier other than plane 0's. */
	zwp_linux_buffer_params_v1_add(params, d.fd, 1, 32768, 256, 0x01000000, 1);
	const char *const needles[] = {"plane 1 has modifier 0x0100000000000001",
				       "plane 0 has 0x0000000000000000", "same modifier", NULL};
	th_check(th_expect_protocol_error_msg(c, &zwp_linux_buffer_params_v1_interface,
					      ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
					      needles));
	th_client_destroy(c);
	th_dmabuf_free(&d);

	wl_surface_attach(w->surface, b->buffer, 0, 0);
	wl_surface_damage_buffer(w->surface, 0, 0, 16, 16);
	th_check(th_commit_and_wait(bystander, w->surface, &p) && p.presented,
		 "the bystander got no frame after the error");
	th_buffer_destroy(b);
	th_window_destroy(w);
	th_client_destroy(bystander);
	th_check(th_server_stop(server));
}

/* ---- peers ---- */

static void
test_wayland_info(void)
{
	char stats[256];
	th_stats_path("dmabuf-wayland-info", stats, sizeof(stats));
	struct th_server *server = start_on_vkms("gl", stats);
	th_require(server);
	const char *const argv[] = {"wayland-info", NULL};
	struct th_process_result r;
	if (th_check(th_run_client(server, argv, NULL, 60000, &r))) {
		th_check(r.status == 0, "exit %d", r.status);
		const char *line = strstr(r.output, "'zwp_linux_dmabuf_v1',");
		th_check(line && strstr(line, "version:  5,") &&
				 strstr(line, "version:  5,") < strchr(line, '\n'),
			 "no linux-dmabuf v5 listed");
		th_check(strstr(r.output, "main device: 0x") && strstr(r.output, "\ttranche"),
			 "no feedback tranches listed");
		th_check(strstr(r.output, "XRGB8888") || strstr(r.output, "XR24"),
			 "no formats listed");
		if (th_subtest_failed())
			th_note("%s", r.output);
		th_process_result_finish(&r);
	}
	th_check(th_server_stop(server));
}

static void
test_weston_simple_dmabuf_egl(void)
{
	char stats[256];
	th_stats_path("dmabuf-weston-simple-dmabuf-egl", stats, sizeof(stats));
	struct th_server *server = start_on_vkms("gl", stats);
	th_require(server);
	/*
	 * Its default allocator is a render node, which here is vgem's (no GBM driver): point it at
	 * the display device, the main device sluice advertises (root's file is authenticated).
	 */
	char device_arg[64];
	snprintf(device_arg, sizeof(device_arg), "--drm-render-node=%s", vkms_path);
	const char *const argv[] = {"weston-simple-dmabuf-egl", device_arg, NULL};
	struct th_process_result r;
	th_require(th_run_client(server, argv, NULL, 20000, &r));
	/* It runs until stopped: still alive at the deadline means it did not give up. */
	th_check(r.timed_out, "exited with %d", r.status);
	th_check(th_server_stop(server));
	long long buffers = th_stats_value(stats, "dmabuf_buffers");
	long long draws = th_stats_value(stats, "dmabuf_cpu_draws") +
			  th_stats_value(stats, "dmabuf_gpu_draws");
	long long planes = th_stats_value(stats, "planes_used");
	th_note("%lld dma-buf buffers, %lld draws of them, %lld frames on a plane", buffers, draws,
		planes);
	/* Its 256x256 XRGB8888 window may well go straight to an overlay plane. */
	th_check(buffers > 0 && draws + planes > 1, "no dma-buf frames");
	if (th_subtest_failed())
		th_note("%s", r.output);
	th_process_result_finish(&r);
}

/* FEEDBACK_WITNESS: "LD_PRELOAD=" the witness library built beside this program. */
static void
witness_preload(char *env, size_t size)
{
	char path[256];
	th_path_beside_self("feedback-witness.so", path, sizeof(path));
	snprintf(env, size, "LD_PRELOAD=%s", path);
}

/* The witness's words when the client died in its own re-creation window (feedback-witness.c). */
static bool
died_of_known_cause(const struct th_process_result *r)
{
	return !r->timed_out && (r->status == 128 + SIGABRT || r->status == 128 + SIGSEGV) &&
	       strstr(r->output, "a re-creation was in flight");
}

/*
 * It starts with XRGB8888 from the render tranche, goes fullscreen, and asserts that the scanout
 * tranche then sent offers it another format to reallocate with. It stops by itself after three
 * seconds. weston 10's client may then die of its own stale wl_buffer, when the three seconds end
 * while it re-creates a buffer (feedback-witness.c; the known-crash subtest below makes it
 * happen and shows sluice's part in it is legal). That death, named by the witness, is the
 * client's: everything it did before it is checked all the same. Any other exit fails.
 */
static void
test_weston_simple_dmabuf_feedback(void)
{
	char stats[256];
	th_stats_path("dmabuf-weston-simple-dmabuf-feedback", stats, sizeof(stats));
	struct th_server *server = start_on_vkms("gl", stats);
	th_require(server);
	const char *const argv[] = {"weston-simple-dmabuf-feedback", NULL};
	char preload[300];
	witness_preload(preload, sizeof(preload));
	const char *const env[] = {preload, NULL};
	struct th_process_result r;
	if (!th_check(th_run_client(server, argv, env, 60000, &r))) {
		th_server_stop(server);
		return;
	}
	if (died_of_known_cause(&r))
		th_note("weston-simple-dmabuf-feedback died of its own stale wl_buffer at its end "
			"(a "
			"re-creation was in flight; see feedback-witness.c)");
	else
		th_check(!r.timed_out && r.status == 0, "exit %d", r.status);
	/* weston 10 says "scanout tranche? yes"; weston 14 prints each tranche with its flags. */
	th_check(strstr(r.output, "scanout tranche? yes") || strstr(r.output, ", scanout\n"),
		 "never got a scanout tranche");
	th_check(th_server_stop(server));
	long long buffers = th_stats_value(stats, "dmabuf_buffers");
	th_note("%lld dma-buf buffers, %lld feedback resends", buffers,
		th_stats_value(stats, "feedback_resends"));
	th_check(buffers >= 4 && th_stats_value(stats, "feedback_resends") >= 1);
	if (th_subtest_failed())
		th_note("%s", r.output);
	th_process_result_finish(&r);
}

/*
 * The client's crash, made to happen. Its clock is held until it starts re-creating a buffer for
 * a scanout tranche that came after its buffers were made, then ended right there (pending) or
 * only after that buffer's `created` arrived (settled). weston 10 gets that tranche with the
 * surface's feedback and re-creates as soon as a buffer comes back: it must die when pending
 * (feedback-witness.c says why) and exit cleanly when settled, while sluice goes on. weston 12
 * and later re-create inside window_next_buffer, whose roundtrip waits for `created` (weston
 * commit 6c27f0b8): they must exit cleanly in both, and may never re-create at all where the
 * scanout tranche comes before their first buffer (the witness then ends the run after 15 s).
 * A plain run first tells which weston this is: 10 prints "scanout tranche? " per tranche.
 */
static void
test_weston_simple_dmabuf_feedback_known_crash(void)
{
	char stats[256];
	th_stats_path("dmabuf-weston-feedback-known-crash", stats, sizeof(stats));
	struct th_server *server = start_on_vkms("gl", stats);
	th_require(server);
	const char *const argv[] = {"weston-simple-dmabuf-feedback", NULL};
	char preload[300];
	witness_preload(preload, sizeof(preload));
	static const char *const modes[] = {"plain", "pending", "settled"};
	bool weston10 = false;
	for (int m = 0; m < 3; m++) {
		char end[64];
		snprintf(end, sizeof(end), "FEEDBACK_WITNESS_END=%s", modes[m]);
		const char *const env[] = {preload, m > 0 ? end : NULL, NULL};
		struct th_process_result r;
		if (!th_check(th_run_client(server, argv, env, 90000, &r), "%s", modes[m]))
			break;
		th_note("%s: exit %d", modes[m], r.status);
		bool clean = !r.timed_out && r.status == 0;
		bool reached = strstr(r.output, "feedback-witness: ending the run") != NULL;
		if (m == 0) {
			weston10 = strstr(r.output, "scanout tranche? ") != NULL;
			/* Left alone it may end before any buffer comes back, or die in the window.
			 */
			th_check(clean || died_of_known_cause(&r), "plain: exit %d", r.status);
		} else if (weston10) {
			th_check(reached, "%s: weston 10 never re-created a buffer", modes[m]);
			if (m == 1)
				th_check(died_of_known_cause(&r),
					 "pending: exit %d (a weston 10 that survives was fixed)",
					 r.status);
			else
				th_check(clean, "settled: exit %d", r.status);
		} else {
			if (!reached)
				th_note("%s: no buffer was re-created: the window never opened",
					modes[m]);
			th_check(clean, "%s: exit %d on a weston that waits for `created`",
				 modes[m], r.status);
		}
		if (th_subtest_failed())
			th_note("%s", r.output);
		th_process_result_finish(&r);
		th_check(th_server_alive(server), "sluice died with the client");
		if (th_subtest_failed())
			break;
	}
	th_check(th_server_stop(server));
}

int
main(int argc, char *argv[])
{
	th_require_vkms(vkms_path, sizeof(vkms_path));
	static const struct th_test tests[] = {
		{"pixels-gl", test_pixels_gl},
		{"pixels-pixman", test_pixels_pixman},
		{"colour-representation-gl", test_colour_representation_gl},
		{"colour-representation-pixman", test_colour_representation_pixman},
		{"feedback", test_feedback},
		{"partial-damage-gl", test_partial_damage_gl},
		{"partial-damage-pixman", test_partial_damage_pixman},
		{"implicit-sync-gl", test_implicit_sync_gl},
		{"implicit-sync-pixman", test_implicit_sync_pixman},
		{"real-size-checked", test_real_size_checked},
		{"modifier-mismatch-v5", test_modifier_mismatch_v5},
		{"wayland-info", test_wayland_info},
		{"weston-simple-dmabuf-egl", test_weston_simple_dmabuf_egl},
		{"weston-simple-dmabuf-feedback", test_weston_simple_dmabuf_feedback},
		{"weston-simple-dmabuf-feedback-known-crash",
		 test_weston_simple_dmabuf_feedback_known_crash},
	};
	return th_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
