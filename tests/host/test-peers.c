/*
 * Real clients from Debian's weston and wayland-utils packages, run against sluice as separate
 * processes: each must keep running (no protocol error) and put pixels on the output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

static int
compare_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int
median(int *values, int n)
{
	qsort(values, (size_t)n, sizeof(int), compare_int);
	return n ? values[n / 2] : -1;
}

/*
 * weston-simple-shm draws on every frame callback. WAYLAND_DEBUG shows each wl_callback.done with
 * its timestamp, which sluice takes from the vblank that presented the frame: 120 frames or more,
 * spaced one refresh (16-17 ms at 60 Hz) apart at the median.
 */
static void
test_simple_shm_every_vblank(void)
{
	struct th_server *server = th_server_start(NULL);
	th_require(server);
	const char *const argv[] = {"weston-simple-shm", NULL};
	const char *const env[] = {"WAYLAND_DEBUG=1", NULL};
	struct th_process_result r;
	th_run_client(server, argv, env, 4000, &r);
	th_check(r.timed_out, "weston-simple-shm exited early (status %d)", r.status);
	th_check(!strstr(r.output, "error"), "client saw an error");

	static int times[1024], deltas[1024];
	int n = 0;
	for (const char *p = r.output; (p = strstr(p, "wl_callback@")); p++) {
		const char *done = strstr(p, ".done(");
		const char *eol = strchr(p, '\n');
		if (done && (!eol || done < eol) && n < 1024)
			times[n++] = atoi(done + 6);
	}
	for (int i = 1; i < n; i++)
		deltas[i - 1] = times[i] - times[i - 1];
	int m = median(deltas, n - 1);
	th_note("weston-simple-shm: %d frames in 4 s, median %d ms between frame callbacks", n, m);
	th_check(n >= 120, "only %d frames", n);
	th_check(m >= 16 && m <= 17, "median frame interval %d ms, expected one 60 Hz refresh", m);
	th_process_result_finish(&r);
	th_server_stop(server);
}

/* weston-presentation-shm reports p2p, the time between two presentations, for every frame. */
static void
test_presentation_shm(void)
{
	struct th_server *server = th_server_start(NULL);
	th_require(server);
	const char *const argv[] = {"weston-presentation-shm", "-f", NULL};
	struct th_process_result r;
	th_run_client(server, argv, NULL, 3000, &r);
	th_check(r.timed_out, "weston-presentation-shm exited early (status %d)", r.status);
	static int p2p[1024];
	int n = 0;
	for (const char *p = r.output; (p = strstr(p, "p2p")) && n < 1024; p++)
		p2p[n++] = atoi(p + 3);
	int m = median(p2p, n);
	th_note("weston-presentation-shm: %d frames, median p2p %d us", n, m);
	th_check(n >= 90, "only %d frames presented", n);
	th_check(m == 16666, "median presentation-to-presentation %d us", m);
	th_check(strstr(r.output, "[s___]") != NULL, "flags show vsync");
	th_process_result_finish(&r);
	th_server_stop(server);
}

static void
test_wayland_info(void)
{
	struct th_server *server = th_server_start(NULL);
	th_require(server);
	const char *const argv[] = {"wayland-info", NULL};
	struct th_process_result r;
	th_run_client(server, argv, NULL, 10000, &r);
	th_check(r.status == 0, "wayland-info exit status %d", r.status);
	static const char *const globals[] = {"'wl_compositor'",
					      "'wl_subcompositor'",
					      "'wl_shm'",
					      "'xdg_wm_base'",
					      "'wp_presentation'",
					      "'wp_viewporter'",
					      "'wp_single_pixel_buffer_manager_v1'",
					      "'wl_seat'",
					      "'wl_output'",
					      "HEADLESS-1",
					      "'XR24'",
					      "'AR24'",
					      "'RG16'"};
	for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++)
		th_check(strstr(r.output, globals[i]), "wayland-info does not list %s", globals[i]);
	/* The timing and capture protocols at their versions (the harness passes --capture). */
	static const struct {
		const char *interface;
		int version;
	} versioned[] = {
		{"wp_presentation", 2},
		{"wp_fifo_manager_v1", 1},
		{"wp_commit_timing_manager_v1", 1},
		{"wp_tearing_control_manager_v1", 1},
		{"zwlr_screencopy_manager_v1", 3},
		{"ext_image_copy_capture_manager_v1", 1},
		{"ext_output_image_capture_source_manager_v1", 1},
	};
	for (size_t i = 0; i < sizeof(versioned) / sizeof(versioned[0]); i++) {
		char want[128];
		snprintf(want, sizeof(want), "'%s',", versioned[i].interface);
		const char *line = strstr(r.output, want);
		const char *end = line ? strchr(line, '\n') : NULL;
		const char *version = line ? strstr(line, "version:") : NULL;
		int got = -1;
		if (version && (!end || version < end))
			sscanf(version, "version: %d", &got);
		th_check(got == versioned[i].version, "wayland-info: %s at version %d, not %d",
			 versioned[i].interface, got, versioned[i].version);
	}
	th_process_result_finish(&r);
	th_server_stop(server);
}

