/*
 * xdg_wm_base: windows. Kiosk style: every toplevel is configured fullscreen to the primary
 * output's size, and the most recently mapped one is shown (and activated). Popups are accepted and
 * dismissed at once with popup_done, a valid compositor choice that keeps clients running.
 */
#include "protocols/xdg-shell.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-server-protocol.h>
#include <xdg-shell-server-protocol.h>

#include "log.h"
#include "core/output.h"
#include "core/scene.h"
#include "core/resource.h"
#include "protocols/protocols.h"
#include "core/server.h"
#include "core/surface.h"

/*
 * Version 3, not 5: weston 10's own clients (weston-presentation-shm, ...) bind whatever version is
 * advertised but have no handlers for v4's configure_bounds or v5's wm_capabilities, and abort when
 * those arrive. Neither event tells a fullscreen kiosk client anything its configure does not.
 */
#define XDG_WM_BASE_VERSION 3

struct sl_xdg_wm_base {
	struct wl_resource *resource;
	struct sl_server *server;
	struct wl_list surfaces; /* sl_xdg_surface.wm_link */
};

struct sl_xdg_surface {
	struct wl_resource *resource;
	struct sl_server *server;
	struct sl_xdg_wm_base *wm_base; /* NULL once the client destroyed it */
	struct wl_list wm_link;
	struct sl_surface *surface;	  /* NULL once the wl_surface is gone */
	struct sl_xdg_toplevel *toplevel; /* nullable role object */
	struct wl_resource *popup;	  /* nullable role object */
	bool ever_had_role;

	bool initial_configure_sent;
	bool configured;	 /* a configure was acked since the last (re)start */
	struct wl_array serials; /* uint32_t configures sent and not yet acked */

	struct sl_box geometry, pending_geometry;
	bool has_geometry, pending_has_geometry;

	struct wl_listener surface_destroy;
};

struct sl_positioner {
	int32_t width, height;
	struct sl_box anchor_rect;
	bool has_size, has_anchor_rect;
};

static const struct xdg_surface_interface xdg_surface_impl;
static const struct xdg_toplevel_interface xdg_toplevel_impl;

static struct sl_surface *
xdg_toplevel_surface(struct sl_xdg_toplevel *toplevel)
{
	return toplevel->xdg_surface ? toplevel->xdg_surface->surface : NULL;
}

static struct sl_surface *
toplevel_window_surface(struct sl_scene_window *window)
{
	struct sl_xdg_toplevel *toplevel = wl_container_of(window, toplevel, window);
	return xdg_toplevel_surface(toplevel);
}

/* The window geometry in surface-local coordinates (the surface's extents if never set). */
static struct sl_box
toplevel_window_geometry(struct sl_scene_window *window)
{
	struct sl_xdg_toplevel *toplevel = wl_container_of(window, toplevel, window);
	struct sl_xdg_surface *xs = toplevel->xdg_surface;
	struct sl_surface *surface = xdg_toplevel_surface(toplevel);
	struct sl_box extents = {0, 0, surface ? surface->geometry.width : 0,
				 surface ? surface->geometry.height : 0};
	if (!xs || !xs->has_geometry)
		return extents;
	return xs->geometry;
}

static const struct sl_scene_window_impl toplevel_window_impl = {
	.surface = toplevel_window_surface,
	.geometry = toplevel_window_geometry,
};

/* ---- configure ---- */

static uint32_t
xdg_surface_send_configure_serial(struct sl_xdg_surface *xs)
{
	uint32_t serial = wl_display_next_serial(xs->server->display);
	uint32_t *slot = wl_array_add(&xs->serials, sizeof(*slot));
	if (slot)
		*slot = serial;
	else
		wl_client_post_no_memory(wl_resource_get_client(xs->resource));
	xdg_surface_send_configure(xs->resource, serial);
	return serial;
}

