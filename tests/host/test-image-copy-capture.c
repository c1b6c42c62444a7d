/*
 * ext-image-copy-capture on an output source, on the headless backend: the session's buffer
 * constraints, a frame copied pixel for pixel with its metadata, damage since the session's
 * last frame (all of it first, then the tiles of a change, and a wait while nothing changes),
 * a buffer that misses the constraints (an event, not an error), and paint_cursors. Protocol errors
 * are in test-protocol-errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

enum { W = 640, H = 480, TILE = 32 };

struct fixture {
	struct th_server *server;
	struct th_client *client;
	struct th_window *window;
	struct th_buffer *shown;
	struct th_image_session session;
};

static bool
setup(struct fixture *f, uint32_t seed)
{
	*f = (struct fixture){0};
	char mode[32];
	snprintf(mode, sizeof(mode), "%dx%d@60", W, H);
	const char *const args[] = {"--headless", mode, NULL};
	f->server = th_server_start(args);
	if (!f->server || !(f->client = th_client_connect(f->server)) ||
	    !(f->window = th_window_create(f->client)))
		return false;
	if (!th_check(f->client->output_sources && f->client->image_copy,
		      "ext-image-copy-capture not offered with --capture"))
		return false;
	f->shown = th_show_pattern(f->client, f->window, seed);
	return th_check(f->shown, "not presented") &&
	       th_check(th_image_session_open(f->client, 0, 0, &f->session),
			"the session sent no constraints");
}

static void
teardown(struct fixture *f)
{
	th_image_session_close(&f->session);
	th_buffer_destroy(f->shown);
	th_window_destroy(f->window);
	th_client_destroy(f->client);
	th_server_stop(f->server);
}

static int
pattern_mismatches(const struct th_buffer *b, uint32_t seed)
{
	int bad = 0;
	for (int32_t y = 0; y < b->height; y++)
		for (int32_t x = 0; x < b->width; x++) {
			uint32_t got =
				((const uint32_t *)
					 b->data)[(size_t)y * (size_t)b->stride / 4 + (size_t)x] &
				0xffffff;
			uint32_t want = th_pattern_pixel(seed, x, y) & 0xffffff;
			if (got != want && bad++ < 3)
				th_note("(%d,%d): 0x%06x, want 0x%06x", x, y, got, want);
		}
	return bad;
}

/* Whether the damage covers (x, y, w, h) exactly up to its 32x32 tiles. */
static bool
damage_matches(const struct th_image_frame *frame, int32_t x, int32_t y, int32_t w, int32_t h)
{
	int32_t tx1 = x / TILE * TILE, ty1 = y / TILE * TILE;
	int32_t tx2 = (x + w + TILE - 1) / TILE * TILE, ty2 = (y + h + TILE - 1) / TILE * TILE;
	tx2 = tx2 < W ? tx2 : W;
	ty2 = ty2 < H ? ty2 : H;
	long long area = 0;
	for (int i = 0; i < frame->n_damage; i++) {
		const struct rect *d = &frame->damage[i];
		if ((int32_t)d->x < tx1 || (int32_t)d->y < ty1 || (int32_t)(d->x + d->w) > tx2 ||
		    (int32_t)(d->y + d->h) > ty2) {
			th_note("damage %u,%u %ux%u outside %d,%d-%d,%d", d->x, d->y, d->w, d->h,
				tx1, ty1, tx2, ty2);
			return false;
		}
		area += (long long)d->w * d->h;
	}
	/* A pixman region's rectangles do not overlap: the tiles, whole. */
	return area == (long long)(tx2 - tx1) * (ty2 - ty1);
}

/* Constraints: the output's size, XRGB8888 in wl_shm, and no dma-buf device on headless. */
static void
test_constraints(void)
{
	struct fixture f;
	if (setup(&f, 1)) {
		struct th_image_session *s = &f.session;
		th_check(s->width == W && s->height == H, "buffer_size %ux%u", s->width, s->height);
		th_check(s->n_shm_formats == 1 && s->shm_formats[0] == WL_SHM_FORMAT_XRGB8888,
			 "%d shm formats, the first %#x", s->n_shm_formats, s->shm_formats[0]);
		th_check(!s->has_device && s->n_dmabuf_formats == 0,
			 "dma-buf constraints on a backend with no device");
		th_check(s->n_done == 1 && !s->stopped);
	}
	teardown(&f);
}

/*
 * A frame into a wl_shm buffer: the pattern exactly, transform normal, the presentation time of
 * a frame made after the request, all of it damaged as the session's first.
 */
