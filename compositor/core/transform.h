#ifndef SLUICE_TRANSFORM_H
#define SLUICE_TRANSFORM_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Pure geometry of wl_surface content: buffer transform, buffer scale and wp_viewport, turned into
 * a surface size and an affine map from surface-local coordinates to buffer pixels. Kept free of
 * libwayland so that unit tests can check it directly.
 */

/* bx = m[0]*sx + m[1]*sy + m[2];  by = m[3]*sx + m[4]*sy + m[5] */
struct sl_affine {
	double m[6];
};

struct sl_viewport_params {
	bool has_src, has_dst;
	double src_x, src_y, src_w, src_h;
	int32_t dst_w, dst_h;
};

enum sl_geometry_error {
	SL_GEOMETRY_OK = 0,
	SL_GEOMETRY_NOT_DIVISIBLE,   /* buffer size not a multiple of the scale */
	SL_GEOMETRY_SRC_NOT_INTEGER, /* no destination and a fractional source size */
	SL_GEOMETRY_SRC_OUTSIDE,     /* source rectangle extends beyond the buffer */
};

struct sl_surface_geometry {
	int32_t width, height; /* surface size in surface-local coordinates */
	struct sl_affine surface_to_buffer;
	/* true when the map is a pure integer translation/flip/rotation (no resampling needed) */
	bool pixel_exact;
};

/* transform is a wl_output_transform value (0..7). */
enum sl_geometry_error sl_geometry_compute(int32_t buffer_w, int32_t buffer_h, uint32_t transform,
					   int32_t scale, const struct sl_viewport_params *vp,
					   struct sl_surface_geometry *out);

/*
 * Output transforms (wl_output.transform, 0..7): the name the command line uses ("normal", "90",
 * ..., "flipped-270") and back; false for an unknown name.
 */
bool sl_transform_parse(const char *name, uint32_t *transform);
const char *sl_transform_name(uint32_t transform);
/*
 * An output of pixel_w x pixel_h pixels (its mode) shown with transform: its layout size (what
 * clients and input see) and the map from layout coordinates to pixels. A client buffer of the
 * mode's size with the same buffer_transform maps 1:1 onto the pixels, which is what lets a
 * pre-rotated client be scanned out.
 */
struct sl_affine sl_output_layout_to_pixels(uint32_t transform, int32_t pixel_w, int32_t pixel_h,
					    int32_t *layout_w, int32_t *layout_h);
/*
 * The transform whose surface-to-buffer map has the same linear part as a (a signed permutation:
 * what is left of a map that only turns or flips), or UINT32_MAX if there is none.
 */
uint32_t sl_transform_of_linear(const struct sl_affine *a);
/* The bounding box (x1, y1, x2, y2) of a box through a, rounded outwards. */
void sl_affine_box(const struct sl_affine *a, const int32_t in[4], int32_t out[4]);
/* a ∘ b: first b, then a. */
struct sl_affine sl_affine_compose(const struct sl_affine *a, const struct sl_affine *b);

void sl_affine_apply(const struct sl_affine *a, double x, double y, double *ox, double *oy);
/* Returns false if the matrix is singular. */
bool sl_affine_invert(const struct sl_affine *a, struct sl_affine *out);

#endif
