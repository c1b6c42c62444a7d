#ifndef SLUICE_SERVER_H
#define SLUICE_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <wayland-server-core.h>

#include "core/format-set.h"
#include "core/scene.h"
#include "core/stats.h"

struct sl_buffer;
struct sl_loop;
struct sl_renderer;
struct sl_output;
struct sl_surface;

/* What the core itself is told by the command line. */
struct sl_options {
	int repaint_window_ms;	      /* how long before the vblank the repaint starts */
	unsigned extra_commits_per_s; /* see loop.h; 0: clients are never held back */
	const char *stats_path;	      /* NULL: no statistics file at exit */
	bool no_scanout;	      /* compose everything, never put client buffers on planes */
	/* Acquire fences of buffers on planes go to IN_FENCE_FD instead of being waited for. */
	bool acquire_fences_to_kms;
	/*
	 * --transform: how each output is mounted. A choice with a name is for that output only
	 * and wins over one without (every output); with neither, the display's own (a panel's
	 * orientation) applies.
	 */
	struct sl_transform_choice {
		const char *output; /* NULL: every output */
		uint32_t transform; /* wl_output.transform */
	} transforms[8];
	int n_transforms;
};

/*
 * The compositor's core: the display, the event loops, the outputs and the scene. Protocols,
 * backends, renderers and features hang off it (see compositor/sluice.c); it knows none of them
 * by name, only the hooks and signals below.
 */
struct sl_server {
	struct wl_display *display;
	struct sl_loop *main_loop;  /* runs the two below; see loop.h */
	struct wl_event_loop *loop; /* the priority loop, for every source but the clients' */
	struct sl_options options;
	/* Installed by whoever assembles the compositor (pixman), replaced by a backend's. */
	struct sl_renderer *renderer;

	struct wl_list outputs; /* sl_output.link, in creation order; the first is primary */
	struct sl_scene scene;	/* windows and the cursor */
	struct wl_list retired_globals; /* see server_retire_global */
	struct wl_list fifo_surfaces;	/* sl_surface.fifo_link: fifo barriers raised */

	/*
	 * What the backend tells linux-dmabuf: the device clients should allocate on (the KMS
	 * device, whose GBM the GL renderer uses), what the primary planes scan out, and a hook
	 * that prepares each new dma-buf for scanout (a KMS framebuffer). All unset on headless.
	 */
	bool has_main_device;
	dev_t main_device;
	int main_device_fd; /* -1 without; the backend owns it */
	struct sl_format_set scanout_formats;
	void (*backend_import_dmabuf)(void *backend, struct sl_buffer *buffer);
	void *backend; /* the hook's data, set with it */

	struct {
		struct wl_signal new_output;	  /* struct sl_output * */
		struct wl_signal outputs_changed; /* struct sl_server *: added, removed, moved */
		/* struct sl_surface *: a wl_surface.commit passed validation (before it applies).
		 */
		struct wl_signal surface_commit;
		/* NULL: the user did something (a key, a motion, a touch). */
		struct wl_signal input_activity;
	} events;

	struct sl_stats stats;
};

/* The display, the loops and the signals; no globals yet. False with a log line. */
bool server_init(struct sl_server *server, const struct sl_options *options);
/* Destroys the clients first (their resources reference outputs), then the outputs. */
void server_destroy_clients(struct sl_server *server);
/* After everything that hangs off the server: the display, the loops, the renderer. */
void server_finish(struct sl_server *server);
struct sl_output *server_primary_output(struct sl_server *server);
/*
 * Removes a global from clients' view now and destroys it a few seconds later, so that a client
 * binding it meanwhile (it had not seen global_remove yet) gets an inert object instead of an
 * error. The global's bind handler must cope with NULL user data by then.
 */
void server_retire_global(struct sl_server *server, struct wl_global *global);

/* The core's own globals: wl_compositor (surfaces, regions) and wl_subcompositor. */
bool compositor_global_init(struct sl_server *server);
bool subcompositor_global_init(struct sl_server *server);

#endif
