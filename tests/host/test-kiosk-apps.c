/*
 * Real kiosk applications under `sluice --kiosk`: Debian's Chromium showing a local page and
 * GTK 3's demo, each started by sluice, shown fullscreen at the output's size (checked by
 * capture), and stopped with sluice, leaving no process behind.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define BLACK 0x000000u
#define BLUE 0x0000ffu
#define RED 0xff0000u

static void
pause_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&t, NULL);
}

/* Processes whose command line contains needle (the apps' own marker), sluice's children or not. */
static int
count_processes(const char *needle)
{
	DIR *proc = opendir("/proc");
	if (!proc)
		return -1;
	int n = 0;
	struct dirent *entry;
	while ((entry = readdir(proc))) {
		char path[300];
		snprintf(path, sizeof(path), "/proc/%s/cmdline", entry->d_name);
		FILE *f = entry->d_name[0] >= '1' && entry->d_name[0] <= '9' ? fopen(path, "r")
									     : NULL;
		if (!f)
			continue;
		char cmdline[4096];
		size_t len = fread(cmdline, 1, sizeof(cmdline) - 1, f);
		fclose(f);
		for (size_t i = 0; i < len; i++)
			cmdline[i] = cmdline[i] ? cmdline[i] : ' ';
		cmdline[len] = '\0';
		n += strstr(cmdline, needle) != NULL;
	}
	closedir(proc);
	return n;
}

/* Black pixels along the capture's four edges: sluice's background showing around the app. */
static int
black_edge_pixels(const struct th_capture *cap)
{
	int black = 0;
	for (int32_t x = 0; x < cap->width; x++)
		black += ((th_capture_pixel(cap, x, 0) & 0xffffff) == BLACK) +
			 ((th_capture_pixel(cap, x, cap->height - 1) & 0xffffff) == BLACK);
	for (int32_t y = 0; y < cap->height; y++)
		black += ((th_capture_pixel(cap, 0, y) & 0xffffff) == BLACK) +
			 ((th_capture_pixel(cap, cap->width - 1, y) & 0xffffff) == BLACK);
	return black;
}

typedef bool (*shown_fn)(const struct th_capture *cap);

/*
 * Captures output 0 every half second until shown() accepts it or timeout_ms passes; the last
 * capture is saved as an artifact either way, for a person to look at.
 */
static bool
wait_until_shown(struct th_server *server, shown_fn shown, int timeout_ms, const char *name)
{
	struct th_client *watcher = th_client_connect(server);
	if (!th_check(watcher, "cannot connect to sluice"))
		return false;
	bool ok = false;
	struct th_capture cap = {0};
	for (int waited = 0; !ok && waited < timeout_ms && th_server_alive(server); waited += 500) {
		pause_ms(500);
		if (cap.pixels)
			th_capture_finish(&cap);
		if (!th_capture_output(watcher, 0, &cap)) {
			cap.pixels = NULL;
			break;
		}
		ok = shown(&cap);
	}
	if (cap.pixels) {
		th_capture_save(&cap, name);
		th_capture_finish(&cap);
	}
	th_client_destroy(watcher);
	return ok;
}

/* The page: blue left half, red right half, filling the browser's viewport. */
static const char page_html[] =
	"<!doctype html><html><body style='margin:0;background:#ff0000'>"
	"<div style='position:fixed;left:0;top:0;width:50%;height:100%;background:#0000ff'></div>"
	"</body></html>\n";

/* Chromium has no browser UI in --kiosk: the page must reach every edge, in two halves. */
static bool
page_shown(const struct th_capture *cap)
{
	int32_t w = cap->width, h = cap->height;
	const struct {
		int32_t x, y;
		uint32_t want;
	} probes[] = {
		{0, 0, BLUE},	     {w / 2 - 2, h / 2, BLUE}, {0, h - 1, BLUE},
		{w / 2 + 2, 0, RED}, {w - 1, h / 2, RED},      {w - 1, h - 1, RED},
	};
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		if ((th_capture_pixel(cap, probes[i].x, probes[i].y) & 0xffffff) != probes[i].want)
			return false;
	return true;
}

