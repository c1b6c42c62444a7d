/*
 * The CPU YUV path: BT.601 limited-range conversion both ways, and every layout the pixman renderer
 * (and GL's fallback) reads, painted by the test harness and converted back.
 */
#include <drm_fourcc.h>
#include <stdlib.h>

#include "harness.h"
#include "yuv.h"

static int
channel_diff(uint32_t a, uint32_t b)
{
	int worst = 0;
	for (int shift = 0; shift < 24; shift += 8) {
		int d = abs((int)((a >> shift) & 0xff) - (int)((b >> shift) & 0xff));
		worst = d > worst ? d : worst;
	}
	return worst;
}

static void
test_reference_values(void)
{
	uint8_t y, u, v;
	/* Limited range: black is 16/128/128, white 235/128/128. */
	yuv_from_rgb(0, 0, 0, &y, &u, &v);
	th_check(y == 16 && u == 128 && v == 128, "black → %u %u %u", y, u, v);
	yuv_from_rgb(255, 255, 255, &y, &u, &v);
	th_check(y == 235 && u == 128 && v == 128, "white → %u %u %u", y, u, v);
	yuv_from_rgb(255, 0, 0, &y, &u, &v);
	th_check(y == 82 && u == 90 && v == 240, "red → %u %u %u", y, u, v);
	th_check(yuv_to_xrgb(16, 128, 128) == 0xff000000u);
	th_check(yuv_to_xrgb(235, 128, 128) == 0xffffffffu, "0x%08x",
		 yuv_to_xrgb(235, 128, 128));
	/* Out-of-range inputs clamp instead of wrapping: red and blue would be negative here. */
	th_check((yuv_to_xrgb(0, 0, 0) & 0xffffff) == 0x008800, "0x%08x", yuv_to_xrgb(0, 0, 0));
	th_check((yuv_to_xrgb(255, 255, 255) & 0xff00ff) == 0xff00ff, "0x%08x",
		 yuv_to_xrgb(255, 255, 255));
}

static void
test_round_trip(void)
{
	int worst = 0;
	for (int r = 0; r < 256; r += 15)
		for (int g = 0; g < 256; g += 15)
			for (int b = 0; b < 256; b += 15) {
				uint8_t y, u, v;
				yuv_from_rgb((uint8_t)r, (uint8_t)g, (uint8_t)b, &y, &u, &v);
				uint32_t back = yuv_to_xrgb(y, u, v);
				int d = channel_diff(back, (uint32_t)(r << 16 | g << 8 | b));
				worst = d > worst ? d : worst;
			}
	th_check(worst <= 3, "worst channel error %d", worst);
}

static uint32_t
pattern(int32_t x, int32_t y, void *data)
{
	/* Constant over each 2x2 block, so that subsampling loses nothing. */
	int32_t bx = x / 2, by = y / 2;
	return (uint32_t)((bx * 37) & 0xff) << 16 | (uint32_t)((by * 53) & 0xff) << 8 |
	       (uint32_t)(((bx + by) * 91) & 0xff);
}

static void
test_layouts(void)
{
	static const uint32_t formats[] = {DRM_FORMAT_YUYV, DRM_FORMAT_UYVY, DRM_FORMAT_NV12,
					   DRM_FORMAT_P010, DRM_FORMAT_YUV420};
	enum { W = 34, H = 18 };
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		uint32_t offsets[4], strides[4];
		unsigned n;
		size_t size = th_layout(formats[f], W, H, offsets, strides, &n);
		uint8_t *image = calloc(1, size);
		uint32_t *out = calloc(W * H, 4);
		th_require(image && out);
		th_paint(formats[f], image, offsets, strides, W, H, pattern, NULL);
		const uint8_t *planes[3] = {image + offsets[0], image + offsets[1],
					    image + offsets[2]};
		th_check(yuv_convert_to_xrgb8888(formats[f], planes, strides, W, H, out, W * 4));
		int worst = 0;
		for (int32_t y = 0; y < H; y++)
			for (int32_t x = 0; x < W; x++) {
				int d = channel_diff(out[y * W + x], pattern(x, y, NULL));
				worst = d > worst ? d : worst;
			}
		th_check(worst <= 4, "format 0x%08x: worst channel error %d", formats[f], worst);
		free(image);
		free(out);
	}
	uint32_t dummy;
	const uint8_t *none[3] = {0};
	th_check(!yuv_convert_to_xrgb8888(DRM_FORMAT_XRGB8888, none, (uint32_t[3]){0}, 1, 1, &dummy,
					  4));
}

TH_MAIN({"reference-values", test_reference_values}, {"round-trip", test_round_trip},
	{"layouts", test_layouts})
