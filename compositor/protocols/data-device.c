/*
 * The clipboard. A client offers data with a wl_data_source (its MIME types) and makes it the
 * selection; whoever has keyboard focus gets a wl_data_offer for it, and a receive on that offer
 * becomes a send on the source with the same pipe. sluice never reads the data itself.
 */
#include "protocols/data-device.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wayland-server-protocol.h>

#include "log.h"
#include "core/resource.h"
#include "input/seat.h"
#include "core/server.h"

#define DATA_DEVICE_MANAGER_VERSION 3

struct sl_data_device_manager {
	struct sl_server *server;
	struct wl_global *global;
	struct wl_list devices; /* wl_data_device resources, by wl_resource_get_link */
	struct data_source *selection;
	struct wl_client *focus; /* NULL when nobody has keyboard focus */
	struct wl_listener focus_destroy;
	struct wl_listener keyboard_focus; /* the seat's */
};

struct data_source {
	struct wl_resource *resource;
	struct sl_data_device_manager *manager;
	struct wl_array mime_types; /* char *, owned */
	bool used;		    /* set as a selection or dragged once: never again */
	struct wl_signal destroy;
};

/* An offer outlives its source (the client holds it): it forgets the source when it goes. */
struct data_offer {
	struct wl_resource *resource;
	struct data_source *source;
	struct wl_listener source_destroy;
};

/* ---- offers ---- */

static void
offer_handle_accept(struct wl_client *client, struct wl_resource *resource, uint32_t serial,
		    const char *mime_type)
{
	/* Drag and drop only, which never starts here. */
}

static void
offer_handle_receive(struct wl_client *client, struct wl_resource *resource, const char *mime_type,
		     int32_t fd)
{
	struct data_offer *offer = wl_resource_get_user_data(resource);
	/* A selection replaced meanwhile: the receiver reads end-of-file at once. */
	if (offer->source)
		wl_data_source_send_send(offer->source->resource, mime_type, fd);
	close(fd);
}

static void
offer_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
offer_handle_finish(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_post_error(resource, WL_DATA_OFFER_ERROR_INVALID_FINISH,
			       "finish on a selection offer (there is no drag and drop)");
}

static void
offer_handle_set_actions(struct wl_client *client, struct wl_resource *resource,
			 uint32_t dnd_actions, uint32_t preferred_action)
{
	wl_resource_post_error(resource, WL_DATA_OFFER_ERROR_INVALID_OFFER,
			       "set_actions on a selection offer (there is no drag and drop)");
}

static const struct wl_data_offer_interface offer_impl = {
	.accept = offer_handle_accept,
	.receive = offer_handle_receive,
	.destroy = offer_handle_destroy,
	.finish = offer_handle_finish,
	.set_actions = offer_handle_set_actions,
};

static void
offer_forget_source(struct data_offer *offer)
{
	if (!offer->source)
		return;
	wl_list_remove(&offer->source_destroy.link);
	offer->source = NULL;
}

static void
offer_handle_source_destroy(struct wl_listener *listener, void *data)
{
	struct data_offer *offer = wl_container_of(listener, offer, source_destroy);
	offer_forget_source(offer);
}

static void
offer_resource_destroy(struct wl_resource *resource)
{
	struct data_offer *offer = wl_resource_get_user_data(resource);
	offer_forget_source(offer);
	free(offer);
}

/* Announces the selection (or its absence) on one wl_data_device. */
static void
device_send_selection(struct wl_resource *device, struct data_source *source)
{
	if (!source) {
		wl_data_device_send_selection(device, NULL);
		return;
	}
	struct data_offer *offer = calloc(1, sizeof(*offer));
	struct wl_resource *resource =
		offer ? wl_resource_create(wl_resource_get_client(device), &wl_data_offer_interface,
					   wl_resource_get_version(device), 0)
		      : NULL;
	if (!resource) {
		free(offer);
		wl_client_post_no_memory(wl_resource_get_client(device));
		return;
	}
	offer->resource = resource;
	offer->source = source;
	offer->source_destroy.notify = offer_handle_source_destroy;
	wl_signal_add(&source->destroy, &offer->source_destroy);
	wl_resource_set_implementation(resource, &offer_impl, offer, offer_resource_destroy);
	wl_data_device_send_data_offer(device, resource);
	char **mime;
	wl_array_for_each (mime, &source->mime_types)
		wl_data_offer_send_offer(resource, *mime);
	wl_data_device_send_selection(device, resource);
}

