#ifndef SLUICE_TEST_HARNESS_H
#define SLUICE_TEST_HARNESS_H

/*
 * Test fixture: starts sluice on a private socket and XDG_RUNTIME_DIR, connects clients to it, and
 * reads back what an output showed. Tests are TAP programs made of named subtests.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <wayland-client.h>

#include "fence.h"

#include "commit-timing-v1-client-protocol.h"
#include "fifo-v1-client-protocol.h"
#include "tearing-control-v1-client-protocol.h"
#include "yuv.h"
#include "color-representation-v1-client-protocol.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"
#include "single-pixel-buffer-v1-client-protocol.h"
#include "sluice-capture-v1-client-protocol.h"
#include "viewporter-client-protocol.h"
#include "wlr-screencopy-unstable-v1-client-protocol.h"
#include "ext-image-capture-source-v1-client-protocol.h"
#include "ext-image-copy-capture-v1-client-protocol.h"
#include "xdg-decoration-unstable-v1-client-protocol.h"
#include "xdg-output-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

/* ---- checks ---- */

/* Records a failure of the running subtest (with file:line) and returns cond. */
#define th_check(cond, ...) th_check_at(!!(cond), __FILE__, __LINE__, #cond, "" __VA_ARGS__)
bool th_check_at(bool ok, const char *file, int line, const char *expr, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Like th_check, but ends the subtest at once when it fails. */
#define th_require(cond, ...)                     \
	do {                                      \
		if (!th_check(cond, __VA_ARGS__)) \
			return;                   \
	} while (0)
/* Whether the running subtest has failed a check so far. */
bool th_subtest_failed(void);
/* Prints a diagnostic line (TAP comment). */
void th_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct th_test {
	const char *name;
	void (*run)(void);
};
/* Runs one subtest with an argument and prints its TAP line; returns 1 if it failed. */
int th_run_one(const char *name, void (*fn)(const void *arg), const void *arg, unsigned index);
/* Runs the subtests (all, or those named on the command line) and prints TAP. Exit status. */
int th_main(int argc, char *argv[], const struct th_test *tests, unsigned count);
#define TH_MAIN(...)                                                                 \
	int main(int argc, char *argv[])                                             \
	{                                                                            \
		static const struct th_test tests[] = {__VA_ARGS__};                 \
		return th_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0])); \
	}

/* ---- the compositor process ---- */

struct th_server {
	pid_t pid;
	char runtime_dir[128];
	char socket[64];
	char log_path[192];
};

/* Starts sluice with --capture on a new runtime dir; extra_args is NULL-terminated or NULL. */
struct th_server *th_server_start(const char *const *extra_args);
/* The same with extra "NAME=value" environment strings (NULL-terminated). */
struct th_server *th_server_start_env(const char *const *extra_args, const char *const *env);
/* The same run as user:group (the test runs as root), with a runtime dir of the user's. */
struct th_server *th_server_start_user(const char *const *extra_args, const char *const *env,
				       const char *user, const char *group);
/*
 * A server that outlives the subtest that started it (one shared by many cases). Any other left
 * running when its subtest returns (a th_require that failed) is stopped then, with its log.
 */
void th_server_share(struct th_server *server);
/* For a sluice that stopped answering: its state, kernel stack and the kernel log's tail. */
void th_server_print_state(struct th_server *server);
/* SIGTERM, wait; returns true if sluice exited with status 0 (so no sanitizer report either). */
bool th_server_stop(struct th_server *server);
/* Stops it like th_server_stop, for a server expected to fail: its wait status, unchecked. */
int th_server_stop_status(struct th_server *server);
bool th_server_alive(struct th_server *server);
/* Whether sluice exits by itself within timeout_ms (left for th_server_stop to reap and check). */
bool th_server_exits_within(struct th_server *server, int timeout_ms);
/* Number of lines in sluice's log containing needle. */
int th_server_log_count(struct th_server *server, const char *needle);
/* Polls the log until count lines contain needle; false after timeout_ms. */
bool th_server_wait_log(struct th_server *server, const char *needle, int count, int timeout_ms);

/* ---- clients ---- */

#define TH_MAX_OUTPUTS 8

struct th_output {
	struct wl_output *output; /* NULL once its global was removed */
	uint32_t global_name;
	int32_t width, height, refresh_mhz;
	int32_t transform; /* wl_output.geometry's */
	char name[32];
	bool done;
};

