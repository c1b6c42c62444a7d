/*
 * The seed corpus: short request streams in the fuzzer's encoding (fuzz.h) that reach the
 * interesting handlers — a working shm and dma-buf frame, each linux-dmabuf params error, each
 * explicit-sync error — so that mutation starts next to the checks instead of at the registry.
 * Written by `sluice-fuzz-replay --write-seeds DIR`; the files in tests/fuzz/corpus come from it.
 */
#include <drm_fourcc.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commit-timing-v1-client-protocol.h"
#include "fifo-v1-client-protocol.h"
#include "tearing-control-v1-client-protocol.h"
#include "color-representation-v1-client-protocol.h"
#include "ext-image-capture-source-v1-client-protocol.h"
#include "ext-image-copy-capture-v1-client-protocol.h"
#include "fuzz.h"
#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"
#include "single-pixel-buffer-v1-client-protocol.h"
#include "sluice-capture-v1-client-protocol.h"
#include "wlr-screencopy-unstable-v1-client-protocol.h"
#include "viewporter-client-protocol.h"
#include "xdg-decoration-unstable-v1-client-protocol.h"
#include "xdg-output-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

struct seed {
	uint8_t data[FUZZ_MAX_INPUT];
	size_t len;
	int n_objects; /* index 0 is wl_display */
	bool bad;      /* a global the seed needs is missing */
};

enum { W = 64, H = 48, STRIDE = W * 4, BYTES = STRIDE * H };

static void
u8(struct seed *s, uint8_t v)
{
	if (s->len < sizeof(s->data))
		s->data[s->len++] = v;
}

static void
u32(struct seed *s, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		u8(s, (uint8_t)(v >> (8 * i)));
}

static void
msg(struct seed *s, int object, int opcode)
{
	u8(s, (uint8_t)object);
	u8(s, (uint8_t)opcode);
}

/* The index the next new_id argument gets. */
static int
new_id(struct seed *s)
{
	return s->n_objects++;
}

static void
obj(struct seed *s, int index)
{
	u8(s, (uint8_t)(index + 1));
}

static void
fd(struct seed *s, enum fuzz_fd_kind kind, size_t bytes)
{
	u8(s, (uint8_t)kind);
	uint16_t size = (uint16_t)(bytes / 16);
	u8(s, (uint8_t)size);
	u8(s, (uint8_t)(size >> 8));
}

static void
str(struct seed *s, const char *text)
{
	size_t n = strlen(text);
	u8(s, (uint8_t)n);
	for (size_t i = 0; i < n; i++)
		u8(s, (uint8_t)text[i]);
}

static void
start(struct seed *s)
{
	memset(s, 0, sizeof(*s));
	s->n_objects = 1;
}

static int
registry(struct seed *s)
{
	msg(s, 0, WL_DISPLAY_GET_REGISTRY);
	return new_id(s);
}

/* Binds the named global at its highest version. */
static int
bind(struct seed *s, int reg, const char *interface)
{
	uint32_t version = 1;
	int g = fuzz_global_index(interface, &version);
	if (g < 0)
		s->bad = true;
	msg(s, reg, WL_REGISTRY_BIND);
	u8(s, (uint8_t)g);
	u8(s, (uint8_t)(0x80 | version)); /* exactly the global's version */
	return new_id(s);
}

struct base {
	int reg, compositor, surface;
};

static void
base(struct seed *s, struct base *b)
{
	b->reg = registry(s);
	b->compositor = bind(s, b->reg, "wl_compositor");
	msg(s, b->compositor, WL_COMPOSITOR_CREATE_SURFACE);
	b->surface = new_id(s);
}

static void
attach_commit(struct seed *s, int surface, int buffer)
{
	msg(s, surface, WL_SURFACE_ATTACH);
	obj(s, buffer);
	u32(s, 0);
	u32(s, 0);
	msg(s, surface, WL_SURFACE_DAMAGE_BUFFER);
	u32(s, 0);
	u32(s, 0);
	u32(s, W);
	u32(s, H);
	msg(s, surface, WL_SURFACE_FRAME);
	new_id(s);
	msg(s, surface, WL_SURFACE_COMMIT);
}

