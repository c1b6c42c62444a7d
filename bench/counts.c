/* The benchmarks' side of ioctl-count.so: its file, mapped, and per-frame figures. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ioctl-count.h"

bool
sl_ioctl_counter_path(char *path, size_t size)
{
	ssize_t len = readlink("/proc/self/exe", path, size);
	if (len <= 0 || (size_t)len >= size)
		return false;
	path[len] = '\0';
	char *slash = strrchr(path, '/');
	const char name[] = "ioctl-count.so";
	if (!slash || (size_t)(slash + 1 - path) + sizeof(name) > size)
		return false;
	memcpy(slash + 1, name, sizeof(name));
	return access(path, R_OK) == 0;
}

bool
sl_ioctl_counts_create(char *path, size_t size)
{
	if (snprintf(path, size, "/tmp/sluice-ioctl-counts-XXXXXX") >= (int)size)
		return false;
	int fd = mkstemp(path);
	bool ok = fd >= 0 && ftruncate(fd, sizeof(struct sl_ioctl_counts)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

bool
sl_ioctl_counts_reset(const char *path)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	bool ok = fd >= 0 && ftruncate(fd, sizeof(struct sl_ioctl_counts)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

const struct sl_ioctl_counts *
sl_ioctl_counts_map(const char *path)
{
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	void *map =
		fd < 0 ? MAP_FAILED
		       : mmap(NULL, sizeof(struct sl_ioctl_counts), PROT_READ, MAP_SHARED, fd, 0);
	if (fd >= 0)
		close(fd);
	return map == MAP_FAILED ? NULL : map;
}

void
sl_ioctl_counts_unmap(const struct sl_ioctl_counts *counts)
{
	if (counts)
		munmap((void *)counts, sizeof(*counts));
}

struct sl_ioctl_counts
sl_ioctl_counts_sub(const struct sl_ioctl_counts *after, const struct sl_ioctl_counts *before)
{
	return (struct sl_ioctl_counts){
		.ioctls = after->ioctls - before->ioctls,
		.commits = after->commits - before->commits,
		.test_commits = after->test_commits - before->test_commits,
		.fb_adds = after->fb_adds - before->fb_adds,
		.drm_other = after->drm_other - before->drm_other,
	};
}

void
sl_per_frame_str(char *out, size_t size, uint64_t count, int frames)
{
	snprintf(out, size, "%.2f", frames > 0 ? (double)count / frames : 0.0);
}
