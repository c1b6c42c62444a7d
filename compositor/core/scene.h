/*
 * What the outputs show. Kiosk style: the most recently mapped window fills every output, its
 * window geometry centred (or aligned to the top-left edge where it is larger than the output),
 * with its subsurfaces, and the cursor on top; the rest is black. Shells add their windows and
 * the seat its cursor: the scene knows neither protocol.
 */
#ifndef SLUICE_SCENE_H
#define SLUICE_SCENE_H

#include <pixman.h>
#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>

struct sl_output;
struct sl_server;
struct sl_surface;
struct sl_scene_window;

struct sl_box {
	int32_t x, y, width, height;
};

struct sl_scene_window_impl {
	/* The root surface, or NULL once it is gone (the role object may outlive it). */
	struct sl_surface *(*surface)(struct sl_scene_window *window);
	/* The window geometry in surface-local coordinates. */
	struct sl_box (*geometry)(struct sl_scene_window *window);
};

/* A window a shell put in the scene (embedded in the shell's own object, e.g. a toplevel). */
struct sl_scene_window {
	const struct sl_scene_window_impl *impl;
	struct wl_list link; /* sl_scene.windows */
	bool mapped;
};

/* Whoever owns the pointer says what it looks like and where. */
struct sl_scene_cursor_impl {
	/*
	 * The cursor surface shown on output (NULL: on any output) and, for an output, where;
	 * NULL when no cursor is shown there.
	 */
	struct sl_surface *(*surface_on)(void *data, struct sl_output *output, int32_t *x,
					 int32_t *y);
};

struct sl_scene {
	/* sl_scene_window.link: mapped ones most recently mapped first, then the others. */
	struct wl_list windows;
	const struct sl_scene_cursor_impl *cursor_impl; /* nullable */
	void *cursor_data;
	struct {
		/* The stacking changed (a window mapped, unmapped or went away): focus follows. */
		struct wl_signal restack;
	} events;
};

void scene_init(struct sl_scene *scene);
/* A new window goes below every mapped one, unmapped; scene_window_map puts it on top. */
void scene_add_window(struct sl_server *server, struct sl_scene_window *window,
		      const struct sl_scene_window_impl *impl);
void scene_window_map(struct sl_server *server, struct sl_scene_window *window);
/* Unmapped or removed (before its surface is gone): where it was is damaged, focus moves. */
void scene_window_unmap(struct sl_server *server, struct sl_scene_window *window);
void scene_remove_window(struct sl_server *server, struct sl_scene_window *window);
void scene_set_cursor(struct sl_server *server, const struct sl_scene_cursor_impl *impl,
		      void *data);

/* The window on top (what every output shows), or NULL. */
struct sl_scene_window *scene_top(struct sl_server *server);
typedef void (*scene_iter_fn)(struct sl_surface *surface, int32_t x, int32_t y, void *data);
/* Calls fn for each mapped surface on the output, bottom to top, with output-local positions. */
void scene_for_each_surface(struct sl_server *server, struct sl_output *output, scene_iter_fn fn,
			    void *data);
/* After a commit: damage (surface-local) and whether the subsurface tree changed shape. */
void scene_surface_committed(struct sl_surface *surface, const pixman_region32_t *damage,
			     bool structure_changed);
/* A surface is being destroyed or unmapped: send wl_surface.leave and damage where it was. */
void scene_surface_gone(struct sl_surface *surface);
/* output is going away: every surface on it leaves it (wl_surface.leave), while it still can. */
void scene_output_removed(struct sl_output *output);

#endif
