/*
 * Witness of how vkms loses writeback jobs, without sluice: what backends/kms/writeback.c is
 * built on, checked against the driver itself.
 *
 *   witness-vkms-writeback /dev/dri/cardN [JOBS]
 *
 * vkms keeps "composer enabled" as one flag: a writeback job's commit sets it, and the job's
 * cleanup (a worker the DRM core queues once the job's fence has signalled) clears it. A job
 * committed between a signal and that cleanup is left queued with the composer off. To give that
 * race every chance, each job here is committed by a blocking atomic commit (the driver's part
 * runs in this thread) as soon as any fence signals. Per job it records what signalled within
 * 300 ms of its commit: its own fence (in step), the fence of an earlier job still queued
 * (late: the queue runs behind), or nothing (stranded). After nothing, one more job is committed
 * (as sluice's kick does) and must make some fence signal.
 *
 * Prints "jobs J in-step A late B stranded C kicks-recovered D", then what a job committed
 * behind a queued one does, and exits 0 when every stranded job was recovered by one kick, 1
 * otherwise, 2 if it could not run.
 */
#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

enum { MAX_QUEUED = 16, WAIT_MS = 300 };

struct pipe {
	int fd;
	uint32_t connector, writeback, crtc, plane;
	unsigned crtc_index;
	drmModeModeInfo mode;
	uint32_t fb, wb_fb;
	/* Fences of committed jobs that have not signalled, oldest first. */
	int queued[MAX_QUEUED];
	int count;
};

static uint32_t
prop(int fd, uint32_t object, uint32_t type, const char *name)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(fd, object, type);
	uint32_t id = 0;
	for (uint32_t i = 0; props && i < props->count_props && !id; i++) {
		drmModePropertyRes *p = drmModeGetProperty(fd, props->props[i]);
		if (p && strcmp(p->name, name) == 0)
			id = p->prop_id;
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return id;
}

static bool
find_pipe(struct pipe *p)
{
	drmModeRes *res = drmModeGetResources(p->fd);
	if (!res || res->count_crtcs < 1)
		return false;
	/* vkms has one CRTC; both the virtual and the writeback connector can take it. */
	p->crtc = res->crtcs[0];
	p->crtc_index = 0;
	for (int i = 0; i < res->count_connectors; i++) {
		drmModeConnector *c = drmModeGetConnector(p->fd, res->connectors[i]);
		if (c && c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK) {
			p->writeback = c->connector_id;
		} else if (c && c->connection == DRM_MODE_CONNECTED && c->count_modes > 0 &&
			   !p->connector) {
			p->connector = c->connector_id;
			p->mode = c->modes[0];
			for (int m = 0; m < c->count_modes; m++)
				if (c->modes[m].type & DRM_MODE_TYPE_PREFERRED)
					p->mode = c->modes[m];
		}
		drmModeFreeConnector(c);
	}
	drmModeFreeResources(res);
	drmModePlaneRes *planes = drmModeGetPlaneResources(p->fd);
	uint32_t type = 0;
	for (uint32_t i = 0; planes && i < planes->count_planes && !p->plane; i++) {
		drmModeObjectProperties *props =
			drmModeObjectGetProperties(p->fd, planes->planes[i], DRM_MODE_OBJECT_PLANE);
		type = prop(p->fd, planes->planes[i], DRM_MODE_OBJECT_PLANE, "type");
		for (uint32_t k = 0; props && k < props->count_props; k++)
			if (props->props[k] == type &&
			    props->prop_values[k] == DRM_PLANE_TYPE_PRIMARY)
				p->plane = planes->planes[i];
		drmModeFreeObjectProperties(props);
	}
	drmModeFreePlaneResources(planes);
	return p->connector && p->writeback && p->plane;
}

