#ifndef SLUICE_SERVER_H
#define SLUICE_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <wayland-server-core.h>

#include "format-set.h"
#include "seat.h"
#include "stats.h"

struct sl_buffer;
struct sl_dmabuf;
struct sl_loop;
struct sl_input;
struct sl_session;
struct sl_data_device_manager;
struct sl_idle;
struct sl_renderer;
struct sl_output;
struct sl_surface;

struct sl_options {
	const char *socket;	      /* NULL: pick wayland-N */
	bool capture;		      /* advertise sluice_capture_manager_v1 */
	int repaint_window_ms;	      /* how long before the vblank the repaint starts */
	unsigned extra_commits_per_s; /* see loop.h; 0: clients are never held back */
	struct sl_seat_options seat;
	const char *stats_path; /* NULL: no statistics file at exit */
	bool no_scanout;	/* compose everything, never put client buffers on planes */
	/* Acquire fences of buffers on planes go to IN_FENCE_FD instead of being waited for. */
	bool acquire_fences_to_kms;
	bool strict;			  /* check clients' submissions (strict.c) */
	const char *strict_report_dir;	  /* NULL: strict findings only on the log */
	unsigned long strict_frame_limit; /* SIGTERM a client after this many frames; 0 */
};

/* The one compositor instance: owns the display and every global. */
struct sl_server {
	struct wl_display *display;
	struct sl_loop *main_loop;  /* runs the two below; see loop.h */
	struct wl_event_loop *loop; /* the priority loop, for every source but the clients' */
	struct sl_options options;
	struct sl_renderer *renderer;

	struct wl_list outputs;	  /* sl_output.link, in creation order; the first is primary */
	struct wl_list toplevels; /* sl_xdg_toplevel.link, most recently mapped first */
	struct wl_list retired_globals; /* see server_retire_global */

	struct wl_global *compositor_global;
	struct wl_global *subcompositor_global;
	struct wl_global *shm_global;
	struct wl_global *xdg_wm_base_global;
	struct wl_global *presentation_global;
	struct wl_global *viewporter_global;
	struct wl_global *single_pixel_global;
	struct sl_seat *seat;
	struct sl_data_device_manager *data_device;
	struct sl_session *session; /* NULL: devices opened directly (headless, --session none) */
	struct sl_input *input;	    /* NULL without input devices (headless, --input none) */
	struct sl_idle *idle;	    /* NULL without --idle-timeout */
	struct wl_global *capture_global; /* NULL unless options.capture */

	/* Previous SIGBUS disposition, restored by shm_finish(). */
	bool shm_sigbus_installed;

	/* Torn down after the clients and before the display (nullable). */
	void (*backend_destroy)(void *backend);
	void *backend;

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

	struct sl_dmabuf *dmabuf; /* NULL until dmabuf_global_init() */
	struct sl_strict *strict; /* NULL unless --strict */
	struct sl_stats stats;
};

bool server_init(struct sl_server *server, const struct sl_options *options);
void server_finish(struct sl_server *server);
struct sl_output *server_primary_output(struct sl_server *server);
/*
 * Removes a global from clients' view now and destroys it a few seconds later, so that a client
 * binding it meanwhile (it had not seen global_remove yet) gets an inert object instead of an
 * error. The global's bind handler must cope with NULL user data by then.
 */
void server_retire_global(struct sl_server *server, struct wl_global *global);

/* Globals, one module each; each returns false (with a log line) on failure. */
bool compositor_global_init(struct sl_server *server);
bool subcompositor_global_init(struct sl_server *server);
bool shm_global_init(struct sl_server *server);
void shm_global_finish(struct sl_server *server);
bool xdg_shell_global_init(struct sl_server *server);
bool presentation_global_init(struct sl_server *server);
bool viewporter_global_init(struct sl_server *server);
bool single_pixel_buffer_global_init(struct sl_server *server);
bool xdg_decoration_global_init(struct sl_server *server);
bool xdg_output_global_init(struct sl_server *server);
bool capture_global_init(struct sl_server *server);
/* After the backend: linux-dmabuf depends on the renderer and the main device. */
bool dmabuf_global_init(struct sl_server *server);
void dmabuf_global_finish(struct sl_server *server);
/*
 * Whether the surface was offered a scanout tranche (per-surface feedback) that the buffer's
 * format and modifier are not in (dmabuf nullable).
 */
bool dmabuf_buffer_misses_scanout(const struct sl_dmabuf *dmabuf, struct sl_surface *surface,
				  const struct sl_buffer *buffer);
/* After the backend too: linux-drm-syncobj needs the main device. */
bool explicit_sync_global_init(struct sl_server *server);

#endif