/* Sends a configure; unless forced, only when size or activation changed since the last one. */
static void
toplevel_configure(struct sl_xdg_toplevel *toplevel, bool force)
{
	struct sl_xdg_surface *xs = toplevel->xdg_surface;
	struct sl_server *server = xs->server;
	struct sl_output *output = server_primary_output(server);
	int32_t width = output ? output->width : 0;
	int32_t height = output ? output->height : 0;
	/* The toplevel shown is activated; an unmapped one will be on top once it maps. */
	bool activated = toplevel->window.mapped ? scene_top(server) == &toplevel->window : true;
	/* The toplevel shown covers the output: its buffers could go straight to the plane. */
	if (xs->surface)
		sl_surface_set_scanout_candidate(xs->surface, activated);

	if (!force && toplevel->configured_once && toplevel->sent_width == width &&
	    toplevel->sent_height == height && toplevel->activated == activated)
		return;
	toplevel->configured_once = true;
	toplevel->sent_width = width;
	toplevel->sent_height = height;
	toplevel->activated = activated;

	struct wl_array states;
	wl_array_init(&states);
	uint32_t *state = wl_array_add(&states, sizeof(*state));
	if (state)
		*state = XDG_TOPLEVEL_STATE_FULLSCREEN;
	if (activated && (state = wl_array_add(&states, sizeof(*state))))
		*state = XDG_TOPLEVEL_STATE_ACTIVATED;
	if (wl_resource_get_version(toplevel->resource) >=
	    XDG_TOPLEVEL_CONFIGURE_BOUNDS_SINCE_VERSION)
		xdg_toplevel_send_configure_bounds(toplevel->resource, width, height);
	xdg_toplevel_send_configure(toplevel->resource, width, height, &states);
	wl_array_release(&states);
	xdg_surface_send_configure_serial(xs);
}

/* New configure events to every toplevel whose size or activation changed. */
static void
xdg_shell_reconfigure_all(struct sl_server *server)
{
	struct sl_scene_window *window;
	wl_list_for_each (window, &server->scene.windows, link) {
		if (window->impl != &toplevel_window_impl)
			continue;
		struct sl_xdg_toplevel *toplevel = wl_container_of(window, toplevel, window);
		if (toplevel->xdg_surface && toplevel->xdg_surface->initial_configure_sent)
			toplevel_configure(toplevel, false);
	}
}

/* ---- mapping ---- */

static void
toplevel_map(struct sl_xdg_toplevel *toplevel)
{
	struct sl_server *server = toplevel->xdg_surface->server;
	/* The newest mapped toplevel goes on top. */
	scene_window_map(server, &toplevel->window);
	xdg_shell_reconfigure_all(server);
	log_debug("xdg", "toplevel mapped: %s (%dx%d)",
		  toplevel->app_id ? toplevel->app_id : "(no app id)",
		  toplevel->xdg_surface->surface->geometry.width,
		  toplevel->xdg_surface->surface->geometry.height);
}

static void
toplevel_unmap(struct sl_xdg_toplevel *toplevel)
{
	if (!toplevel->window.mapped)
		return;
	struct sl_server *server = toplevel->xdg_surface->server;
	scene_window_unmap(server, &toplevel->window);
	xdg_shell_reconfigure_all(server);
}

/* ---- xdg_surface role hooks on the wl_surface ---- */

static bool
xdg_surface_precommit(struct sl_surface *surface)
{
	struct sl_xdg_surface *xs = surface->role_data;
	if (!xs)
		return true;
	if (!xs->toplevel && !xs->popup && !xs->ever_had_role) {
		wl_resource_post_error(
			xs->resource, XDG_SURFACE_ERROR_NOT_CONSTRUCTED,
			"commit on an xdg_surface without xdg_toplevel or xdg_popup");
		return false;
	}
	if ((surface->pending.committed & SL_STATE_BUFFER) && surface->pending.buffer &&
	    !xs->configured) {
		wl_resource_post_error(xs->resource, XDG_SURFACE_ERROR_UNCONFIGURED_BUFFER,
				       "buffer attached before the first configure was acked");
		return false;
	}
	return true;
}

static void
xdg_surface_commit(struct sl_surface *surface)
{
	struct sl_xdg_surface *xs = surface->role_data;
	if (!xs)
		return;
	if (xs->pending_has_geometry) {
		xs->geometry = xs->pending_geometry;
		xs->has_geometry = true;
		xs->pending_has_geometry = false;
	}
	struct sl_xdg_toplevel *toplevel = xs->toplevel;
	if (!toplevel)
		return;
	if (!xs->initial_configure_sent) {
		xs->initial_configure_sent = true;
		toplevel_configure(toplevel, true);
		return;
	}
	if (surface->current.buffer && xs->configured && !toplevel->window.mapped) {
		toplevel_map(toplevel);
	} else if (!surface->current.buffer && toplevel->window.mapped) {
		/* A NULL buffer unmaps; the client starts over with an initial commit. */
		toplevel_unmap(toplevel);
		xs->initial_configure_sent = false;
		xs->configured = false;
	}
}

