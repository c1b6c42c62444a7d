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

int
sealed_file_create(const char *name, const void *data, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	const char *p = data;
	size_t left = size;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto err;
		p += n;
		left -= (size_t)n;
	}
	/* Every client maps the same file: nobody may change it. */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		goto err;
	return fd;

err:;
	int saved = errno;
	close(fd);
	errno = saved ? saved : EIO;
	return -1;
}
