#include "client.h"

#include <drm_fourcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void
add_format(struct client *client, uint32_t format, uint64_t modifier, bool scanout)
{
	for (unsigned i = 0; i < client->n_formats; i++) {
		struct client_format *f = &client->formats[i];
		if (f->format == format && f->modifier == modifier) {
			f->scanout = f->scanout || scanout;
			return;
		}
	}
	if (client->n_formats < CLIENT_MAX_FORMATS)
		client->formats[client->n_formats++] =
			(struct client_format){format, modifier, scanout};
}

bool
client_has_format(const struct client *client, uint32_t format, uint64_t modifier)
{
	for (unsigned i = 0; i < client->n_formats; i++) {
		const struct client_format *f = &client->formats[i];
		if (f->format != format)
			continue;
		/* Before version 3 a format event means "with the implicit modifier". */
		if (f->modifier == modifier ||
		    (f->modifier == DRM_FORMAT_MOD_INVALID && modifier == DRM_FORMAT_MOD_LINEAR))
			return true;
	}
	return false;
}

/* ---- linux-dmabuf ---- */

static void
dmabuf_format(void *data, struct zwp_linux_dmabuf_v1 *d, uint32_t format)
{
	add_format(data, format, DRM_FORMAT_MOD_INVALID, false);
}

static void
dmabuf_modifier(void *data, struct zwp_linux_dmabuf_v1 *d, uint32_t format, uint32_t hi,
		uint32_t lo)
{
	add_format(data, format, (uint64_t)hi << 32 | lo, false);
}

static const struct zwp_linux_dmabuf_v1_listener dmabuf_listener = {
	.format = dmabuf_format,
	.modifier = dmabuf_modifier,
};

static void
feedback_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *f)
{
}

static void
feedback_format_table(void *data, struct zwp_linux_dmabuf_feedback_v1 *f, int32_t fd, uint32_t size)
{
	struct client *client = data;
	if (client->table)
		munmap(client->table, client->table_size);
	client->table = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	client->table_size = size;
	if (client->table == MAP_FAILED)
		client->table = NULL;
	close(fd);
}

static void
feedback_main_device(void *data, struct zwp_linux_dmabuf_feedback_v1 *f, struct wl_array *device)
{
	struct client *client = data;
	if (device->size != sizeof(dev_t))
		return;
	memcpy(&client->main_device, device->data, sizeof(dev_t));
	client->has_main_device = true;
}

static void
feedback_tranche_device(void *data, struct zwp_linux_dmabuf_feedback_v1 *f, struct wl_array *device)
{
}

static void
feedback_tranche_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *f)
{
	((struct client *)data)->tranche_scanout = false;
}

static void
feedback_tranche_flags(void *data, struct zwp_linux_dmabuf_feedback_v1 *f, uint32_t flags)
{
	((struct client *)data)->tranche_scanout =
		flags & ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT;
}

static void
feedback_tranche_formats(void *data, struct zwp_linux_dmabuf_feedback_v1 *f,
			 struct wl_array *indices)
{
	struct client *client = data;
	const struct entry {
		uint32_t format, pad;
		uint64_t modifier;
	} *table = client->table;
	uint16_t *index;
	wl_array_for_each (index, indices)
		if (table && (size_t)*index < client->table_size / sizeof(*table))
			add_format(client, table[*index].format, table[*index].modifier,
				   client->tranche_scanout);
}

static const struct zwp_linux_dmabuf_feedback_v1_listener feedback_listener = {
	.done = feedback_done,
	.format_table = feedback_format_table,
	.main_device = feedback_main_device,
	.tranche_done = feedback_tranche_done,
	.tranche_target_device = feedback_tranche_device,
	.tranche_formats = feedback_tranche_formats,
	.tranche_flags = feedback_tranche_flags,
};

/* ---- globals ---- */

static void
wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {.ping = wm_base_ping};

static void
presentation_clock_id(void *data, struct wp_presentation *p, uint32_t clock)
{
	((struct client *)data)->presentation_clock = (clockid_t)clock;
}

static const struct wp_presentation_listener presentation_listener = {
	.clock_id = presentation_clock_id,
};

static void
registry_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
		uint32_t version)
{
	struct client *client = data;
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		if (version >= 4) /* damage_buffer */
			client->compositor =
				wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		client->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(client->wm_base, &wm_base_listener, client);
	} else if (strcmp(interface, wp_viewporter_interface.name) == 0) {
		client->viewporter = wl_registry_bind(registry, name, &wp_viewporter_interface, 1);
	} else if (strcmp(interface, wp_presentation_interface.name) == 0) {
		client->presentation =
			wl_registry_bind(registry, name, &wp_presentation_interface, 1);
		wp_presentation_add_listener(client->presentation, &presentation_listener, client);
	} else if (strcmp(interface, zwp_linux_dmabuf_v1_interface.name) == 0 && version >= 2) {
		client->dmabuf_version = version < 4 ? version : 4;
		client->dmabuf = wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface,
						  client->dmabuf_version);
		zwp_linux_dmabuf_v1_add_listener(client->dmabuf, &dmabuf_listener, client);
	} else if (strcmp(interface, zwp_linux_explicit_synchronization_v1_interface.name) == 0) {
		client->explicit_sync = wl_registry_bind(
			registry, name, &zwp_linux_explicit_synchronization_v1_interface,
			version < 2 ? version : 2);
	} else if (strcmp(interface, wp_linux_drm_syncobj_manager_v1_interface.name) == 0) {
		client->syncobj = wl_registry_bind(registry, name,
						   &wp_linux_drm_syncobj_manager_v1_interface, 1);
	} else if (strcmp(interface, wp_color_representation_manager_v1_interface.name) == 0) {
		/* What it announces is not kept: a refused value is a protocol error, said. */
		client->colour_repr = wl_registry_bind(
			registry, name, &wp_color_representation_manager_v1_interface, 1);
	}
}

