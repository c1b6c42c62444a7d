/* Buffer transform, scale and viewport → surface size and surface-to-buffer mapping. */
#include <math.h>
#include <string.h>

#include "harness.h"
#include "core/transform.h"

static void
expect_map(const struct sl_surface_geometry *g, double sx, double sy, double bx, double by)
{
	double ox, oy;
	sl_affine_apply(&g->surface_to_buffer, sx, sy, &ox, &oy);
	th_check(fabs(ox - bx) < 1e-9 && fabs(oy - by) < 1e-9,
		 "surface (%g,%g) maps to buffer (%g,%g), expected (%g,%g)", sx, sy, ox, oy, bx,
		 by);
}

static void
test_identity(void)
{
	struct sl_surface_geometry g;
	th_require(sl_geometry_compute(200, 100, 0, 1, NULL, &g) == SL_GEOMETRY_OK);
	th_check(g.width == 200 && g.height == 100);
	th_check(g.pixel_exact);
	expect_map(&g, 10, 20, 10, 20);
}

/* wl_output.transform values */
enum { NORMAL, R90, R180, R270, FLIPPED, F90, F180, F270 };

static void
test_rotations(void)
{
	struct sl_surface_geometry g;
	/* A 200x100 buffer rotated by 90 makes a 100x200 surface. */
	th_require(sl_geometry_compute(200, 100, R90, 1, NULL, &g) == SL_GEOMETRY_OK);
	th_check(g.width == 100 && g.height == 200);
	/* The buffer's top-left corner shows at the surface's top-right. */
	expect_map(&g, 100, 0, 0, 0);
	expect_map(&g, 0, 0, 0, 100);

	th_require(sl_geometry_compute(200, 100, R180, 1, NULL, &g) == SL_GEOMETRY_OK);
	th_check(g.width == 200 && g.height == 100);
	expect_map(&g, 0, 0, 200, 100);

	th_require(sl_geometry_compute(200, 100, R270, 1, NULL, &g) == SL_GEOMETRY_OK);
	th_check(g.width == 100 && g.height == 200);
	expect_map(&g, 0, 200, 0, 0);

	th_require(sl_geometry_compute(200, 100, FLIPPED, 1, NULL, &g) == SL_GEOMETRY_OK);
	expect_map(&g, 0, 0, 200, 0);
	th_require(sl_geometry_compute(200, 100, F90, 1, NULL, &g) == SL_GEOMETRY_OK);
	expect_map(&g, 0, 0, 0, 0);
	expect_map(&g, 100, 0, 0, 100);
	th_require(sl_geometry_compute(200, 100, F180, 1, NULL, &g) == SL_GEOMETRY_OK);
	expect_map(&g, 0, 0, 0, 100);
	th_require(sl_geometry_compute(200, 100, F270, 1, NULL, &g) == SL_GEOMETRY_OK);
	expect_map(&g, 0, 0, 200, 100);
	th_check(g.pixel_exact);
}

static void
test_scale(void)
{
	struct sl_surface_geometry g;
	th_require(sl_geometry_compute(200, 100, NORMAL, 2, NULL, &g) == SL_GEOMETRY_OK);
	th_check(g.width == 100 && g.height == 50);
	expect_map(&g, 50, 25, 100, 50);
	th_check(!g.pixel_exact);
	th_check(sl_geometry_compute(201, 100, NORMAL, 2, NULL, &g) == SL_GEOMETRY_NOT_DIVISIBLE);
}

static void
test_viewport(void)
{
	struct sl_surface_geometry g;
	struct sl_viewport_params vp = {
		.has_src = true, .src_x = 10, .src_y = 20, .src_w = 50, .src_h = 40};
	th_require(sl_geometry_compute(200, 100, NORMAL, 1, &vp, &g) == SL_GEOMETRY_OK);
	th_check(g.width == 50 && g.height == 40, "crop gives %dx%d", g.width, g.height);
	expect_map(&g, 0, 0, 10, 20);
	th_check(g.pixel_exact);

	vp.has_dst = true;
	vp.dst_w = 100;
	vp.dst_h = 80;
	th_require(sl_geometry_compute(200, 100, NORMAL, 1, &vp, &g) == SL_GEOMETRY_OK);
	th_check(g.width == 100 && g.height == 80);
	expect_map(&g, 100, 80, 60, 60);

	vp = (struct sl_viewport_params){.has_src = true, .src_w = 10.5, .src_h = 10};
	th_check(sl_geometry_compute(200, 100, NORMAL, 1, &vp, &g) == SL_GEOMETRY_SRC_NOT_INTEGER);
	vp = (struct sl_viewport_params){.has_src = true, .src_x = 150, .src_w = 60, .src_h = 10};
	th_check(sl_geometry_compute(200, 100, NORMAL, 1, &vp, &g) == SL_GEOMETRY_SRC_OUTSIDE);
	/* The source is in surface units: after a 90 rotation the surface is 100 wide. */
	vp = (struct sl_viewport_params){.has_src = true, .src_w = 100, .src_h = 200};
	th_check(sl_geometry_compute(200, 100, R90, 1, &vp, &g) == SL_GEOMETRY_OK);
	/* A single-pixel buffer scaled up by a destination. */
	vp = (struct sl_viewport_params){.has_dst = true, .dst_w = 640, .dst_h = 480};
	th_require(sl_geometry_compute(1, 1, NORMAL, 1, &vp, &g) == SL_GEOMETRY_OK);
	th_check(g.width == 640 && g.height == 480);
}

