/* What a client draws reaches the output unchanged: checked pixel by pixel through capture. */
#include <string.h>

#include "harness.h"

#define BLACK 0xff000000u
#define RED 0xffff0000u
#define GREEN 0xff00ff00u
#define BLUE 0xff0000ffu
#define WHITE 0xffffffffu

struct fixture {
	struct th_server *server;
	struct th_client *client;
	struct th_window *window;
};

static bool
setup(struct fixture *f, const char *const *args)
{
	*f = (struct fixture){0};
	f->server = th_server_start(args);
	if (!f->server)
		return false;
	f->client = th_client_connect(f->server);
	if (!f->client)
		return false;
	f->window = th_window_create(f->client);
	return f->window != NULL;
}

static void
teardown(struct fixture *f)
{
	th_window_destroy(f->window);
	th_client_destroy(f->client);
	th_server_stop(f->server);
}

static bool
present(struct fixture *f, struct th_buffer *buffer)
{
	struct th_presented p;
	wl_surface_attach(f->window->surface, buffer->buffer, 0, 0);
	wl_surface_damage_buffer(f->window->surface, 0, 0, INT32_MAX, INT32_MAX);
	return th_check(th_commit_and_wait(f->client, f->window->surface, &p), "not presented");
}

/* Counts pixels of the capture rectangle that differ from expect(x, y). */
static int
count_mismatches(const struct th_capture *cap, int32_t x0, int32_t y0, int32_t w, int32_t h,
		 uint32_t (*expect)(int32_t x, int32_t y, void *data), void *data)
{
	int bad = 0;
	for (int32_t y = y0; y < y0 + h; y++) {
		for (int32_t x = x0; x < x0 + w; x++) {
			uint32_t want = expect(x, y, data), got = th_capture_pixel(cap, x, y);
			if (got != want && bad++ < 5)
				th_note("pixel (%d,%d) is %08x, expected %08x", x, y, got, want);
		}
	}
	return bad;
}

static uint32_t
expect_pattern(int32_t x, int32_t y, void *data)
{
	return th_pattern_pixel(*(uint32_t *)data, x, y);
}

static void
test_fullscreen_exact(void)
{
	struct fixture f;
	if (setup(&f, NULL)) {
		th_check(f.window->width == 1024 && f.window->height == 768,
			 "configured %dx%d, expected the output size", f.window->width,
			 f.window->height);
		th_check(f.window->fullscreen && f.window->activated);
		struct th_buffer *buffer = th_shm_buffer_create(f.client, 1024, 768, 1);
		uint32_t seed = 0x5eed;
		th_buffer_pattern(buffer, seed);
		if (present(&f, buffer)) {
			struct th_capture cap;
			if (th_capture_output(f.client, 0, &cap)) {
				int bad = count_mismatches(&cap, 0, 0, 1024, 768, expect_pattern,
							   &seed);
				if (!th_check(bad == 0, "%d pixels differ", bad))
					th_capture_save(&cap, "fullscreen-exact");
				th_capture_finish(&cap);
			}
		}
		th_buffer_destroy(buffer);
	}
	teardown(&f);
}

struct placed {
	int32_t x, y, w, h;
	uint32_t seed;
};

static uint32_t
expect_placed_pattern(int32_t x, int32_t y, void *data)
{
	struct placed *p = data;
	if (x < p->x || y < p->y || x >= p->x + p->w || y >= p->y + p->h)
		return BLACK;
	return th_pattern_pixel(p->seed, x - p->x, y - p->y);
}

static void
test_small_centred(void)
{
	struct fixture f;
	if (setup(&f, NULL)) {
		struct th_buffer *buffer = th_shm_buffer_create(f.client, 200, 100, 1);
		struct placed p = {(1024 - 200) / 2, (768 - 100) / 2, 200, 100, 77};
		th_buffer_pattern(buffer, p.seed);
		if (present(&f, buffer)) {
			struct th_capture cap;
			if (th_capture_output(f.client, 0, &cap)) {
				int bad = count_mismatches(&cap, 0, 0, 1024, 768,
							   expect_placed_pattern, &p);
				if (!th_check(bad == 0, "%d pixels differ", bad))
					th_capture_save(&cap, "small-centred");
				th_capture_finish(&cap);
			}
		}
		th_buffer_destroy(buffer);
	}
	teardown(&f);
}

