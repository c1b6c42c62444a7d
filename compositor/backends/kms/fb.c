/*
 * Framebuffers: our scanout buffers (dumb buffers for pixman, the renderer's GBM buffers for
 * GL) and client dma-bufs added as framebuffers when they are created, ready for a plane.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "backends/kms/kms-internal.h"
#include "core/buffer.h"
#include "core/renderer.h"
#include "core/server.h"
#include "formats.h"
#include "log.h"

bool
kms_fb_create(int fd, int32_t width, int32_t height, struct kms_fb *fb)
{
	*fb = (struct kms_fb){.dumb = true};
	if (drmModeCreateDumbBuffer(fd, (uint32_t)width, (uint32_t)height, 32, 0, &fb->handle,
				    &fb->pitch, &fb->size) < 0) {
		log_errno("kms", "cannot create a %dx%d dumb buffer", width, height);
		return false;
	}
	uint32_t handles[4] = {fb->handle}, pitches[4] = {fb->pitch}, offsets[4] = {0};
	uint64_t offset;
	if (drmModeAddFB2(fd, (uint32_t)width, (uint32_t)height, DRM_FORMAT_XRGB8888, handles,
			  pitches, offsets, &fb->fb_id, 0) < 0 ||
	    drmModeMapDumbBuffer(fd, fb->handle, &offset) < 0) {
		log_errno("kms", "cannot set up a framebuffer");
		return false;
	}
	fb->map = mmap(NULL, fb->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)offset);
	if (fb->map == MAP_FAILED) {
		fb->map = NULL;
		log_errno("kms", "cannot map a dumb buffer");
		return false;
	}
	memset(fb->map, 0, fb->size);
	return true;
}

void
kms_fb_destroy(int fd, struct sl_renderer *renderer, struct kms_fb *fb)
{
	if (fb->target)
		renderer->impl->target_destroy(renderer, fb->target);
	if (fb->map)
		munmap(fb->map, fb->size);
	if (fb->fb_id)
		drmModeRmFB(fd, fb->fb_id);
	if (fb->dumb && fb->handle)
		drmModeDestroyDumbBuffer(fd, fb->handle);
	*fb = (struct kms_fb){0};
}

/* A scanout buffer the renderer draws into: its own GEM buffer if it has them, else a dumb one. */
bool
kms_scanout_fb_create(int fd, struct sl_renderer *renderer, int32_t width, int32_t height,
		      struct kms_fb *fb)
{
	if (!renderer->impl->target_create_scanout) {
		if (!kms_fb_create(fd, width, height, fb))
			return false;
		fb->target =
			renderer->impl->target_wrap(renderer, fb->map, width, height, fb->pitch);
		return fb->target != NULL;
	}
	*fb = (struct kms_fb){0};
	uint64_t modifier = DRM_FORMAT_MOD_INVALID;
	int dmabuf_fd = -1;
	fb->target = renderer->impl->target_create_scanout(renderer, width, height, &dmabuf_fd,
							   &fb->pitch, &modifier);
	if (!fb->target)
		return false;
	uint32_t handle = 0;
	bool ok = drmPrimeFDToHandle(fd, dmabuf_fd, &handle) == 0;
	close(dmabuf_fd);
	uint32_t handles[4] = {handle}, pitches[4] = {fb->pitch}, offsets[4] = {0};
	uint64_t modifiers[4] = {modifier};
	bool with_modifier = modifier != DRM_FORMAT_MOD_INVALID;
	ok = ok &&
	     drmModeAddFB2WithModifiers(fd, (uint32_t)width, (uint32_t)height, DRM_FORMAT_XRGB8888,
					handles, pitches, offsets, with_modifier ? modifiers : NULL,
					&fb->fb_id, with_modifier ? DRM_MODE_FB_MODIFIERS : 0) == 0;
	int saved = errno;
	/* The framebuffer keeps the object; the handle was only this file's name for it. */
	if (handle)
		drmCloseBufferHandle(fd, handle);
	if (!ok) {
		errno = saved;
		log_errno("kms", "cannot add the renderer's buffer as a framebuffer");
		return false;
	}
	return true;
}

/* ---- client dma-bufs as framebuffers ---- */

void
kms_dmabuf_fb_destroy(struct kms_dmabuf_fb *fb)
{
	drmModeRmFB(fb->device->fd, fb->fb_id);
	wl_list_remove(&fb->destroy.link);
	wl_list_remove(&fb->link);
	free(fb);
}

static void
dmabuf_fb_handle_destroy(struct wl_listener *listener, void *data)
{
	struct kms_dmabuf_fb *fb = wl_container_of(listener, fb, destroy);
	kms_dmabuf_fb_destroy(fb);
}

