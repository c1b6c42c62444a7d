/*
 * A panel that says how it is mounted: the VM boots with vkms.panel_orientation=2 (our kernel
 * patch: the Virtual connector reports "panel orientation" Left Side Up, as a tablet's sideways
 * panel does). sluice turns the output to match by default (transform 90: clients see the turned
 * size, the picture is turned on the panel), and --transform, for all outputs or for this one,
 * wins over it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static char vkms_path[32];

static struct th_server *
start(const char *transform)
{
	const char *const plain[] = {"--backend", "drm", "--drm-device", vkms_path, "--renderer",
				     "pixman",	  NULL};
	const char *const turned[] = {"--backend",   "drm",	   "--drm-device",
				      vkms_path,     "--renderer", "pixman",
				      "--transform", transform,	   NULL};
	return th_server_start(transform ? turned : plain);
}

/* wl_output's transform, the window's size and the pattern's pixels on the panel. */
static void
check_output(struct th_server *server, uint32_t want)
{
	struct th_client *c = th_client_connect(server);
	th_require(c);
	struct th_window *w = th_window_create(c);
	th_require(w);
	th_check(c->outputs[0].transform == (int32_t)want, "wl_output transform %d, want %s",
		 c->outputs[0].transform, th_transform_names[want]);
	bool swapped = want & 1;
	int32_t pw = c->outputs[0].width, ph = c->outputs[0].height;
	th_check(pw == 1024 && ph == 768, "mode %dx%d", pw, ph);
	th_check(w->width == (swapped ? ph : pw) && w->height == (swapped ? pw : ph),
		 "window %dx%d for a %dx%d panel at %s", w->width, w->height, pw, ph,
		 th_transform_names[want]);
	struct th_buffer *shown = th_show_pattern(c, w, 5);
	struct th_capture cap;
	if (th_check(shown, "not presented") && th_check(th_capture_output(c, 0, &cap))) {
		int bad = 0;
		for (int32_t y = 0; y < w->height; y += 3)
			for (int32_t x = 0; x < w->width; x += 3) {
				int32_t px, py;
				th_transform_point(want, w->width, w->height, x, y, &px, &py);
				bad += (th_capture_pixel(&cap, px, py) & 0xffffff) !=
				       (th_pattern_pixel(5, x, y) & 0xffffff);
			}
		th_check(bad == 0, "%d sampled pixels not where %s puts them", bad,
			 th_transform_names[want]);
		th_capture_finish(&cap);
	}
	th_buffer_destroy(shown);
	th_window_destroy(w);
	th_client_destroy(c);
}

static void
test_orientation_default(void)
{
	struct th_server *server = start(NULL);
	th_require(server);
	th_check(th_server_log_count(server, "the panel is mounted Left Side Up: output transform "
					     "90") == 1,
		 "sluice did not say it read the panel's orientation");
	check_output(server, 1);
	th_check(th_server_stop(server));
}

static void
test_transform_wins(void)
{
	struct th_server *server = start("normal");
	th_require(server);
	check_output(server, 0);
	th_check(th_server_stop(server));
	server = start("Virtual-1:flipped-180");
	th_require(server);
	check_output(server, 6);
	th_check(th_server_stop(server));
}

int
main(int argc, char *argv[])
{
	th_require_vkms(vkms_path, sizeof(vkms_path));
	static const struct th_test tests[] = {
		{"orientation-default", test_orientation_default},
		{"transform-wins", test_transform_wins},
	};
	return th_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
