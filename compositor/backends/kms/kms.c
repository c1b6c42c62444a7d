/*
 * The KMS backend: atomic modesetting on a DRM device, one output per connected connector.
 *
 * Each output scans out one of two dumb buffers that the renderer draws into (pixman for now; the
 * GL renderer will bring its own GBM buffers). Every frame is one non-blocking atomic commit with
 * DRM_MODE_PAGE_FLIP_EVENT: the flip event's timestamp and sequence drive the repaint loop and the
 * presentation feedback. Commits that change the configuration (the first modeset) are tried with
 * TEST_ONLY first. Fences, as the kernel hands them to us:
 *   CRTC OUT_FENCE_PTR          → signals when this commit's buffers left the screen (kept for
 *                                 release fences);
 *   WRITEBACK_OUT_FENCE_PTR     → signals when the writeback connector has copied the frame the
 *                                 CRTC produced into our buffer (waited on the event loop, then
 *                                 the capture is delivered).
 */
#include "backends/kms/kms.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <wayland-server-core.h>
#include <drm_fourcc.h>
#include <libliftoff.h>
#include <libudev.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "core/buffer.h"
#include "fd.h"
#include "formats.h"
#include "log.h"
#include "core/output.h"
#include "core/renderer.h"
#include "core/server.h"
#include "backends/session.h"
#include "core/surface.h"

/* ---- property tables ---- */

enum plane_prop {
	PLANE_TYPE,
	PLANE_FB_ID,
	PLANE_CRTC_ID,
	PLANE_SRC_X,
	PLANE_SRC_Y,
	PLANE_SRC_W,
	PLANE_SRC_H,
	PLANE_CRTC_X,
	PLANE_CRTC_Y,
	PLANE_CRTC_W,
	PLANE_CRTC_H,
	PLANE_IN_FENCE_FD,
	PLANE_IN_FORMATS,
	PLANE_PROP_COUNT,
};

static const char *const plane_prop_names[PLANE_PROP_COUNT] = {
	[PLANE_TYPE] = "type",
	[PLANE_FB_ID] = "FB_ID",
	[PLANE_CRTC_ID] = "CRTC_ID",
	[PLANE_SRC_X] = "SRC_X",
	[PLANE_SRC_Y] = "SRC_Y",
	[PLANE_SRC_W] = "SRC_W",
	[PLANE_SRC_H] = "SRC_H",
	[PLANE_CRTC_X] = "CRTC_X",
	[PLANE_CRTC_Y] = "CRTC_Y",
	[PLANE_CRTC_W] = "CRTC_W",
	[PLANE_CRTC_H] = "CRTC_H",
	[PLANE_IN_FENCE_FD] = "IN_FENCE_FD",
	[PLANE_IN_FORMATS] = "IN_FORMATS",
};

enum crtc_prop {
	CRTC_ACTIVE,
	CRTC_MODE_ID,
	CRTC_OUT_FENCE_PTR,
	CRTC_PROP_COUNT,
};

static const char *const crtc_prop_names[CRTC_PROP_COUNT] = {
	[CRTC_ACTIVE] = "ACTIVE",
	[CRTC_MODE_ID] = "MODE_ID",
	[CRTC_OUT_FENCE_PTR] = "OUT_FENCE_PTR",
};

enum connector_prop {
	CONN_CRTC_ID,
	CONN_WRITEBACK_FB_ID,
	CONN_WRITEBACK_OUT_FENCE_PTR,
	CONN_PROP_COUNT,
};

static const char *const connector_prop_names[CONN_PROP_COUNT] = {
	[CONN_CRTC_ID] = "CRTC_ID",
	[CONN_WRITEBACK_FB_ID] = "WRITEBACK_FB_ID",
	[CONN_WRITEBACK_OUT_FENCE_PTR] = "WRITEBACK_OUT_FENCE_PTR",
};

/* Looks up property ids (0 where absent) and optionally their current values. */
static void
props_get(int fd, uint32_t object, uint32_t type, const char *const *names, size_t count,
	  uint32_t *ids, uint64_t *values)
{
	memset(ids, 0, count * sizeof(*ids));
	drmModeObjectProperties *props = drmModeObjectGetProperties(fd, object, type);
	for (uint32_t i = 0; props && i < props->count_props; i++) {
		drmModePropertyRes *prop = drmModeGetProperty(fd, props->props[i]);
		for (size_t n = 0; prop && n < count; n++) {
			if (strcmp(prop->name, names[n]) == 0) {
				ids[n] = prop->prop_id;
				if (values)
					values[n] = props->prop_values[i];
			}
		}
		drmModeFreeProperty(prop);
	}
	drmModeFreeObjectProperties(props);
}

/* ---- atomic request builder: the first failed add makes the whole request fail ---- */

struct atomic {
	drmModeAtomicReq *req;
	bool failed;
};

static void
atomic_add(struct atomic *atomic, uint32_t object, uint32_t prop, uint64_t value)
{
	if (!prop) {
		atomic->failed = true;
		return;
	}
	if (!atomic->failed && drmModeAtomicAddProperty(atomic->req, object, prop, value) < 0)
		atomic->failed = true;
}

/* ---- dumb buffers ---- */

struct kms_fb {
	bool dumb; /* a dumb buffer we created (else the renderer owns the memory) */
	uint32_t handle, fb_id, pitch;
	uint64_t size;
	void *map;
	struct sl_render_target *target; /* nullable: writeback buffers are only read */
	uint64_t drawn_at;		 /* frame number, 0 = never */
};

/* Surfaces offered to libliftoff per frame: its search is exhaustive, keep it small. */
#define KMS_MAX_LAYERS 16

struct kms_format_modifier {
	uint32_t format;
	uint64_t modifier;
};

struct kms_device {
	struct sl_server *server;
	struct kms_options options; /* for outputs of connectors plugged in later */
	dev_t devnum;
	/* Connector hotplug: the card's "change" uevents. */
	struct udev *udev;
	struct udev_monitor *monitor;
	struct wl_event_source *monitor_source;
	bool rescan_pending;	    /* a uevent came while the session was away */
	struct sl_session *session; /* NULL: opened directly, master for as long as we run */
	struct wl_listener session_active;
	int fd;
	char path[64];
	char driver[32];
	struct wl_event_source *source;
	struct wl_list outputs;	      /* kms_output.link */
	uint32_t writeback_connector; /* 0: none */
	uint32_t writeback_crtcs;     /* bitmask of CRTC indices it can attach to */
	uint32_t writeback_props[CONN_PROP_COUNT];
	bool writeback_claimed;
	uint32_t used_crtcs; /* bitmask of CRTC indices taken by outputs */
	/* The server's renderer before ours replaced it (restored on destroy), or NULL. */
	struct sl_renderer *previous_renderer;

	/*
	 * Fault injection for tests (SLUICE_KMS_FAIL_COMMITS=FIRST:COUNT): commits FIRST to
	 * FIRST+COUNT-1, counted from 1, are refused as if the kernel had said EINVAL. vkms cannot
	 * be made to refuse a valid commit from outside, and the fallback must be tested.
	 */
	uint64_t commits, fail_first, fail_count;

	/* Client dma-bufs added as framebuffers, ready for a plane (kms_dmabuf_fb.link). */
	struct wl_list dmabuf_fbs;
	/* Plane allocation; NULL with --no-scanout or if libliftoff cannot use the device. */
	struct liftoff_device *liftoff;

	/* Every plane of the device, for the outputs' primary planes now and overlays later. */
	struct kms_plane {
		uint32_t id;
		uint64_t type; /* DRM_PLANE_TYPE_* */
		uint32_t possible_crtcs;
		uint32_t props[PLANE_PROP_COUNT];    /* property ids, 0 where absent */
		struct kms_format_modifier *formats; /* from IN_FORMATS; NULL if absent */
		size_t n_formats;
	} * planes;
	size_t n_planes;
};

