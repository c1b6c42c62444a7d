/*
 * sluice-gpu: renders an animated scene with EGL/GLES2 into GBM buffers allocated on the
 * compositor's main device and submits each frame as a dma-buf with an acquire fence.
 *
 * Buffers come from a gbm_surface created with the modifiers the compositor's feedback lists for
 * the format; each buffer is wrapped once as a wl_buffer and goes back to GBM only once the
 * compositor has released it. Synchronization (--sync):
 *   implicit   no fence; reuse after wl_buffer.release;
 *   sync-file  zwp_linux_explicit_synchronization_v1: acquire sync_file, release per commit
 *              (fenced or immediate); reuse once the release fence has signalled;
 *   syncobj    wp_linux_drm_syncobj_manager_v1: acquire and release points on one timeline;
 *              reuse once the release point has signalled.
 * The acquire fence is the GPU's own (EGL_ANDROID_native_fence_sync) where EGL has it. Software
 * rendering (Mesa's llvmpipe, as on vkms) has none: the client then makes a fence it signals
 * itself once glFinish returned (a sw_sync fence, or the syncobj point signalled from the CPU,
 * committed before it is signalled) and says so.
 * Frames are paced by wp_presentation feedback: the next one is drawn when the last is presented
 * or discarded.
 */
#include <drm_fourcc.h>
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <errno.h>
#include <fcntl.h>
#include <gbm.h>
#include <GLES2/gl2.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xf86drm.h>

#include "client.h"
#include "fence.h"
#include "time-util.h"

#define MAX_BUFFERS 4
#define MAX_FRAMES_KEPT 100000

enum sync_mode { SYNC_IMPLICIT, SYNC_FILE, SYNC_SYNCOBJ };
static const char *const sync_names[] = {"implicit", "sync-file", "syncobj"};

struct gpu;

struct gpu_buffer {
	struct gpu *gpu;
	struct gbm_bo *bo;
	struct wl_buffer *wl_buffer;
	bool busy;		/* with the compositor: not back to GBM yet */
	int release_fence;	/* sync-file: the fenced release, -1 */
	bool released;		/* the release for its last commit arrived */
	uint64_t release_point; /* syncobj */
};

struct frame_record {
	struct gpu *gpu;
	int64_t committed_ns;
	bool done;
};

struct gpu {
	struct client client;
	enum sync_mode sync;
	int drm_fd;
	struct gbm_device *gbm;
	struct gbm_surface *gbm_surface;
	uint32_t format;
	uint64_t modifier;
	int32_t width, height;
	EGLDisplay egl;
	EGLContext context;
	EGLSurface egl_surface;
	bool native_fences;
	PFNEGLCREATESYNCKHRPROC create_sync;
	PFNEGLDESTROYSYNCKHRPROC destroy_sync;
	PFNEGLDUPNATIVEFENCEFDANDROIDPROC dup_fence;
	GLuint program;
	GLint offset_uniform;

	struct gpu_buffer buffers[MAX_BUFFERS];

	/* Explicit sync. */
	struct zwp_linux_surface_synchronization_v1 *surface_sync;
	int sw_timeline; /* CPU-signalled sync_files */
	uint32_t sw_value;
	uint32_t syncobj;
	struct wp_linux_drm_syncobj_timeline_v1 *timeline;
	struct wp_linux_drm_syncobj_surface_v1 *syncobj_surface;
	uint64_t next_point;

	/* Frames and statistics. */
	unsigned long max_frames, committed, presented, discarded, zero_copy;
	struct frame_record *in_flight;
	double *latencies_ms;
	size_t n_latencies;
	int64_t first_present_ns, last_present_ns;
};

static volatile sig_atomic_t quit;

static void
handle_signal(int sig)
{
	quit = 1;
}

/* ---- the device ---- */

/* The compositor's main device: its render node if it has one, else the primary node. */
static bool
open_device(struct gpu *gpu, const char *path)
{
	char *node = NULL;
	if (!path) {
		if (!gpu->client.has_main_device) {
			fprintf(stderr,
				"sluice-gpu: the compositor names no main device (linux-dmabuf "
				"version 4); pass --device\n");
			return false;
		}
		drmDevicePtr device = NULL;
		if (drmGetDeviceFromDevId(gpu->client.main_device, 0, &device) < 0) {
			fprintf(stderr, "sluice-gpu: cannot find the compositor's main device\n");
			return false;
		}
		int type = device->available_nodes & (1 << DRM_NODE_RENDER) ? DRM_NODE_RENDER
									    : DRM_NODE_PRIMARY;
		node = strdup(device->nodes[type]);
		drmFreeDevice(&device);
		path = node;
	}
	gpu->drm_fd = open(path, O_RDWR | O_CLOEXEC);
	if (gpu->drm_fd < 0) {
		fprintf(stderr, "sluice-gpu: %s: %s\n", path, strerror(errno));
		free(node);
		return false;
	}
	gpu->gbm = gbm_create_device(gpu->drm_fd);
	if (!gpu->gbm) {
		fprintf(stderr, "sluice-gpu: %s: no GBM for this device\n", path);
		free(node);
		return false;
	}
	fprintf(stderr, "sluice-gpu: rendering on %s (%s)\n", path,
		gbm_device_get_backend_name(gpu->gbm));
	free(node);
	return true;
}

