/*
 * Where a frame's cost goes, per presented frame, for fixed workloads on vkms in the test VM
 * (bench/run-cost boots it):
 *   shm          a 256x256 wl_shm buffer, a 32-row band redrawn and damaged each frame;
 *   plane        a fullscreen dma-buf alternating with another, on the primary plane;
 *   composited   the same with --no-scanout, so that the renderer draws it;
 *   nothing      a fullscreen dma-buf committed once, then commits that change nothing.
 * Each workload runs twice per sluice binary. First with ioctl-count.so preloaded and strace
 * counting syscalls over the measured frames; then under callgrind, instrumenting only the
 * measured frames (on after the warm-up, dumped after them): instruction counts are the same
 * from run to run on a noisy machine where times are not, and the functions that spent most of
 * them come with them. Prints a table.
 */
#include <drm_fourcc.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "ioctl-count.h"

enum { FRAMES = 100, WARMUP = 20, TOP = 3 };

enum workload { SHM, PLANE, COMPOSITED, NOTHING, N_WORKLOADS };
static const char *const workload_names[] = {"shm", "plane", "composited", "nothing"};

struct row {
	const char *bin;
	enum workload workload;
	int frames, zero_copy;
	struct sl_ioctl_counts counts;
	long long syscalls, instructions;
	char top[TOP][96]; /* "function pct%" */
};

/* ---- the client side of each workload ---- */

struct client_state {
	struct th_client *c;
	struct th_window *w;
	struct th_buffer *shm[2];
	struct th_painted_buffer bufs[2];
};

static bool
client_setup(struct th_server *server, enum workload workload, struct client_state *s)
{
	s->c = th_client_connect(server);
	s->w = s->c ? th_window_create(s->c) : NULL;
	if (!s->w)
		return false;
	if (workload == SHM) {
		for (int i = 0; i < 2; i++) {
			s->shm[i] = th_shm_buffer_create(s->c, 256, 256, 0);
			if (!s->shm[i])
				return false;
			th_buffer_fill(s->shm[i], 0, 0, 256, 256, 0xff203040);
		}
		return true;
	}
	return s->c->dmabuf && th_painted_pair_create(s->c, s->w->width, s->w->height, s->bufs);
}

static void
client_teardown(struct client_state *s)
{
	for (int i = 0; i < 2; i++) {
		if (s->shm[i])
			th_buffer_destroy(s->shm[i]);
		if (s->bufs[i].buffer)
			th_painted_buffer_destroy(&s->bufs[i]);
	}
	if (s->w)
		th_window_destroy(s->w);
	if (s->c)
		th_client_destroy(s->c);
}

/* Frame i of the workload, committed and presented; its flags, or -1. */
static int
client_frame(struct client_state *s, enum workload workload, int i)
{
	struct wl_surface *surface = s->w->surface;
	if (workload == SHM) {
		struct th_buffer *b = s->shm[i % 2];
		int32_t band = (i * 32) % 256;
		th_buffer_fill(b, 0, band, 256, 32, 0xff000000u | (uint32_t)(i * 0x010203));
		wl_surface_attach(surface, b->buffer, 0, 0);
		wl_surface_damage_buffer(surface, 0, band, 256, 32);
	} else if (workload != NOTHING || i == 0) {
		wl_surface_attach(surface, s->bufs[i % 2].buffer, 0, 0);
		wl_surface_damage_buffer(surface, 0, 0, s->w->width, s->w->height);
	}
	struct th_presented p;
	if (!th_commit_and_wait(s->c, surface, &p) || !p.presented)
		return -1;
	return (int)p.flags;
}

/* ---- the tools around sluice ---- */

static pid_t
strace_attach(pid_t pid, const char *out)
{
	char pid_arg[16];
	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)pid);
	pid_t child = fork();
	if (child == 0) {
		execlp("strace", "strace", "-q", "-f", "-c", "-o", out, "-p", pid_arg,
		       (char *)NULL);
		_exit(127);
	}
	return child;
}

/* Whether a tracer (strace) holds pid within timeout_ms: counting starts then. */
static bool
traced_within(pid_t pid, int timeout_ms)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	for (int waited = 0; waited < timeout_ms; waited += 50) {
		char *status = th_read_file(path);
		const char *tracer = status ? strstr(status, "TracerPid:") : NULL;
		bool traced = tracer && atoi(tracer + strlen("TracerPid:")) != 0;
		free(status);
		if (traced)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

/* Stops strace and reads the total number of calls from its summary; -1 on failure. */
static long long
strace_finish(pid_t child, const char *out)
{
	kill(child, SIGINT);
	int status;
	waitpid(child, &status, 0);
	char *text = th_read_file(out);
	long long calls = -1;
	for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
		double pct, seconds;
		long long usecs, n;
		if (strstr(line, " total") &&
		    sscanf(line, "%lf %lf %lld %lld", &pct, &seconds, &usecs, &n) == 4)
			calls = n;
	}
	free(text);
	unlink(out);
	return calls;
}