static const struct sl_surface_role xdg_surface_role = {
	.name = "xdg_surface",
	.precommit = xdg_surface_precommit,
	.commit = xdg_surface_commit,
};

/* ---- xdg_toplevel ---- */

static struct sl_xdg_toplevel *
toplevel_from_resource(struct wl_resource *resource)
{
	assert(wl_resource_instance_of(resource, &xdg_toplevel_interface, &xdg_toplevel_impl));
	return wl_resource_get_user_data(resource);
}

struct sl_xdg_toplevel *
xdg_toplevel_from_resource(struct wl_resource *resource)
{
	return toplevel_from_resource(resource);
}

bool
xdg_toplevel_has_unconfigured_buffer(struct sl_xdg_toplevel *toplevel)
{
	struct sl_xdg_surface *xs = toplevel->xdg_surface;
	struct sl_surface *surface = xs ? xs->surface : NULL;
	return surface && !xs->configured && (surface->pending.buffer || surface->current.buffer);
}

static void
toplevel_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
toplevel_handle_parent_destroy(struct wl_listener *listener, void *data)
{
	struct sl_xdg_toplevel *toplevel = wl_container_of(listener, toplevel, parent_destroy);
	toplevel->parent = NULL;
	wl_list_remove(&listener->link);
	wl_list_init(&listener->link);
}

static void
toplevel_handle_set_parent(struct wl_client *client, struct wl_resource *resource,
			   struct wl_resource *parent_resource)
{
	struct sl_xdg_toplevel *toplevel = toplevel_from_resource(resource);
	struct sl_xdg_toplevel *parent =
		parent_resource ? toplevel_from_resource(parent_resource) : NULL;
	for (struct sl_xdg_toplevel *t = parent; t; t = t->parent) {
		if (t == toplevel) {
			wl_resource_post_error(resource, XDG_TOPLEVEL_ERROR_INVALID_PARENT,
					       "xdg_toplevel@%u cannot be a descendant of itself",
					       wl_resource_get_id(resource));
			return;
		}
	}
	wl_list_remove(&toplevel->parent_destroy.link);
	wl_list_init(&toplevel->parent_destroy.link);
	toplevel->parent = parent;
	if (parent)
		wl_signal_add(&parent->destroy, &toplevel->parent_destroy);
}

static void
replace_string(char **dst, const char *src)
{
	char *copy = strdup(src);
	if (!copy)
		return;
	free(*dst);
	*dst = copy;
}

static void
toplevel_handle_set_title(struct wl_client *client, struct wl_resource *resource, const char *title)
{
	replace_string(&toplevel_from_resource(resource)->title, title);
}

static void
toplevel_handle_set_app_id(struct wl_client *client, struct wl_resource *resource,
			   const char *app_id)
{
	replace_string(&toplevel_from_resource(resource)->app_id, app_id);
}

static void
toplevel_handle_show_window_menu(struct wl_client *client, struct wl_resource *resource,
				 struct wl_resource *seat, uint32_t serial, int32_t x, int32_t y)
{
	/* No window menu in a kiosk. */
}

static void
toplevel_handle_move(struct wl_client *client, struct wl_resource *resource,
		     struct wl_resource *seat, uint32_t serial)
{
	/* Fullscreen windows do not move. */
}

static void
toplevel_handle_resize(struct wl_client *client, struct wl_resource *resource,
		       struct wl_resource *seat, uint32_t serial, uint32_t edges)
{
	switch (edges) {
	case XDG_TOPLEVEL_RESIZE_EDGE_NONE:
	case XDG_TOPLEVEL_RESIZE_EDGE_TOP:
	case XDG_TOPLEVEL_RESIZE_EDGE_BOTTOM:
	case XDG_TOPLEVEL_RESIZE_EDGE_LEFT:
	case XDG_TOPLEVEL_RESIZE_EDGE_TOP_LEFT:
	case XDG_TOPLEVEL_RESIZE_EDGE_BOTTOM_LEFT:
	case XDG_TOPLEVEL_RESIZE_EDGE_RIGHT:
	case XDG_TOPLEVEL_RESIZE_EDGE_TOP_RIGHT:
	case XDG_TOPLEVEL_RESIZE_EDGE_BOTTOM_RIGHT:
		return; /* fullscreen windows are not resized interactively */
	default:
		wl_resource_post_error(resource, XDG_TOPLEVEL_ERROR_INVALID_RESIZE_EDGE,
				       "%u is not an xdg_toplevel.resize_edge value", edges);
	}
}

