/*
 * The GL renderer: GLES2 on EGL on GBM, drawing into scanout buffers allocated on the KMS device.
 *
 * Each render target is a GBM buffer object (XRGB8888, usable for scanout and rendering) imported
 * into EGL as a dma-buf image and bound to a renderbuffer of a framebuffer object. The KMS backend
 * adds the same buffer as a KMS framebuffer, so what GL draws is what the plane scans out, with no
 * copy. wl_shm buffers are uploaded into a texture kept per surface, only the rows the client
 * damaged since the last draw (gl_upload). dma-buf buffers are imported once, when the client
 * creates them, as EGL images bound to a texture (an external one for YUV and for pairs EGL
 * imports only that way, so the driver converts) that is sampled in place for every frame. That is
 * decided by what EGL can do, not by whether it renders in software: llvmpipe imports linear
 * dma-bufs since Mesa 24.1. A dma-buf EGL refuses is read through a CPU mapping instead (said once
 * per format and modifier, with EGL's error), and so is every dma-buf where importing is known to
 * break: on llvmpipe before Mesa 23.1 all of them (mesa#6438: accepted, then a crash sampling it),
 * and on later llvmpipe on a KMS device (kms_swrast) the foreign ones (see gl_import_dmabuf). The
 * GEM handles of GBM and EGL live in a file of the renderer's own.
 *
 * Where EGL has native fences (EGL_ANDROID_native_fence_sync) a frame ends with one: the KMS
 * commit takes it as the plane's IN_FENCE_FD and the explicit releases of the client buffers the
 * frame read carry it, so neither sluice nor the client waits for the GPU on the CPU. Without
 * them the frame ends with glFinish, complete before the commit that shows it.
 *
 * GL's window coordinates put y = 0 at the first row in memory, which is the top of the display:
 * output coordinates map to GL without a flip.
 */
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>
#include <GLES2/gl2ext.h>
#include <assert.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <drm_fourcc.h>
#include <gbm.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xf86drm.h>

#include "core/buffer.h"
#include "core/content-copy.h"
#include "core/format-set.h"
#include "formats.h"
#include "log.h"
#include "core/renderer.h"
#include "renderers/gl.h"
#include "core/stats.h"
#include "core/surface.h"
#include "yuv.h"

struct sl_render_target {
	struct gbm_bo *bo;
	EGLImageKHR image;
	GLuint renderbuffer, framebuffer;
	int32_t width, height;
};

struct gl_program {
	GLuint program;
	GLint pos, texcoord, tex, color, force_opaque;
};

struct gl_renderer {
	struct sl_renderer base;
	/*
	 * GBM and EGL get a file of their own on the device. GEM handles belong to a file, not to
	 * whoever asked for them: were Mesa to share the KMS backend's file, the backend closing
	 * the handle it took for a client buffer's framebuffer would close Mesa's handle for the
	 * same object too (tests/vm/repro-llvmpipe-foreign own-closed faults on exactly that).
	 */
	int render_fd;
	struct gbm_device *gbm;
	EGLDisplay display;
	EGLContext context;
	PFNEGLCREATEIMAGEKHRPROC create_image;
	PFNEGLDESTROYIMAGEKHRPROC destroy_image;
	PFNGLEGLIMAGETARGETRENDERBUFFERSTORAGEOESPROC image_target_renderbuffer;
	PFNGLEGLIMAGETARGETTEXTURE2DOESPROC image_target_texture;
	PFNEGLQUERYDMABUFFORMATSEXTPROC query_dmabuf_formats;	  /* NULL without modifiers */
	PFNEGLQUERYDMABUFMODIFIERSEXTPROC query_dmabuf_modifiers; /* NULL without modifiers */
	/* EGL_ANDROID_native_fence_sync: frames end with a sync_file, not glFinish. */
	PFNEGLCREATESYNCKHRPROC create_sync; /* NULL without native fences */
	PFNEGLDESTROYSYNCKHRPROC destroy_sync;
	PFNEGLDUPNATIVEFENCEFDANDROIDPROC dup_native_fence;
	bool fence_failure_logged;
	bool has_external; /* GL_OES_EGL_image_external */
	bool software;	   /* llvmpipe or softpipe */
	/* Which client dma-bufs are given to EGL (gl_renderer_create says why). */
	enum {
		GL_IMPORT_ALL,
		GL_IMPORT_NATIVE, /* only the KMS device's own objects */
		GL_IMPORT_NONE,
	} import;
	int probe_fd; /* GL_IMPORT_NATIVE: a private file on the device, for is_native() */
	int mesa_major, mesa_minor; /* 0.0 if GL is not Mesa's */
	/* (format, modifier) pairs whose path was logged, to say each decision once. */
	struct sl_format_set logged_gpu, logged_cpu, logged_foreign;
	struct gl_program textured, solid, external;
	struct sl_render_target *target; /* between begin and end */
	/* Pairs EGL can only import as external textures. */
	struct sl_format_set external_only;
	struct wl_list buffers; /* gl_buffer.link */
	struct wl_list uploads; /* gl_upload.copy.link */
};

/*
 * A surface whose buffer is read on the CPU (wl_shm, or a dma-buf EGL would not import) has a
 * texture of its own, kept across frames: each draw uploads only the rows the client damaged
 * since the last one, nothing when none were.
 */
struct gl_upload {
	struct sl_content_copy copy;
	GLuint texture;
};

#define UPLOAD_MAX_BANDS 8

/* A dma-buf imported as an EGL image, kept as long as its sl_buffer. */
struct gl_buffer {
	struct gl_renderer *renderer;
	struct wl_list link;
	struct wl_listener destroy; /* on sl_buffer.events.destroy */
	EGLImageKHR image;
	GLuint texture;
	GLenum target; /* GL_TEXTURE_2D or GL_TEXTURE_EXTERNAL_OES */
	/* YCbCr: what the image was made to read it as (EGL takes it as import hints). */
	struct yuv_encoding encoding;
};

static struct gl_renderer *
gl_renderer(struct sl_renderer *renderer)
{
	return (struct gl_renderer *)renderer;
}