static void
registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

bool
client_connect(struct client *client, const char *name)
{
	*client = (struct client){.name = name, .presentation_clock = CLOCK_MONOTONIC};
	client->display = wl_display_connect(NULL);
	if (!client->display) {
		fprintf(stderr, "%s: cannot connect to a Wayland compositor\n", name);
		return false;
	}
	client->registry = wl_display_get_registry(client->display);
	wl_registry_add_listener(client->registry, &registry_listener, client);
	if (wl_display_roundtrip(client->display) < 0)
		goto lost;
	if (!client->compositor || !client->wm_base) {
		fprintf(stderr,
			"%s: the compositor lacks wl_compositor (version 4) or xdg_wm_base\n",
			name);
		return false;
	}
	if (client->dmabuf_version >= 4) {
		client->feedback = zwp_linux_dmabuf_v1_get_default_feedback(client->dmabuf);
		zwp_linux_dmabuf_feedback_v1_add_listener(client->feedback, &feedback_listener,
							  client);
	}
	if (wl_display_roundtrip(client->display) < 0)
		goto lost;
	return true;
lost:
	fprintf(stderr, "%s: the compositor went away\n", name);
	return false;
}

/* ---- the window ---- */

static void
xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	xdg_surface_ack_configure(xdg_surface, serial);
	((struct client *)data)->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

static void
toplevel_configure(void *data, struct xdg_toplevel *t, int32_t width, int32_t height,
		   struct wl_array *states)
{
	struct client *client = data;
	client->configured_width = width;
	client->configured_height = height;
}

static void
toplevel_close(void *data, struct xdg_toplevel *t)
{
	((struct client *)data)->closed = true;
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
};

bool
client_window_create(struct client *client, const char *title, int32_t width, int32_t height)
{
	if (width > 0 && !client->viewporter) {
		fprintf(stderr,
			"%s: a window size needs wp_viewporter, which the compositor lacks\n",
			client->name);
		return false;
	}
	client->surface = wl_compositor_create_surface(client->compositor);
	client->xdg_surface = xdg_wm_base_get_xdg_surface(client->wm_base, client->surface);
	xdg_surface_add_listener(client->xdg_surface, &xdg_surface_listener, client);
	client->toplevel = xdg_surface_get_toplevel(client->xdg_surface);
	xdg_toplevel_add_listener(client->toplevel, &toplevel_listener, client);
	xdg_toplevel_set_title(client->toplevel, title);
	xdg_toplevel_set_app_id(client->toplevel, title);
	if (width > 0) {
		/* The buffers keep their own size; the compositor scales them to the window. */
		client->viewport = wp_viewporter_get_viewport(client->viewporter, client->surface);
		wp_viewport_set_destination(client->viewport, width, height);
	} else {
		xdg_toplevel_set_fullscreen(client->toplevel, NULL);
	}
	wl_surface_commit(client->surface);
	while (!client->configured)
		if (wl_display_dispatch(client->display) < 0) {
			fprintf(stderr, "%s: the compositor went away\n", client->name);
			return false;
		}
	return true;
}

void
client_destroy(struct client *client)
{
	if (client->surface_colour)
		wp_color_representation_surface_v1_destroy(client->surface_colour);
	if (client->colour_repr)
		wp_color_representation_manager_v1_destroy(client->colour_repr);
	if (client->viewport)
		wp_viewport_destroy(client->viewport);
	if (client->toplevel)
		xdg_toplevel_destroy(client->toplevel);
	if (client->xdg_surface)
		xdg_surface_destroy(client->xdg_surface);
	if (client->surface)
		wl_surface_destroy(client->surface);
	if (client->feedback)
		zwp_linux_dmabuf_feedback_v1_destroy(client->feedback);
	if (client->table)
		munmap(client->table, client->table_size);
	if (client->display)
		wl_display_disconnect(client->display);
	*client = (struct client){0};
}

bool
client_set_colour_representation(struct client *client, uint32_t coefficients, uint32_t range)
{
	if (!client->colour_repr) {
		fprintf(stderr,
			"%s: the compositor has no wp_color_representation_manager_v1: it reads "
			"the frames its own way\n",
			client->name);
		return false;
	}
	if (!client->surface_colour)
		client->surface_colour = wp_color_representation_manager_v1_get_surface(
			client->colour_repr, client->surface);
	wp_color_representation_surface_v1_set_coefficients_and_range(client->surface_colour,
								      coefficients, range);
	return true;
}

bool
client_parse_size(const char *text, int32_t *width, int32_t *height)
{
	char *end;
	long w = strtol(text, &end, 10);
	if (end == text || *end != 'x')
		return false;
	const char *h_text = end + 1;
	long h = strtol(h_text, &end, 10);
	if (end == h_text || *end || w <= 0 || h <= 0 || w > 16384 || h > 16384)
		return false;
	*width = (int32_t)w;
	*height = (int32_t)h;
	return true;
}
