/*
 * zwlr_screencopy_manager_v1 on the headless backend: whole outputs and regions copied pixel for
 * pixel, the buffer descriptions of each version, copy_with_damage waiting for a change and
 * saying where it was, and grim (Debian 12's screenshot tool, which speaks this protocol)
 * taking a screenshot that matches the client's pattern exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

enum { W = 640, H = 480, TILE = 32 };

struct fixture {
	struct th_server *server;
	struct th_client *client;
	struct th_window *window;
	struct th_buffer *shown;
};

/* A fullscreen toplevel showing pattern seed. */
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
	if (!th_check(f->client->screencopy,
		      "zwlr_screencopy_manager_v1 not offered with --capture"))
		return false;
	f->shown = th_show_pattern(f->client, f->window, seed);
	return th_check(f->shown, "not presented");
}

static void
teardown(struct fixture *f)
{
	th_buffer_destroy(f->shown);
	th_window_destroy(f->window);
	th_client_destroy(f->client);
	th_server_stop(f->server);
}

/*
 * A frame of output 0 (region NULL: all of it) copied into a fitting shm buffer, returned in
 * *out (NULL if the frame failed before its descriptions).
 */
static bool
screencopy(struct th_client *c, const int32_t *region, bool with_damage, int timeout_ms,
	   struct th_screencopy *copy, struct th_buffer **out)
{
	*out = NULL;
	struct zwlr_screencopy_frame_v1 *frame = th_screencopy_start(c, region, copy);
	bool ready = false;
	if (!copy->failed && copy->buffer) {
		*out = th_shm_buffer_create(c, (int32_t)copy->width, (int32_t)copy->height, 1);
		ready = th_screencopy_copy(c, frame, (*out)->buffer, with_damage, timeout_ms, copy);
	}
	zwlr_screencopy_frame_v1_destroy(frame);
	return ready;
}

/* Pixels of the copy that differ from the pattern at offset (x0, y0); the first few noted. */
static int
pattern_mismatches(const struct th_buffer *b, uint32_t seed, int32_t x0, int32_t y0)
{
	int bad = 0;
	for (int32_t y = 0; y < b->height; y++)
		for (int32_t x = 0; x < b->width; x++) {
			uint32_t got =
				((const uint32_t *)
					 b->data)[(size_t)y * (size_t)b->stride / 4 + (size_t)x] &
				0xffffff;
			uint32_t want = th_pattern_pixel(seed, x0 + x, y0 + y) & 0xffffff;
			if (got != want && bad++ < 3)
				th_note("(%d,%d): 0x%06x, want 0x%06x", x, y, got, want);
		}
	return bad;
}

static void
test_whole_output(void)
{
	struct fixture f;
	if (setup(&f, 7)) {
		struct th_screencopy copy;
		struct th_buffer *b;
		int64_t before = th_now_ns();
		if (th_check(screencopy(f.client, NULL, false, 3000, &copy, &b), "no ready")) {
			th_check(copy.format == WL_SHM_FORMAT_XRGB8888 && copy.width == W &&
					 copy.height == H && copy.stride == W * 4,
				 "buffer %u %ux%u stride %u", copy.format, copy.width, copy.height,
				 copy.stride);
			th_check(f.client->screencopy_version == 3 && copy.linux_dmabuf &&
					 copy.dmabuf_format == 0x34325258 /* XR24 */,
				 "version %u: no linux_dmabuf XRGB8888 event",
				 f.client->screencopy_version);
			th_check(copy.flags, "no flags event before ready");
			th_check(copy.time_ns >= before && copy.time_ns <= th_now_ns(),
				 "ready's time is not the frame's presentation");
			th_check(pattern_mismatches(b, 7, 0, 0) == 0, "the copy differs");
		}
		th_buffer_destroy(b);
	}
	teardown(&f);
}

/* A region inside, one cut by the output's edge, and one outside it (failed). */
static void
test_regions(void)
{
	struct fixture f;
	if (setup(&f, 11)) {
		static const struct {
			int32_t region[4];
			int32_t x, y, w, h; /* expected box; w 0: failed */
		} cases[] = {
			{{100, 50, 200, 120}, 100, 50, 200, 120},
			{{600, 400, 100, 100}, 600, 400, 40, 80},
			{{-20, -10, 50, 30}, 0, 0, 30, 20},
			{{700, 0, 10, 10}, 0, 0, 0, 0},
			{{10, 10, 0, 5}, 0, 0, 0, 0},
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct th_screencopy copy;
			struct th_buffer *b;
			bool ready = screencopy(f.client, cases[i].region, false, 3000, &copy, &b);
			if (cases[i].w == 0) {
				th_check(!ready && copy.failed, "case %zu: not failed", i);
			} else if (th_check(ready, "case %zu: no ready", i)) {
				th_check(b->width == cases[i].w && b->height == cases[i].h,
					 "case %zu: %dx%d", i, b->width, b->height);
				th_check(pattern_mismatches(b, 11, cases[i].x, cases[i].y) == 0,
					 "case %zu: the copy differs", i);
			}
			th_buffer_destroy(b);
		}
	}
	teardown(&f);
}

