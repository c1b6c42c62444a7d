/*
 * Every client error sluice detects is a protocol error on the right object with the right code,
 * the compositor survives it, and a well-behaved client beside it keeps getting frames.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fd.h"
#include "harness.h"

struct bad_case {
	const char *name;
	/* Sends the bad requests; returns false if it could not even get that far. */
	bool (*provoke)(struct th_client *client);
	const struct wl_interface *interface;
	uint32_t code;
};

static struct wl_shm_pool *
make_pool(struct th_client *c, int32_t size)
{
	int fd = anon_file_create(size);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, size);
	close(fd);
	return pool;
}

static bool
shm_pool_size_zero(struct th_client *c)
{
	int fd = anon_file_create(4096);
	wl_shm_create_pool(c->shm, fd, 0);
	close(fd);
	return true;
}

static bool
shm_pool_larger_than_file(struct th_client *c)
{
	int fd = anon_file_create(4096);
	wl_shm_create_pool(c->shm, fd, 1 << 20);
	close(fd);
	return true;
}

static bool
shm_pool_unmappable_fd(struct th_client *c)
{
	int fds[2];
	if (pipe(fds) < 0)
		return false;
	wl_shm_create_pool(c->shm, fds[0], 4096);
	close(fds[0]);
	close(fds[1]);
	return true;
}

static bool
shm_stride_too_small(struct th_client *c)
{
	/* 4 bytes per pixel: a stride of 64 cannot hold 64 pixels. */
	wl_shm_pool_create_buffer(make_pool(c, 65536), 0, 64, 64, 64, WL_SHM_FORMAT_XRGB8888);
	return true;
}

static bool
shm_buffer_outside_pool(struct th_client *c)
{
	wl_shm_pool_create_buffer(make_pool(c, 4096), 0, 64, 64, 256, WL_SHM_FORMAT_XRGB8888);
	return true;
}

static bool
shm_negative_offset(struct th_client *c)
{
	wl_shm_pool_create_buffer(make_pool(c, 65536), -4, 16, 16, 64, WL_SHM_FORMAT_XRGB8888);
	return true;
}

static bool
shm_unknown_format(struct th_client *c)
{
	wl_shm_pool_create_buffer(make_pool(c, 65536), 0, 16, 16, 64, 0x20202020);
	return true;
}

static bool
shm_zero_size_buffer(struct th_client *c)
{
	wl_shm_pool_create_buffer(make_pool(c, 65536), 0, 0, 16, 64, WL_SHM_FORMAT_XRGB8888);
	return true;
}

static bool
shm_pool_shrink(struct th_client *c)
{
	wl_shm_pool_resize(make_pool(c, 65536), 4096);
	return true;
}

static bool
shm_file_truncated_in_use(struct th_client *c)
{
	/* An unsealed file shrunk under a shown buffer: sluice faults reading it and must survive.
	 */
	char path[] = "/tmp/sluice-trunc-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return false;
	unlink(path);
	size_t size = 256 * 256 * 4;
	if (ftruncate(fd, (off_t)size) < 0)
		return false;
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, (int32_t)size);
	struct wl_buffer *buffer =
		wl_shm_pool_create_buffer(pool, 0, 256, 256, 1024, WL_SHM_FORMAT_XRGB8888);
	struct th_window *w = th_window_create(c);
	if (!w)
		return false;
	if (ftruncate(fd, 0) < 0)
		return false;
	close(fd);
	wl_surface_attach(w->surface, buffer, 0, 0);
	wl_surface_damage_buffer(w->surface, 0, 0, 256, 256);
	wl_surface_commit(w->surface);
	return true;
}

static bool
surface_bad_scale(struct th_client *c)
{
	wl_surface_set_buffer_scale(wl_compositor_create_surface(c->compositor), 0);
	return true;
}

static bool
surface_bad_transform(struct th_client *c)
{
	wl_surface_set_buffer_transform(wl_compositor_create_surface(c->compositor), 8);
	return true;
}

static bool
surface_size_not_multiple_of_scale(struct th_client *c)
{
	struct th_buffer *b = th_shm_buffer_create(c, 101, 100, WL_SHM_FORMAT_XRGB8888);
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	wl_surface_set_buffer_scale(s, 2);
	wl_surface_attach(s, b->buffer, 0, 0);
	wl_surface_commit(s);
	return true;
}

static bool
surface_attach_offset_v5(struct th_client *c)
{
	struct th_buffer *b = th_shm_buffer_create(c, 16, 16, WL_SHM_FORMAT_XRGB8888);
	wl_surface_attach(wl_compositor_create_surface(c->compositor), b->buffer, 3, 4);
	return true;
}

static bool
subsurface_own_parent(struct th_client *c)
{
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	wl_subcompositor_get_subsurface(c->subcompositor, s, s);
	return true;
}

static bool
subsurface_ancestor_loop(struct th_client *c)
{
	struct wl_surface *a = wl_compositor_create_surface(c->compositor);
	struct wl_surface *b = wl_compositor_create_surface(c->compositor);
	wl_subcompositor_get_subsurface(c->subcompositor, b, a);
	wl_subcompositor_get_subsurface(c->subcompositor, a, b);
	return true;
}

