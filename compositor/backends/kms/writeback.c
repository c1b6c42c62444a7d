/*
 * Capture through the writeback connector: it is routed to the CRTC once, at the modeset, and a
 * frame with a readback wanted also writes into our writeback buffer; its fence is waited for on
 * the event loop before the frame is reported presented, with the pixels the CRTC produced.
 */
#include <assert.h>
#include <poll.h>
#include <string.h>
#include <xf86drmMode.h>

#include "backends/kms/kms-internal.h"
#include "core/output.h"
#include "core/server.h"
#include "core/timer.h"
#include "fd.h"
#include "log.h"
#include "time-util.h"

/*
 * How long after its page flip a writeback fence may take before the driver is asked to write
 * the frame again, and before the capture is given up. vkms writes back from a worker at the
 * next vblank, well within a few refreshes even under emulation.
 */
#define WRITEBACK_KICK_NS 250000000LL
#define WRITEBACK_TIMEOUT_NS 1000000000LL

/*
 * A driver may strand a writeback job (vkms on 6.12 does, once in a few captures). The likely
 * cause, read from its code: vkms (6.1 and 6.12) keeps "composer enabled" as one flag,
 * which a job's commit sets and the same job's cleanup (a worker, after its fence signalled)
 * clears. When the next job is committed before that worker has run, the composer is off with
 * the new job queued: its fence never signals, and each later job's composition signals the
 * fence at the head of the connector's queue, its predecessor's. Such a queue outlives the
 * process that filled it. So every fence of a job not known written is kept (the driver's queue,
 * oldest first), and the capture in flight is written as soon as any kept fence signals after
 * its flip: the CRTC has shown nothing else since. If none has after WRITEBACK_KICK_NS, a commit
 * that only asks for another writeback of the same frame (a kick) queues one more job, whose
 * composition signals the stranded head; after WRITEBACK_TIMEOUT_NS the capture is given up.
 * A kept fence found already signalled was only late, and is dropped.
 */
static void
kept_unlisten(struct kms_output *ko)
{
	for (int i = 0; i < ko->writeback_kept_count; i++) {
		if (ko->writeback_kept[i].source)
			wl_event_source_remove(ko->writeback_kept[i].source);
		ko->writeback_kept[i].source = NULL;
	}
}

static void
kept_drop(struct kms_output *ko, int i)
{
	assert(i >= 0 && i < ko->writeback_kept_count);
	if (ko->writeback_kept[i].source)
		wl_event_source_remove(ko->writeback_kept[i].source);
	fd_close(&ko->writeback_kept[i].fd);
	memmove(&ko->writeback_kept[i], &ko->writeback_kept[i + 1],
		(size_t)(ko->writeback_kept_count - i - 1) * sizeof(ko->writeback_kept[0]));
	ko->writeback_kept_count--;
	if (ko->writeback_own_first > i)
		ko->writeback_own_first--;
}

/* Takes fd. deaf: test fault injection, as if it never signalled. */
static void
kept_add(struct kms_output *ko, int32_t fd, bool deaf)
{
	if (ko->writeback_kept_count == KMS_WRITEBACK_KEPT)
		kept_drop(ko, 0); /* that many jobs behind: the oldest will not be heard of */
	ko->writeback_kept[ko->writeback_kept_count++] =
		(struct kms_kept_fence){.fd = fd, .deaf = deaf, .source = NULL};
}

void
kms_writeback_finish(struct kms_output *ko)
{
	while (ko->writeback_kept_count > 0)
		kept_drop(ko, ko->writeback_kept_count - 1);
}

static void
writeback_done(struct kms_output *ko, bool lost)
{
	kept_unlisten(ko);
	ko->writeback_waiting = false;
	ko->writeback_pending = false;
	log_debug("kms", "%s: writeback %s", ko->output->name, lost ? "given up" : "written");
	ko->writeback_lost = lost;
	kms_output_finish_frame(ko);
	ko->writeback_lost = false;
}

static int
handle_kept_fence(int fd, uint32_t mask, void *data)
{
	struct kms_output *ko = data;
	int i = 0;
	while (i < ko->writeback_kept_count && ko->writeback_kept[i].fd != fd)
		i++;
	assert(i < ko->writeback_kept_count);
	if (i < ko->writeback_own_first) {
		/* A job of an earlier capture: the queue runs late, this capture is written. */
		if (!ko->writeback_late_logged)
			log_info("kms",
				 "%s: writeback fences signal a job late (the driver stranded a "
				 "job); captures complete on the fence of a job before theirs",
				 ko->output->name);
		ko->writeback_late_logged = true;
		ko->device->server->stats.writeback_late_fences++;
	}
	kept_drop(ko, i);
	writeback_done(ko, false);
	return 0;
}

static bool
take_lost(struct kms_device *dev)
{
	if (dev->lose_writebacks == 0)
		return false;
	dev->lose_writebacks--;
	return true;
}