static struct kms_dmabuf_fb *
dmabuf_fb_from_buffer(struct sl_buffer *buffer)
{
	struct wl_listener *listener =
		wl_signal_get(&buffer->events.destroy, dmabuf_fb_handle_destroy);
	if (!listener)
		return NULL;
	struct kms_dmabuf_fb *fb = wl_container_of(listener, fb, destroy);
	return fb;
}

uint32_t
kms_buffer_fb_id(struct sl_buffer *buffer)
{
	struct kms_dmabuf_fb *fb = dmabuf_fb_from_buffer(buffer);
	return fb && !fb->refused ? fb->fb_id : 0;
}

void
kms_buffer_refuse(struct sl_buffer *buffer)
{
	struct kms_dmabuf_fb *fb = dmabuf_fb_from_buffer(buffer);
	if (fb && !fb->refused) {
		fb->refused = true;
		char name[5];
		log_warn("kms",
			 "the kernel refused a %dx%d %s client buffer on a plane: composing it "
			 "instead",
			 buffer->width, buffer->height, format_fourcc_str(buffer->format, name));
	}
}

/*
 * Adds a new client dma-buf as a framebuffer, so that a plane can show it later without another
 * import. Not every buffer can be one (format, modifier, size limits): that only rules out
 * scanout, so failures are logged at debug level.
 */
void
kms_import_dmabuf(void *backend, struct sl_buffer *buffer)
{
	struct kms_device *dev = backend;
	uint32_t handles[4] = {0}, pitches[4] = {0}, offsets[4] = {0};
	uint64_t modifiers[4] = {0};
	unsigned n = buffer->dmabuf.n_planes;
	bool ok = true;
	for (unsigned i = 0; i < n && ok; i++) {
		ok = drmPrimeFDToHandle(dev->fd, buffer->dmabuf.planes[i].fd, &handles[i]) == 0;
		pitches[i] = buffer->dmabuf.planes[i].stride;
		offsets[i] = buffer->dmabuf.planes[i].offset;
		modifiers[i] = buffer->dmabuf.modifier;
	}
	uint32_t fb_id = 0;
	bool explicit = buffer->dmabuf.modifier != DRM_FORMAT_MOD_INVALID;
	if (ok)
		ok = drmModeAddFB2WithModifiers(dev->fd, (uint32_t)buffer->width,
						(uint32_t)buffer->height, buffer->format, handles,
						pitches, offsets, explicit ? modifiers : NULL,
						&fb_id, explicit ? DRM_MODE_FB_MODIFIERS : 0) == 0;
	int saved = errno;
	/*
	 * The framebuffer holds its own references. GEM handles are per device and per object, so
	 * two imports of one dma-buf share a handle: close each distinct one exactly once, now.
	 */
	for (unsigned i = 0; i < n; i++) {
		bool seen = false;
		for (unsigned k = 0; k < i; k++)
			seen = seen || handles[k] == handles[i];
		if (handles[i] && !seen)
			drmCloseBufferHandle(dev->fd, handles[i]);
	}
	char name[5];
	if (!ok) {
		log_debug("kms", "a %dx%d %s dma-buf cannot be a framebuffer: %s", buffer->width,
			  buffer->height, format_fourcc_str(buffer->format, name), strerror(saved));
		return;
	}
	struct kms_dmabuf_fb *fb = calloc(1, sizeof(*fb));
	if (!fb) {
		drmModeRmFB(dev->fd, fb_id);
		return;
	}
	fb->device = dev;
	fb->fb_id = fb_id;
	fb->destroy.notify = dmabuf_fb_handle_destroy;
	wl_signal_add(&buffer->events.destroy, &fb->destroy);
	wl_list_insert(&dev->dmabuf_fbs, &fb->link);
	dev->server->stats.dmabuf_import_kms++;
}

/* What linux-dmabuf tells clients about this device: its dev_t and the primary planes' formats. */
void
kms_device_publish_dmabuf_info(struct kms_device *dev)
{
	struct sl_server *server = dev->server;
	struct stat st;
	if (fstat(dev->fd, &st) == 0) {
		server->has_main_device = true;
		server->main_device = st.st_rdev;
		server->main_device_fd = dev->fd;
	}
	struct kms_output *ko;
	wl_list_for_each (ko, &dev->outputs, link) {
		/* The first output's primary plane stands for all (they are alike on one device).
		 */
		for (size_t i = 0; i < ko->plane->n_formats; i++)
			sl_format_set_add(&server->scanout_formats, ko->plane->formats[i].format,
					  ko->plane->formats[i].modifier);
		break;
	}
	server->backend_import_dmabuf = kms_import_dmabuf;
	server->backend = dev;
}