static void
test_frame(void)
{
	struct fixture f;
	if (setup(&f, 7)) {
		struct th_buffer *b = th_shm_buffer_create(f.client, W, H, 1);
		struct th_image_frame frame;
		int64_t before = th_now_ns();
		bool ready =
			th_image_session_capture(f.client, &f.session, b->buffer, 3000, &frame);
		if (th_check(ready, "not ready (failed %d, reason %u)", frame.failed,
			     frame.reason)) {
			th_check(pattern_mismatches(b, 7) == 0, "the copy differs");
			th_check(frame.transform_sent &&
					 frame.transform == WL_OUTPUT_TRANSFORM_NORMAL,
				 "transform %u", frame.transform);
			th_check(frame.time_ns >= before && frame.time_ns <= th_now_ns(),
				 "presentation_time is not the frame's");
			th_check(damage_matches(&frame, 0, 0, W, H),
				 "the first frame is not all damage");
		}
		th_buffer_destroy(b);
	}
	teardown(&f);
}

/*
 * Damage since the session's last frame: after a change, its tiles only, with the new pixels;
 * with nothing changed the capture waits (no frame is made for it) until a commit changes
 * something. A second session has its own history: its first frame is all damage.
 */
static void
test_damage(void)
{
	struct fixture f;
	if (setup(&f, 3)) {
		struct th_buffer *b = th_shm_buffer_create(f.client, W, H, 1);
		struct th_image_frame frame;
		th_check(th_image_session_capture(f.client, &f.session, b->buffer, 3000, &frame));

		struct th_buffer *next = th_shm_buffer_create(f.client, W, H, 1);
		th_buffer_pattern(next, 3);
		th_buffer_fill(next, 300, 200, 50, 40, 0xff123456u);
		wl_surface_attach(f.window->surface, next->buffer, 0, 0);
		wl_surface_damage_buffer(f.window->surface, 300, 200, 50, 40);
		struct th_presented p;
		th_check(th_commit_and_wait(f.client, f.window->surface, &p));
		if (th_check(
			    th_image_session_capture(f.client, &f.session, b->buffer, 3000, &frame),
			    "second: not ready")) {
			th_check(damage_matches(&frame, 300, 200, 50, 40),
				 "second: %d damage rectangles, not the change's tiles",
				 frame.n_damage);
			uint32_t px = ((uint32_t *)b->data)[(size_t)210 * W + 310] & 0xffffff;
			th_check(px == 0x123456, "second: 0x%06x inside the change", px);
		}

		/* Nothing changed: no answer in 300 ms (the frame is then destroyed waiting). */
		struct th_image_frame result;
		th_check(!th_image_session_capture(f.client, &f.session, b->buffer, 300, &result) &&
				 !result.failed,
			 "answered with nothing changed");
		/* A change since the last ready frame: the next frame has its tiles only. */
		struct th_image_frame last;
		th_buffer_fill(next, 0, 0, 16, 16, 0xffabcdefu);
		wl_surface_attach(f.window->surface, next->buffer, 0, 0);
		wl_surface_damage_buffer(f.window->surface, 0, 0, 16, 16);
		wl_surface_commit(f.window->surface);
		if (th_check(th_image_session_capture(f.client, &f.session, b->buffer, 3000, &last),
			     "the change ended no wait"))
			th_check(damage_matches(&last, 0, 0, 16, 16), "%d damage rectangles",
				 last.n_damage);

		struct th_image_session other;
		th_require(th_image_session_open(f.client, 0, 0, &other));
		if (th_check(th_image_session_capture(f.client, &other, b->buffer, 3000, &frame),
			     "second session: not ready"))
			th_check(damage_matches(&frame, 0, 0, W, H),
				 "a new session's first frame is not all damage");
		th_image_session_close(&other);
		th_buffer_destroy(next);
		th_buffer_destroy(b);
	}
	teardown(&f);
}

/*
 * Refusals that are events: a buffer of the wrong size fails with buffer_constraints and the
 * session goes on; paint_cursors is taken (the pixels are the screen's either way). Cursor
 * sessions need a wl_pointer, so their refusal is tested where there is one (test-vm-input).
 */
static void
test_refusals(void)
{
	struct fixture f;
	if (setup(&f, 5)) {
		struct th_buffer *small = th_shm_buffer_create(f.client, 16, 16, 1);
		struct th_image_frame frame;
		bool ready =
			th_image_session_capture(f.client, &f.session, small->buffer, 3000, &frame);
		th_check(
			!ready && frame.failed &&
				frame.reason ==
					EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS,
			"failed %d, reason %u", frame.failed, frame.reason);
		struct th_buffer *b = th_shm_buffer_create(f.client, W, H, 1);
		th_check(th_image_session_capture(f.client, &f.session, b->buffer, 3000, &frame) &&
				 pattern_mismatches(b, 5) == 0,
			 "the session did not go on after a refused buffer");

		struct th_image_session painted;
		th_check(th_image_session_open(
				 f.client, 0,
				 EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_OPTIONS_PAINT_CURSORS,
				 &painted) &&
				 th_image_session_capture(f.client, &painted, b->buffer, 3000,
							  &frame),
			 "paint_cursors refused");
		th_image_session_close(&painted);

		th_buffer_destroy(small);
		th_buffer_destroy(b);
	}
	teardown(&f);
}

TH_MAIN({"constraints", test_constraints}, {"frame", test_frame}, {"damage", test_damage},
	{"refusals", test_refusals})