static int
shm_buffer(struct seed *s, int reg)
{
	int shm = bind(s, reg, "wl_shm");
	msg(s, shm, WL_SHM_CREATE_POOL);
	int pool = new_id(s);
	fd(s, FUZZ_FD_MEMFD, BYTES);
	u32(s, BYTES);
	msg(s, pool, WL_SHM_POOL_CREATE_BUFFER);
	int buffer = new_id(s);
	u32(s, 0);
	u32(s, W);
	u32(s, H);
	u32(s, STRIDE);
	u32(s, WL_SHM_FORMAT_XRGB8888);
	return buffer;
}

static int
params(struct seed *s, int reg)
{
	int dmabuf = bind(s, reg, "zwp_linux_dmabuf_v1");
	msg(s, dmabuf, ZWP_LINUX_DMABUF_V1_CREATE_PARAMS);
	return new_id(s);
}

static void
add_plane(struct seed *s, int p, enum fuzz_fd_kind kind, uint32_t plane, uint32_t offset,
	  uint32_t stride)
{
	msg(s, p, ZWP_LINUX_BUFFER_PARAMS_V1_ADD);
	fd(s, kind, BYTES);
	u32(s, plane);
	u32(s, offset);
	u32(s, stride);
	u32(s, 0); /* modifier: linear */
	u32(s, 0);
}

static int
create_immed(struct seed *s, int p, uint32_t width, uint32_t height, uint32_t format)
{
	msg(s, p, ZWP_LINUX_BUFFER_PARAMS_V1_CREATE_IMMED);
	int buffer = new_id(s);
	u32(s, width);
	u32(s, height);
	u32(s, format);
	u32(s, 0);
	return buffer;
}

static int
dmabuf_buffer(struct seed *s, int reg)
{
	int p = params(s, reg);
	add_plane(s, p, FUZZ_FD_DMABUF, 0, 0, STRIDE);
	return create_immed(s, p, W, H, DRM_FORMAT_XRGB8888);
}

static int
synchronization(struct seed *s, int reg, int surface)
{
	int manager = bind(s, reg, "zwp_linux_explicit_synchronization_v1");
	msg(s, manager, ZWP_LINUX_EXPLICIT_SYNCHRONIZATION_V1_GET_SYNCHRONIZATION);
	int sync = new_id(s);
	obj(s, surface);
	return sync;
}

/* Each seed fills s; the name says what it covers. */
typedef void (*seed_fn)(struct seed *s);

static void
seed_shm_frame(struct seed *s)
{
	struct base b;
	base(s, &b);
	attach_commit(s, b.surface, shm_buffer(s, b.reg));
}

/* The base surface made an xdg_toplevel; returns its index, the xdg_surface's in *xs. */
static int
toplevel(struct seed *s, const struct base *b, int *xs)
{
	int wm = bind(s, b->reg, "xdg_wm_base");
	msg(s, wm, XDG_WM_BASE_GET_XDG_SURFACE);
	*xs = new_id(s);
	obj(s, b->surface);
	msg(s, *xs, XDG_SURFACE_GET_TOPLEVEL);
	return new_id(s);
}

static void
seed_xdg_toplevel(struct seed *s)
{
	struct base b;
	base(s, &b);
	int xs;
	int top = toplevel(s, &b, &xs);
	msg(s, top, XDG_TOPLEVEL_SET_TITLE);
	str(s, "fuzz");
	msg(s, top, XDG_TOPLEVEL_SET_FULLSCREEN);
	u8(s, 0);
	msg(s, b.surface, WL_SURFACE_COMMIT);
	msg(s, xs, XDG_SURFACE_ACK_CONFIGURE);
	u32(s, 1);
	attach_commit(s, b.surface, shm_buffer(s, b.reg));
}

