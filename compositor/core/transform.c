#include "core/transform.h"

#include <math.h>
#include <string.h>

/* wl_output_transform values, repeated here to keep this file free of libwayland. */
enum {
	T_NORMAL,
	T_90,
	T_180,
	T_270,
	T_FLIPPED,
	T_FLIPPED_90,
	T_FLIPPED_180,
	T_FLIPPED_270,
};

static bool
transform_swaps_axes(uint32_t transform)
{
	return transform & 1;
}

/*
 * Maps a point of the transformed (surface-oriented) content of size tw x th back into the buffer.
 * The buffer transform names what the client did to its content, so the compositor undoes it:
 * with T_90 the buffer's top-left pixel ends up at the surface's top-right corner.
 */
static struct sl_affine
untransform_matrix(uint32_t transform, double tw, double th)
{
	switch (transform) {
	default:
	case T_NORMAL:
		return (struct sl_affine){{1, 0, 0, 0, 1, 0}};
	case T_90:
		return (struct sl_affine){{0, 1, 0, -1, 0, tw}};
	case T_180:
		return (struct sl_affine){{-1, 0, tw, 0, -1, th}};
	case T_270:
		return (struct sl_affine){{0, -1, th, 1, 0, 0}};
	case T_FLIPPED:
		return (struct sl_affine){{-1, 0, tw, 0, 1, 0}};
	case T_FLIPPED_90:
		return (struct sl_affine){{0, 1, 0, 1, 0, 0}};
	case T_FLIPPED_180:
		return (struct sl_affine){{1, 0, 0, 0, -1, th}};
	case T_FLIPPED_270:
		return (struct sl_affine){{0, -1, th, -1, 0, tw}};
	}
}

struct sl_affine
sl_affine_compose(const struct sl_affine *a, const struct sl_affine *b)
{
	const double *x = a->m, *y = b->m;
	return (struct sl_affine){{
		x[0] * y[0] + x[1] * y[3],
		x[0] * y[1] + x[1] * y[4],
		x[0] * y[2] + x[1] * y[5] + x[2],
		x[3] * y[0] + x[4] * y[3],
		x[3] * y[1] + x[4] * y[4],
		x[3] * y[2] + x[4] * y[5] + x[5],
	}};
}

void
sl_affine_apply(const struct sl_affine *a, double x, double y, double *ox, double *oy)
{
	*ox = a->m[0] * x + a->m[1] * y + a->m[2];
	*oy = a->m[3] * x + a->m[4] * y + a->m[5];
}

bool
sl_affine_invert(const struct sl_affine *a, struct sl_affine *out)
{
	const double *m = a->m;
	double det = m[0] * m[4] - m[1] * m[3];
	if (fabs(det) < 1e-12)
		return false;
	double i0 = m[4] / det, i1 = -m[1] / det, i3 = -m[3] / det, i4 = m[0] / det;
	*out = (struct sl_affine){
		{i0, i1, -(i0 * m[2] + i1 * m[5]), i3, i4, -(i3 * m[2] + i4 * m[5])}};
	return true;
}

static bool
is_integer(double v)
{
	return v == floor(v);
}

