#ifndef SLUICE_SURFACE_H
#define SLUICE_SURFACE_H

#include <pixman.h>
#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>

#include "core/sync.h"
#include "core/transform.h"
#include "yuv.h"

struct sl_output;
struct sl_server;
struct sl_surface;
struct sl_subsurface;

enum sl_surface_state_field {
	SL_STATE_BUFFER = 1 << 0,
	SL_STATE_SURFACE_DAMAGE = 1 << 1,
	SL_STATE_BUFFER_DAMAGE = 1 << 2,
	SL_STATE_OPAQUE_REGION = 1 << 3,
	SL_STATE_INPUT_REGION = 1 << 4,
	SL_STATE_TRANSFORM = 1 << 5,
	SL_STATE_SCALE = 1 << 6,
	SL_STATE_OFFSET = 1 << 7,
	SL_STATE_VIEWPORT = 1 << 8,
	SL_STATE_FRAME_CALLBACKS = 1 << 9,
	SL_STATE_FEEDBACK = 1 << 10,
	SL_STATE_FIFO = 1 << 11,	/* fifo_set_barrier, fifo_wait_barrier */
	SL_STATE_TARGET_TIME = 1 << 12, /* target_ns */
	SL_STATE_TEARING = 1 << 13,	/* tearing */
	SL_STATE_COLOUR = 1 << 14,	/* colour */
};

/*
 * wp_color_representation_v1's state, in the protocol's numbers: 0 for coefficients, range and
 * chroma location means unset (the protocol has no value 0 for them); alpha has a flag.
 */
struct sl_colour_repr {
	uint32_t coefficients, range, chroma_location;
	uint32_t alpha_mode;
	bool alpha_set;
};

/*
 * Double-buffered wl_surface state. A surface has three: pending (requests land here), cached (a
 * synchronized subsurface's commits wait here for the parent) and current (what is shown).
 * Pending holds a weak reference to its buffer; cached and current hold a lock.
 */
struct sl_surface_state {
	uint32_t committed;	  /* sl_surface_state_field bits set since the last commit */
	struct sl_buffer *buffer; /* nullable */
	bool buffer_locked;
	struct wl_listener buffer_destroy;
	int32_t dx, dy;
	pixman_region32_t surface_damage, buffer_damage;
	pixman_region32_t opaque, input;
	uint32_t transform;
	int32_t scale;
	struct sl_viewport_params viewport;
	struct wl_list frame_callbacks; /* wl_resource links */
	struct wl_list feedbacks;	/* sl_feedback.link */
	/*
	 * Explicit sync. The acquire fence or point only lives in pending state: the commit turns
	 * it into a wait. Releases travel with the buffer and fire when it is replaced or dropped.
	 */
	int acquire_fd; /* sync_file, -1 */
	struct sl_sync_point acquire;
	struct wl_list releases; /* sl_release.link */
	/*
	 * Conditions on this content update alone (wp_fifo_v1, wp_commit_timer_v1): they are not
	 * surface state that lasts, and are cleared once the update is applied.
	 */
	bool fifo_set_barrier, fifo_wait_barrier;
	int64_t target_ns; /* CLOCK_MONOTONIC; 0 for none */
	/* wp_tearing_control_v1: the content may be shown at once rather than at a vblank. */
	bool tearing;
	struct sl_colour_repr colour;
};

/*
 * What set the surface's viewport state (wp_viewport), told when a commit would make that state
 * impossible, so that the error is its protocol's.
 */
struct sl_surface_viewport {
	/* result: SL_GEOMETRY_SRC_NOT_INTEGER or SL_GEOMETRY_SRC_OUTSIDE. */
	void (*post_error)(struct sl_surface_viewport *viewport, enum sl_geometry_error result,
			   const char *message);
};

/*
 * What set the surface's colour representation, told when a commit's buffer cannot have it (the
 * protocol's pixel_format error).
 */
struct sl_surface_colour {
	void (*post_error)(struct sl_surface_colour *colour, const char *message);
};

