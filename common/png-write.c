#include "png-write.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

bool
png_write_xrgb(const char *path, const void *data, uint32_t width, uint32_t height, uint32_t stride,
	       bool with_alpha)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		log_errno("png", "cannot open %s", path);
		return false;
	}
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	unsigned channels = with_alpha ? 4 : 3;
	uint8_t *row = malloc((size_t)width * channels);
	volatile bool ok = false;
	if (!png || !info || !row)
		goto out;
	/* libpng reports errors by longjmp; ok is volatile because it changes after setjmp. */
	if (setjmp(png_jmpbuf(png))) {
		log_error("png", "libpng failed writing %s", path);
		goto out;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, width, height, 8,
		     with_alpha ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (uint32_t y = 0; y < height; y++) {
		const uint32_t *src =
			(const uint32_t *)((const uint8_t *)data + (size_t)y * stride);
		for (uint32_t x = 0; x < width; x++) {
			uint32_t p = src[x];
			uint8_t *dst = row + (size_t)x * channels;
			dst[0] = (uint8_t)(p >> 16);
			dst[1] = (uint8_t)(p >> 8);
			dst[2] = (uint8_t)p;
			if (with_alpha)
				dst[3] = (uint8_t)(p >> 24);
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	ok = true;
out:
	if (png)
		png_destroy_write_struct(&png, info ? &info : NULL);
	free(row);
	if (fclose(f) != 0 && ok) {
		log_errno("png", "cannot write %s", path);
		ok = false;
	}
	return ok;
}
