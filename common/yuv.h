#ifndef SLUICE_COMMON_YUV_H
#define SLUICE_COMMON_YUV_H

#include <stdbool.h>
#include <stdint.h>

/*
 * YUV ↔ RGB for the software paths (the pixman renderer, test pattern generators). sluice reads
 * YUV as BT.601 with limited ("TV") range, which is what cameras and video decoders produce and
 * what EGL assumes for dma-buf imports without colour hints, so the CPU and GL paths agree.
 */

/* One 8-bit limited-range BT.601 sample from an RGB colour (each 0..255). */
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

#endif
