/*
 * What direct scanout saves: a fullscreen client redrawing every frame, shown straight from its
 * dma-buf on the primary plane, against the same frames composited (--no-scanout) by pixman and
 * by GL. Per row: sluice's CPU time per frame (utime + stime from /proc) and commit-to-
 * presentation latency. Runs inside the test VM (bench/run-scanout boots it); prints a table with
 * each row's ratio to the direct path.
 */
#include <drm_fourcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

enum { FRAMES = 120, WARMUP = 10 };

struct row {
	const char *name;
	const char *renderer;
	bool scanout;
	double cpu_ms, median_ms, p99_ms;
	int zero_copy;
};

static bool
run(const char *vkms, struct row *row)
{
	const char *const with[] = {"--backend",   "drm", "--drm-device", vkms, "--renderer",
				    row->renderer, NULL};
	const char *const without[] = {"--backend",  "drm",	    "--drm-device", vkms,
				       "--renderer", row->renderer, "--no-scanout", NULL};
	struct th_server *server = th_server_start(row->scanout ? with : without);
	if (!server)
		return false;
	struct th_client *c = th_client_connect(server);
	struct th_window *w = c ? th_window_create(c) : NULL;
	if (!w || !c->dmabuf)
		return false;
	/* Two buffers, alternating, from the system heap (which vkms can scan out). */
	struct th_painted_buffer bufs[2];
	if (!th_painted_pair_create(c, w->width, w->height, bufs))
		return false;
	double latency[FRAMES], cpu_start = 0;
	int n = 0;
	for (int i = -WARMUP; i < FRAMES; i++) {
		if (i == 0)
			cpu_start = th_cpu_seconds(server->pid);
		wl_surface_attach(w->surface, bufs[(i + WARMUP) % 2].buffer, 0, 0);
		wl_surface_damage_buffer(w->surface, 0, 0, w->width, w->height);
		struct th_presented p = {0};
		th_feedback_request(c, w->surface, &p);
		wl_surface_commit(w->surface);
		wl_display_flush(c->display);
		int64_t committed = th_now_ns();
		if (!th_dispatch_until(c, &p.done, 5000) || !p.presented)
			return false;
		if (i < 0)
			continue;
		latency[n++] = (double)(p.time_ns - committed) / 1e6;
		row->zero_copy += (p.flags & WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY) != 0;
	}
	row->cpu_ms = (th_cpu_seconds(server->pid) - cpu_start) * 1000.0 / n;
	row->median_ms = th_percentile(latency, n, 0.5);
	row->p99_ms = th_percentile(latency, n, 0.99);
	for (int i = 0; i < 2; i++)
		th_painted_buffer_destroy(&bufs[i]);
	th_window_destroy(w);
	th_client_destroy(c);
	return th_server_stop(server);
}

int
main(void)
{
	char vkms[32];
	if (!th_find_drm_device("vkms", vkms, sizeof(vkms))) {
		fprintf(stderr, "sluice-bench-scanout: no vkms device (run bench/run-scanout)\n");
		return 1;
	}
	struct row rows[] = {
		{"direct scanout", "pixman", true},
		{"composited, pixman", "pixman", false},
		{"composited, GL", "gl", false},
	};
	enum { N = sizeof(rows) / sizeof(rows[0]) };
	for (int i = 0; i < N; i++) {
		if (!run(vkms, &rows[i])) {
			fprintf(stderr, "sluice-bench-scanout: the '%s' run failed\n",
				rows[i].name);
			return 1;
		}
	}
	printf("\nfullscreen 1024x768 XRGB8888 dma-buf (system heap), full damage, %d frames per "
	       "row; vkms 60 Hz\n\n",
	       FRAMES);
	printf("%-20s %12s %9s %11s %10s %9s\n", "path", "cpu ms/frame", "cpu/direct",
	       "c->p median", "c->p p99", "zero-copy");
	for (int i = 0; i < N; i++)
		printf("%-20s %12.2f %9.2f %11.2f %10.2f %5d/%-3d\n", rows[i].name, rows[i].cpu_ms,
		       rows[i].cpu_ms / (rows[0].cpu_ms > 0 ? rows[0].cpu_ms : 1),
		       rows[i].median_ms, rows[i].p99_ms, rows[i].zero_copy, FRAMES);
	printf("\n(cpu: sluice's user+system time per frame; c->p: commit to presentation, ms. "
	       "GL is llvmpipe under TCG here.)\n");
	return 0;
}