static void
test_damage_partial(void)
{
	/* Only the damaged part is redrawn, and the rest of the frame must stay intact. */
	struct fixture f;
	if (setup(&f, NULL)) {
		struct th_buffer *a = th_shm_buffer_create(f.client, 1024, 768, 1);
		struct th_buffer *b = th_shm_buffer_create(f.client, 1024, 768, 1);
		th_buffer_fill(a, 0, 0, 1024, 768, BLUE);
		th_buffer_fill(b, 0, 0, 1024, 768, BLUE);
		th_buffer_fill(b, 100, 100, 50, 50, RED);
		th_buffer_fill(b, 600, 300, 10, 10, GREEN);
		if (present(&f, a)) {
			struct th_presented p;
			wl_surface_attach(f.window->surface, b->buffer, 0, 0);
			wl_surface_damage_buffer(f.window->surface, 100, 100, 50, 50);
			/* The green square is outside the damage: the client said it did not
			 * change, so the compositor may keep the old (blue) pixels there. */
			th_check(th_commit_and_wait(f.client, f.window->surface, &p));
			struct th_capture cap;
			if (th_capture_output(f.client, 0, &cap)) {
				th_check(th_capture_pixel(&cap, 100, 100) == RED);
				th_check(th_capture_pixel(&cap, 149, 149) == RED);
				th_check(th_capture_pixel(&cap, 150, 150) == BLUE);
				th_check(th_capture_pixel(&cap, 99, 99) == BLUE);
				th_capture_finish(&cap);
			}
			/* A further frame with damage elsewhere keeps the red square. */
			th_buffer_fill(a, 0, 0, 1024, 768, BLUE);
			th_buffer_fill(a, 100, 100, 50, 50, RED);
			th_buffer_fill(a, 500, 500, 20, 20, WHITE);
			wl_surface_attach(f.window->surface, a->buffer, 0, 0);
			wl_surface_damage_buffer(f.window->surface, 500, 500, 20, 20);
			th_check(th_commit_and_wait(f.client, f.window->surface, &p));
			if (th_capture_output(f.client, 0, &cap)) {
				th_check(th_capture_pixel(&cap, 120, 120) == RED);
				th_check(th_capture_pixel(&cap, 510, 510) == WHITE);
				th_capture_finish(&cap);
			}
		}
		th_buffer_destroy(a);
		th_buffer_destroy(b);
	}
	teardown(&f);
}

static void
test_transform_90(void)
{
	struct fixture f;
	if (setup(&f, NULL)) {
		/* A 100x200 buffer rotated by 90 is a 200x100 surface. */
		struct th_buffer *buffer = th_shm_buffer_create(f.client, 100, 200, 1);
		th_buffer_fill(buffer, 0, 0, 100, 200, BLUE);
		th_buffer_fill(buffer, 0, 0, 10, 10, RED);
		wl_surface_set_buffer_transform(f.window->surface, WL_OUTPUT_TRANSFORM_90);
		if (present(&f, buffer)) {
			struct th_capture cap;
			if (th_capture_output(f.client, 0, &cap)) {
				int32_t x0 = (1024 - 200) / 2, y0 = (768 - 100) / 2;
				/* The buffer's top-left pixels show at the surface's top-right. */
				th_check(th_capture_pixel(&cap, x0 + 195, y0 + 5) == RED);
				th_check(th_capture_pixel(&cap, x0 + 189, y0 + 5) == BLUE);
				th_check(th_capture_pixel(&cap, x0 + 5, y0 + 5) == BLUE);
				th_check(th_capture_pixel(&cap, x0 + 199, y0 + 99) == BLUE);
				th_check(th_capture_pixel(&cap, x0 + 200, y0 + 50) == BLACK,
					 "surface must be 200 wide");
				th_check(th_capture_pixel(&cap, x0 + 100, y0 + 100) == BLACK,
					 "surface must be 100 high");
				th_capture_finish(&cap);
			}
		}
		th_buffer_destroy(buffer);
	}
	teardown(&f);
}

