#include "fence.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