struct th_client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_subcompositor *subcompositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wp_presentation *presentation;
	uint32_t presentation_version;
	struct wp_fifo_manager_v1 *fifo_manager;
	struct wp_commit_timing_manager_v1 *commit_timing;
	struct wp_tearing_control_manager_v1 *tearing;
	struct wp_color_representation_manager_v1 *colour_repr;
	/* What it announced: alpha modes and coefficient/range pairs (bit 8 * coefficients +
	 * range). */
	uint32_t colour_alpha_modes;
	uint64_t colour_pairs;
	bool colour_done;
	struct wp_viewporter *viewporter;
	struct wp_single_pixel_buffer_manager_v1 *single_pixel;
	struct wl_seat *seat;
	struct sluice_capture_manager_v1 *capture;
	struct zwlr_screencopy_manager_v1 *screencopy; /* bound at min(advertised, 3) */
	uint32_t screencopy_version;
	struct ext_output_image_capture_source_manager_v1 *output_sources;
	struct ext_image_copy_capture_manager_v1 *image_copy;
	struct zxdg_decoration_manager_v1 *decoration;
	struct zxdg_output_manager_v1 *xdg_output;
	struct wl_data_device_manager *data_device_manager;
	struct th_output outputs[TH_MAX_OUTPUTS];
	int n_outputs; /* ever announced, removed ones included */
	int n_outputs_removed;
	uint32_t clock_id;
	uint32_t shm_formats[64];
	int n_shm_formats;
	struct zwp_linux_explicit_synchronization_v1 *explicit_sync;
	struct wp_linux_drm_syncobj_manager_v1 *syncobj;
	struct zwp_linux_dmabuf_v1 *dmabuf; /* bound at min(advertised, 4) */
	uint32_t dmabuf_version;
	/* From format/modifier events (versions 1-3). */
	struct th_format_modifier {
		uint32_t format;
		uint64_t modifier;
	} dmabuf_formats[256];
	int n_dmabuf_formats;
};

struct th_client *th_client_connect(struct th_server *server);
void th_client_destroy(struct th_client *client);
/* wl_display_roundtrip that reports (not aborts on) errors; false on a connection error. */
bool th_roundtrip(struct th_client *client);
/*
 * Expects the connection to die with a protocol error on an object of the interface with the code
 * (interface NULL: on an object the client had already destroyed, such as the xdg_surface whose
 * premature destroy is the error). libwayland prints the compositor's message. True if matched.
 */
bool th_expect_protocol_error(struct th_client *client, const struct wl_interface *interface,
			      uint32_t code);
/* The message of the last protocol error any client of this process received ("" if none). */
const char *th_protocol_error_message(void);
/* th_expect_protocol_error, and the message contains each NULL-terminated needle. */
bool th_expect_protocol_error_msg(struct th_client *client, const struct wl_interface *interface,
				  uint32_t code, const char *const *needles);

struct th_buffer {
	struct wl_buffer *buffer;
	void *data;
	int32_t width, height, stride;
	uint32_t format;
	size_t size;
	bool busy; /* attached and committed, not yet released */
};

/* An shm buffer in its own pool (XRGB/ARGB8888 words when format is 0 or 1). */
struct th_buffer *th_shm_buffer_create(struct th_client *client, int32_t width, int32_t height,
				       uint32_t shm_format);
void th_buffer_destroy(struct th_buffer *buffer);
/* Fills a rectangle of a 32-bit buffer with a pixel value. */
void th_buffer_fill(struct th_buffer *buffer, int32_t x, int32_t y, int32_t w, int32_t h,
		    uint32_t pixel);
/* Fills the buffer with a pattern that differs at every pixel (seeded). */
void th_buffer_pattern(struct th_buffer *buffer, uint32_t seed);
/* The pattern's value at a buffer pixel, opaque. */
uint32_t th_pattern_pixel(uint32_t seed, int32_t x, int32_t y);

struct th_window {
	struct th_client *client;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	int32_t width, height; /* from the last configure */
	uint32_t last_serial;
	bool configured;
	int configure_count;
	bool activated, fullscreen;
};