static bool
subsurface_twice(struct th_client *c)
{
	struct wl_surface *a = wl_compositor_create_surface(c->compositor);
	struct wl_surface *b = wl_compositor_create_surface(c->compositor);
	wl_subcompositor_get_subsurface(c->subcompositor, b, a);
	wl_subcompositor_get_subsurface(c->subcompositor, b, a);
	return true;
}

static bool
subsurface_place_above_stranger(struct th_client *c)
{
	struct wl_surface *a = wl_compositor_create_surface(c->compositor);
	struct wl_surface *b = wl_compositor_create_surface(c->compositor);
	struct wl_surface *stranger = wl_compositor_create_surface(c->compositor);
	struct wl_subsurface *sub = wl_subcompositor_get_subsurface(c->subcompositor, b, a);
	wl_subsurface_place_above(sub, stranger);
	return true;
}

static bool
xdg_role_conflict(struct th_client *c)
{
	struct wl_surface *a = wl_compositor_create_surface(c->compositor);
	struct wl_surface *b = wl_compositor_create_surface(c->compositor);
	wl_subcompositor_get_subsurface(c->subcompositor, b, a);
	xdg_wm_base_get_xdg_surface(c->wm_base, b);
	return true;
}

static bool
xdg_buffer_before_configure(struct th_client *c)
{
	struct th_buffer *b = th_shm_buffer_create(c, 16, 16, WL_SHM_FORMAT_XRGB8888);
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	struct xdg_surface *xs = xdg_wm_base_get_xdg_surface(c->wm_base, s);
	xdg_surface_get_toplevel(xs);
	wl_surface_attach(s, b->buffer, 0, 0);
	wl_surface_commit(s);
	return true;
}

static bool
xdg_surface_with_buffer_already(struct th_client *c)
{
	struct th_buffer *b = th_shm_buffer_create(c, 16, 16, WL_SHM_FORMAT_XRGB8888);
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	wl_surface_attach(s, b->buffer, 0, 0);
	wl_surface_commit(s);
	xdg_wm_base_get_xdg_surface(c->wm_base, s);
	return true;
}

static bool
xdg_ack_unknown_serial(struct th_client *c)
{
	struct th_window *w = th_window_create(c);
	if (!w)
		return false;
	xdg_surface_ack_configure(w->xdg_surface, w->last_serial + 1000);
	return true;
}

static bool
xdg_commit_without_role(struct th_client *c)
{
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	xdg_wm_base_get_xdg_surface(c->wm_base, s);
	wl_surface_commit(s);
	return true;
}

static bool
xdg_toplevel_twice(struct th_client *c)
{
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	struct xdg_surface *xs = xdg_wm_base_get_xdg_surface(c->wm_base, s);
	xdg_surface_get_toplevel(xs);
	xdg_surface_get_toplevel(xs);
	return true;
}

static bool
xdg_surface_destroyed_before_toplevel(struct th_client *c)
{
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	struct xdg_surface *xs = xdg_wm_base_get_xdg_surface(c->wm_base, s);
	xdg_surface_get_toplevel(xs);
	xdg_surface_destroy(xs);
	return true;
}

static bool
xdg_wm_base_destroyed_with_surfaces(struct th_client *c)
{
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	xdg_wm_base_get_xdg_surface(c->wm_base, s);
	xdg_wm_base_destroy(c->wm_base);
	c->wm_base = NULL;
	return true;
}

static bool
xdg_empty_window_geometry(struct th_client *c)
{
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	xdg_surface_set_window_geometry(xdg_wm_base_get_xdg_surface(c->wm_base, s), 0, 0, 0, 10);
	return true;
}

static bool
xdg_parent_loop(struct th_client *c)
{
	struct th_window *a = th_window_create(c), *b = th_window_create(c);
	if (!a || !b)
		return false;
	xdg_toplevel_set_parent(b->toplevel, a->toplevel);
	xdg_toplevel_set_parent(a->toplevel, b->toplevel);
	return true;
}

static bool
xdg_bad_resize_edge(struct th_client *c)
{
	struct th_window *a = th_window_create(c);
	if (!a)
		return false;
	xdg_toplevel_resize(a->toplevel, c->seat, 0, 11);
	return true;
}

static bool
xdg_negative_max_size(struct th_client *c)
{
	struct th_window *a = th_window_create(c);
	if (!a)
		return false;
	xdg_toplevel_set_max_size(a->toplevel, -1, 100);
	return true;
}

static bool
xdg_positioner_zero_size(struct th_client *c)
{
	xdg_positioner_set_size(xdg_wm_base_create_positioner(c->wm_base), 0, 10);
	return true;
}

static bool
xdg_popup_incomplete_positioner(struct th_client *c)
{
	struct th_window *parent = th_window_create(c);
	if (!parent)
		return false;
	struct xdg_positioner *pos = xdg_wm_base_create_positioner(c->wm_base);
	xdg_positioner_set_size(pos, 10, 10);
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	xdg_surface_get_popup(xdg_wm_base_get_xdg_surface(c->wm_base, s), parent->xdg_surface, pos);
	return true;
}

static bool
viewport_twice(struct th_client *c)
{
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	wp_viewporter_get_viewport(c->viewporter, s);
	wp_viewporter_get_viewport(c->viewporter, s);
	return true;
}