struct kms_output {
	struct kms_device *device;
	struct sl_output *output;
	struct wl_list link;
	uint32_t connector_id, crtc_id;
	unsigned crtc_index;
	uint32_t connector_props[CONN_PROP_COUNT];
	uint32_t crtc_props[CRTC_PROP_COUNT];
	drmModeModeInfo mode;
	uint32_t mode_blob;
	bool modeset_done;

	const struct kms_plane *plane; /* the primary plane, owned by the device */

	struct kms_fb fbs[2];
	int front;   /* index on screen, -1 before the first flip */
	int pending; /* index in flight, -1 */
	uint64_t frames_drawn;
	int32_t out_fence; /* written by the kernel for each commit */
	int release_fence; /* OUT_FENCE_PTR of the last commit, kept for release fences */

	/*
	 * Planes through libliftoff: the composition layer (our back buffer) and one layer per
	 * surface offered. Client buffers on planes are locked from the frame that assigns them
	 * until the flip that replaces them: the display reads them until then.
	 */
	struct liftoff_output *liftoff;
	struct liftoff_layer *composition_layer;
	struct liftoff_layer *layers[KMS_MAX_LAYERS];
	int n_layers;
	struct kms_scanout_set {
		struct sl_buffer *buffers[KMS_MAX_LAYERS];
		int count;
	} assigned, in_flight, shown;

	/* Writeback capture of the frame in flight. */
	bool uses_writeback;
	uint32_t writeback_connector;
	struct kms_fb writeback_fb;
	int32_t writeback_fence;
	bool writeback_pending;
	struct wl_event_source *writeback_source;
	int64_t flip_time_ns;
	uint64_t flip_seq;

	/*
	 * The connector went away: no new frames; once nothing is in flight the CRTC is turned
	 * off (disabling: that commit's event is awaited), then the output is destroyed.
	 */
	bool unplugged, disabling;
};

static bool
fb_create(int fd, int32_t width, int32_t height, struct kms_fb *fb)
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

static void
fb_destroy(int fd, struct sl_renderer *renderer, struct kms_fb *fb)
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

/*
 * Reads a plane's IN_FORMATS blob: every format with every modifier the plane accepts for it.
 * These decide what can be scanned out directly (later: dmabuf feedback's scanout tranche).
 */
/*
 * Reads a plane's IN_FORMATS blob: every format with every modifier the plane accepts for it.
 * These decide what can be scanned out directly (later: dmabuf feedback's scanout tranche).
 */
static bool
plane_read_formats(int fd, uint32_t in_formats_prop, uint64_t blob_id,
		   struct kms_format_modifier **out, size_t *count)
{
	*out = NULL;
	*count = 0;
	if (!in_formats_prop || !blob_id)
		return false;
	drmModePropertyBlobRes *blob = drmModeGetPropertyBlob(fd, (uint32_t)blob_id);
	if (!blob)
		return false;
	drmModeFormatModifierIterator iter = {0};
	size_t cap = 0;
	while (drmModeFormatModifierBlobIterNext(blob, &iter)) {
		if (*count == cap) {
			cap = cap ? cap * 2 : 32;
			struct kms_format_modifier *grown = realloc(*out, cap * sizeof(**out));
			if (!grown)
				break;
			*out = grown;
		}
		(*out)[(*count)++] = (struct kms_format_modifier){iter.fmt, iter.mod};
	}
	drmModeFreePropertyBlob(blob);
	return *count > 0;
}

static bool
formats_contain(const struct kms_format_modifier *formats, size_t count, uint32_t format,
		uint64_t modifier)
{
	for (size_t i = 0; i < count; i++)
		if (formats[i].format == format &&
		    (formats[i].modifier == modifier || modifier == DRM_FORMAT_MOD_INVALID))
			return true;
	return false;
}

/* A scanout buffer the renderer draws into: its own GEM buffer if it has them, else a dumb one. */
static bool
scanout_fb_create(int fd, struct sl_renderer *renderer, int32_t width, int32_t height,
		  struct kms_fb *fb)
{
	if (!renderer->impl->target_create_scanout) {
		if (!fb_create(fd, width, height, fb))
			return false;
		fb->target =
			renderer->impl->target_wrap(renderer, fb->map, width, height, fb->pitch);
		return fb->target != NULL;
	}
	*fb = (struct kms_fb){0};
	uint64_t modifier = DRM_FORMAT_MOD_INVALID;
	fb->target = renderer->impl->target_create_scanout(renderer, width, height, &fb->handle,
							   &fb->pitch, &modifier);
	if (!fb->target)
		return false;
	uint32_t handles[4] = {fb->handle}, pitches[4] = {fb->pitch}, offsets[4] = {0};
	uint64_t modifiers[4] = {modifier};
	bool with_modifier = modifier != DRM_FORMAT_MOD_INVALID;
	if (drmModeAddFB2WithModifiers(fd, (uint32_t)width, (uint32_t)height, DRM_FORMAT_XRGB8888,
				       handles, pitches, offsets, with_modifier ? modifiers : NULL,
				       &fb->fb_id, with_modifier ? DRM_MODE_FB_MODIFIERS : 0) < 0) {
		log_errno("kms", "cannot add the renderer's buffer as a framebuffer");
		return false;
	}
	return true;
}

/* ---- the output ---- */

static void kms_buffer_refuse(struct sl_buffer *buffer);

/* Locked client buffers on planes, per stage of a frame. */
static void
scanout_set_clear(struct kms_scanout_set *set)
{
	for (int i = 0; i < set->count; i++)
		sl_buffer_scanout_unlock(set->buffers[i]);
	set->count = 0;
}

static void
scanout_set_move(struct kms_scanout_set *dst, struct kms_scanout_set *src)
{
	scanout_set_clear(dst);
	*dst = *src;
	src->count = 0;
}

static bool
scanout_set_has(const struct kms_scanout_set *set, const struct sl_buffer *buffer)
{
	for (int i = 0; i < set->count; i++)
		if (set->buffers[i] == buffer)
			return true;
	return false;
}

/* The shown buffers the commit just submitted leaves out are read until its out-fence. */
static void
release_replaced_buffers(struct kms_output *ko)
{
	if (ko->out_fence < 0)
		return;
	for (int i = 0; i < ko->shown.count; i++)
		if (!scanout_set_has(&ko->in_flight, ko->shown.buffers[i]))
			ko->device->server->stats.releases_fenced +=
				(uint64_t)sl_buffer_scanout_replaced(ko->shown.buffers[i],
								     ko->out_fence);
}

static struct kms_output *
kms_from_output(struct sl_output *output)
{
	return output->backend_data;
}

static struct sl_render_target *
kms_begin_frame(struct sl_output *output, int *age)
{
	struct kms_output *ko = kms_from_output(output);
	int back = ko->front == 0 ? 1 : 0;
	struct kms_fb *fb = &ko->fbs[back];
	*age = fb->drawn_at ? (int)(ko->frames_drawn + 1 - fb->drawn_at) : 0;
	return fb->target;
}

/* Connector → CRTC, active, mode: the part of a modeset every commit path shares. */
static void
add_modeset(struct kms_output *ko, struct atomic *atomic)
{
	atomic_add(atomic, ko->connector_id, ko->connector_props[CONN_CRTC_ID], ko->crtc_id);
	atomic_add(atomic, ko->crtc_id, ko->crtc_props[CRTC_ACTIVE], 1);
	atomic_add(atomic, ko->crtc_id, ko->crtc_props[CRTC_MODE_ID], ko->mode_blob);
}

