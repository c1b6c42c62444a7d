/*
 * zxdg_output_manager_v1 (version 3): each output's place and size in the global compositor
 * space, its name and description. Outputs here are never scaled or transformed, so the logical
 * size is the mode size. Toolkits (GTK, Qt, Chromium) read it to place and size fullscreen
 * windows.
 */
#include <wayland-server-protocol.h>

#include "core/output.h"
#include "core/resource.h"
#include "protocols/protocols.h"
#include "core/server.h"
#include "xdg-output-unstable-v1-server-protocol.h"

enum { XDG_OUTPUT_VERSION = 3 };

static void
handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct zxdg_output_v1_interface xdg_output_impl = {.destroy = handle_destroy};

static void
manager_get_xdg_output(struct wl_client *client, struct wl_resource *manager, uint32_t id,
		       struct wl_resource *output_resource)
{
	struct wl_resource *resource = sl_resource_create(client, &zxdg_output_v1_interface,
							  wl_resource_get_version(manager), id,
							  &xdg_output_impl, NULL, NULL);
	if (!resource)
		return;
	/* An output that is gone leaves an inert wl_output: its xdg_output stays silent too. */
	struct sl_output *output = wl_resource_get_user_data(output_resource)
					   ? sl_output_from_resource(output_resource)
					   : NULL;
	if (!output)
		return;
	int version = wl_resource_get_version(resource);
	zxdg_output_v1_send_logical_position(resource, output->x, output->y);
	zxdg_output_v1_send_logical_size(resource, output->width, output->height);
	if (version >= ZXDG_OUTPUT_V1_NAME_SINCE_VERSION) {
		zxdg_output_v1_send_name(resource, output->name);
		zxdg_output_v1_send_description(resource, output->description);
	}
	/* From version 3 the atomic update ends with wl_output.done, not xdg_output.done. */
	if (version >= 3 &&
	    wl_resource_get_version(output_resource) >= WL_OUTPUT_DONE_SINCE_VERSION)
		wl_output_send_done(output_resource);
	else
		zxdg_output_v1_send_done(resource);
}

static const struct zxdg_output_manager_v1_interface manager_impl = {
	.destroy = handle_destroy,
	.get_xdg_output = manager_get_xdg_output,
};

static void
manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	sl_resource_create(client, &zxdg_output_manager_v1_interface, (int)version, id,
			   &manager_impl, data, NULL);
}

bool
xdg_output_global_init(struct sl_server *server)
{
	return wl_global_create(server->display, &zxdg_output_manager_v1_interface,
				XDG_OUTPUT_VERSION, server, manager_bind) != NULL;
}