/* Creates a toplevel, does the initial commit and acks the first configure. */
struct th_window *th_window_create(struct th_client *client);
void th_window_destroy(struct th_window *window);
/* Waits for the next configure and acks it; false on error or timeout. */
bool th_window_wait_configure(struct th_window *window);

struct th_presented {
	bool done; /* presented or discarded */
	bool presented, discarded;
	uint64_t seq;
	int64_t time_ns;
	uint32_t refresh_ns;
	uint32_t flags;
	struct wl_output *sync_output;
};

/* Adds presentation feedback to the next commit; result filled in as events arrive. */
struct wp_presentation_feedback *th_feedback_request(struct th_client *client,
						     struct wl_surface *surface,
						     struct th_presented *result);
/* Commits the surface with feedback and dispatches until presented or discarded. */
bool th_commit_and_wait(struct th_client *client, struct wl_surface *surface,
			struct th_presented *result);
/*
 * A window-sized wl_shm buffer filled with pattern seed, attached and damaged whole, committed
 * and waited for (th_commit_and_wait); the buffer, or NULL (none left) if any step failed.
 */
struct th_buffer *th_show_pattern(struct th_client *client, struct th_window *window,
				  uint32_t seed);
/* Dispatches until *flag is true, a timeout (ms) passes, or the connection fails. */
bool th_dispatch_until(struct th_client *client, const bool *flag, int timeout_ms);

/* What zxdg_output_v1 said of an output (version 3: its update ends with wl_output.done). */
struct th_xdg_output {
	int32_t x, y, width, height;
	char name[32], description[128];
	bool xdg_done; /* zxdg_output_v1.done, which version 3 no longer sends */
};

/* The output's zxdg_output_v1, filling *state as its events arrive (the caller roundtrips). */
struct zxdg_output_v1 *th_xdg_output_get(struct th_client *client, int output,
					 struct th_xdg_output *state);

/*
 * Runs grim (Debian 12's screenshot tool, a screencopy client) on output and compares its PPM,
 * which must be want_w x want_h, with th_pattern_pixel(seed): the pixels that differ (the first
 * few noted), or -1 (with a failed check) if grim or its picture failed.
 */
int th_grim_pattern_mismatches(struct th_server *server, const char *output, int32_t want_w,
			       int32_t want_h, uint32_t seed);

/* ---- output capture ---- */

struct th_capture {
	uint32_t *pixels; /* XRGB8888 */
	int32_t width, height, stride;
	uint64_t seq;
	int64_t time_ns;
};

/* Captures the next frame presented on output index; false on failure. */
bool th_capture_output(struct th_client *client, int output, struct th_capture *capture);
/* The same, but a capture that sluice says failed is no failed check: false, with a note. */
bool th_capture_output_try(struct th_client *client, int output, struct th_capture *capture);
void th_capture_finish(struct th_capture *capture);
uint32_t th_capture_pixel(const struct th_capture *capture, int32_t x, int32_t y);
/* Whether two 0xRRGGBB colours differ by at most tolerance in every channel (alpha ignored). */
bool th_rgb_close(uint32_t got, uint32_t want, int tolerance);
/*
 * Where pixel (x, y) of a lw x lh picture lands once wl_output transform t is applied to it, by
 * the protocol's words (a flip around the vertical axis first, then counter-clockwise quarter
 * turns), worked out independently of the compositor's matrices.
 */
void th_transform_point(uint32_t t, int32_t lw, int32_t lh, int32_t x, int32_t y, int32_t *ox,
			int32_t *oy);
/* The names --transform takes, by wl_output.transform value. */
extern const char *const th_transform_names[8];
/* Non-black pixels of the next frame on output index; -1 if it cannot be captured. */
int th_lit_pixels(struct th_client *client, int output);
/* The RGB of the next frame on output index at x, y; 0xdeadbeef if it cannot be captured. */
uint32_t th_output_pixel(struct th_client *client, int output, int32_t x, int32_t y);

/* ---- zwlr_screencopy_manager_v1 ---- */

/* What a screencopy frame said. */
struct th_screencopy {
	bool buffer, linux_dmabuf, buffer_done, flags, ready, failed;
	uint32_t format, width, height, stride, dmabuf_format;
	int64_t time_ns;
	int n_damage;
	struct rect {
		uint32_t x, y, w, h;
	} damage[64];
};