static void
toplevel_handle_set_max_size(struct wl_client *client, struct wl_resource *resource, int32_t w,
			     int32_t h)
{
	struct sl_xdg_toplevel *toplevel = toplevel_from_resource(resource);
	if (w < 0 || h < 0 || (w && toplevel->min_w > w) || (h && toplevel->min_h > h)) {
		wl_resource_post_error(resource, XDG_TOPLEVEL_ERROR_INVALID_SIZE,
				       "maximum size %dx%d is negative or below the minimum %dx%d",
				       w, h, toplevel->min_w, toplevel->min_h);
		return;
	}
	toplevel->max_w = w;
	toplevel->max_h = h;
}

static void
toplevel_handle_set_min_size(struct wl_client *client, struct wl_resource *resource, int32_t w,
			     int32_t h)
{
	struct sl_xdg_toplevel *toplevel = toplevel_from_resource(resource);
	if (w < 0 || h < 0 || (toplevel->max_w && w > toplevel->max_w) ||
	    (toplevel->max_h && h > toplevel->max_h)) {
		wl_resource_post_error(resource, XDG_TOPLEVEL_ERROR_INVALID_SIZE,
				       "minimum size %dx%d is negative or above the maximum %dx%d",
				       w, h, toplevel->max_w, toplevel->max_h);
		return;
	}
	toplevel->min_w = w;
	toplevel->min_h = h;
}

void
xdg_toplevel_configure_again(struct sl_xdg_toplevel *toplevel)
{
	if (toplevel->xdg_surface && toplevel->xdg_surface->initial_configure_sent)
		toplevel_configure(toplevel, true);
}

/* Every state request is answered with a configure, which always says fullscreen. */
static void
toplevel_answer_state_request(struct wl_resource *resource)
{
	xdg_toplevel_configure_again(toplevel_from_resource(resource));
}

static void
toplevel_handle_set_maximized(struct wl_client *client, struct wl_resource *resource)
{
	toplevel_answer_state_request(resource);
}

static void
toplevel_handle_unset_maximized(struct wl_client *client, struct wl_resource *resource)
{
	toplevel_answer_state_request(resource);
}

static void
toplevel_handle_set_fullscreen(struct wl_client *client, struct wl_resource *resource,
			       struct wl_resource *output)
{
	toplevel_answer_state_request(resource);
}

static void
toplevel_handle_unset_fullscreen(struct wl_client *client, struct wl_resource *resource)
{
	toplevel_answer_state_request(resource);
}

static void
toplevel_handle_set_minimized(struct wl_client *client, struct wl_resource *resource)
{
	/* A kiosk window cannot be minimized; nothing changes, so nothing to configure. */
}

static const struct xdg_toplevel_interface xdg_toplevel_impl = {
	.destroy = toplevel_handle_destroy,
	.set_parent = toplevel_handle_set_parent,
	.set_title = toplevel_handle_set_title,
	.set_app_id = toplevel_handle_set_app_id,
	.show_window_menu = toplevel_handle_show_window_menu,
	.move = toplevel_handle_move,
	.resize = toplevel_handle_resize,
	.set_max_size = toplevel_handle_set_max_size,
	.set_min_size = toplevel_handle_set_min_size,
	.set_maximized = toplevel_handle_set_maximized,
	.unset_maximized = toplevel_handle_unset_maximized,
	.set_fullscreen = toplevel_handle_set_fullscreen,
	.unset_fullscreen = toplevel_handle_unset_fullscreen,
	.set_minimized = toplevel_handle_set_minimized,
};

static void
toplevel_destroy(struct sl_xdg_toplevel *toplevel)
{
	wl_signal_emit_mutable(&toplevel->destroy, toplevel);
	if (toplevel->xdg_surface) {
		toplevel_unmap(toplevel);
		struct sl_xdg_surface *xs = toplevel->xdg_surface;
		if (xs->surface)
			sl_surface_set_scanout_candidate(xs->surface, false);
		xs->toplevel = NULL;
		xs->initial_configure_sent = false;
		xs->configured = false;
	}
	wl_list_remove(&toplevel->parent_destroy.link);
	scene_remove_window(toplevel->server, &toplevel->window);
	free(toplevel->title);
	free(toplevel->app_id);
	free(toplevel);
}