enum sl_geometry_error
sl_geometry_compute(int32_t buffer_w, int32_t buffer_h, uint32_t transform, int32_t scale,
		    const struct sl_viewport_params *vp, struct sl_surface_geometry *out)
{
	if (scale < 1)
		scale = 1;
	if (buffer_w % scale != 0 || buffer_h % scale != 0)
		return SL_GEOMETRY_NOT_DIVISIBLE;

	/* Size of the content once transformed into the surface's orientation, in buffer pixels. */
	double tw = transform_swaps_axes(transform) ? buffer_h : buffer_w;
	double th = transform_swaps_axes(transform) ? buffer_w : buffer_h;
	/* ...and in surface units, before any viewport. */
	double uw = tw / scale, uh = th / scale;

	double src_x = 0, src_y = 0, src_w = uw, src_h = uh;
	if (vp && vp->has_src) {
		src_x = vp->src_x;
		src_y = vp->src_y;
		src_w = vp->src_w;
		src_h = vp->src_h;
		if (src_x + src_w > uw || src_y + src_h > uh)
			return SL_GEOMETRY_SRC_OUTSIDE;
	}

	double dst_w, dst_h;
	if (vp && vp->has_dst) {
		dst_w = vp->dst_w;
		dst_h = vp->dst_h;
	} else if (vp && vp->has_src) {
		if (!is_integer(src_w) || !is_integer(src_h))
			return SL_GEOMETRY_SRC_NOT_INTEGER;
		dst_w = src_w;
		dst_h = src_h;
	} else {
		dst_w = uw;
		dst_h = uh;
	}

	/* surface → viewport source (surface units) → transformed buffer pixels → buffer pixels */
	struct sl_affine crop = {{src_w / dst_w, 0, src_x, 0, src_h / dst_h, src_y}};
	struct sl_affine scaling = {{scale, 0, 0, 0, scale, 0}};
	struct sl_affine untransform = untransform_matrix(transform, tw, th);
	struct sl_affine tmp = sl_affine_compose(&scaling, &crop);

	out->surface_to_buffer = sl_affine_compose(&untransform, &tmp);
	out->width = (int32_t)dst_w;
	out->height = (int32_t)dst_h;
	out->pixel_exact = true;
	for (int i = 0; i < 6; i++) {
		double v = out->surface_to_buffer.m[i];
		if (!is_integer(v) || ((i == 0 || i == 1 || i == 3 || i == 4) && fabs(v) > 1))
			out->pixel_exact = false;
	}
	return SL_GEOMETRY_OK;
}

static const char *const transform_names[] = {
	"normal", "90", "180", "270", "flipped", "flipped-90", "flipped-180", "flipped-270",
};

bool
sl_transform_parse(const char *name, uint32_t *transform)
{
	for (uint32_t t = 0; t < 8; t++) {
		if (strcmp(name, transform_names[t]) == 0) {
			*transform = t;
			return true;
		}
	}
	return false;
}

const char *
sl_transform_name(uint32_t transform)
{
	return transform < 8 ? transform_names[transform] : "invalid";
}

struct sl_affine
sl_output_layout_to_pixels(uint32_t transform, int32_t pixel_w, int32_t pixel_h, int32_t *layout_w,
			   int32_t *layout_h)
{
	struct sl_surface_geometry g;
	/* The output is a buffer the size of its mode with the output's transform. */
	sl_geometry_compute(pixel_w, pixel_h, transform & 7, 1, NULL, &g);
	*layout_w = g.width;
	*layout_h = g.height;
	return g.surface_to_buffer;
}

uint32_t
sl_transform_of_linear(const struct sl_affine *a)
{
	for (uint32_t t = 0; t < 8; t++) {
		/* The translation depends on the size; the linear part does not. */
		struct sl_affine u = untransform_matrix(t, 1, 1);
		if (u.m[0] == a->m[0] && u.m[1] == a->m[1] && u.m[3] == a->m[3] &&
		    u.m[4] == a->m[4])
			return t;
	}
	return UINT32_MAX;
}

void
sl_affine_box(const struct sl_affine *a, const int32_t in[4], int32_t out[4])
{
	double x[4], y[4];
	sl_affine_apply(a, in[0], in[1], &x[0], &y[0]);
	sl_affine_apply(a, in[2], in[1], &x[1], &y[1]);
	sl_affine_apply(a, in[0], in[3], &x[2], &y[2]);
	sl_affine_apply(a, in[2], in[3], &x[3], &y[3]);
	double x1 = x[0], y1 = y[0], x2 = x[0], y2 = y[0];
	for (int i = 1; i < 4; i++) {
		x1 = fmin(x1, x[i]);
		y1 = fmin(y1, y[i]);
		x2 = fmax(x2, x[i]);
		y2 = fmax(y2, y[i]);
	}
	out[0] = (int32_t)floor(x1);
	out[1] = (int32_t)floor(y1);
	out[2] = (int32_t)ceil(x2);
	out[3] = (int32_t)ceil(y2);
}