static void
test_scale_2(void)
{
	struct fixture f;
	if (setup(&f, NULL)) {
		struct th_buffer *buffer = th_shm_buffer_create(f.client, 200, 200, 1);
		th_buffer_fill(buffer, 0, 0, 200, 200, GREEN);
		th_buffer_fill(buffer, 100, 100, 100, 100, RED);
		wl_surface_set_buffer_scale(f.window->surface, 2);
		if (present(&f, buffer)) {
			struct th_capture cap;
			if (th_capture_output(f.client, 0, &cap)) {
				int32_t x0 = (1024 - 100) / 2, y0 = (768 - 100) / 2;
				th_check(th_capture_pixel(&cap, x0 + 10, y0 + 10) == GREEN);
				th_check(th_capture_pixel(&cap, x0 + 80, y0 + 80) == RED);
				th_check(th_capture_pixel(&cap, x0 + 100, y0 + 50) == BLACK,
					 "a 200x200 buffer at scale 2 is 100x100");
				th_check(th_capture_pixel(&cap, x0 - 1, y0) == BLACK);
				th_capture_finish(&cap);
			}
		}
		th_buffer_destroy(buffer);
	}
	teardown(&f);
}

static void
test_viewport_crop(void)
{
	struct fixture f;
	if (setup(&f, NULL)) {
		struct th_buffer *buffer = th_shm_buffer_create(f.client, 200, 200, 1);
		uint32_t seed = 4242;
		th_buffer_pattern(buffer, seed);
		struct wp_viewport *viewport =
			wp_viewporter_get_viewport(f.client->viewporter, f.window->surface);
		wp_viewport_set_source(viewport, wl_fixed_from_int(50), wl_fixed_from_int(60),
				       wl_fixed_from_int(100), wl_fixed_from_int(80));
		if (present(&f, buffer)) {
			struct th_capture cap;
			if (th_capture_output(f.client, 0, &cap)) {
				int32_t x0 = (1024 - 100) / 2, y0 = (768 - 80) / 2;
				int bad = 0;
				for (int32_t y = 0; y < 80; y++)
					for (int32_t x = 0; x < 100; x++)
						bad += th_capture_pixel(&cap, x0 + x, y0 + y) !=
						       th_pattern_pixel(seed, 50 + x, 60 + y);
				th_check(bad == 0, "%d cropped pixels differ", bad);
				th_check(th_capture_pixel(&cap, x0 + 100, y0) == BLACK);
				th_capture_finish(&cap);
			}
		}
		wp_viewport_destroy(viewport);
		th_buffer_destroy(buffer);
	}
	teardown(&f);
}

static void
test_single_pixel_scaled(void)
{
	struct fixture f;
	if (setup(&f, NULL)) {
		struct wl_buffer *pixel = wp_single_pixel_buffer_manager_v1_create_u32_rgba_buffer(
			f.client->single_pixel, 0, UINT32_MAX, 0, UINT32_MAX);
		struct wp_viewport *viewport =
			wp_viewporter_get_viewport(f.client->viewporter, f.window->surface);
		wp_viewport_set_destination(viewport, 1024, 768);
		wl_surface_attach(f.window->surface, pixel, 0, 0);
		wl_surface_damage_buffer(f.window->surface, 0, 0, 1, 1);
		struct th_presented p;
		if (th_check(th_commit_and_wait(f.client, f.window->surface, &p))) {
			struct th_capture cap;
			if (th_capture_output(f.client, 0, &cap)) {
				th_check(th_capture_pixel(&cap, 0, 0) == GREEN);
				th_check(th_capture_pixel(&cap, 1023, 767) == GREEN);
				th_check(th_capture_pixel(&cap, 512, 384) == GREEN);
				th_capture_finish(&cap);
			}
		}
		wp_viewport_destroy(viewport);
		wl_buffer_destroy(pixel);
	}
	teardown(&f);
}

