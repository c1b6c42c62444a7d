/*
 * zwp_linux_dmabuf_v1: clients hand over dma-buf fds, sluice checks every parameter against the
 * format and the dma-buf's real size, then lets the renderer (EGL image, or a CPU mapping) and the
 * backend (a KMS framebuffer) import the buffer once, when it is created.
 *
 * Version 4 feedback describes one format table (a sealed memfd shared by every feedback object)
 * and tranches in preference order: for a surface that could be scanned out, the formats the
 * primary plane takes (with the scanout flag) first, then everything the renderer imports.
 * Without a DRM device (headless) there is nothing to name as main device, so the global stops at
 * version 3 and announces formats with the format/modifier events.
 */
#include <assert.h>
#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/dma-buf.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/buffer.h"
#include "fd.h"
#include "formats.h"
#include "linux-dmabuf-unstable-v1-server-protocol.h"
#include "log.h"
#include "protocols/dmabuf.h"
#include "core/renderer.h"
#include "core/resource.h"
#include "core/server.h"
#include "core/surface.h"

/* 5: all planes of a buffer share one modifier (checked in add at every version). */
#define DMABUF_VERSION_WITH_DEVICE 5
#define DMABUF_VERSION_WITHOUT_DEVICE 3

struct dmabuf_tranche {
	dev_t device;
	uint32_t flags;
	struct wl_array indices; /* uint16_t into the format table */
};

struct sl_dmabuf {
	struct sl_server *server;
	struct wl_global *global;
	struct sl_format_set render;  /* what the renderer imports */
	struct sl_format_set scanout; /* render ∩ what the primary plane takes */
	struct sl_format_set table;   /* every pair of every tranche, in table order */
	int table_fd;		      /* sealed memfd, -1 without a main device */
	size_t table_size;
	struct dmabuf_tranche render_tranche, scanout_tranche;
	struct wl_list surface_feedbacks; /* dmabuf_surface_feedback.link */
	struct sl_dmabuf_events events;
};

struct dmabuf_params {
	struct wl_resource *resource;
	struct sl_dmabuf *dmabuf;
	struct {
		int fd;
		uint32_t offset, stride;
		uint64_t modifier;
	} planes[SL_DMABUF_MAX_PLANES];
	bool used;
};

/* A per-surface feedback object: re-sent when the surface's scanout candidacy changes. */
struct dmabuf_surface_feedback {
	struct wl_resource *resource;
	struct sl_dmabuf *dmabuf;   /* NULL once the global is gone */
	struct sl_surface *surface; /* NULL once the surface is gone (inert) */
	bool scanout_sent;
	struct wl_list link;
	struct wl_listener surface_destroy;
	struct wl_listener surface_scanout;
};

static const char *
fourcc(uint32_t format, char buf[static 5])
{
	return format_fourcc_str(format, buf);
}

/* ---- CPU access (pixman, and the GL renderer's last resort) ---- */

static void
dmabuf_buffer_finish(struct sl_buffer *buffer)
{
	for (unsigned i = 0; i < buffer->dmabuf.n_planes; i++) {
		struct sl_dmabuf_plane *plane = &buffer->dmabuf.planes[i];
		if (plane->map)
			munmap(plane->map, plane->map_size);
		fd_close(&plane->fd);
	}
}

static int
dma_buf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync sync = {.flags = flags};
	int ret;
	do
		ret = ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
	while (ret < 0 && (errno == EINTR || errno == EAGAIN));
	return ret;
}

/* Maps every plane once; false if a plane cannot be mapped (then the CPU path is closed). */
static bool
dmabuf_map(struct sl_buffer *buffer)
{
	for (unsigned i = 0; i < buffer->dmabuf.n_planes; i++) {
		struct sl_dmabuf_plane *plane = &buffer->dmabuf.planes[i];
		if (plane->map)
			continue;
		off_t size = lseek(plane->fd, 0, SEEK_END);
		if (size <= 0)
			return false;
		void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, plane->fd, 0);
		if (map == MAP_FAILED) {
			log_errno("dmabuf", "cannot map plane %u of a dma-buf", i);
			return false;
		}
		plane->map = map;
		plane->map_size = (size_t)size;
	}
	return true;
}