struct sl_surface_role {
	const char *name;
	/* Checks pending state before it is applied; false if a protocol error was posted. */
	bool (*precommit)(struct sl_surface *surface);
	/* Called after new state became current. */
	void (*commit)(struct sl_surface *surface);
};

struct sl_surface {
	struct wl_resource *resource;
	struct sl_server *server;

	struct sl_surface_state pending, cached, current;
	bool has_cache;

	/* Derived from current state at each commit. */
	struct sl_surface_geometry geometry; /* width/height 0 while no buffer */

	const struct sl_surface_role *role; /* nullable; set once, never changed */
	void *role_data;		    /* nullable: the role object may be gone */

	/*
	 * Subsurface stacking: each list holds one sl_subsurface_node per child plus self_node,
	 * which stands for this surface itself. pending order becomes current on this surface's
	 * commit.
	 */
	struct wl_list subsurfaces;	    /* sl_subsurface_node.link, bottom to top */
	struct wl_list subsurfaces_pending; /* sl_subsurface_node.pending_link */
	struct sl_subsurface_node {
		struct wl_list link, pending_link;
		struct sl_subsurface *subsurface; /* NULL for self_node */
	} self_node;

	struct sl_surface_viewport *viewport; /* nullable */
	struct sl_surface_colour *colour;     /* nullable */

	/* Outputs this surface has been announced on with wl_surface.enter, as a bitmask by index.
	 */
	uint32_t entered_outputs;

	/* The loop's frame count at this surface's last applied commit (see loop.h). */
	uint64_t commit_frame;

	/*
	 * Commits waiting for their buffer to be ready (implicit-sync write fences), oldest first.
	 * While any wait, later commits queue behind them so that updates apply in order.
	 */
	struct wl_list queued; /* sl_surface_commit.link */
	/* Fires when the oldest queued commit's target time (less a refresh) comes. */
	struct sl_timer *queue_timer; /* nullable, made on first use */

	/*
	 * wp_fifo_v1's barrier: raised when an update with set_barrier is applied, lowered once a
	 * frame that showed that update has been presented (fifo_latched: the outputs whose frame
	 * in flight took it), or by fifo_timer when no output will show it.
	 */
	bool fifo_barrier;
	uint32_t fifo_latched;	     /* by output index */
	int64_t fifo_raised_ns;	     /* when it was raised */
	struct wl_list fifo_link;    /* sl_server.fifo_surfaces while raised */
	struct sl_timer *fifo_timer; /* nullable, made on first use */
	/* The add-ons' per-surface objects, for "one per surface" (NULL for none). */
	void *fifo_object, *commit_timer_object, *tearing_object;

	/*
	 * With --acquire-fences=kms: the current buffer's acquire fence, which sluice did not wait
	 * for. A plane that shows the buffer takes it as IN_FENCE_FD; a repaint that composes the
	 * buffer waits for it first. Closed once signalled or when the buffer is replaced; -1.
	 */
	int buffer_fence;

	/* Whether the surface could be scanned out (the fullscreen toplevel on top). */
	bool scanout_candidate;
	/* What the last frame did with it, to log changes only: on a plane, or why not. */
	bool scanned_out;
	const char *scanout_reason; /* static string, or NULL */

	/*
	 * The current buffer's pixels that changed since a renderer last copied them, in buffer
	 * coordinates: renderers that keep a copy of the content (GL's texture of a wl_shm
	 * buffer, a YUV buffer converted on the CPU) copy only this and then clear it
	 * (sl_surface_content_copied). The client's damage decides it, as the protocol says; a
	 * new size, format, transform or viewport makes it the whole buffer.
	 */
	pixman_region32_t content_damage;

	struct {
		struct wl_signal destroy;
		struct wl_signal scanout_candidate; /* scanout_candidate changed */
		/* At commit, after validation: add-ons check and move their pending state. */
		struct wl_signal precommit; /* struct sl_surface_precommit_event */
	} events;
};

