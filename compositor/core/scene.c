/* The scene: what each output shows, and which outputs a commit affects. */
#include "core/scene.h"

#include <wayland-server-protocol.h>

#include "core/loop.h"
#include "core/output.h"
#include "core/server.h"
#include "core/surface.h"

void
scene_init(struct sl_scene *scene)
{
	wl_list_init(&scene->windows);
	wl_signal_init(&scene->events.restack);
}

struct sl_scene_window *
scene_top(struct sl_server *server)
{
	struct sl_scene_window *window;
	wl_list_for_each (window, &server->scene.windows, link)
		if (window->mapped)
			return window;
	return NULL;
}

static struct sl_surface *
window_surface(struct sl_scene_window *window)
{
	return window->impl->surface(window);
}

/* The cursor shown on output (NULL: any) and where, or NULL. */
static struct sl_surface *
cursor_on(struct sl_server *server, struct sl_output *output, int32_t *x, int32_t *y)
{
	const struct sl_scene_cursor_impl *impl = server->scene.cursor_impl;
	return impl ? impl->surface_on(server->scene.cursor_data, output, x, y) : NULL;
}

/* Centre on the output; where the window is larger, align its top-left edge instead. */
static int32_t
place_axis(int32_t output_size, int32_t window_offset, int32_t window_size)
{
	if (window_size >= output_size)
		return -window_offset;
	return (output_size - window_size) / 2 - window_offset;
}

static bool
root_position(struct sl_server *server, struct sl_output *output, struct sl_surface *root,
	      int32_t *x, int32_t *y)
{
	struct sl_scene_window *top = scene_top(server);
	if (!top || window_surface(top) != root || !root->current.buffer)
		return false;
	struct sl_box box = top->impl->geometry(top);
	*x = place_axis(output->width, box.x, box.width);
	*y = place_axis(output->height, box.y, box.height);
	return true;
}

/* Output-local position of any surface, or false if the output does not show it. */
static bool
surface_position(struct sl_output *output, struct sl_surface *surface, int32_t *x, int32_t *y)
{
	int32_t cx, cy;
	if (surface == cursor_on(output->server, output, &cx, &cy)) {
		*x = cx;
		*y = cy;
		return true;
	}
	int32_t dx = 0, dy = 0;
	struct sl_subsurface *sub;
	while ((sub = sl_subsurface_from_surface(surface))) {
		if (!sub->parent)
			return false;
		dx += sub->x;
		dy += sub->y;
		surface = sub->parent;
		/* A subsurface is mapped only while its parent is. */
		if (!surface->current.buffer)
			return false;
	}
	if (!root_position(output->server, output, surface, x, y))
		return false;
	*x += dx;
	*y += dy;
	return true;
}

static void
for_each_in_tree(struct sl_surface *surface, int32_t x, int32_t y, scene_iter_fn fn, void *data)
{
	if (!surface->current.buffer)
		return;
	struct sl_subsurface_node *node;
	wl_list_for_each (node, &surface->subsurfaces, link) {
		struct sl_subsurface *sub = node->subsurface;
		if (!sub)
			fn(surface, x, y, data);
		else
			for_each_in_tree(sub->surface, x + sub->x, y + sub->y, fn, data);
	}
}

void
scene_for_each_surface(struct sl_server *server, struct sl_output *output, scene_iter_fn fn,
		       void *data)
{
	struct sl_scene_window *top = scene_top(server);
	if (!top)
		return;
	struct sl_surface *root = window_surface(top);
	int32_t x, y;
	if (root && root_position(server, output, root, &x, &y))
		for_each_in_tree(root, x, y, fn, data);
	/* The cursor on top of everything. */
	struct sl_surface *cursor = cursor_on(server, output, &x, &y);
	if (cursor)
		fn(cursor, x, y, data);
}