/* Fills an atomic request for showing fb; false if the driver lacks a property it needs. */
static bool
build_commit(struct kms_output *ko, struct kms_fb *fb, bool modeset, bool writeback,
	     drmModeAtomicReq *req)
{
	struct kms_device *dev = ko->device;
	struct atomic atomic = {.req = req};
	if (modeset) {
		add_modeset(ko, &atomic);
		/* The writeback connector joins the CRTC once, at modeset: routing it later would
		 * need a modeset every time a capture is asked for. */
		if (ko->uses_writeback)
			atomic_add(&atomic, ko->writeback_connector,
				   dev->writeback_props[CONN_CRTC_ID], ko->crtc_id);
	}
	if (ko->liftoff) {
		/* libliftoff fills in every plane: ours (composition) and the clients'. */
		if (atomic.failed ||
		    liftoff_layer_set_property(ko->composition_layer, "FB_ID", fb->fb_id) < 0 ||
		    liftoff_output_apply(ko->liftoff, req,
					 modeset ? DRM_MODE_ATOMIC_ALLOW_MODESET : 0) < 0)
			return false;
		goto fences;
	}
	atomic_add(&atomic, ko->plane->id, ko->plane->props[PLANE_FB_ID], fb->fb_id);
	atomic_add(&atomic, ko->plane->id, ko->plane->props[PLANE_CRTC_ID], ko->crtc_id);
	atomic_add(&atomic, ko->plane->id, ko->plane->props[PLANE_SRC_X], 0);
	atomic_add(&atomic, ko->plane->id, ko->plane->props[PLANE_SRC_Y], 0);
	atomic_add(&atomic, ko->plane->id, ko->plane->props[PLANE_SRC_W],
		   (uint64_t)ko->mode.hdisplay << 16);
	atomic_add(&atomic, ko->plane->id, ko->plane->props[PLANE_SRC_H],
		   (uint64_t)ko->mode.vdisplay << 16);
	atomic_add(&atomic, ko->plane->id, ko->plane->props[PLANE_CRTC_X], 0);
	atomic_add(&atomic, ko->plane->id, ko->plane->props[PLANE_CRTC_Y], 0);
	atomic_add(&atomic, ko->plane->id, ko->plane->props[PLANE_CRTC_W], ko->mode.hdisplay);
	atomic_add(&atomic, ko->plane->id, ko->plane->props[PLANE_CRTC_H], ko->mode.vdisplay);
fences:
	if (ko->crtc_props[CRTC_OUT_FENCE_PTR])
		atomic_add(&atomic, ko->crtc_id, ko->crtc_props[CRTC_OUT_FENCE_PTR],
			   (uint64_t)(uintptr_t)&ko->out_fence);
	if (writeback) {
		atomic_add(&atomic, ko->writeback_connector,
			   dev->writeback_props[CONN_WRITEBACK_FB_ID], ko->writeback_fb.fb_id);
		atomic_add(&atomic, ko->writeback_connector,
			   dev->writeback_props[CONN_WRITEBACK_OUT_FENCE_PTR],
			   (uint64_t)(uintptr_t)&ko->writeback_fence);
	}
	return !atomic.failed;
}

static bool
commit_injected_failure(struct kms_device *dev)
{
	dev->commits++;
	if (dev->commits < dev->fail_first || dev->commits >= dev->fail_first + dev->fail_count)
		return false;
	errno = EINVAL;
	return true;
}

/* A configuration change is tried with TEST_ONLY first; false if the kernel refuses it. */
static bool
test_modeset(struct kms_output *ko, drmModeAtomicReq *req)
{
	return drmModeAtomicCommit(ko->device->fd, req,
				   DRM_MODE_ATOMIC_TEST_ONLY | DRM_MODE_ATOMIC_ALLOW_MODESET,
				   NULL) == 0;
}

static bool
kms_submit_frame(struct sl_output *output, bool drew)
{
	struct kms_output *ko = kms_from_output(output);
	int index = drew ? (ko->front == 0 ? 1 : 0) : ko->front;
	if (index < 0)
		index = 0; /* nothing drawn yet: the cleared buffer */
	struct kms_fb *fb = &ko->fbs[index];
	bool modeset = !ko->modeset_done;
	bool writeback = ko->uses_writeback && output->readback_in_flight;
	uint32_t flags = DRM_MODE_PAGE_FLIP_EVENT | DRM_MODE_ATOMIC_NONBLOCK |
			 (modeset ? DRM_MODE_ATOMIC_ALLOW_MODESET : 0);
	ko->out_fence = -1;
	ko->writeback_fence = -1;

	drmModeAtomicReq *req = drmModeAtomicAlloc();
	if (!req)
		return false;
	bool ok = build_commit(ko, fb, modeset, writeback, req);
	if (ok && modeset && !test_modeset(ko, req) && ko->uses_writeback) {
		/* Some drivers cannot clone the display into the writeback connector: display
		 * without it, and capture from the scanout buffer instead. */
		log_warn("kms",
			 "%s: the CRTC cannot drive the writeback connector too (%s); "
			 "captures will read the scanout buffer",
			 output->name, strerror(errno));
		ko->uses_writeback = writeback = false;
		drmModeAtomicSetCursor(req, 0);
		ok = build_commit(ko, fb, modeset, writeback, req);
	}
	if (!ok) {
		log_error("kms", "%s: the driver lacks a property the commit needs", output->name);
	} else if (modeset && !test_modeset(ko, req)) {
		log_errno("kms", "%s: the kernel refuses the configuration (TEST_ONLY)",
			  output->name);
		ok = false;
	} else if (commit_injected_failure(ko->device) ||
		   drmModeAtomicCommit(ko->device->fd, req, flags, ko) < 0) {
		/* The previous configuration stays on screen; the loop tries again next frame. */
		log_errno("kms", "%s: atomic commit failed", output->name);
		ok = false;
	}
	drmModeAtomicFree(req);
	if (!ok) {
		fd_close(&ko->out_fence);
		fd_close(&ko->writeback_fence);
		/* Client buffers on planes are the usual suspects: the retry composes them. */
		for (int i = 0; i < ko->assigned.count; i++)
			kms_buffer_refuse(ko->assigned.buffers[i]);
		scanout_set_clear(&ko->assigned);
		return false;
	}
	scanout_set_move(&ko->in_flight, &ko->assigned);
	release_replaced_buffers(ko);

	ko->modeset_done = true;
	if (drew) {
		ko->frames_drawn++;
		fb->drawn_at = ko->frames_drawn;
	}
	ko->pending = index;
	/* This commit's out-fence signals when its buffer is replaced: the release point. */
	fd_close(&ko->release_fence);
	ko->release_fence = ko->out_fence;
	ko->out_fence = -1;
	ko->writeback_pending = writeback && ko->writeback_fence >= 0;
	return true;
}

static void kms_output_disable(struct kms_output *ko);

static void
kms_output_finish_frame(struct kms_output *ko)
{
	struct sl_output *output = ko->output;
	if (output->readback_in_flight) {
		if (ko->uses_writeback)
			sl_output_readback_done(output, ko->writeback_fb.map,
						ko->writeback_fb.pitch, ko->flip_time_ns,
						ko->flip_seq, "the writeback did not complete");
		else
			sl_output_readback_done(output, ko->fbs[ko->front].map,
						ko->fbs[ko->front].pitch, ko->flip_time_ns,
						ko->flip_seq, "no front buffer");
	}
	sl_output_presented(output, ko->flip_time_ns, ko->flip_seq);
	if (ko->unplugged)
		kms_output_disable(ko);
}

static int
handle_writeback_fence(int fd, uint32_t mask, void *data)
{
	struct kms_output *ko = data;
	/* The fence fd becomes readable when it signals. */
	wl_event_source_remove(ko->writeback_source);
	ko->writeback_source = NULL;
	fd_close(&ko->writeback_fence);
	ko->writeback_pending = false;
	kms_output_finish_frame(ko);
	return 0;
}

static void device_scan_connectors(struct kms_device *dev);