/*
 * Asks for a frame of output 0 (region NULL: all of it; else x, y, width, height) and waits for
 * its buffer descriptions, or failed. Returns the frame, which the caller destroys.
 */
struct zwlr_screencopy_frame_v1 *
th_screencopy_start(struct th_client *client, const int32_t *region, struct th_screencopy *copy);
/* Sends copy (or copy_with_damage) and waits up to timeout_ms for ready or failed: true if ready.
 */
bool th_screencopy_copy(struct th_client *client, struct zwlr_screencopy_frame_v1 *frame,
			struct wl_buffer *buffer, bool with_damage, int timeout_ms,
			struct th_screencopy *copy);

/* ---- ext_image_copy_capture_manager_v1 ---- */

/* A session on an output and what it said. */
struct th_image_session {
	struct ext_image_capture_source_v1 *source;
	struct ext_image_copy_capture_session_v1 *session;
	bool done, stopped;
	int n_done; /* batches of constraints */
	uint32_t width, height;
	int n_shm_formats;
	uint32_t shm_formats[8];
	bool has_device;
	dev_t device;
	int n_dmabuf_formats;
	struct {
		uint32_t format;
		int n_modifiers;
		uint64_t modifiers[8];
	} dmabuf_formats[8];
};

/* What one frame of a session said. */
struct th_image_frame {
	bool ready, failed, transform_sent;
	uint32_t reason, transform;
	int64_t time_ns; /* 0 if presentation_time was not sent */
	int n_damage;
	struct rect damage[64];
};

/* Opens a session on output index (a source made for it) and waits for its first batch. */
bool th_image_session_open(struct th_client *client, int output, uint32_t options,
			   struct th_image_session *session);
/* Fills *session (zeroed first) from the events of a session made elsewhere (a cursor's). */
void th_image_session_listen(struct ext_image_copy_capture_session_v1 *proxy,
			     struct th_image_session *session);
void th_image_session_close(struct th_image_session *session);
/*
 * A frame of the session: attaches buffer (NULL: none), damages it whole, captures and waits up
 * to timeout_ms for ready or failed; true if ready. The frame is destroyed after.
 */
bool th_image_session_capture(struct th_client *client, struct th_image_session *session,
			      struct wl_buffer *buffer, int timeout_ms,
			      struct th_image_frame *frame);

/* What one zwp_linux_buffer_release_v1 said; the object is destroyed once it has. */
struct th_release {
	bool released, fenced;
	/* fenced_release: its fence as SYNC_IOC_FILE_INFO saw it on arrival (the fd is closed). */
	bool fence_is_sync_file;
	int fence_status;	/* 1 signalled, 0 pending, < 0 an error */
	bool fence_was_pending; /* fence_status == 0 */
};
/* Listens to release, filling *state (zeroed first). */
void th_release_listen(struct zwp_linux_buffer_release_v1 *release, struct th_release *state);
/* Writes the capture to $TH_ARTIFACT_DIR (or the build dir) as name.png, for failed tests. */
void th_capture_save(const struct th_capture *capture, const char *name);

/* ---- peer processes ---- */

struct th_process_result {
	int status;	/* exit status, or 128+signal */
	bool timed_out; /* still running at the deadline, so we sent SIGTERM */
	char *output;	/* stdout and stderr, NUL-terminated, malloc'd */
};

struct th_process;

/*
 * Starts argv with the server's WAYLAND_DISPLAY and XDG_RUNTIME_DIR (server may be NULL) plus
 * extra "NAME=value" strings (NULL-terminated, may be NULL); stdout and stderr are collected.
 */
struct th_process *th_spawn(struct th_server *server, const char *const *argv,
			    const char *const *env);
/* Lets the process run until it exits or until time_ms since the spawn, then ends it. */
void th_process_finish(struct th_process *process, int time_ms, struct th_process_result *result);
/* th_spawn + th_process_finish. */
bool th_run_client(struct th_server *server, const char *const *argv, const char *const *env,
		   int timeout_ms, struct th_process_result *result);
void th_process_result_finish(struct th_process_result *result);

/* ---- dma-bufs (VM tier: vgem, udmabuf, dma-buf heaps) ---- */