void
scene_surface_committed(struct sl_surface *surface, const pixman_region32_t *damage,
			bool structure_changed)
{
	struct sl_output *output;
	bool shown = false;
	wl_list_for_each (output, &surface->server->outputs, link) {
		int32_t x, y;
		if (!surface_position(output, surface, &x, &y))
			continue;
		shown = true;
		if (structure_changed) {
			sl_output_damage_whole(output);
		} else if (pixman_region32_not_empty((pixman_region32_t *)damage)) {
			pixman_region32_t out;
			pixman_region32_init(&out);
			pixman_region32_copy(&out, (pixman_region32_t *)damage);
			pixman_region32_translate(&out, x, y);
			sl_output_add_damage(output, &out);
			pixman_region32_fini(&out);
		}
		if (sl_surface_has_frame_callbacks(surface))
			sl_output_schedule_frame(output);
	}
	/* No repaint will show this update: say so now, or a client pacing itself by
	 * presentation feedback waits until it is on top again. Frame callbacks do wait. */
	if (!shown)
		sl_feedback_list_discard(&surface->current.feedbacks);

	/* An update no one will see, or that replaces one not shown yet, is extra work. */
	struct sl_loop *loop = surface->server->main_loop;
	uint64_t frame = sl_loop_frame_count(loop);
	if (!shown || surface->commit_frame == frame)
		sl_loop_charge_extra_commit(loop, wl_resource_get_client(surface->resource));
	surface->commit_frame = frame;
}

static void
surface_leave_output(struct sl_surface *surface, struct sl_output *output)
{
	uint32_t bit = 1u << output->index;
	if (!(surface->entered_outputs & bit))
		return;
	surface->entered_outputs &= ~bit;
	struct wl_resource *resource;
	wl_resource_for_each (resource, &output->resources)
		if (wl_resource_get_client(resource) == wl_resource_get_client(surface->resource))
			wl_surface_send_leave(surface->resource, resource);
}

/*
 * The tree leaves output (NULL: every output, since it is no longer shown, and its unshown
 * updates are discarded).
 */
static void
tree_leave(struct sl_surface *surface, struct sl_output *only)
{
	if (!only)
		sl_feedback_list_discard(&surface->current.feedbacks);
	struct sl_output *output;
	wl_list_for_each (output, &surface->server->outputs, link)
		if (!only || output == only)
			surface_leave_output(surface, output);
	struct sl_subsurface_node *node;
	wl_list_for_each (node, &surface->subsurfaces, link)
		if (node->subsurface)
			tree_leave(node->subsurface->surface, only);
}

void
scene_surface_gone(struct sl_surface *surface)
{
	struct sl_output *output;
	wl_list_for_each (output, &surface->server->outputs, link) {
		int32_t x, y;
		if (surface_position(output, surface, &x, &y))
			sl_output_damage_whole(output);
	}
	tree_leave(surface, NULL);
}

void
scene_output_removed(struct sl_output *output)
{
	/* Only window trees and the cursor ever enter outputs. */
	struct sl_scene_window *window;
	wl_list_for_each (window, &output->server->scene.windows, link) {
		struct sl_surface *surface = window_surface(window);
		if (surface)
			tree_leave(surface, output);
	}
	struct sl_surface *cursor = cursor_on(output->server, NULL, NULL, NULL);
	if (cursor)
		tree_leave(cursor, output);
}

/* The stacking changed: windows no longer on top leave every output, which are drawn again. */
static void
scene_restack(struct sl_server *server)
{
	struct sl_scene_window *top = scene_top(server), *window;
	wl_list_for_each (window, &server->scene.windows, link) {
		struct sl_surface *surface = window_surface(window);
		if (window != top && surface)
			tree_leave(surface, NULL);
	}
	struct sl_output *output;
	wl_list_for_each (output, &server->outputs, link)
		sl_output_damage_whole(output);
	wl_signal_emit_mutable(&server->scene.events.restack, server);
}

void
scene_add_window(struct sl_server *server, struct sl_scene_window *window,
		 const struct sl_scene_window_impl *impl)
{
	window->impl = impl;
	window->mapped = false;
	wl_list_insert(server->scene.windows.prev, &window->link);
}

void
scene_window_map(struct sl_server *server, struct sl_scene_window *window)
{
	window->mapped = true;
	wl_list_remove(&window->link);
	wl_list_insert(&server->scene.windows, &window->link);
	scene_restack(server);
}

void
scene_window_unmap(struct sl_server *server, struct sl_scene_window *window)
{
	if (!window->mapped)
		return;
	struct sl_surface *surface = window_surface(window);
	if (surface)
		scene_surface_gone(surface);
	window->mapped = false;
	scene_restack(server);
}

void
scene_remove_window(struct sl_server *server, struct sl_scene_window *window)
{
	wl_list_remove(&window->link);
}

void
scene_set_cursor(struct sl_server *server, const struct sl_scene_cursor_impl *impl, void *data)
{
	server->scene.cursor_impl = impl;
	server->scene.cursor_data = data;
}