static bool
has_extension(const char *list, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = list; p && (p = strstr(p, name)); p += len)
		if ((p == list || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
			return true;
	return false;
}

/* ---- shaders ---- */

static const char vertex_src[] = "attribute vec2 pos;\n"
				 "attribute vec2 texcoord;\n"
				 "varying vec2 v_texcoord;\n"
				 "void main() {\n"
				 "	gl_Position = vec4(pos, 0.0, 1.0);\n"
				 "	v_texcoord = texcoord;\n"
				 "}\n";

static const char textured_src[] = "precision mediump float;\n"
				   "varying vec2 v_texcoord;\n"
				   "uniform sampler2D tex;\n"
				   "uniform float force_opaque;\n"
				   "void main() {\n"
				   "	vec4 c = texture2D(tex, v_texcoord);\n"
				   "	gl_FragColor = vec4(c.rgb, max(c.a, force_opaque));\n"
				   "}\n";

/* YUV dma-bufs: the driver samples and converts them to RGB. */
static const char external_src[] = "#extension GL_OES_EGL_image_external : require\n"
				   "precision mediump float;\n"
				   "varying vec2 v_texcoord;\n"
				   "uniform samplerExternalOES tex;\n"
				   "uniform float force_opaque;\n"
				   "void main() {\n"
				   "	vec4 c = texture2D(tex, v_texcoord);\n"
				   "	gl_FragColor = vec4(c.rgb, max(c.a, force_opaque));\n"
				   "}\n";

static const char solid_src[] = "precision mediump float;\n"
				"uniform vec4 color;\n"
				"void main() {\n"
				"	gl_FragColor = color;\n"
				"}\n";

static GLuint
compile(GLenum type, const char *src)
{
	GLuint shader = glCreateShader(type);
	glShaderSource(shader, 1, &src, NULL);
	glCompileShader(shader);
	GLint ok;
	glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
	if (!ok) {
		char log[512];
		glGetShaderInfoLog(shader, sizeof(log), NULL, log);
		log_error("gl", "shader compilation failed: %s", log);
		glDeleteShader(shader);
		return 0;
	}
	return shader;
}

static bool
program_create(struct gl_program *program, const char *fragment_src)
{
	GLuint vs = compile(GL_VERTEX_SHADER, vertex_src);
	GLuint fs = compile(GL_FRAGMENT_SHADER, fragment_src);
	if (!vs || !fs)
		return false;
	program->program = glCreateProgram();
	glAttachShader(program->program, vs);
	glAttachShader(program->program, fs);
	glBindAttribLocation(program->program, 0, "pos");
	glBindAttribLocation(program->program, 1, "texcoord");
	glLinkProgram(program->program);
	glDeleteShader(vs);
	glDeleteShader(fs);
	GLint ok;
	glGetProgramiv(program->program, GL_LINK_STATUS, &ok);
	if (!ok) {
		log_error("gl", "shader program failed to link");
		return false;
	}
	program->pos = 0;
	program->texcoord = 1;
	program->tex = glGetUniformLocation(program->program, "tex");
	program->color = glGetUniformLocation(program->program, "color");
	program->force_opaque = glGetUniformLocation(program->program, "force_opaque");
	return true;
}

/* ---- targets ---- */

static void
gl_target_destroy(struct sl_renderer *renderer, struct sl_render_target *target)
{
	struct gl_renderer *gr = gl_renderer(renderer);
	if (!target)
		return;
	if (target->framebuffer)
		glDeleteFramebuffers(1, &target->framebuffer);
	if (target->renderbuffer)
		glDeleteRenderbuffers(1, &target->renderbuffer);
	if (target->image != EGL_NO_IMAGE_KHR)
		gr->destroy_image(gr->display, target->image);
	if (target->bo)
		gbm_bo_destroy(target->bo);
	free(target);
}

static struct sl_render_target *
gl_target_create_scanout(struct sl_renderer *renderer, int32_t width, int32_t height,
			 int *dmabuf_fd, uint32_t *pitch, uint64_t *modifier)
{
	struct gl_renderer *gr = gl_renderer(renderer);
	int fd = -1;
	struct sl_render_target *target = calloc(1, sizeof(*target));
	if (!target)
		return NULL;
	target->image = EGL_NO_IMAGE_KHR;
	target->width = width;
	target->height = height;
	target->bo = gbm_bo_create(gr->gbm, (uint32_t)width, (uint32_t)height, GBM_FORMAT_XRGB8888,
				   GBM_BO_USE_SCANOUT | GBM_BO_USE_RENDERING);
	if (!target->bo) {
		log_errno("gl", "cannot allocate a %dx%d scanout buffer", width, height);
		goto err;
	}
	fd = gbm_bo_get_fd(target->bo);
	if (fd < 0) {
		log_errno("gl", "cannot export the scanout buffer");
		goto err;
	}
	*modifier = gbm_bo_get_modifier(target->bo);
	*pitch = gbm_bo_get_stride(target->bo);
	EGLint attribs[] = {
		EGL_WIDTH,
		width,
		EGL_HEIGHT,
		height,
		EGL_LINUX_DRM_FOURCC_EXT,
		DRM_FORMAT_XRGB8888,
		EGL_DMA_BUF_PLANE0_FD_EXT,
		fd,
		EGL_DMA_BUF_PLANE0_OFFSET_EXT,
		(EGLint)gbm_bo_get_offset(target->bo, 0),
		EGL_DMA_BUF_PLANE0_PITCH_EXT,
		(EGLint)*pitch,
		EGL_NONE,
	};
	/* The image keeps its own reference to the dma-buf. */
	target->image =
		gr->create_image(gr->display, EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT, NULL, attribs);
	if (target->image == EGL_NO_IMAGE_KHR) {
		log_error("gl", "EGL cannot import the scanout buffer (0x%x)", eglGetError());
		goto err;
	}
	glGenRenderbuffers(1, &target->renderbuffer);
	glBindRenderbuffer(GL_RENDERBUFFER, target->renderbuffer);
	gr->image_target_renderbuffer(GL_RENDERBUFFER, target->image);
	glGenFramebuffers(1, &target->framebuffer);
	glBindFramebuffer(GL_FRAMEBUFFER, target->framebuffer);
	glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER,
				  target->renderbuffer);
	if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE) {
		log_error("gl", "the scanout buffer cannot be rendered to");
		goto err;
	}
	/* Start black, like a dumb buffer. */
	glClearColor(0, 0, 0, 1);
	glClear(GL_COLOR_BUFFER_BIT);
	glFinish();
	*dmabuf_fd = fd;
	return target;
err:
	if (fd >= 0)
		close(fd);
	gl_target_destroy(renderer, target);
	return NULL;
}

/* ---- drawing ---- */

static void
gl_begin(struct sl_renderer *renderer, struct sl_render_target *target)
{
	struct gl_renderer *gr = gl_renderer(renderer);
	assert(!gr->target);
	gr->target = target;
	glBindFramebuffer(GL_FRAMEBUFFER, target->framebuffer);
	glViewport(0, 0, target->width, target->height);
	glEnable(GL_SCISSOR_TEST);
}

