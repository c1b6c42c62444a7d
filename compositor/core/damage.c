#include <assert.h>

#include "core/damage.h"

void
sl_damage_ring_init(struct sl_damage_ring *ring, int width, int height)
{
	ring->width = width;
	ring->height = height;
	ring->count = 0;
	for (int i = 0; i < SL_DAMAGE_RING_SIZE; i++)
		pixman_region32_init(&ring->frames[i]);
}

void
sl_damage_ring_finish(struct sl_damage_ring *ring)
{
	for (int i = 0; i < SL_DAMAGE_RING_SIZE; i++)
		pixman_region32_fini(&ring->frames[i]);
}

void
sl_damage_ring_push(struct sl_damage_ring *ring, const pixman_region32_t *damage)
{
	pixman_region32_t oldest = ring->frames[SL_DAMAGE_RING_SIZE - 1];
	for (int i = SL_DAMAGE_RING_SIZE - 1; i > 0; i--)
		ring->frames[i] = ring->frames[i - 1];
	/* Reuse the oldest entry's storage for the newest. */
	ring->frames[0] = oldest;
	pixman_region32_copy(&ring->frames[0], (pixman_region32_t *)damage);
	if (ring->count < SL_DAMAGE_RING_SIZE)
		ring->count++;
}

void
sl_damage_ring_repaint_region(const struct sl_damage_ring *ring, int age,
			      const pixman_region32_t *damage, pixman_region32_t *out)
{
	if (age <= 0 || (unsigned)age > ring->count + 1 || age > SL_DAMAGE_RING_SIZE) {
		pixman_region32_fini(out);
		pixman_region32_init_rect(out, 0, 0, (unsigned)ring->width, (unsigned)ring->height);
		return;
	}
	pixman_region32_copy(out, (pixman_region32_t *)damage);
	/* A buffer of age N missed the N-1 frames drawn after it. */
	for (int i = 0; i < age - 1; i++)
		pixman_region32_union(out, out, (pixman_region32_t *)&ring->frames[i]);
	pixman_region32_intersect_rect(out, out, 0, 0, (unsigned)ring->width,
				       (unsigned)ring->height);
}

int
sl_damage_row_bands(const pixman_region32_t *region, struct sl_row_band *bands, int max)
{
	assert(max > 0);
	int n_boxes, n = 0;
	const pixman_box32_t *boxes =
		pixman_region32_rectangles((pixman_region32_t *)region, &n_boxes);
	/* pixman keeps boxes sorted by y1, and boxes of one band share y1 and y2. */
	for (int i = 0; i < n_boxes; i++) {
		if (n > 0 && boxes[i].y1 <= bands[n - 1].y2) {
			if (boxes[i].y2 > bands[n - 1].y2)
				bands[n - 1].y2 = boxes[i].y2;
		} else if (n == max) {
			bands[n - 1].y2 = boxes[i].y2;
		} else {
			bands[n++] = (struct sl_row_band){boxes[i].y1, boxes[i].y2};
		}
	}
	return n;
}
