/*
 * The smallest case of the Mesa fault that renderers/gl.c routes around, without sluice or
 * Wayland: EGL on GBM on a KMS device (llvmpipe through kms_swrast), one linear XRGB8888 dma-buf
 * imported as an EGL image, sampled by one draw into a renderbuffer, one pixel read back.
 *
 *   repro-llvmpipe-foreign CARD own|own-closed|udmabuf|vgem [2d|external]
 *
 * own: a dumb buffer of CARD itself; own-closed: the same, and after EGL's import another user of
 * the same file descriptor imports the dma-buf and closes its GEM handle (as a KMS backend does
 * once it has made a framebuffer); udmabuf: pages of a memfd; vgem: a dumb buffer of the first
 * vgem device. On Mesa 25.0.7 "own" draws green and the other two die of SIGSEGV in a
 * rasteriser thread: llvmpipe maps an imported buffer as a dumb buffer of CARD, which the kernel
 * refuses for an object another exporter made, and samples from the NULL it gets back.
 * Exit status: 0 when the pixel is right, 1 when it is wrong, 2 when a step before the draw
 * fails (said on stderr); the fault is SIGSEGV, or AddressSanitizer's report of it in a
 * sanitized build.
 */

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>
#include <GLES2/gl2ext.h>
#include <stdbool.h>
#include <drm_fourcc.h>
#include <fcntl.h>
#include <gbm.h>
#include <linux/udmabuf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>

#define SIZE 64
#define GREEN 0xff00ff00u

static int
fail(const char *what)
{
	fprintf(stderr, "repro-llvmpipe-foreign: %s\n", what);
	return -1;
}

static void
fill(uint32_t *pixels, uint32_t stride)
{
	for (unsigned y = 0; y < SIZE; y++)
		for (unsigned x = 0; x < SIZE; x++)
			pixels[y * stride / 4 + x] = GREEN;
}

static int
udmabuf_create(uint32_t *stride)
{
	size_t size = SIZE * SIZE * 4;
	int memfd = memfd_create("repro", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, (off_t)size) < 0 ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		return fail("cannot make a sealed memfd");
	uint32_t *pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (pixels == MAP_FAILED)
		return fail("cannot map the memfd");
	*stride = SIZE * 4;
	fill(pixels, *stride);
	munmap(pixels, size);
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	struct udmabuf_create create = {
		.memfd = (uint32_t)memfd, .flags = UDMABUF_FLAGS_CLOEXEC, .size = size};
	int fd = dev < 0 ? -1 : ioctl(dev, UDMABUF_CREATE, &create);
	if (dev >= 0)
		close(dev);
	close(memfd);
	return fd < 0 ? fail("cannot create a udmabuf") : fd;
}