static void
send_selection_to_focus(struct sl_data_device_manager *manager)
{
	if (!manager->focus)
		return;
	struct wl_resource *device;
	wl_resource_for_each (device, &manager->devices)
		if (wl_resource_get_client(device) == manager->focus)
			device_send_selection(device, manager->selection);
}

/* ---- sources ---- */

static void
source_handle_offer(struct wl_client *client, struct wl_resource *resource, const char *mime_type)
{
	struct data_source *source = wl_resource_get_user_data(resource);
	char **slot = wl_array_add(&source->mime_types, sizeof(*slot));
	if (!slot || !(*slot = strdup(mime_type))) {
		if (slot)
			source->mime_types.size -= sizeof(*slot);
		wl_client_post_no_memory(client);
	}
}

static void
source_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
source_handle_set_actions(struct wl_client *client, struct wl_resource *resource,
			  uint32_t dnd_actions)
{
	uint32_t all = WL_DATA_DEVICE_MANAGER_DND_ACTION_COPY |
		       WL_DATA_DEVICE_MANAGER_DND_ACTION_MOVE |
		       WL_DATA_DEVICE_MANAGER_DND_ACTION_ASK;
	if (dnd_actions & ~all)
		wl_resource_post_error(resource, WL_DATA_SOURCE_ERROR_INVALID_ACTION_MASK,
				       "dnd action mask 0x%x has unknown bits", dnd_actions);
}

static const struct wl_data_source_interface source_impl = {
	.offer = source_handle_offer,
	.destroy = source_handle_destroy,
	.set_actions = source_handle_set_actions,
};

static void
source_resource_destroy(struct wl_resource *resource)
{
	struct data_source *source = wl_resource_get_user_data(resource);
	wl_signal_emit_mutable(&source->destroy, source);
	struct sl_data_device_manager *manager = source->manager;
	if (manager && manager->selection == source) {
		manager->selection = NULL;
		send_selection_to_focus(manager);
	}
	char **mime;
	wl_array_for_each (mime, &source->mime_types)
		free(*mime);
	wl_array_release(&source->mime_types);
	free(source);
}

/* ---- devices ---- */

static void
device_handle_start_drag(struct wl_client *client, struct wl_resource *resource,
			 struct wl_resource *source_resource, struct wl_resource *origin,
			 struct wl_resource *icon, uint32_t serial)
{
	/* A kiosk has no drag and drop: the drag ends before it begins. */
	if (source_resource) {
		struct data_source *source = wl_resource_get_user_data(source_resource);
		if (!source->used) {
			source->used = true;
			wl_data_source_send_cancelled(source_resource);
		}
	}
}

static void
device_handle_set_selection(struct wl_client *client, struct wl_resource *resource,
			    struct wl_resource *source_resource, uint32_t serial)
{
	struct sl_data_device_manager *manager = wl_resource_get_user_data(resource);
	struct data_source *source =
		source_resource ? wl_resource_get_user_data(source_resource) : NULL;
	if (source && source->used) {
		wl_resource_post_error(source_resource, WL_DATA_SOURCE_ERROR_INVALID_SOURCE,
				       "wl_data_source already used for a selection or a drag");
		return;
	}
	/* Only the focused client may set it: a background client must not fill clipboards. */
	if (client != manager->focus)
		return;
	if (manager->selection == source)
		return;
	if (manager->selection)
		wl_data_source_send_cancelled(manager->selection->resource);
	manager->selection = source;
	if (source)
		source->used = true;
	send_selection_to_focus(manager);
}