static void
test_invert(void)
{
	struct sl_surface_geometry g;
	th_require(sl_geometry_compute(200, 100, R90, 2, NULL, &g) == SL_GEOMETRY_OK);
	struct sl_affine inv;
	th_require(sl_affine_invert(&g.surface_to_buffer, &inv));
	double bx, by, sx, sy;
	sl_affine_apply(&g.surface_to_buffer, 13, 27, &bx, &by);
	sl_affine_apply(&inv, bx, by, &sx, &sy);
	th_check(fabs(sx - 13) < 1e-9 && fabs(sy - 27) < 1e-9);
}

/*
 * An output's layout onto its pixels, for every transform, against the protocol's words
 * (th_transform_point: a flip around the vertical axis, then counter-clockwise quarter turns of
 * the picture). Pixel centres
 * are followed so that the integer positions can be compared; the box helper covers them.
 */
static void
test_output_layout(void)
{
	const char *const *names = th_transform_names;
	for (uint32_t t = 0; t < 8; t++) {
		uint32_t parsed = 99;
		th_check(sl_transform_parse(names[t], &parsed) && parsed == t, "parse %s",
			 names[t]);
		th_check(strcmp(sl_transform_name(t), names[t]) == 0, "name of %u", t);
		int32_t lw, lh;
		struct sl_affine a = sl_output_layout_to_pixels(t, 6, 4, &lw, &lh);
		th_check((t & 1) ? lw == 4 && lh == 6 : lw == 6 && lh == 4, "%s: layout %dx%d",
			 names[t], lw, lh);
		for (int32_t ly = 0; ly < lh; ly++)
			for (int32_t lx = 0; lx < lw; lx++) {
				int32_t x, y;
				th_transform_point(t, lw, lh, lx, ly, &x, &y);
				double px, py;
				sl_affine_apply(&a, lx + 0.5, ly + 0.5, &px, &py);
				th_check(fabs(px - (x + 0.5)) < 1e-9 && fabs(py - (y + 0.5)) < 1e-9,
					 "%s: layout (%d,%d) at (%g,%g), want pixel (%d,%d)",
					 names[t], lx, ly, px - 0.5, py - 0.5, x, y);
				const int32_t in[4] = {lx, ly, lx + 1, ly + 1};
				int32_t out[4];
				sl_affine_box(&a, in, out);
				th_check(out[0] == x && out[1] == y && out[2] == x + 1 &&
						 out[3] == y + 1,
					 "%s: box of (%d,%d)", names[t], lx, ly);
			}
	}
	for (uint32_t t = 0; t < 8; t++) {
		int32_t lw, lh;
		struct sl_affine a = sl_output_layout_to_pixels(t, 6, 4, &lw, &lh);
		th_check(sl_transform_of_linear(&a) == t, "%s: linear part read back as %u",
			 names[t], sl_transform_of_linear(&a));
	}
	const struct sl_affine scaled = {{2, 0, 0, 0, 2, 0}};
	th_check(sl_transform_of_linear(&scaled) == UINT32_MAX, "a scaling read as a transform");
	uint32_t t;
	th_check(!sl_transform_parse("45", &t) && !sl_transform_parse("", &t) &&
			 !sl_transform_parse("Normal", &t),
		 "nonsense parsed as a transform");
}

TH_MAIN({"identity", test_identity}, {"rotations", test_rotations}, {"scale", test_scale},
	{"viewport", test_viewport}, {"invert", test_invert}, {"output-layout", test_output_layout})
