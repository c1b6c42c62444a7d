/*
 * zxdg_decoration_manager_v1: who draws window decorations. sluice shows every toplevel
 * fullscreen and draws none, so whatever a client asks for, the answer is server_side: "do not
 * draw your own" (and the server draws nothing either, as for any fullscreen window). GTK, Qt and
 * Chromium then skip their client-side title bars and shadows.
 */
#include <stdlib.h>

#include "core/resource.h"
#include "protocols/protocols.h"
#include "core/server.h"
#include "xdg-decoration-unstable-v1-server-protocol.h"
#include "protocols/xdg-shell.h"

struct decoration {
	struct wl_resource *resource;
	struct sl_xdg_toplevel *toplevel; /* NULL once the toplevel is gone (then inert) */
	struct wl_listener toplevel_destroy;
};

static void
decoration_detach(struct decoration *d)
{
	if (!d->toplevel)
		return;
	d->toplevel->decoration = NULL;
	d->toplevel = NULL;
	wl_list_remove(&d->toplevel_destroy.link);
}

static void
handle_toplevel_destroy(struct wl_listener *listener, void *data)
{
	struct decoration *d = wl_container_of(listener, d, toplevel_destroy);
	decoration_detach(d);
}

/* The answer is always the same; a configure sequence makes the client apply it. */
static void
decoration_configure(struct decoration *d)
{
	if (!d->toplevel)
		return;
	zxdg_toplevel_decoration_v1_send_configure(d->resource,
						   ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE);
	xdg_toplevel_configure_again(d->toplevel);
}

static void
decoration_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
decoration_handle_set_mode(struct wl_client *client, struct wl_resource *resource, uint32_t mode)
{
	if (mode != ZXDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE &&
	    mode != ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE) {
		wl_resource_post_error(resource, WL_DISPLAY_ERROR_INVALID_METHOD,
				       "decoration mode %u is neither client_side (1) nor "
				       "server_side (2)",
				       mode);
		return;
	}
	decoration_configure(wl_resource_get_user_data(resource));
}

static void
decoration_handle_unset_mode(struct wl_client *client, struct wl_resource *resource)
{
	decoration_configure(wl_resource_get_user_data(resource));
}

static const struct zxdg_toplevel_decoration_v1_interface decoration_impl = {
	.destroy = decoration_handle_destroy,
	.set_mode = decoration_handle_set_mode,
	.unset_mode = decoration_handle_unset_mode,
};

static void
decoration_resource_destroy(struct wl_resource *resource)
{
	struct decoration *d = wl_resource_get_user_data(resource);
	decoration_detach(d);
	free(d);
}

static void
manager_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
manager_get_toplevel_decoration(struct wl_client *client, struct wl_resource *manager, uint32_t id,
				struct wl_resource *toplevel_resource)
{
	struct sl_xdg_toplevel *toplevel = xdg_toplevel_from_resource(toplevel_resource);
	if (toplevel->decoration) {
		wl_resource_post_error(manager,
				       ZXDG_TOPLEVEL_DECORATION_V1_ERROR_ALREADY_CONSTRUCTED,
				       "xdg_toplevel@%u already has a decoration object",
				       wl_resource_get_id(toplevel_resource));
		return;
	}
	if (xdg_toplevel_has_unconfigured_buffer(toplevel)) {
		wl_resource_post_error(manager,
				       ZXDG_TOPLEVEL_DECORATION_V1_ERROR_UNCONFIGURED_BUFFER,
				       "xdg_toplevel@%u has a buffer attached before its first "
				       "configure",
				       wl_resource_get_id(toplevel_resource));
		return;
	}
	struct decoration *d = calloc(1, sizeof(*d));
	if (!d) {
		wl_client_post_no_memory(client);
		return;
	}
	d->resource = sl_resource_create(client, &zxdg_toplevel_decoration_v1_interface,
					 wl_resource_get_version(manager), id, &decoration_impl, d,
					 decoration_resource_destroy);
	if (!d->resource) {
		free(d);
		return;
	}
	d->toplevel = toplevel;
	toplevel->decoration = d->resource;
	d->toplevel_destroy.notify = handle_toplevel_destroy;
	wl_signal_add(&toplevel->destroy, &d->toplevel_destroy);
	decoration_configure(d);
}

static const struct zxdg_decoration_manager_v1_interface manager_impl = {
	.destroy = manager_handle_destroy,
	.get_toplevel_decoration = manager_get_toplevel_decoration,
};

static void
manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	sl_resource_create(client, &zxdg_decoration_manager_v1_interface, (int)version, id,
			   &manager_impl, data, NULL);
}

bool
xdg_decoration_global_init(struct sl_server *server)
{
	return wl_global_create(server->display, &zxdg_decoration_manager_v1_interface, 1, server,
				manager_bind) != NULL;
}