static void
handle_page_flip(int fd, unsigned int seq, unsigned int sec, unsigned int usec,
		 unsigned int crtc_id, void *data)
{
	struct kms_output *ko = data;
	if (ko->disabling) {
		/* The CRTC is off: nothing reads our buffers any more. */
		struct kms_device *dev = ko->device;
		sl_output_destroy(ko->output);
		/* The connector may have come back meanwhile. */
		device_scan_connectors(dev);
		return;
	}
	if (ko->pending >= 0)
		ko->front = ko->pending;
	ko->pending = -1;
	/* The buffers this flip replaced are no longer read by the display. */
	scanout_set_move(&ko->shown, &ko->in_flight);
	ko->flip_time_ns = (int64_t)sec * 1000000000 + (int64_t)usec * 1000;
	ko->flip_seq = seq;
	if (ko->writeback_pending) {
		/* Never block: the writeback fence is one more event source. */
		ko->writeback_source =
			wl_event_loop_add_fd(ko->device->server->loop, ko->writeback_fence,
					     WL_EVENT_READABLE, handle_writeback_fence, ko);
		if (ko->writeback_source)
			return;
		log_error("kms", "cannot wait for the writeback fence");
		fd_close(&ko->writeback_fence);
		ko->writeback_pending = false;
	}
	kms_output_finish_frame(ko);
}

static int
handle_drm_event(int fd, uint32_t mask, void *data)
{
	drmEventContext context = {
		.version = 3,
		.page_flip_handler2 = handle_page_flip,
	};
	if (drmHandleEvent(fd, &context) != 0)
		log_errno("kms", "drmHandleEvent");
	return 0;
}

static void
kms_output_destroy(struct sl_output *output)
{
	struct kms_output *ko = kms_from_output(output);
	int fd = ko->device->fd;
	struct sl_renderer *renderer = ko->device->server->renderer;
	if (ko->writeback_source)
		wl_event_source_remove(ko->writeback_source);
	fd_close(&ko->writeback_fence);
	fd_close(&ko->release_fence);
	scanout_set_clear(&ko->assigned);
	scanout_set_clear(&ko->in_flight);
	scanout_set_clear(&ko->shown);
	for (int i = 0; i < ko->n_layers; i++)
		liftoff_layer_destroy(ko->layers[i]);
	if (ko->composition_layer)
		liftoff_layer_destroy(ko->composition_layer);
	if (ko->liftoff)
		liftoff_output_destroy(ko->liftoff);
	for (int i = 0; i < 2; i++)
		fb_destroy(fd, renderer, &ko->fbs[i]);
	fb_destroy(fd, renderer, &ko->writeback_fb);
	if (ko->mode_blob)
		drmModeDestroyPropertyBlob(fd, ko->mode_blob);
	ko->device->used_crtcs &= ~(1u << ko->crtc_index);
	if (ko->uses_writeback)
		ko->device->writeback_claimed = false;
	wl_list_remove(&ko->link);
	free(ko);
}

/* ---- client buffers on planes ---- */

static void
layer_set_geometry(struct liftoff_layer *layer, int32_t x, int32_t y, int32_t w, int32_t h)
{
	liftoff_layer_set_property(layer, "CRTC_X", (uint64_t)x);
	liftoff_layer_set_property(layer, "CRTC_Y", (uint64_t)y);
	liftoff_layer_set_property(layer, "CRTC_W", (uint64_t)w);
	liftoff_layer_set_property(layer, "CRTC_H", (uint64_t)h);
	liftoff_layer_set_property(layer, "SRC_X", 0);
	liftoff_layer_set_property(layer, "SRC_Y", 0);
	liftoff_layer_set_property(layer, "SRC_W", (uint64_t)w << 16);
	liftoff_layer_set_property(layer, "SRC_H", (uint64_t)h << 16);
}

static bool
kms_assign_planes(struct sl_output *output, struct sl_plane_candidate *candidates, int count,
		  bool *composition)
{
	struct kms_output *ko = kms_from_output(output);
	struct sl_stats *stats = &ko->device->server->stats;
	*composition = true;
	scanout_set_clear(&ko->assigned);
	if (!ko->liftoff || count > KMS_MAX_LAYERS)
		return false;
	while (ko->n_layers < count) {
		ko->layers[ko->n_layers] = liftoff_layer_create(ko->liftoff);
		if (!ko->layers[ko->n_layers])
			return false;
		ko->n_layers++;
	}
	while (ko->n_layers > count)
		liftoff_layer_destroy(ko->layers[--ko->n_layers]);

	for (int i = 0; i < count; i++) {
		struct sl_plane_candidate *c = &candidates[i];
		struct liftoff_layer *layer = ko->layers[i];
		struct sl_buffer *buffer = c->surface->current.buffer;
		uint32_t fb_id = c->reason ? 0 : kms_buffer_fb_id(buffer);
		if (c->reason && buffer->type == SL_BUFFER_DMABUF)
			stats->scanout_refused_geometry++;
		else if (!c->reason && !fb_id) {
			c->reason = "format";
			stats->scanout_refused_format++;
		}
		/* Above the composition layer, in stacking order. */
		liftoff_layer_set_property(layer, "zpos", (uint64_t)i + 1);
		layer_set_geometry(layer, c->x, c->y, c->surface->geometry.width,
				   c->surface->geometry.height);
		/* Unsignalled (output.c dropped the rest): the kernel holds the flip for it. */
		if (fb_id && c->surface->buffer_fence >= 0)
			liftoff_layer_set_property(layer, "IN_FENCE_FD",
						   (uint64_t)c->surface->buffer_fence);
		else
			liftoff_layer_unset_property(layer, "IN_FENCE_FD");
		if (fb_id) {
			liftoff_layer_set_property(layer, "FB_ID", fb_id);
		} else {
			liftoff_layer_unset_property(layer, "FB_ID");
			liftoff_layer_set_fb_composited(layer);
		}
	}

	/* Try it: the composition layer shows the back buffer for now. */
	int back = ko->front == 0 ? 1 : 0;
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	if (!req)
		return false;
	bool modeset = !ko->modeset_done;
	struct atomic atomic = {.req = req};
	if (modeset)
		add_modeset(ko, &atomic);
	liftoff_layer_set_property(ko->composition_layer, "FB_ID", ko->fbs[back].fb_id);
	int ret = atomic.failed ? -1
				: liftoff_output_apply(ko->liftoff, req,
						       modeset ? DRM_MODE_ATOMIC_ALLOW_MODESET : 0);
	drmModeAtomicFree(req);
	if (ret < 0) {
		log_debug("kms", "%s: no plane allocation (%d): composing everything", output->name,
			  ret);
		for (int i = 0; i < count; i++)
			liftoff_layer_set_fb_composited(ko->layers[i]);
		return false;
	}
	for (int i = 0; i < count; i++) {
		struct sl_plane_candidate *c = &candidates[i];
		struct liftoff_layer *layer = ko->layers[i];
		c->on_plane = !c->reason && liftoff_layer_get_plane(layer) &&
			      !liftoff_layer_needs_composition(layer);
		if (c->on_plane) {
			struct sl_buffer *buffer = c->surface->current.buffer;
			sl_buffer_scanout_lock(buffer);
			ko->assigned.buffers[ko->assigned.count++] = buffer;
			if (c->surface->buffer_fence >= 0)
				stats->fences_to_kms++;
		} else if (!c->reason) {
			c->reason = "planes";
			stats->scanout_refused_planes++;
		}
	}
	/*
	 * Our own reading: libliftoff 0.3 counts its composition layer as a layer that "needs
	 * composition" whenever it is left off the planes, which is exactly when none is needed.
	 */
	bool all_on_planes = count > 0;
	for (int i = 0; i < count; i++)
		all_on_planes = all_on_planes && candidates[i].on_plane;
	*composition = !all_on_planes;
	return true;
}

/*
 * Off: the CRTC goes inactive and keeps its mode and planes (DPMS off in atomic terms), so the
 * monitor can sleep. On: the next frame is a full modeset again. Not blocking: a frame that
 * comes while the kernel still turns the CRTC off fails with EBUSY and is retried a refresh
 * later, like any failed commit.
 */
