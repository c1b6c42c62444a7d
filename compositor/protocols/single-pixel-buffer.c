/* wp_single_pixel_buffer_v1: 1x1 buffers of one colour, scaled up with wp_viewport. */
#include <drm_fourcc.h>
#include <single-pixel-buffer-v1-server-protocol.h>
#include <wayland-server-protocol.h>

#include "core/buffer.h"
#include "core/resource.h"
#include "protocols/protocols.h"
#include "core/server.h"

static void
manager_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
single_pixel_buffer_finish(struct sl_buffer *buffer)
{
}

/* No CPU view: renderers draw the colour itself. */
static const struct sl_buffer_impl single_pixel_buffer_impl = {
	.type = SL_BUFFER_SINGLE_PIXEL,
	.finish = single_pixel_buffer_finish,
};

static void
manager_handle_create_u32_rgba_buffer(struct wl_client *client, struct wl_resource *resource,
				      uint32_t id, uint32_t r, uint32_t g, uint32_t b, uint32_t a)
{
	/* The colour is premultiplied: a channel above alpha cannot be. */
	bool opaque = a == UINT32_MAX;
	struct sl_buffer *buffer =
		sl_buffer_create(client, id, &single_pixel_buffer_impl, 1, 1,
				 opaque ? DRM_FORMAT_XRGB8888 : DRM_FORMAT_ARGB8888);
	if (!buffer)
		return;
	buffer->single_pixel.r = r > a ? a : r;
	buffer->single_pixel.g = g > a ? a : g;
	buffer->single_pixel.b = b > a ? a : b;
	buffer->single_pixel.a = a;
}

static const struct wp_single_pixel_buffer_manager_v1_interface manager_impl = {
	.destroy = manager_handle_destroy,
	.create_u32_rgba_buffer = manager_handle_create_u32_rgba_buffer,
};

static void
manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource =
		sl_resource_create(client, &wp_single_pixel_buffer_manager_v1_interface, 1, id,
				   &manager_impl, data, NULL);
	if (!resource)
		return;
}

bool
single_pixel_buffer_global_init(struct sl_server *server)
{
	struct wl_global *global =
		wl_global_create(server->display, &wp_single_pixel_buffer_manager_v1_interface, 1,
				 server, manager_bind);
	return global != NULL;
}