static bool
viewport_negative_source(struct th_client *c)
{
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	wp_viewport_set_source(wp_viewporter_get_viewport(c->viewporter, s), wl_fixed_from_int(-2),
			       0, wl_fixed_from_int(10), wl_fixed_from_int(10));
	return true;
}

static bool
viewport_zero_destination(struct th_client *c)
{
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	wp_viewport_set_destination(wp_viewporter_get_viewport(c->viewporter, s), 0, 10);
	return true;
}

static bool
viewport_source_outside_buffer(struct th_client *c)
{
	struct th_buffer *b = th_shm_buffer_create(c, 16, 16, WL_SHM_FORMAT_XRGB8888);
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	wp_viewport_set_source(wp_viewporter_get_viewport(c->viewporter, s), 0, 0,
			       wl_fixed_from_int(32), wl_fixed_from_int(8));
	wl_surface_attach(s, b->buffer, 0, 0);
	wl_surface_commit(s);
	return true;
}

static bool
viewport_fractional_source_without_destination(struct th_client *c)
{
	struct th_buffer *b = th_shm_buffer_create(c, 16, 16, WL_SHM_FORMAT_XRGB8888);
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	wp_viewport_set_source(wp_viewporter_get_viewport(c->viewporter, s), 0, 0,
			       wl_fixed_from_double(7.5), wl_fixed_from_int(8));
	wl_surface_attach(s, b->buffer, 0, 0);
	wl_surface_commit(s);
	return true;
}

static bool
viewport_after_surface_destroyed(struct th_client *c)
{
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	struct wp_viewport *v = wp_viewporter_get_viewport(c->viewporter, s);
	wl_surface_destroy(s);
	wp_viewport_set_destination(v, 10, 10);
	return true;
}

static bool
fifo_twice(struct th_client *c)
{
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	wp_fifo_manager_v1_get_fifo(c->fifo_manager, s);
	wp_fifo_manager_v1_get_fifo(c->fifo_manager, s);
	return c->fifo_manager != NULL;
}

static bool
fifo_after_surface_destroyed(struct th_client *c)
{
	if (!c->fifo_manager)
		return false;
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	struct wp_fifo_v1 *fifo = wp_fifo_manager_v1_get_fifo(c->fifo_manager, s);
	/* A fifo object whose predecessor was destroyed is no second one. */
	wp_fifo_v1_destroy(fifo);
	fifo = wp_fifo_manager_v1_get_fifo(c->fifo_manager, s);
	wp_fifo_v1_set_barrier(fifo);
	wl_surface_commit(s);
	wl_surface_destroy(s);
	wp_fifo_v1_wait_barrier(fifo);
	return true;
}

static bool
commit_timer_twice(struct th_client *c)
{
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	wp_commit_timing_manager_v1_get_timer(c->commit_timing, s);
	wp_commit_timing_manager_v1_get_timer(c->commit_timing, s);
	return c->commit_timing != NULL;
}

static bool
commit_timer_bad_nsec(struct th_client *c)
{
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	struct wp_commit_timer_v1 *t = wp_commit_timing_manager_v1_get_timer(c->commit_timing, s);
	wp_commit_timer_v1_set_timestamp(t, 0, 1, 1000000000);
	return c->commit_timing != NULL;
}

static bool
commit_timer_twice_per_commit(struct th_client *c)
{
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	struct wp_commit_timer_v1 *t = wp_commit_timing_manager_v1_get_timer(c->commit_timing, s);
	/* One per commit: the first commit's time is gone with it. */
	wp_commit_timer_v1_set_timestamp(t, 0, 1, 0);
	wl_surface_commit(s);
	wp_commit_timer_v1_set_timestamp(t, 0, 2, 0);
	wp_commit_timer_v1_set_timestamp(t, 0, 3, 0);
	return c->commit_timing != NULL;
}

static bool
commit_timer_after_surface_destroyed(struct th_client *c)
{
	if (!c->commit_timing)
		return false;
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	struct wp_commit_timer_v1 *t = wp_commit_timing_manager_v1_get_timer(c->commit_timing, s);
	wl_surface_destroy(s);
	wp_commit_timer_v1_set_timestamp(t, 0, 1, 0);
	return true;
}

/* A surface's wp_color_representation_surface_v1, or NULL without the global. */
static struct wp_color_representation_surface_v1 *
colour_surface(struct th_client *c, struct wl_surface **surface)
{
	if (!c->colour_repr)
		return NULL;
	*surface = wl_compositor_create_surface(c->compositor);
	return wp_color_representation_manager_v1_get_surface(c->colour_repr, *surface);
}

static bool
colour_surface_exists(struct th_client *c)
{
	struct wl_surface *s;
	if (!colour_surface(c, &s))
		return false;
	wp_color_representation_manager_v1_get_surface(c->colour_repr, s);
	return true;
}

static bool
colour_straight_alpha(struct th_client *c)
{
	struct wl_surface *s;
	struct wp_color_representation_surface_v1 *cr = colour_surface(c, &s);
	if (!cr)
		return false;
	wp_color_representation_surface_v1_set_alpha_mode(
		cr, WP_COLOR_REPRESENTATION_SURFACE_V1_ALPHA_MODE_STRAIGHT);
	return true;
}