static bool
dmabuf_begin_cpu_access(struct sl_buffer *buffer, struct sl_buffer_access *access)
{
	uint64_t modifier = buffer->dmabuf.modifier;
	/* Only linear layouts can be read row by row. */
	if ((modifier != DRM_FORMAT_MOD_LINEAR && modifier != DRM_FORMAT_MOD_INVALID) ||
	    !dmabuf_map(buffer))
		return false;
	*access = (struct sl_buffer_access){0};
	for (unsigned i = 0; i < buffer->dmabuf.n_planes && i < 3; i++) {
		struct sl_dmabuf_plane *plane = &buffer->dmabuf.planes[i];
		/* Makes what the device wrote visible to the CPU; failure is only slower. */
		dma_buf_sync(plane->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		access->planes[i] = (const uint8_t *)plane->map + plane->offset;
		access->strides[i] = plane->stride;
	}
	access->data = (void *)access->planes[0];
	access->stride = access->strides[0];
	return true;
}

static void
dmabuf_end_cpu_access(struct sl_buffer *buffer)
{
	for (unsigned i = 0; i < buffer->dmabuf.n_planes && i < 3; i++)
		dma_buf_sync(buffer->dmabuf.planes[i].fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
}

/*
 * Writing (a capture into a client's dma-buf): plane 0 of a linear single-plane buffer, mapped
 * for writing for the copy only, since the read mapping above is read-only.
 */
static bool
dmabuf_begin_write(struct sl_buffer *buffer, struct sl_buffer_access *access)
{
	uint64_t modifier = buffer->dmabuf.modifier;
	struct sl_dmabuf_plane *plane = &buffer->dmabuf.planes[0];
	if ((modifier != DRM_FORMAT_MOD_LINEAR && modifier != DRM_FORMAT_MOD_INVALID) ||
	    buffer->dmabuf.n_planes != 1)
		return false;
	off_t size = lseek(plane->fd, 0, SEEK_END);
	if (size <= 0)
		return false;
	void *map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, plane->fd, 0);
	if (map == MAP_FAILED) {
		log_errno("dmabuf", "cannot map a dma-buf for writing");
		return false;
	}
	buffer->dmabuf.write_map = map;
	buffer->dmabuf.write_map_size = (size_t)size;
	dma_buf_sync(plane->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	*access = (struct sl_buffer_access){.data = (uint8_t *)map + plane->offset,
					    .stride = plane->stride};
	access->planes[0] = access->data;
	access->strides[0] = plane->stride;
	return true;
}

static void
dmabuf_end_write(struct sl_buffer *buffer)
{
	dma_buf_sync(buffer->dmabuf.planes[0].fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	munmap(buffer->dmabuf.write_map, buffer->dmabuf.write_map_size);
	buffer->dmabuf.write_map = NULL;
}

/* ---- implicit sync ---- */

static int
dmabuf_buffer_export_fences(struct sl_buffer *buffer, int fds[static SL_DMABUF_MAX_PLANES])
{
	int n = 0;
	for (unsigned i = 0; i < buffer->dmabuf.n_planes; i++) {
		/* Readers wait for the writers: the fences a read must not overtake. */
		struct dma_buf_export_sync_file req = {.flags = DMA_BUF_SYNC_READ, .fd = -1};
		if (ioctl(buffer->dmabuf.planes[i].fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &req) < 0)
			continue; /* before Linux 6.0: nothing to wait for from here */
		struct pollfd pfd = {.fd = req.fd, .events = POLLIN};
		if (poll(&pfd, 1, 0) == 1) {
			close(req.fd); /* already signalled */
			continue;
		}
		fds[n++] = req.fd;
	}
	return n;
}

static const struct sl_buffer_impl dmabuf_buffer_impl = {
	.type = SL_BUFFER_DMABUF,
	.finish = dmabuf_buffer_finish,
	.begin_access = dmabuf_begin_cpu_access,
	.end_access = dmabuf_end_cpu_access,
	.begin_write = dmabuf_begin_write,
	.end_write = dmabuf_end_write,
	.export_fences = dmabuf_buffer_export_fences,
};

/* ---- the format table and feedback ---- */

static bool
tranche_fill(struct dmabuf_tranche *tranche, const struct sl_format_set *table,
	     const struct sl_format_set *formats, dev_t device, uint32_t flags)
{
	tranche->device = device;
	tranche->flags = flags;
	wl_array_init(&tranche->indices);
	for (size_t i = 0; i < formats->count; i++) {
		long index = sl_format_set_index(table, formats->items[i].format,
						 formats->items[i].modifier);
		assert(index >= 0 && index <= UINT16_MAX);
		uint16_t *slot = wl_array_add(&tranche->indices, sizeof(*slot));
		if (!slot)
			return false;
		*slot = (uint16_t)index;
	}
	return true;
}

/* One 16-byte entry per pair: format, padding, modifier (native endianness). */
static bool
table_create(struct sl_dmabuf *dmabuf)
{
	struct entry {
		uint32_t format, pad;
		uint64_t modifier;
	};
	dmabuf->table_size = dmabuf->table.count * sizeof(struct entry);
	struct entry *entries = calloc(dmabuf->table.count, sizeof(*entries));
	if (!entries)
		return false;
	for (size_t i = 0; i < dmabuf->table.count; i++)
		entries[i] = (struct entry){.format = dmabuf->table.items[i].format,
					    .modifier = dmabuf->table.items[i].modifier};
	dmabuf->table_fd = sealed_file_create("sluice-dmabuf-formats", entries, dmabuf->table_size);
	free(entries);
	if (dmabuf->table_fd < 0) {
		log_errno("dmabuf", "cannot create the format table");
		return false;
	}
	return true;
}

static void
send_device(struct wl_resource *resource, dev_t device,
	    void (*send)(struct wl_resource *, struct wl_array *))
{
	struct wl_array array = {.size = sizeof(device), .alloc = 0, .data = &device};
	send(resource, &array);
}

static void
send_tranche(struct wl_resource *resource, struct dmabuf_tranche *tranche)
{
	send_device(resource, tranche->device,
		    zwp_linux_dmabuf_feedback_v1_send_tranche_target_device);
	zwp_linux_dmabuf_feedback_v1_send_tranche_flags(resource, tranche->flags);
	zwp_linux_dmabuf_feedback_v1_send_tranche_formats(resource, &tranche->indices);
	zwp_linux_dmabuf_feedback_v1_send_tranche_done(resource);
}

static void
send_feedback(struct sl_dmabuf *dmabuf, struct wl_resource *resource, bool scanout)
{
	struct sl_server *server = dmabuf->server;
	zwp_linux_dmabuf_feedback_v1_send_format_table(resource, dmabuf->table_fd,
						       (uint32_t)dmabuf->table_size);
	send_device(resource, server->main_device, zwp_linux_dmabuf_feedback_v1_send_main_device);
	if (scanout && dmabuf->scanout.count > 0)
		send_tranche(resource, &dmabuf->scanout_tranche);
	send_tranche(resource, &dmabuf->render_tranche);
	zwp_linux_dmabuf_feedback_v1_send_done(resource);
}

static void
feedback_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct zwp_linux_dmabuf_feedback_v1_interface feedback_impl = {
	.destroy = feedback_handle_destroy,
};

static void
surface_feedback_detach(struct dmabuf_surface_feedback *feedback)
{
	wl_list_remove(&feedback->surface_destroy.link);
	wl_list_init(&feedback->surface_destroy.link);
	wl_list_remove(&feedback->surface_scanout.link);
	wl_list_init(&feedback->surface_scanout.link);
	feedback->surface = NULL;
}

static void
surface_feedback_handle_resource_destroy(struct wl_resource *resource)
{
	struct dmabuf_surface_feedback *feedback = wl_resource_get_user_data(resource);
	surface_feedback_detach(feedback);
	wl_list_remove(&feedback->link);
	free(feedback);
}

static void
surface_feedback_handle_surface_destroy(struct wl_listener *listener, void *data)
{
	struct dmabuf_surface_feedback *feedback =
		wl_container_of(listener, feedback, surface_destroy);
	surface_feedback_detach(feedback);
}

static void
surface_feedback_handle_scanout(struct wl_listener *listener, void *data)
{
	struct dmabuf_surface_feedback *feedback =
		wl_container_of(listener, feedback, surface_scanout);
	bool scanout = feedback->surface->scanout_candidate;
	/* Only a change in what the client is told is worth a new round of feedback. */
	if (!feedback->dmabuf || feedback->dmabuf->scanout.count == 0 ||
	    scanout == feedback->scanout_sent)
		return;
	feedback->scanout_sent = scanout;
	feedback->dmabuf->server->stats.feedback_resends++;
	log_debug("dmabuf", "wl_surface@%u %s a scanout candidate: feedback sent again",
		  wl_resource_get_id(feedback->surface->resource),
		  scanout ? "became" : "is no longer");
	send_feedback(feedback->dmabuf, feedback->resource, scanout);
}

static void
dmabuf_handle_get_default_feedback(struct wl_client *client, struct wl_resource *resource,
				   uint32_t id)
{
	struct sl_dmabuf *dmabuf = wl_resource_get_user_data(resource);
	struct wl_resource *feedback = sl_resource_create(
		client, &zwp_linux_dmabuf_feedback_v1_interface, wl_resource_get_version(resource),
		id, &feedback_impl, NULL, NULL);
	if (feedback)
		send_feedback(dmabuf, feedback, false);
	if (feedback)
		wl_signal_emit_mutable(&dmabuf->events.formats_sent, client);
}

static void
dmabuf_handle_get_surface_feedback(struct wl_client *client, struct wl_resource *resource,
				   uint32_t id, struct wl_resource *surface_resource)
{
	struct sl_dmabuf *dmabuf = wl_resource_get_user_data(resource);
	struct sl_surface *surface = sl_surface_from_resource(surface_resource);
	struct dmabuf_surface_feedback *feedback = calloc(1, sizeof(*feedback));
	if (!feedback) {
		wl_client_post_no_memory(client);
		return;
	}
	feedback->resource = sl_resource_create(
		client, &zwp_linux_dmabuf_feedback_v1_interface, wl_resource_get_version(resource),
		id, &feedback_impl, feedback, surface_feedback_handle_resource_destroy);
	if (!feedback->resource) {
		free(feedback);
		return;
	}
	feedback->surface = surface;
	feedback->surface_destroy.notify = surface_feedback_handle_surface_destroy;
	wl_signal_add(&surface->events.destroy, &feedback->surface_destroy);
	feedback->surface_scanout.notify = surface_feedback_handle_scanout;
	wl_signal_add(&surface->events.scanout_candidate, &feedback->surface_scanout);
	wl_list_init(&feedback->link);
	if (!dmabuf)
		return;
	feedback->dmabuf = dmabuf;
	wl_list_insert(&dmabuf->surface_feedbacks, &feedback->link);
	feedback->scanout_sent = surface->scanout_candidate && dmabuf->scanout.count > 0;
	send_feedback(dmabuf, feedback->resource, feedback->scanout_sent);
	wl_signal_emit_mutable(&dmabuf->events.formats_sent, client);
}

bool
dmabuf_buffer_misses_scanout(const struct sl_dmabuf *dmabuf, struct sl_surface *surface,
			     const struct sl_buffer *buffer)
{
	if (!dmabuf)
		return false;
	const struct dmabuf_surface_feedback *feedback;
	wl_list_for_each (feedback, &dmabuf->surface_feedbacks, link)
		if (feedback->surface == surface && feedback->scanout_sent)
			return !sl_format_set_has(&dmabuf->scanout, buffer->format,
						  buffer->dmabuf.modifier);
	return false;
}

/* ---- params ---- */

static struct dmabuf_params *
params_from_resource(struct wl_resource *resource)
{
	return wl_resource_get_user_data(resource);
}

static void
params_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
params_handle_resource_destroy(struct wl_resource *resource)
{
	struct dmabuf_params *params = params_from_resource(resource);
	for (int i = 0; i < SL_DMABUF_MAX_PLANES; i++)
		fd_close(&params->planes[i].fd);
	free(params);
}

static void
params_handle_add(struct wl_client *client, struct wl_resource *resource, int32_t fd,
		  uint32_t plane_idx, uint32_t offset, uint32_t stride, uint32_t modifier_hi,
		  uint32_t modifier_lo)
{
	struct dmabuf_params *params = params_from_resource(resource);
	uint64_t modifier = (uint64_t)modifier_hi << 32 | modifier_lo;
	if (params->used) {
		close(fd);
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
				       "params@%u already created its buffer",
				       wl_resource_get_id(resource));
		return;
	}
	if (plane_idx >= SL_DMABUF_MAX_PLANES) {
		close(fd);
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_IDX,
				       "plane index %u is out of range (at most %d planes)",
				       plane_idx, SL_DMABUF_MAX_PLANES);
		return;
	}
	if (params->planes[plane_idx].fd >= 0) {
		close(fd);
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_SET,
				       "plane %u was already added", plane_idx);
		return;
	}
	for (int i = 0; i < SL_DMABUF_MAX_PLANES; i++) {
		if (params->planes[i].fd >= 0 && params->planes[i].modifier != modifier) {
			close(fd);
			wl_resource_post_error(resource,
					       ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
					       "plane %u has modifier 0x%016" PRIx64
					       " but plane %d has 0x%016" PRIx64
					       ": all planes must use the same modifier",
					       plane_idx, modifier, i, params->planes[i].modifier);
			return;
		}
	}
	params->planes[plane_idx].fd = fd;
	params->planes[plane_idx].offset = offset;
	params->planes[plane_idx].stride = stride;
	params->planes[plane_idx].modifier = modifier;
}