static void
seed_subsurface(struct seed *s)
{
	struct base b;
	base(s, &b);
	int sub = bind(s, b.reg, "wl_subcompositor");
	msg(s, b.compositor, WL_COMPOSITOR_CREATE_SURFACE);
	int child = new_id(s);
	msg(s, sub, WL_SUBCOMPOSITOR_GET_SUBSURFACE);
	int ss = new_id(s);
	obj(s, child);
	obj(s, b.surface);
	msg(s, ss, WL_SUBSURFACE_SET_POSITION);
	u32(s, 8);
	u32(s, 8);
	msg(s, ss, WL_SUBSURFACE_SET_DESYNC);
	attach_commit(s, child, shm_buffer(s, b.reg));
	/* and a cycle: the parent made a child of its child */
	msg(s, sub, WL_SUBCOMPOSITOR_GET_SUBSURFACE);
	new_id(s);
	obj(s, b.surface);
	obj(s, child);
}

static void
seed_viewport(struct seed *s)
{
	struct base b;
	base(s, &b);
	int vp = bind(s, b.reg, "wp_viewporter");
	msg(s, vp, WP_VIEWPORTER_GET_VIEWPORT);
	int v = new_id(s);
	obj(s, b.surface);
	msg(s, v, WP_VIEWPORT_SET_SOURCE);
	u32(s, 0);
	u32(s, 0);
	u32(s, 32 * 256);
	u32(s, 24 * 256);
	msg(s, v, WP_VIEWPORT_SET_DESTINATION);
	u32(s, 200);
	u32(s, 100);
	attach_commit(s, b.surface, shm_buffer(s, b.reg));
}

static void
seed_presentation_single_pixel(struct seed *s)
{
	struct base b;
	base(s, &b);
	int pixel = bind(s, b.reg, "wp_single_pixel_buffer_manager_v1");
	msg(s, pixel, WP_SINGLE_PIXEL_BUFFER_MANAGER_V1_CREATE_U32_RGBA_BUFFER);
	int buffer = new_id(s);
	for (int i = 0; i < 4; i++)
		u32(s, 0x80000000u);
	int pres = bind(s, b.reg, "wp_presentation");
	msg(s, pres, WP_PRESENTATION_FEEDBACK);
	obj(s, b.surface);
	new_id(s);
	attach_commit(s, b.surface, buffer);
}

static void
seed_decoration(struct seed *s)
{
	struct base b;
	base(s, &b);
	int xs;
	int top = toplevel(s, &b, &xs);
	(void)xs;
	int manager = bind(s, b.reg, "zxdg_decoration_manager_v1");
	msg(s, manager, ZXDG_DECORATION_MANAGER_V1_GET_TOPLEVEL_DECORATION);
	int d = new_id(s);
	obj(s, top);
	msg(s, d, ZXDG_TOPLEVEL_DECORATION_V1_SET_MODE);
	u32(s, ZXDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE);
	msg(s, b.surface, WL_SURFACE_COMMIT);
	msg(s, top, XDG_TOPLEVEL_DESTROY);
	msg(s, d, ZXDG_TOPLEVEL_DECORATION_V1_UNSET_MODE);
}

static void
seed_xdg_output(struct seed *s)
{
	int reg = registry(s);
	int output = bind(s, reg, "wl_output");
	int manager = bind(s, reg, "zxdg_output_manager_v1");
	msg(s, manager, ZXDG_OUTPUT_MANAGER_V1_GET_XDG_OUTPUT);
	int xo = new_id(s);
	obj(s, output);
	msg(s, xo, ZXDG_OUTPUT_V1_DESTROY);
}

static void
seed_capture(struct seed *s)
{
	struct base b;
	base(s, &b);
	int output = bind(s, b.reg, "wl_output");
	int capture = bind(s, b.reg, "sluice_capture_manager_v1");
	int buffer = shm_buffer(s, b.reg);
	msg(s, capture, SLUICE_CAPTURE_MANAGER_V1_CAPTURE_OUTPUT);
	int frame = new_id(s);
	obj(s, output);
	msg(s, frame, SLUICE_CAPTURE_FRAME_V1_COPY);
	obj(s, buffer);
}