static void
test_alpha_blend(void)
{
	struct fixture f;
	if (setup(&f, NULL)) {
		struct th_buffer *buffer = th_shm_buffer_create(f.client, 64, 64, 0 /* ARGB */);
		/* Premultiplied half-transparent red over the black background. */
		th_buffer_fill(buffer, 0, 0, 64, 64, 0x80800000u);
		if (present(&f, buffer)) {
			struct th_capture cap;
			if (th_capture_output(f.client, 0, &cap)) {
				uint32_t px = th_capture_pixel(&cap, 512, 384);
				th_check(px == 0xff800000u, "blended pixel %08x", px);
				th_capture_finish(&cap);
			}
		}
		th_buffer_destroy(buffer);
	}
	teardown(&f);
}

static void
test_subsurface_sync(void)
{
	struct fixture f;
	if (setup(&f, NULL)) {
		struct th_client *c = f.client;
		struct th_buffer *parent_buf = th_shm_buffer_create(c, 400, 300, 1);
		struct th_buffer *red = th_shm_buffer_create(c, 50, 50, 1);
		struct th_buffer *green = th_shm_buffer_create(c, 50, 50, 1);
		struct th_buffer *blue = th_shm_buffer_create(c, 50, 50, 1);
		th_buffer_fill(parent_buf, 0, 0, 400, 300, WHITE);
		th_buffer_fill(red, 0, 0, 50, 50, RED);
		th_buffer_fill(green, 0, 0, 50, 50, GREEN);
		th_buffer_fill(blue, 0, 0, 50, 50, BLUE);
		int32_t px = (1024 - 400) / 2 + 10 + 25, py = (768 - 300) / 2 + 20 + 25;

		struct wl_surface *child = wl_compositor_create_surface(c->compositor);
		struct wl_subsurface *sub =
			wl_subcompositor_get_subsurface(c->subcompositor, child, f.window->surface);
		wl_subsurface_set_position(sub, 10, 20);
		wl_surface_attach(child, red->buffer, 0, 0);
		wl_surface_commit(child);
		struct th_capture cap;
		if (present(&f, parent_buf) && th_capture_output(c, 0, &cap)) {
			th_check(th_capture_pixel(&cap, px, py) == RED,
				 "child at parent + (10,20)");
			th_capture_finish(&cap);
		}
		/* Synchronized: the child's commit waits for the parent's. */
		wl_surface_attach(child, green->buffer, 0, 0);
		wl_surface_damage_buffer(child, 0, 0, 50, 50);
		wl_surface_commit(child);
		if (th_capture_output(c, 0, &cap)) {
			th_check(th_capture_pixel(&cap, px, py) == RED,
				 "a synchronized child's commit must not show before the parent's");
			th_capture_finish(&cap);
		}
		struct th_presented p;
		th_check(th_commit_and_wait(c, f.window->surface, &p));
		if (th_capture_output(c, 0, &cap)) {
			th_check(th_capture_pixel(&cap, px, py) == GREEN,
				 "the parent's commit applies the cached child state");
			th_capture_finish(&cap);
		}
		/* Desynchronized: shown on its own commit. */
		wl_subsurface_set_desync(sub);
		wl_surface_attach(child, blue->buffer, 0, 0);
		wl_surface_damage_buffer(child, 0, 0, 50, 50);
		th_check(th_commit_and_wait(c, child, &p));
		if (th_capture_output(c, 0, &cap)) {
			th_check(th_capture_pixel(&cap, px, py) == BLUE);
			th_capture_finish(&cap);
		}
		/* Stacking: below the parent, the child is hidden by the opaque parent. */
		wl_subsurface_place_below(sub, f.window->surface);
		th_check(th_commit_and_wait(c, f.window->surface, &p));
		if (th_capture_output(c, 0, &cap)) {
			th_check(th_capture_pixel(&cap, px, py) == WHITE, "child placed below");
			th_capture_finish(&cap);
		}
		wl_subsurface_destroy(sub);
		wl_surface_destroy(child);
		th_buffer_destroy(parent_buf);
		th_buffer_destroy(red);
		th_buffer_destroy(green);
		th_buffer_destroy(blue);
	}
	teardown(&f);
}