static int
gl_end(struct sl_renderer *renderer)
{
	struct gl_renderer *gr = gl_renderer(renderer);
	glDisable(GL_SCISSOR_TEST);
	gr->target = NULL;
	int fd = EGL_NO_NATIVE_FENCE_FD_ANDROID;
	if (gr->create_sync) {
		EGLSyncKHR sync = gr->create_sync(gr->display, EGL_SYNC_NATIVE_FENCE_ANDROID, NULL);
		if (sync != EGL_NO_SYNC_KHR) {
			/* The fence exists once the commands before it are flushed. */
			glFlush();
			fd = gr->dup_native_fence(gr->display, sync);
			gr->destroy_sync(gr->display, sync);
		}
		if (fd < 0 && !gr->fence_failure_logged) {
			gr->fence_failure_logged = true;
			log_warn("gl",
				 "EGL made no native fence for a frame (0x%x): finishing frames "
				 "on the CPU instead",
				 eglGetError());
		}
	}
	/* Without a fence the commit that shows the buffer must find it complete. */
	if (fd < 0)
		glFinish();
	return fd < 0 ? -1 : fd;
}

static void
gl_clear(struct sl_renderer *renderer, const pixman_region32_t *region, uint32_t rgb)
{
	glClearColor((float)((rgb >> 16) & 0xff) / 255.0f, (float)((rgb >> 8) & 0xff) / 255.0f,
		     (float)(rgb & 0xff) / 255.0f, 1.0f);
	int n;
	const pixman_box32_t *boxes = pixman_region32_rectangles((pixman_region32_t *)region, &n);
	for (int i = 0; i < n; i++) {
		glScissor(boxes[i].x1, boxes[i].y1, boxes[i].x2 - boxes[i].x1,
			  boxes[i].y2 - boxes[i].y1);
		glClear(GL_COLOR_BUFFER_BIT);
	}
}

/* GL upload format for a wl_shm format; false if GLES2 cannot sample it. */
static bool
gl_format(uint32_t drm, GLenum *format, GLenum *type, bool *opaque)
{
	*type = GL_UNSIGNED_BYTE;
	switch (drm) {
	case DRM_FORMAT_ARGB8888:
	case DRM_FORMAT_XRGB8888:
		/* Little-endian ARGB words are B, G, R, A bytes. */
		*format = GL_BGRA_EXT;
		*opaque = drm == DRM_FORMAT_XRGB8888;
		return true;
	case DRM_FORMAT_ABGR8888:
	case DRM_FORMAT_XBGR8888:
		*format = GL_RGBA;
		*opaque = drm == DRM_FORMAT_XBGR8888;
		return true;
	case DRM_FORMAT_RGB565:
		*format = GL_RGB;
		*type = GL_UNSIGNED_SHORT_5_6_5;
		*opaque = true;
		return true;
	default:
		return false;
	}
}

static bool
gl_supports_shm_format(struct sl_renderer *renderer, uint32_t drm_format)
{
	GLenum format, type;
	bool opaque;
	return gl_format(drm_format, &format, &type, &opaque);
}

/* Draws the quad of a surface with the current program, one scissor rectangle at a time. */
static void
draw_quad(struct gl_renderer *gr, const GLfloat pos[8], const GLfloat texcoord[8],
	  const pixman_region32_t *clip)
{
	glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, pos);
	glEnableVertexAttribArray(0);
	glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, 0, texcoord);
	glEnableVertexAttribArray(1);
	int n;
	const pixman_box32_t *boxes = pixman_region32_rectangles((pixman_region32_t *)clip, &n);
	for (int i = 0; i < n; i++) {
		glScissor(boxes[i].x1, boxes[i].y1, boxes[i].x2 - boxes[i].x1,
			  boxes[i].y2 - boxes[i].y1);
		glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
	}
	glDisableVertexAttribArray(0);
	glDisableVertexAttribArray(1);
}

static struct gl_buffer *gl_buffer_from_buffer(struct sl_buffer *buffer);

static void
gl_upload_destroy(struct sl_content_copy *copy)
{
	struct gl_upload *up = wl_container_of(copy, up, copy);
	glDeleteTextures(1, &up->texture);
	sl_content_copy_finish(copy);
	free(up);
}

/* Rows y1 to y2 - 1 of pixels laid out with stride, into the bound texture. */
static void
upload_rows(int32_t width, int32_t y1, int32_t y2, const uint8_t *rows, uint32_t stride,
	    uint32_t bpp, GLenum format, GLenum type)
{
	/* GLES2 has no row length: row by row when the stride has padding. */
	if (stride == (uint32_t)width * bpp) {
		glTexSubImage2D(GL_TEXTURE_2D, 0, 0, y1, width, y2 - y1, format, type, rows);
		return;
	}
	for (int32_t row = y1; row < y2; row++)
		glTexSubImage2D(GL_TEXTURE_2D, 0, 0, row, width, 1, format, type,
				rows + (size_t)(row - y1) * stride);
}

/*
 * Brings the surface's texture up to date with its CPU-read buffer, converting YUV first, and
 * leaves it bound; false if the buffer cannot be read.
 */
