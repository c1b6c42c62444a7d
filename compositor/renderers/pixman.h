#ifndef SLUICE_RENDERER_PIXMAN_H
#define SLUICE_RENDERER_PIXMAN_H

struct sl_renderer;

/* The software renderer: pixman on the CPU, for any backend. */
struct sl_renderer *renderer_pixman_create(void);

#endif
