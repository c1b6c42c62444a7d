/*
 * LD_PRELOAD counter of a process's DRM ioctls, for the cost benchmarks: atomic commits (real
 * and TEST_ONLY), framebuffer adds and the rest. The counters live in a file the benchmark names
 * (SLUICE_IOCTL_COUNTS), mapped shared, so it reads them before and after the frames it
 * measures while the process runs, without signals or the process's help. Counting is one
 * atomic add per call: the cost measured is the program's, not the counter's.
 */
#include <dlfcn.h>
#include <drm.h>
#include <drm_mode.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ioctl-count.h"

static struct sl_ioctl_counts *counts;
static int (*real_ioctl)(int, unsigned long, void *);

__attribute__((constructor)) static void
counter_init(void)
{
	real_ioctl = (int (*)(int, unsigned long, void *))dlsym(RTLD_NEXT, "ioctl");
	const char *path = getenv("SLUICE_IOCTL_COUNTS");
	int fd = path ? open(path, O_RDWR | O_CLOEXEC) : -1;
	if (fd < 0)
		return;
	void *map = mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map != MAP_FAILED)
		counts = map;
}

static void
count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* glibc declares ioctl(int, unsigned long, ...): the one argument DRM passes is a pointer. */
int
ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	va_start(ap, request);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (counts) {
		count(&counts->ioctls);
		if (request == DRM_IOCTL_MODE_ATOMIC) {
			const struct drm_mode_atomic *atomic = arg;
			count(atomic->flags & DRM_MODE_ATOMIC_TEST_ONLY ? &counts->test_commits
									: &counts->commits);
		} else if (request == DRM_IOCTL_MODE_ADDFB2 || request == DRM_IOCTL_MODE_ADDFB) {
			count(&counts->fb_adds);
		} else if (_IOC_TYPE(request) == DRM_IOCTL_BASE) {
			count(&counts->drm_other);
		}
	}
	return real_ioctl(fd, request, arg);
}