static bool
upload_buffer(struct gl_renderer *gr, struct sl_surface *surface, struct sl_buffer *buffer,
	      bool *opaque)
{
	GLenum format = GL_BGRA_EXT, type = GL_UNSIGNED_BYTE;
	const struct format_info *info = format_info_from_drm(buffer->format);
	bool yuv = info && info->is_yuv;
	if (yuv)
		*opaque = true;
	else if (!gl_format(buffer->format, &format, &type, opaque)) {
		log_warn("gl", "a buffer the GL renderer cannot draw");
		return false;
	}
	if (buffer->type == SL_BUFFER_DMABUF) {
		if (!buffer->dmabuf.cpu_fallback_logged)
			log_info("gl", "a %dx%d dma-buf is read on the CPU: EGL did not import it",
				 buffer->width, buffer->height);
		buffer->dmabuf.cpu_fallback_logged = true;
		if (gr->base.stats)
			gr->base.stats->dmabuf_cpu_draws++;
	}
	struct sl_content_copy *copy = sl_content_copy_get(surface);
	struct gl_upload *up = copy ? wl_container_of(copy, up, copy) : NULL;
	if (!up) {
		up = calloc(1, sizeof(*up));
		if (!up)
			return false;
		glGenTextures(1, &up->texture);
		sl_content_copy_init(&up->copy, surface, &gr->uploads, gl_upload_destroy);
	}
	struct sl_row_band bands[UPLOAD_MAX_BANDS];
	bool reallocate;
	int n = sl_content_copy_bands(&up->copy, buffer, bands, UPLOAD_MAX_BANDS, &reallocate);
	glBindTexture(GL_TEXTURE_2D, up->texture);
	if (n == 0)
		return true;
	struct sl_buffer_access access;
	if (!sl_buffer_begin_access(buffer, &access)) {
		log_warn("gl", "a buffer the GL renderer cannot read");
		return false;
	}
	uint32_t bpp = type == GL_UNSIGNED_BYTE ? 4 : 2;
	glPixelStorei(GL_UNPACK_ALIGNMENT, bpp == 4 ? 4 : 2);
	if (reallocate)
		glTexImage2D(GL_TEXTURE_2D, 0, (GLint)format, buffer->width, buffer->height, 0,
			     format, type, NULL);
	bool ok = true;
	for (int i = 0; i < n && ok; i++) {
		int32_t y1 = bands[i].y1, y2 = bands[i].y2;
		if (!yuv) {
			upload_rows(buffer->width, y1, y2,
				    (const uint8_t *)access.data + (size_t)y1 * access.stride,
				    access.stride, bpp, format, type);
			continue;
		}
		uint32_t *converted = malloc((size_t)buffer->width * (size_t)(y2 - y1) * 4);
		ok = converted != NULL;
		if (ok) {
			yuv_convert_rows_encoded(buffer->format, sl_surface_yuv_encoding(surface),
						 access.planes, access.strides, buffer->width, y1,
						 y2, converted, (uint32_t)buffer->width * 4);
			upload_rows(buffer->width, y1, y2, (const uint8_t *)converted,
				    (uint32_t)buffer->width * 4, 4, format, type);
		}
		free(converted);
	}
	sl_buffer_end_access(buffer);
	if (ok)
		sl_content_copy_done(&up->copy, buffer, bands, n, gr->base.stats);
	else
		up->copy.format = 0;
	return ok;
}

static EGLImageKHR import_image(struct gl_renderer *gr, struct sl_buffer *buffer,
				struct yuv_encoding encoding);

/*
 * EGL fixes how an image reads YCbCr when it is made (the import hints), and buffers are imported
 * before any surface shows them: a surface that says otherwise (wp_color_representation_v1)
 * gets the image made again with its encoding. False if EGL refuses it (nothing is drawn).
 */
static bool
match_encoding(struct gl_renderer *gr, struct gl_buffer *gb, struct sl_buffer *buffer,
	       struct yuv_encoding want)
{
	const struct format_info *info = format_info_from_drm(buffer->format);
	if (!info || !info->is_yuv ||
	    (gb->encoding.matrix == want.matrix && gb->encoding.full_range == want.full_range))
		return true;
	EGLImageKHR image = import_image(gr, buffer, want);
	if (image == EGL_NO_IMAGE_KHR) {
		log_warn("gl", "EGL refused a %s import of a dma-buf: not drawn",
			 yuv_encoding_name(want));
		return false;
	}
	gr->destroy_image(gr->display, gb->image);
	gb->image = image;
	gb->encoding = want;
	glBindTexture(gb->target, gb->texture);
	gr->image_target_texture(gb->target, image);
	glBindTexture(gb->target, 0);
	return true;
}