/* A gbm_surface with the modifiers the compositor takes for the format, scanout ones first. */
static bool
create_gbm_surface(struct gpu *gpu)
{
	uint64_t modifiers[CLIENT_MAX_FORMATS];
	unsigned n = 0;
	for (int scanout = 1; scanout >= 0; scanout--)
		for (unsigned i = 0; i < gpu->client.n_formats; i++) {
			const struct client_format *f = &gpu->client.formats[i];
			if (f->format == gpu->format && f->scanout == scanout &&
			    f->modifier != DRM_FORMAT_MOD_INVALID)
				modifiers[n++] = f->modifier;
		}
	if (n == 0 && !client_has_format(&gpu->client, gpu->format, DRM_FORMAT_MOD_INVALID)) {
		fprintf(stderr, "sluice-gpu: the compositor does not take %.4s dma-bufs\n",
			(const char *)&gpu->format);
		return false;
	}
	uint32_t usage = GBM_BO_USE_RENDERING | GBM_BO_USE_SCANOUT;
	if (n > 0)
		gpu->gbm_surface = gbm_surface_create_with_modifiers2(
			gpu->gbm, (uint32_t)gpu->width, (uint32_t)gpu->height, gpu->format,
			modifiers, n, usage);
	/* Drivers without modifier support take only the implicit one (linear here). */
	if (!gpu->gbm_surface && (n == 0 || (n == 1 && modifiers[0] == DRM_FORMAT_MOD_LINEAR)))
		gpu->gbm_surface = gbm_surface_create(gpu->gbm, (uint32_t)gpu->width,
						      (uint32_t)gpu->height, gpu->format, usage);
	if (!gpu->gbm_surface) {
		fprintf(stderr, "sluice-gpu: GBM cannot allocate %dx%d %.4s buffers: %s\n",
			gpu->width, gpu->height, (const char *)&gpu->format, strerror(errno));
		return false;
	}
	return true;
}

/* ---- EGL and the scene ---- */

