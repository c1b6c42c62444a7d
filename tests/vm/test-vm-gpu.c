/*
 * sluice-gpu on vkms: GBM buffers rendered by EGL/GLES2 (llvmpipe through kms_swrast), submitted
 * with each sync mode. Its scene reaches the screen (writeback: four coloured quadrants and a
 * bar that moves), every buffer goes round (more frames than buffers), the compositor saw the
 * fences the mode promises, and the client leaks nothing (LeakSanitizer, Mesa's own allocations
 * suppressed) and exits 0 on SIGTERM or after --frames.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static char vkms_path[32];

static const char *
gpu_bin(void)
{
	const char *bin = getenv("SLUICE_GPU_BIN");
	return bin ? bin : "sluice-gpu";
}

static struct th_server *
start(const char *name, char *stats, size_t size)
{
	th_stats_path(name, stats, size);
	const char *const args[] = {"--backend", "drm",	    "--drm-device", vkms_path, "--renderer",
				    "pixman",	 "--stats", stats,	    NULL};
	return th_server_start(args);
}

static bool
near(uint32_t got, uint32_t want)
{
	for (int shift = 0; shift < 24; shift += 8) {
		int d = (int)((got >> shift) & 0xff) - (int)((want >> shift) & 0xff);
		if (d < -4 || d > 4)
			return false;
	}
	return true;
}

/* Where the client's window lies on the 1024x768 output: centred. */
struct area {
	int32_t x, y, width, height;
};

static const uint32_t quadrant_colours[4] = {0xff0000, 0x00ff00, 0x0000ff, 0xffffff};

/* Quadrants that do not show their colour (0: the scene is on screen as drawn). */
static int
quadrants_wrong(const struct th_capture *cap, const struct area *a, bool report)
{
	int wrong = 0;
	for (int q = 0; q < 4; q++) {
		int32_t x = a->x + (q % 2 ? a->width * 7 / 8 : a->width / 8);
		int32_t y = a->y + (q / 2 ? a->height * 7 / 8 : a->height / 8);
		uint32_t got = th_capture_pixel(cap, x, y) & 0xffffff;
		if (near(got, quadrant_colours[q]))
			continue;
		wrong++;
		if (report)
			th_check(false, "quadrant %d at %d,%d: 0x%06x, want 0x%06x", q, x, y, got,
				 quadrant_colours[q]);
	}
	return wrong;
}

/* The left edge of the grey bar in the middle row, or -1. */
static int32_t
bar_position(const struct th_capture *cap, const struct area *a)
{
	for (int32_t x = a->x; x < a->x + a->width; x++)
		if (near(th_capture_pixel(cap, x, a->y + a->height / 2) & 0xffffff, 0x808080))
			return x - a->x;
	return -1;
}

/* Waits for the scene, checks it, and that the bar moves between captures. */
static void
check_scene(struct th_client *c, const struct area *a, const char *what)
{
	struct th_capture cap = {0};
	bool seen = false;
	for (int attempt = 0; attempt < 150 && !seen; attempt++) {
		if (cap.pixels)
			th_capture_finish(&cap);
		if (!th_capture_output(c, 0, &cap))
			break;
		seen = quadrants_wrong(&cap, a, false) == 0;
		if (!seen)
			usleep(100000);
	}
	if (!th_check(seen, "%s: the scene never appeared", what)) {
		if (cap.pixels) {
			quadrants_wrong(&cap, a, true);
			th_capture_save(&cap, "vm-gpu-scene");
		}
	}
	int32_t positions[4];
	int distinct = 0;
	for (int i = 0; i < 4; i++) {
		if (i > 0) {
			th_capture_finish(&cap);
			usleep(50000);
			if (!th_capture_output(c, 0, &cap))
				break;
		}
		positions[i] = bar_position(&cap, a);
		bool seen_before = false;
		for (int k = 0; k < i; k++)
			seen_before = seen_before || positions[k] == positions[i];
		distinct += positions[i] >= 0 && !seen_before;
	}
	th_note("%s: bar at %d, %d, %d, %d", what, positions[0], positions[1], positions[2],
		positions[3]);
	th_check(distinct >= 2, "%s: the bar does not move", what);
	if (cap.pixels)
		th_capture_finish(&cap);
}