struct sl_surface_precommit_event {
	struct sl_surface *surface;
	bool rejected; /* set by a listener that posted a protocol error */
};

/* Tells listeners (dmabuf feedback) when a surface starts or stops being a scanout candidate. */
void sl_surface_set_scanout_candidate(struct sl_surface *surface, bool candidate);

void surface_create(struct sl_server *server, struct wl_client *client, uint32_t version,
		    uint32_t id);
struct sl_surface *sl_surface_from_resource(struct wl_resource *resource);
/* How the current buffer's YCbCr values are to be read (BT.601 limited unless the client said). */
struct yuv_encoding sl_surface_yuv_encoding(const struct sl_surface *surface);
/* Gives the surface a role; false (with an error posted on error_resource) if it has another. */
bool sl_surface_set_role(struct sl_surface *surface, const struct sl_surface_role *role,
			 void *role_data, struct wl_resource *error_resource, uint32_t error_code);
/* Applies a synchronized child's cached state as part of its parent's commit. */
void surface_apply_cached(struct sl_surface *surface);
/* Moves current frame callbacks and presentation feedback into the given lists (on repaint). */
void sl_surface_take_frame_resources(struct sl_surface *surface, struct wl_list *callbacks,
				     struct wl_list *feedbacks);
bool sl_surface_has_frame_callbacks(const struct sl_surface *surface);
/* A renderer has copied the content damage: it is cleared. */
void sl_surface_content_copied(struct sl_surface *surface);
/* The buffer the commit about to happen attaches, or NULL (a NULL attach, or none). */
struct sl_buffer *sl_surface_attached_buffer(struct sl_surface *surface);
/*
 * The newest buffer already committed: what the surface shows once its queued (fence-waiting)
 * and cached commits apply, which may not be on screen yet. NULL for none.
 */
struct sl_buffer *sl_surface_committed_buffer(const struct sl_surface *surface);

void sl_surface_state_init(struct sl_surface_state *state);
void sl_surface_state_finish(struct sl_surface_state *state);

/* Applies the queued commits that are ready, oldest first (pacing.c calls it too). */
void sl_surface_flush_queue(struct sl_surface *surface);

/* subcompositor.c */
struct sl_subsurface {
	struct wl_resource *resource;
	struct sl_surface *surface;
	struct sl_surface *parent; /* NULL once the parent is gone */
	struct sl_subsurface_node node;
	int32_t x, y;
	struct {
		int32_t x, y;
		bool set;
	} pending;
	bool synchronized;
	struct wl_listener surface_destroy;
	struct wl_listener parent_destroy;
};

struct sl_subsurface *sl_subsurface_from_surface(struct sl_surface *surface);
/* True if commits of this surface are cached until its parent commits. */
bool sl_surface_is_synchronized(struct sl_surface *surface);
/* Applies a parent commit to its children: pending positions and stacking. Returns true if anything
 * visible changed. */
bool sl_subsurface_parent_commit(struct sl_surface *parent);

/*
 * Told once when one commit's content reached the screen, or that it never will
 * (wp_presentation_feedback). Lives in surface state, then in an output's lists while the frame
 * is in flight; each callback consumes it.
 */
struct sl_feedback {
	struct wl_list link;
	const struct sl_feedback_impl *impl;
};

struct sl_feedback_impl {
	/* flags: enum sl_present_flags. */
	void (*presented)(struct sl_feedback *feedback, struct sl_output *output, int64_t time_ns,
			  uint64_t msc, uint32_t flags);
	void (*discarded)(struct sl_feedback *feedback);
};

void sl_feedback_list_presented(struct wl_list *feedbacks, struct sl_output *output,
				int64_t time_ns, uint64_t msc, uint32_t flags);
/* Frame callbacks and presentation feedback on destroyed or replaced content. */
void sl_feedback_list_discard(struct wl_list *feedbacks);
void frame_callbacks_destroy_list(struct wl_list *callbacks);

#endif