enum th_dmabuf_source {
	TH_DMABUF_VGEM,	   /* a vgem dumb buffer exported with PRIME */
	TH_DMABUF_UDMABUF, /* a memfd turned into a dma-buf */
	TH_DMABUF_HEAP,	   /* /dev/dma_heap/system */
	TH_DMABUF_VKMS,	   /* a dumb buffer of the display device itself (needs root) */
};

struct th_dmabuf {
	int fd;
	void *map; /* the whole dma-buf, read-write */
	size_t size;
	int vgem_fd; /* vgem: the device and the buffer's handle, for fences; else -1 */
	uint32_t vgem_handle;
};

const char *th_dmabuf_source_name(enum th_dmabuf_source source);
/* Allocates and maps a dma-buf of at least size bytes; false (with a note) on failure. */
bool th_dmabuf_alloc(enum th_dmabuf_source source, size_t size, struct th_dmabuf *out);
void th_dmabuf_free(struct th_dmabuf *dmabuf);
/*
 * Adds sync_file as a write fence to the dma-buf's reservation (DMA_BUF_IOCTL_IMPORT_SYNC_FILE,
 * Linux 6.0+), as a GPU's unfinished rendering would: implicit sync waits for it.
 */
bool th_dmabuf_add_write_fence(struct th_dmabuf *dmabuf, int sync_file);
/* Brackets CPU writes with DMA_BUF_IOCTL_SYNC. */
void th_dmabuf_begin_write(struct th_dmabuf *dmabuf);
void th_dmabuf_end_write(struct th_dmabuf *dmabuf);

/*
 * A linear layout of a format: planes one after another, rows padded to 64 bytes. Returns the
 * total size, and fills offsets/strides and the plane count.
 */
size_t th_layout(uint32_t format, int32_t width, int32_t height, uint32_t offsets[4],
		 uint32_t strides[4], unsigned *n_planes);
/* Paints colour(x, y) (0xRRGGBB, or 0xAARRGGBB for alpha formats) into a linear image. */
void th_paint(uint32_t format, void *base, const uint32_t offsets[4], const uint32_t strides[4],
	      int32_t width, int32_t height, uint32_t (*colour)(int32_t x, int32_t y, void *data),
	      void *data);
/* The same with YCbCr in the given encoding (NULL: BT.601 limited, as th_paint). */
void th_paint_encoded(uint32_t format, const struct yuv_encoding *encoding, void *base,
		      const uint32_t offsets[4], const uint32_t strides[4], int32_t width,
		      int32_t height, uint32_t (*colour)(int32_t x, int32_t y, void *data),
		      void *data);

/* A wl_buffer with create_immed over the planes of one dma-buf fd (or NULL on no dmabuf). */
struct wl_buffer *th_dmabuf_buffer_create(struct th_client *client, int fd, uint32_t format,
					  int32_t width, int32_t height, unsigned n_planes,
					  const uint32_t offsets[4], const uint32_t strides[4],
					  uint64_t modifier);

/*
 * Asks for dma-buf feedback (linux-dmabuf 4), for the surface or (NULL) the default, and waits for
 * it; the events are read and dropped. Destroy the object to stop surface feedback. NULL on
 * failure or an older linux-dmabuf.
 */
struct zwp_linux_dmabuf_feedback_v1 *th_dmabuf_feedback(struct th_client *client,
							struct wl_surface *surface);

/* ---- sluice's own counters and resources ---- */

/* One counter from a `sluice --stats FILE` JSON file, or -1. */
long long th_stats_value(const char *path, const char *name);
/* The file name for a subtest's --stats file in the artifact dir (any old one removed). */
void th_stats_path(const char *name, char *out, size_t size);
/* An empty directory name for a subtest's strict-mode reports (sluice creates it). */
void th_strict_dir(const char *name, char *out, size_t size);
/* Paths of the reports in dir of the client (its process name), at most max; how many. */
int th_strict_reports(const char *dir, const char *client, char paths[][512], int max);
/* The kinds of finding in a report, space-separated into kinds; how many, -1 if unreadable. */
int th_strict_kinds(const char *path, char *kinds, size_t size);
/*
 * Checks the reports of `client` in dir: n_expected of them (-1: at least one), each listing
 * exactly the finding `want` (NULL: no finding at all). Notes what each report found.
 */