static bool
colour_unsupported_matrix(struct th_client *c)
{
	struct wl_surface *s;
	struct wp_color_representation_surface_v1 *cr = colour_surface(c, &s);
	if (!cr)
		return false;
	/* A matrix the protocol knows and sluice does not announce. */
	wp_color_representation_surface_v1_set_coefficients_and_range(
		cr, WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_FCC,
		WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_LIMITED);
	return true;
}

static bool
colour_invalid_range(struct th_client *c)
{
	struct wl_surface *s;
	struct wp_color_representation_surface_v1 *cr = colour_surface(c, &s);
	if (!cr)
		return false;
	wp_color_representation_surface_v1_set_coefficients_and_range(
		cr, WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT709, 0);
	return true;
}

static bool
colour_identity_limited(struct th_client *c)
{
	struct wl_surface *s;
	struct wp_color_representation_surface_v1 *cr = colour_surface(c, &s);
	if (!cr)
		return false;
	wp_color_representation_surface_v1_set_coefficients_and_range(
		cr, WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_IDENTITY,
		WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_LIMITED);
	return true;
}

/* A committed RGB buffer with a YCbCr matrix, or with a chroma location. */
static bool
colour_on_rgb(struct th_client *c, bool chroma)
{
	struct wl_surface *s;
	struct wp_color_representation_surface_v1 *cr = colour_surface(c, &s);
	struct th_buffer *b = cr ? th_shm_buffer_create(c, 16, 16, WL_SHM_FORMAT_XRGB8888) : NULL;
	if (!b)
		return false;
	if (chroma)
		wp_color_representation_surface_v1_set_chroma_location(
			cr, WP_COLOR_REPRESENTATION_SURFACE_V1_CHROMA_LOCATION_TYPE_0);
	else
		wp_color_representation_surface_v1_set_coefficients_and_range(
			cr, WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT709,
			WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_FULL);
	wl_surface_attach(s, b->buffer, 0, 0);
	wl_surface_commit(s);
	return true;
}

static bool
colour_matrix_on_rgb(struct th_client *c)
{
	return colour_on_rgb(c, false);
}

static bool
colour_chroma_on_rgb(struct th_client *c)
{
	return colour_on_rgb(c, true);
}

static bool
colour_bad_chroma_location(struct th_client *c)
{
	struct wl_surface *s;
	struct wp_color_representation_surface_v1 *cr = colour_surface(c, &s);
	if (!cr)
		return false;
	wp_color_representation_surface_v1_set_chroma_location(cr, 7);
	return true;
}

static bool
colour_inert(struct th_client *c)
{
	struct wl_surface *s;
	struct wp_color_representation_surface_v1 *cr = colour_surface(c, &s);
	if (!cr)
		return false;
	wl_surface_destroy(s);
	wp_color_representation_surface_v1_set_coefficients_and_range(
		cr, WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT601,
		WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_LIMITED);
	return true;
}

static bool
tearing_control_twice(struct th_client *c)
{
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	wp_tearing_control_manager_v1_get_tearing_control(c->tearing, s);
	wp_tearing_control_manager_v1_get_tearing_control(c->tearing, s);
	return c->tearing != NULL;
}

static bool
tearing_control_bad_hint(struct th_client *c)
{
	if (!c->tearing)
		return false;
	struct wl_surface *s = wl_compositor_create_surface(c->compositor);
	struct wp_tearing_control_v1 *t =
		wp_tearing_control_manager_v1_get_tearing_control(c->tearing, s);
	/* A second object after the first is gone is allowed; a hint past async is not. */
	wp_tearing_control_v1_destroy(t);
	t = wp_tearing_control_manager_v1_get_tearing_control(c->tearing, s);
	wp_tearing_control_v1_set_presentation_hint(t, 2);
	return true;
}

/* A session on output 0, through a source made for it. */
static struct ext_image_copy_capture_session_v1 *
image_session(struct th_client *c, uint32_t options)
{
	struct ext_image_capture_source_v1 *source =
		ext_output_image_capture_source_manager_v1_create_source(c->output_sources,
									 c->outputs[0].output);
	return ext_image_copy_capture_manager_v1_create_session(c->image_copy, source, options);
}

static bool
image_copy_invalid_option(struct th_client *c)
{
	image_session(c, 2);
	return c->image_copy && c->output_sources;
}

static bool
image_copy_duplicate_frame(struct th_client *c)
{
	struct ext_image_copy_capture_session_v1 *s = image_session(c, 0);
	ext_image_copy_capture_session_v1_create_frame(s);
	ext_image_copy_capture_session_v1_create_frame(s);
	return c->image_copy && c->output_sources;
}

static bool
image_copy_no_buffer(struct th_client *c)
{
	struct ext_image_copy_capture_session_v1 *s = image_session(c, 0);
	/* A frame after the last one was destroyed is allowed; capturing nothing is not. */
	ext_image_copy_capture_frame_v1_destroy(ext_image_copy_capture_session_v1_create_frame(s));
	ext_image_copy_capture_frame_v1_capture(ext_image_copy_capture_session_v1_create_frame(s));
	return c->image_copy && c->output_sources;
}

static bool
image_copy_invalid_damage(struct th_client *c)
{
	struct ext_image_copy_capture_frame_v1 *f =
		ext_image_copy_capture_session_v1_create_frame(image_session(c, 0));
	ext_image_copy_capture_frame_v1_damage_buffer(f, 0, 0, 10, 10);
	ext_image_copy_capture_frame_v1_damage_buffer(f, 5, -1, 10, 10);
	return c->image_copy && c->output_sources;
}

