/* wp_viewporter: crop (source rectangle) and scale (destination size) a surface's buffer. */
#include <math.h>
#include <stdlib.h>
#include <viewporter-server-protocol.h>
#include <wayland-server-protocol.h>

#include "core/resource.h"
#include "protocols/protocols.h"
#include "core/server.h"
#include "core/surface.h"

struct sl_viewport {
	struct sl_surface_viewport base;
	struct wl_resource *resource;
	struct sl_surface *surface; /* NULL once the surface is gone */
	struct wl_listener surface_destroy;
};

static struct sl_viewport *viewport_from_resource(struct wl_resource *resource);

static void
viewport_post_error(struct sl_surface_viewport *base, enum sl_geometry_error result,
		    const char *message)
{
	struct sl_viewport *viewport = wl_container_of(base, viewport, base);
	uint32_t code = result == SL_GEOMETRY_SRC_NOT_INTEGER ? WP_VIEWPORT_ERROR_BAD_SIZE
							      : WP_VIEWPORT_ERROR_OUT_OF_BUFFER;
	wl_resource_post_error(viewport->resource, code, "%s", message);
}

static void
viewport_detach(struct sl_viewport *viewport)
{
	if (!viewport->surface)
		return;
	viewport->surface->viewport = NULL;
	wl_list_remove(&viewport->surface_destroy.link);
	viewport->surface = NULL;
}

static void
viewport_handle_surface_destroy(struct wl_listener *listener, void *data)
{
	struct sl_viewport *viewport = wl_container_of(listener, viewport, surface_destroy);
	viewport_detach(viewport);
}

static void
viewport_handle_resource_destroy(struct wl_resource *resource)
{
	struct sl_viewport *viewport = wl_resource_get_user_data(resource);
	if (viewport->surface) {
		/* Destroying the viewport removes its effect on the next commit. */
		struct sl_surface *surface = viewport->surface;
		surface->pending.viewport = (struct sl_viewport_params){0};
		surface->pending.committed |= SL_STATE_VIEWPORT;
	}
	viewport_detach(viewport);
	free(viewport);
}

static void
viewport_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static struct sl_surface *
viewport_surface_or_error(struct wl_resource *resource)
{
	struct sl_viewport *viewport = viewport_from_resource(resource);
	if (!viewport->surface)
		wl_resource_post_error(resource, WP_VIEWPORT_ERROR_NO_SURFACE,
				       "the wl_surface of this wp_viewport was destroyed");
	return viewport->surface;
}

static void
viewport_handle_set_source(struct wl_client *client, struct wl_resource *resource, wl_fixed_t x,
			   wl_fixed_t y, wl_fixed_t width, wl_fixed_t height)
{
	struct sl_surface *surface = viewport_surface_or_error(resource);
	if (!surface)
		return;
	struct sl_viewport_params *vp = &surface->pending.viewport;
	wl_fixed_t unset = wl_fixed_from_int(-1);
	if (x == unset && y == unset && width == unset && height == unset) {
		vp->has_src = false;
	} else if (x < 0 || y < 0 || width <= 0 || height <= 0) {
		wl_resource_post_error(resource, WP_VIEWPORT_ERROR_BAD_VALUE,
				       "source rectangle %gx%g at (%g,%g): position must not be "
				       "negative and size must be positive (or all -1 to unset)",
				       wl_fixed_to_double(width), wl_fixed_to_double(height),
				       wl_fixed_to_double(x), wl_fixed_to_double(y));
		return;
	} else {
		vp->has_src = true;
		vp->src_x = wl_fixed_to_double(x);
		vp->src_y = wl_fixed_to_double(y);
		vp->src_w = wl_fixed_to_double(width);
		vp->src_h = wl_fixed_to_double(height);
	}
	surface->pending.committed |= SL_STATE_VIEWPORT;
}

static void
viewport_handle_set_destination(struct wl_client *client, struct wl_resource *resource,
				int32_t width, int32_t height)
{
	struct sl_surface *surface = viewport_surface_or_error(resource);
	if (!surface)
		return;
	struct sl_viewport_params *vp = &surface->pending.viewport;
	if (width == -1 && height == -1) {
		vp->has_dst = false;
	} else if (width <= 0 || height <= 0) {
		wl_resource_post_error(
			resource, WP_VIEWPORT_ERROR_BAD_VALUE,
			"destination size %dx%d must be positive (or -1x-1 to unset)", width,
			height);
		return;
	} else {
		vp->has_dst = true;
		vp->dst_w = width;
		vp->dst_h = height;
	}
	surface->pending.committed |= SL_STATE_VIEWPORT;
}

static const struct wp_viewport_interface viewport_impl = {
	.destroy = viewport_handle_destroy,
	.set_source = viewport_handle_set_source,
	.set_destination = viewport_handle_set_destination,
};

static struct sl_viewport *
viewport_from_resource(struct wl_resource *resource)
{
	return wl_resource_get_user_data(resource);
}

static void
viewporter_handle_get_viewport(struct wl_client *client, struct wl_resource *resource, uint32_t id,
			       struct wl_resource *surface_resource)
{
	struct sl_surface *surface = sl_surface_from_resource(surface_resource);
	if (surface->viewport) {
		wl_resource_post_error(resource, WP_VIEWPORTER_ERROR_VIEWPORT_EXISTS,
				       "wl_surface@%u already has a wp_viewport",
				       wl_resource_get_id(surface_resource));
		return;
	}
	struct sl_viewport *viewport = calloc(1, sizeof(*viewport));
	if (!viewport) {
		wl_client_post_no_memory(client);
		return;
	}
	viewport->resource = wl_resource_create(client, &wp_viewport_interface, 1, id);
	if (!viewport->resource) {
		free(viewport);
		wl_client_post_no_memory(client);
		return;
	}
	viewport->base.post_error = viewport_post_error;
	viewport->surface = surface;
	surface->viewport = &viewport->base;
	viewport->surface_destroy.notify = viewport_handle_surface_destroy;
	wl_signal_add(&surface->events.destroy, &viewport->surface_destroy);
	wl_resource_set_implementation(viewport->resource, &viewport_impl, viewport,
				       viewport_handle_resource_destroy);
}

static void
viewporter_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wp_viewporter_interface viewporter_impl = {
	.destroy = viewporter_handle_destroy,
	.get_viewport = viewporter_handle_get_viewport,
};

static void
viewporter_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource = sl_resource_create(client, &wp_viewporter_interface, 1, id,
							  &viewporter_impl, data, NULL);
	if (!resource)
		return;
}

bool
viewporter_global_init(struct sl_server *server)
{
	struct wl_global *global = wl_global_create(server->display, &wp_viewporter_interface, 1,
						    server, viewporter_bind);
	return global != NULL;
}
