/*
 * The physical limit of a direct-scanout frame, and how far sluice is from it. Inside the test VM
 * (bench/run-limit boots it), on vkms:
 *   - the bare loop: no Wayland, no compositor. Two dumb buffers are flipped on the primary plane,
 *     one non-blocking atomic commit per vblank (FB_ID only), each page-flip event awaited with
 *     poll(); it runs as a child process of its own (--flip-loop), so it is measured as sluice is;
 *   - sluice (and any other builds named on the command line) showing a fullscreen client that
 *     alternates two dma-bufs on that plane, a new one as soon as the previous is presented.
 * Per row: CPU (user + system) per flip or presented frame, its ratio to the bare loop, missed
 * vblanks and, counted by ioctl-count.so, the DRM ioctls per frame: real and TEST_ONLY atomic
 * commits, framebuffer adds and the rest.
 */
#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "harness.h"
#include "ioctl-count.h"

enum { FRAMES = 600, WARMUP = 30 };

struct row {
	char name[160];
	double cpu_ms;
	int frames;
	long long missed;
	struct sl_ioctl_counts counts; /* over the measured frames */
	long long allocations, reuses; /* sluice's --stats; -1 for the loop */
};

/* ---- the bare flip loop (in its own process) ---- */

static uint32_t
prop_id(int fd, uint32_t object, uint32_t type, const char *name)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(fd, object, type);
	uint32_t id = 0;
	for (uint32_t i = 0; props && i < props->count_props && !id; i++) {
		drmModePropertyRes *prop = drmModeGetProperty(fd, props->props[i]);
		if (prop && strcmp(prop->name, name) == 0)
			id = prop->prop_id;
		drmModeFreeProperty(prop);
	}
	drmModeFreeObjectProperties(props);
	return id;
}

static uint64_t
prop_value(int fd, uint32_t object, uint32_t type, const char *name)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(fd, object, type);
	uint64_t value = 0;
	for (uint32_t i = 0; props && i < props->count_props; i++) {
		drmModePropertyRes *prop = drmModeGetProperty(fd, props->props[i]);
		if (prop && strcmp(prop->name, name) == 0)
			value = props->prop_values[i];
		drmModeFreeProperty(prop);
	}
	drmModeFreeObjectProperties(props);
	return value;
}

struct loop {
	int fd;
	uint32_t connector, crtc, plane, fbs[2];
	unsigned crtc_index;
	drmModeModeInfo mode;
	bool flipped;
	unsigned last_seq;
	long long missed;
};

static bool
loop_find_pipe(struct loop *l)
{
	drmModeRes *res = drmModeGetResources(l->fd);
	if (!res)
		return false;
	for (int i = 0; i < res->count_connectors && !l->connector; i++) {
		drmModeConnector *c = drmModeGetConnector(l->fd, res->connectors[i]);
		if (c && c->connection == DRM_MODE_CONNECTED && c->count_modes > 0) {
			l->mode = c->modes[0];
			for (int m = 0; m < c->count_modes; m++)
				if (c->modes[m].type & DRM_MODE_TYPE_PREFERRED) {
					l->mode = c->modes[m];
					break;
				}
			uint32_t crtcs = 0;
			for (int e = 0; e < c->count_encoders; e++) {
				drmModeEncoder *enc = drmModeGetEncoder(l->fd, c->encoders[e]);
				crtcs |= enc ? enc->possible_crtcs : 0;
				drmModeFreeEncoder(enc);
			}
			for (int k = 0; k < res->count_crtcs && !l->crtc; k++)
				if (crtcs & (1u << k)) {
					l->crtc = res->crtcs[k];
					l->crtc_index = (unsigned)k;
					l->connector = c->connector_id;
				}
		}
		drmModeFreeConnector(c);
	}
	drmModeFreeResources(res);
	drmModePlaneRes *planes = drmModeGetPlaneResources(l->fd);
	for (uint32_t i = 0; planes && i < planes->count_planes && !l->plane; i++) {
		drmModePlane *p = drmModeGetPlane(l->fd, planes->planes[i]);
		if (p && (p->possible_crtcs & (1u << l->crtc_index)) &&
		    prop_value(l->fd, p->plane_id, DRM_MODE_OBJECT_PLANE, "type") ==
			    DRM_PLANE_TYPE_PRIMARY)
			l->plane = p->plane_id;
		drmModeFreePlane(p);
	}
	drmModeFreePlaneResources(planes);
	return l->connector && l->crtc && l->plane;
}