static bool
image_copy_attach_after_capture(struct th_client *c)
{
	struct th_buffer *b = th_shm_buffer_create(c, c->outputs[0].width, c->outputs[0].height,
						   WL_SHM_FORMAT_XRGB8888);
	struct ext_image_copy_capture_frame_v1 *f =
		ext_image_copy_capture_session_v1_create_frame(image_session(c, 0));
	ext_image_copy_capture_frame_v1_attach_buffer(f, b->buffer);
	ext_image_copy_capture_frame_v1_capture(f);
	ext_image_copy_capture_frame_v1_attach_buffer(f, b->buffer);
	return c->image_copy && c->output_sources;
}

static bool
image_copy_capture_twice(struct th_client *c)
{
	struct th_buffer *b = th_shm_buffer_create(c, 16, 16, WL_SHM_FORMAT_XRGB8888);
	struct ext_image_copy_capture_frame_v1 *f =
		ext_image_copy_capture_session_v1_create_frame(image_session(c, 0));
	/* A buffer that misses the constraints fails the capture; a second is still an error. */
	ext_image_copy_capture_frame_v1_attach_buffer(f, b->buffer);
	ext_image_copy_capture_frame_v1_capture(f);
	ext_image_copy_capture_frame_v1_capture(f);
	return c->image_copy && c->output_sources;
}

static bool
seat_pointer_without_capability(struct th_client *c)
{
	wl_seat_get_pointer(c->seat);
	return true;
}

static bool
capture_wrong_buffer(struct th_client *c)
{
	struct th_buffer *b = th_shm_buffer_create(c, 16, 16, WL_SHM_FORMAT_XRGB8888);
	struct sluice_capture_frame_v1 *frame =
		sluice_capture_manager_v1_capture_output(c->capture, c->outputs[0].output);
	sluice_capture_frame_v1_copy(frame, b->buffer);
	return true;
}

static bool
capture_copy_twice(struct th_client *c)
{
	struct th_buffer *b = th_shm_buffer_create(c, c->outputs[0].width, c->outputs[0].height,
						   WL_SHM_FORMAT_XRGB8888);
	struct sluice_capture_frame_v1 *frame =
		sluice_capture_manager_v1_capture_output(c->capture, c->outputs[0].output);
	sluice_capture_frame_v1_copy(frame, b->buffer);
	sluice_capture_frame_v1_copy(frame, b->buffer);
	return true;
}

static bool
screencopy_wrong_buffer(struct th_client *c)
{
	struct th_buffer *b = th_shm_buffer_create(c, 16, 16, WL_SHM_FORMAT_XRGB8888);
	struct zwlr_screencopy_frame_v1 *frame =
		zwlr_screencopy_manager_v1_capture_output(c->screencopy, 0, c->outputs[0].output);
	zwlr_screencopy_frame_v1_copy(frame, b->buffer);
	return c->screencopy != NULL;
}

static bool
screencopy_copy_twice(struct th_client *c)
{
	struct th_buffer *b = th_shm_buffer_create(c, c->outputs[0].width, c->outputs[0].height,
						   WL_SHM_FORMAT_XRGB8888);
	struct zwlr_screencopy_frame_v1 *frame =
		zwlr_screencopy_manager_v1_capture_output(c->screencopy, 0, c->outputs[0].output);
	zwlr_screencopy_frame_v1_copy(frame, b->buffer);
	zwlr_screencopy_frame_v1_copy_with_damage(frame, b->buffer);
	return c->screencopy != NULL;
}

