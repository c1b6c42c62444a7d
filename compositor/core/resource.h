#ifndef SLUICE_RESOURCE_H
#define SLUICE_RESOURCE_H

#include <wayland-server-core.h>

/*
 * Creates a resource with its implementation, or posts no_memory to the client and returns NULL:
 * the shape of nearly every bind and factory request.
 */
static inline struct wl_resource *
sl_resource_create(struct wl_client *client, const struct wl_interface *interface, int version,
		   uint32_t id, const void *implementation, void *data,
		   wl_resource_destroy_func_t destroy)
{
	struct wl_resource *resource = wl_resource_create(client, interface, version, id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return NULL;
	}
	wl_resource_set_implementation(resource, implementation, data, destroy);
	return resource;
}

/* The destroy handler of a resource kept in a list by its link (wl_resource_get_link). */
static inline void
sl_resource_unlink(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

#endif
