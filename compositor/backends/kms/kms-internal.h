/*
 * What the files of the KMS backend share: the device, its outputs and framebuffers, property
 * tables, the atomic request builder, and the functions one file calls in another. Nothing
 * outside backends/kms/ includes this; the rest of the compositor sees kms.h.
 */
#ifndef SLUICE_KMS_INTERNAL_H
#define SLUICE_KMS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <wayland-server-core.h>
#include <xf86drmMode.h>

#include "backends/kms/kms.h"
#include "yuv.h"

struct liftoff_device;
struct liftoff_layer;
struct liftoff_output;
struct sl_buffer;
struct sl_output;
struct sl_plane_candidate;
struct sl_render_target;
struct sl_renderer;
struct sl_server;
struct sl_session;
struct udev;
struct udev_monitor;

/* ---- property tables ---- */

enum plane_prop {
	PLANE_TYPE,
	PLANE_FB_ID,
	PLANE_CRTC_ID,
	PLANE_SRC_X,
	PLANE_SRC_Y,
	PLANE_SRC_W,
	PLANE_SRC_H,
	PLANE_CRTC_X,
	PLANE_CRTC_Y,
	PLANE_CRTC_W,
	PLANE_CRTC_H,
	PLANE_IN_FENCE_FD,
	PLANE_IN_FORMATS,
	PLANE_PROP_COUNT,
};

enum crtc_prop {
	CRTC_ACTIVE,
	CRTC_MODE_ID,
	CRTC_OUT_FENCE_PTR,
	CRTC_PROP_COUNT,
};

enum connector_prop {
	CONN_CRTC_ID,
	CONN_WRITEBACK_FB_ID,
	CONN_WRITEBACK_OUT_FENCE_PTR,
	CONN_PANEL_ORIENTATION,
	CONN_PROP_COUNT,
};

/* ---- atomic request builder: the first failed add makes the whole request fail ---- */

struct atomic {
	drmModeAtomicReq *req;
	bool failed;
};

static inline void
atomic_add(struct atomic *atomic, uint32_t object, uint32_t prop, uint64_t value)
{
	if (!prop) {
		atomic->failed = true;
		return;
	}
	if (!atomic->failed && drmModeAtomicAddProperty(atomic->req, object, prop, value) < 0)
		atomic->failed = true;
}

/* ---- framebuffers, devices and outputs ---- */

struct kms_fb {
	bool dumb;	 /* a dumb buffer we created (else the renderer owns the memory) */
	uint32_t handle; /* a dumb buffer's only: the renderer's are named by dma-buf */
	uint32_t fb_id, pitch;
	uint64_t size;
	void *map;
	struct sl_render_target *target; /* nullable: writeback buffers are only read */
	uint64_t drawn_at;		 /* frame number, 0 = never */
};

/* Surfaces offered to libliftoff per frame: its search is exhaustive, keep it small. */
#define KMS_MAX_LAYERS 16
/* Writeback jobs that may be queued in the driver ahead of ours (writeback.c). */
#define KMS_WRITEBACK_KEPT 4
struct kms_format_modifier {
	uint32_t format;
	uint64_t modifier;
};

/* libdrm 2.4.114 predates it. */
#define SL_DRM_CAP_ATOMIC_ASYNC_PAGE_FLIP 0x15

struct kms_device {
	struct sl_server *server;
	struct kms_options options; /* for outputs of connectors plugged in later */
	dev_t devnum;
	/* Connector hotplug: the card's "change" uevents. */
	struct udev *udev;
	struct udev_monitor *monitor;
	struct wl_event_source *monitor_source;
	bool rescan_pending;	    /* a uevent came while the session was away */
	struct sl_session *session; /* NULL: opened directly, master for as long as we run */
	struct wl_listener session_active;
	int fd;
	char path[64];
	char driver[32];
	struct wl_event_source *source;
	struct wl_list outputs;	      /* kms_output.link */
	uint32_t writeback_connector; /* 0: none */
	uint32_t writeback_crtcs;     /* bitmask of CRTC indices it can attach to */
	uint32_t writeback_props[CONN_PROP_COUNT];
	bool writeback_claimed;
	/* NULL if atomic commits may flip asynchronously, else why not (for tearing). */
	const char *async_unavailable;
	/* NULL if client buffers may be turned by a plane's "rotation", else why not. */
	const char *rotation_unavailable;
	uint32_t used_crtcs; /* bitmask of CRTC indices taken by outputs */
	/* The server's renderer before ours replaced it (restored on destroy), or NULL. */
	struct sl_renderer *previous_renderer;

	/*
	 * Fault injection for tests (SLUICE_KMS_FAIL_COMMITS=FIRST:COUNT): commits FIRST to
	 * FIRST+COUNT-1, counted from 1, are refused as if the kernel had said EINVAL. vkms cannot
	 * be made to refuse a valid commit from outside, and the fallback must be tested.
	 */
	uint64_t commits, fail_first, fail_count;
	/* SLUICE_KMS_LOSE_WRITEBACKS=N: the first N writeback fences are not listened to. */
	uint64_t lose_writebacks;