/* The bad clients leak their proxies on purpose: the connection dies with the error. */
static const struct bad_case cases[] = {
	{"shm-pool-size-zero", shm_pool_size_zero, &wl_shm_interface, WL_SHM_ERROR_INVALID_STRIDE},
	{"shm-pool-larger-than-file", shm_pool_larger_than_file, &wl_shm_interface,
	 WL_SHM_ERROR_INVALID_FD},
	{"shm-pool-unmappable-fd", shm_pool_unmappable_fd, &wl_shm_interface,
	 WL_SHM_ERROR_INVALID_FD},
	{"shm-stride-too-small", shm_stride_too_small, &wl_shm_pool_interface,
	 WL_SHM_ERROR_INVALID_STRIDE},
	{"shm-buffer-outside-pool", shm_buffer_outside_pool, &wl_shm_pool_interface,
	 WL_SHM_ERROR_INVALID_STRIDE},
	{"shm-negative-offset", shm_negative_offset, &wl_shm_pool_interface,
	 WL_SHM_ERROR_INVALID_STRIDE},
	{"shm-unknown-format", shm_unknown_format, &wl_shm_pool_interface,
	 WL_SHM_ERROR_INVALID_FORMAT},
	{"shm-zero-size-buffer", shm_zero_size_buffer, &wl_shm_pool_interface,
	 WL_SHM_ERROR_INVALID_STRIDE},
	{"shm-pool-shrink", shm_pool_shrink, &wl_shm_pool_interface, WL_SHM_ERROR_INVALID_STRIDE},
	{"shm-file-truncated-in-use", shm_file_truncated_in_use, &wl_shm_pool_interface,
	 WL_SHM_ERROR_INVALID_FD},
	{"surface-bad-scale", surface_bad_scale, &wl_surface_interface,
	 WL_SURFACE_ERROR_INVALID_SCALE},
	{"surface-bad-transform", surface_bad_transform, &wl_surface_interface,
	 WL_SURFACE_ERROR_INVALID_TRANSFORM},
	{"surface-size-not-multiple-of-scale", surface_size_not_multiple_of_scale,
	 &wl_surface_interface, WL_SURFACE_ERROR_INVALID_SIZE},
	{"surface-attach-offset-v5", surface_attach_offset_v5, &wl_surface_interface,
	 WL_SURFACE_ERROR_INVALID_OFFSET},
	{"subsurface-own-parent", subsurface_own_parent, &wl_subcompositor_interface,
	 WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE},
	{"subsurface-ancestor-loop", subsurface_ancestor_loop, &wl_subcompositor_interface,
	 WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE},
	{"subsurface-twice", subsurface_twice, &wl_subcompositor_interface,
	 WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE},
	{"subsurface-place-above-stranger", subsurface_place_above_stranger,
	 &wl_subsurface_interface, WL_SUBSURFACE_ERROR_BAD_SURFACE},
	{"xdg-role-conflict", xdg_role_conflict, &xdg_wm_base_interface, XDG_WM_BASE_ERROR_ROLE},
	{"xdg-buffer-before-configure", xdg_buffer_before_configure, &xdg_surface_interface,
	 XDG_SURFACE_ERROR_UNCONFIGURED_BUFFER},
	{"xdg-surface-with-buffer-already", xdg_surface_with_buffer_already, &xdg_surface_interface,
	 XDG_SURFACE_ERROR_UNCONFIGURED_BUFFER},
	{"xdg-ack-unknown-serial", xdg_ack_unknown_serial, &xdg_surface_interface,
	 XDG_SURFACE_ERROR_INVALID_SERIAL},
	{"xdg-commit-without-role", xdg_commit_without_role, &xdg_surface_interface,
	 XDG_SURFACE_ERROR_NOT_CONSTRUCTED},
	{"xdg-toplevel-twice", xdg_toplevel_twice, &xdg_surface_interface,
	 XDG_SURFACE_ERROR_ALREADY_CONSTRUCTED},
	/* The destroy request is the error, so the client's proxy is already gone. */
	{"xdg-surface-destroyed-before-toplevel", xdg_surface_destroyed_before_toplevel, NULL,
	 XDG_SURFACE_ERROR_DEFUNCT_ROLE_OBJECT},
	{"xdg-wm-base-destroyed-with-surfaces", xdg_wm_base_destroyed_with_surfaces, NULL,
	 XDG_WM_BASE_ERROR_DEFUNCT_SURFACES},
	{"xdg-empty-window-geometry", xdg_empty_window_geometry, &xdg_surface_interface,
	 XDG_SURFACE_ERROR_INVALID_SIZE},
	{"xdg-parent-loop", xdg_parent_loop, &xdg_toplevel_interface,
	 XDG_TOPLEVEL_ERROR_INVALID_PARENT},
	{"xdg-bad-resize-edge", xdg_bad_resize_edge, &xdg_toplevel_interface,
	 XDG_TOPLEVEL_ERROR_INVALID_RESIZE_EDGE},
	{"xdg-negative-max-size", xdg_negative_max_size, &xdg_toplevel_interface,
	 XDG_TOPLEVEL_ERROR_INVALID_SIZE},
	{"xdg-positioner-zero-size", xdg_positioner_zero_size, &xdg_positioner_interface,
	 XDG_POSITIONER_ERROR_INVALID_INPUT},
	{"xdg-popup-incomplete-positioner", xdg_popup_incomplete_positioner, &xdg_wm_base_interface,
	 XDG_WM_BASE_ERROR_INVALID_POSITIONER},
	{"viewport-twice", viewport_twice, &wp_viewporter_interface,
	 WP_VIEWPORTER_ERROR_VIEWPORT_EXISTS},
	{"viewport-negative-source", viewport_negative_source, &wp_viewport_interface,
	 WP_VIEWPORT_ERROR_BAD_VALUE},
	{"viewport-zero-destination", viewport_zero_destination, &wp_viewport_interface,
	 WP_VIEWPORT_ERROR_BAD_VALUE},
	{"viewport-source-outside-buffer", viewport_source_outside_buffer, &wp_viewport_interface,
	 WP_VIEWPORT_ERROR_OUT_OF_BUFFER},
	{"viewport-fractional-source-without-destination",
	 viewport_fractional_source_without_destination, &wp_viewport_interface,
	 WP_VIEWPORT_ERROR_BAD_SIZE},
	{"viewport-after-surface-destroyed", viewport_after_surface_destroyed,
	 &wp_viewport_interface, WP_VIEWPORT_ERROR_NO_SURFACE},
	{"fifo-twice", fifo_twice, &wp_fifo_manager_v1_interface,
	 WP_FIFO_MANAGER_V1_ERROR_ALREADY_EXISTS},
	{"fifo-after-surface-destroyed", fifo_after_surface_destroyed, &wp_fifo_v1_interface,
	 WP_FIFO_V1_ERROR_SURFACE_DESTROYED},
	{"commit-timer-twice", commit_timer_twice, &wp_commit_timing_manager_v1_interface,
	 WP_COMMIT_TIMING_MANAGER_V1_ERROR_COMMIT_TIMER_EXISTS},
	{"commit-timer-bad-nsec", commit_timer_bad_nsec, &wp_commit_timer_v1_interface,
	 WP_COMMIT_TIMER_V1_ERROR_INVALID_TIMESTAMP},
	{"commit-timer-twice-per-commit", commit_timer_twice_per_commit,
	 &wp_commit_timer_v1_interface, WP_COMMIT_TIMER_V1_ERROR_TIMESTAMP_EXISTS},
	{"commit-timer-after-surface-destroyed", commit_timer_after_surface_destroyed,
	 &wp_commit_timer_v1_interface, WP_COMMIT_TIMER_V1_ERROR_SURFACE_DESTROYED},
	{"colour-surface-exists", colour_surface_exists,
	 &wp_color_representation_manager_v1_interface,
	 WP_COLOR_REPRESENTATION_MANAGER_V1_ERROR_SURFACE_EXISTS},
	{"colour-straight-alpha", colour_straight_alpha,
	 &wp_color_representation_surface_v1_interface,
	 WP_COLOR_REPRESENTATION_SURFACE_V1_ERROR_ALPHA_MODE},
	{"colour-unsupported-matrix", colour_unsupported_matrix,
	 &wp_color_representation_surface_v1_interface,
	 WP_COLOR_REPRESENTATION_SURFACE_V1_ERROR_COEFFICIENTS},
	{"colour-invalid-range", colour_invalid_range,
	 &wp_color_representation_surface_v1_interface,
	 WP_COLOR_REPRESENTATION_SURFACE_V1_ERROR_COEFFICIENTS},
	{"colour-identity-limited", colour_identity_limited,
	 &wp_color_representation_surface_v1_interface,
	 WP_COLOR_REPRESENTATION_SURFACE_V1_ERROR_COEFFICIENTS},
	{"colour-matrix-on-rgb", colour_matrix_on_rgb,
	 &wp_color_representation_surface_v1_interface,
	 WP_COLOR_REPRESENTATION_SURFACE_V1_ERROR_PIXEL_FORMAT},
	{"colour-chroma-on-rgb", colour_chroma_on_rgb,
	 &wp_color_representation_surface_v1_interface,
	 WP_COLOR_REPRESENTATION_SURFACE_V1_ERROR_PIXEL_FORMAT},
	{"colour-bad-chroma-location", colour_bad_chroma_location, &wl_display_interface,
	 WL_DISPLAY_ERROR_INVALID_METHOD},
	{"colour-inert", colour_inert, &wp_color_representation_surface_v1_interface,
	 WP_COLOR_REPRESENTATION_SURFACE_V1_ERROR_INERT},
	{"tearing-control-twice", tearing_control_twice, &wp_tearing_control_manager_v1_interface,
	 WP_TEARING_CONTROL_MANAGER_V1_ERROR_TEARING_CONTROL_EXISTS},
	{"tearing-control-bad-hint", tearing_control_bad_hint, &wp_tearing_control_v1_interface,
	 WL_DISPLAY_ERROR_INVALID_METHOD},
	{"image-copy-invalid-option", image_copy_invalid_option,
	 &ext_image_copy_capture_manager_v1_interface,
	 EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_ERROR_INVALID_OPTION},
	{"image-copy-duplicate-frame", image_copy_duplicate_frame,
	 &ext_image_copy_capture_session_v1_interface,
	 EXT_IMAGE_COPY_CAPTURE_SESSION_V1_ERROR_DUPLICATE_FRAME},
	{"image-copy-no-buffer", image_copy_no_buffer, &ext_image_copy_capture_frame_v1_interface,
	 EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_NO_BUFFER},
	{"image-copy-invalid-damage", image_copy_invalid_damage,
	 &ext_image_copy_capture_frame_v1_interface,
	 EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_INVALID_BUFFER_DAMAGE},
	{"image-copy-attach-after-capture", image_copy_attach_after_capture,
	 &ext_image_copy_capture_frame_v1_interface,
	 EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_ALREADY_CAPTURED},
	{"image-copy-capture-twice", image_copy_capture_twice,
	 &ext_image_copy_capture_frame_v1_interface,
	 EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_ALREADY_CAPTURED},
	{"seat-pointer-without-capability", seat_pointer_without_capability, &wl_seat_interface,
	 WL_SEAT_ERROR_MISSING_CAPABILITY},
	{"capture-wrong-buffer", capture_wrong_buffer, &sluice_capture_frame_v1_interface,
	 SLUICE_CAPTURE_FRAME_V1_ERROR_INVALID_BUFFER},
	{"capture-copy-twice", capture_copy_twice, &sluice_capture_frame_v1_interface,
	 SLUICE_CAPTURE_FRAME_V1_ERROR_ALREADY_USED},
	{"screencopy-wrong-buffer", screencopy_wrong_buffer, &zwlr_screencopy_frame_v1_interface,
	 ZWLR_SCREENCOPY_FRAME_V1_ERROR_INVALID_BUFFER},
	{"screencopy-copy-twice", screencopy_copy_twice, &zwlr_screencopy_frame_v1_interface,
	 ZWLR_SCREENCOPY_FRAME_V1_ERROR_ALREADY_USED},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static bool bystander_presents(void);
static struct th_server *server;

/* One compositor for all cases, with a bystander window that must keep being presented. */
static struct th_client *bystander;
static struct th_window *bystander_window;
static struct th_buffer *bystander_buffer;

static bool
bystander_presents(void)
{
	struct th_presented p;
	wl_surface_attach(bystander_window->surface, bystander_buffer->buffer, 0, 0);
	wl_surface_damage_buffer(bystander_window->surface, 0, 0, 64, 64);
	return th_commit_and_wait(bystander, bystander_window->surface, &p);
}

static void
run_case(const struct bad_case *bad)
{
	if (!server) {
		server = th_server_start(NULL);
		if (!server)
			return;
		th_server_share(server);
		bystander = th_client_connect(server);
		bystander_window = bystander ? th_window_create(bystander) : NULL;
		if (!bystander_window)
			return;
		bystander_buffer = th_shm_buffer_create(bystander, 64, 64, WL_SHM_FORMAT_XRGB8888);
		th_buffer_fill(bystander_buffer, 0, 0, 64, 64, 0xff336699u);
	}
	struct th_client *c = th_client_connect(server);
	th_require(c);
	if (th_check(bad->provoke(c), "could not send the bad requests"))
		th_expect_protocol_error(c, bad->interface, bad->code);
	/* Freed by hand: th_client_destroy would destroy proxies twice for some cases. */
	wl_display_disconnect(c->display);
	free(c);
	th_check(th_server_alive(server), "sluice died");
	th_check(bystander_presents(), "the bystander client stopped getting frames");
}

/* Bytes that are no Wayland message at all: the client is cut off, nothing else happens. */
static void
garbage_bytes(const void *unused)
{
	th_require(server);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int len = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", server->runtime_dir,
			   server->socket);
	th_require(len > 0 && (size_t)len < sizeof(addr.sun_path));
	th_require(fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	/* More than any header in it can claim (its first declares 3817 bytes). */
	uint8_t junk[8192];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	th_check(write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk));
	/* sluice answers with an error or just closes; either way the connection ends. */
	char buf[512];
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	bool closed = false;
	for (int i = 0; i < 50 && !closed; i++)
		if (poll(&pfd, 1, 100) > 0)
			closed = read(fd, buf, sizeof(buf)) <= 0;
	close(fd);
	th_check(closed, "the connection stayed open after garbage");
	th_check(th_server_alive(server), "sluice died");
	th_check(bystander_presents(), "the bystander client stopped getting frames");
}

