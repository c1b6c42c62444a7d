/*
 * The whole compositor, assembled: the core server and every module on it, created and destroyed
 * in one order. main.c (the command line) and the protocol fuzzer both build one. This is the one
 * place that knows every module by name; nothing below it knows this file.
 */
#ifndef SLUICE_SLUICE_H
#define SLUICE_SLUICE_H

#include <stdbool.h>

#include "core/server.h"
#include "input/seat.h"

struct sl_data_device_manager;
struct sl_dmabuf;
struct sl_idle;
struct sl_input;
struct sl_session;
struct sl_strict;

struct sluice_options {
	struct sl_options core;
	struct sl_seat_options seat;
	const char *socket;		  /* NULL: pick wayland-N */
	bool capture;			  /* advertise the capture protocols */
	bool strict;			  /* check clients' submissions (features/strict.c) */
	const char *strict_report_dir;	  /* NULL: strict findings only on the log */
	unsigned long strict_frame_limit; /* SIGTERM a client after this many frames; 0 */
};

struct sluice {
	struct sluice_options options;
	struct sl_server server;
	struct sl_seat *seat;
	struct sl_data_device_manager *data_device;
	struct sl_strict *strict;   /* NULL unless --strict */
	struct sl_dmabuf *dmabuf;   /* NULL until sluice_init_device_protocols() */
	struct sl_session *session; /* NULL: devices opened directly (headless, --session none) */
	struct sl_input *input;	    /* NULL without input devices (headless, --input none) */
	struct sl_idle *idle;	    /* NULL without --idle-timeout */
	/* The backend, torn down after the clients and before the session (nullable). */
	void (*backend_destroy)(void *backend);
	void *backend;
};

/*
 * The core, the pixman renderer, and the globals that do not depend on the backend, in the order
 * the fuzz corpus knows (new ones go last). False with a log line; then sluice_finish().
 */
bool sluice_init(struct sluice *sl, const struct sluice_options *options);
/*
 * After the backend: linux-dmabuf (renderer formats, scanout tranche) and explicit sync, then
 * fifo and commit timing (last of all, for the fuzz corpus).
 */
bool sluice_init_device_protocols(struct sluice *sl);
/* Everything, in the reverse order: clients first, the display last. */
void sluice_finish(struct sluice *sl);

#endif
