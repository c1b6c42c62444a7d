#ifndef SLUICE_RENDERER_GL_H
#define SLUICE_RENDERER_GL_H

struct sl_renderer;

/* GLES2 on EGL/GBM on the DRM device drm_fd; NULL (with a log line) if that cannot work. */
struct sl_renderer *renderer_gl_create(int drm_fd);

#endif