	/* Client dma-bufs added as framebuffers, ready for a plane (kms_dmabuf_fb.link). */
	struct wl_list dmabuf_fbs;
	/* Plane allocation; NULL with --no-scanout or if libliftoff cannot use the device. */
	struct liftoff_device *liftoff;

	/* Every plane of the device, for the outputs' primary planes now and overlays later. */
	struct kms_plane {
		uint32_t id;
		uint64_t type; /* DRM_PLANE_TYPE_* */
		uint32_t possible_crtcs;
		uint32_t props[PLANE_PROP_COUNT];    /* property ids, 0 where absent */
		struct kms_format_modifier *formats; /* from IN_FORMATS; NULL if absent */
		size_t n_formats;
	} * planes;
	size_t n_planes;
};

struct kms_output {
	struct kms_device *device;
	struct sl_output *output;
	struct wl_list link;
	uint32_t connector_id, crtc_id;
	unsigned crtc_index;
	uint32_t connector_props[CONN_PROP_COUNT];
	uint32_t crtc_props[CRTC_PROP_COUNT];
	drmModeModeInfo mode;
	uint32_t mode_blob;
	bool modeset_done;

	const struct kms_plane *plane; /* the primary plane, owned by the device */

	struct kms_fb fbs[2];
	int front;   /* index on screen, -1 before the first flip */
	int pending; /* index in flight, -1 */
	uint64_t frames_drawn;
	int32_t out_fence; /* written by the kernel for each commit */
	int release_fence; /* OUT_FENCE_PTR of the last commit, kept for release fences */

	/*
	 * Planes through libliftoff: the composition layer (our back buffer) and one layer per
	 * surface offered. Client buffers on planes are locked from the frame that assigns them
	 * until the flip that replaces them: the display reads them until then.
	 */
	struct liftoff_output *liftoff;
	struct liftoff_layer *composition_layer;
	struct liftoff_layer *layers[KMS_MAX_LAYERS];
	int n_layers;
	struct kms_scanout_set {
		struct sl_buffer *buffers[KMS_MAX_LAYERS];
		int count;
	} assigned, in_flight, shown;
	/*
	 * The last plane allocation the kernel accepted, and what it was made for. While a frame's
	 * layers match it (same count, places, sizes, formats: only the buffers and fences
	 * differ), it is reused as it is: no allocation, no TEST_ONLY commit, and the commit
	 * carries only FB_ID and IN_FENCE_FD of the planes in use (steady).
	 */
	struct kms_layer_key {
		int32_t x, y, width, height;
		uint32_t transform; /* sl_plane_candidate.plane_transform */
		struct yuv_encoding encoding;
		uint32_t format;
		uint64_t modifier;
		bool eligible; /* offered to the planes at all */
	} alloc_keys[KMS_MAX_LAYERS];
	bool alloc_on_plane[KMS_MAX_LAYERS];
	int alloc_count;
	bool alloc_valid;
	bool steady;			    /* this frame reuses it */
	uint32_t layer_fbs[KMS_MAX_LAYERS]; /* this frame's FB_ID per layer, 0 if composited */
	int layer_fences[KMS_MAX_LAYERS];   /* and IN_FENCE_FD, -1 for none */

	/* Writeback capture of the frame in flight. */
	bool uses_writeback;
	uint32_t writeback_connector;
	struct kms_fb writeback_fb;
	int32_t writeback_fence;
	bool writeback_pending;
	/* A writeback fence that never signals must not hold the output (writeback.c). */
	struct sl_timer *writeback_timer; /* nullable, made on first use */
	bool writeback_waiting;		  /* for the fence or the timer */
	bool writeback_lost;		  /* the frame in flight's pixels are not coming */
	/*
	 * Fences of writeback jobs not known to be written, oldest first: the driver's queue may
	 * run late, a job's composition then signalling an earlier job's fence (writeback.c).
	 */
	struct kms_kept_fence {
		int32_t fd;
		bool deaf;			/* fault injection: never listened to */
		struct wl_event_source *source; /* while a capture waits */
	} writeback_kept[KMS_WRITEBACK_KEPT];
	int writeback_kept_count;
	int writeback_own_first; /* the first kept fence of the capture in flight */
	bool writeback_kicked;	 /* the driver was asked to write this frame again */
	bool writeback_late_logged;
	int64_t flip_time_ns;
	uint64_t flip_seq;

	/*
	 * The connector went away: no new frames; once nothing is in flight the CRTC is turned
	 * off (disabling: that commit's event is awaited), then the output is destroyed.
	 */
	bool unplugged, disabling;
};