static bool
callgrind_control(const char *what, pid_t pid)
{
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "callgrind_control %s %d >/dev/null", what, (int)pid);
	return system(cmd) == 0;
}

/* The instruction total of a callgrind dump and its TOP functions by their own cost. */
static bool
callgrind_read(const char *dump, struct row *row)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd),
		 "callgrind_annotate --inclusive=no --threshold=100 '%s' 2>/dev/null", dump);
	FILE *p = popen(cmd, "r");
	if (!p)
		return false;
	char line[1024];
	int top = 0;
	row->instructions = -1;
	while (fgets(line, sizeof(line), p)) {
		char num[64];
		/* "N (100.0%)  PROGRAM TOTALS", then "N (P%)  file:function [object]" lines. */
		if (sscanf(line, " %63s", num) != 1 || !strchr("0123456789", num[0]))
			continue;
		long long n = 0;
		for (const char *c = num; *c; c++)
			if (*c >= '0' && *c <= '9')
				n = n * 10 + (*c - '0');
		if (strstr(line, "PROGRAM TOTALS")) {
			row->instructions = n;
			continue;
		}
		char *pct = strchr(line, '(');
		char *name = strchr(line, ':');
		if (row->instructions <= 0 || top == TOP || !pct || !name)
			continue;
		name++;
		char *object = strstr(name, " [");
		*(object ? object : name + strcspn(name, "\n")) = '\0';
		/* A library without symbols: its name says more than the address. */
		if (object && strncmp(name, "0x", 2) == 0) {
			char *lib = strrchr(object + 2, '/');
			lib = lib ? lib + 1 : object + 2;
			lib[strcspn(lib, "]")] = '\0';
			name = lib;
		}
		snprintf(row->top[top++], sizeof(row->top[0]), "%s %.1f%%", name,
			 100.0 * (double)n / (double)row->instructions);
	}
	pclose(p);
	return row->instructions > 0;
}

/* ---- one workload, one binary ---- */

static const char *
start_args(enum workload workload, const char *vkms, const char **args)
{
	int n = 0;
	args[n++] = "--backend";
	args[n++] = "drm";
	args[n++] = "--drm-device";
	args[n++] = vkms;
	args[n++] = "--log-level";
	args[n++] = "warn";
	if (workload == COMPOSITED)
		args[n++] = "--no-scanout";
	args[n] = NULL;
	return args[0];
}

static bool
run_frames(struct client_state *s, enum workload workload, int first, int count, int *zero_copy)
{
	for (int i = first; i < first + count; i++) {
		int flags = client_frame(s, workload, i);
		if (flags < 0)
			return false;
		if (zero_copy)
			*zero_copy += (flags & WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY) != 0;
	}
	return true;
}

/* Pass one: ioctls (preloaded counter) and syscalls (strace) over the measured frames. */
static bool
run_counted(const char *vkms, const char *preload, const char *counts_path, struct row *row)
{
	char preload_env[300], counts_env[300], strace_out[64];
	snprintf(preload_env, sizeof(preload_env), "LD_PRELOAD=%s", preload);
	snprintf(counts_env, sizeof(counts_env), "SLUICE_IOCTL_COUNTS=%s", counts_path);
	snprintf(strace_out, sizeof(strace_out), "/tmp/sluice-cost-strace-%d", (int)getpid());
	const char *const env[] = {preload_env, counts_env, NULL};
	const char *args[12];
	start_args(row->workload, vkms, args);
	setenv("SLUICE_BIN", row->bin, 1);
	if (!sl_ioctl_counts_reset(counts_path))
		return false;
	struct th_server *server = th_server_start_env(args, env);
	if (!server)
		return false;
	struct client_state s = {0};
	const struct sl_ioctl_counts *counts = sl_ioctl_counts_map(counts_path);
	bool ok = counts && client_setup(server, row->workload, &s) &&
		  run_frames(&s, row->workload, 0, WARMUP, NULL);
	pid_t strace = ok ? strace_attach(server->pid, strace_out) : -1;
	ok = ok && strace > 0 && traced_within(server->pid, 10000);
	struct sl_ioctl_counts before = counts ? *counts : (struct sl_ioctl_counts){0};
	row->zero_copy = 0;
	ok = ok && run_frames(&s, row->workload, WARMUP, FRAMES, &row->zero_copy);
	if (counts)
		row->counts = sl_ioctl_counts_sub(counts, &before);
	if (strace > 0)
		row->syscalls = strace_finish(strace, strace_out);
	ok = ok && row->syscalls >= 0;
	row->frames = FRAMES;
	sl_ioctl_counts_unmap(counts);
	client_teardown(&s);
	return th_server_stop(server) && ok;
}