static void
seed_dmabuf_frame(struct seed *s)
{
	struct base b;
	base(s, &b);
	attach_commit(s, b.surface, dmabuf_buffer(s, b.reg));
}

static void
seed_dmabuf_create_async(struct seed *s)
{
	struct base b;
	base(s, &b);
	int p = params(s, b.reg);
	add_plane(s, p, FUZZ_FD_DMABUF, 0, 0, STRIDE);
	msg(s, p, ZWP_LINUX_BUFFER_PARAMS_V1_CREATE);
	u32(s, W);
	u32(s, H);
	u32(s, DRM_FORMAT_XRGB8888);
	u32(s, 0);
}

static void
seed_params_plane_set(struct seed *s)
{
	struct base b;
	base(s, &b);
	int p = params(s, b.reg);
	add_plane(s, p, FUZZ_FD_DMABUF, 0, 0, STRIDE);
	add_plane(s, p, FUZZ_FD_DMABUF, 0, 0, STRIDE);
}

static void
seed_params_plane_idx(struct seed *s)
{
	struct base b;
	base(s, &b);
	add_plane(s, params(s, b.reg), FUZZ_FD_DMABUF, 4, 0, STRIDE);
}

static void
seed_params_incomplete(struct seed *s)
{
	struct base b;
	base(s, &b);
	int p = params(s, b.reg);
	add_plane(s, p, FUZZ_FD_DMABUF, 1, 0, STRIDE); /* plane 1 without plane 0 */
	create_immed(s, p, W, H, DRM_FORMAT_XRGB8888);
}

static void
seed_params_already_used(struct seed *s)
{
	struct base b;
	base(s, &b);
	int p = params(s, b.reg);
	add_plane(s, p, FUZZ_FD_DMABUF, 0, 0, STRIDE);
	create_immed(s, p, W, H, DRM_FORMAT_XRGB8888);
	create_immed(s, p, W, H, DRM_FORMAT_XRGB8888);
}

static void
seed_params_invalid_format(struct seed *s)
{
	struct base b;
	base(s, &b);
	int p = params(s, b.reg);
	add_plane(s, p, FUZZ_FD_DMABUF, 0, 0, STRIDE);
	create_immed(s, p, W, H, 0x12345678);
}

static void
seed_params_invalid_dimensions(struct seed *s)
{
	struct base b;
	base(s, &b);
	int p = params(s, b.reg);
	add_plane(s, p, FUZZ_FD_DMABUF, 0, 0, STRIDE);
	create_immed(s, p, 0, (uint32_t)-1, DRM_FORMAT_XRGB8888);
}

static void
seed_params_out_of_bounds(struct seed *s)
{
	struct base b;
	base(s, &b);
	int p = params(s, b.reg);
	add_plane(s, p, FUZZ_FD_DMABUF, 0, 0xfffffff0u, STRIDE);
	create_immed(s, p, W, H, DRM_FORMAT_XRGB8888);
}

static void
seed_params_nv12(struct seed *s)
{
	struct base b;
	base(s, &b);
	int p = params(s, b.reg);
	add_plane(s, p, FUZZ_FD_DMABUF, 0, 0, W);
	add_plane(s, p, FUZZ_FD_DMABUF, 1, W * H, W);
	attach_commit(s, b.surface, create_immed(s, p, W, H, DRM_FORMAT_NV12));
}

static void
seed_params_not_dmabuf(struct seed *s)
{
	struct base b;
	base(s, &b);
	int p = params(s, b.reg);
	add_plane(s, p, FUZZ_FD_PIPE, 0, 0, STRIDE);
	create_immed(s, p, W, H, DRM_FORMAT_XRGB8888);
}

static void
seed_fence_duplicate_synchronization(struct seed *s)
{
	struct base b;
	base(s, &b);
	synchronization(s, b.reg, b.surface);
	synchronization(s, b.reg, b.surface);
}

static void
seed_fence_invalid(struct seed *s)
{
	struct base b;
	base(s, &b);
	int sync = synchronization(s, b.reg, b.surface);
	int buffer = dmabuf_buffer(s, b.reg);
	msg(s, sync, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_SET_ACQUIRE_FENCE);
	fd(s, FUZZ_FD_PIPE, 0);
	attach_commit(s, b.surface, buffer);
}

