#ifndef SLUICE_DAMAGE_H
#define SLUICE_DAMAGE_H

#include <pixman.h>

/*
 * Damage history for buffer age: the damage of each of the last frames drawn, so that a backend
 * buffer last drawn N frames ago is repaired by the union of the N-1 later frames' damage plus
 * the new one.
 */
#define SL_DAMAGE_RING_SIZE 4

struct sl_damage_ring {
	int width, height;
	pixman_region32_t frames[SL_DAMAGE_RING_SIZE]; /* frames[0] is the newest */
	unsigned count;				       /* valid entries */
};

void sl_damage_ring_init(struct sl_damage_ring *ring, int width, int height);
void sl_damage_ring_finish(struct sl_damage_ring *ring);
/* Records the damage of a frame just drawn. */
void sl_damage_ring_push(struct sl_damage_ring *ring, const pixman_region32_t *damage);
/*
 * Computes into out the region to redraw in a buffer of the given age (1 = drawn last frame) for
 * new damage: everything when the age is 0 or older than the history.
 */
void sl_damage_ring_repaint_region(const struct sl_damage_ring *ring, int age,
				   const pixman_region32_t *damage, pixman_region32_t *out);

/* A run of whole rows, [y1, y2). */
struct sl_row_band {
	int32_t y1, y2;
};

/*
 * The rows a region touches, as at most max bands, top to bottom, touching or overlapping ones
 * merged (the last band grows to cover what does not fit): what a copy of whole rows, such as a
 * texture upload without a row length, must cover. Returns the number of bands.
 */
int sl_damage_row_bands(const pixman_region32_t *region, struct sl_row_band *bands, int max);

#endif