static bool
kms_set_power(struct sl_output *output, bool on)
{
	struct kms_output *ko = kms_from_output(output);
	if (on) {
		ko->modeset_done = false;
		return true;
	}
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	if (!req)
		return false;
	struct atomic atomic = {.req = req};
	atomic_add(&atomic, ko->crtc_id, ko->crtc_props[CRTC_ACTIVE], 0);
	bool ok = !atomic.failed &&
		  drmModeAtomicCommit(ko->device->fd, req,
				      DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_ATOMIC_ALLOW_MODESET,
				      NULL) == 0;
	if (!ok)
		log_errno("kms", "%s: cannot turn the CRTC off", output->name);
	drmModeAtomicFree(req);
	return ok;
}

static const struct sl_output_impl kms_output_impl = {
	.begin_frame = kms_begin_frame,
	.submit_frame = kms_submit_frame,
	.destroy = kms_output_destroy,
	.assign_planes = kms_assign_planes,
	.set_power = kms_set_power,
};

/* ---- discovery ---- */

static int32_t
mode_refresh_mhz(const drmModeModeInfo *mode)
{
	if (!mode->htotal || !mode->vtotal)
		return 0;
	return (int32_t)(((uint64_t)mode->clock * 1000000 / mode->htotal + mode->vtotal / 2) /
			 mode->vtotal);
}

static bool
pick_mode(drmModeConnector *connector, const struct kms_options *options, drmModeModeInfo *out)
{
	const drmModeModeInfo *best = NULL;
	for (int i = 0; i < connector->count_modes; i++) {
		const drmModeModeInfo *m = &connector->modes[i];
		if (options->has_mode) {
			if (m->hdisplay != options->width || m->vdisplay != options->height)
				continue;
			int32_t diff = mode_refresh_mhz(m) - options->refresh_mhz;
			if (options->refresh_mhz && (diff < -500 || diff > 500))
				continue;
			if (!best || mode_refresh_mhz(m) > mode_refresh_mhz(best))
				best = m;
		} else if (m->type & DRM_MODE_TYPE_PREFERRED) {
			best = m;
			break;
		}
	}
	if (!best && !options->has_mode && connector->count_modes > 0)
		best = &connector->modes[0];
	if (best)
		*out = *best;
	return best != NULL;
}

/* The CRTC indices a connector can drive, through any of its encoders. */
static uint32_t
connector_possible_crtcs(int fd, drmModeConnector *connector)
{
	uint32_t crtcs = 0;
	for (int i = 0; i < connector->count_encoders; i++) {
		drmModeEncoder *encoder = drmModeGetEncoder(fd, connector->encoders[i]);
		if (encoder)
			crtcs |= encoder->possible_crtcs;
		drmModeFreeEncoder(encoder);
	}
	return crtcs;
}

/* Reads every plane's type, CRTCs and IN_FORMATS once. */
static bool
device_read_planes(struct kms_device *dev)
{
	drmModePlaneRes *res = drmModeGetPlaneResources(dev->fd);
	if (!res)
		return false;
	dev->planes = calloc(res->count_planes ? res->count_planes : 1, sizeof(*dev->planes));
	if (!dev->planes) {
		drmModeFreePlaneResources(res);
		return false;
	}
	int kinds[3] = {0};
	for (uint32_t i = 0; i < res->count_planes; i++) {
		drmModePlane *plane = drmModeGetPlane(dev->fd, res->planes[i]);
		if (!plane)
			continue;
		struct kms_plane *p = &dev->planes[dev->n_planes++];
		p->id = plane->plane_id;
		p->possible_crtcs = plane->possible_crtcs;
		drmModeFreePlane(plane);
		uint64_t values[PLANE_PROP_COUNT] = {0};
		props_get(dev->fd, p->id, DRM_MODE_OBJECT_PLANE, plane_prop_names, PLANE_PROP_COUNT,
			  p->props, values);
		p->type = values[PLANE_TYPE];
		if (p->type < 3)
			kinds[p->type]++;
		plane_read_formats(dev->fd, p->props[PLANE_IN_FORMATS], values[PLANE_IN_FORMATS],
				   &p->formats, &p->n_formats);
		log_debug("kms",
			  "plane %u: type %" PRIu64 ", CRTCs 0x%x, %zu format/modifier pairs",
			  p->id, p->type, p->possible_crtcs, p->n_formats);
	}
	drmModeFreePlaneResources(res);
	log_info("kms", "%s: %d primary, %d overlay, %d cursor planes", dev->path,
		 kinds[DRM_PLANE_TYPE_PRIMARY], kinds[DRM_PLANE_TYPE_OVERLAY],
		 kinds[DRM_PLANE_TYPE_CURSOR]);
	return true;
}

static const struct kms_plane *
find_primary_plane(struct kms_device *dev, unsigned crtc_index)
{
	for (size_t i = 0; i < dev->n_planes; i++)
		if (dev->planes[i].type == DRM_PLANE_TYPE_PRIMARY &&
		    (dev->planes[i].possible_crtcs & (1u << crtc_index)))
			return &dev->planes[i];
	return NULL;
}

static void
mode_list(drmModeConnector *connector, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < connector->count_modes && i < 6 && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%dx%d@%d", i ? ", " : "",
					connector->modes[i].hdisplay, connector->modes[i].vdisplay,
					(mode_refresh_mhz(&connector->modes[i]) + 500) / 1000);
}

static void
connector_name(drmModeConnector *connector, char *name, size_t size)
{
	const char *type = drmModeGetConnectorTypeName(connector->connector_type);
	snprintf(name, size, "%s-%u", type ? type : "Unknown", connector->connector_type_id);
}

static void
connector_mode_error(struct kms_device *dev, drmModeConnector *connector,
		     const struct kms_options *options, char *err, size_t err_size)
{
	char name[32], modes[128];
	connector_name(connector, name, sizeof(name));
	mode_list(connector, modes, sizeof(modes));
	if (options->has_mode)
		snprintf(err, err_size, "%s: %s has no mode %dx%d%s (it offers %s)", dev->path,
			 name, options->width, options->height, options->refresh_mhz ? "@.." : "",
			 modes);
	else
		snprintf(err, err_size, "%s: %s offers no mode", dev->path, name);
}