/* One frame count printed by the client: "N frames committed, M presented (Z zero-copy)". */
static unsigned long
count_before(const char *output, const char *label)
{
	const char *end = strstr(output, label);
	const char *p = end;
	while (p && p > output && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return p && p != end ? strtoul(p, NULL, 10) : 0;
}

static void
run_mode(const char *mode)
{
	char stats[256], name[64];
	snprintf(name, sizeof(name), "gpu-%s", mode);
	struct th_server *server = start(name, stats, sizeof(stats));
	th_require(server);
	char sync[64];
	snprintf(sync, sizeof(sync), "--sync=%s", mode);
	const char *const argv[] = {gpu_bin(), sync, "--size", "256x192", NULL};
	struct th_process *gpu = th_spawn(server, argv, th_client_lsan_env());
	th_require(gpu);
	struct th_client *c = th_client_connect(server);
	th_require(c);
	struct area a = {(1024 - 256) / 2, (768 - 192) / 2, 256, 192};
	check_scene(c, &a, mode);
	th_client_destroy(c);
	struct th_process_result r;
	th_process_finish(gpu, 0, &r);
	th_note("%s", r.output);
	th_check(r.status == 0, "sluice-gpu exited with %d after SIGTERM", r.status);
	/*
	 * Debian 12's llvmpipe has no EGL_ANDROID_native_fence_sync (CPU-signalled fences); Mesa
	 * 25's has (the current stack): the GPU's own fences are submitted there.
	 */
	char cpu_line[96], gpu_line[128];
	snprintf(cpu_line, sizeof(cpu_line), "sync: %s with CPU-signalled fences", mode);
	snprintf(gpu_line, sizeof(gpu_line),
		 "sync: %s with GPU fences (EGL_ANDROID_native_fence_sync)", mode);
	if (strcmp(mode, "implicit") == 0)
		th_check(strstr(r.output, "sync: implicit (no fence attached)") != NULL);
	else
		th_check(strstr(r.output, cpu_line) || strstr(r.output, gpu_line),
			 "the client says neither '%s' nor '%s'", cpu_line, gpu_line);
	if (strstr(r.output, gpu_line))
		th_note("the client's acquire fences are EGL native fences");
	unsigned long committed = count_before(r.output, " frames committed");
	unsigned long presented = count_before(r.output, " presented");
	unsigned long zero_copy = count_before(r.output, " zero-copy");
	/* More frames than GBM has buffers: released buffers came back. */
	th_check(committed > 8, "%lu frames: buffers do not come back", committed);
	th_check(presented + 1 >= committed, "%lu committed, %lu presented", committed, presented);
	th_check(zero_copy > 0, "no frame shown straight from the client's buffer");
	th_process_result_finish(&r);
	th_check(th_server_stop(server));
	long long fences = th_stats_value(stats, "explicit_fences");
	long long failed = th_stats_value(stats, "fences_failed");
	th_note("sluice: %lld commits with explicit fences, %lld failed", fences, failed);
	if (strcmp(mode, "implicit") == 0)
		th_check(fences == 0);
	else
		th_check(fences + 1 >= (long long)committed, "%lld fenced commits for %lu frames",
			 fences, committed);
	th_check(failed == 0);
}

static void
test_implicit(void)
{
	run_mode("implicit");
}

static void
test_sync_file(void)
{
	run_mode("sync-file");
}

static void
test_syncobj(void)
{
	run_mode("syncobj");
}

/* --frames N ends by itself, --stats writes what it measured, --window scales into a window. */
static void
test_frames_window(void)
{
	char stats[256], client_stats[256];
	struct th_server *server = start("gpu-frames", stats, sizeof(stats));
	th_require(server);
	th_stats_path("gpu-frames-client", client_stats, sizeof(client_stats));
	const char *const argv[] = {gpu_bin(),	"--frames", "300",     "--size",     "128x96",
				    "--window", "320x240",  "--stats", client_stats, NULL};
	struct th_process *gpu = th_spawn(server, argv, th_client_lsan_env());
	th_require(gpu);
	struct th_client *c = th_client_connect(server);
	th_require(c);
	struct area a = {(1024 - 320) / 2, (768 - 240) / 2, 320, 240};
	check_scene(c, &a, "window");
	th_client_destroy(c);
	struct th_process_result r;
	th_process_finish(gpu, 120000, &r);
	th_check(r.status == 0, "exit %d: %s", r.status, r.output);
	th_process_result_finish(&r);
	long long committed = th_stats_value(client_stats, "committed");
	long long presented = th_stats_value(client_stats, "presented");
	long long zero_copy = th_stats_value(client_stats, "zero_copy");
	th_note("client stats: %lld committed, %lld presented, %lld zero-copy", committed,
		presented, zero_copy);
	th_check(committed == 300 && presented >= 299, "%lld committed, %lld presented", committed,
		 presented);
	/* Scaled: composed, never on a plane. */
	th_check(zero_copy == 0, "%lld scaled frames claimed zero-copy", zero_copy);
	th_check(th_server_stop(server));
}

/* Bad inputs: one line naming the problem, non-zero exit, the compositor unharmed. */
static void
test_errors(void)
{
	char stats[256];
	struct th_server *server = start("gpu-errors", stats, sizeof(stats));
	th_require(server);
	static const struct {
		const char *argv[3];
		const char *needle;
	} cases[] = {
		{{"--sync", "fast"}, "invalid sync mode 'fast' (implicit, sync-file or syncobj)"},
		{{"--format", "NV12"}, "invalid format 'NV12' (XR24 or AR24)"},
		{{"--size", "0x0"}, "invalid size '0x0' (WxH)"},
		{{"--window", "wide"}, "invalid window size 'wide' (WxH)"},
		{{"--frames", "-3"}, "invalid frame count '-3'"},
		{{"--device", "/dev/dri/card9"}, "/dev/dri/card9: No such file or directory"},
		{{"--bogus"}, "unknown option '--bogus'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const argv[] = {gpu_bin(), cases[i].argv[0], cases[i].argv[1], NULL};
		struct th_process_result r;
		if (!th_check(th_run_client(server, argv, th_client_lsan_env(), 30000, &r)))
			continue;
		th_check(r.status == 1 && strstr(r.output, cases[i].needle),
			 "%s %s: exit %d, output: %s", cases[i].argv[0],
			 cases[i].argv[1] ? cases[i].argv[1] : "", r.status, r.output);
		th_process_result_finish(&r);
	}
	th_check(th_server_alive(server));
	th_check(th_server_stop(server));
}

int
main(int argc, char *argv[])
{
	th_require_vkms(vkms_path, sizeof(vkms_path));
	static const struct th_test tests[] = {
		{"implicit", test_implicit}, {"sync-file", test_sync_file},
		{"syncobj", test_syncobj},   {"frames-window", test_frames_window},
		{"errors", test_errors},
	};
	return th_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