static int
dumb_create(const char *card, uint32_t *stride)
{
	int dev = open(card, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return fail("cannot open the exporting device");
	struct drm_mode_create_dumb create = {.width = SIZE, .height = SIZE, .bpp = 32};
	struct drm_mode_map_dumb map = {0};
	int fd = -1;
	if (drmIoctl(dev, DRM_IOCTL_MODE_CREATE_DUMB, &create) == 0) {
		map.handle = create.handle;
		uint32_t *pixels = MAP_FAILED;
		if (drmIoctl(dev, DRM_IOCTL_MODE_MAP_DUMB, &map) == 0)
			pixels = mmap(NULL, create.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
				      (off_t)map.offset);
		if (pixels != MAP_FAILED) {
			*stride = create.pitch;
			fill(pixels, create.pitch);
			munmap(pixels, create.size);
			if (drmPrimeHandleToFD(dev, create.handle, DRM_CLOEXEC | DRM_RDWR, &fd))
				fd = -1;
		}
	}
	close(dev); /* the dma-buf keeps the object */
	return fd < 0 ? fail("cannot make a dumb buffer and export it") : fd;
}

static const char *
find_vgem(char *path, size_t size)
{
	for (int i = 0; i < 16; i++) {
		snprintf(path, size, "/dev/dri/card%d", i);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		drmVersionPtr version = fd < 0 ? NULL : drmGetVersion(fd);
		bool vgem = version && strcmp(version->name, "vgem") == 0;
		drmFreeVersion(version);
		if (fd >= 0)
			close(fd);
		if (vgem)
			return path;
	}
	return NULL;
}

static GLuint
program(bool external)
{
	static const char *vertex =
		"attribute vec2 pos; varying vec2 uv;\n"
		"void main() { uv = pos * 0.5 + 0.5; gl_Position = vec4(pos, 0, 1); }";
	static const char *plain =
		"precision mediump float; varying vec2 uv; uniform sampler2D s;\n"
		"void main() { gl_FragColor = texture2D(s, uv); }";
	static const char *ext =
		"#extension GL_OES_EGL_image_external : require\n"
		"precision mediump float; varying vec2 uv; uniform samplerExternalOES s;\n"
		"void main() { gl_FragColor = texture2D(s, uv); }";
	const char *fragment = external ? ext : plain;
	GLuint vs = glCreateShader(GL_VERTEX_SHADER), fs = glCreateShader(GL_FRAGMENT_SHADER);
	glShaderSource(vs, 1, &vertex, NULL);
	glShaderSource(fs, 1, &fragment, NULL);
	glCompileShader(vs);
	glCompileShader(fs);
	GLuint prog = glCreateProgram();
	glAttachShader(prog, vs);
	glAttachShader(prog, fs);
	glBindAttribLocation(prog, 0, "pos");
	glLinkProgram(prog);
	GLint linked = 0;
	glGetProgramiv(prog, GL_LINK_STATUS, &linked);
	return linked ? prog : 0;
}

int
main(int argc, char *argv[])
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: repro-llvmpipe-foreign CARD own|own-closed|udmabuf|vgem "
				"[2d|external]\n");
		return 2;
	}
	const char *card = argv[1], *source = argv[2];
	bool external = argc == 4 && strcmp(argv[3], "external") == 0;
	int drm = open(card, O_RDWR | O_CLOEXEC);
	struct gbm_device *gbm = drm < 0 ? NULL : gbm_create_device(drm);
	if (!gbm)
		return fail("no GBM device"), 2;
	PFNEGLGETPLATFORMDISPLAYEXTPROC get_display =
		(PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
	EGLDisplay display = get_display(EGL_PLATFORM_GBM_KHR, gbm, NULL);
	static const EGLint context_attribs[] = {EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE};
	EGLContext context = EGL_NO_CONTEXT;
	if (eglInitialize(display, NULL, NULL) && eglBindAPI(EGL_OPENGL_ES_API))
		context = eglCreateContext(display, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT,
					   context_attribs);
	if (context == EGL_NO_CONTEXT ||
	    !eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, context)) {
		fail("no surfaceless GLES2 context");
		return 2;
	}
	drmVersionPtr version = drmGetVersion(drm);
	printf("%s (%s): %s, %s\n", card, version ? version->name : "?", glGetString(GL_RENDERER),
	       glGetString(GL_VERSION));
	drmFreeVersion(version);

	uint32_t stride = 0;
	char vgem[32];
	bool closed = strcmp(source, "own-closed") == 0;
	int fd = strcmp(source, "own") == 0 || closed ? dumb_create(card, &stride)
		 : strcmp(source, "udmabuf") == 0     ? udmabuf_create(&stride)
		 : strcmp(source, "vgem") == 0
			 ? (find_vgem(vgem, sizeof(vgem)) ? dumb_create(vgem, &stride)
							  : fail("no vgem device"))
			 : fail("unknown source");
	if (fd < 0)
		return 2;
	PFNEGLCREATEIMAGEKHRPROC create_image =
		(PFNEGLCREATEIMAGEKHRPROC)eglGetProcAddress("eglCreateImageKHR");
	PFNGLEGLIMAGETARGETTEXTURE2DOESPROC image_target =
		(PFNGLEGLIMAGETARGETTEXTURE2DOESPROC)eglGetProcAddress(
			"glEGLImageTargetTexture2DOES");
	const EGLint image_attribs[] = {EGL_WIDTH,
					SIZE,
					EGL_HEIGHT,
					SIZE,
					EGL_LINUX_DRM_FOURCC_EXT,
					DRM_FORMAT_XRGB8888,
					EGL_DMA_BUF_PLANE0_FD_EXT,
					fd,
					EGL_DMA_BUF_PLANE0_OFFSET_EXT,
					0,
					EGL_DMA_BUF_PLANE0_PITCH_EXT,
					(EGLint)stride,
					EGL_NONE};
	EGLImageKHR image =
		create_image(display, EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT, NULL, image_attribs);
	if (image == EGL_NO_IMAGE_KHR) {
		fprintf(stderr, "repro-llvmpipe-foreign: EGL refuses the import (0x%x)\n",
			eglGetError());
		return 2;
	}
	printf("EGL accepted the %s dma-buf\n", source);
	/*
	 * GEM handles belong to the file, not to who asked: this import returns the handle Mesa
	 * holds for the same object, and closing it takes it from Mesa too.
	 */
	uint32_t handle;
	if (closed && drmPrimeFDToHandle(drm, fd, &handle) == 0)
		drmCloseBufferHandle(drm, handle);
	else if (closed)
		return fail("cannot import the dma-buf a second time"), 2;

	GLuint renderbuffer, framebuffer, texture;
	glGenRenderbuffers(1, &renderbuffer);
	glBindRenderbuffer(GL_RENDERBUFFER, renderbuffer);
	glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8_OES, SIZE, SIZE);
	glGenFramebuffers(1, &framebuffer);
	glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
	glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER,
				  renderbuffer);
	GLenum target = external ? GL_TEXTURE_EXTERNAL_OES : GL_TEXTURE_2D;
	glGenTextures(1, &texture);
	glBindTexture(target, texture);
	glTexParameteri(target, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	glTexParameteri(target, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
	image_target(target, image);
	GLuint prog = program(external);
	if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE || !prog ||
	    glGetError() != GL_NO_ERROR) {
		fail("GL setup failed");
		return 2;
	}
	static const GLfloat quad[] = {-1, -1, 1, -1, -1, 1, 1, 1};
	glUseProgram(prog);
	glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, quad);
	glEnableVertexAttribArray(0);
	glViewport(0, 0, SIZE, SIZE);
	glClearColor(1, 0, 0, 1);
	glClear(GL_COLOR_BUFFER_BIT);
	printf("drawing\n");
	fflush(stdout);
	glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
	uint8_t rgba[4] = {0};
	glReadPixels(SIZE / 2, SIZE / 2, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
	bool right = rgba[0] == 0 && rgba[1] == 0xff && rgba[2] == 0;
	printf("pixel %02x%02x%02x (%s)\n", rgba[0], rgba[1], rgba[2],
	       right ? "right" : "wrong, want 00ff00");
	return right ? 0 : 1;
}
