#ifndef SLUICE_REGION_H
#define SLUICE_REGION_H

#include <pixman.h>
#include <stdint.h>
#include <wayland-server-core.h>

/* Adds or removes a client rectangle, clamped so that huge sizes cannot overflow pixman's int32. */
void region_add_rect(pixman_region32_t *region, int32_t x, int32_t y, int32_t w, int32_t h);
void region_subtract_rect(pixman_region32_t *region, int32_t x, int32_t y, int32_t w, int32_t h);
/* A region that covers every representable point: the default input region. */
void region_init_infinite(pixman_region32_t *region);
/* The pixman region behind a wl_region resource. */
pixman_region32_t *region_from_resource(struct wl_resource *resource);
void region_create(struct wl_client *client, uint32_t version, uint32_t id);

static inline int32_t
box_width(const pixman_box32_t *box)
{
	return box->x2 - box->x1;
}

static inline int32_t
box_height(const pixman_box32_t *box)
{
	return box->y2 - box->y1;
}

#endif
