/*
 * One output per connected connector: its mode, CRTC and primary plane, its two scanout
 * buffers, and the frame loop. Every frame is one non-blocking atomic commit with
 * DRM_MODE_PAGE_FLIP_EVENT: the flip event's timestamp and sequence drive the repaint loop and
 * the presentation feedback. Commits that change the configuration (the first modeset) are
 * tried with TEST_ONLY first. Fences, as the kernel hands them to us:
 *   CRTC OUT_FENCE_PTR          → signals when this commit's buffers left the screen (kept for
 *                                 release fences);
 *   WRITEBACK_OUT_FENCE_PTR     → signals when the writeback connector has copied the frame the
 *                                 CRTC produced into our buffer (writeback.c).
 */
#include <errno.h>
#include <poll.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <drm_fourcc.h>
#include <libliftoff.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <wayland-server-protocol.h>

#include "backends/kms/kms-internal.h"
#include "core/output.h"
#include "core/renderer.h"
#include "core/server.h"
#include "core/timer.h"
#include "fd.h"
#include "log.h"

struct kms_output *
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
void
kms_add_modeset(struct kms_output *ko, struct atomic *atomic)
{
	atomic_add(atomic, ko->connector_id, ko->connector_props[CONN_CRTC_ID], ko->crtc_id);
	atomic_add(atomic, ko->crtc_id, ko->crtc_props[CRTC_ACTIVE], 1);
	atomic_add(atomic, ko->crtc_id, ko->crtc_props[CRTC_MODE_ID], ko->mode_blob);
}