/* Whether the damage rectangles cover (x, y, w, h) and stay within its tiles. */
static bool
damage_matches(const struct th_screencopy *copy, int32_t x, int32_t y, int32_t w, int32_t h)
{
	int32_t tx1 = x / TILE * TILE, ty1 = y / TILE * TILE;
	int32_t tx2 = (x + w + TILE - 1) / TILE * TILE, ty2 = (y + h + TILE - 1) / TILE * TILE;
	long long covered = 0;
	for (int i = 0; i < copy->n_damage; i++) {
		int32_t dx = (int32_t)copy->damage[i].x, dy = (int32_t)copy->damage[i].y;
		int32_t dw = (int32_t)copy->damage[i].w, dh = (int32_t)copy->damage[i].h;
		if (dx < tx1 || dy < ty1 || dx + dw > tx2 || dy + dh > ty2) {
			th_note("damage %d,%d %dx%d outside %d,%d-%d,%d", dx, dy, dw, dh, tx1, ty1,
				tx2, ty2);
			return false;
		}
		int32_t ix1 = dx > x ? dx : x, iy1 = dy > y ? dy : y;
		int32_t ix2 = dx + dw < x + w ? dx + dw : x + w;
		int32_t iy2 = dy + dh < y + h ? dy + dh : y + h;
		if (ix2 > ix1 && iy2 > iy1)
			covered += (long long)(ix2 - ix1) * (iy2 - iy1);
	}
	/* The rectangles of a pixman region do not overlap. */
	return covered == (long long)w * h;
}

/*
 * copy_with_damage: the first reports everything; after a change, only the tiles of the change;
 * with nothing changed it waits (no frame is even made for it) until something changes.
 */
static void
test_damage(void)
{
	struct fixture f;
	if (setup(&f, 3)) {
		struct th_screencopy copy;
		struct th_buffer *b;
		if (th_check(screencopy(f.client, NULL, true, 3000, &copy, &b), "first: no ready"))
			th_check(damage_matches(&copy, 0, 0, W, H), "first: not all damaged");
		th_buffer_destroy(b);

		/* Changed: a rectangle across tile edges. */
		struct th_buffer *next = th_shm_buffer_create(f.client, W, H, 1);
		th_buffer_pattern(next, 3);
		th_buffer_fill(next, 300, 200, 50, 40, 0xff123456u);
		wl_surface_attach(f.window->surface, next->buffer, 0, 0);
		wl_surface_damage_buffer(f.window->surface, 300, 200, 50, 40);
		struct th_presented p;
		th_check(th_commit_and_wait(f.client, f.window->surface, &p));
		if (th_check(screencopy(f.client, NULL, true, 3000, &copy, &b),
			     "second: no ready")) {
			th_check(damage_matches(&copy, 300, 200, 50, 40),
				 "second: %d damage rectangles, not the change's tiles",
				 copy.n_damage);
			uint32_t px = ((uint32_t *)b->data)[(size_t)210 * W + 310] & 0xffffff;
			th_check(px == 0x123456, "second: 0x%06x inside the change", px);
		}
		th_buffer_destroy(b);

		/* Unchanged: the copy waits, and a later change ends the wait. */
		struct zwlr_screencopy_frame_v1 *frame = th_screencopy_start(f.client, NULL, &copy);
		b = th_shm_buffer_create(f.client, W, H, 1);
		th_check(!th_screencopy_copy(f.client, frame, b->buffer, true, 300, &copy) &&
				 !copy.failed,
			 "ready with nothing changed");
		th_buffer_fill(f.shown, 0, 0, 16, 16, 0xffabcdefu);
		wl_surface_attach(f.window->surface, f.shown->buffer, 0, 0);
		wl_surface_damage_buffer(f.window->surface, 0, 0, 16, 16);
		wl_surface_commit(f.window->surface);
		th_check(th_dispatch_until(f.client, &copy.ready, 3000),
			 "the change ended no wait");
		/* The whole buffer changed back to the pattern, and the corner changed again. */
		th_check(copy.n_damage > 0, "no damage");
		zwlr_screencopy_frame_v1_destroy(frame);
		th_buffer_destroy(b);
		th_buffer_destroy(next);
	}
	teardown(&f);
}

struct global_probe {
	uint32_t name;
};

static void
probe_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
	     uint32_t version)
{
	if (strcmp(interface, zwlr_screencopy_manager_v1_interface.name) == 0)
		((struct global_probe *)data)->name = name;
}

static void
probe_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener probe_listener = {probe_global, probe_global_remove};

/* A version 1 client: only the wl_shm description, no buffer_done; the copy works as before. */
static void
test_version_1(void)
{
	struct fixture f;
	if (setup(&f, 5)) {
		struct global_probe probe = {0};
		struct wl_registry *registry = wl_display_get_registry(f.client->display);
		wl_registry_add_listener(registry, &probe_listener, &probe);
		th_roundtrip(f.client);
		th_require(probe.name);
		zwlr_screencopy_manager_v1_destroy(f.client->screencopy);
		f.client->screencopy = wl_registry_bind(registry, probe.name,
							&zwlr_screencopy_manager_v1_interface, 1);
		f.client->screencopy_version = 1;
		struct th_screencopy copy;
		struct th_buffer *b;
		if (th_check(screencopy(f.client, NULL, false, 3000, &copy, &b), "no ready")) {
			th_check(copy.buffer && !copy.linux_dmabuf && !copy.buffer_done,
				 "version 1 got version 3's events");
			th_check(pattern_mismatches(b, 5, 0, 0) == 0, "the copy differs");
		}
		th_buffer_destroy(b);
		wl_registry_destroy(registry);
	}
	teardown(&f);
}

/* grim, the screenshot tool: its PPM is the client's pattern, pixel for pixel. */
static void
test_grim(void)
{
	struct fixture f;
	if (setup(&f, 9)) {
		int bad = th_grim_pattern_mismatches(f.server, "HEADLESS-1", W, H, 9);
		th_check(bad == 0, "%d pixels of grim's screenshot differ", bad);
	}
	teardown(&f);
}

TH_MAIN({"whole-output", test_whole_output}, {"regions", test_regions}, {"damage", test_damage},
	{"version-1", test_version_1}, {"grim", test_grim})