static bool
has_extension(const char *list, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = list; p && (p = strstr(p, name)); p += len)
		if ((p == list || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
			return true;
	return false;
}

static const char vertex_source[] = "attribute vec2 pos;\n"
				    "uniform float offset;\n"
				    "void main() {\n"
				    "	gl_Position = vec4(pos.x + offset, pos.y, 0.0, 1.0);\n"
				    "}\n";
static const char fragment_source[] = "precision mediump float;\n"
				      "void main() {\n"
				      "	gl_FragColor = vec4(0.5, 0.5, 0.5, 1.0);\n"
				      "}\n";

static GLuint
compile(GLenum type, const char *source)
{
	GLuint shader = glCreateShader(type);
	glShaderSource(shader, 1, &source, NULL);
	glCompileShader(shader);
	GLint ok = 0;
	glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
	if (!ok) {
		char log[512] = "";
		glGetShaderInfoLog(shader, sizeof(log), NULL, log);
		fprintf(stderr, "sluice-gpu: shader: %s\n", log);
		glDeleteShader(shader);
		return 0;
	}
	return shader;
}

static bool
init_egl(struct gpu *gpu)
{
	const char *client_ext = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
	PFNEGLGETPLATFORMDISPLAYEXTPROC get_display =
		(PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
	if (!has_extension(client_ext, "EGL_KHR_platform_gbm") || !get_display) {
		fprintf(stderr, "sluice-gpu: EGL has no GBM platform\n");
		return false;
	}
	gpu->egl = get_display(EGL_PLATFORM_GBM_KHR, gpu->gbm, NULL);
	if (gpu->egl == EGL_NO_DISPLAY || !eglInitialize(gpu->egl, NULL, NULL)) {
		fprintf(stderr, "sluice-gpu: cannot initialise EGL on the device\n");
		return false;
	}
	static const EGLint config_attribs[] = {EGL_SURFACE_TYPE,
						EGL_WINDOW_BIT,
						EGL_RENDERABLE_TYPE,
						EGL_OPENGL_ES2_BIT,
						EGL_RED_SIZE,
						8,
						EGL_GREEN_SIZE,
						8,
						EGL_BLUE_SIZE,
						8,
						EGL_NONE};
	EGLConfig configs[64];
	EGLint n = 0;
	eglChooseConfig(gpu->egl, config_attribs, configs, 64, &n);
	EGLConfig config = NULL;
	for (EGLint i = 0; i < n && !config; i++) {
		EGLint visual = 0;
		eglGetConfigAttrib(gpu->egl, configs[i], EGL_NATIVE_VISUAL_ID, &visual);
		if ((uint32_t)visual == gpu->format)
			config = configs[i];
	}
	if (!config) {
		fprintf(stderr, "sluice-gpu: no EGL config renders %.4s\n",
			(const char *)&gpu->format);
		return false;
	}
	eglBindAPI(EGL_OPENGL_ES_API);
	static const EGLint context_attribs[] = {EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE};
	gpu->context = eglCreateContext(gpu->egl, config, EGL_NO_CONTEXT, context_attribs);
	gpu->egl_surface = eglCreateWindowSurface(gpu->egl, config,
						  (EGLNativeWindowType)gpu->gbm_surface, NULL);
	if (gpu->context == EGL_NO_CONTEXT || gpu->egl_surface == EGL_NO_SURFACE ||
	    !eglMakeCurrent(gpu->egl, gpu->egl_surface, gpu->egl_surface, gpu->context)) {
		fprintf(stderr, "sluice-gpu: cannot create an EGL context and surface (0x%x)\n",
			eglGetError());
		return false;
	}
	const char *ext = eglQueryString(gpu->egl, EGL_EXTENSIONS);
	gpu->native_fences = has_extension(ext, "EGL_ANDROID_native_fence_sync") &&
			     has_extension(ext, "EGL_KHR_fence_sync");
	if (gpu->native_fences) {
		gpu->create_sync = (PFNEGLCREATESYNCKHRPROC)eglGetProcAddress("eglCreateSyncKHR");
		gpu->destroy_sync =
			(PFNEGLDESTROYSYNCKHRPROC)eglGetProcAddress("eglDestroySyncKHR");
		gpu->dup_fence = (PFNEGLDUPNATIVEFENCEFDANDROIDPROC)eglGetProcAddress(
			"eglDupNativeFenceFDANDROID");
		gpu->native_fences = gpu->create_sync && gpu->destroy_sync && gpu->dup_fence;
	}

	GLuint vs = compile(GL_VERTEX_SHADER, vertex_source);
	GLuint fs = compile(GL_FRAGMENT_SHADER, fragment_source);
	if (!vs || !fs)
		return false;
	gpu->program = glCreateProgram();
	glAttachShader(gpu->program, vs);
	glAttachShader(gpu->program, fs);
	glBindAttribLocation(gpu->program, 0, "pos");
	glLinkProgram(gpu->program);
	glDeleteShader(vs);
	glDeleteShader(fs);
	GLint linked = 0;
	glGetProgramiv(gpu->program, GL_LINK_STATUS, &linked);
	if (!linked) {
		fprintf(stderr, "sluice-gpu: the shader program does not link\n");
		return false;
	}
	gpu->offset_uniform = glGetUniformLocation(gpu->program, "offset");
	return true;
}

/*
 * Four quadrants in fixed colours (red, green / blue, white; what tests look for near the
 * corners) and a grey bar sweeping across the middle band, one step per frame.
 */
static void
draw_scene(struct gpu *gpu, unsigned long frame)
{
	static const struct {
		int qx, qy;
		float r, g, b;
	} quadrants[] = {
		{0, 1, 1, 0, 0}, /* GL's y goes up: qy 1 is the top */
		{1, 1, 0, 1, 0},
		{0, 0, 0, 0, 1},
		{1, 0, 1, 1, 1},
	};
	int32_t hw = gpu->width / 2, hh = gpu->height / 2;
	glViewport(0, 0, gpu->width, gpu->height);
	glEnable(GL_SCISSOR_TEST);
	for (int i = 0; i < 4; i++) {
		glScissor(quadrants[i].qx * hw, quadrants[i].qy * hh, hw, hh);
		glClearColor(quadrants[i].r, quadrants[i].g, quadrants[i].b, 1);
		glClear(GL_COLOR_BUFFER_BIT);
	}
	glDisable(GL_SCISSOR_TEST);
	/* The bar: 1/16 of the width, in the middle quarter of the height. */
	static const GLfloat bar[] = {-1, -0.25f, -0.875f, -0.25f, -1, 0.25f, -0.875f, 0.25f};
	glUseProgram(gpu->program);
	glUniform1f(gpu->offset_uniform, (GLfloat)(frame % 16) * 0.125f);
	glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, bar);
	glEnableVertexAttribArray(0);
	glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
}

/* ---- buffers ---- */

static void
buffer_handle_release(void *data, struct wl_buffer *wl_buffer)
{
	struct gpu_buffer *b = data;
	if (b->gpu->sync == SYNC_IMPLICIT)
		b->released = true;
}

static const struct wl_buffer_listener buffer_listener = {.release = buffer_handle_release};

static void
bo_destroy_notify(struct gbm_bo *bo, void *data)
{
	struct gpu_buffer *b = data;
	if (b->wl_buffer)
		wl_buffer_destroy(b->wl_buffer);
	if (b->release_fence >= 0)
		close(b->release_fence);
	*b = (struct gpu_buffer){.release_fence = -1};
}

/* The wl_buffer of a GBM buffer, made the first time it comes round. */
static struct gpu_buffer *
buffer_for_bo(struct gpu *gpu, struct gbm_bo *bo)
{
	struct gpu_buffer *b = gbm_bo_get_user_data(bo);
	if (b)
		return b;
	for (int i = 0; i < MAX_BUFFERS && !b; i++)
		if (!gpu->buffers[i].bo)
			b = &gpu->buffers[i];
	if (!b)
		return NULL;
	*b = (struct gpu_buffer){.gpu = gpu, .bo = bo, .release_fence = -1};
	struct zwp_linux_buffer_params_v1 *params =
		zwp_linux_dmabuf_v1_create_params(gpu->client.dmabuf);
	uint64_t modifier = gbm_bo_get_modifier(bo);
	int planes = gbm_bo_get_plane_count(bo);
	for (int p = 0; p < planes; p++) {
		int fd = gbm_bo_get_fd_for_plane(bo, p);
		if (fd < 0) {
			zwp_linux_buffer_params_v1_destroy(params);
			return NULL;
		}
		zwp_linux_buffer_params_v1_add(params, fd, (uint32_t)p, gbm_bo_get_offset(bo, p),
					       gbm_bo_get_stride_for_plane(bo, p),
					       (uint32_t)(modifier >> 32), (uint32_t)modifier);
		close(fd);
	}
	b->wl_buffer = zwp_linux_buffer_params_v1_create_immed(params, gpu->width, gpu->height,
							       gbm_bo_get_format(bo), 0);
	zwp_linux_buffer_params_v1_destroy(params);
	wl_buffer_add_listener(b->wl_buffer, &buffer_listener, b);
	gbm_bo_set_user_data(bo, b, bo_destroy_notify);
	gpu->modifier = modifier;
	return b;
}

static bool
release_done(struct gpu *gpu, struct gpu_buffer *b, int timeout_ms)
{
	switch (gpu->sync) {
	case SYNC_IMPLICIT:
		return b->released;
	case SYNC_FILE: {
		if (!b->released)
			return false;
		if (b->release_fence < 0)
			return true;
		struct pollfd pfd = {.fd = b->release_fence, .events = POLLIN};
		if (poll(&pfd, 1, timeout_ms) != 1)
			return false;
		close(b->release_fence);
		b->release_fence = -1;
		return true;
	}
	case SYNC_SYNCOBJ: {
		int64_t deadline = timeout_ms ? monotonic_ns() + (int64_t)timeout_ms * 1000000 : 0;
		return drmSyncobjTimelineWait(gpu->drm_fd, &gpu->syncobj, &b->release_point, 1,
					      deadline, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
					      NULL) == 0;
	}
	}
	return false;
}

/* Hands back to GBM every buffer the compositor is done with. */
static void
reclaim_buffers(struct gpu *gpu)
{
	for (int i = 0; i < MAX_BUFFERS; i++) {
		struct gpu_buffer *b = &gpu->buffers[i];
		if (b->bo && b->busy && release_done(gpu, b, 0)) {
			b->busy = false;
			gbm_surface_release_buffer(gpu->gbm_surface, b->bo);
		}
	}
}

/* ---- explicit-sync release events ---- */

static void
release_fenced(void *data, struct zwp_linux_buffer_release_v1 *r, int32_t fd)
{
	struct gpu_buffer *b = data;
	b->released = true;
	b->release_fence = fd;
	zwp_linux_buffer_release_v1_destroy(r);
}

static void
release_immediate(void *data, struct zwp_linux_buffer_release_v1 *r)
{
	((struct gpu_buffer *)data)->released = true;
	zwp_linux_buffer_release_v1_destroy(r);
}

static const struct zwp_linux_buffer_release_v1_listener release_listener = {
	.fenced_release = release_fenced,
	.immediate_release = release_immediate,
};

/* ---- presentation ---- */

static void
feedback_sync_output(void *data, struct wp_presentation_feedback *f, struct wl_output *output)
{
}

static void
feedback_presented(void *data, struct wp_presentation_feedback *f, uint32_t tv_sec_hi,
		   uint32_t tv_sec_lo, uint32_t tv_nsec, uint32_t refresh, uint32_t seq_hi,
		   uint32_t seq_lo, uint32_t flags)
{
	struct frame_record *record = data;
	struct gpu *gpu = record->gpu;
	int64_t t = (int64_t)(((uint64_t)tv_sec_hi << 32) | tv_sec_lo) * 1000000000 + tv_nsec;
	gpu->presented++;
	if (flags & WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY)
		gpu->zero_copy++;
	if (!gpu->first_present_ns)
		gpu->first_present_ns = t;
	gpu->last_present_ns = t;
	if (gpu->n_latencies < MAX_FRAMES_KEPT)
		gpu->latencies_ms[gpu->n_latencies++] = (double)(t - record->committed_ns) / 1e6;
	record->done = true;
	wp_presentation_feedback_destroy(f);
}

static void
feedback_discarded(void *data, struct wp_presentation_feedback *f)
{
	struct frame_record *record = data;
	record->gpu->discarded++;
	record->done = true;
	wp_presentation_feedback_destroy(f);
}

static const struct wp_presentation_feedback_listener feedback_listener = {
	.sync_output = feedback_sync_output,
	.presented = feedback_presented,
	.discarded = feedback_discarded,
};

/* ---- one frame ---- */

static bool
submit_frame(struct gpu *gpu, struct frame_record *record)
{
	/* Never block in GBM: wait until the compositor gave a buffer back. */
	reclaim_buffers(gpu);
	while (!gbm_surface_has_free_buffers(gpu->gbm_surface)) {
		if (wl_display_dispatch(gpu->client.display) < 0)
			return false;
		reclaim_buffers(gpu);
	}
	draw_scene(gpu, gpu->committed);
	int acquire = -1;
	if (gpu->sync != SYNC_IMPLICIT && gpu->native_fences) {
		/* The GPU's own fence: signalled when this frame's rendering is done. */
		EGLSyncKHR sync = gpu->create_sync(gpu->egl, EGL_SYNC_NATIVE_FENCE_ANDROID, NULL);
		glFlush();
		acquire = sync != EGL_NO_SYNC_KHR ? gpu->dup_fence(gpu->egl, sync) : -1;
		if (sync != EGL_NO_SYNC_KHR)
			gpu->destroy_sync(gpu->egl, sync);
		if (acquire < 0) {
			fprintf(stderr, "sluice-gpu: EGL gave no native fence\n");
			return false;
		}
	}
	if (!eglSwapBuffers(gpu->egl, gpu->egl_surface)) {
		fprintf(stderr, "sluice-gpu: eglSwapBuffers failed (0x%x)\n", eglGetError());
		return false;
	}
	struct gbm_bo *bo = gbm_surface_lock_front_buffer(gpu->gbm_surface);
	struct gpu_buffer *b = bo ? buffer_for_bo(gpu, bo) : NULL;
	if (!b) {
		fprintf(stderr, "sluice-gpu: cannot export a rendered buffer\n");
		return false;
	}
	b->busy = true;
	b->released = false;
	uint64_t acquire_point = 0;
	if (gpu->sync == SYNC_FILE) {
		if (acquire < 0) {
			/* No GPU fence: ours, signalled below once rendering has finished. */
			acquire = sw_sync_fence(gpu->sw_timeline, ++gpu->sw_value);
			if (acquire < 0) {
				fprintf(stderr, "sluice-gpu: cannot create a sw_sync fence: %s\n",
					strerror(errno));
				return false;
			}
		}
		zwp_linux_surface_synchronization_v1_set_acquire_fence(gpu->surface_sync, acquire);
		struct zwp_linux_buffer_release_v1 *release =
			zwp_linux_surface_synchronization_v1_get_release(gpu->surface_sync);
		zwp_linux_buffer_release_v1_add_listener(release, &release_listener, b);
	} else if (gpu->sync == SYNC_SYNCOBJ) {
		acquire_point = ++gpu->next_point;
		b->release_point = ++gpu->next_point;
		if (acquire >= 0 && !syncobj_point_import_sync_file(gpu->drm_fd, gpu->syncobj,
								    acquire_point, acquire)) {
			fprintf(stderr,
				"sluice-gpu: cannot put the GPU fence on the timeline: %s\n",
				strerror(errno));
			return false;
		}
		wp_linux_drm_syncobj_surface_v1_set_acquire_point(
			gpu->syncobj_surface, gpu->timeline, (uint32_t)(acquire_point >> 32),
			(uint32_t)acquire_point);
		wp_linux_drm_syncobj_surface_v1_set_release_point(
			gpu->syncobj_surface, gpu->timeline, (uint32_t)(b->release_point >> 32),
			(uint32_t)b->release_point);
	}
	if (acquire >= 0)
		close(acquire);
	wl_surface_attach(gpu->client.surface, b->wl_buffer, 0, 0);
	wl_surface_damage_buffer(gpu->client.surface, 0, 0, INT32_MAX, INT32_MAX);
	*record = (struct frame_record){.gpu = gpu};
	if (gpu->client.presentation) {
		struct wp_presentation_feedback *f =
			wp_presentation_feedback(gpu->client.presentation, gpu->client.surface);
		wp_presentation_feedback_add_listener(f, &feedback_listener, record);
	} else {
		record->done = true;
	}
	record->committed_ns = monotonic_ns();
	wl_surface_commit(gpu->client.surface);
	wl_display_flush(gpu->client.display);
	gpu->committed++;
	if (!gpu->native_fences && gpu->sync != SYNC_IMPLICIT) {
		/* The compositor already holds the frame; release it once the CPU render is done.
		 */
		glFinish();
		bool ok = gpu->sync == SYNC_FILE
				  ? sw_sync_advance(gpu->sw_timeline, 1)
				  : drmSyncobjTimelineSignal(gpu->drm_fd, &gpu->syncobj,
							     &acquire_point, 1) == 0;
		if (!ok) {
			fprintf(stderr, "sluice-gpu: cannot signal the acquire fence: %s\n",
				strerror(errno));
			return false;
		}
	}
	return true;
}

/* ---- set-up ---- */

static bool
init_sync(struct gpu *gpu)
{
	const char *fence_kind = gpu->native_fences ? "GPU fences (EGL_ANDROID_native_fence_sync)"
						    : "CPU-signalled fences after glFinish "
						      "(EGL has no native fences)";
	switch (gpu->sync) {
	case SYNC_IMPLICIT:
		fprintf(stderr, "sluice-gpu: sync: implicit (no fence attached)\n");
		return true;
	case SYNC_FILE:
		if (!gpu->client.explicit_sync) {
			fprintf(stderr, "sluice-gpu: --sync=sync-file: the compositor lacks "
					"zwp_linux_explicit_synchronization_v1\n");
			return false;
		}
		if (!gpu->native_fences) {
			gpu->sw_timeline = sw_sync_timeline_create();
			if (gpu->sw_timeline < 0) {
				fprintf(stderr,
					"sluice-gpu: --sync=sync-file: EGL has no native fences "
					"and sw_sync is unavailable (%s; needs root and "
					"debugfs)\n",
					strerror(errno));
				return false;
			}
		}
		gpu->surface_sync = zwp_linux_explicit_synchronization_v1_get_synchronization(
			gpu->client.explicit_sync, gpu->client.surface);
		break;
	case SYNC_SYNCOBJ: {
		uint64_t cap = 0;
		if (!gpu->client.syncobj) {
			fprintf(stderr, "sluice-gpu: --sync=syncobj: the compositor lacks "
					"wp_linux_drm_syncobj_manager_v1\n");
			return false;
		}
		if (drmGetCap(gpu->drm_fd, DRM_CAP_SYNCOBJ_TIMELINE, &cap) < 0 || !cap) {
			fprintf(stderr, "sluice-gpu: --sync=syncobj: the device has no timeline "
					"syncobjs\n");
			return false;
		}
		int fd = -1;
		if (drmSyncobjCreate(gpu->drm_fd, 0, &gpu->syncobj) < 0 ||
		    drmSyncobjHandleToFD(gpu->drm_fd, gpu->syncobj, &fd) < 0) {
			fprintf(stderr, "sluice-gpu: cannot create a syncobj: %s\n",
				strerror(errno));
			return false;
		}
		gpu->timeline =
			wp_linux_drm_syncobj_manager_v1_import_timeline(gpu->client.syncobj, fd);
		close(fd);
		gpu->syncobj_surface = wp_linux_drm_syncobj_manager_v1_get_surface(
			gpu->client.syncobj, gpu->client.surface);
		break;
	}
	}
	fprintf(stderr, "sluice-gpu: sync: %s with %s\n", sync_names[gpu->sync], fence_kind);
	return true;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double
percentile(double *sorted, size_t n, double p)
{
	if (!n)
		return 0;
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return sorted[i < n ? i : n - 1];
}

static bool
write_stats(struct gpu *gpu, const char *path)
{
	qsort(gpu->latencies_ms, gpu->n_latencies, sizeof(double), compare_double);
	double median = percentile(gpu->latencies_ms, gpu->n_latencies, 0.5);
	double p99 = percentile(gpu->latencies_ms, gpu->n_latencies, 0.99);
	double interval = gpu->presented > 1
				  ? (double)(gpu->last_present_ns - gpu->first_present_ns) / 1e6 /
					    (double)(gpu->presented - 1)
				  : 0;
	fprintf(stderr,
		"sluice-gpu: %lu frames committed, %lu presented (%lu zero-copy), %lu discarded; "
		"commit to present median %.2f ms, p99 %.2f ms; %.2f ms between frames\n",
		gpu->committed, gpu->presented, gpu->zero_copy, gpu->discarded, median, p99,
		interval);
	if (!path)
		return true;
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "sluice-gpu: cannot write %s: %s\n", path, strerror(errno));
		return false;
	}
	fprintf(f,
		"{\n  \"sync\": \"%s\",\n  \"native_fences\": %s,\n  \"format\": \"%.4s\",\n"
		"  \"modifier\": \"0x%016llx\",\n  \"width\": %d,\n  \"height\": %d,\n"
		"  \"committed\": %lu,\n  \"presented\": %lu,\n  \"zero_copy\": %lu,\n"
		"  \"discarded\": %lu,\n  \"latency_median_ms\": %.3f,\n  \"latency_p99_ms\": "
		"%.3f,\n  \"frame_interval_ms\": %.3f\n}\n",
		sync_names[gpu->sync], gpu->native_fences ? "true" : "false",
		(const char *)&gpu->format, (unsigned long long)gpu->modifier, gpu->width,
		gpu->height, gpu->committed, gpu->presented, gpu->zero_copy, gpu->discarded, median,
		p99, interval);
	return fclose(f) == 0;
}

