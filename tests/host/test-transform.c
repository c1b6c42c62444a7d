/*
 * Output transforms on the headless backend (pixman): for each of the eight, what clients are
 * told (wl_output's transform and mode, xdg-output's logical size, the toplevel's configured
 * size), where a window's pixels land in the output's pixels, a client that pre-rotates its
 * buffer shown pixel for pixel, per-output choices, and grim turning a screenshot upright.
 *
 * The expected positions are worked out here from the protocol's own words (a flip around the
 * vertical axis first, then counter-clockwise turns), not from the compositor's matrices.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

enum { W = 640, H = 480 };

#define names th_transform_names

/* xdg-output's logical size of output index. */
static bool
logical_size(struct th_client *c, int index, int32_t *w, int32_t *h)
{
	if (!th_check(c->xdg_output, "no zxdg_output_manager_v1"))
		return false;
	struct th_xdg_output info = {0};
	struct zxdg_output_v1 *o = th_xdg_output_get(c, index, &info);
	/* Version 3 ends with wl_output.done, which the harness has seen already. */
	bool ok = th_roundtrip(c) && th_check(info.width > 0, "no zxdg_output_v1.logical_size");
	zxdg_output_v1_destroy(o);
	*w = info.width;
	*h = info.height;
	return ok;
}

/* Output pixels of the capture that differ from the layout pattern moved by transform t. */
static int
layout_mismatches(const struct th_capture *cap, uint32_t t, int32_t lw, int32_t lh, uint32_t seed)
{
	int bad = 0;
	for (int32_t ly = 0; ly < lh; ly++)
		for (int32_t lx = 0; lx < lw; lx++) {
			int32_t px, py;
			th_transform_point(t, lw, lh, lx, ly, &px, &py);
			uint32_t got = th_capture_pixel(cap, px, py) & 0xffffff;
			uint32_t want = th_pattern_pixel(seed, lx, ly) & 0xffffff;
			if (got != want && bad++ < 3)
				th_note("%s: layout (%d,%d) at pixel (%d,%d): 0x%06x, want 0x%06x",
					names[t], lx, ly, px, py, got, want);
		}
	return bad;
}

static struct th_server *
start(const char *const *transform_args)
{
	char mode[32];
	snprintf(mode, sizeof(mode), "%dx%d@60", W, H);
	const char *args[12] = {"--headless", mode};
	int n = 2;
	for (int i = 0; transform_args[i] && n < 11; i++)
		args[n++] = transform_args[i];
	args[n] = NULL;
	return th_server_start(args);
}

/*
 * Every transform: what the client hears, and a window's pattern (drawn upright in the layout)
 * turned into the output's pixels; then the same window pre-rotated by the client (a
 * mode-sized buffer with buffer_transform t), which must show as the buffer is.
 */
