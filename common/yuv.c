#include "yuv.h"

#include <drm_fourcc.h>
#include <math.h>

static uint8_t
clamp8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

void
yuv_from_rgb(uint8_t r, uint8_t g, uint8_t b, uint8_t *y, uint8_t *u, uint8_t *v)
{
	/* BT.601 limited range, coefficients scaled by 256 and rounded. */
	*y = clamp8(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16);
	*u = clamp8(((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128);
	*v = clamp8(((112 * r - 94 * g - 18 * b + 128) >> 8) + 128);
}

/* Kr and Kb of each matrix (Kg = 1 - Kr - Kb), from the recommendations themselves. */
static void
matrix_weights(enum yuv_matrix matrix, double *kr, double *kb)
{
	switch (matrix) {
	case YUV_MATRIX_BT709:
		*kr = 0.2126;
		*kb = 0.0722;
		return;
	case YUV_MATRIX_BT2020:
		*kr = 0.2627;
		*kb = 0.0593;
		return;
	case YUV_MATRIX_BT601:
	default:
		*kr = 0.299;
		*kb = 0.114;
		return;
	}
}

const char *
yuv_encoding_name(struct yuv_encoding encoding)
{
	static const char *const names[3][2] = {
		{"BT.601 limited range", "BT.601 full range"},
		{"BT.709 limited range", "BT.709 full range"},
		{"BT.2020 limited range", "BT.2020 full range"},
	};
	return names[encoding.matrix <= YUV_MATRIX_BT2020 ? encoding.matrix : 0]
		    [encoding.full_range];
}

/*
 * Quantization: limited range puts Y' (0..1) on 16..235 and Cb, Cr (-0.5..0.5) on 16..240;
 * full range uses 0..255 for both, chroma centred on 128.
 */
static double
luma_scale(bool full)
{
	return full ? 255.0 : 219.0;
}

static double
chroma_scale(bool full)
{
	return full ? 255.0 : 224.0;
}

void
yuv_encode(struct yuv_encoding e, uint8_t r, uint8_t g, uint8_t b, uint8_t *y, uint8_t *u,
	   uint8_t *v)
{
	double kr, kb;
	matrix_weights(e.matrix, &kr, &kb);
	double rr = r / 255.0, gg = g / 255.0, bb = b / 255.0;
	double yy = kr * rr + (1 - kr - kb) * gg + kb * bb;
	double cb = (bb - yy) / (2 * (1 - kb)), cr = (rr - yy) / (2 * (1 - kr));
	double foot = e.full_range ? 0 : 16;
	*y = clamp8((int)lround(foot + luma_scale(e.full_range) * yy));
	*u = clamp8((int)lround(128 + chroma_scale(e.full_range) * cb));
	*v = clamp8((int)lround(128 + chroma_scale(e.full_range) * cr));
}

/* 16.16 fixed-point factors of one encoding's decode, worked out once per conversion. */
struct decode_factors {
	int foot, y, rv, gu, gv, bu;
};

static struct decode_factors
decode_factors(struct yuv_encoding e)
{
	double kr, kb;
	matrix_weights(e.matrix, &kr, &kb);
	double kg = 1 - kr - kb;
	double ys = 255.0 / luma_scale(e.full_range), cs = 255.0 / chroma_scale(e.full_range);
	return (struct decode_factors){
		.foot = e.full_range ? 0 : 16,
		.y = (int)lround(ys * 65536),
		.rv = (int)lround(2 * (1 - kr) * cs * 65536),
		.gu = (int)lround(2 * kb * (1 - kb) / kg * cs * 65536),
		.gv = (int)lround(2 * kr * (1 - kr) / kg * cs * 65536),
		.bu = (int)lround(2 * (1 - kb) * cs * 65536),
	};
}

static uint32_t
decode_with(const struct decode_factors *f, int y, int u, int v)
{
	int c = (y - f->foot) * f->y, d = u - 128, e = v - 128;
	int r = (c + f->rv * e + 32768) >> 16;
	int g = (c - f->gu * d - f->gv * e + 32768) >> 16;
	int b = (c + f->bu * d + 32768) >> 16;
	return 0xff000000u | (uint32_t)clamp8(r) << 16 | (uint32_t)clamp8(g) << 8 | clamp8(b);
}

uint32_t
yuv_decode(struct yuv_encoding encoding, int y, int u, int v)
{
	struct decode_factors f = decode_factors(encoding);
	return decode_with(&f, y, u, v);
}

uint32_t
yuv_to_xrgb(int y, int u, int v)
{
	return yuv_decode(YUV_ENCODING_DEFAULT, y, u, v);
}

/* P010 keeps 10 significant bits in the top of each 16-bit word; 8 are enough for XRGB8888. */
static int
p010_sample(const uint8_t *p)
{
	uint16_t word = (uint16_t)(p[0] | p[1] << 8);
	return word >> 8;
}

bool
yuv_convert_to_xrgb8888(uint32_t drm_format, const uint8_t *const planes[3],
			const uint32_t strides[3], int32_t width, int32_t height, uint32_t *dst,
			uint32_t dst_stride)
{
	return yuv_convert_rows_to_xrgb8888(drm_format, planes, strides, width, 0, height, dst,
					    dst_stride);
}

bool
yuv_convert_rows_to_xrgb8888(uint32_t drm_format, const uint8_t *const planes[3],
			     const uint32_t strides[3], int32_t width, int32_t first_row,
			     int32_t end_row, uint32_t *dst, uint32_t dst_stride)
{
	return yuv_convert_rows_encoded(drm_format, YUV_ENCODING_DEFAULT, planes, strides, width,
					first_row, end_row, dst, dst_stride);
}

bool
yuv_convert_rows_encoded(uint32_t drm_format, struct yuv_encoding encoding,
			 const uint8_t *const planes[3], const uint32_t strides[3], int32_t width,
			 int32_t first_row, int32_t end_row, uint32_t *dst, uint32_t dst_stride)
{
	struct decode_factors f = decode_factors(encoding);
	switch (drm_format) {
	case DRM_FORMAT_YUYV:
	case DRM_FORMAT_UYVY:
	case DRM_FORMAT_NV12:
	case DRM_FORMAT_P010:
	case DRM_FORMAT_YUV420:
		break;
	default:
		return false;
	}
	for (int32_t row = first_row; row < end_row; row++) {
		uint32_t *out =
			(uint32_t *)((uint8_t *)dst + (uint64_t)(row - first_row) * dst_stride);
		const uint8_t *p0 = planes[0] + (uint64_t)row * strides[0];
		for (int32_t x = 0; x < width; x++) {
			int y, u, v;
			switch (drm_format) {
			case DRM_FORMAT_YUYV: {
				const uint8_t *pair = p0 + (x / 2) * 4;
				y = pair[(x & 1) * 2];
				u = pair[1];
				v = pair[3];
				break;
			}
			case DRM_FORMAT_UYVY: {
				const uint8_t *pair = p0 + (x / 2) * 4;
				y = pair[1 + (x & 1) * 2];
				u = pair[0];
				v = pair[2];
				break;
			}
			case DRM_FORMAT_NV12: {
				const uint8_t *uv = planes[1] + (uint64_t)(row / 2) * strides[1];
				y = p0[x];
				u = uv[(x / 2) * 2];
				v = uv[(x / 2) * 2 + 1];
				break;
			}
			case DRM_FORMAT_P010: {
				const uint8_t *uv = planes[1] + (uint64_t)(row / 2) * strides[1];
				y = p010_sample(p0 + x * 2);
				u = p010_sample(uv + (x / 2) * 4);
				v = p010_sample(uv + (x / 2) * 4 + 2);
				break;
			}
			default: /* YUV420: Y, then U, then V planes */
				y = p0[x];
				u = planes[1][(uint64_t)(row / 2) * strides[1] + (uint64_t)(x / 2)];
				v = planes[2][(uint64_t)(row / 2) * strides[2] + (uint64_t)(x / 2)];
				break;
			}
			out[x] = decode_with(&f, y, u, v);
		}
	}
	return true;
}
