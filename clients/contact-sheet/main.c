/*
 * sluice-contact-sheet: lays PNG captures out as a grid of thumbnails in one PNG, so a CI run's
 * frames can be seen at a glance.
 *
 *   sluice-contact-sheet [--columns N] [--width PIXELS] OUT.png IN.png...
 */
#include <errno.h>
#include <getopt.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "png-write.h"

static int
fail(const char *message, const char *detail)
{
	fprintf(stderr, "sluice-contact-sheet: %s%s\n", message, detail ? detail : "");
	return 1;
}

/* One capture as 0xAARRGGBB words (png's BGRA order on little-endian), or NULL. */
static uint32_t *
read_png(const char *path, uint32_t *width, uint32_t *height)
{
	png_image image = {.version = PNG_IMAGE_VERSION};
	if (!png_image_begin_read_from_file(&image, path)) {
		fprintf(stderr, "sluice-contact-sheet: %s: %s\n", path, image.message);
		return NULL;
	}
	image.format = PNG_FORMAT_BGRA;
	uint32_t *pixels = malloc(PNG_IMAGE_SIZE(image));
	if (!pixels || !png_image_finish_read(&image, NULL, pixels, 0, NULL)) {
		fprintf(stderr, "sluice-contact-sheet: %s: %s\n", path,
			pixels ? image.message : "out of memory");
		free(pixels);
		png_image_free(&image);
		return NULL;
	}
	*width = image.width;
	*height = image.height;
	return pixels;
}

/* Box-filters src into a w x h rectangle of dst (stride in pixels). */
static void
place(uint32_t *dst, uint32_t stride, uint32_t w, uint32_t h, const uint32_t *src, uint32_t sw,
      uint32_t sh)
{
	for (uint32_t y = 0; y < h; y++) {
		uint32_t y0 = y * sh / h, y1 = (y + 1) * sh / h;
		for (uint32_t x = 0; x < w; x++) {
			uint32_t x0 = x * sw / w, x1 = (x + 1) * sw / w;
			uint64_t sum[3] = {0}, n = 0;
			for (uint32_t sy = y0; sy < (y1 > y0 ? y1 : y0 + 1); sy++)
				for (uint32_t sx = x0; sx < (x1 > x0 ? x1 : x0 + 1); sx++, n++)
					for (int c = 0; c < 3; c++)
						sum[c] += (src[sy * sw + sx] >> (8 * c)) & 0xff;
			dst[y * stride + x] = 0xff000000u | (uint32_t)(sum[2] / n) << 16 |
					      (uint32_t)(sum[1] / n) << 8 | (uint32_t)(sum[0] / n);
		}
	}
}

static const char usage[] =
	"Usage: sluice-contact-sheet [OPTIONS] OUT.png IN.png...\n"
	"Lays PNG captures out as a grid of thumbnails in OUT.png.\n"
	"\n"
	"  -c, --columns N      thumbnails per row, 1 to 16 (default 3)\n"
	"  -w, --width PIXELS   each thumbnail's width, 16 to 4096 (default 320)\n"
	"  -h, --help           show this help\n";

int
main(int argc, char *argv[])
{
	static const struct option options[] = {
		{"columns", required_argument, NULL, 'c'},
		{"width", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	long columns = 3, thumb_width = 320;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:w:h", options, NULL)) != -1) {
		char *end;
		switch (opt) {
		case 'c':
			columns = strtol(optarg, &end, 10);
			if (*end || columns < 1 || columns > 16)
				return fail("invalid --columns: ", optarg);
			break;
		case 'w':
			thumb_width = strtol(optarg, &end, 10);
			if (*end || thumb_width < 16 || thumb_width > 4096)
				return fail("invalid --width: ", optarg);
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case ':':
			return fail("this option needs an argument: ", argv[optind - 1]);
		default:
			return fail("unknown option (see --help): ", argv[optind - 1]);
		}
	}
	if (argc - optind < 2)
		return fail("expected OUT.png and at least one IN.png (see --help)", NULL);
	const char *out = argv[optind];
	int n = argc - optind - 1;
	uint32_t tw = (uint32_t)thumb_width, th = 0, gap = 8;
	uint32_t cols = (uint32_t)(n < columns ? n : columns),
		 rows = ((uint32_t)n + cols - 1) / cols;
	uint32_t *sheet = NULL, sheet_w = 0, sheet_h = 0;
	for (int i = 0; i < n; i++) {
		uint32_t w, h;
		uint32_t *pixels = read_png(argv[optind + 1 + i], &w, &h);
		if (!pixels) {
			free(sheet);
			return 1;
		}
		if (!sheet) {
			/* Every thumbnail keeps the first capture's aspect ratio. */
			th = (uint32_t)((uint64_t)tw * h / w);
			sheet_w = cols * tw + (cols + 1) * gap;
			sheet_h = rows * th + (rows + 1) * gap;
			sheet = malloc((size_t)sheet_w * sheet_h * 4);
			if (!sheet) {
				free(pixels);
				return fail("out of memory", NULL);
			}
			for (size_t k = 0; k < (size_t)sheet_w * sheet_h; k++)
				sheet[k] = 0xff404040u;
		}
		uint32_t x = gap + (uint32_t)(i % (int)cols) * (tw + gap);
		uint32_t y = gap + (uint32_t)(i / (int)cols) * (th + gap);
		place(sheet + (size_t)y * sheet_w + x, sheet_w, tw, th, pixels, w, h);
		free(pixels);
	}
	bool ok = png_write_xrgb(out, sheet, sheet_w, sheet_h, sheet_w * 4, false);
	free(sheet);
	if (!ok)
		return fail("cannot write ", out);
	return 0;
}