static void
seed_fence_no_buffer(struct seed *s)
{
	struct base b;
	base(s, &b);
	int sync = synchronization(s, b.reg, b.surface);
	msg(s, sync, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_SET_ACQUIRE_FENCE);
	fd(s, FUZZ_FD_SYNC_FILE, 16); /* signalled */
	msg(s, b.surface, WL_SURFACE_COMMIT);
}

/* A frame whose fence is still pending when the client goes away, and a second one queued. */
static void
seed_fence_pending(struct seed *s)
{
	struct base b;
	base(s, &b);
	int sync = synchronization(s, b.reg, b.surface);
	int buffer = dmabuf_buffer(s, b.reg);
	msg(s, sync, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_SET_ACQUIRE_FENCE);
	fd(s, FUZZ_FD_SYNC_FILE, 32); /* pending */
	msg(s, sync, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_GET_RELEASE);
	new_id(s);
	attach_commit(s, b.surface, buffer);
	msg(s, sync, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_SET_ACQUIRE_FENCE);
	fd(s, FUZZ_FD_SYNC_FILE, 16);
	attach_commit(s, b.surface, dmabuf_buffer(s, b.reg));
}

static void
seed_fence_unsupported_buffer(struct seed *s)
{
	struct base b;
	base(s, &b);
	int sync = synchronization(s, b.reg, b.surface);
	int buffer = shm_buffer(s, b.reg);
	msg(s, sync, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_SET_ACQUIRE_FENCE);
	fd(s, FUZZ_FD_SYNC_FILE, 16);
	attach_commit(s, b.surface, buffer);
}

static void
seed_fence_duplicate_release(struct seed *s)
{
	struct base b;
	base(s, &b);
	int sync = synchronization(s, b.reg, b.surface);
	int buffer = dmabuf_buffer(s, b.reg);
	msg(s, sync, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_GET_RELEASE);
	new_id(s);
	msg(s, sync, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_GET_RELEASE);
	new_id(s);
	attach_commit(s, b.surface, buffer);
}

static void
seed_fence_release(struct seed *s)
{
	struct base b;
	base(s, &b);
	int sync = synchronization(s, b.reg, b.surface);
	int first = dmabuf_buffer(s, b.reg);
	msg(s, sync, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_GET_RELEASE);
	new_id(s);
	attach_commit(s, b.surface, first);
	attach_commit(s, b.surface, dmabuf_buffer(s, b.reg));
}

static void
seed_fence_no_surface(struct seed *s)
{
	struct base b;
	base(s, &b);
	int sync = synchronization(s, b.reg, b.surface);
	msg(s, b.surface, WL_SURFACE_DESTROY);
	msg(s, sync, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_GET_RELEASE);
	new_id(s);
}

static int
fifo(struct seed *s, const struct base *b)
{
	int manager = bind(s, b->reg, "wp_fifo_manager_v1");
	msg(s, manager, WP_FIFO_MANAGER_V1_GET_FIFO);
	int f = new_id(s);
	obj(s, b->surface);
	return f;
}

static int
commit_timer(struct seed *s, const struct base *b)
{
	int manager = bind(s, b->reg, "wp_commit_timing_manager_v1");
	msg(s, manager, WP_COMMIT_TIMING_MANAGER_V1_GET_TIMER);
	int t = new_id(s);
	obj(s, b->surface);
	return t;
}

static void
timestamp(struct seed *s, int timer, uint32_t sec, uint32_t nsec)
{
	msg(s, timer, WP_COMMIT_TIMER_V1_SET_TIMESTAMP);
	u32(s, 0);
	u32(s, sec);
	u32(s, nsec);
}

