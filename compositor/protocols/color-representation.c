/*
 * wp_color_representation_manager_v1: a client says which YCbCr matrix and range its buffers
 * were encoded with (BT.601, BT.709, BT.2020; limited or full), where the chroma samples sit and
 * how alpha is meant. Both renderers read YCbCr with the surface's encoding (core/surface.c's
 * sl_surface_yuv_encoding); what they cannot do is not announced, and asking for it is an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <wayland-server-protocol.h>

#include "color-representation-v1-server-protocol.h"
#include "core/resource.h"
#include "core/server.h"
#include "core/surface.h"
#include "protocols/protocols.h"

struct colour_surface {
	struct sl_surface_colour base;
	struct wl_resource *resource;
	struct sl_surface *surface; /* NULL once the surface is gone: inert */
	struct wl_listener surface_destroy;
};

/* The pairs announced, and accepted: the three matrices the renderers know, both ranges. */
static const struct {
	uint32_t coefficients, range;
} supported[] = {
	{WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_IDENTITY,
	 WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_FULL},
	{WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT601,
	 WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_LIMITED},
	{WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT601,
	 WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_FULL},
	{WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT709,
	 WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_LIMITED},
	{WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT709,
	 WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_FULL},
	{WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT2020,
	 WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_LIMITED},
	{WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT2020,
	 WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_FULL},
};

static const char *const coefficient_names[] = {
	"0", "identity", "bt709", "fcc", "bt601", "smpte240", "bt2020", "bt2020_cl", "ictcp",
};

static const char *
coefficient_name(uint32_t coefficients)
{
	return coefficients < sizeof(coefficient_names) / sizeof(coefficient_names[0])
		       ? coefficient_names[coefficients]
		       : "unknown";
}

static void
colour_post_error(struct sl_surface_colour *base, const char *message)
{
	struct colour_surface *cs = wl_container_of(base, cs, base);
	wl_resource_post_error(cs->resource, WP_COLOR_REPRESENTATION_SURFACE_V1_ERROR_PIXEL_FORMAT,
			       "%s", message);
}

static void
colour_detach(struct colour_surface *cs)
{
	if (!cs->surface)
		return;
	cs->surface->colour = NULL;
	wl_list_remove(&cs->surface_destroy.link);
	cs->surface = NULL;
}

static void
colour_handle_surface_destroy(struct wl_listener *listener, void *data)
{
	struct colour_surface *cs = wl_container_of(listener, cs, surface_destroy);
	colour_detach(cs);
}

static void
colour_handle_resource_destroy(struct wl_resource *resource)
{
	struct colour_surface *cs = wl_resource_get_user_data(resource);
	if (cs->surface) {
		/* Unset with the next commit, like any of its settings. */
		cs->surface->pending.colour = (struct sl_colour_repr){0};
		cs->surface->pending.committed |= SL_STATE_COLOUR;
	}
	colour_detach(cs);
	free(cs);
}

static void
colour_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static struct sl_surface *
colour_surface_or_error(struct wl_resource *resource)
{
	struct colour_surface *cs = wl_resource_get_user_data(resource);
	if (!cs->surface)
		wl_resource_post_error(resource, WP_COLOR_REPRESENTATION_SURFACE_V1_ERROR_INERT,
				       "the wl_surface of this wp_color_representation_surface_v1 "
				       "was destroyed");
	return cs->surface;
}

static void
colour_handle_set_alpha_mode(struct wl_client *client, struct wl_resource *resource,
			     uint32_t alpha_mode)
{
	struct sl_surface *surface = colour_surface_or_error(resource);
	if (!surface)
		return;
	/* Both renderers blend premultiplied values as they are: nothing else is offered. */
	if (alpha_mode != WP_COLOR_REPRESENTATION_SURFACE_V1_ALPHA_MODE_PREMULTIPLIED_ELECTRICAL) {
		wl_resource_post_error(resource,
				       WP_COLOR_REPRESENTATION_SURFACE_V1_ERROR_ALPHA_MODE,
				       "alpha mode %u is not supported (only "
				       "premultiplied_electrical, 0, was announced)",
				       alpha_mode);
		return;
	}
	surface->pending.colour.alpha_mode = alpha_mode;
	surface->pending.colour.alpha_set = true;
	surface->pending.committed |= SL_STATE_COLOUR;
}