static struct kms_output *
output_create(struct kms_device *dev, drmModeRes *res, drmModeConnector *connector,
	      const struct kms_options *options, char *err, size_t err_size)
{
	char name[32];
	connector_name(connector, name, sizeof(name));

	drmModeModeInfo mode;
	if (!pick_mode(connector, options, &mode)) {
		char modes[128];
		mode_list(connector, modes, sizeof(modes));
		snprintf(err, err_size, "%s: %s has no mode %dx%d%s (it offers %s)", dev->path,
			 name, options->width, options->height, options->refresh_mhz ? "@.." : "",
			 modes);
		return NULL;
	}
	uint32_t possible = connector_possible_crtcs(dev->fd, connector) & ~dev->used_crtcs;
	int crtc_index = -1;
	for (int i = 0; i < res->count_crtcs && crtc_index < 0; i++)
		if (possible & (1u << i))
			crtc_index = i;
	if (crtc_index < 0) {
		snprintf(err, err_size, "%s: no free CRTC for %s", dev->path, name);
		return NULL;
	}

	struct sl_renderer *renderer = dev->server->renderer;
	struct kms_output *ko = calloc(1, sizeof(*ko));
	if (!ko) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	ko->device = dev;
	ko->connector_id = connector->connector_id;
	ko->crtc_index = (unsigned)crtc_index;
	ko->crtc_id = res->crtcs[crtc_index];
	ko->mode = mode;
	ko->front = ko->pending = -1;
	ko->out_fence = ko->release_fence = ko->writeback_fence = -1;
	wl_list_init(&ko->link);
	ko->plane = find_primary_plane(dev, ko->crtc_index);
	props_get(dev->fd, ko->connector_id, DRM_MODE_OBJECT_CONNECTOR, connector_prop_names,
		  CONN_PROP_COUNT, ko->connector_props, NULL);
	props_get(dev->fd, ko->crtc_id, DRM_MODE_OBJECT_CRTC, crtc_prop_names, CRTC_PROP_COUNT,
		  ko->crtc_props, NULL);
	if (!ko->plane) {
		snprintf(err, err_size, "%s: no primary plane for %s", dev->path, name);
		goto err;
	}
	/* Drivers without IN_FORMATS take at least linear XRGB8888 on the primary plane. */
	if (ko->plane->formats && !formats_contain(ko->plane->formats, ko->plane->n_formats,
						   DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID)) {
		snprintf(err, err_size, "%s: the primary plane of %s cannot scan out XRGB8888",
			 dev->path, name);
		goto err;
	}
	if (drmModeCreatePropertyBlob(dev->fd, &ko->mode, sizeof(ko->mode), &ko->mode_blob) < 0) {
		snprintf(err, err_size, "%s: cannot create the mode blob: %s", dev->path,
			 strerror(errno));
		goto err;
	}

	for (int i = 0; i < 2; i++) {
		if (!scanout_fb_create(dev->fd, renderer, mode.hdisplay, mode.vdisplay,
				       &ko->fbs[i])) {
			snprintf(err, err_size, "%s: cannot allocate scanout buffers", dev->path);
			goto err;
		}
	}
	if (dev->liftoff) {
		/* Our own buffer is the composition layer, at the bottom, covering the mode. */
		ko->liftoff = liftoff_output_create(dev->liftoff, ko->crtc_id);
		ko->composition_layer = ko->liftoff ? liftoff_layer_create(ko->liftoff) : NULL;
		if (ko->composition_layer) {
			layer_set_geometry(ko->composition_layer, 0, 0, mode.hdisplay,
					   mode.vdisplay);
			liftoff_layer_set_property(ko->composition_layer, "zpos", 0);
			liftoff_layer_set_property(ko->composition_layer, "FB_ID",
						   ko->fbs[0].fb_id);
			liftoff_output_set_composition_layer(ko->liftoff, ko->composition_layer);
		} else {
			log_warn("kms", "%s: libliftoff cannot drive this CRTC: no direct scanout",
				 name);
			if (ko->liftoff)
				liftoff_output_destroy(ko->liftoff);
			ko->liftoff = NULL;
		}
	}
	ko->uses_writeback = dev->writeback_connector && !dev->writeback_claimed &&
			     (dev->writeback_crtcs & (1u << ko->crtc_index)) &&
			     fb_create(dev->fd, mode.hdisplay, mode.vdisplay, &ko->writeback_fb);
	if (ko->uses_writeback) {
		/* A writeback connector serves one CRTC at a time: the first output gets it. */
		ko->writeback_connector = dev->writeback_connector;
		dev->writeback_claimed = true;
	}

	ko->output = sl_output_create(dev->server, &kms_output_impl, name, mode.hdisplay,
				      mode.vdisplay, mode_refresh_mhz(&mode));
	if (!ko->output) {
		snprintf(err, err_size, "cannot create output %s", name);
		goto err;
	}
	ko->output->backend_data = ko;
	ko->output->model = dev->driver;
	/* The flip event's timestamp is the kernel's vblank time, and the flip tells completion. */
	ko->output->presentation_flags =
		SL_PRESENT_VSYNC | SL_PRESENT_HW_CLOCK | SL_PRESENT_HW_COMPLETION;
	dev->used_crtcs |= 1u << ko->crtc_index;
	wl_list_insert(dev->outputs.prev, &ko->link);
	log_info("kms", "%s on %s: CRTC %u, plane %u, mode %s%s", name, dev->path, ko->crtc_id,
		 ko->plane->id, mode.name, ko->uses_writeback ? ", writeback capture" : "");
	sl_output_damage_whole(ko->output);
	return ko;

err:
	for (int i = 0; i < 2; i++)
		fb_destroy(dev->fd, renderer, &ko->fbs[i]);
	fb_destroy(dev->fd, renderer, &ko->writeback_fb);
	if (ko->mode_blob)
		drmModeDestroyPropertyBlob(dev->fd, ko->mode_blob);
	free(ko);
	return NULL;
}

static void
find_writeback(struct kms_device *dev, drmModeRes *res)
{
	for (int i = 0; i < res->count_connectors; i++) {
		drmModeConnector *c = drmModeGetConnector(dev->fd, res->connectors[i]);
		if (c && c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK) {
			dev->writeback_connector = c->connector_id;
			dev->writeback_crtcs = connector_possible_crtcs(dev->fd, c);
			props_get(dev->fd, c->connector_id, DRM_MODE_OBJECT_CONNECTOR,
				  connector_prop_names, CONN_PROP_COUNT, dev->writeback_props,
				  NULL);
		}
		drmModeFreeConnector(c);
		if (dev->writeback_connector)
			return;
	}
}

/* /dev/dri/card0 to card15 are looked at. */
#define KMS_MAX_CARDS 16

/* The path of /dev/dri/cardN into path; false if it does not exist. */
static bool
card_path(int n, char *path, size_t size)
{
	snprintf(path, size, "/dev/dri/card%d", n);
	return access(path, F_OK) == 0;
}

bool
kms_any_card(void)
{
	char path[32];
	for (int i = 0; i < KMS_MAX_CARDS; i++)
		if (card_path(i, path, sizeof(path)))
			return true;
	return false;
}

/* Linux's major number of DRM device nodes (card*, renderD*). */
#define DRM_CHAR_MAJOR 226

static void
device_close(struct sl_session *session, int fd)
{
	if (session)
		session_close_device(session, fd);
	else
		close(fd);
}

/*
 * Opens path, through the session if there is one (which makes us master of it while the
 * session is active), if it is a KMS device we can drive; err says why not.
 */
static int
open_kms(struct sl_session *session, const char *path, char *driver, size_t driver_size, char *err,
	 size_t err_size)
{
	/* A session opens device nodes only, and what it refuses it calls missing. */
	struct stat st;
	if (stat(path, &st) < 0) {
		snprintf(err, err_size, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != DRM_CHAR_MAJOR) {
		snprintf(err, err_size, "%s is not a DRM device", path);
		return -1;
	}
	int fd = session ? session_open_device(session, path) : open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, err_size, "cannot open %s: %s", path,
			 strerror(session ? -fd : errno));
		return -1;
	}
	drmVersionPtr version = drmGetVersion(fd);
	snprintf(driver, driver_size, "%s", version ? version->name : "unknown");
	drmFreeVersion(version);
	drmModeRes *res = drmModeGetResources(fd);
	bool kms = res && res->count_crtcs > 0 && res->count_connectors > 0;
	drmModeFreeResources(res);
	if (!kms) {
		snprintf(err, err_size, "%s (%s) is not a display device", path, driver);
		device_close(session, fd);
		return -1;
	}
	if (drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) < 0 ||
	    drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1) < 0) {
		snprintf(err, err_size, "%s (%s) does not support atomic modesetting", path,
			 driver);
		device_close(session, fd);
		return -1;
	}
	if (!drmIsMaster(fd) && drmSetMaster(fd) < 0) {
		snprintf(err, err_size,
			 "%s: DRM master is held by another process (is another compositor "
			 "running?)",
			 path);
		device_close(session, fd);
		return -1;
	}
	return fd;
}

/* libliftoff's messages, on our log. */
static void __attribute__((format(printf, 2, 0)))
liftoff_log(enum liftoff_log_priority priority, const char *fmt, va_list args)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, args);
	if (priority == LIFTOFF_ERROR)
		log_warn("liftoff", "%s", line);
	else
		log_debug("liftoff", "%s", line);
}

/* ---- client dma-bufs as framebuffers ---- */