static void
toplevel_handle_resource_destroy(struct wl_resource *resource)
{
	toplevel_destroy(wl_resource_get_user_data(resource));
}

/* ---- xdg_popup (dismissed at once) ---- */

static void
popup_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
popup_handle_grab(struct wl_client *client, struct wl_resource *resource, struct wl_resource *seat,
		  uint32_t serial)
{
}

static void
popup_handle_reposition(struct wl_client *client, struct wl_resource *resource,
			struct wl_resource *positioner, uint32_t token)
{
}

static const struct xdg_popup_interface xdg_popup_impl = {
	.destroy = popup_handle_destroy,
	.grab = popup_handle_grab,
	.reposition = popup_handle_reposition,
};

static void
popup_handle_resource_destroy(struct wl_resource *resource)
{
	struct sl_xdg_surface *xs = wl_resource_get_user_data(resource);
	if (xs)
		xs->popup = NULL;
}

/* ---- xdg_surface ---- */

static struct sl_xdg_surface *
xdg_surface_from_resource(struct wl_resource *resource)
{
	assert(wl_resource_instance_of(resource, &xdg_surface_interface, &xdg_surface_impl));
	return wl_resource_get_user_data(resource);
}

static void
xdg_surface_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	struct sl_xdg_surface *xs = xdg_surface_from_resource(resource);
	if (xs->toplevel || xs->popup) {
		wl_resource_post_error(resource, XDG_SURFACE_ERROR_DEFUNCT_ROLE_OBJECT,
				       "xdg_surface destroyed before its %s",
				       xs->toplevel ? "xdg_toplevel" : "xdg_popup");
		return;
	}
	wl_resource_destroy(resource);
}

/* Checks that a role object may be created; posts the error if not. */
static bool
xdg_surface_can_take_role(struct sl_xdg_surface *xs)
{
	if (xs->toplevel || xs->popup || xs->ever_had_role) {
		wl_resource_post_error(xs->resource, XDG_SURFACE_ERROR_ALREADY_CONSTRUCTED,
				       "xdg_surface already has a role object");
		return false;
	}
	if (!xs->surface) {
		wl_resource_post_error(xs->resource, XDG_SURFACE_ERROR_NOT_CONSTRUCTED,
				       "the wl_surface of this xdg_surface was destroyed");
		return false;
	}
	return true;
}

static void
xdg_surface_handle_get_toplevel(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
	struct sl_xdg_surface *xs = xdg_surface_from_resource(resource);
	if (!xdg_surface_can_take_role(xs))
		return;
	struct sl_xdg_toplevel *toplevel = calloc(1, sizeof(*toplevel));
	if (!toplevel) {
		wl_client_post_no_memory(client);
		return;
	}
	toplevel->resource = wl_resource_create(client, &xdg_toplevel_interface,
						wl_resource_get_version(resource), id);
	if (!toplevel->resource) {
		free(toplevel);
		wl_client_post_no_memory(client);
		return;
	}
	toplevel->xdg_surface = xs;
	wl_signal_init(&toplevel->destroy);
	wl_list_init(&toplevel->parent_destroy.link);
	toplevel->parent_destroy.notify = toplevel_handle_parent_destroy;
	toplevel->server = xs->server;
	/* Unmapped toplevels go to the end; mapping moves them to the front. */
	scene_add_window(xs->server, &toplevel->window, &toplevel_window_impl);
	xs->toplevel = toplevel;
	xs->ever_had_role = true;
	wl_resource_set_implementation(toplevel->resource, &xdg_toplevel_impl, toplevel,
				       toplevel_handle_resource_destroy);

	if (wl_resource_get_version(toplevel->resource) >=
	    XDG_TOPLEVEL_WM_CAPABILITIES_SINCE_VERSION) {
		struct wl_array caps;
		wl_array_init(&caps);
		uint32_t *cap = wl_array_add(&caps, sizeof(*cap));
		if (cap)
			*cap = XDG_TOPLEVEL_WM_CAPABILITIES_FULLSCREEN;
		xdg_toplevel_send_wm_capabilities(toplevel->resource, &caps);
		wl_array_release(&caps);
	}
}

