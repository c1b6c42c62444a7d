#ifndef SLUICE_RENDERER_GL_H
#define SLUICE_RENDERER_GL_H

#include <stdbool.h>
#include <stddef.h>

struct sl_renderer;

/* GLES2 on EGL/GBM on the DRM device drm_fd; NULL (with a log line) if that cannot work. */
struct sl_renderer *renderer_gl_create(int drm_fd);
/*
 * Whether GL on drm_fd is sure to render in software, decided without loading EGL: the device
 * has no GPU behind it (a virtual or display-only driver Mesa has no hardware driver for). False
 * means only "not known": creating the renderer tells. why gets the reason when true.
 */
bool renderer_gl_is_surely_software(int drm_fd, char *why, size_t why_size);

#endif
