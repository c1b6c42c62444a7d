#ifndef SLUICE_CAPTURE_H
#define SLUICE_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

struct sl_output;

/* The captures queued on the output join the frame being repainted now. */
void capture_output_frame_started(struct sl_output *output);
/* True if a frame in flight carries captures (a writeback backend captures that frame). */
bool capture_output_frame_wants_capture(struct sl_output *output);
/*
 * Completes the captures of the frame in flight with its pixels (XRGB8888). Backends that read
 * their front buffer call it at presentation; writeback backends once the writeback finished.
 * pixels NULL fails them with reason.
 */
void capture_output_deliver(struct sl_output *output, const void *pixels, uint32_t stride,
			    int64_t time_ns, uint64_t msc, const char *reason);
/* Fails the captures of an output that goes away. */
void capture_output_destroyed(struct sl_output *output);

#endif
