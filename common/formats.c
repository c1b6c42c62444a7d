#include "formats.h"

#include <drm_fourcc.h>
#include <stddef.h>
#include <stdio.h>

#define WL_SHM_ARGB8888 0u
#define WL_SHM_XRGB8888 1u

static const struct format_info formats[] = {
	{.drm = DRM_FORMAT_ARGB8888,
	 .cpp = {4},
	 .planes = 1,
	 .has_alpha = true,
	 .opaque = DRM_FORMAT_XRGB8888},
	{.drm = DRM_FORMAT_XRGB8888, .cpp = {4}, .planes = 1},
	{.drm = DRM_FORMAT_ABGR8888,
	 .cpp = {4},
	 .planes = 1,
	 .has_alpha = true,
	 .opaque = DRM_FORMAT_XBGR8888},
	{.drm = DRM_FORMAT_XBGR8888, .cpp = {4}, .planes = 1},
	{.drm = DRM_FORMAT_RGB565, .cpp = {2}, .planes = 1},
	{.drm = DRM_FORMAT_ARGB2101010,
	 .cpp = {4},
	 .planes = 1,
	 .has_alpha = true,
	 .opaque = DRM_FORMAT_XRGB2101010},
	{.drm = DRM_FORMAT_XRGB2101010, .cpp = {4}, .planes = 1},
	{.drm = DRM_FORMAT_ABGR2101010,
	 .cpp = {4},
	 .planes = 1,
	 .has_alpha = true,
	 .opaque = DRM_FORMAT_XBGR2101010},
	{.drm = DRM_FORMAT_XBGR2101010, .cpp = {4}, .planes = 1},
	/* Packed 4:2:2 YUV, as cameras send it: two pixels share one U and one V sample. */
	{.drm = DRM_FORMAT_YUYV, .cpp = {2}, .planes = 1, .hsub = 2, .vsub = 1, .is_yuv = true},
	{.drm = DRM_FORMAT_UYVY, .cpp = {2}, .planes = 1, .hsub = 2, .vsub = 1, .is_yuv = true},
	/* Semi-planar and planar 4:2:0. */
	{.drm = DRM_FORMAT_NV12, .cpp = {1, 2}, .planes = 2, .hsub = 2, .vsub = 2, .is_yuv = true},
	{.drm = DRM_FORMAT_P010, .cpp = {2, 4}, .planes = 2, .hsub = 2, .vsub = 2, .is_yuv = true},
	{.drm = DRM_FORMAT_YUV420,
	 .cpp = {1, 1, 1},
	 .planes = 3,
	 .hsub = 2,
	 .vsub = 2,
	 .is_yuv = true},
};

const struct format_info *
format_table(unsigned *count)
{
	*count = sizeof(formats) / sizeof(formats[0]);
	return formats;
}

const struct format_info *
format_info_from_drm(uint32_t drm)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].drm == drm)
			return &formats[i];
	return NULL;
}

uint32_t
format_drm_from_shm(uint32_t shm)
{
	switch (shm) {
	case WL_SHM_ARGB8888:
		return DRM_FORMAT_ARGB8888;
	case WL_SHM_XRGB8888:
		return DRM_FORMAT_XRGB8888;
	default:
		return shm;
	}
}

uint32_t
format_shm_from_drm(uint32_t drm)
{
	switch (drm) {
	case DRM_FORMAT_ARGB8888:
		return WL_SHM_ARGB8888;
	case DRM_FORMAT_XRGB8888:
		return WL_SHM_XRGB8888;
	default:
		return drm;
	}
}

const char *
format_fourcc_str(uint32_t drm, char buf[static 5])
{
	for (int i = 0; i < 4; i++) {
		char c = (char)((drm >> (8 * i)) & 0xff);
		buf[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	buf[4] = '\0';
	return buf;
}

uint32_t
format_min_stride(const struct format_info *info, uint32_t width)
{
	if (!info || info->cpp[0] == 0)
		return 0;
	uint64_t stride = (uint64_t)width * info->cpp[0];
	return stride > UINT32_MAX ? 0 : (uint32_t)stride;
}
