/*
 * wl_subcompositor / wl_subsurface: surfaces stacked and positioned relative to a parent. Position
 * and stacking are applied on the parent's commit; a synchronized child's own commits wait in its
 * cached state until then.
 */
#include <assert.h>
#include <stdlib.h>
#include <wayland-server-protocol.h>

#include "log.h"
#include "core/scene.h"
#include "core/resource.h"
#include "core/server.h"
#include "core/surface.h"

static const struct sl_surface_role subsurface_role = {
	.name = "wl_subsurface",
};

struct sl_subsurface *
sl_subsurface_from_surface(struct sl_surface *surface)
{
	return surface->role == &subsurface_role ? surface->role_data : NULL;
}

bool
sl_surface_is_synchronized(struct sl_surface *surface)
{
	struct sl_subsurface *sub;
	while ((sub = sl_subsurface_from_surface(surface)) && sub->parent) {
		if (sub->synchronized)
			return true;
		surface = sub->parent;
	}
	return false;
}

bool
sl_subsurface_parent_commit(struct sl_surface *parent)
{
	bool changed = false;
	struct sl_subsurface_node *node;

	/* Stacking: pending order becomes current. */
	struct wl_list *cur = parent->subsurfaces.next;
	wl_list_for_each (node, &parent->subsurfaces_pending, pending_link) {
		if (cur != &node->link)
			changed = true;
		cur = cur->next;
	}
	if (changed) {
		wl_list_init(&parent->subsurfaces);
		wl_list_for_each (node, &parent->subsurfaces_pending, pending_link)
			wl_list_insert(parent->subsurfaces.prev, &node->link);
	}

	wl_list_for_each (node, &parent->subsurfaces, link) {
		struct sl_subsurface *sub = node->subsurface;
		if (!sub)
			continue;
		if (sub->pending.set) {
			if (sub->x != sub->pending.x || sub->y != sub->pending.y)
				changed = true;
			sub->x = sub->pending.x;
			sub->y = sub->pending.y;
			sub->pending.set = false;
		}
		if (sl_surface_is_synchronized(sub->surface))
			surface_apply_cached(sub->surface);
	}
	return changed;
}

/* Detaches from the parent's stacking lists; the surface stops being shown. */
static void
subsurface_unlink(struct sl_subsurface *sub)
{
	if (!sub->parent)
		return;
	scene_surface_gone(sub->surface);
	wl_list_remove(&sub->node.link);
	wl_list_remove(&sub->node.pending_link);
	wl_list_remove(&sub->parent_destroy.link);
	sub->parent = NULL;
}

static void
subsurface_destroy(struct sl_subsurface *sub)
{
	subsurface_unlink(sub);
	wl_list_remove(&sub->surface_destroy.link);
	/* The surface keeps its role but no longer plays it. */
	sub->surface->role_data = NULL;
	wl_resource_set_user_data(sub->resource, NULL);
	free(sub);
}

static void
subsurface_handle_resource_destroy(struct wl_resource *resource)
{
	struct sl_subsurface *sub = wl_resource_get_user_data(resource);
	if (sub)
		subsurface_destroy(sub);
}

static void
subsurface_handle_surface_destroy(struct wl_listener *listener, void *data)
{
	struct sl_subsurface *sub = wl_container_of(listener, sub, surface_destroy);
	subsurface_destroy(sub);
}

static void
subsurface_handle_parent_destroy(struct wl_listener *listener, void *data)
{
	struct sl_subsurface *sub = wl_container_of(listener, sub, parent_destroy);
	subsurface_unlink(sub);
}

static struct sl_subsurface *subsurface_from_resource(struct wl_resource *resource);

static void
subsurface_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
subsurface_handle_set_position(struct wl_client *client, struct wl_resource *resource, int32_t x,
			       int32_t y)
{
	struct sl_subsurface *sub = subsurface_from_resource(resource);
	if (!sub)
		return;
	sub->pending.x = x;
	sub->pending.y = y;
	sub->pending.set = true;
}

/* The node of sibling_resource among sub's siblings (or the parent itself), or NULL. */
static struct sl_subsurface_node *
sibling_node(struct sl_subsurface *sub, struct wl_resource *sibling_resource)
{
	struct sl_surface *sibling = sl_surface_from_resource(sibling_resource);
	if (sibling == sub->parent)
		return &sub->parent->self_node;
	struct sl_subsurface *other = sl_subsurface_from_surface(sibling);
	if (other && other != sub && other->parent == sub->parent)
		return &other->node;
	return NULL;
}

static void
subsurface_place(struct wl_resource *resource, struct wl_resource *sibling_resource, bool above)
{
	struct sl_subsurface *sub = subsurface_from_resource(resource);
	if (!sub || !sub->parent)
		return;
	struct sl_subsurface_node *sibling = sibling_node(sub, sibling_resource);
	if (!sibling) {
		wl_resource_post_error(resource, WL_SUBSURFACE_ERROR_BAD_SURFACE,
				       "wl_surface@%u is neither a sibling nor the parent of "
				       "wl_subsurface@%u",
				       wl_resource_get_id(sibling_resource),
				       wl_resource_get_id(resource));
		return;
	}
	wl_list_remove(&sub->node.pending_link);
	if (above)
		wl_list_insert(&sibling->pending_link, &sub->node.pending_link);
	else
		wl_list_insert(sibling->pending_link.prev, &sub->node.pending_link);
}