/* A client buffer's KMS framebuffer, kept for as long as the buffer (found by its listener). */
struct kms_dmabuf_fb {
	struct kms_device *device;
	struct wl_list link;
	struct wl_listener destroy; /* on sl_buffer.events.destroy */
	uint32_t fb_id;
	/*
	 * A real commit with it on a plane failed although TEST_ONLY passed (drivers map buffers
	 * only then: vkms cannot map a udmabuf): compose it from now on.
	 */
	bool refused;
};

/* device.c */
/* Property ids of a plane, CRTC or connector (by the object type's table), 0 where absent. */
void kms_props_get(int fd, uint32_t object, uint32_t type, uint32_t *ids, uint64_t *values);
bool kms_formats_contain(const struct kms_format_modifier *formats, size_t count, uint32_t format,
			 uint64_t modifier);
bool kms_commit_injected_failure(struct kms_device *dev);
const struct kms_plane *kms_find_primary_plane(struct kms_device *dev, unsigned crtc_index);

/* output.c */
struct kms_output *kms_from_output(struct sl_output *output);
void kms_add_modeset(struct kms_output *ko, struct atomic *atomic);
void kms_output_finish_frame(struct kms_output *ko);
void kms_handle_page_flip(int fd, unsigned int seq, unsigned int sec, unsigned int usec,
			  unsigned int crtc_id, void *data);
bool kms_pick_mode(drmModeConnector *connector, const struct kms_options *options,
		   drmModeModeInfo *out);
uint32_t kms_connector_possible_crtcs(int fd, drmModeConnector *connector);
void kms_connector_name(drmModeConnector *connector, char *name, size_t size);
void kms_connector_mode_error(struct kms_device *dev, drmModeConnector *connector,
			      const struct kms_options *options, char *err, size_t err_size);
struct kms_output *kms_output_create(struct kms_device *dev, drmModeRes *res,
				     drmModeConnector *connector, const struct kms_options *options,
				     char *err, size_t err_size);

/* planes.c */
/* sl_output_impl.assign_planes: libliftoff places what it can of the frame's surfaces. */
bool kms_assign_planes(struct sl_output *output, struct sl_plane_candidate *candidates, int count,
		       bool *composition);
void kms_scanout_set_clear(struct kms_scanout_set *set);
void kms_scanout_set_move(struct kms_scanout_set *dst, struct kms_scanout_set *src);
void kms_release_replaced_buffers(struct kms_output *ko);
/* This frame's client buffers (and the composition's) on the planes of the last allocation. */
void kms_add_steady_planes(struct kms_output *ko, struct atomic *atomic, uint32_t composition_fb,
			   int render_fence);
void kms_layer_set_geometry(struct liftoff_layer *layer, int32_t x, int32_t y, int32_t w,
			    int32_t h);

/* fb.c */
bool kms_fb_create(int fd, int32_t width, int32_t height, struct kms_fb *fb);
void kms_fb_destroy(int fd, struct sl_renderer *renderer, struct kms_fb *fb);
bool kms_scanout_fb_create(int fd, struct sl_renderer *renderer, int32_t width, int32_t height,
			   struct kms_fb *fb);
void kms_dmabuf_fb_destroy(struct kms_dmabuf_fb *fb);
uint32_t kms_buffer_fb_id(struct sl_buffer *buffer);
void kms_buffer_refuse(struct sl_buffer *buffer);
void kms_import_dmabuf(void *backend, struct sl_buffer *buffer);
void kms_device_publish_dmabuf_info(struct kms_device *dev);

/* writeback.c */
/*
 * After the flip: if the frame's writeback is still being written, waits for its fence on the
 * event loop and finishes the frame then (true); false to finish it now.
 */
bool kms_writeback_wait(struct kms_output *ko);
/* Lets go of the writeback fences and their sources. */
void kms_writeback_finish(struct kms_output *ko);
/* At a modeset: the writeback connector is routed to the output's CRTC, if it has it. */
void kms_writeback_add_route(struct kms_output *ko, struct atomic *atomic);
/* A frame whose pixels are wanted: the CRTC's output is written to our writeback buffer too. */
void kms_writeback_add_capture(struct kms_output *ko, struct atomic *atomic);
/* The same, its out-fence into *fence. */
void kms_writeback_add_capture_to(struct kms_output *ko, struct atomic *atomic, int32_t *fence);
void kms_find_writeback(struct kms_device *dev, drmModeRes *res);

/* hotplug.c */
void kms_output_disable(struct kms_output *ko);
bool kms_connector_wanted(struct kms_device *dev, drmModeConnector *c);
void kms_device_scan_connectors(struct kms_device *dev);
void kms_device_watch_hotplug(struct kms_device *dev);
void kms_connector_missing_error(struct kms_device *dev, drmModeRes *res, const char *output,
				 char *err, size_t err_size);

#endif
