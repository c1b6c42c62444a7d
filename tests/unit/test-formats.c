/* The shared format table. */
#include <drm_fourcc.h>
#include <string.h>

#include "formats.h"
#include "harness.h"

static void
test_shm_codes(void)
{
	th_check(format_drm_from_shm(0) == DRM_FORMAT_ARGB8888);
	th_check(format_drm_from_shm(1) == DRM_FORMAT_XRGB8888);
	th_check(format_shm_from_drm(DRM_FORMAT_ARGB8888) == 0);
	th_check(format_shm_from_drm(DRM_FORMAT_XRGB8888) == 1);
	th_check(format_drm_from_shm(DRM_FORMAT_RGB565) == DRM_FORMAT_RGB565);
	unsigned count;
	const struct format_info *table = format_table(&count);
	for (unsigned i = 0; i < count; i++)
		th_check(format_drm_from_shm(format_shm_from_drm(table[i].drm)) == table[i].drm);
}

static void
test_info(void)
{
	const struct format_info *argb = format_info_from_drm(DRM_FORMAT_ARGB8888);
	th_require(argb);
	th_check(argb->has_alpha && argb->opaque == DRM_FORMAT_XRGB8888 && argb->cpp[0] == 4);
	const struct format_info *nv12 = format_info_from_drm(DRM_FORMAT_NV12);
	th_require(nv12);
	th_check(nv12->planes == 2 && nv12->is_yuv && nv12->hsub == 2 && nv12->vsub == 2);
	th_check(format_info_from_drm(0x12345678) == NULL);
}

static void
test_stride(void)
{
	th_check(format_min_stride(format_info_from_drm(DRM_FORMAT_XRGB8888), 100) == 400);
	th_check(format_min_stride(format_info_from_drm(DRM_FORMAT_RGB565), 100) == 200);
	th_check(format_min_stride(format_info_from_drm(DRM_FORMAT_XRGB8888), 0x40000000u) == 0,
		 "overflow must be reported as 0");
	th_check(format_min_stride(NULL, 10) == 0);
}

static void
test_fourcc_str(void)
{
	char buf[5];
	th_check(strcmp(format_fourcc_str(DRM_FORMAT_XRGB8888, buf), "XR24") == 0);
	th_check(strcmp(format_fourcc_str(0x01020304, buf), "????") == 0);
}

TH_MAIN({"shm-codes", test_shm_codes}, {"info", test_info}, {"min-stride", test_stride},
	{"fourcc-str", test_fourcc_str})
