/* Buffer-age damage history. */
#include "core/damage.h"
#include "harness.h"

static bool
region_is(pixman_region32_t *r, int x1, int y1, int x2, int y2)
{
	pixman_box32_t *e = pixman_region32_extents(r);
	return pixman_region32_n_rects(r) == 1 && e->x1 == x1 && e->y1 == y1 && e->x2 == x2 &&
	       e->y2 == y2;
}

static void
test_age(void)
{
	struct sl_damage_ring ring;
	sl_damage_ring_init(&ring, 100, 100);
	pixman_region32_t damage, out;
	pixman_region32_init_rect(&damage, 0, 0, 10, 10);
	pixman_region32_init(&out);

	/* Unknown contents (age 0) or no history: everything. */
	sl_damage_ring_repaint_region(&ring, 0, &damage, &out);
	th_check(region_is(&out, 0, 0, 100, 100));
	sl_damage_ring_repaint_region(&ring, 2, &damage, &out);
	th_check(region_is(&out, 0, 0, 100, 100), "age 2 without history must be full");

	/* Age 1: the buffer holds the last frame; only new damage. */
	sl_damage_ring_repaint_region(&ring, 1, &damage, &out);
	th_check(region_is(&out, 0, 0, 10, 10));

	pixman_region32_t frame;
	pixman_region32_init_rect(&frame, 50, 50, 10, 10);
	sl_damage_ring_push(&ring, &frame);
	/* Age 2: missed one frame, so its damage too. */
	sl_damage_ring_repaint_region(&ring, 2, &damage, &out);
	th_check(pixman_region32_contains_point(&out, 55, 55, NULL));
	th_check(pixman_region32_contains_point(&out, 5, 5, NULL));
	th_check(!pixman_region32_contains_point(&out, 30, 30, NULL));

	/* Older than the history: full. */
	for (int i = 0; i < SL_DAMAGE_RING_SIZE + 1; i++)
		sl_damage_ring_push(&ring, &frame);
	sl_damage_ring_repaint_region(&ring, SL_DAMAGE_RING_SIZE + 1, &damage, &out);
	th_check(region_is(&out, 0, 0, 100, 100));

	/* Damage outside the output is clipped. */
	pixman_region32_t big;
	pixman_region32_init_rect(&big, -50, -50, 500, 500);
	sl_damage_ring_repaint_region(&ring, 1, &big, &out);
	th_check(region_is(&out, 0, 0, 100, 100));

	pixman_region32_fini(&big);
	pixman_region32_fini(&frame);
	pixman_region32_fini(&damage);
	pixman_region32_fini(&out);
	sl_damage_ring_finish(&ring);
}

/* Whole-row bands of a region: merged where they touch, capped by growing the last one. */
static void
test_row_bands(void)
{
	pixman_region32_t r;
	pixman_region32_init(&r);
	struct sl_row_band bands[3];
	th_check(sl_damage_row_bands(&r, bands, 3) == 0, "an empty region has no rows");

	/* Two boxes side by side are one band; one below, touching, joins it. */
	pixman_region32_union_rect(&r, &r, 0, 10, 5, 10);
	pixman_region32_union_rect(&r, &r, 50, 10, 5, 10);
	pixman_region32_union_rect(&r, &r, 20, 20, 5, 5);
	int n = sl_damage_row_bands(&r, bands, 3);
	th_check(n == 1 && bands[0].y1 == 10 && bands[0].y2 == 25, "%d bands, first %d-%d", n,
		 bands[0].y1, bands[0].y2);

	/* Apart: separate bands, top to bottom. */
	pixman_region32_union_rect(&r, &r, 0, 40, 5, 2);
	pixman_region32_union_rect(&r, &r, 0, 60, 5, 2);
	n = sl_damage_row_bands(&r, bands, 3);
	th_check(n == 3 && bands[1].y1 == 40 && bands[1].y2 == 42 && bands[2].y1 == 60 &&
			 bands[2].y2 == 62,
		 "%d bands", n);

	/* One more than fits: the last band covers it too. */
	pixman_region32_union_rect(&r, &r, 0, 80, 5, 3);
	n = sl_damage_row_bands(&r, bands, 3);
	th_check(n == 3 && bands[2].y1 == 60 && bands[2].y2 == 83, "%d bands, last %d-%d", n,
		 bands[2].y1, bands[2].y2);
	pixman_region32_fini(&r);
}

TH_MAIN({"buffer-age", test_age}, {"row-bands", test_row_bands})
