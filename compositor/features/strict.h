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

struct sl_buffer;
struct sl_output;
struct sl_server;
struct sl_strict;
struct sl_surface;

/* Linear dma-buf strides and plane offsets strict mode expects to be multiples of. */
#define SL_STRICT_ALIGN 64

struct sl_strict *strict_create(struct sl_server *server, const char *report_dir);
/* Writes the reports of clients still connected. */
void strict_destroy(struct sl_strict *strict);

/* The client was told which dma-buf formats and modifiers it may use (events or feedback). */
void strict_client_told_formats(struct sl_strict *strict, struct wl_client *client);
/* A dma-buf wl_buffer the client just created. */
void strict_dmabuf_created(struct sl_strict *strict, struct wl_client *client,
			   const struct sl_buffer *buffer);
/* A wl_surface.commit that passed validation, before it is applied or queued. */
void strict_surface_commit(struct sl_strict *strict, struct sl_surface *surface);
/* The surface is part of the output's frame about to be submitted (on a plane or drawn). */
void strict_surface_in_frame(struct sl_strict *strict, struct sl_surface *surface,
			     struct sl_output *output, bool on_plane);
/* The output's frame was not submitted (or the output goes): its surfaces wait for the next. */
void strict_output_frame_failed(struct sl_strict *strict, struct sl_output *output);
/* The output's frame reached the screen at time_ns (CLOCK_MONOTONIC). */
void strict_output_presented(struct sl_strict *strict, struct sl_output *output, int64_t time_ns);

#endif
