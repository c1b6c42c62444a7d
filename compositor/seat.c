/*
 * wl_seat: always advertised, because many clients refuse to start without one. Its capabilities
 * follow the input devices; the headless backend has none, so it announces none.
 */
#include <wayland-server-protocol.h>

#include "resource.h"
#include "server.h"

#define SEAT_VERSION 7

static void
seat_missing_capability(struct wl_resource *resource, const char *what)
{
	wl_resource_post_error(resource, WL_SEAT_ERROR_MISSING_CAPABILITY,
			       "get_%s on a seat that has never had the %s capability", what, what);
}

static void
seat_handle_get_pointer(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
	seat_missing_capability(resource, "pointer");
}

static void
seat_handle_get_keyboard(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
	seat_missing_capability(resource, "keyboard");
}

static void
seat_handle_get_touch(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
	seat_missing_capability(resource, "touch");
}

static void
seat_handle_release(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_seat_interface seat_impl = {
	.get_pointer = seat_handle_get_pointer,
	.get_keyboard = seat_handle_get_keyboard,
	.get_touch = seat_handle_get_touch,
	.release = seat_handle_release,
};

static void
seat_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource = sl_resource_create(client, &wl_seat_interface, (int)version,
							  id, &seat_impl, data, NULL);
	if (!resource)
		return;
	wl_seat_send_capabilities(resource, 0);
	if (version >= WL_SEAT_NAME_SINCE_VERSION)
		wl_seat_send_name(resource, "seat0");
}

bool
seat_global_init(struct sl_server *server)
{
	server->seat_global = wl_global_create(server->display, &wl_seat_interface, SEAT_VERSION,
					       server, seat_bind);
	return server->seat_global != NULL;
}