void th_strict_check_reports(const char *dir, const char *client, int n_expected, const char *want);
/*
 * Environment for a spawned client of ours built with ASan: leak checking with the same Mesa
 * suppressions as for sluice ({NULL} without TH_LSAN_SUPPRESSIONS).
 */
const char *const *th_client_lsan_env(void);
/* A whole file, NUL-terminated and malloc'd; NULL if unreadable. */
char *th_read_file(const char *path);
/* Resident memory of a process in KiB (VmRSS), or -1. */
long th_rss_kib(pid_t pid);
/*
 * Whether the process maps a library of Mesa's drivers or LLVM (libEGL_mesa, a *_dri.so,
 * libgallium, libLLVM): the first one's file name goes to which, "" when none. An unreadable
 * maps file counts as mapped, with that said in which.
 */
bool th_maps_mesa_driver(pid_t pid, char *which, size_t size);
/* Kills and reaps the processes; returns how many were still running (had not exited). */
int th_reap(const pid_t *pids, int n);
/*
 * Runs the calling process at sluice's --realtime level (SCHED_RR 1, not inherited), so that a
 * client measured beside a flood commits when it means to and what a test sees is sluice's pace,
 * not the scheduler's. False where that is not allowed; th_realtime_end() undoes it.
 */
bool th_realtime_begin(void);
void th_realtime_end(void);
/* Its peak resident set size (VmHWM) in KiB, or -1. */
long th_peak_rss_kib(pid_t pid);
/* Open file descriptors of a process, or -1. */
int th_count_fds(pid_t pid);
/* A process's user + system CPU time in seconds (from /proc); -1 if unreadable. */
double th_cpu_seconds(pid_t pid);

/* sw_sync fences (VM tier): common/fence.h. */

/* A linear dma-buf of one format painted with colour(x, y), wrapped as a wl_buffer. */
struct th_painted_buffer {
	struct th_dmabuf mem;
	struct wl_buffer *buffer;
	int32_t width, height;
};
bool th_painted_buffer_create(struct th_client *client, enum th_dmabuf_source source,
			      uint32_t format, int32_t width, int32_t height,
			      uint32_t (*colour)(int32_t x, int32_t y, void *data), void *data,
			      struct th_painted_buffer *out);
bool th_painted_buffer_create_encoded(struct th_client *client, enum th_dmabuf_source source,
				      uint32_t format, const struct yuv_encoding *encoding,
				      int32_t width, int32_t height,
				      uint32_t (*colour)(int32_t x, int32_t y, void *data),
				      void *data, struct th_painted_buffer *out);
void th_painted_buffer_destroy(struct th_painted_buffer *buffer);
/* Two XRGB8888 system-heap buffers in different shades, for clients that alternate them. */
bool th_painted_pair_create(struct th_client *client, int32_t width, int32_t height,
			    struct th_painted_buffer pair[2]);

/* The p-quantile (0..1) of n values, which it sorts. */
double th_percentile(double *values, int n, double p);

int64_t th_now_ns(void);

/*
 * For VM-tier programs: finds vkms's node or prints TAP's "Bail out!" (not in the test VM) and
 * exits with status 1.
 */
void th_require_vkms(char *path, size_t size);
/* Finds the /dev/dri/card* node whose driver is named driver (e.g. "vkms"); false if none. */
bool th_find_drm_device(const char *driver, char *path, size_t size);
/*
 * weston on a DRM device, for comparisons: its DRM backend and desktop shell, no input needed,
 * never idle, on a runtime dir of its own; ready once its socket exists. th_client_connect
 * works on it; th_weston_stop ends it and removes its files.
 */
bool th_weston_start(const char *drm_device, struct th_server *server);
void th_weston_stop(struct th_server *server);
/* The path of a program or library built beside the running test (its witnesses, reproducers). */
void th_path_beside_self(const char *name, char *path, size_t size);
/*
 * The ACTIVE property of the card's first CRTC (vkms has one), read as any atomic DRM client may
 * (fd needs DRM_CLIENT_CAP_ATOMIC); -1 if unknown. The CRTC's and the property's ids go to *crtc
 * and *prop_id when asked for.
 */
int th_crtc_active(int fd, uint32_t *crtc, uint32_t *prop_id);
/* Polls th_crtc_active until it is want; false after timeout_ms. */
bool th_wait_crtc_active(int fd, int want, int timeout_ms);

#endif
