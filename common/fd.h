#ifndef SLUICE_COMMON_FD_H
#define SLUICE_COMMON_FD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Duplicates fd with O_CLOEXEC; returns the new fd or -1 with errno set. */
int fd_dup_cloexec(int fd);
bool fd_set_cloexec(int fd);
/* Closes *fd if it is open and sets it to -1. */
void fd_close(int *fd);
/*
 * Creates an anonymous shared-memory file of the given size (memfd, sealed against shrinking so
 * that a compositor that maps it can never fault), or -1 with errno set.
 */
int anon_file_create(off_t size);
/* Number of open fds of this process (from /proc/self/fd), or -1. */
int fd_count_open(void);

#endif