static void
xdg_surface_handle_get_popup(struct wl_client *client, struct wl_resource *resource, uint32_t id,
			     struct wl_resource *parent, struct wl_resource *positioner_resource)
{
	struct sl_xdg_surface *xs = xdg_surface_from_resource(resource);
	struct sl_positioner *positioner = wl_resource_get_user_data(positioner_resource);
	if (!xdg_surface_can_take_role(xs))
		return;
	if (!positioner->has_size || !positioner->has_anchor_rect) {
		struct wl_resource *target = xs->wm_base ? xs->wm_base->resource : resource;
		wl_resource_post_error(target, XDG_WM_BASE_ERROR_INVALID_POSITIONER,
				       "xdg_positioner@%u is incomplete: %s not set",
				       wl_resource_get_id(positioner_resource),
				       !positioner->has_size ? "size" : "anchor rectangle");
		return;
	}
	struct wl_resource *popup =
		sl_resource_create(client, &xdg_popup_interface, wl_resource_get_version(resource),
				   id, &xdg_popup_impl, xs, popup_handle_resource_destroy);
	if (!popup)
		return;
	xs->popup = popup;
	xs->ever_had_role = true;
	/* Popups need input grabs a headless kiosk cannot give: dismiss it, as the protocol allows.
	 */
	xdg_popup_send_popup_done(popup);
}

static void
xdg_surface_handle_set_window_geometry(struct wl_client *client, struct wl_resource *resource,
				       int32_t x, int32_t y, int32_t width, int32_t height)
{
	struct sl_xdg_surface *xs = xdg_surface_from_resource(resource);
	if (width <= 0 || height <= 0) {
		wl_resource_post_error(resource, XDG_SURFACE_ERROR_INVALID_SIZE,
				       "window geometry %dx%d must have a positive size", width,
				       height);
		return;
	}
	xs->pending_geometry = (struct sl_box){x, y, width, height};
	xs->pending_has_geometry = true;
}

static void
xdg_surface_handle_ack_configure(struct wl_client *client, struct wl_resource *resource,
				 uint32_t serial)
{
	struct sl_xdg_surface *xs = xdg_surface_from_resource(resource);
	uint32_t *serials = xs->serials.data;
	size_t count = xs->serials.size / sizeof(uint32_t);
	for (size_t i = 0; i < count; i++) {
		if (serials[i] != serial)
			continue;
		/* Acking one configure supersedes all earlier ones. */
		size_t rest = count - i - 1;
		memmove(serials, serials + i + 1, rest * sizeof(uint32_t));
		xs->serials.size = rest * sizeof(uint32_t);
		xs->configured = true;
		return;
	}
	wl_resource_post_error(resource, XDG_SURFACE_ERROR_INVALID_SERIAL,
			       "ack_configure with serial %u, which was never sent or was "
			       "superseded by a later ack",
			       serial);
}

static const struct xdg_surface_interface xdg_surface_impl = {
	.destroy = xdg_surface_handle_destroy,
	.get_toplevel = xdg_surface_handle_get_toplevel,
	.get_popup = xdg_surface_handle_get_popup,
	.set_window_geometry = xdg_surface_handle_set_window_geometry,
	.ack_configure = xdg_surface_handle_ack_configure,
};

/* The wl_surface went away: the xdg_surface stays as an inert object. */
static void
xdg_surface_detach_surface(struct sl_xdg_surface *xs)
{
	if (!xs->surface)
		return;
	if (xs->toplevel)
		toplevel_unmap(xs->toplevel);
	xs->surface->role_data = NULL;
	wl_list_remove(&xs->surface_destroy.link);
	xs->surface = NULL;
}

static void
xdg_surface_handle_surface_destroy(struct wl_listener *listener, void *data)
{
	struct sl_xdg_surface *xs = wl_container_of(listener, xs, surface_destroy);
	xdg_surface_detach_surface(xs);
}

static void
xdg_surface_handle_resource_destroy(struct wl_resource *resource)
{
	struct sl_xdg_surface *xs = wl_resource_get_user_data(resource);
	/* Only reached with live role objects when the client disconnects. */
	xdg_surface_detach_surface(xs);
	if (xs->toplevel)
		xs->toplevel->xdg_surface = NULL;
	if (xs->popup)
		wl_resource_set_user_data(xs->popup, NULL);
	if (xs->wm_base)
		wl_list_remove(&xs->wm_link);
	wl_array_release(&xs->serials);
	free(xs);
}

/* ---- xdg_positioner ---- */

static void
positioner_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
positioner_invalid(struct wl_resource *resource, const char *what, int32_t a, int32_t b)
{
	wl_resource_post_error(resource, XDG_POSITIONER_ERROR_INVALID_INPUT, "invalid %s (%d, %d)",
			       what, a, b);
}

