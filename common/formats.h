#ifndef SLUICE_COMMON_FORMATS_H
#define SLUICE_COMMON_FORMATS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * What sluice knows about a pixel format, keyed by DRM fourcc. wl_shm uses the same codes except
 * for its two legacy values (0 = ARGB8888, 1 = XRGB8888), translated by the helpers below.
 */
struct format_info {
	uint32_t drm;
	/* Bytes per pixel of each plane (the chroma planes of subsampled formats included). */
	uint8_t cpp[3];
	uint8_t planes;
	/* Chroma subsampling: width and height divisors of planes 1 and 2. */
	uint8_t hsub, vsub;
	bool has_alpha;
	bool is_yuv;
	/* The same layout without alpha (ARGB8888 → XRGB8888), or 0. */
	uint32_t opaque;
};

const struct format_info *format_info_from_drm(uint32_t drm);
uint32_t format_drm_from_shm(uint32_t shm);
uint32_t format_shm_from_drm(uint32_t drm);
/* Writes the fourcc as printable text ("XR24") into buf (at least 5 bytes) and returns buf. */
const char *format_fourcc_str(uint32_t drm, char buf[static 5]);
/* Minimum stride in bytes of plane 0 for a width, or 0 on overflow or unknown format. */
uint32_t format_min_stride(const struct format_info *info, uint32_t width);
/* All formats in the table, for iteration; *count receives the length. */
const struct format_info *format_table(unsigned *count);

#endif