static void
test_two_outputs(void)
{
	static const char *const args[] = {"--headless", "320x240@60", "--headless", "640x480@30",
					   NULL};
	struct fixture f;
	if (setup(&f, args)) {
		th_check(f.client->n_outputs == 2);
		th_check(f.window->width == 320 && f.window->height == 240,
			 "configured to the primary output");
		struct th_buffer *buffer = th_shm_buffer_create(f.client, 320, 240, 1);
		th_buffer_fill(buffer, 0, 0, 320, 240, RED);
		if (present(&f, buffer)) {
			struct th_capture cap;
			if (th_capture_output(f.client, 0, &cap)) {
				th_check(cap.width == 320 && th_capture_pixel(&cap, 0, 0) == RED);
				th_capture_finish(&cap);
			}
			if (th_capture_output(f.client, 1, &cap)) {
				th_check(cap.width == 640);
				th_check(th_capture_pixel(&cap, 160, 120) == RED);
				th_check(th_capture_pixel(&cap, 159, 119) == BLACK);
				th_check(th_capture_pixel(&cap, 479, 359) == RED);
				th_capture_finish(&cap);
			}
		}
		th_buffer_destroy(buffer);
	}
	teardown(&f);
}

static void
test_newest_on_top(void)
{
	struct fixture f;
	if (setup(&f, NULL)) {
		struct th_buffer *a = th_shm_buffer_create(f.client, 1024, 768, 1);
		struct th_buffer *b = th_shm_buffer_create(f.client, 1024, 768, 1);
		th_buffer_fill(a, 0, 0, 1024, 768, RED);
		th_buffer_fill(b, 0, 0, 1024, 768, GREEN);
		present(&f, a);
		struct th_window *second = th_window_create(f.client);
		struct th_capture cap;
		if (second) {
			struct th_presented p;
			wl_surface_attach(second->surface, b->buffer, 0, 0);
			th_check(th_commit_and_wait(f.client, second->surface, &p));
			if (th_capture_output(f.client, 0, &cap)) {
				th_check(th_capture_pixel(&cap, 10, 10) == GREEN, "newest on top");
				th_capture_finish(&cap);
			}
			/* The first window was told it is no longer active (the event was
			 * dispatched while waiting for the second window). */
			th_roundtrip(f.client);
			th_check(f.window->configure_count >= 2 && !f.window->activated,
				 "%d configures, activated %d", f.window->configure_count,
				 f.window->activated);
			xdg_surface_ack_configure(f.window->xdg_surface, f.window->last_serial);
			th_window_destroy(second);
			th_roundtrip(f.client);
			if (th_capture_output(f.client, 0, &cap)) {
				th_check(th_capture_pixel(&cap, 10, 10) == RED,
					 "the older window comes back");
				th_capture_finish(&cap);
			}
		}
		th_buffer_destroy(a);
		th_buffer_destroy(b);
	}
	teardown(&f);
}

static void
test_destroyed_buffer_stays(void)
{
	/* A client destroying its shown buffer does not blank the window. */
	struct fixture f;
	if (setup(&f, NULL)) {
		struct th_buffer *a = th_shm_buffer_create(f.client, 1024, 768, 1);
		th_buffer_fill(a, 0, 0, 1024, 768, BLUE);
		if (present(&f, a)) {
			th_buffer_destroy(a);
			a = NULL;
			th_roundtrip(f.client);
			struct th_capture cap;
			if (th_capture_output(f.client, 0, &cap)) {
				th_check(th_capture_pixel(&cap, 500, 500) == BLUE);
				th_capture_finish(&cap);
			}
		}
		th_buffer_destroy(a);
	}
	teardown(&f);
}

TH_MAIN({"fullscreen-exact", test_fullscreen_exact}, {"small-centred", test_small_centred},
	{"damage-partial", test_damage_partial}, {"transform-90", test_transform_90},
	{"scale-2", test_scale_2}, {"viewport-crop", test_viewport_crop},
	{"single-pixel-scaled", test_single_pixel_scaled}, {"alpha-blend", test_alpha_blend},
	{"subsurface-sync", test_subsurface_sync}, {"two-outputs", test_two_outputs},
	{"newest-on-top", test_newest_on_top},
	{"destroyed-buffer-stays", test_destroyed_buffer_stays})