static void
test_chromium(void)
{
	char dir[] = "/tmp/sluice-chromium-XXXXXX";
	th_require(mkdtemp(dir));
	char page[256], url[300], profile[256], profile_arg[300];
	snprintf(page, sizeof(page), "%s/page.html", dir);
	snprintf(url, sizeof(url), "file://%s", page);
	snprintf(profile, sizeof(profile), "%s/profile", dir);
	snprintf(profile_arg, sizeof(profile_arg), "--user-data-dir=%s", profile);
	FILE *f = fopen(page, "w");
	th_require(f);
	fputs(page_html, f);
	fclose(f);

	/* An output size no browser defaults to: the page must follow sluice's configure. */
	const char *const args[] = {"--headless", "800x600", "--kiosk", "--", "chromium",
				    "--ozone-platform=wayland", "--kiosk",
				    /* The test runs as root, where Chromium's sandbox refuses to
				     * start; it is not what is tested here. */
				    "--no-sandbox", "--no-first-run", "--disable-sync", profile_arg,
				    url, NULL};
	struct th_server *server = th_server_start(args);
	th_require(server);
	bool shown = wait_until_shown(server, page_shown, 60000, "chromium");
	th_check(shown, "chromium never showed the page fullscreen at 800x600 (see chromium.png)");
	th_check(th_server_log_count(server, "started chromium") == 1, "chromium was not started");
	/* SIGTERM to sluice stops the browser, which takes its helper processes with it. */
	th_check(th_server_stop(server), "sluice did not stop cleanly");
	int left = -1;
	for (int i = 0; i < 50 && (left = count_processes(profile)) > 0; i++)
		pause_ms(100);
	th_check(left == 0, "%d chromium processes outlived sluice", left);

	char cmd[320];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	th_check(system(cmd) == 0, "cannot remove %s", dir);
}

/*
 * GTK's demo fullscreen: its window reaches every edge (no black around it, no shadow or
 * client-side title bar), and it drew its widgets: many colours, not one fill.
 */
static bool
gtk_shown(const struct th_capture *cap)
{
	if (black_edge_pixels(cap) != 0)
		return false;
	uint32_t seen[64];
	int distinct = 0;
	for (int32_t y = 0; y < cap->height && distinct < 64; y += 3)
		for (int32_t x = 0; x < cap->width && distinct < 64; x += 3) {
			uint32_t p = th_capture_pixel(cap, x, y) & 0xffffff;
			int i = 0;
			while (i < distinct && seen[i] != p)
				i++;
			if (i == distinct)
				seen[distinct++] = p;
		}
	return distinct >= 16;
}

static void
test_gtk(void)
{
	const char *const args[] = {"--headless", "1280x800", "--kiosk", "--", "gtk3-demo", NULL};
	/* GTK finds no session bus here; it must not wait for one. */
	const char *const env[] = {"GTK_A11Y=none", "NO_AT_BRIDGE=1", NULL};
	struct th_server *server = th_server_start_env(args, env);
	th_require(server);
	bool shown = wait_until_shown(server, gtk_shown, 30000, "gtk3-demo");
	th_check(shown, "gtk3-demo never filled the 1280x800 output (see gtk3-demo.png)");
	th_check(th_server_log_count(server, "toplevel mapped") >= 1, "no toplevel mapped");
	th_check(th_server_stop(server), "sluice did not stop cleanly");
	int left = -1;
	for (int i = 0; i < 50 && (left = count_processes("gtk3-demo")) > 0; i++)
		pause_ms(100);
	th_check(left == 0, "gtk3-demo outlived sluice");
}

TH_MAIN({"chromium", test_chromium}, {"gtk", test_gtk})