/*
 * Destruction in orders the protocol allows or tolerates: a parent surface before its
 * subsurface, a wl_surface before its xdg_surface and toplevel, a shown buffer before its
 * surface. No error, nothing freed twice (ASan checks), and the rest keeps working.
 */
static void
odd_destroy_orders(const void *unused)
{
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c);
	struct wl_surface *parent = wl_compositor_create_surface(c->compositor);
	struct wl_surface *child = wl_compositor_create_surface(c->compositor);
	struct wl_subsurface *sub =
		wl_subcompositor_get_subsurface(c->subcompositor, child, parent);
	struct th_buffer *b = th_shm_buffer_create(c, 32, 32, WL_SHM_FORMAT_XRGB8888);
	wl_surface_attach(child, b->buffer, 0, 0);
	wl_surface_commit(child);
	wl_surface_destroy(parent);
	wl_subsurface_set_position(sub, 5, 5);
	wl_surface_commit(child);
	wl_subsurface_destroy(sub);
	wl_surface_destroy(child);

	struct th_window *w = th_window_create(c);
	if (th_check(w)) {
		struct th_presented p;
		wl_surface_attach(w->surface, b->buffer, 0, 0);
		th_check(th_commit_and_wait(c, w->surface, &p));
		th_buffer_destroy(b);
		b = NULL;
		wl_surface_destroy(w->surface);
		xdg_toplevel_set_title(w->toplevel, "orphan");
		xdg_toplevel_destroy(w->toplevel);
		xdg_surface_destroy(w->xdg_surface);
		free(w);
	}
	th_buffer_destroy(b);
	th_check(th_roundtrip(c), "no protocol error for a tolerated order");
	th_client_destroy(c);
	th_check(th_server_alive(server), "sluice died");
	th_check(bystander_presents(), "the bystander client stopped getting frames");
}

static void
finish(void)
{
	th_buffer_destroy(bystander_buffer);
	th_window_destroy(bystander_window);
	th_client_destroy(bystander);
	/* Exit status 0 under ASan: nothing the bad clients did leaked or corrupted memory. */
	th_server_stop(server);
}

int
main(int argc, char *argv[])
{
	printf("TAP version 13\n1..%zu\n", N_CASES + 3);
	int failed = 0;
	for (size_t i = 0; i < N_CASES; i++)
		failed += th_run_one(cases[i].name, (void (*)(const void *))run_case, &cases[i],
				     (unsigned)i + 1);
	failed += th_run_one("garbage-bytes", garbage_bytes, NULL, N_CASES + 1);
	failed += th_run_one("odd-destroy-orders", odd_destroy_orders, NULL, N_CASES + 2);
	failed += th_run_one("compositor-exits-cleanly", (void (*)(const void *))finish, NULL,
			     N_CASES + 3);
	return failed ? 1 : 0;
}