static void
device_handle_release(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_data_device_interface device_impl = {
	.start_drag = device_handle_start_drag,
	.set_selection = device_handle_set_selection,
	.release = device_handle_release,
};

/* ---- the manager ---- */

static void
manager_handle_create_data_source(struct wl_client *client, struct wl_resource *resource,
				  uint32_t id)
{
	struct data_source *source = calloc(1, sizeof(*source));
	if (!source) {
		wl_client_post_no_memory(client);
		return;
	}
	source->manager = wl_resource_get_user_data(resource);
	wl_array_init(&source->mime_types);
	wl_signal_init(&source->destroy);
	source->resource = sl_resource_create(client, &wl_data_source_interface,
					      wl_resource_get_version(resource), id, &source_impl,
					      source, source_resource_destroy);
	if (!source->resource)
		free(source);
}

static void
manager_handle_get_data_device(struct wl_client *client, struct wl_resource *resource, uint32_t id,
			       struct wl_resource *seat)
{
	struct sl_data_device_manager *manager = wl_resource_get_user_data(resource);
	struct wl_resource *device = sl_resource_create(client, &wl_data_device_interface,
							wl_resource_get_version(resource), id,
							&device_impl, manager, sl_resource_unlink);
	if (!device)
		return;
	wl_list_insert(&manager->devices, wl_resource_get_link(device));
	if (client == manager->focus)
		device_send_selection(device, manager->selection);
}

static const struct wl_data_device_manager_interface manager_impl = {
	.create_data_source = manager_handle_create_data_source,
	.get_data_device = manager_handle_get_data_device,
};

static void
manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	sl_resource_create(client, &wl_data_device_manager_interface, (int)version, id,
			   &manager_impl, data, NULL);
}

static void
handle_focus_destroy(struct wl_listener *listener, void *data)
{
	struct sl_data_device_manager *manager = wl_container_of(listener, manager, focus_destroy);
	wl_list_remove(&listener->link);
	wl_list_init(&listener->link);
	manager->focus = NULL;
}

/* Keyboard focus moved to client (NULL: nobody): it gets the current selection first. */
static void
handle_keyboard_focus(struct wl_listener *listener, void *data)
{
	struct sl_data_device_manager *manager = wl_container_of(listener, manager, keyboard_focus);
	struct wl_client *client = data;
	if (manager->focus == client)
		return;
	wl_list_remove(&manager->focus_destroy.link);
	wl_list_init(&manager->focus_destroy.link);
	manager->focus = client;
	if (client)
		wl_client_add_destroy_listener(client, &manager->focus_destroy);
	send_selection_to_focus(manager);
}

struct sl_data_device_manager *
data_device_manager_create(struct sl_server *server, struct sl_seat *seat)
{
	struct sl_data_device_manager *manager = calloc(1, sizeof(*manager));
	if (!manager)
		return NULL;
	manager->server = server;
	manager->keyboard_focus.notify = handle_keyboard_focus;
	wl_list_init(&manager->devices);
	manager->focus_destroy.notify = handle_focus_destroy;
	wl_list_init(&manager->focus_destroy.link);
	manager->global = wl_global_create(server->display, &wl_data_device_manager_interface,
					   DATA_DEVICE_MANAGER_VERSION, manager, manager_bind);
	if (!manager->global) {
		free(manager);
		return NULL;
	}
	wl_signal_add(&seat_get_events(seat)->keyboard_focus, &manager->keyboard_focus);
	return manager;
}

void
data_device_manager_destroy(struct sl_data_device_manager *manager)
{
	if (!manager)
		return;
	/* Clients are gone by now (sluice_finish); nothing refers to the manager any more. */
	wl_list_remove(&manager->keyboard_focus.link);
	wl_list_remove(&manager->focus_destroy.link);
	wl_global_destroy(manager->global);
	free(manager);
}