/* dma-bufs are the files whose fdinfo names an exporter. */
static bool
fd_is_dma_buf(int fd)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool found = false;
	while (!found && fgets(line, sizeof(line), f))
		found = strncmp(line, "exp_name:", 9) == 0;
	fclose(f);
	return found;
}

/*
 * Checks everything the client got wrong (posting the error) and everything the system refuses
 * (a message in reason, for the failed event). Returns the plane count, 0 on a posted error, -1
 * when the buffer cannot be imported.
 */
static int
params_check(struct dmabuf_params *params, int32_t width, int32_t height, uint32_t format,
	     uint32_t flags, char *reason, size_t reason_size)
{
	struct wl_resource *resource = params->resource;
	struct sl_dmabuf *dmabuf = params->dmabuf;
	char name[5];

	if (width <= 0 || height <= 0) {
		wl_resource_post_error(resource,
				       ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS,
				       "invalid size %dx%d: both must be positive", width, height);
		return 0;
	}
	const struct format_info *info = format_info_from_drm(format);
	if (!info || !sl_format_set_has_format(&dmabuf->render, format)) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
				       "format %s (0x%08x) is not supported", fourcc(format, name),
				       format);
		return 0;
	}
	unsigned n = 0;
	while (n < SL_DMABUF_MAX_PLANES && params->planes[n].fd >= 0)
		n++;
	if (n == 0) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE,
				       "no plane was added");
		return 0;
	}
	for (unsigned i = n; i < SL_DMABUF_MAX_PLANES; i++) {
		if (params->planes[i].fd >= 0) {
			wl_resource_post_error(resource,
					       ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE,
					       "plane %u was added but plane %u is missing", i, n);
			return 0;
		}
	}
	uint64_t modifier = params->planes[0].modifier;
	bool linear = modifier == DRM_FORMAT_MOD_LINEAR || modifier == DRM_FORMAT_MOD_INVALID;
	/* Modifiers may add planes (compression metadata), linear layouts never do. */
	if (n < info->planes || (linear && n != info->planes)) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE,
				       "format %s needs %u plane%s, %u %s added",
				       fourcc(format, name), info->planes,
				       info->planes == 1 ? "" : "s", n, n == 1 ? "was" : "were");
		return 0;
	}
	if (!sl_format_set_has(&dmabuf->render, format, modifier)) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
				       "modifier 0x%016" PRIx64 " was not advertised for format %s",
				       modifier, fourcc(format, name));
		return 0;
	}
	for (unsigned i = 0; i < n; i++) {
		off_t size = lseek(params->planes[i].fd, 0, SEEK_END);
		if (size < 0) {
			snprintf(reason, reason_size, "plane %u: the fd has no size (%s)", i,
				 strerror(errno));
			return -1;
		}
		uint64_t offset = params->planes[i].offset, stride = params->planes[i].stride;
		if (offset >= (uint64_t)size) {
			wl_resource_post_error(resource,
					       ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS,
					       "plane %u: offset %" PRIu64
					       " is past the end of the %jd-byte dma-buf",
					       i, offset, (intmax_t)size);
			return 0;
		}
		if (!linear || i >= info->planes)
			continue;
		uint32_t sub_w = i == 0 ? 1 : info->hsub, sub_h = i == 0 ? 1 : info->vsub;
		uint64_t row = (((uint64_t)width + sub_w - 1) / sub_w) * info->cpp[i];
		uint64_t rows = ((uint64_t)height + sub_h - 1) / sub_h;
		if (stride < row) {
			wl_resource_post_error(resource,
					       ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS,
					       "plane %u: stride %" PRIu64
					       " is less than a %dx%d %s row (%" PRIu64 " bytes)",
					       i, stride, width, height, fourcc(format, name), row);
			return 0;
		}
		uint64_t end = offset + stride * (rows - 1) + row;
		if (end > (uint64_t)size) {
			wl_resource_post_error(resource,
					       ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS,
					       "plane %u: %" PRIu64 " rows of stride %" PRIu64
					       " from offset %" PRIu64 " end at byte %" PRIu64
					       ", past the %jd-byte dma-buf",
					       i, rows, stride, offset, end, (intmax_t)size);
			return 0;
		}
	}
	if (flags & ~(uint32_t)ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_Y_INVERT) {
		snprintf(reason, reason_size, "flags 0x%x: interlaced buffers are not supported",
			 flags);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!fd_is_dma_buf(params->planes[i].fd)) {
			snprintf(reason, reason_size, "plane %u: the fd is not a dma-buf", i);
			return -1;
		}
	}
	return (int)n;
}