static void
positioner_handle_set_size(struct wl_client *client, struct wl_resource *resource, int32_t w,
			   int32_t h)
{
	struct sl_positioner *positioner = wl_resource_get_user_data(resource);
	if (w <= 0 || h <= 0) {
		positioner_invalid(resource, "size: must be positive", w, h);
		return;
	}
	positioner->width = w;
	positioner->height = h;
	positioner->has_size = true;
}

static void
positioner_handle_set_anchor_rect(struct wl_client *client, struct wl_resource *resource, int32_t x,
				  int32_t y, int32_t w, int32_t h)
{
	struct sl_positioner *positioner = wl_resource_get_user_data(resource);
	if (w < 0 || h < 0) {
		positioner_invalid(resource, "anchor rectangle size: must not be negative", w, h);
		return;
	}
	positioner->anchor_rect = (struct sl_box){x, y, w, h};
	positioner->has_anchor_rect = true;
}

static void
positioner_handle_set_anchor(struct wl_client *client, struct wl_resource *resource,
			     uint32_t anchor)
{
	if (anchor > XDG_POSITIONER_ANCHOR_BOTTOM_RIGHT)
		positioner_invalid(resource, "anchor", (int32_t)anchor, 0);
}

static void
positioner_handle_set_gravity(struct wl_client *client, struct wl_resource *resource,
			      uint32_t gravity)
{
	if (gravity > XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT)
		positioner_invalid(resource, "gravity", (int32_t)gravity, 0);
}

static void
positioner_handle_set_constraint_adjustment(struct wl_client *client, struct wl_resource *resource,
					    uint32_t adjustment)
{
}

static void
positioner_handle_set_offset(struct wl_client *client, struct wl_resource *resource, int32_t x,
			     int32_t y)
{
}

static void
positioner_handle_set_reactive(struct wl_client *client, struct wl_resource *resource)
{
}

static void
positioner_handle_set_parent_size(struct wl_client *client, struct wl_resource *resource, int32_t w,
				  int32_t h)
{
}

static void
positioner_handle_set_parent_configure(struct wl_client *client, struct wl_resource *resource,
				       uint32_t serial)
{
}

static const struct xdg_positioner_interface xdg_positioner_impl = {
	.destroy = positioner_handle_destroy,
	.set_size = positioner_handle_set_size,
	.set_anchor_rect = positioner_handle_set_anchor_rect,
	.set_anchor = positioner_handle_set_anchor,
	.set_gravity = positioner_handle_set_gravity,
	.set_constraint_adjustment = positioner_handle_set_constraint_adjustment,
	.set_offset = positioner_handle_set_offset,
	.set_reactive = positioner_handle_set_reactive,
	.set_parent_size = positioner_handle_set_parent_size,
	.set_parent_configure = positioner_handle_set_parent_configure,
};

static void
positioner_handle_resource_destroy(struct wl_resource *resource)
{
	free(wl_resource_get_user_data(resource));
}

/* ---- xdg_wm_base ---- */

static void
wm_base_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	struct sl_xdg_wm_base *wm_base = wl_resource_get_user_data(resource);
	if (!wl_list_empty(&wm_base->surfaces)) {
		wl_resource_post_error(resource, XDG_WM_BASE_ERROR_DEFUNCT_SURFACES,
				       "xdg_wm_base destroyed while %d xdg_surfaces remain",
				       wl_list_length(&wm_base->surfaces));
		return;
	}
	wl_resource_destroy(resource);
}

