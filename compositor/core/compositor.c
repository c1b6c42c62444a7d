/* wl_compositor and wl_region: the factories for surfaces and the regions they are given. */
#include <stdlib.h>
#include <wayland-server-protocol.h>

#include "log.h"
#include "core/region.h"
#include "core/resource.h"
#include "core/server.h"
#include "core/surface.h"

/* Keeps coordinates inside what pixman's 32-bit boxes can hold after adding a size. */
#define REGION_LIMIT (INT32_MAX / 2)

static int32_t
clamp_coord(int64_t v)
{
	return v < -REGION_LIMIT ? -REGION_LIMIT : v > REGION_LIMIT ? REGION_LIMIT : (int32_t)v;
}

static void
region_rect_op(pixman_region32_t *region, int32_t x, int32_t y, int32_t w, int32_t h, bool add)
{
	if (w <= 0 || h <= 0)
		return;
	int32_t x1 = clamp_coord(x), y1 = clamp_coord(y);
	int32_t x2 = clamp_coord((int64_t)x + w), y2 = clamp_coord((int64_t)y + h);
	if (x2 <= x1 || y2 <= y1)
		return;
	pixman_region32_t rect;
	pixman_region32_init_rect(&rect, x1, y1, (unsigned)(x2 - x1), (unsigned)(y2 - y1));
	if (add)
		pixman_region32_union(region, region, &rect);
	else
		pixman_region32_subtract(region, region, &rect);
	pixman_region32_fini(&rect);
}

void
region_add_rect(pixman_region32_t *region, int32_t x, int32_t y, int32_t w, int32_t h)
{
	region_rect_op(region, x, y, w, h, true);
}

void
region_subtract_rect(pixman_region32_t *region, int32_t x, int32_t y, int32_t w, int32_t h)
{
	region_rect_op(region, x, y, w, h, false);
}

void
region_init_infinite(pixman_region32_t *region)
{
	pixman_region32_init_rect(region, -REGION_LIMIT, -REGION_LIMIT, 2u * REGION_LIMIT,
				  2u * REGION_LIMIT);
}

static void
region_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
region_handle_add(struct wl_client *client, struct wl_resource *resource, int32_t x, int32_t y,
		  int32_t w, int32_t h)
{
	region_add_rect(wl_resource_get_user_data(resource), x, y, w, h);
}

static void
region_handle_subtract(struct wl_client *client, struct wl_resource *resource, int32_t x, int32_t y,
		       int32_t w, int32_t h)
{
	region_subtract_rect(wl_resource_get_user_data(resource), x, y, w, h);
}

static const struct wl_region_interface region_impl = {
	.destroy = region_handle_destroy,
	.add = region_handle_add,
	.subtract = region_handle_subtract,
};

static void
region_handle_resource_destroy(struct wl_resource *resource)
{
	pixman_region32_t *region = wl_resource_get_user_data(resource);
	pixman_region32_fini(region);
	free(region);
}

pixman_region32_t *
region_from_resource(struct wl_resource *resource)
{
	if (!wl_resource_instance_of(resource, &wl_region_interface, &region_impl))
		return NULL;
	return wl_resource_get_user_data(resource);
}

void
region_create(struct wl_client *client, uint32_t version, uint32_t id)
{
	pixman_region32_t *region = calloc(1, sizeof(*region));
	struct wl_resource *resource = NULL;
	if (region)
		resource = wl_resource_create(client, &wl_region_interface, (int)version, id);
	if (!resource) {
		free(region);
		wl_client_post_no_memory(client);
		return;
	}
	pixman_region32_init(region);
	wl_resource_set_implementation(resource, &region_impl, region,
				       region_handle_resource_destroy);
}

static void
compositor_handle_create_surface(struct wl_client *client, struct wl_resource *resource,
				 uint32_t id)
{
	surface_create(wl_resource_get_user_data(resource), client,
		       (uint32_t)wl_resource_get_version(resource), id);
}

static void
compositor_handle_create_region(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
	region_create(client, (uint32_t)wl_resource_get_version(resource), id);
}

static const struct wl_compositor_interface compositor_impl = {
	.create_surface = compositor_handle_create_surface,
	.create_region = compositor_handle_create_region,
};

static void
compositor_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource = sl_resource_create(
		client, &wl_compositor_interface, (int)version, id, &compositor_impl, data, NULL);
	if (!resource)
		return;
}

bool
compositor_global_init(struct sl_server *server)
{
	struct wl_global *global = wl_global_create(server->display, &wl_compositor_interface, 5,
						    server, compositor_bind);
	if (!global)
		log_error("server", "cannot create the wl_compositor global");
	return global != NULL;
}
