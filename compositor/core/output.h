#ifndef SLUICE_OUTPUT_H
#define SLUICE_OUTPUT_H

#include <pixman.h>
#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>

#include "core/damage.h"
#include "core/transform.h"

struct sl_server;
struct sl_output;
struct sl_render_target;
struct sl_surface;

/* What a presentation can claim: the bits of wp_presentation_feedback.kind. */
enum sl_present_flags {
	SL_PRESENT_VSYNC = 0x1,
	SL_PRESENT_HW_CLOCK = 0x2,
	SL_PRESENT_HW_COMPLETION = 0x4,
	SL_PRESENT_ZERO_COPY = 0x8,
};

/* A visible surface of a frame, offered to the backend for a plane. */
struct sl_plane_candidate {
	struct sl_surface *surface;
	int32_t x, y; /* output-local position (layout) */
	/* Where it lands in the output's pixels (CRTC coordinates), its buffer upright there. */
	int32_t pixel_x, pixel_y, pixel_width, pixel_height;
	/*
	 * What a plane must do to the buffer to show it there (wl_output.transform; 0: nothing,
	 * the buffer is already as the output's pixels, e.g. pre-rotated by the client).
	 */
	uint32_t plane_transform;
	const char *reason; /* why it cannot be scanned out as it is, or NULL */
	bool on_plane;	    /* set by the backend: scanned out, not drawn */
};

/* What a backend provides for each output. output.c includes no backend header. */
struct sl_output_impl {
	/* The buffer to draw the next frame into, and its age in frames (0: contents unknown). */
	struct sl_render_target *(*begin_frame)(struct sl_output *output, int *age);
	/*
	 * Queues the frame for display. drew is false when nothing was drawn and only the next
	 * vblank is wanted (frame callbacks, captures). render_fence (borrowed, -1 for none)
	 * signals when the drawing is done: the display is to wait for it. Later, the backend calls
	 * sl_output_presented() once the frame is on screen. Returns false if nothing will be
	 * presented.
	 */
	bool (*submit_frame)(struct sl_output *output, bool drew, int render_fence);
	void (*destroy)(struct sl_output *output);
	/*
	 * Optional: puts what it can of the frame's surfaces (bottom to top) on planes, marking
	 * on_plane (and reason for the eligible ones it could not place). Sets *composition when
	 * the rest still has to be drawn into the back buffer. False when planes are unavailable
	 * (everything is composited).
	 */
	bool (*assign_planes)(struct sl_output *output, struct sl_plane_candidate *candidates,
			      int count, bool *composition);
	/*
	 * Optional: turns the display off (no frame in flight) or marks it to be turned on by
	 * the next submitted frame. False if the display could not be turned off.
	 */
	bool (*set_power)(struct sl_output *output, bool on);
};

enum sl_repaint_state {
	SL_REPAINT_IDLE,      /* nothing scheduled; the next commit schedules a repaint */
	SL_REPAINT_SCHEDULED, /* the repaint timer is armed */
	SL_REPAINT_IN_FLIGHT, /* a frame was submitted and awaits its presentation */
};

struct sl_output_stats {
	uint64_t frames_presented; /* every presented frame, drawn or not */
	uint64_t frames_drawn;
	uint64_t vblanks_missed; /* presented later than the vblank after the previous one */
	uint64_t frames_direct;	 /* frames shown with no composition at all */
	uint64_t frames_composited;
	uint64_t planes_used; /* client surfaces scanned out, summed over frames */
};

struct sl_output {
	struct sl_server *server;
	const struct sl_output_impl *impl;
	struct wl_list link; /* sl_server.outputs */
	unsigned index;	     /* bit in sl_surface.entered_outputs */

	char name[32];
	char description[128];
	const char *make, *model;
	/*
	 * Layout size: what clients, input and the scene see, the mode rotated by transform.
	 * Render targets, captures and planes are in pixels (the mode's size); layout_to_pixels
	 * maps the one onto the other.
	 */
	int32_t x, y, width, height;
	int32_t pixel_width, pixel_height;
	uint32_t transform; /* wl_output.transform */
	struct sl_affine layout_to_pixels, pixels_to_layout;
	int32_t refresh_mhz;
	int64_t refresh_ns;
	uint32_t presentation_flags; /* enum sl_present_flags this backend can claim */
	/*
	 * Tearing (wp_tearing_control_v1): why this output never flips at once (set by the
	 * backend; NULL where it can try). Per frame: frame_async_wanted tells the backend that
	 * a surface that may tear is all the frame shows on planes; the backend sets frame_async
	 * when it flipped without waiting for a vblank, so the feedback does not claim vsync.
	 */
	const char *async_unavailable;
	bool frame_async_wanted, frame_async;
	const char *async_refusal; /* the last reason logged, to log changes only */

	struct wl_global *global;
	struct wl_list resources; /* wl_output resources */