static void
subsurface_handle_place_above(struct wl_client *client, struct wl_resource *resource,
			      struct wl_resource *sibling)
{
	subsurface_place(resource, sibling, true);
}

static void
subsurface_handle_place_below(struct wl_client *client, struct wl_resource *resource,
			      struct wl_resource *sibling)
{
	subsurface_place(resource, sibling, false);
}

static void
subsurface_handle_set_sync(struct wl_client *client, struct wl_resource *resource)
{
	struct sl_subsurface *sub = subsurface_from_resource(resource);
	if (sub)
		sub->synchronized = true;
}

static void
subsurface_handle_set_desync(struct wl_client *client, struct wl_resource *resource)
{
	struct sl_subsurface *sub = subsurface_from_resource(resource);
	if (!sub || !sub->synchronized)
		return;
	sub->synchronized = false;
	/* Cached state is applied now unless an ancestor still synchronizes the surface. */
	if (!sl_surface_is_synchronized(sub->surface))
		surface_apply_cached(sub->surface);
}

static const struct wl_subsurface_interface subsurface_impl = {
	.destroy = subsurface_handle_destroy,
	.set_position = subsurface_handle_set_position,
	.place_above = subsurface_handle_place_above,
	.place_below = subsurface_handle_place_below,
	.set_sync = subsurface_handle_set_sync,
	.set_desync = subsurface_handle_set_desync,
};

static struct sl_subsurface *
subsurface_from_resource(struct wl_resource *resource)
{
	assert(wl_resource_instance_of(resource, &wl_subsurface_interface, &subsurface_impl));
	return wl_resource_get_user_data(resource);
}

static void
subcompositor_handle_get_subsurface(struct wl_client *client, struct wl_resource *resource,
				    uint32_t id, struct wl_resource *surface_resource,
				    struct wl_resource *parent_resource)
{
	struct sl_surface *surface = sl_surface_from_resource(surface_resource);
	struct sl_surface *parent = sl_surface_from_resource(parent_resource);

	if (surface == parent) {
		wl_resource_post_error(resource, WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE,
				       "wl_surface@%u cannot be its own parent",
				       wl_resource_get_id(surface_resource));
		return;
	}
	if (sl_subsurface_from_surface(surface)) {
		wl_resource_post_error(resource, WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE,
				       "wl_surface@%u is already a subsurface",
				       wl_resource_get_id(surface_resource));
		return;
	}
	for (struct sl_surface *s = parent; s;) {
		struct sl_subsurface *up = sl_subsurface_from_surface(s);
		s = up ? up->parent : NULL;
		if (s == surface) {
			wl_resource_post_error(resource, WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE,
					       "wl_surface@%u is an ancestor of its parent "
					       "wl_surface@%u",
					       wl_resource_get_id(surface_resource),
					       wl_resource_get_id(parent_resource));
			return;
		}
	}

	struct sl_subsurface *sub = calloc(1, sizeof(*sub));
	if (!sub) {
		wl_client_post_no_memory(client);
		return;
	}
	if (!sl_surface_set_role(surface, &subsurface_role, sub, resource,
				 WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE)) {
		free(sub);
		return;
	}
	sub->resource = wl_resource_create(client, &wl_subsurface_interface, 1, id);
	if (!sub->resource) {
		surface->role_data = NULL;
		free(sub);
		wl_client_post_no_memory(client);
		return;
	}
	sub->surface = surface;
	sub->parent = parent;
	sub->synchronized = true;
	sub->node.subsurface = sub;
	/* New subsurfaces start on top of their siblings, in both orders. */
	wl_list_insert(parent->subsurfaces.prev, &sub->node.link);
	wl_list_insert(parent->subsurfaces_pending.prev, &sub->node.pending_link);
	sub->surface_destroy.notify = subsurface_handle_surface_destroy;
	wl_signal_add(&surface->events.destroy, &sub->surface_destroy);
	sub->parent_destroy.notify = subsurface_handle_parent_destroy;
	wl_signal_add(&parent->events.destroy, &sub->parent_destroy);
	wl_resource_set_implementation(sub->resource, &subsurface_impl, sub,
				       subsurface_handle_resource_destroy);
}

static void
subcompositor_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_subcompositor_interface subcompositor_impl = {
	.destroy = subcompositor_handle_destroy,
	.get_subsurface = subcompositor_handle_get_subsurface,
};

static void
subcompositor_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource = sl_resource_create(client, &wl_subcompositor_interface, 1,
							  id, &subcompositor_impl, data, NULL);
	if (!resource)
		return;
}

bool
subcompositor_global_init(struct sl_server *server)
{
	struct wl_global *global = wl_global_create(server->display, &wl_subcompositor_interface, 1,
						    server, subcompositor_bind);
	return global != NULL;
}