/* Three frames queued behind barriers, the last two still waiting when the client goes. */
static void
seed_fifo_frames(struct seed *s)
{
	struct base b;
	base(s, &b);
	int f = fifo(s, &b);
	int buffer = shm_buffer(s, b.reg);
	for (int i = 0; i < 3; i++) {
		msg(s, f, WP_FIFO_V1_WAIT_BARRIER);
		msg(s, f, WP_FIFO_V1_SET_BARRIER);
		attach_commit(s, b.surface, buffer);
	}
}

/* A frame for a time far ahead, and one queued behind it, both pending at the end. */
static void
seed_commit_timing(struct seed *s)
{
	struct base b;
	base(s, &b);
	int t = commit_timer(s, &b);
	int buffer = shm_buffer(s, b.reg);
	timestamp(s, t, 0x7fffffff, 0);
	attach_commit(s, b.surface, buffer);
	attach_commit(s, b.surface, buffer);
}

static void
seed_fifo_no_surface(struct seed *s)
{
	struct base b;
	base(s, &b);
	int f = fifo(s, &b);
	msg(s, b.surface, WL_SURFACE_DESTROY);
	msg(s, f, WP_FIFO_V1_SET_BARRIER);
}

static void
seed_commit_timer_twice(struct seed *s)
{
	struct base b;
	base(s, &b);
	commit_timer(s, &b);
	commit_timer(s, &b);
}

static void
seed_commit_timer_bad_nsec(struct seed *s)
{
	struct base b;
	base(s, &b);
	timestamp(s, commit_timer(s, &b), 1, 1000000000);
}

static int
tearing_control(struct seed *s, const struct base *b)
{
	int manager = bind(s, b->reg, "wp_tearing_control_manager_v1");
	msg(s, manager, WP_TEARING_CONTROL_MANAGER_V1_GET_TEARING_CONTROL);
	int t = new_id(s);
	obj(s, b->surface);
	return t;
}

/* Frames that may tear, then the object goes and the next frame is back to vsync. */
static void
seed_tearing(struct seed *s)
{
	struct base b;
	base(s, &b);
	int t = tearing_control(s, &b);
	int buffer = shm_buffer(s, b.reg);
	msg(s, t, WP_TEARING_CONTROL_V1_SET_PRESENTATION_HINT);
	u32(s, WP_TEARING_CONTROL_V1_PRESENTATION_HINT_ASYNC);
	attach_commit(s, b.surface, buffer);
	attach_commit(s, b.surface, buffer);
	msg(s, t, WP_TEARING_CONTROL_V1_DESTROY);
	attach_commit(s, b.surface, buffer);
}

static void
seed_tearing_bad_hint(struct seed *s)
{
	struct base b;
	base(s, &b);
	int t = tearing_control(s, &b);
	msg(s, t, WP_TEARING_CONTROL_V1_SET_PRESENTATION_HINT);
	u32(s, 2);
}

static int
colour_surface(struct seed *s, const struct base *b)
{
	int manager = bind(s, b->reg, "wp_color_representation_manager_v1");
	msg(s, manager, WP_COLOR_REPRESENTATION_MANAGER_V1_GET_SURFACE);
	int c = new_id(s);
	obj(s, b->surface);
	return c;
}

/* RGB with the identity matrix, alpha as it is: fine, and then unset by destroying it. */
static void
seed_colour_rgb(struct seed *s)
{
	struct base b;
	base(s, &b);
	int c = colour_surface(s, &b);
	int buffer = shm_buffer(s, b.reg);
	msg(s, c, WP_COLOR_REPRESENTATION_SURFACE_V1_SET_COEFFICIENTS_AND_RANGE);
	u32(s, WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_IDENTITY);
	u32(s, WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_FULL);
	msg(s, c, WP_COLOR_REPRESENTATION_SURFACE_V1_SET_ALPHA_MODE);
	u32(s, WP_COLOR_REPRESENTATION_SURFACE_V1_ALPHA_MODE_PREMULTIPLIED_ELECTRICAL);
	attach_commit(s, b.surface, buffer);
	msg(s, c, WP_COLOR_REPRESENTATION_SURFACE_V1_DESTROY);
	attach_commit(s, b.surface, buffer);
}