static void
gl_draw_surface(struct sl_renderer *renderer, struct sl_surface *surface,
		const struct sl_placement *placement, const pixman_region32_t *clip)
{
	struct gl_renderer *gr = gl_renderer(renderer);
	struct sl_render_target *target = gr->target;
	struct sl_buffer *buffer = surface->current.buffer;
	int32_t w = surface->geometry.width, h = surface->geometry.height;

	/* Corners in strip order: top-left, top-right, bottom-left, bottom-right. */
	static const int corner[4][2] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};
	GLfloat pos[8], texcoord[8];
	for (int i = 0; i < 4; i++) {
		double sx = corner[i][0] * w, sy = corner[i][1] * h, bx, by, px, py;
		sl_affine_apply(placement->layout_to_pixels, placement->x + sx, placement->y + sy,
				&px, &py);
		pos[2 * i] = (GLfloat)(2.0 * px / target->width - 1.0);
		pos[2 * i + 1] = (GLfloat)(2.0 * py / target->height - 1.0);
		sl_affine_apply(&surface->geometry.surface_to_buffer, sx, sy, &bx, &by);
		texcoord[2 * i] = (GLfloat)(bx / buffer->width);
		texcoord[2 * i + 1] = (GLfloat)(by / buffer->height);
	}

	if (buffer->type == SL_BUFFER_SINGLE_PIXEL) {
		const double max = UINT32_MAX;
		sl_content_copy_forget(surface);
		glUseProgram(gr->solid.program);
		glUniform4f(gr->solid.color, (GLfloat)(buffer->single_pixel.r / max),
			    (GLfloat)(buffer->single_pixel.g / max),
			    (GLfloat)(buffer->single_pixel.b / max),
			    (GLfloat)(buffer->single_pixel.a / max));
		bool blend = buffer->single_pixel.a != UINT32_MAX;
		if (blend) {
			glEnable(GL_BLEND);
			glBlendFunc(GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
		}
		draw_quad(gr, pos, texcoord, clip);
		glDisable(GL_BLEND);
		return;
	}

	struct gl_program *program = &gr->textured;
	bool opaque = true;
	if (buffer->type == SL_BUFFER_DMABUF) {
		const struct format_info *info = format_info_from_drm(buffer->format);
		opaque = !info || !info->has_alpha;
		if (buffer->dmabuf.y_invert)
			for (int i = 0; i < 4; i++)
				texcoord[2 * i + 1] = 1.0f - texcoord[2 * i + 1];
	}
	struct gl_buffer *imported = gl_buffer_from_buffer(buffer);
	if (imported && !match_encoding(gr, imported, buffer, sl_surface_yuv_encoding(surface)))
		return;
	if (imported) {
		sl_content_copy_forget(surface);
		if (imported->target == GL_TEXTURE_EXTERNAL_OES)
			program = &gr->external;
		glBindTexture(imported->target, imported->texture);
		if (gr->base.stats)
			gr->base.stats->dmabuf_gpu_draws++;
	} else if (!upload_buffer(gr, surface, buffer, &opaque)) {
		return;
	}
	GLenum tex_target = imported ? imported->target : GL_TEXTURE_2D;
	GLint filter = surface->geometry.pixel_exact ? GL_NEAREST : GL_LINEAR;
	glTexParameteri(tex_target, GL_TEXTURE_MIN_FILTER, filter);
	glTexParameteri(tex_target, GL_TEXTURE_MAG_FILTER, filter);
	glTexParameteri(tex_target, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
	glTexParameteri(tex_target, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
	glUseProgram(program->program);
	glUniform1i(program->tex, 0);
	glUniform1f(program->force_opaque, opaque ? 1.0f : 0.0f);
	if (!opaque) {
		/* Client alpha is premultiplied. */
		glEnable(GL_BLEND);
		glBlendFunc(GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
	}
	draw_quad(gr, pos, texcoord, clip);
	glDisable(GL_BLEND);
	glBindTexture(tex_target, 0);
}

/* ---- dma-buf import ---- */

static void
gl_buffer_destroy(struct gl_buffer *gb)
{
	struct gl_renderer *gr = gb->renderer;
	glDeleteTextures(1, &gb->texture);
	gr->destroy_image(gr->display, gb->image);
	wl_list_remove(&gb->destroy.link);
	wl_list_remove(&gb->link);
	free(gb);
}

static void
gl_buffer_handle_destroy(struct wl_listener *listener, void *data)
{
	struct gl_buffer *gb = wl_container_of(listener, gb, destroy);
	gl_buffer_destroy(gb);
}

static struct gl_buffer *
gl_buffer_from_buffer(struct sl_buffer *buffer)
{
	struct wl_listener *listener =
		wl_signal_get(&buffer->events.destroy, gl_buffer_handle_destroy);
	if (!listener)
		return NULL;
	struct gl_buffer *gb = wl_container_of(listener, gb, destroy);
	return gb;
}

static EGLImageKHR
import_image(struct gl_renderer *gr, struct sl_buffer *buffer, struct yuv_encoding encoding)
{
	static const EGLint plane_attribs[SL_DMABUF_MAX_PLANES][5] = {
		{EGL_DMA_BUF_PLANE0_FD_EXT, EGL_DMA_BUF_PLANE0_OFFSET_EXT,
		 EGL_DMA_BUF_PLANE0_PITCH_EXT, EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT,
		 EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT},
		{EGL_DMA_BUF_PLANE1_FD_EXT, EGL_DMA_BUF_PLANE1_OFFSET_EXT,
		 EGL_DMA_BUF_PLANE1_PITCH_EXT, EGL_DMA_BUF_PLANE1_MODIFIER_LO_EXT,
		 EGL_DMA_BUF_PLANE1_MODIFIER_HI_EXT},
		{EGL_DMA_BUF_PLANE2_FD_EXT, EGL_DMA_BUF_PLANE2_OFFSET_EXT,
		 EGL_DMA_BUF_PLANE2_PITCH_EXT, EGL_DMA_BUF_PLANE2_MODIFIER_LO_EXT,
		 EGL_DMA_BUF_PLANE2_MODIFIER_HI_EXT},
		{EGL_DMA_BUF_PLANE3_FD_EXT, EGL_DMA_BUF_PLANE3_OFFSET_EXT,
		 EGL_DMA_BUF_PLANE3_PITCH_EXT, EGL_DMA_BUF_PLANE3_MODIFIER_LO_EXT,
		 EGL_DMA_BUF_PLANE3_MODIFIER_HI_EXT},
	};
	EGLint attribs[64];
	int n = 0;
	attribs[n++] = EGL_WIDTH;
	attribs[n++] = buffer->width;
	attribs[n++] = EGL_HEIGHT;
	attribs[n++] = buffer->height;
	attribs[n++] = EGL_LINUX_DRM_FOURCC_EXT;
	attribs[n++] = (EGLint)buffer->format;
	uint64_t modifier = buffer->dmabuf.modifier;
	for (unsigned i = 0; i < buffer->dmabuf.n_planes; i++) {
		const struct sl_dmabuf_plane *plane = &buffer->dmabuf.planes[i];
		attribs[n++] = plane_attribs[i][0];
		attribs[n++] = plane->fd;
		attribs[n++] = plane_attribs[i][1];
		attribs[n++] = (EGLint)plane->offset;
		attribs[n++] = plane_attribs[i][2];
		attribs[n++] = (EGLint)plane->stride;
		if (modifier != DRM_FORMAT_MOD_INVALID && gr->query_dmabuf_modifiers) {
			attribs[n++] = plane_attribs[i][3];
			attribs[n++] = (EGLint)(modifier & 0xffffffff);
			attribs[n++] = plane_attribs[i][4];
			attribs[n++] = (EGLint)(modifier >> 32);
		}
	}
	const struct format_info *info = format_info_from_drm(buffer->format);
	if (info && info->is_yuv) {
		/* The same conversion as the CPU path: BT.601 limited unless the surface says. */
		attribs[n++] = EGL_YUV_COLOR_SPACE_HINT_EXT;
		attribs[n++] = encoding.matrix == YUV_MATRIX_BT709    ? EGL_ITU_REC709_EXT
			       : encoding.matrix == YUV_MATRIX_BT2020 ? EGL_ITU_REC2020_EXT
								      : EGL_ITU_REC601_EXT;
		attribs[n++] = EGL_SAMPLE_RANGE_HINT_EXT;
		attribs[n++] =
			encoding.full_range ? EGL_YUV_FULL_RANGE_EXT : EGL_YUV_NARROW_RANGE_EXT;
	}
	attribs[n++] = EGL_NONE;
	return gr->create_image(gr->display, EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT, NULL, attribs);
}

/*
 * Mesa's kms_swrast (llvmpipe on a KMS device, 25.0 at least) reads an imported dma-buf by
 * importing it into the device's file and mapping it as a dumb buffer. The kernel maps only the
 * device's own objects that way, not ones imported from another exporter (vgem, udmabuf, a heap):
 * for those the map fails, llvmpipe samples from NULL and the process faults at the first draw
 * (tests/vm/repro-llvmpipe-foreign.c shows it without sluice). So ask the kernel the same
 * question, on a private file so that closing the handle cannot take one from Mesa or from the
 * KMS backend, which share the renderer's file.
 */
static bool
is_native(struct gl_renderer *gr, struct sl_buffer *buffer)
{
	bool native = true;
	for (unsigned i = 0; i < buffer->dmabuf.n_planes && native; i++) {
		uint32_t handle;
		if (drmPrimeFDToHandle(gr->probe_fd, buffer->dmabuf.planes[i].fd, &handle) != 0) {
			native = false;
			break;
		}
		struct drm_mode_map_dumb map = {.handle = handle};
		native = drmIoctl(gr->probe_fd, DRM_IOCTL_MODE_MAP_DUMB, &map) == 0;
		drmCloseBufferHandle(gr->probe_fd, handle);
	}
	return native;
}

static enum sl_dmabuf_import
gl_import_dmabuf(struct sl_renderer *renderer, struct sl_buffer *buffer)
{
	struct gl_renderer *gr = gl_renderer(renderer);
	const struct format_info *info = format_info_from_drm(buffer->format);
	bool external =
		(info && info->is_yuv) ||
		sl_format_set_has(&gr->external_only, buffer->format, buffer->dmabuf.modifier);
	EGLImageKHR image = EGL_NO_IMAGE_KHR;
	char name[5];
	EGLint egl_error = EGL_SUCCESS;
	bool foreign = gr->import == GL_IMPORT_NATIVE && !is_native(gr, buffer);
	if ((!external || gr->has_external) && gr->import != GL_IMPORT_NONE && !foreign) {
		image = import_image(gr, buffer, YUV_ENCODING_DEFAULT);
		if (image == EGL_NO_IMAGE_KHR)
			egl_error = eglGetError();
	}
	if (image != EGL_NO_IMAGE_KHR) {
		struct gl_buffer *gb = calloc(1, sizeof(*gb));
		if (!gb) {
			gr->destroy_image(gr->display, image);
			return SL_DMABUF_IMPORT_FAILED;
		}
		gb->renderer = gr;
		gb->image = image;
		gb->target = external ? GL_TEXTURE_EXTERNAL_OES : GL_TEXTURE_2D;
		gb->encoding = YUV_ENCODING_DEFAULT;
		glGenTextures(1, &gb->texture);
		glBindTexture(gb->target, gb->texture);
		gr->image_target_texture(gb->target, image);
		glBindTexture(gb->target, 0);
		gb->destroy.notify = gl_buffer_handle_destroy;
		wl_signal_add(&buffer->events.destroy, &gb->destroy);
		wl_list_insert(&gr->buffers, &gb->link);
		if (!sl_format_set_has(&gr->logged_gpu, buffer->format, buffer->dmabuf.modifier)) {
			sl_format_set_add(&gr->logged_gpu, buffer->format, buffer->dmabuf.modifier);
			log_info("gl", "dma-bufs %s/0x%016" PRIx64 ": imported through EGL%s",
				 format_fourcc_str(buffer->format, name), buffer->dmabuf.modifier,
				 external ? " (external texture)" : "");
		}
		return SL_DMABUF_IMPORT_GPU;
	}
	/* The last resort: read it on the CPU, if its layout allows. */
	GLenum format, type;
	bool opaque;
	struct sl_buffer_access access;
	if ((!gl_format(buffer->format, &format, &type, &opaque) && !(info && info->is_yuv)) ||
	    !sl_buffer_begin_access(buffer, &access)) {
		log_info("gl",
			 "EGL cannot import a %dx%d dma-buf (0x%x) and the CPU cannot read it",
			 buffer->width, buffer->height, egl_error);
		return SL_DMABUF_IMPORT_FAILED;
	}
	sl_buffer_end_access(buffer);
	struct sl_format_set *logged = foreign ? &gr->logged_foreign : &gr->logged_cpu;
	if (!sl_format_set_has(logged, buffer->format, buffer->dmabuf.modifier)) {
		sl_format_set_add(logged, buffer->format, buffer->dmabuf.modifier);
		log_info("gl", "dma-bufs %s/0x%016" PRIx64 ": read on the CPU: %s (EGL error 0x%x)",
			 format_fourcc_str(buffer->format, name), buffer->dmabuf.modifier,
			 gr->import == GL_IMPORT_NONE
				 ? "this Mesa's software GL crashes sampling imported dma-bufs"
			 : foreign ? "not the KMS device's own, which this llvmpipe cannot map"
			 : external && !gr->has_external ? "GLES has no external textures"
							 : "EGL refused the import",
			 egl_error);
	}
	return SL_DMABUF_IMPORT_CPU;
}

static void
gl_dmabuf_formats(struct sl_renderer *renderer, struct sl_format_set *out)
{
	struct gl_renderer *gr = gl_renderer(renderer);
	unsigned count;
	const struct format_info *table = format_table(&count);
	EGLint n_formats = 0;
	EGLint *formats = NULL;
	if (gr->query_dmabuf_formats &&
	    gr->query_dmabuf_formats(gr->display, 0, NULL, &n_formats) && n_formats > 0 &&
	    (formats = calloc((size_t)n_formats, sizeof(*formats))) &&
	    !gr->query_dmabuf_formats(gr->display, n_formats, formats, &n_formats))
		n_formats = 0;
	for (unsigned i = 0; i < count; i++) {
		uint32_t drm = table[i].drm;
		if (gr->import != GL_IMPORT_ALL) {
			/* Exactly what the CPU path reads: linear layouts. */
			if (table[i].is_yuv || gl_supports_shm_format(renderer, drm)) {
				sl_format_set_add(out, drm, DRM_FORMAT_MOD_LINEAR);
				sl_format_set_add(out, drm, DRM_FORMAT_MOD_INVALID);
			}
			continue;
		}
		if (gr->query_dmabuf_formats) {
			bool listed = false;
			for (EGLint k = 0; k < n_formats; k++)
				listed = listed || (uint32_t)formats[k] == drm;
			if (!listed)
				continue;
		} else if (table[i].is_yuv || !gl_supports_shm_format(renderer, drm)) {
			/* Without the query, offer only what the GL path surely samples. */
			continue;
		}
		if (table[i].is_yuv && !gr->has_external)
			continue;
		EGLint n_mods = 0;
		if (gr->query_dmabuf_modifiers &&
		    gr->query_dmabuf_modifiers(gr->display, (EGLint)drm, 0, NULL, NULL, &n_mods) &&
		    n_mods > 0) {
			EGLuint64KHR *mods = calloc((size_t)n_mods, sizeof(*mods));
			EGLBoolean *ext = calloc((size_t)n_mods, sizeof(*ext));
			if (mods && ext &&
			    gr->query_dmabuf_modifiers(gr->display, (EGLint)drm, n_mods, mods, ext,
						       &n_mods)) {
				for (EGLint k = 0; k < n_mods; k++) {
					sl_format_set_add(out, drm, mods[k]);
					if (ext[k])
						sl_format_set_add(&gr->external_only, drm, mods[k]);
				}
			}
			free(mods);
			free(ext);
		}
		/* Any driver that imports with modifiers imports linear buffers. */
		if (gr->query_dmabuf_modifiers)
			sl_format_set_add(out, drm, DRM_FORMAT_MOD_LINEAR);
		sl_format_set_add(out, drm, DRM_FORMAT_MOD_INVALID);
	}
	free(formats);
}

static const void *
gl_target_pixels(struct sl_renderer *renderer, struct sl_render_target *target, uint32_t *stride)
{
	/* Capture on KMS reads the writeback connector; GL targets are not read on the CPU. */
	return NULL;
}

static void
gl_destroy(struct sl_renderer *renderer)
{
	struct gl_renderer *gr = gl_renderer(renderer);
	if (gr->context != EGL_NO_CONTEXT) {
		struct gl_buffer *gb, *tmp;
		wl_list_for_each_safe (gb, tmp, &gr->buffers, link)
			gl_buffer_destroy(gb);
		struct gl_upload *up, *up_tmp;
		wl_list_for_each_safe (up, up_tmp, &gr->uploads, copy.link)
			gl_upload_destroy(&up->copy);
		if (gr->external.program)
			glDeleteProgram(gr->external.program);
		if (gr->textured.program)
			glDeleteProgram(gr->textured.program);
		if (gr->solid.program)
			glDeleteProgram(gr->solid.program);
		eglMakeCurrent(gr->display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
		eglDestroyContext(gr->display, gr->context);
	}
	if (gr->display != EGL_NO_DISPLAY) {
		eglTerminate(gr->display);
		eglReleaseThread();
	}
	if (gr->gbm)
		gbm_device_destroy(gr->gbm);
	if (gr->render_fd >= 0)
		close(gr->render_fd);
	sl_format_set_finish(&gr->external_only);
	sl_format_set_finish(&gr->logged_gpu);
	sl_format_set_finish(&gr->logged_cpu);
	sl_format_set_finish(&gr->logged_foreign);
	if (gr->probe_fd >= 0)
		close(gr->probe_fd);
	free(gr);
}

static const struct sl_renderer_impl gl_renderer_impl = {
	.destroy = gl_destroy,
	.target_destroy = gl_target_destroy,
	.target_create_scanout = gl_target_create_scanout,
	.begin = gl_begin,
	.clear = gl_clear,
	.draw_surface = gl_draw_surface,
	.end = gl_end,
	.supports_shm_format = gl_supports_shm_format,
	.dmabuf_formats = gl_dmabuf_formats,
	.import_dmabuf = gl_import_dmabuf,
	.target_pixels = gl_target_pixels,
};

/*
 * Opens the device behind drm_fd once more, for this renderer alone. A second file on a primary
 * node is authenticated only for root; anyone else (under seatd) has the master file vouch for
 * it, which works while the session is active, as it is when the renderer is made.
 */
static int
open_private_file(int drm_fd, const char *why)
{
	char *node = drmGetDeviceNameFromFd2(drm_fd);
	int fd = node ? open(node, O_RDWR | O_CLOEXEC | O_NOCTTY) : -1;
	if (fd < 0) {
		log_errno("gl", "cannot open %s again %s", node ? node : "the device", why);
		free(node);
		return -1;
	}
	free(node);
	drm_magic_t magic;
	if (drmGetMagic(fd, &magic) == 0 && drmAuthMagic(drm_fd, magic) != 0)
		log_debug("gl", "the master file does not authenticate the renderer's own: %s",
			  strerror(errno));
	return fd;
}

/*
 * Kernel drivers that scan out but have nothing to render with: Mesa's loader finds no hardware
 * driver for them and falls back to kms_swrast (llvmpipe). virtio_gpu belongs here only without
 * virgl, which its missing render node tells.
 */
static const char *const no_gpu_drivers[] = {
	"vkms",	   "simpledrm",	 "ofdrm", "bochs-drm", "bochs", "cirrus",    "qxl",  "ast",
	"mgag200", "hyperv_drm", "udl",	  "gm12u320",  "gud",	"vboxvideo", "vgem",
};

bool
renderer_gl_is_surely_software(int drm_fd, char *why, size_t why_size)
{
	drmVersionPtr version = drmGetVersion(drm_fd);
	if (!version)
		return false;
	bool sure = false;
	for (size_t i = 0; i < sizeof(no_gpu_drivers) / sizeof(no_gpu_drivers[0]); i++)
		if (strcmp(version->name, no_gpu_drivers[i]) == 0) {
			snprintf(why, why_size, "%s has no GPU", version->name);
			sure = true;
		}
	if (!sure && strcmp(version->name, "virtio_gpu") == 0) {
		char *render = drmGetRenderDeviceNameFromFd(drm_fd);
		if (!render) {
			snprintf(why, why_size, "virtio_gpu without virgl (no render node)");
			sure = true;
		}
		free(render);
	}
	drmFreeVersion(version);
	return sure;
}

struct sl_renderer *
renderer_gl_create(int drm_fd)
{
	struct gl_renderer *gr = calloc(1, sizeof(*gr));
	if (!gr)
		return NULL;
	gr->base.impl = &gl_renderer_impl;
	gr->display = EGL_NO_DISPLAY;
	gr->context = EGL_NO_CONTEXT;
	wl_list_init(&gr->buffers);
	wl_list_init(&gr->uploads);
	gr->probe_fd = -1;

	gr->render_fd = open_private_file(drm_fd, "for the GL renderer");
	gr->gbm = gr->render_fd >= 0 ? gbm_create_device(gr->render_fd) : NULL;
	if (!gr->gbm) {
		log_error("gl", "GBM cannot use this device");
		goto err;
	}
	const char *client_ext = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
	PFNEGLGETPLATFORMDISPLAYEXTPROC get_platform_display =
		(PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
	if (!has_extension(client_ext, "EGL_KHR_platform_gbm") &&
	    !has_extension(client_ext, "EGL_MESA_platform_gbm")) {
		log_error("gl", "EGL has no GBM platform");
		goto err;
	}
	gr->display = get_platform_display(EGL_PLATFORM_GBM_KHR, gr->gbm, NULL);
	EGLint major, minor;
	if (gr->display == EGL_NO_DISPLAY || !eglInitialize(gr->display, &major, &minor)) {
		log_error("gl", "cannot initialize EGL on GBM (0x%x)", eglGetError());
		gr->display = EGL_NO_DISPLAY;
		goto err;
	}
	const char *ext = eglQueryString(gr->display, EGL_EXTENSIONS);
	static const char *const needed[] = {"EGL_KHR_surfaceless_context",
					     "EGL_KHR_no_config_context",
					     "EGL_EXT_image_dma_buf_import"};
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (!has_extension(ext, needed[i])) {
			log_error("gl", "EGL lacks %s", needed[i]);
			goto err;
		}
	}
	eglBindAPI(EGL_OPENGL_ES_API);
	static const EGLint context_attribs[] = {EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE};
	gr->context =
		eglCreateContext(gr->display, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, context_attribs);
	if (gr->context == EGL_NO_CONTEXT ||
	    !eglMakeCurrent(gr->display, EGL_NO_SURFACE, EGL_NO_SURFACE, gr->context)) {
		log_error("gl", "cannot create a GLES2 context (0x%x)", eglGetError());
		goto err;
	}
	const char *gl_ext = (const char *)glGetString(GL_EXTENSIONS);
	if (!has_extension(gl_ext, "GL_OES_EGL_image") ||
	    !has_extension(gl_ext, "GL_EXT_texture_format_BGRA8888")) {
		log_error("gl", "GLES lacks GL_OES_EGL_image or GL_EXT_texture_format_BGRA8888");
		goto err;
	}
	gr->create_image = (PFNEGLCREATEIMAGEKHRPROC)eglGetProcAddress("eglCreateImageKHR");
	gr->destroy_image = (PFNEGLDESTROYIMAGEKHRPROC)eglGetProcAddress("eglDestroyImageKHR");
	gr->image_target_renderbuffer =
		(PFNGLEGLIMAGETARGETRENDERBUFFERSTORAGEOESPROC)eglGetProcAddress(
			"glEGLImageTargetRenderbufferStorageOES");
	gr->image_target_texture = (PFNGLEGLIMAGETARGETTEXTURE2DOESPROC)eglGetProcAddress(
		"glEGLImageTargetTexture2DOES");
	if (!gr->create_image || !gr->destroy_image || !gr->image_target_renderbuffer ||
	    !gr->image_target_texture || !program_create(&gr->textured, textured_src) ||
	    !program_create(&gr->solid, solid_src))
		goto err;
	if (has_extension(ext, "EGL_EXT_image_dma_buf_import_modifiers")) {
		gr->query_dmabuf_formats = (PFNEGLQUERYDMABUFFORMATSEXTPROC)eglGetProcAddress(
			"eglQueryDmaBufFormatsEXT");
		gr->query_dmabuf_modifiers = (PFNEGLQUERYDMABUFMODIFIERSEXTPROC)eglGetProcAddress(
			"eglQueryDmaBufModifiersEXT");
		if (!gr->query_dmabuf_formats || !gr->query_dmabuf_modifiers)
			gr->query_dmabuf_formats = NULL, gr->query_dmabuf_modifiers = NULL;
	}
	if (has_extension(ext, "EGL_ANDROID_native_fence_sync") &&
	    has_extension(ext, "EGL_KHR_fence_sync")) {
		gr->create_sync = (PFNEGLCREATESYNCKHRPROC)eglGetProcAddress("eglCreateSyncKHR");
		gr->destroy_sync = (PFNEGLDESTROYSYNCKHRPROC)eglGetProcAddress("eglDestroySyncKHR");
		gr->dup_native_fence = (PFNEGLDUPNATIVEFENCEFDANDROIDPROC)eglGetProcAddress(
			"eglDupNativeFenceFDANDROID");
		if (!gr->destroy_sync || !gr->dup_native_fence)
			gr->create_sync = NULL;
	}
	log_info("gl", "%s",
		 gr->create_sync ? "frames end with an EGL native fence: the display and the "
				   "clients' releases wait on the GPU, not sluice"
				 : "EGL has no native fences: each frame is finished (glFinish) "
				   "before it is shown");
	/* Without external textures, YUV dma-bufs are not offered (the CPU path is a fallback). */
	gr->has_external = has_extension(gl_ext, "GL_OES_EGL_image_external") &&
			   program_create(&gr->external, external_src);
	const char *name = (const char *)glGetString(GL_RENDERER);
	gr->software = name && (strstr(name, "llvmpipe") || strstr(name, "softpipe"));
	gr->base.software = gr->software;
	const char *version = (const char *)glGetString(GL_VERSION);
	const char *mesa = version ? strstr(version, "Mesa ") : NULL;
	if (mesa && sscanf(mesa, "Mesa %d.%d", &gr->mesa_major, &gr->mesa_minor) != 2)
		gr->mesa_major = gr->mesa_minor = 0;
	/*
	 * Where a software GL is known to crash sampling an imported dma-buf, those buffers take
	 * the CPU path. Mesa before 23.1: all of them (mesa#6438). Later llvmpipe on a KMS device
	 * (kms_swrast): the foreign ones, see is_native(). SLUICE_GL_FORCE_DMABUF_IMPORT=1 gives
	 * every dma-buf to EGL anyway, to try a new Mesa.
	 */
	const char *force = getenv("SLUICE_GL_FORCE_DMABUF_IMPORT");
	bool force_import = force && strcmp(force, "1") == 0;
	bool old_mesa =
		mesa && (gr->mesa_major < 23 || (gr->mesa_major == 23 && gr->mesa_minor < 1));
	gr->import = !gr->software || force_import ? GL_IMPORT_ALL
		     : old_mesa			   ? GL_IMPORT_NONE
						   : GL_IMPORT_NATIVE;
	if (gr->import == GL_IMPORT_NATIVE) {
		/* Not the render file: a probe's handle must never be one Mesa holds. */
		gr->probe_fd = open_private_file(drm_fd, "to tell the device's dma-bufs apart");
		if (gr->probe_fd < 0)
			gr->import = GL_IMPORT_NONE;
	}
	if (gr->import == GL_IMPORT_NONE && old_mesa)
		log_info("gl",
			 "software rendering on Mesa %d.%d: client dma-bufs are read through CPU "
			 "mappings (llvmpipe before 23.1 crashes sampling imported ones)",
			 gr->mesa_major, gr->mesa_minor);
	else if (gr->import == GL_IMPORT_NONE)
		log_info("gl", "software rendering: client dma-bufs are read on the CPU");
	else if (gr->import == GL_IMPORT_NATIVE)
		log_info("gl",
			 "software rendering on Mesa %d.%d: the KMS device's own dma-bufs are "
			 "imported through EGL, foreign ones read on the CPU (this llvmpipe maps "
			 "an imported buffer as a dumb buffer of the device, and faults on others; "
			 "SLUICE_GL_FORCE_DMABUF_IMPORT=1 imports them anyway)",
			 gr->mesa_major, gr->mesa_minor);
	else if (force_import)
		log_warn("gl", "SLUICE_GL_FORCE_DMABUF_IMPORT: every client dma-buf goes to EGL");
	log_info("gl", "GLES2 renderer: %s (%s), EGL %d.%d", glGetString(GL_RENDERER),
		 glGetString(GL_VERSION), major, minor);
	return &gr->base;
err:
	gl_destroy(&gr->base);
	return NULL;
}