/* Fills an atomic request for showing fb; false if the driver lacks a property it needs. */
static bool
build_commit(struct kms_output *ko, struct kms_fb *fb, int render_fence, bool modeset,
	     bool writeback, drmModeAtomicReq *req)
{
	struct atomic atomic = {.req = req};
	/* The kernel holds the flip until the renderer is done: sluice never waits for the GPU. */
	uint32_t in_fence_prop = ko->plane->props[PLANE_IN_FENCE_FD];
	bool in_fence = render_fence >= 0 && in_fence_prop;
	if (modeset) {
		kms_add_modeset(ko, &atomic);
		kms_writeback_add_route(ko, &atomic);
	}
	if (ko->liftoff) {
		/* libliftoff fills in every plane: ours (composition) and the clients'. */
		if (in_fence)
			liftoff_layer_set_property(ko->composition_layer, "IN_FENCE_FD",
						   (uint64_t)render_fence);
		else
			liftoff_layer_unset_property(ko->composition_layer, "IN_FENCE_FD");
		if (atomic.failed ||
		    liftoff_layer_set_property(ko->composition_layer, "FB_ID", fb->fb_id) < 0)
			return false;
		if (ko->steady && !modeset)
			kms_add_steady_planes(ko, &atomic, fb->fb_id, in_fence ? render_fence : -1);
		else if (liftoff_output_apply(ko->liftoff, req,
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
	if (in_fence)
		atomic_add(&atomic, ko->plane->id, in_fence_prop, (uint64_t)render_fence);
fences:
	if (ko->crtc_props[CRTC_OUT_FENCE_PTR])
		atomic_add(&atomic, ko->crtc_id, ko->crtc_props[CRTC_OUT_FENCE_PTR],
			   (uint64_t)(uintptr_t)&ko->out_fence);
	if (writeback)
		kms_writeback_add_capture(ko, &atomic);
	return !atomic.failed;
}

/* A configuration change is tried with TEST_ONLY first; false if the kernel refuses it. */
static bool
test_modeset(struct kms_output *ko, drmModeAtomicReq *req)
{
	return drmModeAtomicCommit(ko->device->fd, req,
				   DRM_MODE_ATOMIC_TEST_ONLY | DRM_MODE_ATOMIC_ALLOW_MODESET,
				   NULL) == 0;
}

/*
 * DRM_MODE_PAGE_FLIP_ASYNC for a frame whose one scanned-out surface may tear, if the kernel
 * takes this very commit so (TEST_ONLY: drivers accept async flips of some planes and
 * properties only); else 0, the frame waits for the vblank, and the refusal is counted.
 */
static uint32_t
async_flag(struct kms_output *ko, drmModeAtomicReq *req, bool configuration_changes)
{
	struct sl_output *output = ko->output;
	if (!output->frame_async_wanted)
		return 0;
	struct sl_stats *stats = &ko->device->server->stats;
	if (!configuration_changes &&
	    drmModeAtomicCommit(ko->device->fd, req,
				DRM_MODE_ATOMIC_TEST_ONLY | DRM_MODE_PAGE_FLIP_ASYNC, NULL) == 0) {
		output->frame_async = true;
		stats->async_flips++;
		return DRM_MODE_PAGE_FLIP_ASYNC;
	}
	stats->async_refused++;
	const char *why = configuration_changes ? "the frame changes more than the buffer"
						: "the kernel refuses this commit async";
	if (why != output->async_refusal)
		log_info("kms", "%s: async flip not taken: %s", output->name, why);
	output->async_refusal = why;
	return 0;
}

static bool
kms_submit_frame(struct sl_output *output, bool drew, int render_fence)
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

	/* Every atomic driver has IN_FENCE_FD (the DRM core adds it); this is only a backstop. */
	if (drew && render_fence >= 0 && !ko->plane->props[PLANE_IN_FENCE_FD])
		poll(&(struct pollfd){.fd = render_fence, .events = POLLIN}, 1, -1);
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	if (!req)
		return false;
	bool ok = build_commit(ko, fb, drew ? render_fence : -1, modeset, writeback, req);
	if (ok && modeset && !test_modeset(ko, req) && ko->uses_writeback) {
		/* Some drivers cannot clone the display into the writeback connector: display
		 * without it, and capture from the scanout buffer instead. */
		log_warn("kms",
			 "%s: the CRTC cannot drive the writeback connector too (%s); "
			 "captures will read the scanout buffer",
			 output->name, strerror(errno));
		ko->uses_writeback = writeback = false;
		drmModeAtomicSetCursor(req, 0);
		ok = build_commit(ko, fb, drew ? render_fence : -1, modeset, writeback, req);
	}
	if (ok)
		flags |= async_flag(ko, req, modeset || writeback);
	if (!ok) {
		log_error("kms", "%s: the driver lacks a property the commit needs", output->name);
	} else if (modeset && !test_modeset(ko, req)) {
		log_errno("kms", "%s: the kernel refuses the configuration (TEST_ONLY)",
			  output->name);
		ok = false;
	} else if (kms_commit_injected_failure(ko->device) ||
		   drmModeAtomicCommit(ko->device->fd, req, flags, ko) < 0) {
		/* The previous configuration stays on screen; the loop tries again next frame. */
		log_errno("kms", "%s: atomic commit failed", output->name);
		ok = false;
	}
	drmModeAtomicFree(req);
	if (!ok) {
		fd_close(&ko->out_fence);
		fd_close(&ko->writeback_fence);
		/* Whatever the kernel took offence at, the next frame's planes are tested again. */
		ko->alloc_valid = false;
		/* Client buffers on planes are the usual suspects: the retry composes them. */
		for (int i = 0; i < ko->assigned.count; i++)
			kms_buffer_refuse(ko->assigned.buffers[i]);
		kms_scanout_set_clear(&ko->assigned);
		return false;
	}
	kms_scanout_set_move(&ko->in_flight, &ko->assigned);
	kms_release_replaced_buffers(ko);

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
	if (writeback)
		log_debug("kms", "%s: frame committed with a writeback", output->name);
	return true;
}

void
kms_output_finish_frame(struct kms_output *ko)
{
	struct sl_output *output = ko->output;
	if (output->readback_in_flight && ko->uses_writeback)
		sl_output_readback_done(output, ko->writeback_lost ? NULL : ko->writeback_fb.map,
					ko->writeback_fb.pitch, ko->flip_time_ns, ko->flip_seq,
					"the writeback did not complete");
	else if (output->readback_in_flight)
		sl_output_readback_done(output, ko->fbs[ko->front].map, ko->fbs[ko->front].pitch,
					ko->flip_time_ns, ko->flip_seq, "no front buffer");
	sl_output_presented(output, ko->flip_time_ns, ko->flip_seq);
	if (ko->unplugged)
		kms_output_disable(ko);
}

void
kms_handle_page_flip(int fd, unsigned int seq, unsigned int sec, unsigned int usec,
		     unsigned int crtc_id, void *data)
{
	struct kms_output *ko = data;
	if (ko->disabling) {
		/* The CRTC is off: nothing reads our buffers any more. */
		struct kms_device *dev = ko->device;
		sl_output_destroy(ko->output);
		/* The connector may have come back meanwhile. */
		kms_device_scan_connectors(dev);
		return;
	}
	if (ko->pending >= 0)
		ko->front = ko->pending;
	ko->pending = -1;
	/* The buffers this flip replaced are no longer read by the display. */
	kms_scanout_set_move(&ko->shown, &ko->in_flight);
	ko->flip_time_ns = (int64_t)sec * 1000000000 + (int64_t)usec * 1000;
	ko->flip_seq = seq;
	if (!kms_writeback_wait(ko))
		kms_output_finish_frame(ko);
}

static void
kms_output_destroy(struct sl_output *output)
{
	struct kms_output *ko = kms_from_output(output);
	int fd = ko->device->fd;
	struct sl_renderer *renderer = ko->device->server->renderer;
	sl_timer_destroy(ko->writeback_timer);
	kms_writeback_finish(ko);
	fd_close(&ko->writeback_fence);
	fd_close(&ko->release_fence);
	kms_scanout_set_clear(&ko->assigned);
	kms_scanout_set_clear(&ko->in_flight);
	kms_scanout_set_clear(&ko->shown);
	for (int i = 0; i < ko->n_layers; i++)
		liftoff_layer_destroy(ko->layers[i]);
	if (ko->composition_layer)
		liftoff_layer_destroy(ko->composition_layer);
	if (ko->liftoff)
		liftoff_output_destroy(ko->liftoff);
	for (int i = 0; i < 2; i++)
		kms_fb_destroy(fd, renderer, &ko->fbs[i]);
	kms_fb_destroy(fd, renderer, &ko->writeback_fb);
	if (ko->mode_blob)
		drmModeDestroyPropertyBlob(fd, ko->mode_blob);
	ko->device->used_crtcs &= ~(1u << ko->crtc_index);
	if (ko->uses_writeback)
		ko->device->writeback_claimed = false;
	wl_list_remove(&ko->link);
	free(ko);
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

/* ---- connectors and modes ---- */

static int32_t
mode_refresh_mhz(const drmModeModeInfo *mode)
{
	if (!mode->htotal || !mode->vtotal)
		return 0;
	return (int32_t)(((uint64_t)mode->clock * 1000000 / mode->htotal + mode->vtotal / 2) /
			 mode->vtotal);
}

bool
kms_pick_mode(drmModeConnector *connector, const struct kms_options *options, drmModeModeInfo *out)
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
uint32_t
kms_connector_possible_crtcs(int fd, drmModeConnector *connector)
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

void
kms_connector_name(drmModeConnector *connector, char *name, size_t size)
{
	const char *type = drmModeGetConnectorTypeName(connector->connector_type);
	snprintf(name, size, "%s-%u", type ? type : "Unknown", connector->connector_type_id);
}

void
kms_connector_mode_error(struct kms_device *dev, drmModeConnector *connector,
			 const struct kms_options *options, char *err, size_t err_size)
{
	char name[32], modes[128];
	kms_connector_name(connector, name, sizeof(name));
	mode_list(connector, modes, sizeof(modes));
	if (options->has_mode)
		snprintf(err, err_size, "%s: %s has no mode %dx%d%s (it offers %s)", dev->path,
			 name, options->width, options->height, options->refresh_mhz ? "@.." : "",
			 modes);
	else
		snprintf(err, err_size, "%s: %s offers no mode", dev->path, name);
}

/*
 * A panel says how it sits in its case ("panel orientation": the kernel's fbcon turns its console
 * by the same amount): the output is turned to match, counter-clockwise as wl_output counts.
 */
static uint32_t
panel_transform(int fd, uint32_t property, uint64_t value)
{
	if (!property)
		return WL_OUTPUT_TRANSFORM_NORMAL;
	/* The values are an enum the kernel keeps to itself: go by their names. */
	drmModePropertyRes *prop = drmModeGetProperty(fd, property);
	const char *mounted = NULL;
	for (int i = 0; prop && i < prop->count_enums; i++)
		if (prop->enums[i].value == value)
			mounted = prop->enums[i].name;
	uint32_t transform = WL_OUTPUT_TRANSFORM_NORMAL;
	if (mounted && strcmp(mounted, "Upside Down") == 0)
		transform = WL_OUTPUT_TRANSFORM_180;
	else if (mounted && strcmp(mounted, "Left Side Up") == 0)
		transform = WL_OUTPUT_TRANSFORM_90;
	else if (mounted && strcmp(mounted, "Right Side Up") == 0)
		transform = WL_OUTPUT_TRANSFORM_270;
	if (transform != WL_OUTPUT_TRANSFORM_NORMAL)
		log_info("kms", "the panel is mounted %s: output transform %s", mounted,
			 sl_transform_name(transform));
	drmModeFreeProperty(prop);
	return transform;
}

struct kms_output *
kms_output_create(struct kms_device *dev, drmModeRes *res, drmModeConnector *connector,
		  const struct kms_options *options, char *err, size_t err_size)
{
	char name[32];
	kms_connector_name(connector, name, sizeof(name));

	drmModeModeInfo mode;
	if (!kms_pick_mode(connector, options, &mode)) {
		char modes[128];
		mode_list(connector, modes, sizeof(modes));
		snprintf(err, err_size, "%s: %s has no mode %dx%d%s (it offers %s)", dev->path,
			 name, options->width, options->height, options->refresh_mhz ? "@.." : "",
			 modes);
		return NULL;
	}
	uint32_t possible = kms_connector_possible_crtcs(dev->fd, connector) & ~dev->used_crtcs;
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
	ko->plane = kms_find_primary_plane(dev, ko->crtc_index);
	uint64_t connector_values[CONN_PROP_COUNT] = {0};
	kms_props_get(dev->fd, ko->connector_id, DRM_MODE_OBJECT_CONNECTOR, ko->connector_props,
		      connector_values);
	kms_props_get(dev->fd, ko->crtc_id, DRM_MODE_OBJECT_CRTC, ko->crtc_props, NULL);
	if (!ko->plane) {
		snprintf(err, err_size, "%s: no primary plane for %s", dev->path, name);
		goto err;
	}
	/* Drivers without IN_FORMATS take at least linear XRGB8888 on the primary plane. */
	if (ko->plane->formats &&
	    !kms_formats_contain(ko->plane->formats, ko->plane->n_formats, DRM_FORMAT_XRGB8888,
				 DRM_FORMAT_MOD_INVALID)) {
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
		if (!kms_scanout_fb_create(dev->fd, renderer, mode.hdisplay, mode.vdisplay,
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
			kms_layer_set_geometry(ko->composition_layer, 0, 0, mode.hdisplay,
					       mode.vdisplay);
			liftoff_layer_set_property(ko->composition_layer, "zpos", 0);
			/* Upright, whatever an earlier process left on the plane. */
			liftoff_layer_set_property(ko->composition_layer, "rotation",
						   DRM_MODE_ROTATE_0);
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
	ko->uses_writeback =
		dev->writeback_connector && !dev->writeback_claimed &&
		(dev->writeback_crtcs & (1u << ko->crtc_index)) &&
		kms_fb_create(dev->fd, mode.hdisplay, mode.vdisplay, &ko->writeback_fb);
	if (ko->uses_writeback) {
		/* A writeback connector serves one CRTC at a time: the first output gets it. */
		ko->writeback_connector = dev->writeback_connector;
		dev->writeback_claimed = true;
	}

	ko->output = sl_output_create(dev->server, &kms_output_impl, name, mode.hdisplay,
				      mode.vdisplay, mode_refresh_mhz(&mode),
				      panel_transform(dev->fd,
						      ko->connector_props[CONN_PANEL_ORIENTATION],
						      connector_values[CONN_PANEL_ORIENTATION]));
	if (!ko->output) {
		snprintf(err, err_size, "cannot create output %s", name);
		goto err;
	}
	ko->output->backend_data = ko;
	ko->output->model = dev->driver;
	/* The flip event's timestamp is the kernel's vblank time, and the flip tells completion. */
	ko->output->presentation_flags =
		SL_PRESENT_VSYNC | SL_PRESENT_HW_CLOCK | SL_PRESENT_HW_COMPLETION;
	ko->output->async_unavailable = dev->async_unavailable;
	dev->used_crtcs |= 1u << ko->crtc_index;
	wl_list_insert(dev->outputs.prev, &ko->link);
	log_info("kms", "%s on %s: CRTC %u, plane %u, mode %s%s", name, dev->path, ko->crtc_id,
		 ko->plane->id, mode.name, ko->uses_writeback ? ", writeback capture" : "");
	sl_output_damage_whole(ko->output);
	return ko;

err:
	for (int i = 0; i < 2; i++)
		kms_fb_destroy(dev->fd, renderer, &ko->fbs[i]);
	kms_fb_destroy(dev->fd, renderer, &ko->writeback_fb);
	if (ko->mode_blob)
		drmModeDestroyPropertyBlob(dev->fd, ko->mode_blob);
	free(ko);
	return NULL;
}