static void
wm_base_handle_create_positioner(struct wl_client *client, struct wl_resource *resource,
				 uint32_t id)
{
	struct sl_positioner *positioner = calloc(1, sizeof(*positioner));
	struct wl_resource *pos_resource = NULL;
	if (positioner)
		pos_resource = wl_resource_create(client, &xdg_positioner_interface,
						  wl_resource_get_version(resource), id);
	if (!pos_resource) {
		free(positioner);
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(pos_resource, &xdg_positioner_impl, positioner,
				       positioner_handle_resource_destroy);
}

static void
wm_base_handle_get_xdg_surface(struct wl_client *client, struct wl_resource *resource, uint32_t id,
			       struct wl_resource *surface_resource)
{
	struct sl_xdg_wm_base *wm_base = wl_resource_get_user_data(resource);
	struct sl_surface *surface = sl_surface_from_resource(surface_resource);
	struct sl_xdg_surface *xs = calloc(1, sizeof(*xs));
	if (!xs) {
		wl_client_post_no_memory(client);
		return;
	}
	if (!sl_surface_set_role(surface, &xdg_surface_role, xs, resource,
				 XDG_WM_BASE_ERROR_ROLE)) {
		free(xs);
		return;
	}
	xs->resource = wl_resource_create(client, &xdg_surface_interface,
					  wl_resource_get_version(resource), id);
	if (!xs->resource) {
		surface->role_data = NULL;
		free(xs);
		wl_client_post_no_memory(client);
		return;
	}
	xs->server = wm_base->server;
	xs->wm_base = wm_base;
	xs->surface = surface;
	wl_array_init(&xs->serials);
	wl_list_insert(&wm_base->surfaces, &xs->wm_link);
	xs->surface_destroy.notify = xdg_surface_handle_surface_destroy;
	wl_signal_add(&surface->events.destroy, &xs->surface_destroy);
	wl_resource_set_implementation(xs->resource, &xdg_surface_impl, xs,
				       xdg_surface_handle_resource_destroy);

	if (surface->current.buffer || surface->pending.buffer) {
		wl_resource_post_error(xs->resource, XDG_SURFACE_ERROR_UNCONFIGURED_BUFFER,
				       "wl_surface@%u already has a buffer attached",
				       wl_resource_get_id(surface_resource));
	}
}

static void
wm_base_handle_pong(struct wl_client *client, struct wl_resource *resource, uint32_t serial)
{
}

static const struct xdg_wm_base_interface xdg_wm_base_impl = {
	.destroy = wm_base_handle_destroy,
	.create_positioner = wm_base_handle_create_positioner,
	.get_xdg_surface = wm_base_handle_get_xdg_surface,
	.pong = wm_base_handle_pong,
};

static void
wm_base_handle_resource_destroy(struct wl_resource *resource)
{
	struct sl_xdg_wm_base *wm_base = wl_resource_get_user_data(resource);
	struct sl_xdg_surface *xs, *tmp;
	wl_list_for_each_safe (xs, tmp, &wm_base->surfaces, wm_link) {
		xs->wm_base = NULL;
		wl_list_remove(&xs->wm_link);
	}
	free(wm_base);
}

static void
wm_base_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct sl_xdg_wm_base *wm_base = calloc(1, sizeof(*wm_base));
	if (!wm_base) {
		wl_client_post_no_memory(client);
		return;
	}
	wm_base->resource = wl_resource_create(client, &xdg_wm_base_interface, (int)version, id);
	if (!wm_base->resource) {
		free(wm_base);
		wl_client_post_no_memory(client);
		return;
	}
	wm_base->server = data;
	wl_list_init(&wm_base->surfaces);
	wl_resource_set_implementation(wm_base->resource, &xdg_wm_base_impl, wm_base,
				       wm_base_handle_resource_destroy);
}

/* The shell's own state: it follows the outputs' layout for as long as the display lives. */
struct sl_xdg_shell {
	struct sl_server *server;
	struct wl_listener outputs_changed;
	struct wl_listener display_destroy;
};

static void
handle_outputs_changed(struct wl_listener *listener, void *data)
{
	struct sl_xdg_shell *shell = wl_container_of(listener, shell, outputs_changed);
	/* Toplevels follow the primary output's size (none: 0x0, the client picks). */
	xdg_shell_reconfigure_all(shell->server);
}

static void
handle_display_destroy(struct wl_listener *listener, void *data)
{
	struct sl_xdg_shell *shell = wl_container_of(listener, shell, display_destroy);
	wl_list_remove(&shell->outputs_changed.link);
	wl_list_remove(&shell->display_destroy.link);
	free(shell);
}

bool
xdg_shell_global_init(struct sl_server *server)
{
	struct sl_xdg_shell *shell = calloc(1, sizeof(*shell));
	if (!shell)
		return false;
	if (!wl_global_create(server->display, &xdg_wm_base_interface, XDG_WM_BASE_VERSION, server,
			      wm_base_bind)) {
		free(shell);
		return false;
	}
	shell->server = server;
	shell->outputs_changed.notify = handle_outputs_changed;
	wl_signal_add(&server->events.outputs_changed, &shell->outputs_changed);
	shell->display_destroy.notify = handle_display_destroy;
	wl_display_add_destroy_listener(server->display, &shell->display_destroy);
	return true;
}
