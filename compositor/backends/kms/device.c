/*
 * The KMS device: opening a card (through the session, as master), probing what it can do
 * (atomic, monotonic timestamps, writeback, every plane and its formats), the event source for
 * its page flips, and the device's lifetime. Outputs, planes, framebuffers, writeback and
 * hotplug each have a file of their own beside this one; kms-internal.h holds what they share.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <drm_fourcc.h>
#include <libliftoff.h>
#include <libudev.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "backends/kms/kms-internal.h"
#include "backends/session.h"
#include "core/output.h"
#include "core/renderer.h"
#include "core/server.h"
#include "log.h"

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

static const char *const crtc_prop_names[CRTC_PROP_COUNT] = {
	[CRTC_ACTIVE] = "ACTIVE",
	[CRTC_MODE_ID] = "MODE_ID",
	[CRTC_OUT_FENCE_PTR] = "OUT_FENCE_PTR",
};

static const char *const connector_prop_names[CONN_PROP_COUNT] = {
	[CONN_CRTC_ID] = "CRTC_ID",
	[CONN_WRITEBACK_FB_ID] = "WRITEBACK_FB_ID",
	[CONN_WRITEBACK_OUT_FENCE_PTR] = "WRITEBACK_OUT_FENCE_PTR",
	[CONN_PANEL_ORIENTATION] = "panel orientation",
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

void
kms_props_get(int fd, uint32_t object, uint32_t type, uint32_t *ids, uint64_t *values)
{
	switch (type) {
	case DRM_MODE_OBJECT_PLANE:
		props_get(fd, object, type, plane_prop_names, PLANE_PROP_COUNT, ids, values);
		break;
	case DRM_MODE_OBJECT_CRTC:
		props_get(fd, object, type, crtc_prop_names, CRTC_PROP_COUNT, ids, values);
		break;
	case DRM_MODE_OBJECT_CONNECTOR:
		props_get(fd, object, type, connector_prop_names, CONN_PROP_COUNT, ids, values);
		break;
	default:
		assert(!"a property table for this object type");
	}
}

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

bool
kms_formats_contain(const struct kms_format_modifier *formats, size_t count, uint32_t format,
		    uint64_t modifier)
{
	for (size_t i = 0; i < count; i++)
		if (formats[i].format == format &&
		    (formats[i].modifier == modifier || modifier == DRM_FORMAT_MOD_INVALID))
			return true;
	return false;
}

bool
kms_commit_injected_failure(struct kms_device *dev)
{
	dev->commits++;
	if (dev->commits < dev->fail_first || dev->commits >= dev->fail_first + dev->fail_count)
		return false;
	errno = EINVAL;
	return true;
}

static int
handle_drm_event(int fd, uint32_t mask, void *data)
{
	drmEventContext context = {
		.version = 3,
		.page_flip_handler2 = kms_handle_page_flip,
	};
	if (drmHandleEvent(fd, &context) != 0)
		log_errno("kms", "drmHandleEvent");
	return 0;
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
		kms_props_get(dev->fd, p->id, DRM_MODE_OBJECT_PLANE, p->props, values);
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

const struct kms_plane *
kms_find_primary_plane(struct kms_device *dev, unsigned crtc_index)
{
	for (size_t i = 0; i < dev->n_planes; i++)
		if (dev->planes[i].type == DRM_PLANE_TYPE_PRIMARY &&
		    (dev->planes[i].possible_crtcs & (1u << crtc_index)))
			return &dev->planes[i];
	return NULL;
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
		kms_device_scan_connectors(dev);
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
	const char *lose = getenv("SLUICE_KMS_LOSE_WRITEBACKS");
	if (lose && sscanf(lose, "%" SCNu64, &dev->lose_writebacks) == 1)
		log_warn("kms", "test fault injection: %" PRIu64 " writeback fences will be lost",
			 dev->lose_writebacks);
	else
		dev->lose_writebacks = 0;

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
	/* Async atomic flips came with Linux 6.8, and only for drivers that can. */
	uint64_t async = 0;
	if (drmGetCap(dev->fd, SL_DRM_CAP_ATOMIC_ASYNC_PAGE_FLIP, &async) < 0)
		dev->async_unavailable = "the kernel has no atomic async page flips (Linux 6.8+)";
	else if (!async)
		dev->async_unavailable =
			"the driver cannot flip asynchronously in an atomic commit";
	/*
	 * vkms's composer turns planes wrongly: on Linux 6.12, writeback shows rotate-90 and
	 * rotate-180 mirrored (test-vm-scanout's transform subtests find which). Composition is
	 * right everywhere; SLUICE_KMS_TRUST_ROTATION=1 lets the tests drive the planes anyway.
	 */
	const char *trust = getenv("SLUICE_KMS_TRUST_ROTATION");
	if (strcmp(dev->driver, "vkms") == 0 && !(trust && strcmp(trust, "1") == 0)) {
		dev->rotation_unavailable = "vkms turns planes wrongly";
		log_debug("kms", "%s: %s: turned buffers are composited", dev->path,
			 dev->rotation_unavailable);
	}
	bool writeback = drmSetClientCap(dev->fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1) == 0;
	drmModeRes *res = drmModeGetResources(dev->fd);
	if (!res) {
		snprintf(err, err_size, "%s: cannot read KMS resources", dev->path);
		goto err;
	}
	if (writeback)
		kms_find_writeback(dev, res);

	/* Every connected connector needs a mode before anything is allocated or GL starts. */
	bool failed = false, any = false;
	for (int i = 0; i < res->count_connectors && !failed; i++) {
		drmModeConnector *c = drmModeGetConnector(dev->fd, res->connectors[i]);
		drmModeModeInfo mode;
		if (kms_connector_wanted(dev, c)) {
			any = true;
			if (!kms_pick_mode(c, options, &mode)) {
				kms_connector_mode_error(dev, c, options, err, err_size);
				failed = true;
			}
		}
		drmModeFreeConnector(c);
	}
	/* Only now: listing the connected ones probes every connector again. */
	if (!any && options->output)
		kms_connector_missing_error(dev, res, options->output, err, err_size);
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
		if (kms_connector_wanted(dev, c))
			failed = !kms_output_create(dev, res, c, options, err, err_size);
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
		kms_device_watch_hotplug(dev);
	}
	if (dev->session) {
		dev->session_active.notify = handle_session_active;
		wl_signal_add(&dev->session->active_changed, &dev->session_active);
	}
	kms_device_publish_dmabuf_info(dev);
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
		kms_dmabuf_fb_destroy(fb);
	if (dev->liftoff)
		liftoff_device_destroy(dev->liftoff);
	if (dev->server->backend_import_dmabuf == kms_import_dmabuf) {
		dev->server->backend_import_dmabuf = NULL;
		dev->server->backend = NULL;
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
