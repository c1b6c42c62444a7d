/*
 * Strict mode (--strict): checks what each client submits beyond what the protocols make fatal,
 * and reports it as log lines (the first time each kind of fault happens, per client) and, with
 * --strict-report DIR, as one JSON file per client when it disconnects. See docs/strict-mode.md.
 */
#ifndef SLUICE_STRICT_H
#define SLUICE_STRICT_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>

struct sl_dmabuf;
struct sl_server;
struct sl_strict;
struct sl_surface;

/* Linear dma-buf strides and plane offsets strict mode expects to be multiples of. */
#define SL_STRICT_ALIGN 64

/*
 * Listens to the server's outputs and surface commits from now on; frame_limit: SIGTERM a client
 * after that many presented frames (0: never). NULL (with a log line) on failure.
 */
struct sl_strict *strict_create(struct sl_server *server, const char *report_dir,
				unsigned long frame_limit);
/* Writes the reports of clients still connected. */
void strict_destroy(struct sl_strict *strict);
/* Follows linux-dmabuf too (formats told, buffers made); dmabuf must outlive strict. */
void strict_attach_dmabuf(struct sl_strict *strict, struct sl_dmabuf *dmabuf);

#endif
