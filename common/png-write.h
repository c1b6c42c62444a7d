#ifndef SLUICE_COMMON_PNG_WRITE_H
#define SLUICE_COMMON_PNG_WRITE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Writes 32-bit pixels (DRM XRGB8888 or ARGB8888 words in native byte order) as an 8-bit RGB or
 * RGBA PNG. Returns false and sets errno-style diagnostics on the log on failure.
 */
bool png_write_xrgb(const char *path, const void *data, uint32_t width, uint32_t height,
		    uint32_t stride, bool with_alpha);

#endif
