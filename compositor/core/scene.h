#ifndef SLUICE_SCENE_H
#define SLUICE_SCENE_H

#include <pixman.h>
#include <stdbool.h>
#include <stdint.h>

struct sl_server;
struct sl_output;
struct sl_surface;
struct sl_xdg_toplevel;

/*
 * What the outputs show. Kiosk style: the most recently mapped toplevel fills every output, its
 * window geometry centred (or aligned to the top-left edge where it is larger than the output),
 * with its subsurfaces; the rest is black.
 */
struct sl_xdg_toplevel *scene_top(struct sl_server *server);

typedef void (*scene_iter_fn)(struct sl_surface *surface, int32_t x, int32_t y, void *data);
/* Calls fn for each mapped surface on the output, bottom to top, with output-local positions. */
void scene_for_each_surface(struct sl_server *server, struct sl_output *output, scene_iter_fn fn,
			    void *data);

/* After a commit: damage (surface-local) and whether the subsurface tree changed shape. */
void scene_surface_committed(struct sl_surface *surface, const pixman_region32_t *damage,
			     bool structure_changed);
/* The stacking changed (a toplevel mapped, unmapped or went away). */
void scene_restack(struct sl_server *server);
/* A surface is being destroyed or unmapped: send wl_surface.leave and damage where it was. */
void scene_surface_gone(struct sl_surface *surface);
/* output is going away: every surface on it leaves it (wl_surface.leave), while it still can. */
void scene_output_removed(struct sl_output *output);

#endif