static bool
loop_add_fb(struct loop *l, uint32_t colour, uint32_t *fb_id)
{
	struct drm_mode_create_dumb create = {
		.width = l->mode.hdisplay, .height = l->mode.vdisplay, .bpp = 32};
	if (drmIoctl(l->fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0)
		return false;
	struct drm_mode_map_dumb map = {.handle = create.handle};
	if (drmIoctl(l->fd, DRM_IOCTL_MODE_MAP_DUMB, &map) < 0)
		return false;
	uint32_t *pixels = mmap(NULL, create.size, PROT_WRITE, MAP_SHARED, l->fd, map.offset);
	if (pixels == MAP_FAILED)
		return false;
	for (size_t i = 0; i < create.size / 4; i++)
		pixels[i] = colour;
	munmap(pixels, create.size);
	uint32_t handles[4] = {create.handle}, pitches[4] = {create.pitch}, offsets[4] = {0};
	return drmModeAddFB2(l->fd, create.width, create.height, DRM_FORMAT_XRGB8888, handles,
			     pitches, offsets, fb_id, 0) == 0;
}

static void
loop_flipped(int fd, unsigned seq, unsigned sec, unsigned usec, unsigned crtc, void *data)
{
	struct loop *l = data;
	if (l->last_seq && seq > l->last_seq + 1)
		l->missed += seq - l->last_seq - 1;
	l->last_seq = seq;
	l->flipped = true;
}

static bool
loop_commit(struct loop *l, uint32_t fb, bool modeset)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	uint32_t fb_prop = prop_id(l->fd, l->plane, DRM_MODE_OBJECT_PLANE, "FB_ID");
	drmModeAtomicAddProperty(req, l->plane, fb_prop, fb);
	uint32_t flags = DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_PAGE_FLIP_EVENT;
	if (modeset) {
		uint32_t blob;
		if (drmModeCreatePropertyBlob(l->fd, &l->mode, sizeof(l->mode), &blob) < 0)
			return false;
		const struct {
			uint32_t object, type;
			const char *name;
			uint64_t value;
		} set[] = {
			{l->connector, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", l->crtc},
			{l->crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID", blob},
			{l->crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", 1},
			{l->plane, DRM_MODE_OBJECT_PLANE, "CRTC_ID", l->crtc},
			{l->plane, DRM_MODE_OBJECT_PLANE, "SRC_X", 0},
			{l->plane, DRM_MODE_OBJECT_PLANE, "SRC_Y", 0},
			{l->plane, DRM_MODE_OBJECT_PLANE, "SRC_W",
			 (uint64_t)l->mode.hdisplay << 16},
			{l->plane, DRM_MODE_OBJECT_PLANE, "SRC_H",
			 (uint64_t)l->mode.vdisplay << 16},
			{l->plane, DRM_MODE_OBJECT_PLANE, "CRTC_X", 0},
			{l->plane, DRM_MODE_OBJECT_PLANE, "CRTC_Y", 0},
			{l->plane, DRM_MODE_OBJECT_PLANE, "CRTC_W", l->mode.hdisplay},
			{l->plane, DRM_MODE_OBJECT_PLANE, "CRTC_H", l->mode.vdisplay},
		};
		for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
			drmModeAtomicAddProperty(
				req, set[i].object,
				prop_id(l->fd, set[i].object, set[i].type, set[i].name),
				set[i].value);
		flags |= DRM_MODE_ATOMIC_ALLOW_MODESET;
	}
	int ret = drmModeAtomicCommit(l->fd, req, flags, l);
	drmModeAtomicFree(req);
	return ret == 0;
}

static bool
loop_wait_flip(struct loop *l)
{
	drmEventContext ctx = {.version = 3, .page_flip_handler2 = loop_flipped};
	l->flipped = false;
	while (!l->flipped) {
		struct pollfd pfd = {.fd = l->fd, .events = POLLIN};
		if (poll(&pfd, 1, 1000) != 1 || drmHandleEvent(l->fd, &ctx) != 0)
			return false;
	}
	return true;
}

static double
self_cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Prints "cpu_seconds frames missed" and the ioctl counts of the measured flips. */
static int
flip_loop(const char *path)
{
	struct loop l = {.fd = open(path, O_RDWR | O_CLOEXEC)};
	if (l.fd < 0 || drmSetClientCap(l.fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) < 0 ||
	    drmSetClientCap(l.fd, DRM_CLIENT_CAP_ATOMIC, 1) < 0 || !loop_find_pipe(&l) ||
	    !loop_add_fb(&l, 0x203040, &l.fbs[0]) || !loop_add_fb(&l, 0x405060, &l.fbs[1])) {
		fprintf(stderr, "flip loop: cannot set up %s: %s\n", path, strerror(errno));
		return 1;
	}
	/* The property id is looked up once, as a compositor does. */
	uint32_t fb_prop = prop_id(l.fd, l.plane, DRM_MODE_OBJECT_PLANE, "FB_ID");
	if (!loop_commit(&l, l.fbs[0], true) || !loop_wait_flip(&l)) {
		fprintf(stderr, "flip loop: the modeset failed: %s\n", strerror(errno));
		return 1;
	}
	const struct sl_ioctl_counts *counts = sl_ioctl_counts_map(getenv("SLUICE_IOCTL_COUNTS"));
	struct sl_ioctl_counts before = {0};
	double cpu = 0;
	for (int i = 0; i < WARMUP + FRAMES; i++) {
		if (i == WARMUP) {
			cpu = self_cpu_seconds();
			l.missed = 0;
			if (counts)
				before = *counts;
		}
		drmModeAtomicReq *req = drmModeAtomicAlloc();
		drmModeAtomicAddProperty(req, l.plane, fb_prop, l.fbs[(i + 1) % 2]);
		int ret = drmModeAtomicCommit(
			l.fd, req, DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_PAGE_FLIP_EVENT, &l);
		drmModeAtomicFree(req);
		if (ret != 0 || !loop_wait_flip(&l)) {
			fprintf(stderr, "flip loop: flip %d failed: %s\n", i, strerror(errno));
			return 1;
		}
	}
	cpu = self_cpu_seconds() - cpu;
	struct sl_ioctl_counts after = counts ? *counts : before;
	printf("%.6f %d %lld %llu %llu %llu %llu %llu\n", cpu, FRAMES, l.missed,
	       (unsigned long long)(after.ioctls - before.ioctls),
	       (unsigned long long)(after.commits - before.commits),
	       (unsigned long long)(after.test_commits - before.test_commits),
	       (unsigned long long)(after.fb_adds - before.fb_adds),
	       (unsigned long long)(after.drm_other - before.drm_other));
	close(l.fd);
	return 0;
}

/* ---- the rows ---- */

static bool
run_loop(const char *self, const char *vkms, const char *preload, const char *counts_path,
	 struct row *row)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "LD_PRELOAD='%s' SLUICE_IOCTL_COUNTS='%s' '%s' --flip-loop '%s'",
		 preload, counts_path, self, vkms);
	FILE *p = popen(cmd, "r");
	double cpu = 0;
	unsigned long long n[5] = {0};
	bool ok = p && fscanf(p, "%lf %d %lld %llu %llu %llu %llu %llu", &cpu, &row->frames,
			      &row->missed, &n[0], &n[1], &n[2], &n[3], &n[4]) == 8;
	ok = p && pclose(p) == 0 && ok;
	snprintf(row->name, sizeof(row->name), "bare atomic flip loop");
	row->cpu_ms = cpu * 1000.0 / (row->frames > 0 ? row->frames : 1);
	row->allocations = row->reuses = -1;
	row->counts = (struct sl_ioctl_counts){n[0], n[1], n[2], n[3], n[4]};
	return ok;
}

static bool
run_sluice(const char *bin, const char *vkms, const char *preload, const char *counts_path,
	   struct row *row)
{
	char stats[256], preload_env[300], counts_env[300];
	th_stats_path("limit", stats, sizeof(stats));
	snprintf(preload_env, sizeof(preload_env), "LD_PRELOAD=%s", preload);
	snprintf(counts_env, sizeof(counts_env), "SLUICE_IOCTL_COUNTS=%s", counts_path);
	const char *const env[] = {preload_env, counts_env, NULL};
	const char *const args[] = {"--backend", "drm",	    "--drm-device", vkms, "--log-level",
				    "warn",	 "--stats", stats,	    NULL};
	setenv("SLUICE_BIN", bin, 1);
	snprintf(row->name, sizeof(row->name), "%s, fullscreen dma-buf", bin);
	struct th_server *server = th_server_start_env(args, env);
	if (!server)
		return false;
	const struct sl_ioctl_counts *counts = sl_ioctl_counts_map(counts_path);
	struct th_client *c = th_client_connect(server);
	struct th_window *w = c ? th_window_create(c) : NULL;
	if (!counts || !w || !c->dmabuf)
		return false;
	struct th_painted_buffer bufs[2];
	if (!th_painted_pair_create(c, w->width, w->height, bufs))
		return false;
	struct sl_ioctl_counts before = {0};
	double cpu = 0;
	uint64_t last_seq = 0;
	int zero_copy = 0;
	for (int i = 0; i < WARMUP + FRAMES; i++) {
		if (i == WARMUP) {
			cpu = th_cpu_seconds(server->pid);
			before = *counts;
			row->missed = 0;
		}
		wl_surface_attach(w->surface, bufs[i % 2].buffer, 0, 0);
		wl_surface_damage_buffer(w->surface, 0, 0, w->width, w->height);
		struct th_presented p = {0};
		if (!th_commit_and_wait(c, w->surface, &p) || !p.presented)
			return false;
		if (last_seq && p.seq > last_seq + 1)
			row->missed += (long long)(p.seq - last_seq - 1);
		last_seq = p.seq;
		zero_copy += i >= WARMUP && (p.flags & WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY);
	}
	row->frames = FRAMES;
	row->cpu_ms = (th_cpu_seconds(server->pid) - cpu) * 1000.0 / FRAMES;
	row->counts = sl_ioctl_counts_sub(counts, &before);
	sl_ioctl_counts_unmap(counts);
	for (int i = 0; i < 2; i++)
		th_painted_buffer_destroy(&bufs[i]);
	th_window_destroy(w);
	th_client_destroy(c);
	if (!th_server_stop(server))
		return false;
	row->allocations = th_stats_value(stats, "plane_allocations");
	row->reuses = th_stats_value(stats, "plane_reuses");
	if (zero_copy != FRAMES) {
		fprintf(stderr, "sluice-bench-limit: %s: %d of %d frames zero-copy\n", bin,
			zero_copy, FRAMES);
		return false;
	}
	return true;
}

int
main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[1], "--flip-loop") == 0)
		return flip_loop(argv[2]);
	char vkms[32];
	if (!th_find_drm_device("vkms", vkms, sizeof(vkms))) {
		fprintf(stderr, "sluice-bench-limit: no vkms device (run bench/run-limit)\n");
		return 1;
	}
	char preload[256], counts_path[64];
	if (!sl_ioctl_counter_path(preload, sizeof(preload))) {
		fprintf(stderr, "sluice-bench-limit: no ioctl-count.so beside this program\n");
		return 1;
	}
	if (!sl_ioctl_counts_create(counts_path, sizeof(counts_path))) {
		fprintf(stderr, "sluice-bench-limit: cannot make the counts file: %s\n",
			strerror(errno));
		return 1;
	}
	const char *default_bin = getenv("SLUICE_BIN") ? getenv("SLUICE_BIN") : "sluice";
	int n_bins = argc > 1 ? argc - 1 : 1;
	struct row *rows = calloc((size_t)n_bins + 1, sizeof(*rows));
	bool ok = rows && run_loop(argv[0], vkms, preload, counts_path, &rows[0]);
	if (!ok)
		fprintf(stderr, "sluice-bench-limit: the bare flip loop failed\n");
	for (int i = 0; ok && i < n_bins; i++) {
		/* The counters start from zero for each process. */
		ok = sl_ioctl_counts_reset(counts_path);
		const char *bin = argc > 1 ? argv[i + 1] : default_bin;
		ok = ok && run_sluice(bin, vkms, preload, counts_path, &rows[i + 1]);
		if (!ok)
			fprintf(stderr, "sluice-bench-limit: the run of %s failed\n", bin);
	}
	unlink(counts_path);
	if (!ok)
		return 1;
	printf("\n%d frames each on vkms, after %d of warm-up; ioctls per frame\n\n", FRAMES,
	       WARMUP);
	printf("| row | CPU ms/frame | /loop | missed vblanks | ioctls | atomic | TEST_ONLY | "
	       "ADDFB | other DRM | plane allocations, reuses |\n");
	printf("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
	for (int i = 0; i <= n_bins; i++) {
		const struct row *r = &rows[i];
		char c[5][32];
		sl_per_frame_str(c[0], sizeof(c[0]), r->counts.ioctls, r->frames);
		sl_per_frame_str(c[1], sizeof(c[1]), r->counts.commits, r->frames);
		sl_per_frame_str(c[2], sizeof(c[2]), r->counts.test_commits, r->frames);
		sl_per_frame_str(c[3], sizeof(c[3]), r->counts.fb_adds, r->frames);
		sl_per_frame_str(c[4], sizeof(c[4]), r->counts.drm_other, r->frames);
		char alloc[64] = "";
		if (r->allocations >= 0)
			snprintf(alloc, sizeof(alloc), "%lld, %lld", r->allocations, r->reuses);
		printf("| %s | %.3f | %.2f | %lld | %s | %s | %s | %s | %s | %s |\n", r->name,
		       r->cpu_ms, rows[0].cpu_ms > 0 ? r->cpu_ms / rows[0].cpu_ms : 0, r->missed,
		       c[0], c[1], c[2], c[3], c[4], alloc);
	}
	free(rows);
	return 0;
}
