/*
 * Runs inside the test VM: checks that the virtual hardware the VM tier relies on is there and
 * behaves as sluice expects (vkms with atomic KMS, overlay/cursor planes with IN_FORMATS, a
 * writeback connector, timeline syncobjs from our kernel patch; vgem, udmabuf, a dma-buf heap,
 * sw_sync and vivid).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "harness.h"

static int
open_driver(const char *driver)
{
	char path[32];
	return th_find_drm_device(driver, path, sizeof(path)) ? open(path, O_RDWR | O_CLOEXEC) : -1;
}

static void
test_vkms_atomic(void)
{
	int fd = open_driver("vkms");
	th_require(fd >= 0, "no vkms device");
	th_check(drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1) == 0, "atomic modesetting");
	th_check(drmSetClientCap(fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1) == 0, "writeback cap");
	drmModeRes *res = drmModeGetResources(fd);
	th_require(res);
	bool virtual_connected = false, writeback = false;
	for (int i = 0; i < res->count_connectors; i++) {
		drmModeConnector *c = drmModeGetConnector(fd, res->connectors[i]);
		if (!c)
			continue;
		if (c->connector_type == DRM_MODE_CONNECTOR_VIRTUAL &&
		    c->connection == DRM_MODE_CONNECTED) {
			for (int m = 0; m < c->count_modes; m++)
				if (c->modes[m].type & DRM_MODE_TYPE_PREFERRED)
					th_note("Virtual: preferred %s", c->modes[m].name);
			virtual_connected = c->count_modes > 0;
		}
		writeback |= c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK;
		drmModeFreeConnector(c);
	}
	th_check(virtual_connected, "a connected Virtual connector with modes");
	th_check(writeback, "a writeback connector");
	th_check(res->count_crtcs >= 1);
	drmModeFreeResources(res);
	close(fd);
}

static void
test_vkms_planes(void)
{
	int fd = open_driver("vkms");
	th_require(fd >= 0);
	drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	drmModePlaneRes *planes = drmModeGetPlaneResources(fd);
	th_require(planes);
	int kinds[3] = {0}, with_in_formats = 0;
	for (uint32_t i = 0; i < planes->count_planes; i++) {
		drmModeObjectProperties *props =
			drmModeObjectGetProperties(fd, planes->planes[i], DRM_MODE_OBJECT_PLANE);
		for (uint32_t p = 0; props && p < props->count_props; p++) {
			drmModePropertyRes *prop = drmModeGetProperty(fd, props->props[p]);
			if (prop && strcmp(prop->name, "type") == 0 && props->prop_values[p] < 3)
				kinds[props->prop_values[p]]++;
			if (prop && strcmp(prop->name, "IN_FORMATS") == 0)
				with_in_formats++;
			drmModeFreeProperty(prop);
		}
		drmModeFreeObjectProperties(props);
	}
	th_note("planes: %d overlay, %d primary, %d cursor", kinds[DRM_PLANE_TYPE_OVERLAY],
		kinds[DRM_PLANE_TYPE_PRIMARY], kinds[DRM_PLANE_TYPE_CURSOR]);
	th_check(kinds[DRM_PLANE_TYPE_PRIMARY] == 1);
	th_check(kinds[DRM_PLANE_TYPE_OVERLAY] >= 1, "vkms.enable_overlay took effect");
	th_check(kinds[DRM_PLANE_TYPE_CURSOR] == 1);
	th_check(with_in_formats == (int)planes->count_planes, "every plane has IN_FORMATS");
	drmModeFreePlaneResources(planes);
	close(fd);
}

static void
test_syncobj_timeline(void)
{
	int fd = open_driver("vkms");
	th_require(fd >= 0);
	uint64_t cap = 0;
	th_check(drmGetCap(fd, DRM_CAP_SYNCOBJ_TIMELINE, &cap) == 0 && cap == 1,
		 "DRM_CAP_SYNCOBJ_TIMELINE (tests/vm/patches/0001) is %llu",
		 (unsigned long long)cap);
	uint32_t handle;
	th_require(drmSyncobjCreate(fd, 0, &handle) == 0);
	uint64_t point = 5;
	th_check(drmSyncobjTimelineSignal(fd, &handle, &point, 1) == 0);
	uint64_t value = 0;
	th_check(drmSyncobjQuery(fd, &handle, &value, 1) == 0 && value == 5, "point %llu",
		 (unsigned long long)value);
	drmSyncobjDestroy(fd, handle);
	close(fd);
}

static void
test_other_devices(void)
{
	struct stat st;
	int vgem = open_driver("vgem");
	th_check(vgem >= 0, "vgem");
	if (vgem >= 0)
		close(vgem);
	th_check(stat("/dev/udmabuf", &st) == 0, "udmabuf");
	th_check(stat("/dev/dma_heap/system", &st) == 0, "system dma-buf heap");
	th_check(stat("/sys/kernel/debug/sync/sw_sync", &st) == 0, "sw_sync");
	th_check(stat("/dev/video0", &st) == 0, "vivid");
}

TH_MAIN({"vkms-atomic", test_vkms_atomic}, {"vkms-planes", test_vkms_planes},
	{"syncobj-timeline", test_syncobj_timeline}, {"other-devices", test_other_devices})
