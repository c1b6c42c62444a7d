#include "fd.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

void
fd_close(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

int
anon_file_create(off_t size)
{
	int fd = memfd_create("sluice-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	int ret;
	do {
		ret = posix_fallocate(fd, 0, size);
	} while (ret == EINTR);
	if (ret != 0 && ftruncate(fd, size) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	/* Best effort: a compositor that sees the seal knows the mapping cannot shrink under it. */
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL);
	return fd;
}