/* A YCbCr matrix on an RGB buffer: pixel_format at the commit. */
static void
seed_colour_matrix_on_rgb(struct seed *s)
{
	struct base b;
	base(s, &b);
	int c = colour_surface(s, &b);
	int buffer = shm_buffer(s, b.reg);
	msg(s, c, WP_COLOR_REPRESENTATION_SURFACE_V1_SET_COEFFICIENTS_AND_RANGE);
	u32(s, WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT709);
	u32(s, WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_FULL);
	attach_commit(s, b.surface, buffer);
}

/* An output (as a region that covers it) copied, with damage, into a fitting wl_shm buffer. */
static void
seed_screencopy(struct seed *s)
{
	struct base b;
	base(s, &b);
	int output = bind(s, b.reg, "wl_output");
	int manager = bind(s, b.reg, "zwlr_screencopy_manager_v1");
	int buffer = shm_buffer(s, b.reg);
	msg(s, manager, ZWLR_SCREENCOPY_MANAGER_V1_CAPTURE_OUTPUT_REGION);
	int frame = new_id(s);
	u32(s, 0);
	obj(s, output);
	u32(s, 0);
	u32(s, 0);
	u32(s, W);
	u32(s, H);
	msg(s, frame, ZWLR_SCREENCOPY_FRAME_V1_COPY_WITH_DAMAGE);
	obj(s, buffer);
}

/* A frame of an ext-image-copy-capture session on the first output; returns the frame. */
static int
image_copy_frame(struct seed *s, const struct base *b)
{
	int output = bind(s, b->reg, "wl_output");
	int sources = bind(s, b->reg, "ext_output_image_capture_source_manager_v1");
	int manager = bind(s, b->reg, "ext_image_copy_capture_manager_v1");
	msg(s, sources, EXT_OUTPUT_IMAGE_CAPTURE_SOURCE_MANAGER_V1_CREATE_SOURCE);
	int source = new_id(s);
	obj(s, output);
	msg(s, manager, EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_CREATE_SESSION);
	int session = new_id(s);
	obj(s, source);
	u32(s, EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_OPTIONS_PAINT_CURSORS);
	msg(s, session, EXT_IMAGE_COPY_CAPTURE_SESSION_V1_CREATE_FRAME);
	return new_id(s);
}

/* Two frames of one session into an output-sized buffer, the second pending at the end. */
static void
seed_image_copy(struct seed *s)
{
	struct base b;
	base(s, &b);
	int buffer = shm_buffer(s, b.reg);
	int frame = image_copy_frame(s, &b);
	msg(s, frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ATTACH_BUFFER);
	obj(s, buffer);
	msg(s, frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_DAMAGE_BUFFER);
	u32(s, 0);
	u32(s, 0);
	u32(s, W);
	u32(s, H);
	msg(s, frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_CAPTURE);
}

static void
seed_image_copy_no_buffer(struct seed *s)
{
	struct base b;
	base(s, &b);
	msg(s, image_copy_frame(s, &b), EXT_IMAGE_COPY_CAPTURE_FRAME_V1_CAPTURE);
}

/* A region smaller than the output, given an output-sized buffer. */
static void
seed_screencopy_wrong_buffer(struct seed *s)
{
	struct base b;
	base(s, &b);
	int output = bind(s, b.reg, "wl_output");
	int manager = bind(s, b.reg, "zwlr_screencopy_manager_v1");
	int buffer = shm_buffer(s, b.reg);
	msg(s, manager, ZWLR_SCREENCOPY_MANAGER_V1_CAPTURE_OUTPUT_REGION);
	int frame = new_id(s);
	u32(s, 0);
	obj(s, output);
	u32(s, 4);
	u32(s, 2);
	u32(s, W);
	u32(s, H);
	msg(s, frame, ZWLR_SCREENCOPY_FRAME_V1_COPY);
	obj(s, buffer);
}

