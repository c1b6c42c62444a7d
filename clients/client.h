/*
 * What sluice's sample clients share: the globals they bind, the dma-buf feedback they allocate
 * from, and one xdg_toplevel shown fullscreen or at a given size.
 */
#ifndef SLUICE_CLIENT_H
#define SLUICE_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <wayland-client.h>

#include "color-representation-v1-client-protocol.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"
#include "viewporter-client-protocol.h"
#include "xdg-shell-client-protocol.h"

#define CLIENT_MAX_FORMATS 256

struct client_format {
	uint32_t format;
	uint64_t modifier;
	bool scanout; /* from a tranche flagged for scanout */
};

struct client {
	const char *name; /* for messages: "sluice-gpu: ..." */
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct xdg_wm_base *wm_base;
	struct wp_viewporter *viewporter;     /* nullable */
	struct wp_presentation *presentation; /* nullable */
	clockid_t presentation_clock;
	struct zwp_linux_dmabuf_v1 *dmabuf; /* nullable */
	uint32_t dmabuf_version;
	struct zwp_linux_explicit_synchronization_v1 *explicit_sync; /* nullable */
	struct wp_linux_drm_syncobj_manager_v1 *syncobj;	     /* nullable */
	struct wp_color_representation_manager_v1 *colour_repr;	     /* nullable */
	struct wp_color_representation_surface_v1 *surface_colour;   /* nullable */

	/* The default dma-buf feedback (version 4), or format/modifier events before. */
	struct zwp_linux_dmabuf_feedback_v1 *feedback;
	bool has_main_device;
	dev_t main_device;
	struct client_format formats[CLIENT_MAX_FORMATS];
	unsigned n_formats;
	void *table; /* the feedback's format table, mapped */
	uint32_t table_size;
	bool tranche_scanout;

	/* The window. */
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct wp_viewport *viewport; /* with a requested window size */
	bool configured, closed;
	int32_t configured_width, configured_height; /* 0: the client's choice */
};

/* Connects and binds the globals (dma-buf feedback received); prints why on failure. */
bool client_connect(struct client *client, const char *name);
/* Whether the compositor takes format with modifier (INVALID matches an implicit modifier). */
bool client_has_format(const struct client *client, uint32_t format, uint64_t modifier);
/*
 * Maps a toplevel and waits for its first configure: fullscreen when width is 0, else a window
 * of width x height whose buffers are scaled to it (wp_viewport).
 */
bool client_window_create(struct client *client, const char *title, int32_t width, int32_t height);
void client_destroy(struct client *client);
/*
 * Tells the compositor how the window's YCbCr buffers are encoded (wp_color_representation_v1's
 * coefficients and range). False, with a message, if it cannot be said: no such global.
 */
bool client_set_colour_representation(struct client *client, uint32_t coefficients, uint32_t range);

/* Parses WxH (both > 0); false on anything else. */
bool client_parse_size(const char *text, int32_t *width, int32_t *height);

#endif