/* Pass two: the same frames under callgrind. */
static bool
run_callgrind(const char *vkms, struct row *row)
{
	char wrapper[64], dump[80];
	snprintf(wrapper, sizeof(wrapper), "/tmp/sluice-cost-vg-%d", (int)getpid());
	snprintf(dump, sizeof(dump), "/tmp/sluice-cost-cg-%d.out", (int)getpid());
	FILE *f = fopen(wrapper, "w");
	if (!f)
		return false;
	fprintf(f,
		"#!/bin/sh\nexec valgrind -q --tool=callgrind --instr-atstart=no "
		"--callgrind-out-file=%s '%s' \"$@\"\n",
		dump, row->bin);
	fclose(f);
	chmod(wrapper, 0755);
	const char *args[12];
	start_args(row->workload, vkms, args);
	setenv("SLUICE_BIN", wrapper, 1);
	struct th_server *server = th_server_start(args);
	unlink(wrapper);
	if (!server)
		return false;
	struct client_state s = {0};
	bool ok = client_setup(server, row->workload, &s) &&
		  run_frames(&s, row->workload, 0, WARMUP, NULL) &&
		  callgrind_control("-i on", server->pid) &&
		  run_frames(&s, row->workload, WARMUP, FRAMES, NULL) &&
		  callgrind_control("-d", server->pid);
	char dumped[96];
	snprintf(dumped, sizeof(dumped), "%s.1", dump);
	ok = ok && callgrind_read(dumped, row);
	client_teardown(&s);
	ok = th_server_stop(server) && ok;
	unlink(dumped);
	unlink(dump);
	return ok;
}

int
main(int argc, char *argv[])
{
	char vkms[32], preload[256], counts_path[64];
	if (!th_find_drm_device("vkms", vkms, sizeof(vkms))) {
		fprintf(stderr, "sluice-bench-cost: no vkms device (run bench/run-cost)\n");
		return 1;
	}
	if (!sl_ioctl_counter_path(preload, sizeof(preload)) ||
	    !sl_ioctl_counts_create(counts_path, sizeof(counts_path))) {
		fprintf(stderr,
			"sluice-bench-cost: no ioctl-count.so beside this program, or no "
			"counts file: %s\n",
			strerror(errno));
		return 1;
	}
	int n_bins = argc > 1 ? argc - 1 : 1;
	const char *default_bin = getenv("SLUICE_BIN") ? getenv("SLUICE_BIN") : "sluice";
	int n_rows = n_bins * N_WORKLOADS;
	struct row *rows = calloc((size_t)n_rows, sizeof(*rows));
	bool ok = rows != NULL;
	for (int i = 0; ok && i < n_rows; i++) {
		struct row *r = &rows[i];
		r->bin = argc > 1 ? argv[1 + i / N_WORKLOADS] : default_bin;
		r->workload = (enum workload)(i % N_WORKLOADS);
		ok = run_counted(vkms, preload, counts_path, r) && run_callgrind(vkms, r);
		if (!ok)
			fprintf(stderr, "sluice-bench-cost: %s, %s: the run failed\n", r->bin,
				workload_names[r->workload]);
	}
	unlink(counts_path);
	if (!ok)
		return 1;
	printf("\nper presented frame, %d frames after %d of warm-up, on vkms; instructions by "
	       "callgrind, syscalls by strace, ioctls by ioctl-count.so\n\n",
	       FRAMES, WARMUP);
	printf("| binary | workload | zero-copy | instructions | syscalls | ioctls | atomic | "
	       "TEST_ONLY | ADDFB | top functions (own instructions) |\n");
	printf("|---|---|--:|--:|--:|--:|--:|--:|--:|---|\n");
	for (int i = 0; i < n_rows; i++) {
		const struct row *r = &rows[i];
		char c[4][32];
		sl_per_frame_str(c[0], sizeof(c[0]), r->counts.ioctls, r->frames);
		sl_per_frame_str(c[1], sizeof(c[1]), r->counts.commits, r->frames);
		sl_per_frame_str(c[2], sizeof(c[2]), r->counts.test_commits, r->frames);
		sl_per_frame_str(c[3], sizeof(c[3]), r->counts.fb_adds, r->frames);
		printf("| %s | %s | %d | %lld | %.1f | %s | %s | %s | %s | %s; %s; %s |\n", r->bin,
		       workload_names[r->workload], r->zero_copy, r->instructions / r->frames,
		       (double)r->syscalls / r->frames, c[0], c[1], c[2], c[3], r->top[0],
		       r->top[1], r->top[2]);
	}
	free(rows);
	return 0;
}
