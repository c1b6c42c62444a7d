#ifndef SLUICE_COMMON_YUV_H
#define SLUICE_COMMON_YUV_H

#include <stdbool.h>
#include <stdint.h>

/*
 * YUV ↔ RGB for the software paths (the pixman renderer, GL's CPU path, test pattern generators,
 * the camera client). Without a client's word (wp_color_representation_v1) sluice reads YUV as
 * BT.601 with limited ("TV") range, which is what most cameras and decoders produce and what EGL
 * assumes for dma-buf imports without colour hints, so the CPU and GL paths agree.
 */

/* Which matrix and range YCbCr values were encoded with. */
enum yuv_matrix {
	YUV_MATRIX_BT601,
	YUV_MATRIX_BT709,
	YUV_MATRIX_BT2020, /* non-constant luminance */
};

struct yuv_encoding {
	enum yuv_matrix matrix;
	bool full_range;
};

/* BT.601 limited range: what a buffer is read as when nobody says otherwise. */
#define YUV_ENCODING_DEFAULT ((struct yuv_encoding){YUV_MATRIX_BT601, false})

const char *yuv_encoding_name(struct yuv_encoding encoding); /* e.g. "BT.709 full range" */

/* One 8-bit sample of an RGB colour (each 0..255) in the encoding. */
void yuv_encode(struct yuv_encoding encoding, uint8_t r, uint8_t g, uint8_t b, uint8_t *y,
		uint8_t *u, uint8_t *v);
/* XRGB8888 word of one 8-bit sample in the encoding. */
uint32_t yuv_decode(struct yuv_encoding encoding, int y, int u, int v);

/* One 8-bit limited-range BT.601 sample from an RGB colour (each 0..255): yuv_encode's default. */
void yuv_from_rgb(uint8_t r, uint8_t g, uint8_t b, uint8_t *y, uint8_t *u, uint8_t *v);
/* XRGB8888 word of one sample; y, u, v are 8-bit limited-range BT.601. */
uint32_t yuv_to_xrgb(int y, int u, int v);

/*
 * Converts a whole YUV image (YUYV, UYVY, NV12, P010 or YUV420, planes as the format lays them
 * out) into XRGB8888 words. Returns false for a format it does not convert.
 */
bool yuv_convert_to_xrgb8888(uint32_t drm_format, const uint8_t *const planes[3],
			     const uint32_t strides[3], int32_t width, int32_t height,
			     uint32_t *dst, uint32_t dst_stride);
/* The same for rows first_row to end_row - 1 only; dst receives row first_row. */
bool yuv_convert_rows_to_xrgb8888(uint32_t drm_format, const uint8_t *const planes[3],
				  const uint32_t strides[3], int32_t width, int32_t first_row,
				  int32_t end_row, uint32_t *dst, uint32_t dst_stride);
/* The same, read in the given encoding. */
bool yuv_convert_rows_encoded(uint32_t drm_format, struct yuv_encoding encoding,
			      const uint8_t *const planes[3], const uint32_t strides[3],
			      int32_t width, int32_t first_row, int32_t end_row, uint32_t *dst,
			      uint32_t dst_stride);

#endif
