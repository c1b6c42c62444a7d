/*
 * What sluice keeps resident: for each start-up configuration, sluice shows one fullscreen shm
 * frame from a client on vkms (or headless, for reference), then sits idle for a second; the row
 * is its VmRSS then, its peak (VmHWM) and whether any of Mesa's drivers or LLVM is mapped. Runs
 * inside the test VM (bench/run-memory boots it); prints a table with each row's ratio to the
 * headless one. SLUICE_BIN picks the binary, so two builds compare in one VM run. weston (10 on
 * the stock stack, 14 on the current, its GL renderer on llvmpipe) is measured the same way, on
 * the same vkms, for reference; --no-weston leaves it out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

struct row {
	const char *name;
	const char *renderer; /* NULL: the default; "headless": no KMS at all; "weston" */
	long rss_kib, peak_kib;
	char mesa[128]; /* the first Mesa driver or LLVM library mapped, "" for none */
};

static bool
run(const char *vkms, struct row *row)
{
	const char *args[8] = {"--backend", "drm", "--drm-device", vkms, NULL};
	bool weston = row->renderer && strcmp(row->renderer, "weston") == 0;
	if (row->renderer && strcmp(row->renderer, "headless") == 0) {
		args[1] = "headless";
		args[2] = NULL;
	} else if (row->renderer && !weston) {
		args[4] = "--renderer";
		args[5] = row->renderer;
	}
	struct th_server weston_server, *server = NULL;
	if (!weston)
		server = th_server_start(args);
	else if (th_weston_start(vkms, &weston_server))
		server = &weston_server;
	if (!server)
		return false;
	struct th_client *c = th_client_connect(server);
	struct th_window *w = c ? th_window_create(c) : NULL;
	/* sluice makes every toplevel fullscreen; weston's desktop shell is asked to. */
	if (w && weston) {
		xdg_toplevel_set_fullscreen(w->toplevel, NULL);
		if (!th_window_wait_configure(w) || w->width <= 0)
			w = NULL;
	}
	struct th_buffer *b = w ? th_shm_buffer_create(c, w->width, w->height, 0) : NULL;
	if (!b)
		return false;
	th_buffer_fill(b, 0, 0, w->width, w->height, 0xff3070b0);
	wl_surface_attach(w->surface, b->buffer, 0, 0);
	wl_surface_damage_buffer(w->surface, 0, 0, w->width, w->height);
	struct th_presented p;
	if (!th_commit_and_wait(c, w->surface, &p) || !p.presented)
		return false;
	nanosleep(&(struct timespec){.tv_sec = 1}, NULL);
	row->rss_kib = th_rss_kib(server->pid);
	row->peak_kib = th_peak_rss_kib(server->pid);
	th_maps_mesa_driver(server->pid, row->mesa, sizeof(row->mesa));
	th_buffer_destroy(b);
	th_window_destroy(w);
	th_client_destroy(c);
	if (!weston)
		return th_server_stop(server);
	th_weston_stop(server);
	return true;
}

int
main(int argc, char *argv[])
{
	bool with_weston = !(argc > 1 && strcmp(argv[1], "--no-weston") == 0);
	char vkms[32];
	if (!th_find_drm_device("vkms", vkms, sizeof(vkms))) {
		fprintf(stderr, "sluice-bench-memory: no vkms device (run bench/run-memory)\n");
		return 1;
	}
	struct row rows[] = {
		{"headless", "headless"},
		{"vkms, default renderer", NULL},
		{"vkms, --renderer pixman", "pixman"},
		{"vkms, --renderer gl", "gl"},
		{"vkms, weston", "weston"},
	};
	enum { N = sizeof(rows) / sizeof(rows[0]) };
	int n = with_weston ? N : N - 1;
	for (int i = 0; i < n; i++) {
		if (!run(vkms, &rows[i])) {
			fprintf(stderr, "sluice-bench-memory: the '%s' run failed\n", rows[i].name);
			return 1;
		}
	}
	const char *bin = getenv("SLUICE_BIN");
	printf("\n%s: one fullscreen 1024x768 shm frame shown, then 1 s idle\n\n",
	       bin ? bin : "sluice");
	printf("%-24s %9s %9s %11s  %s\n", "configuration", "RSS MiB", "peak MiB", "/headless",
	       "Mesa or LLVM mapped");
	for (int i = 0; i < n; i++)
		printf("%-24s %9.1f %9.1f %11.2f  %s\n", rows[i].name, rows[i].rss_kib / 1024.0,
		       rows[i].peak_kib / 1024.0,
		       (double)rows[i].rss_kib /
			       (double)(rows[0].rss_kib > 0 ? rows[0].rss_kib : 1),
		       rows[i].mesa[0] ? rows[i].mesa : "none");
	return 0;
}
