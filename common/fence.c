#include "fence.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <xf86drm.h>

/* drivers/dma-buf/sw_sync.c's uapi, which no installed header carries. */
struct sw_sync_create_fence_data {
	uint32_t value;
	char name[32];
	int32_t fence;
};
#define SW_SYNC_IOC_CREATE_FENCE _IOWR('W', 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW('W', 1, uint32_t)

int
sw_sync_timeline_create(void)
{
	return open("/sys/kernel/debug/sync/sw_sync", O_RDWR | O_CLOEXEC);
}

int
sw_sync_fence(int timeline, uint32_t value)
{
	struct sw_sync_create_fence_data data = {.value = value};
	snprintf(data.name, sizeof(data.name), "sluice-%u", value);
	if (ioctl(timeline, SW_SYNC_IOC_CREATE_FENCE, &data) < 0)
		return -1;
	return data.fence;
}

bool
sw_sync_advance(int timeline, uint32_t by)
{
	return ioctl(timeline, SW_SYNC_IOC_INC, &by) == 0;
}

bool
syncobj_point_import_sync_file(int drm_fd, uint32_t handle, uint64_t point, int sync_file)
{
	uint32_t tmp = 0;
	if (drmSyncobjCreate(drm_fd, 0, &tmp) < 0)
		return false;
	bool ok = drmSyncobjImportSyncFile(drm_fd, tmp, sync_file) == 0 &&
		  drmSyncobjTransfer(drm_fd, handle, point, tmp, 0, 0) == 0;
	int saved = errno;
	drmSyncobjDestroy(drm_fd, tmp);
	errno = saved;
	return ok;
}

/* include/uapi/drm/drm.h of Linux 6.6 */
struct sl_drm_syncobj_eventfd {
	uint32_t handle;
	uint32_t flags;
	uint64_t point;
	int32_t fd;
	uint32_t pad;
};
#define SL_DRM_IOCTL_SYNCOBJ_EVENTFD DRM_IOWR(0xCF, struct sl_drm_syncobj_eventfd)

int
syncobj_eventfd(int drm_fd, uint32_t handle, uint64_t point, int efd, bool wait_available)
{
	struct sl_drm_syncobj_eventfd args = {
		.handle = handle,
		.flags = wait_available ? DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE : 0,
		.point = point,
		.fd = efd,
	};
	return drmIoctl(drm_fd, SL_DRM_IOCTL_SYNCOBJ_EVENTFD, &args);
}

bool
syncobj_eventfd_supported(int drm_fd)
{
	/* Handle 0 is never a syncobj: a kernel that knows the ioctl says so with ENOENT. */
	int efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		return false;
	bool known = syncobj_eventfd(drm_fd, 0, 1, efd, false) < 0 && errno == ENOENT;
	close(efd);
	return known;
}