/* Asks for one more writeback of what the CRTC shows, into the same buffer. */
static bool
kick(struct kms_output *ko)
{
	struct kms_device *dev = ko->device;
	int32_t fence = -1;
	struct atomic atomic = {.req = drmModeAtomicAlloc()};
	if (!atomic.req)
		return false;
	kms_writeback_add_capture_to(ko, &atomic, &fence);
	bool ok = !atomic.failed &&
		  drmModeAtomicCommit(dev->fd, atomic.req, DRM_MODE_ATOMIC_NONBLOCK, NULL) == 0;
	drmModeAtomicFree(atomic.req);
	if (!ok || fence < 0) {
		log_errno("kms", "%s: cannot ask for the writeback again", ko->output->name);
		fd_close(&fence);
		return false;
	}
	log_info("kms",
		 "%s: no writeback fence signalled %lld ms after the flip: asked the driver to "
		 "write the frame again",
		 ko->output->name, WRITEBACK_KICK_NS / 1000000);
	dev->server->stats.writeback_kicks++;
	kept_add(ko, fence, take_lost(dev));
	return true;
}

static bool
kept_listen(struct kms_output *ko)
{
	struct wl_event_loop *loop = ko->device->server->loop;
	for (int i = 0; i < ko->writeback_kept_count; i++) {
		struct kms_kept_fence *k = &ko->writeback_kept[i];
		if (!k->deaf && !k->source)
			k->source = wl_event_loop_add_fd(loop, k->fd, WL_EVENT_READABLE,
							 handle_kept_fence, ko);
		if (!k->deaf && !k->source)
			return false;
	}
	return true;
}

static void
handle_writeback_timeout(void *data)
{
	struct kms_output *ko = data;
	if (!ko->writeback_waiting)
		return; /* signalled in time; this was that wait's timer */
	if (!ko->writeback_kicked) {
		ko->writeback_kicked = true;
		if (kick(ko) && kept_listen(ko)) {
			sl_timer_arm(ko->writeback_timer,
				     monotonic_ns() + WRITEBACK_TIMEOUT_NS - WRITEBACK_KICK_NS);
			return;
		}
	}
	log_warn("kms",
		 "%s: the writeback fence did not signal within %lld ms of the page flip: "
		 "the frame is presented without its pixels",
		 ko->output->name, WRITEBACK_TIMEOUT_NS / 1000000);
	ko->device->server->stats.writeback_timeouts++;
	/* Its fences stay kept: they may be the head of a queue that runs late. */
	writeback_done(ko, true);
}

/* Whether fd (a sync_file) has signalled, without waiting. */
static bool
fence_signalled(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) == 1;
}

bool
kms_writeback_wait(struct kms_output *ko)
{
	if (!ko->writeback_pending)
		return false;
	/* Never block: the writeback fences are event sources, with a timer beside them. */
	struct kms_device *dev = ko->device;
	if (!ko->writeback_timer)
		ko->writeback_timer =
			sl_timer_create(dev->server->loop, handle_writeback_timeout, ko);
	for (int i = ko->writeback_kept_count - 1; i >= 0; i--)
		if (fence_signalled(ko->writeback_kept[i].fd))
			kept_drop(ko, i); /* late, not stranded */
	ko->writeback_own_first = ko->writeback_kept_count;
	kept_add(ko, ko->writeback_fence, take_lost(dev));
	ko->writeback_fence = -1;
	if (ko->writeback_timer && kept_listen(ko)) {
		ko->writeback_waiting = true;
		ko->writeback_kicked = false;
		sl_timer_arm(ko->writeback_timer, monotonic_ns() + WRITEBACK_KICK_NS);
		return true;
	}
	kept_unlisten(ko);
	log_error("kms", "cannot wait for the writeback fence");
	ko->writeback_pending = false;
	return false;
}

void
kms_writeback_add_route(struct kms_output *ko, struct atomic *atomic)
{
	/* The writeback connector joins the CRTC once, at modeset: routing it later would need a
	 * modeset every time a capture is asked for. */
	if (ko->uses_writeback)
		atomic_add(atomic, ko->writeback_connector,
			   ko->device->writeback_props[CONN_CRTC_ID], ko->crtc_id);
}

void
kms_writeback_add_capture_to(struct kms_output *ko, struct atomic *atomic, int32_t *fence)
{
	struct kms_device *dev = ko->device;
	atomic_add(atomic, ko->writeback_connector, dev->writeback_props[CONN_WRITEBACK_FB_ID],
		   ko->writeback_fb.fb_id);
	atomic_add(atomic, ko->writeback_connector,
		   dev->writeback_props[CONN_WRITEBACK_OUT_FENCE_PTR], (uint64_t)(uintptr_t)fence);
}

void
kms_writeback_add_capture(struct kms_output *ko, struct atomic *atomic)
{
	kms_writeback_add_capture_to(ko, atomic, &ko->writeback_fence);
}

void
kms_find_writeback(struct kms_device *dev, drmModeRes *res)
{
	for (int i = 0; i < res->count_connectors; i++) {
		drmModeConnector *c = drmModeGetConnector(dev->fd, res->connectors[i]);
		if (c && c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK) {
			dev->writeback_connector = c->connector_id;
			dev->writeback_crtcs = kms_connector_possible_crtcs(dev->fd, c);
			kms_props_get(dev->fd, c->connector_id, DRM_MODE_OBJECT_CONNECTOR,
				      dev->writeback_props, NULL);
		}
		drmModeFreeConnector(c);
		if (dev->writeback_connector)
			return;
	}
}