static void
colour_handle_set_coefficients_and_range(struct wl_client *client, struct wl_resource *resource,
					 uint32_t coefficients, uint32_t range)
{
	struct sl_surface *surface = colour_surface_or_error(resource);
	if (!surface)
		return;
	bool ok = false;
	for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
		ok = ok ||
		     (supported[i].coefficients == coefficients && supported[i].range == range);
	if (!ok) {
		const char *range_name =
			range == WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_FULL	    ? "full"
			: range == WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_LIMITED ? "limited"
										    : "invalid";
		wl_resource_post_error(
			resource, WP_COLOR_REPRESENTATION_SURFACE_V1_ERROR_COEFFICIENTS,
			"coefficients %u (%s) with range %u (%s) are not supported: "
			"bt601, bt709 and bt2020 with limited or full range, and "
			"identity with full range, were announced",
			coefficients, coefficient_name(coefficients), range, range_name);
		return;
	}
	surface->pending.colour.coefficients = coefficients;
	surface->pending.colour.range = range;
	surface->pending.committed |= SL_STATE_COLOUR;
}

static void
colour_handle_set_chroma_location(struct wl_client *client, struct wl_resource *resource,
				  uint32_t chroma_location)
{
	struct sl_surface *surface = colour_surface_or_error(resource);
	if (!surface)
		return;
	if (chroma_location < WP_COLOR_REPRESENTATION_SURFACE_V1_CHROMA_LOCATION_TYPE_0 ||
	    chroma_location > WP_COLOR_REPRESENTATION_SURFACE_V1_CHROMA_LOCATION_TYPE_5) {
		/* The protocol has no error of its own for a value outside its enum. */
		wl_resource_post_error(wl_client_get_object(client, 1),
				       WL_DISPLAY_ERROR_INVALID_METHOD,
				       "chroma location %u is not a value of the chroma_location "
				       "enum (1 to 6)",
				       chroma_location);
		return;
	}
	surface->pending.colour.chroma_location = chroma_location;
	surface->pending.committed |= SL_STATE_COLOUR;
}

static const struct wp_color_representation_surface_v1_interface colour_surface_impl = {
	.destroy = colour_handle_destroy,
	.set_alpha_mode = colour_handle_set_alpha_mode,
	.set_coefficients_and_range = colour_handle_set_coefficients_and_range,
	.set_chroma_location = colour_handle_set_chroma_location,
};

static void
manager_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
manager_handle_get_surface(struct wl_client *client, struct wl_resource *resource, uint32_t id,
			   struct wl_resource *surface_resource)
{
	struct sl_surface *surface = sl_surface_from_resource(surface_resource);
	if (surface->colour) {
		wl_resource_post_error(resource,
				       WP_COLOR_REPRESENTATION_MANAGER_V1_ERROR_SURFACE_EXISTS,
				       "wl_surface@%u has a wp_color_representation_surface_v1 "
				       "already",
				       wl_resource_get_id(surface_resource));
		return;
	}
	struct colour_surface *cs = calloc(1, sizeof(*cs));
	if (!cs) {
		wl_client_post_no_memory(client);
		return;
	}
	cs->resource = sl_resource_create(client, &wp_color_representation_surface_v1_interface,
					  wl_resource_get_version(resource), id,
					  &colour_surface_impl, cs, colour_handle_resource_destroy);
	if (!cs->resource) {
		free(cs);
		return;
	}
	cs->base.post_error = colour_post_error;
	cs->surface = surface;
	surface->colour = &cs->base;
	cs->surface_destroy.notify = colour_handle_surface_destroy;
	wl_signal_add(&surface->events.destroy, &cs->surface_destroy);
}

static const struct wp_color_representation_manager_v1_interface manager_impl = {
	.destroy = manager_handle_destroy,
	.get_surface = manager_handle_get_surface,
};

static void
manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource =
		sl_resource_create(client, &wp_color_representation_manager_v1_interface,
				   (int)version, id, &manager_impl, data, NULL);
	if (!resource)
		return;
	wp_color_representation_manager_v1_send_supported_alpha_mode(
		resource, WP_COLOR_REPRESENTATION_SURFACE_V1_ALPHA_MODE_PREMULTIPLIED_ELECTRICAL);
	for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
		wp_color_representation_manager_v1_send_supported_coefficients_and_ranges(
			resource, supported[i].coefficients, supported[i].range);
	wp_color_representation_manager_v1_send_done(resource);
}

bool
color_representation_global_init(struct sl_server *server)
{
	return wl_global_create(server->display, &wp_color_representation_manager_v1_interface, 1,
				server, manager_bind) != NULL;
}