/* A client buffer's KMS framebuffer, kept for as long as the buffer (found by its listener). */
struct kms_dmabuf_fb {
	struct kms_device *device;
	struct wl_list link;
	struct wl_listener destroy; /* on sl_buffer.events.destroy */
	uint32_t fb_id;
	/*
	 * A real commit with it on a plane failed although TEST_ONLY passed (drivers map buffers
	 * only then: vkms cannot map a udmabuf): compose it from now on.
	 */
	bool refused;
};

static void
dmabuf_fb_destroy(struct kms_dmabuf_fb *fb)
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
	dmabuf_fb_destroy(fb);
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

static void
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
static void
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
static void
device_publish_dmabuf_info(struct kms_device *dev)
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
}

/* ---- connector hotplug ---- */

/*
 * Turns the CRTC of an unplugged output off with every plane on it (and the writeback connector
 * routed to it), without blocking: the output is destroyed when that commit's event comes. If
 * the kernel refuses, it is destroyed now; its buffers' removal then turns the planes off.
 */
static void
kms_output_disable(struct kms_output *ko)
{
	struct kms_device *dev = ko->device;
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	struct atomic atomic = {.req = req, .failed = !req};
	atomic_add(&atomic, ko->connector_id, ko->connector_props[CONN_CRTC_ID], 0);
	atomic_add(&atomic, ko->crtc_id, ko->crtc_props[CRTC_ACTIVE], 0);
	atomic_add(&atomic, ko->crtc_id, ko->crtc_props[CRTC_MODE_ID], 0);
	if (ko->uses_writeback)
		atomic_add(&atomic, ko->writeback_connector, dev->writeback_props[CONN_CRTC_ID], 0);
	for (size_t i = 0; i < dev->n_planes; i++) {
		drmModePlane *plane = drmModeGetPlane(dev->fd, dev->planes[i].id);
		if (plane && plane->crtc_id == ko->crtc_id) {
			atomic_add(&atomic, plane->plane_id, dev->planes[i].props[PLANE_FB_ID], 0);
			atomic_add(&atomic, plane->plane_id, dev->planes[i].props[PLANE_CRTC_ID],
				   0);
		}
		drmModeFreePlane(plane);
	}
	if (!atomic.failed &&
	    drmModeAtomicCommit(dev->fd, req,
				DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_ATOMIC_ALLOW_MODESET |
					DRM_MODE_PAGE_FLIP_EVENT,
				ko) == 0) {
		ko->disabling = true;
	} else {
		log_errno("kms", "%s: cannot turn the CRTC off", ko->output->name);
		sl_output_destroy(ko->output);
	}
	drmModeAtomicFree(req);
}

static void
kms_output_unplug(struct kms_output *ko)
{
	log_info("kms", "%s disconnected", ko->output->name);
	ko->unplugged = true;
	sl_output_set_paused(ko->output, true);
	/* With a frame in flight, kms_output_finish_frame disables it after the flip. */
	if (ko->pending < 0 && !ko->writeback_pending)
		kms_output_disable(ko);
}

/* A display connected to it (writeback connectors are not displays). */
static bool
connector_shows(const drmModeConnector *c)
{
	return c && c->connection == DRM_MODE_CONNECTED &&
	       c->connector_type != DRM_MODE_CONNECTOR_WRITEBACK;
}

/* Connected, a display, and the one --output names if it names one. */
static bool
connector_wanted(struct kms_device *dev, drmModeConnector *c)
{
	if (!connector_shows(c))
		return false;
	if (!dev->options.output)
		return true;
	char name[32];
	connector_name(c, name, sizeof(name));
	return strcmp(name, dev->options.output) == 0;
}

static bool
connector_has_output(struct kms_device *dev, uint32_t connector_id)
{
	struct kms_output *ko;
	wl_list_for_each (ko, &dev->outputs, link)
		if (ko->connector_id == connector_id)
			return true;
	return false;
}

/*
 * Outputs for what is connected now, none for what is not. drmModeGetConnector probes the
 * connector: after a hotplug uevent the kernel has detected it already, this reads the modes.
 */
static void
device_scan_connectors(struct kms_device *dev)
{
	if (dev->session && !dev->session->active) {
		dev->rescan_pending = true;
		return;
	}
	dev->rescan_pending = false;
	struct kms_output *ko, *tmp;
	wl_list_for_each_safe (ko, tmp, &dev->outputs, link) {
		if (ko->unplugged)
			continue;
		drmModeConnector *c = drmModeGetConnector(dev->fd, ko->connector_id);
		bool connected = c && c->connection == DRM_MODE_CONNECTED;
		drmModeFreeConnector(c);
		if (!connected)
			kms_output_unplug(ko);
	}
	drmModeRes *res = drmModeGetResources(dev->fd);
	if (!res) {
		log_errno("kms", "%s: cannot read KMS resources", dev->path);
		return;
	}
	for (int i = 0; i < res->count_connectors; i++) {
		/* One still being turned off comes back once it is (handle_page_flip). */
		if (connector_has_output(dev, res->connectors[i]))
			continue;
		drmModeConnector *c = drmModeGetConnector(dev->fd, res->connectors[i]);
		if (connector_wanted(dev, c)) {
			char name[32], err[256];
			connector_name(c, name, sizeof(name));
			log_info("kms", "%s connected", name);
			if (!output_create(dev, res, c, &dev->options, err, sizeof(err)))
				log_error("kms", "%s", err);
		}
		drmModeFreeConnector(c);
	}
	drmModeFreeResources(res);
}

static int
handle_uevent(int fd, uint32_t mask, void *data)
{
	struct kms_device *dev = data;
	struct udev_device *device = udev_monitor_receive_device(dev->monitor);
	if (!device)
		return 0;
	const char *action = udev_device_get_action(device);
	/* A card says HOTPLUG=1 when a connector changed; any change of ours is worth a look. */
	if (action && strcmp(action, "change") == 0 &&
	    udev_device_get_devnum(device) == dev->devnum)
		device_scan_connectors(dev);
	udev_device_unref(device);
	return 0;
}

/*
 * Listens for the card's uevents: from udevd once it has processed them, or straight from the
 * kernel where no udevd runs (containers, the test VM), which then means as root.
 */
static void
device_watch_hotplug(struct kms_device *dev)
{
	const char *source = access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel";
	dev->udev = udev_new();
	dev->monitor = dev->udev ? udev_monitor_new_from_netlink(dev->udev, source) : NULL;
	if (!dev->monitor ||
	    udev_monitor_filter_add_match_subsystem_devtype(dev->monitor, "drm", "drm_minor") < 0 ||
	    udev_monitor_enable_receiving(dev->monitor) < 0 ||
	    !(dev->monitor_source =
		      wl_event_loop_add_fd(dev->server->loop, udev_monitor_get_fd(dev->monitor),
					   WL_EVENT_READABLE, handle_uevent, dev))) {
		log_warn("kms", "no connector hotplug: cannot listen for %s uevents", source);
		return;
	}
	log_debug("kms", "connector hotplug from %s uevents", source);
}

/*
 * The session went away: master is about to be taken, so no frame is made until it is back.
 * It came back: another master may have changed anything (mode, planes, CRTC off), so each
 * output's next frame is a full modeset that sets every property we use.
 */
static void
handle_session_active(struct wl_listener *listener, void *data)
{
	struct kms_device *dev = wl_container_of(listener, dev, session_active);
	bool active = dev->session->active;
	struct kms_output *ko;
	wl_list_for_each (ko, &dev->outputs, link) {
		if (ko->unplugged)
			continue;
		if (active)
			ko->modeset_done = false;
		sl_output_set_paused(ko->output, !active);
	}
	if (active && dev->rescan_pending)
		device_scan_connectors(dev);
}