static void
params_create_common(struct wl_resource *resource, uint32_t buffer_id, int32_t width,
		     int32_t height, uint32_t format, uint32_t flags)
{
	struct dmabuf_params *params = params_from_resource(resource);
	struct wl_client *client = wl_resource_get_client(resource);
	bool immed = buffer_id != 0;
	if (params->used) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
				       "params@%u already created its buffer",
				       wl_resource_get_id(resource));
		return;
	}
	params->used = true;

	char reason[160] = "", name[5];
	struct sl_dmabuf *dmabuf = params->dmabuf;
	struct sl_server *server = dmabuf->server;
	int n = params_check(params, width, height, format, flags, reason, sizeof(reason));
	if (n == 0)
		return;
	struct sl_buffer *buffer = NULL;
	if (n > 0) {
		buffer = sl_buffer_alloc(&dmabuf_buffer_impl, width, height, format);
		if (!buffer) {
			wl_client_post_no_memory(client);
			return;
		}
		buffer->dmabuf.n_planes = (unsigned)n;
		buffer->dmabuf.modifier = params->planes[0].modifier;
		buffer->dmabuf.y_invert = flags & ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_Y_INVERT;
		for (int i = 0; i < SL_DMABUF_MAX_PLANES; i++)
			buffer->dmabuf.planes[i].fd = -1;
		for (int i = 0; i < n; i++) {
			buffer->dmabuf.planes[i].fd = params->planes[i].fd;
			buffer->dmabuf.planes[i].offset = params->planes[i].offset;
			buffer->dmabuf.planes[i].stride = params->planes[i].stride;
			params->planes[i].fd = -1;
		}
		struct sl_renderer *renderer = server->renderer;
		switch (renderer->impl->import_dmabuf(renderer, buffer)) {
		case SL_DMABUF_IMPORT_GPU:
			server->stats.dmabuf_import_gpu++;
			break;
		case SL_DMABUF_IMPORT_CPU:
			server->stats.dmabuf_import_cpu++;
			break;
		case SL_DMABUF_IMPORT_FAILED:
			snprintf(reason, sizeof(reason), "the renderer cannot import it");
			sl_buffer_discard(buffer);
			buffer = NULL;
			break;
		}
	}
	if (!buffer) {
		server->stats.dmabuf_failed++;
		log_info("dmabuf", "%dx%d %s dma-buf refused: %s", width, height,
			 fourcc(format, name), reason);
		if (immed)
			wl_resource_post_error(resource,
					       ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER,
					       "cannot import the %dx%d %s dma-buf: %s", width,
					       height, fourcc(format, name), reason);
		else
			zwp_linux_buffer_params_v1_send_failed(resource);
		return;
	}
	if (server->backend_import_dmabuf)
		server->backend_import_dmabuf(server->backend, buffer);
	if (!sl_buffer_publish(buffer, client, buffer_id))
		return;
	server->stats.dmabuf_buffers++;
	wl_signal_emit_mutable(&params->dmabuf->events.buffer_created, buffer);
	log_debug("dmabuf", "wl_buffer@%u: %dx%d %s, %d plane%s, modifier 0x%016" PRIx64,
		  wl_resource_get_id(buffer->resource), width, height, fourcc(format, name), n,
		  n == 1 ? "" : "s", buffer->dmabuf.modifier);
	if (!immed)
		zwp_linux_buffer_params_v1_send_created(resource, buffer->resource);
}