static const struct {
	const char *name;
	seed_fn fn;
	const char *error; /* what the protocol error must say; NULL: the stream is valid */
} seeds[] = {
	{"shm-frame", seed_shm_frame, NULL},
	{"xdg-toplevel", seed_xdg_toplevel, NULL},
	{"subsurface", seed_subsurface, "ancestor"},
	{"viewport", seed_viewport, NULL},
	{"presentation-single-pixel", seed_presentation_single_pixel, NULL},
	{"capture", seed_capture, NULL},
	{"decoration", seed_decoration, NULL},
	{"xdg-output", seed_xdg_output, NULL},
	{"dmabuf-frame", seed_dmabuf_frame, NULL},
	{"dmabuf-create-async", seed_dmabuf_create_async, NULL},
	{"params-plane-set", seed_params_plane_set, "plane 0"},
	{"params-plane-idx", seed_params_plane_idx, "plane"},
	{"params-incomplete", seed_params_incomplete, "plane"},
	{"params-already-used", seed_params_already_used, "already created"},
	{"params-invalid-format", seed_params_invalid_format, "format"},
	{"params-invalid-dimensions", seed_params_invalid_dimensions, "size"},
	{"params-out-of-bounds", seed_params_out_of_bounds, "offset"},
	{"params-nv12", seed_params_nv12, NULL},
	{"params-not-dmabuf", seed_params_not_dmabuf, "dma-buf"},
	{"fence-duplicate-synchronization", seed_fence_duplicate_synchronization, "already"},
	{"fence-invalid", seed_fence_invalid, "sync_file"},
	{"fence-no-buffer", seed_fence_no_buffer, "buffer"},
	{"fence-unsupported-buffer", seed_fence_unsupported_buffer, "buffer"},
	{"fence-duplicate-release", seed_fence_duplicate_release, "release"},
	{"fence-release", seed_fence_release, NULL},
	{"fence-pending", seed_fence_pending, NULL},
	{"fence-no-surface", seed_fence_no_surface, "surface"},
	{"fifo-frames", seed_fifo_frames, NULL},
	{"commit-timing", seed_commit_timing, NULL},
	{"fifo-no-surface", seed_fifo_no_surface, "destroyed"},
	{"commit-timer-twice", seed_commit_timer_twice, "already has"},
	{"commit-timer-bad-nsec", seed_commit_timer_bad_nsec, "below one second"},
	{"screencopy", seed_screencopy, NULL},
	{"screencopy-wrong-buffer", seed_screencopy_wrong_buffer, "XRGB8888"},
	{"tearing", seed_tearing, NULL},
	{"tearing-bad-hint", seed_tearing_bad_hint, "neither vsync"},
	{"image-copy", seed_image_copy, NULL},
	{"image-copy-no-buffer", seed_image_copy_no_buffer, "without a buffer"},
	{"colour-rgb", seed_colour_rgb, NULL},
	{"colour-matrix-on-rgb", seed_colour_matrix_on_rgb, "are for YCbCr formats"},
};

int
fuzz_seed_count(void)
{
	return (int)(sizeof(seeds) / sizeof(seeds[0]));
}

const char *
fuzz_seed(int i, uint8_t *data, size_t *len, const char **error)
{
	struct seed s;
	start(&s);
	seeds[i].fn(&s);
	if (s.bad) {
		fprintf(stderr, "fuzz: seed %s needs a global sluice lacks\n", seeds[i].name);
		return NULL;
	}
	memcpy(data, s.data, s.len);
	*len = s.len;
	*error = seeds[i].error;
	return seeds[i].name;
}

int
fuzz_write_seeds(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "fuzz: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	int written = 0;
	for (int i = 0; i < fuzz_seed_count(); i++) {
		uint8_t data[FUZZ_MAX_INPUT];
		size_t len;
		const char *error;
		const char *name = fuzz_seed(i, data, &len, &error);
		if (!name)
			return -1;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		FILE *f = fopen(path, "wb");
		bool ok = f && fwrite(data, 1, len, f) == len;
		if (f && fclose(f) != 0)
			ok = false;
		if (!ok) {
			fprintf(stderr, "fuzz: cannot write %s\n", path);
			return -1;
		}
		written++;
	}
	return written;
}
