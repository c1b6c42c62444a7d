#ifndef SLUICE_EXPLICIT_SYNC_H
#define SLUICE_EXPLICIT_SYNC_H

#include <stdbool.h>

#include "surface.h"

struct sl_server;
struct sync_waiter;

/* Whether a sync_file has signalled without an error (never blocks). */
bool sync_file_signalled_ok(int fd);
/*
 * Starts waiting for a syncobj point off the event loop. Returns an eventfd that becomes readable
 * when the point has signalled (or the wait failed), and the waiter to release when the caller
 * stops waiting; or -1 when the point already signalled (or cannot be waited for).
 */
int sync_point_wait(struct sl_server *server, const struct sl_sync_point *point,
		    struct sync_waiter **waiter);
/*
 * A sync_file for a point that has been submitted (signalled or not), without waiting; -1 when
 * nothing has been submitted for it yet.
 */
int sync_point_export_sync_file(const struct sl_sync_point *point);
void sync_waiter_release(struct sync_waiter *waiter);
/* Reads the eventfd of a finished sync_point_wait(): false if the wait failed. */
bool sync_waiter_signalled_ok(int fd);
void sl_sync_point_unset(struct sl_sync_point *point);

#endif