static void
params_handle_create(struct wl_client *client, struct wl_resource *resource, int32_t width,
		     int32_t height, uint32_t format, uint32_t flags)
{
	params_create_common(resource, 0, width, height, format, flags);
}

static void
params_handle_create_immed(struct wl_client *client, struct wl_resource *resource,
			   uint32_t buffer_id, int32_t width, int32_t height, uint32_t format,
			   uint32_t flags)
{
	params_create_common(resource, buffer_id, width, height, format, flags);
}

static const struct zwp_linux_buffer_params_v1_interface params_impl = {
	.destroy = params_handle_destroy,
	.add = params_handle_add,
	.create = params_handle_create,
	.create_immed = params_handle_create_immed,
};

/* ---- the global ---- */

static void
dmabuf_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
dmabuf_handle_create_params(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
	struct sl_dmabuf *dmabuf = wl_resource_get_user_data(resource);
	struct dmabuf_params *params = calloc(1, sizeof(*params));
	if (!params) {
		wl_client_post_no_memory(client);
		return;
	}
	for (int i = 0; i < SL_DMABUF_MAX_PLANES; i++)
		params->planes[i].fd = -1;
	params->dmabuf = dmabuf;
	params->resource = sl_resource_create(client, &zwp_linux_buffer_params_v1_interface,
					      wl_resource_get_version(resource), id, &params_impl,
					      params, params_handle_resource_destroy);
	if (!params->resource)
		free(params);
}