/*
 * Every client that needs nothing sluice lacks yet: it runs, its window is mapped, and where it
 * draws something visible without input, that reaches the output. (weston-smoke draws smoke only
 * where the pointer moves; weston-resizor and weston-multi-resource draw black until given input.)
 */
struct showcase {
	const char *name;
	bool draws_visible;
};

static const struct showcase showcase[] = {
	{"weston-simple-shm", true},	   {"weston-simple-damage", true},
	{"weston-presentation-shm", true}, {"weston-simple-egl", true},
	{"weston-subsurfaces", true},	   {"weston-transformed", true},
	{"weston-flower", true},	   {"weston-smoke", false},
	{"weston-clickdot", true},	   {"weston-terminal", true},
	{"weston-eventdemo", true},	   {"weston-fullscreen", true},
	{"weston-scaler", true},	   {"weston-stacking", true},
	{"weston-resizor", false},	   {"weston-multi-resource", false},
	{"weston-cliptest", true},	   {"weston-dnd", true},
};

static void
run_showcase(const void *arg)
{
	const struct showcase *client = arg;
	struct th_server *server = th_server_start(NULL);
	th_require(server);
	struct th_client *watcher = th_client_connect(server);
	const char *const argv[] = {client->name, NULL};
	/* Mesa's software EGL needs no device; keep it from looking for one. */
	const char *const env[] = {"LIBGL_ALWAYS_SOFTWARE=1", NULL};
	struct th_process *process = th_spawn(server, argv, env);
	int lit = -1, mapped = 0;
	/* Up to five seconds (a sanitizer build is slow) to map, and to draw if it draws. */
	for (int i = 0; watcher && process && i < 25; i++) {
		struct timespec pause = {0, 200000000};
		nanosleep(&pause, NULL);
		mapped = th_server_log_count(server, "toplevel mapped");
		lit = th_lit_pixels(watcher, 0);
		if (mapped > 0 && (lit > 0 || !client->draws_visible))
			break;
	}
	struct th_process_result r = {0};
	if (process)
		th_process_finish(process, 0, &r);
	th_check(mapped > 0, "%s never mapped a window", client->name);
	if (client->draws_visible)
		th_check(lit > 0, "%s put nothing on the output", client->name);
	th_check(r.timed_out, "%s exited by itself (status %d): %.300s", client->name, r.status,
		 r.output ? r.output : "");
	th_check(!r.output || !strstr(r.output, "error"), "%s: %.300s", client->name, r.output);
	th_process_result_finish(&r);
	th_client_destroy(watcher);
	th_server_stop(server);
}

int
main(int argc, char *argv[])
{
	static const struct th_test tests[] = {
		{"simple-shm-every-vblank", test_simple_shm_every_vblank},
		{"presentation-shm", test_presentation_shm},
		{"wayland-info", test_wayland_info},
	};
	size_t n_tests = sizeof(tests) / sizeof(tests[0]);
	size_t n_showcase = sizeof(showcase) / sizeof(showcase[0]);
	printf("TAP version 13\n1..%zu\n", n_tests + n_showcase);
	int failed = 0;
	unsigned index = 0;
	for (size_t i = 0; i < n_tests; i++)
		failed += th_run_one(tests[i].name, (void (*)(const void *))tests[i].run, NULL,
				     ++index);
	for (size_t i = 0; i < n_showcase; i++)
		failed += th_run_one(showcase[i].name, run_showcase, &showcase[i], ++index);
	return failed ? 1 : 0;
}
