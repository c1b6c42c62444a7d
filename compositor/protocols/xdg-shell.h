#ifndef SLUICE_XDG_SHELL_H
#define SLUICE_XDG_SHELL_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>

#include "core/scene.h"

struct sl_surface;
struct sl_server;

struct sl_xdg_surface;

/* An xdg_toplevel: in kiosk style, the most recently mapped one fills every output. */
struct sl_xdg_toplevel {
	struct wl_resource *resource;
	struct sl_xdg_surface *xdg_surface;
	struct sl_server *server;
	struct sl_scene_window window; /* in the scene from creation; window.mapped */
	/* What the last configure said. */
	bool configured_once, activated;
	int32_t sent_width, sent_height;
	char *title, *app_id; /* nullable */
	int32_t min_w, min_h, max_w, max_h;
	struct sl_xdg_toplevel *parent; /* nullable */
	struct wl_listener parent_destroy;
	struct wl_signal destroy;
	struct wl_resource *decoration; /* zxdg_toplevel_decoration_v1, nullable */
};

struct sl_xdg_toplevel *xdg_toplevel_from_resource(struct wl_resource *resource);
/* A buffer was attached or committed before the first configure was acked. */
bool xdg_toplevel_has_unconfigured_buffer(struct sl_xdg_toplevel *toplevel);
/* A new configure sequence (once the initial one was sent): for state that changed. */
void xdg_toplevel_configure_again(struct sl_xdg_toplevel *toplevel);

#endif