static const struct zwp_linux_dmabuf_v1_interface dmabuf_impl = {
	.destroy = dmabuf_handle_destroy,
	.create_params = dmabuf_handle_create_params,
	.get_default_feedback = dmabuf_handle_get_default_feedback,
	.get_surface_feedback = dmabuf_handle_get_surface_feedback,
};

static void
dmabuf_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct sl_dmabuf *dmabuf = data;
	struct wl_resource *resource =
		wl_resource_create(client, &zwp_linux_dmabuf_v1_interface, (int)version, id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &dmabuf_impl, dmabuf, NULL);
	if (version >= 4)
		return; /* feedback objects replace the format events */
	wl_signal_emit_mutable(&dmabuf->events.formats_sent, client);
	/* Older clients get each format once, then (version 3) every modifier of it. */
	const struct sl_format_set *set = &dmabuf->render;
	for (size_t i = 0; i < set->count; i++) {
		bool first = true;
		for (size_t k = 0; k < i; k++)
			first = first && set->items[k].format != set->items[i].format;
		if (first)
			zwp_linux_dmabuf_v1_send_format(resource, set->items[i].format);
	}
	if (version < ZWP_LINUX_DMABUF_V1_MODIFIER_SINCE_VERSION)
		return;
	for (size_t i = 0; i < set->count; i++)
		zwp_linux_dmabuf_v1_send_modifier(resource, set->items[i].format,
						  (uint32_t)(set->items[i].modifier >> 32),
						  (uint32_t)set->items[i].modifier);
}

