#ifndef SLUICE_CAPTURE_H
#define SLUICE_CAPTURE_H

#include <stdint.h>

struct sl_output;

/* Completes the captures waiting on this output with the frame just presented. */
void capture_output_presented(struct sl_output *output, int64_t time_ns, uint64_t msc);
/* Fails the captures of an output that goes away. */
void capture_output_destroyed(struct sl_output *output);

#endif
