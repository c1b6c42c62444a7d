#ifndef SLUICE_COMMON_FD_H
#define SLUICE_COMMON_FD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Closes *fd if it is open and sets it to -1. */
void fd_close(int *fd);
/*
 * Creates an anonymous shared-memory file of the given size (memfd, sealed against shrinking so
 * that a compositor that maps it can never fault), or -1 with errno set.
 */
int anon_file_create(off_t size);
/* A read-only copy of data that many clients can map (memfd, sealed), or -1 with errno set. */
int sealed_file_create(const char *name, const void *data, size_t size);

#endif