static const char usage[] =
	"Usage: sluice-gpu [OPTIONS]\n"
	"Renders an animated scene with EGL/GLES2 into GBM buffers and submits them as dma-bufs\n"
	"with fences.\n"
	"\n"
	"  -d, --device PATH    the DRM device to allocate and render on (default: the\n"
	"                       compositor's main device, from dma-buf feedback)\n"
	"  -S, --sync MODE      implicit, sync-file (zwp_linux_explicit_synchronization_v1) or\n"
	"                       syncobj (wp_linux_drm_syncobj_manager_v1; default)\n"
	"  -f, --format FOURCC  XR24 (default) or AR24\n"
	"  -s, --size WxH       the buffer size (default: the size the compositor configures,\n"
	"                       else 640x480)\n"
	"  -w, --window WxH     a window of this size, buffers scaled to it (default: "
	"fullscreen)\n"
	"  -n, --frames N       stop after N frames (default: run until interrupted)\n"
	"      --stats FILE     write frame counts and timings as JSON to FILE at exit\n"
	"  -h, --help           show this help\n";

int
main(int argc, char *argv[])
{
	enum { OPT_STATS = 256 };
	static const struct option options[] = {
		{"device", required_argument, NULL, 'd'},
		{"sync", required_argument, NULL, 'S'},
		{"format", required_argument, NULL, 'f'},
		{"size", required_argument, NULL, 's'},
		{"window", required_argument, NULL, 'w'},
		{"frames", required_argument, NULL, 'n'},
		{"stats", required_argument, NULL, OPT_STATS},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct gpu gpu = {.sync = SYNC_SYNCOBJ,
			  .drm_fd = -1,
			  .sw_timeline = -1,
			  .format = DRM_FORMAT_XRGB8888};
	const char *device = NULL, *stats = NULL;
	int32_t window_width = 0, window_height = 0;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":d:S:f:s:w:n:h", options, NULL)) != -1) {
		char *end;
		switch (opt) {
		case 'd':
			device = optarg;
			break;
		case 'S':
			if (strcmp(optarg, "implicit") == 0) {
				gpu.sync = SYNC_IMPLICIT;
			} else if (strcmp(optarg, "sync-file") == 0) {
				gpu.sync = SYNC_FILE;
			} else if (strcmp(optarg, "syncobj") == 0) {
				gpu.sync = SYNC_SYNCOBJ;
			} else {
				fprintf(stderr,
					"sluice-gpu: invalid sync mode '%s' (implicit, sync-file "
					"or syncobj)\n",
					optarg);
				return 1;
			}
			break;
		case 'f':
			if (strcmp(optarg, "XR24") == 0) {
				gpu.format = DRM_FORMAT_XRGB8888;
			} else if (strcmp(optarg, "AR24") == 0) {
				gpu.format = DRM_FORMAT_ARGB8888;
			} else {
				fprintf(stderr, "sluice-gpu: invalid format '%s' (XR24 or AR24)\n",
					optarg);
				return 1;
			}
			break;
		case 's':
			if (!client_parse_size(optarg, &gpu.width, &gpu.height)) {
				fprintf(stderr, "sluice-gpu: invalid size '%s' (WxH)\n", optarg);
				return 1;
			}
			break;
		case 'w':
			if (!client_parse_size(optarg, &window_width, &window_height)) {
				fprintf(stderr, "sluice-gpu: invalid window size '%s' (WxH)\n",
					optarg);
				return 1;
			}
			break;
		case 'n':
			errno = 0;
			gpu.max_frames = strtoul(optarg, &end, 10);
			if (*end || !gpu.max_frames || errno || optarg[0] == '-') {
				fprintf(stderr, "sluice-gpu: invalid frame count '%s'\n", optarg);
				return 1;
			}
			break;
		case OPT_STATS:
			stats = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case ':':
			fprintf(stderr, "sluice-gpu: option '%s' needs an argument\n",
				argv[optind - 1]);
			return 1;
		default:
			fprintf(stderr, "sluice-gpu: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sluice-gpu: unexpected argument '%s'\n", argv[optind]);
		return 1;
	}

	int status = 1;
	gpu.latencies_ms = calloc(MAX_FRAMES_KEPT, sizeof(double));
	gpu.in_flight = calloc(1, sizeof(*gpu.in_flight));
	if (!gpu.latencies_ms || !gpu.in_flight) {
		fprintf(stderr, "sluice-gpu: out of memory\n");
		goto out;
	}
	if (!client_connect(&gpu.client, "sluice-gpu"))
		goto out;
	if (!gpu.client.dmabuf) {
		fprintf(stderr, "sluice-gpu: the compositor lacks zwp_linux_dmabuf_v1\n");
		goto out;
	}
	if (!open_device(&gpu, device) ||
	    !client_window_create(&gpu.client, "sluice-gpu", window_width, window_height))
		goto out;
	if (!gpu.width) {
		gpu.width =
			window_width
				? window_width
				: (gpu.client.configured_width ? gpu.client.configured_width : 640);
		gpu.height = window_height
				     ? window_height
				     : (gpu.client.configured_height ? gpu.client.configured_height
								     : 480);
	}
	if (!create_gbm_surface(&gpu) || !init_egl(&gpu) || !init_sync(&gpu))
		goto out;

	signal(SIGINT, handle_signal);
	signal(SIGTERM, handle_signal);
	status = 0;
	struct frame_record *record = gpu.in_flight;
	record->done = true;
	while (!quit && !gpu.client.closed && (!gpu.max_frames || gpu.committed < gpu.max_frames)) {
		/* Paced by presentation: the next frame once the last one was shown or dropped. */
		while (!record->done && !quit)
			if (wl_display_dispatch(gpu.client.display) < 0)
				break;
		if (!record->done) {
			if (!quit) {
				fprintf(stderr, "sluice-gpu: the compositor went away\n");
				status = 1;
			}
			break;
		}
		if (!submit_frame(&gpu, record)) {
			status = 1;
			break;
		}
	}
	while (status == 0 && !record->done && wl_display_dispatch(gpu.client.display) >= 0)
		;
	if (!write_stats(&gpu, stats))
		status = 1;

out:
	if (gpu.surface_sync)
		zwp_linux_surface_synchronization_v1_destroy(gpu.surface_sync);
	if (gpu.syncobj_surface)
		wp_linux_drm_syncobj_surface_v1_destroy(gpu.syncobj_surface);
	if (gpu.timeline)
		wp_linux_drm_syncobj_timeline_v1_destroy(gpu.timeline);
	if (gpu.egl != EGL_NO_DISPLAY && gpu.egl) {
		eglMakeCurrent(gpu.egl, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
		if (gpu.egl_surface)
			eglDestroySurface(gpu.egl, gpu.egl_surface);
		if (gpu.context)
			eglDestroyContext(gpu.egl, gpu.context);
	}
	/* The buffers' user data (their wl_buffers) goes with the surface. */
	if (gpu.gbm_surface)
		gbm_surface_destroy(gpu.gbm_surface);
	if (gpu.egl != EGL_NO_DISPLAY && gpu.egl)
		eglTerminate(gpu.egl);
	if (gpu.gbm)
		gbm_device_destroy(gpu.gbm);
	if (gpu.syncobj)
		drmSyncobjDestroy(gpu.drm_fd, gpu.syncobj);
	if (gpu.sw_timeline >= 0)
		close(gpu.sw_timeline);
	if (gpu.drm_fd >= 0)
		close(gpu.drm_fd);
	client_destroy(&gpu.client);
	free(gpu.latencies_ms);
	free(gpu.in_flight);
	return status;
}