	enum sl_repaint_state repaint_state;
	bool frame_wanted;
	bool powered_off;	/* blanked (idle.c): no repaints until it is on again */
	bool power_off_pending; /* once the frame in flight is presented */
	bool paused;		/* the session is away (session.c): the display is not ours */
	struct sl_timer *repaint_timer;
	pixman_region32_t damage; /* output-local, since the last drawn frame */
	struct sl_damage_ring damage_ring;
	int64_t last_present_ns;
	uint64_t last_msc;

	/* Waiting for the frame in flight to be presented. */
	struct wl_list frame_callbacks;	    /* wl_resource links */
	struct wl_list feedbacks;	    /* sl_feedback.link */
	struct wl_list feedbacks_zero_copy; /* of surfaces scanned out from their buffer */

	/*
	 * Read back: someone wants the pixels of the next frame (sl_output_request_readback), or
	 * of the frame in flight, which the backend delivers with sl_output_readback_done().
	 */
	bool readback_wanted, readback_in_flight;

	struct sl_output_stats stats;
	void *backend_data;

	/*
	 * --acquire-fences=kms: a repaint that has to compose a buffer whose fence the kernel was
	 * to wait for waits for it here first (a dup of the fence), then runs again.
	 */
	struct wl_event_source *fence_hold;
	int fence_hold_fd;

	/* What the back buffers hold is only valid if composition ran with the same planes. */
	bool composition_valid;
	struct sl_surface *plane_surfaces[8]; /* on planes in the last frame */
	int n_plane_surfaces;
	/* The repaint's list of surfaces, kept: a frame allocates and clears nothing for it. */
	struct sl_repaint_scratch *scratch;

	struct {
		struct wl_signal destroy;
		/* A repaint starts (before anything is drawn or assigned to planes). */
		struct wl_signal frame_started;
		/* The frame's surfaces are decided: struct sl_output_frame_event. */
		struct wl_signal frame;
		/* The frame just made will not be presented; its surfaces wait for the next. */
		struct wl_signal frame_failed;
		/* The frame in flight reached the screen: struct sl_output_present_event. */
		struct wl_signal present;
		/* The pixels of a frame read back, or why not: struct sl_output_readback_event. */
		struct wl_signal readback;
	} events;
};

struct sl_output_frame_event {
	struct sl_output *output;
	const struct sl_plane_candidate *surfaces; /* bottom to top; on_plane says which way */
	int count;
};

struct sl_output_present_event {
	struct sl_output *output;
	int64_t time_ns; /* CLOCK_MONOTONIC */
	uint64_t msc;
};

struct sl_output_readback_event {
	struct sl_output *output;
	const void *pixels; /* XRGB8888, width x height; NULL if the frame could not be read */
	uint32_t stride;
	int64_t time_ns;
	uint64_t msc;
	const char *reason; /* why pixels is NULL */
};

/*
 * width x height is the mode; display_transform is how the display says it is mounted (a panel's
 * orientation, 0 when it does not say). The user's --transform choice wins over it.
 */
struct sl_output *sl_output_create(struct sl_server *server, const struct sl_output_impl *impl,
				   const char *name, int32_t width, int32_t height,
				   int32_t refresh_mhz, uint32_t display_transform);
/* Destroys via the backend's destroy hook after tearing down the generic part. */
void sl_output_destroy(struct sl_output *output);
struct sl_output *sl_output_from_resource(struct wl_resource *resource);

/* Layout (output-local) region → the output's pixels, and a pixel point → layout. */
void sl_output_region_to_pixels(struct sl_output *output, const pixman_region32_t *layout,
				pixman_region32_t *pixels);
void sl_output_pixel_to_layout(struct sl_output *output, double px, double py, double *lx,
			       double *ly);

/* Marks output-local damage and schedules a frame. */
void sl_output_add_damage(struct sl_output *output, const pixman_region32_t *damage);
void sl_output_damage_whole(struct sl_output *output);
/* Schedules a frame even without damage (frame callbacks, captures). */
void sl_output_schedule_frame(struct sl_output *output);
/* Called by the backend when the submitted frame reached the screen. */
void sl_output_presented(struct sl_output *output, int64_t time_ns, uint64_t msc);
/* Called by the backend when a submitted frame will never be presented. */
void sl_output_frame_failed(struct sl_output *output);
/* Blanks the output (after the frame in flight) or lights it again with a fresh frame. */
void sl_output_set_power(struct sl_output *output, bool on);
/* While paused no frame is made; resuming draws everything again (the backend re-modesets). */
void sl_output_set_paused(struct sl_output *output, bool paused);

/* The next frame's pixels are wanted: a frame is scheduled, and its readback event follows. */
void sl_output_request_readback(struct sl_output *output);
/*
 * Called by the backend with the pixels of the frame in flight (what the CRTC produced, or the
 * front buffer) once they can be read, or with NULL and a reason.
 */
void sl_output_readback_done(struct sl_output *output, const void *pixels, uint32_t stride,
			     int64_t time_ns, uint64_t msc, const char *reason);

/* Resources of client bound to this output, for wl_surface.enter and sync_output. */
void sl_output_send_surface_enter(struct sl_output *output, struct wl_resource *surface);

#endif
