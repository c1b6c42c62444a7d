#include "yuv.h"

#include <drm_fourcc.h>

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

uint32_t
yuv_to_xrgb(int y, int u, int v)
{
	/* The inverse, with 16.16 fixed-point coefficients (1.164, 1.596, 0.392, 0.813, 2.017). */
	int c = (y - 16) * 76284, d = u - 128, e = v - 128;
	int r = (c + 104595 * e + 32768) >> 16;
	int g = (c - 25690 * d - 53281 * e + 32768) >> 16;
	int b = (c + 132186 * d + 32768) >> 16;
	return 0xff000000u | (uint32_t)clamp8(r) << 16 | (uint32_t)clamp8(g) << 8 | clamp8(b);
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
			out[x] = yuv_to_xrgb(y, u, v);
		}
	}
	return true;
}
