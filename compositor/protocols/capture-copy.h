#ifndef SLUICE_CAPTURE_COPY_H
#define SLUICE_CAPTURE_COPY_H

#include <pixman.h>
#include <stdbool.h>
#include <stdint.h>

struct sl_buffer;

/*
 * What the capture protocols (wlr-screencopy, ext-image-copy-capture) share beyond the queue:
 * putting a rectangle of an output's readback (XRGB8888) into a client's buffer, and finding
 * where a readback differs from the last one a client was given, by comparing pixels, so the
 * damage is what reached the screen whatever path it took there.
 */

/* A client's last copy of a box of an output: the reference damage is found against. */
struct capture_reference {
	pixman_box32_t box; /* in output pixels */
	uint32_t *pixels;   /* box-sized, tight; NULL for none */
};

void capture_reference_finish(struct capture_reference *ref);
/*
 * The 32x32 tiles of box (relative to it) where pixels (the whole readback, stride bytes a
 * row) differ from ref; all of box when ref holds no copy of that same box. Initializes damage.
 */
void capture_reference_damage(const struct capture_reference *ref, const pixman_box32_t *box,
			      const uint32_t *pixels, uint32_t stride, pixman_region32_t *damage);
/* Keeps box of pixels as the reference; false without memory (ref is then empty). */
bool capture_reference_update(struct capture_reference *ref, const pixman_box32_t *box,
			      const uint32_t *pixels, uint32_t stride);

/* Whether buffer can take a width x height copy: XRGB8888, wl_shm or one linear dma-buf plane. */
bool capture_buffer_fits(struct sl_buffer *buffer, int32_t width, int32_t height);
/* Copies box of pixels into the buffer (which fits it); false if it cannot be written. */
bool capture_copy_to_buffer(struct sl_buffer *buffer, const pixman_box32_t *box,
			    const uint32_t *pixels, uint32_t stride);

#endif