static bool
add_fb(struct pipe *p, uint32_t *fb)
{
	struct drm_mode_create_dumb create = {
		.width = p->mode.hdisplay, .height = p->mode.vdisplay, .bpp = 32};
	if (drmIoctl(p->fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0)
		return false;
	uint32_t handles[4] = {create.handle}, pitches[4] = {create.pitch}, offsets[4] = {0};
	return drmModeAddFB2(p->fd, create.width, create.height, DRM_FORMAT_XRGB8888, handles,
			     pitches, offsets, fb, 0) == 0;
}

static void
add(drmModeAtomicReq *req, int fd, uint32_t object, uint32_t type, const char *name, uint64_t value)
{
	drmModeAtomicAddProperty(req, object, prop(fd, object, type, name), value);
}

static bool
modeset(struct pipe *p)
{
	uint32_t blob;
	if (drmModeCreatePropertyBlob(p->fd, &p->mode, sizeof(p->mode), &blob) < 0)
		return false;
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	const uint32_t C = DRM_MODE_OBJECT_CONNECTOR, R = DRM_MODE_OBJECT_CRTC,
		       P = DRM_MODE_OBJECT_PLANE;
	add(req, p->fd, p->connector, C, "CRTC_ID", p->crtc);
	add(req, p->fd, p->writeback, C, "CRTC_ID", p->crtc);
	add(req, p->fd, p->crtc, R, "MODE_ID", blob);
	add(req, p->fd, p->crtc, R, "ACTIVE", 1);
	add(req, p->fd, p->plane, P, "FB_ID", p->fb);
	add(req, p->fd, p->plane, P, "CRTC_ID", p->crtc);
	add(req, p->fd, p->plane, P, "SRC_W", (uint64_t)p->mode.hdisplay << 16);
	add(req, p->fd, p->plane, P, "SRC_H", (uint64_t)p->mode.vdisplay << 16);
	add(req, p->fd, p->plane, P, "CRTC_W", p->mode.hdisplay);
	add(req, p->fd, p->plane, P, "CRTC_H", p->mode.vdisplay);
	int ret = drmModeAtomicCommit(p->fd, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL);
	drmModeAtomicFree(req);
	return ret == 0;
}

/* One writeback job (committed blocking unless flags say otherwise); its fence joins the queue. */
static bool
commit_job_flags(struct pipe *p, uint32_t flags)
{
	int32_t fence = -1;
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	add(req, p->fd, p->writeback, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_FB_ID", p->wb_fb);
	add(req, p->fd, p->writeback, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_OUT_FENCE_PTR",
	    (uint64_t)(uintptr_t)&fence);
	int ret = drmModeAtomicCommit(p->fd, req, flags, NULL);
	drmModeAtomicFree(req);
	if (ret < 0 || fence < 0 || p->count == MAX_QUEUED) {
		fprintf(stderr, "witness-vkms-writeback: commit: %s\n", strerror(errno));
		if (fence >= 0)
			close(fence);
		return false;
	}
	p->queued[p->count++] = fence;
	return true;
}

static bool
commit_job(struct pipe *p)
{
	return commit_job_flags(p, 0);
}

/* The CRTC (and the writeback connector with it) turned off, as a compositor's exit may. */
static bool
crtc_off(struct pipe *p)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	add(req, p->fd, p->crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", 0);
	int ret = drmModeAtomicCommit(p->fd, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL);
	drmModeAtomicFree(req);
	return ret == 0;
}

/* Waits WAIT_MS for queued fences: the newest that signalled (0 = oldest), or -1. */
static int
wait_any(struct pipe *p)
{
	struct pollfd fds[MAX_QUEUED];
	for (int i = 0; i < p->count; i++)
		fds[i] = (struct pollfd){.fd = p->queued[i], .events = POLLIN};
	if (poll(fds, (nfds_t)p->count, WAIT_MS) <= 0)
		return -1;
	int hit = -1;
	for (int i = p->count - 1; i >= 0; i--)
		if (fds[i].revents & POLLIN) {
			close(p->queued[i]);
			memmove(&p->queued[i], &p->queued[i + 1],
				(size_t)(p->count - i - 1) * sizeof(int));
			p->count--;
			if (hit < 0)
				hit = i;
		}
	return hit;
}

int
main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "usage: witness-vkms-writeback /dev/dri/cardN [JOBS]\n");
		return 2;
	}
	int jobs = argc > 2 ? atoi(argv[2]) : 60;
	struct pipe p = {.fd = open(argv[1], O_RDWR | O_CLOEXEC)};
	if (p.fd < 0 || drmSetClientCap(p.fd, DRM_CLIENT_CAP_ATOMIC, 1) < 0 ||
	    drmSetClientCap(p.fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1) < 0) {
		fprintf(stderr, "witness-vkms-writeback: %s: no atomic writeback: %s\n", argv[1],
			strerror(errno));
		return 2;
	}
	if (!find_pipe(&p) || !add_fb(&p, &p.fb) || !add_fb(&p, &p.wb_fb) || !modeset(&p)) {
		fprintf(stderr, "witness-vkms-writeback: cannot set up %s: %s\n", argv[1],
			strerror(errno));
		return 2;
	}
	int in_step = 0, late = 0, stranded = 0, recovered = 0;
	for (int j = 0; j < jobs; j++) {
		if (!commit_job(&p))
			return 2;
		int own = p.count - 1;
		int hit = wait_any(&p);
		if (hit == own) {
			in_step++;
		} else if (hit >= 0) {
			late++;
		} else {
			stranded++;
			/* The kick: one more job, whose composition must signal something. */
			if (!commit_job(&p))
				return 2;
			if (wait_any(&p) >= 0)
				recovered++;
		}
	}
	printf("jobs %d in-step %d late %d stranded %d kicks-recovered %d\n", jobs, in_step, late,
	       stranded, recovered);
	/*
	 * Last, as it leaves the queue a job behind for good: a job committed while the one
	 * before it is still queued (before its fence, hence its cleanup) is the race lost
	 * for certain. What signals after each step: A's fence, then nothing (B stranded), then
	 * after the kick B's, the kick's own staying queued.
	 */
	int drained = p.count;
	while (p.count > 0 && wait_any(&p) >= 0)
		;
	if (!commit_job(&p) || !commit_job(&p))
		return 2;
	int first = wait_any(&p), second = wait_any(&p);
	if (!commit_job(&p))
		return 2;
	int kicked = wait_any(&p);
	bool recovered_behind = second >= 0 || kicked >= 0;
	printf("queued-behind (%d drained first): after both %s, then %s; after the kick %s\n",
	       drained,
	       first == 0  ? "the first's fence"
	       : first > 0 ? "the second's"
			   : "nothing",
	       second == 0  ? "the next fence"
	       : second > 0 ? "a later fence"
			    : "nothing",
	       kicked == 0  ? "the oldest queued fence"
	       : kicked > 0 ? "a newer fence"
			    : "nothing");
	/*
	 * A job still queued when the CRTC goes off (a compositor stopped with a capture in
	 * flight), then the CRTC on again and one more job: which fences signal.
	 */
	while (p.count > 0 && wait_any(&p) >= 0)
		;
	int left = p.count;
	if (!commit_job_flags(&p, DRM_MODE_ATOMIC_NONBLOCK) || !crtc_off(&p))
		return 2;
	int off = wait_any(&p);
	if (!modeset(&p) || !commit_job(&p))
		return 2;
	int on = wait_any(&p);
	printf("crtc-off (%d left queued before): with the CRTC off %s; on again, a new job: %s, "
	       "%d still queued\n",
	       left, off >= 0 ? "its fence signalled" : "nothing signalled",
	       on < 0	       ? "nothing"
	       : on == p.count ? "its own fence"
			       : "an older fence",
	       p.count);
	return recovered == stranded && recovered_behind ? 0 : 1;
}