static void
test_each_transform(void)
{
	for (uint32_t t = 0; t < 8; t++) {
		const char *const args[] = {"--transform", names[t], NULL};
		struct th_server *server = start(args);
		struct th_client *c = server ? th_client_connect(server) : NULL;
		struct th_window *window = c ? th_window_create(c) : NULL;
		if (!th_check(window, "%s: no server, client or window", names[t])) {
			th_client_destroy(c);
			th_server_stop(server);
			continue;
		}
		bool swapped = t & 1;
		int32_t lw = swapped ? H : W, lh = swapped ? W : H;
		int32_t xw = 0, xh = 0;
		th_check(c->outputs[0].transform == (int32_t)t, "%s: wl_output.geometry says %d",
			 names[t], c->outputs[0].transform);
		th_check(c->outputs[0].width == W && c->outputs[0].height == H,
			 "%s: mode %dx%d, want the display's %dx%d", names[t], c->outputs[0].width,
			 c->outputs[0].height, W, H);
		if (logical_size(c, 0, &xw, &xh))
			th_check(xw == lw && xh == lh,
				 "%s: xdg-output logical size %dx%d, want %dx%d", names[t], xw, xh,
				 lw, lh);
		th_check(window->width == lw && window->height == lh,
			 "%s: toplevel configured %dx%d, want %dx%d", names[t], window->width,
			 window->height, lw, lh);

		struct th_buffer *shown = window->width == lw && window->height == lh
						  ? th_show_pattern(c, window, 3 + t)
						  : NULL;
		struct th_capture cap;
		if (th_check(shown, "%s: pattern not presented", names[t]) &&
		    th_check(th_capture_output(c, 0, &cap), "%s: no capture", names[t])) {
			if (th_check(cap.width == W && cap.height == H,
				     "%s: capture %dx%d, want the output's pixels %dx%d", names[t],
				     cap.width, cap.height, W, H))
				th_check(layout_mismatches(&cap, t, lw, lh, 3 + t) == 0,
					 "%s: the window's pixels are not where the transform puts "
					 "them",
					 names[t]);
			th_capture_finish(&cap);
		}

		/* Pre-rotated: the buffer is already as the display's pixels. */
		struct th_buffer *rotated = th_shm_buffer_create(c, W, H, 1);
		struct th_presented p;
		if (th_check(rotated, "%s: no buffer", names[t])) {
			th_buffer_pattern(rotated, 40 + t);
			wl_surface_set_buffer_transform(window->surface, (int32_t)t);
			wl_surface_attach(window->surface, rotated->buffer, 0, 0);
			wl_surface_damage_buffer(window->surface, 0, 0, W, H);
			if (th_check(th_commit_and_wait(c, window->surface, &p),
				     "%s: pre-rotated buffer not presented", names[t]) &&
			    th_check(th_capture_output(c, 0, &cap), "%s: no capture", names[t])) {
				int bad = 0;
				for (int32_t y = 0; y < H; y++)
					for (int32_t x = 0; x < W; x++)
						if ((th_capture_pixel(&cap, x, y) & 0xffffff) !=
							    (th_pattern_pixel(40 + t, x, y) &
							     0xffffff) &&
						    bad++ < 3)
							th_note("%s: pre-rotated (%d,%d) differs",
								names[t], x, y);
				th_check(bad == 0,
					 "%s: %d pixels of a pre-rotated buffer differ from it",
					 names[t], bad);
				th_capture_finish(&cap);
			}
		}
		th_buffer_destroy(rotated);
		th_buffer_destroy(shown);
		th_window_destroy(window);
		th_client_destroy(c);
		th_server_stop(server);
	}
}

/* A choice for every output, one for a named output, and the named one wins. */
static void
test_per_output(void)
{
	char mode[32];
	snprintf(mode, sizeof(mode), "%dx%d@60", W, H);
	const char *const args[] = {"--headless",  mode,	  "--headless",
				    mode,	   "--transform", "HEADLESS-2:flipped-180",
				    "--transform", "90",	  NULL};
	struct th_server *server = th_server_start(args);
	struct th_client *c = server ? th_client_connect(server) : NULL;
	th_require(c);
	th_require(c->n_outputs == 2);
	for (int i = 0; i < 2; i++) {
		int want = strcmp(c->outputs[i].name, "HEADLESS-2") == 0 ? 6 : 1;
		int32_t w, h;
		th_check(c->outputs[i].transform == want, "%s: transform %d, want %d",
			 c->outputs[i].name, c->outputs[i].transform, want);
		if (logical_size(c, i, &w, &h))
			th_check(want == 1 ? (w == H && h == W) : (w == W && h == H),
				 "%s: logical size %dx%d", c->outputs[i].name, w, h);
	}
	th_client_destroy(c);
	th_server_stop(server);
}

/* grim reads wl_output's transform and turns the copy upright: the layout's picture. */
static void
test_grim_upright(void)
{
	const char *const args[] = {"--transform", "90", NULL};
	struct th_server *server = start(args);
	struct th_client *c = server ? th_client_connect(server) : NULL;
	struct th_window *window = c ? th_window_create(c) : NULL;
	th_require(window);
	struct th_buffer *shown = th_show_pattern(c, window, 77);
	th_require(shown);
	/* Turned upright: the window's picture, the layout's size. */
	int bad = th_grim_pattern_mismatches(server, "HEADLESS-1", H, W, 77);
	th_check(bad == 0, "%d pixels of grim's upright picture differ", bad);
	th_buffer_destroy(shown);
	th_window_destroy(window);
	th_client_destroy(c);
	th_server_stop(server);
}

TH_MAIN({"each-transform", test_each_transform}, {"per-output", test_per_output},
	{"grim-upright", test_grim_upright})
