/*
 * Connector hotplug: the card's "change" uevents make us scan the connectors; a new connected
 * one gets an output, a gone one is paused, turned off (CRTC and planes in one non-blocking
 * commit) and destroyed once that commit's event says nothing reads its buffers any more.
 */
#include <libudev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xf86drmMode.h>

#include "backends/kms/kms-internal.h"
#include "backends/session.h"
#include "core/output.h"
#include "core/server.h"
#include "log.h"

/*
 * Turns the CRTC of an unplugged output off with every plane on it (and the writeback connector
 * routed to it), without blocking: the output is destroyed when that commit's event comes. If
 * the kernel refuses, it is destroyed now; its buffers' removal then turns the planes off.
 */
void
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
bool
kms_connector_wanted(struct kms_device *dev, drmModeConnector *c)
{
	if (!connector_shows(c))
		return false;
	if (!dev->options.output)
		return true;
	char name[32];
	kms_connector_name(c, name, sizeof(name));
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
void
kms_device_scan_connectors(struct kms_device *dev)
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
		/* One still being turned off comes back once it is (kms_handle_page_flip). */
		if (connector_has_output(dev, res->connectors[i]))
			continue;
		drmModeConnector *c = drmModeGetConnector(dev->fd, res->connectors[i]);
		if (kms_connector_wanted(dev, c)) {
			char name[32], err[256];
			kms_connector_name(c, name, sizeof(name));
			log_info("kms", "%s connected", name);
			if (!kms_output_create(dev, res, c, &dev->options, err, sizeof(err)))
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
		kms_device_scan_connectors(dev);
	udev_device_unref(device);
	return 0;
}

/*
 * Listens for the card's uevents: from udevd once it has processed them, or straight from the
 * kernel where no udevd runs (containers, the test VM), which then means as root.
 */
void
kms_device_watch_hotplug(struct kms_device *dev)
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

/* err for --output NAME when NAME is not among the connected connectors, which it lists. */
void
kms_connector_missing_error(struct kms_device *dev, drmModeRes *res, const char *output, char *err,
			    size_t err_size)
{
	char connected[160] = "";
	size_t len = 0;
	for (int i = 0; i < res->count_connectors; i++) {
		drmModeConnector *c = drmModeGetConnector(dev->fd, res->connectors[i]);
		if (connector_shows(c) && len < sizeof(connected)) {
			char name[32];
			kms_connector_name(c, name, sizeof(name));
			len += (size_t)snprintf(connected + len, sizeof(connected) - len, "%s%s",
						len ? ", " : "", name);
		}
		drmModeFreeConnector(c);
	}
	snprintf(err, err_size, "%s: no connected connector %s (connected: %s)", dev->path, output,
		 len ? connected : "none");
}