struct sl_dmabuf_events *
dmabuf_get_events(struct sl_dmabuf *dmabuf)
{
	return &dmabuf->events;
}

struct sl_dmabuf *
dmabuf_create(struct sl_server *server)
{
	struct sl_dmabuf *dmabuf = calloc(1, sizeof(*dmabuf));
	if (!dmabuf) {
		log_error("dmabuf", "out of memory");
		return NULL;
	}
	dmabuf->server = server;
	dmabuf->table_fd = -1;
	wl_list_init(&dmabuf->surface_feedbacks);
	wl_array_init(&dmabuf->render_tranche.indices);
	wl_array_init(&dmabuf->scanout_tranche.indices);
	wl_signal_init(&dmabuf->events.formats_sent);
	wl_signal_init(&dmabuf->events.buffer_created);

	struct sl_renderer *renderer = server->renderer;
	renderer->impl->dmabuf_formats(renderer, &dmabuf->render);
	if (dmabuf->render.count == 0) {
		log_info("dmabuf", "the renderer imports no dma-buf format: no linux-dmabuf");
		return dmabuf;
	}
	int version = DMABUF_VERSION_WITHOUT_DEVICE;
	if (server->has_main_device) {
		version = DMABUF_VERSION_WITH_DEVICE;
		/* Scanout first: the table lists the preferred pairs first too. */
		if (!sl_format_set_intersect(&dmabuf->scanout, &server->scanout_formats,
					     &dmabuf->render) ||
		    !sl_format_set_intersect(&dmabuf->table, &dmabuf->scanout, &dmabuf->render))
			goto err;
		for (size_t i = 0; i < dmabuf->render.count; i++)
			if (!sl_format_set_add(&dmabuf->table, dmabuf->render.items[i].format,
					       dmabuf->render.items[i].modifier))
				goto err;
		if (dmabuf->table.count > UINT16_MAX + 1 || !table_create(dmabuf) ||
		    !tranche_fill(&dmabuf->scanout_tranche, &dmabuf->table, &dmabuf->scanout,
				  server->main_device,
				  ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT) ||
		    !tranche_fill(&dmabuf->render_tranche, &dmabuf->table, &dmabuf->render,
				  server->main_device, 0))
			goto err;
	}
	dmabuf->global = wl_global_create(server->display, &zwp_linux_dmabuf_v1_interface, version,
					  dmabuf, dmabuf_bind);
	if (!dmabuf->global)
		goto err;
	log_info("dmabuf",
		 "linux-dmabuf version %d: %zu format/modifier pairs, %zu of them for scanout",
		 version, dmabuf->render.count, dmabuf->scanout.count);
	return dmabuf;
err:
	log_error("dmabuf", "cannot set up linux-dmabuf");
	dmabuf_destroy(dmabuf);
	return NULL;
}

void
dmabuf_destroy(struct sl_dmabuf *dmabuf)
{
	if (!dmabuf)
		return;
	struct dmabuf_surface_feedback *feedback, *tmp;
	wl_list_for_each_safe (feedback, tmp, &dmabuf->surface_feedbacks, link) {
		feedback->dmabuf = NULL;
		wl_list_remove(&feedback->link);
		wl_list_init(&feedback->link);
	}
	if (dmabuf->global)
		wl_global_destroy(dmabuf->global);
	fd_close(&dmabuf->table_fd);
	wl_array_release(&dmabuf->render_tranche.indices);
	wl_array_release(&dmabuf->scanout_tranche.indices);
	sl_format_set_finish(&dmabuf->render);
	sl_format_set_finish(&dmabuf->scanout);
	sl_format_set_finish(&dmabuf->table);
	free(dmabuf);
}