/* err for --output NAME when NAME is not among the connected connectors, which it lists. */
static void
connector_missing_error(struct kms_device *dev, drmModeRes *res, const char *output, char *err,
			size_t err_size)
{
	char connected[160] = "";
	size_t len = 0;
	for (int i = 0; i < res->count_connectors; i++) {
		drmModeConnector *c = drmModeGetConnector(dev->fd, res->connectors[i]);
		if (connector_shows(c) && len < sizeof(connected)) {
			char name[32];
			connector_name(c, name, sizeof(name));
			len += (size_t)snprintf(connected + len, sizeof(connected) - len, "%s%s",
						len ? ", " : "", name);
		}
		drmModeFreeConnector(c);
	}
	snprintf(err, err_size, "%s: no connected connector %s (connected: %s)", dev->path, output,
		 len ? connected : "none");
}

struct kms_device *
kms_device_create(struct sl_server *server, struct sl_session *session,
		  const struct kms_options *options, char *err, size_t err_size)
{
	struct kms_device *dev = calloc(1, sizeof(*dev));
	if (!dev) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	dev->server = server;
	dev->options = *options;
	dev->session = session;
	dev->fd = -1;
	wl_list_init(&dev->outputs);
	wl_list_init(&dev->dmabuf_fbs);
	const char *fail = getenv("SLUICE_KMS_FAIL_COMMITS");
	if (fail && sscanf(fail, "%" SCNu64 ":%" SCNu64, &dev->fail_first, &dev->fail_count) == 2)
		log_warn("kms",
			 "test fault injection: commits %" PRIu64 " to %" PRIu64 " will fail",
			 dev->fail_first, dev->fail_first + dev->fail_count - 1);
	else
		dev->fail_first = dev->fail_count = 0;

	if (options->device) {
		snprintf(dev->path, sizeof(dev->path), "%s", options->device);
		dev->fd = open_kms(dev->session, dev->path, dev->driver, sizeof(dev->driver), err,
				   err_size);
	} else {
		snprintf(err, err_size, "no KMS device in /dev/dri");
		for (int i = 0; i < KMS_MAX_CARDS && dev->fd < 0; i++) {
			char path[64], why[256];
			if (!card_path(i, path, sizeof(path)))
				continue;
			dev->fd = open_kms(dev->session, path, dev->driver, sizeof(dev->driver),
					   why, sizeof(why));
			if (dev->fd >= 0)
				snprintf(dev->path, sizeof(dev->path), "%s", path);
			else
				log_debug("kms", "skipping %s", why);
		}
	}
	if (dev->fd < 0)
		goto err;

	uint64_t monotonic = 0;
	if (drmGetCap(dev->fd, DRM_CAP_TIMESTAMP_MONOTONIC, &monotonic) < 0 || !monotonic) {
		snprintf(err, err_size, "%s: the driver's timestamps are not CLOCK_MONOTONIC",
			 dev->path);
		goto err;
	}
	bool writeback = drmSetClientCap(dev->fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1) == 0;
	drmModeRes *res = drmModeGetResources(dev->fd);
	if (!res) {
		snprintf(err, err_size, "%s: cannot read KMS resources", dev->path);
		goto err;
	}
	if (writeback)
		find_writeback(dev, res);

	/* Every connected connector needs a mode before anything is allocated or GL starts. */
	bool failed = false, any = false;
	for (int i = 0; i < res->count_connectors && !failed; i++) {
		drmModeConnector *c = drmModeGetConnector(dev->fd, res->connectors[i]);
		drmModeModeInfo mode;
		if (connector_wanted(dev, c)) {
			any = true;
			if (!pick_mode(c, options, &mode)) {
				connector_mode_error(dev, c, options, err, err_size);
				failed = true;
			}
		}
		drmModeFreeConnector(c);
	}
	/* Only now: listing the connected ones probes every connector again. */
	if (!any && options->output)
		connector_missing_error(dev, res, options->output, err, err_size);
	else if (!any)
		snprintf(err, err_size, "%s: no connected connector", dev->path);
	if (failed || !any) {
		drmModeFreeResources(res);
		goto err;
	}

	if (!device_read_planes(dev)) {
		snprintf(err, err_size, "%s: cannot read the planes", dev->path);
		drmModeFreeResources(res);
		goto err;
	}
	if (!server->options.no_scanout) {
		liftoff_log_set_handler(liftoff_log);
		/* Its debug output is a page per frame: only with SLUICE_LIFTOFF_DEBUG set. */
		liftoff_log_set_priority(getenv("SLUICE_LIFTOFF_DEBUG") ? LIFTOFF_DEBUG
									: LIFTOFF_ERROR);
		dev->liftoff = liftoff_device_create(dev->fd);
		if (dev->liftoff && liftoff_device_register_all_planes(dev->liftoff) < 0) {
			liftoff_device_destroy(dev->liftoff);
			dev->liftoff = NULL;
		}
		if (!dev->liftoff)
			log_warn("kms", "libliftoff cannot use %s: every frame is composited",
				 dev->path);
	}

	if (options->choose_renderer) {
		struct sl_renderer *renderer = NULL;
		if (!options->choose_renderer(options->choose_renderer_data, dev->fd, dev->path,
					      &renderer, err, err_size)) {
			drmModeFreeResources(res);
			goto err;
		}
		if (renderer) {
			dev->previous_renderer = server->renderer;
			renderer->stats = &server->stats;
			server->renderer = renderer;
		}
	}
	failed = false;
	for (int i = 0; i < res->count_connectors && !failed; i++) {
		drmModeConnector *c = drmModeGetConnector(dev->fd, res->connectors[i]);
		if (connector_wanted(dev, c))
			failed = !output_create(dev, res, c, options, err, err_size);
		drmModeFreeConnector(c);
	}
	drmModeFreeResources(res);
	if (failed || wl_list_empty(&dev->outputs))
		goto err;

	dev->source = wl_event_loop_add_fd(server->loop, dev->fd, WL_EVENT_READABLE,
					   handle_drm_event, dev);
	if (!dev->source) {
		snprintf(err, err_size, "cannot watch %s", dev->path);
		goto err;
	}
	struct stat st;
	if (fstat(dev->fd, &st) == 0) {
		dev->devnum = st.st_rdev;
		device_watch_hotplug(dev);
	}
	if (dev->session) {
		dev->session_active.notify = handle_session_active;
		wl_signal_add(&dev->session->active_changed, &dev->session_active);
	}
	device_publish_dmabuf_info(dev);
	log_info("kms", "using %s (%s)", dev->path, dev->driver);
	return dev;

err:
	kms_device_destroy(dev);
	return NULL;
}

void
kms_device_destroy(struct kms_device *dev)
{
	if (!dev)
		return;
	if (dev->monitor_source)
		wl_event_source_remove(dev->monitor_source);
	if (dev->monitor)
		udev_monitor_unref(dev->monitor);
	if (dev->udev)
		udev_unref(dev->udev);
	struct kms_output *ko, *tmp;
	wl_list_for_each_safe (ko, tmp, &dev->outputs, link)
		sl_output_destroy(ko->output);
	if (dev->source)
		wl_event_source_remove(dev->source);
	struct kms_dmabuf_fb *fb, *fb_tmp;
	wl_list_for_each_safe (fb, fb_tmp, &dev->dmabuf_fbs, link)
		dmabuf_fb_destroy(fb);
	if (dev->liftoff)
		liftoff_device_destroy(dev->liftoff);
	if (dev->server->backend_import_dmabuf == kms_import_dmabuf) {
		dev->server->backend_import_dmabuf = NULL;
		dev->server->has_main_device = false;
		dev->server->main_device_fd = -1;
	}
	if (dev->previous_renderer) {
		/* Our renderer lives on our device: it goes with it. */
		dev->server->renderer->impl->destroy(dev->server->renderer);
		dev->server->renderer = dev->previous_renderer;
	}
	for (size_t i = 0; i < dev->n_planes; i++)
		free(dev->planes[i].formats);
	free(dev->planes);
	if (dev->session_active.notify)
		wl_list_remove(&dev->session_active.link);
	if (dev->fd >= 0)
		device_close(dev->session, dev->fd);
	free(dev);
}
