/*
 * sluice-camera: shows a V4L2 capture device on a Wayland compositor without copying a frame.
 *
 * By default the driver's buffers (V4L2_MEMORY_MMAP) are exported once as dma-bufs
 * (VIDIOC_EXPBUF); with --import, buffers allocated from the system dma-buf heap are handed to the
 * driver instead (V4L2_MEMORY_DMABUF). Either way each is wrapped once as a wl_buffer
 * (linux-dmabuf). Each captured frame is attached as it arrives; a
 * buffer goes back to the driver only when the compositor has released it, so the camera never
 * writes into a frame on screen. The pixel format is one the camera captures and the compositor
 * advertises for linear buffers (dma-buf feedback on version 4, format events before). For YCbCr
 * formats the driver's colorimetry (its Y'CbCr encoding and quantization) is passed on through
 * wp_color_representation_v1, so that BT.709 or full-range frames are not shown as BT.601.
 */
#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/dma-heap.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wayland-client.h>

#include "client.h"
#include "formats.h"

#define MAX_BUFFERS 8

/* V4L2 formats and the DRM formats with the same memory layout, in order of preference. */
static const struct {
	uint32_t v4l2, drm;
} format_map[] = {
	{V4L2_PIX_FMT_XBGR32, DRM_FORMAT_XRGB8888}, /* bytes B, G, R, X */
	{V4L2_PIX_FMT_ABGR32, DRM_FORMAT_ARGB8888}, {V4L2_PIX_FMT_YUYV, DRM_FORMAT_YUYV},
	{V4L2_PIX_FMT_UYVY, DRM_FORMAT_UYVY},	    {V4L2_PIX_FMT_NV12, DRM_FORMAT_NV12},
	{V4L2_PIX_FMT_YUV420, DRM_FORMAT_YUV420},   {V4L2_PIX_FMT_RGB565, DRM_FORMAT_RGB565},
};

struct camera_buffer {
	int dmabuf_fd;
	struct wl_buffer *wl_buffer;
	bool with_compositor; /* attached and not yet released */
	bool with_driver;     /* queued for capture */
	struct camera *camera;
	unsigned index;
};

struct camera {
	const char *device;
	int fd;
	enum v4l2_memory memory; /* MMAP (export) or DMABUF (import) */
	uint32_t drm_format, v4l2_format;
	uint32_t width, height;
	uint32_t bytesperline, sizeimage;
	/* The format's colorimetry as the driver reports it (V4L2 enums, defaults resolved). */
	uint32_t colorspace, ycbcr_enc, quantization;
	struct camera_buffer buffers[MAX_BUFFERS];
	unsigned n_buffers;

	struct client client;

	unsigned long frames_shown, frames_dropped;
	unsigned long max_frames;
};

static volatile sig_atomic_t quit;

static void
handle_signal(int sig)
{
	quit = 1;
}

/* ---- V4L2 ---- */

static int
xioctl(int fd, unsigned long request, void *arg)
{
	int ret;
	do
		ret = ioctl(fd, request, arg);
	while (ret < 0 && errno == EINTR);
	return ret;
}

static bool
is_capture_device(int fd)
{
	struct v4l2_capability cap = {0};
	if (xioctl(fd, VIDIOC_QUERYCAP, &cap) < 0)
		return false;
	uint32_t caps =
		cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
	return (caps & V4L2_CAP_VIDEO_CAPTURE) && (caps & V4L2_CAP_STREAMING);
}

/* Opens the device named, or the first capture device; prints the reason on failure. */
static bool
camera_open(struct camera *cam, const char *device)
{
	static char path[32];
	if (!device) {
		for (int i = 0; i < 64; i++) {
			snprintf(path, sizeof(path), "/dev/video%d", i);
			int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (is_capture_device(fd)) {
				cam->fd = fd;
				cam->device = path;
				return true;
			}
			close(fd);
		}
		fprintf(stderr, "sluice-camera: no V4L2 capture device (/dev/video*)\n");
		return false;
	}
	cam->device = device;
	cam->fd = open(device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (cam->fd < 0) {
		fprintf(stderr, "sluice-camera: %s: %s\n", device, strerror(errno));
		return false;
	}
	if (!is_capture_device(cam->fd)) {
		fprintf(stderr, "sluice-camera: %s is not a streaming video capture device\n",
			device);
		return false;
	}
	return true;
}

/* Picks the first format in our preference order that both sides take, and sets it. */
static bool
camera_set_format(struct camera *cam, uint32_t want_v4l2, uint32_t width, uint32_t height)
{
	char a[5], list[256] = "";
	bool captures[sizeof(format_map) / sizeof(format_map[0])] = {false};
	struct v4l2_fmtdesc desc = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
	for (desc.index = 0; xioctl(cam->fd, VIDIOC_ENUM_FMT, &desc) == 0; desc.index++) {
		size_t len = strlen(list);
		snprintf(list + len, sizeof(list) - len, "%s%s", len ? " " : "",
			 format_fourcc_str(desc.pixelformat, a));
		for (size_t i = 0; i < sizeof(format_map) / sizeof(format_map[0]); i++)
			captures[i] = captures[i] || format_map[i].v4l2 == desc.pixelformat;
	}
	for (size_t i = 0; i < sizeof(format_map) / sizeof(format_map[0]); i++) {
		bool compositor =
			client_has_format(&cam->client, format_map[i].drm, DRM_FORMAT_MOD_LINEAR);
		if (!captures[i] || !compositor || (want_v4l2 && want_v4l2 != format_map[i].v4l2))
			continue;
		struct v4l2_format fmt = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
		if (xioctl(cam->fd, VIDIOC_G_FMT, &fmt) < 0)
			break;
		fmt.fmt.pix.pixelformat = format_map[i].v4l2;
		if (width && height) {
			fmt.fmt.pix.width = width;
			fmt.fmt.pix.height = height;
		}
		fmt.fmt.pix.field = V4L2_FIELD_NONE;
		/* Let the driver lay the new format out: the old stride may not fit it. */
		fmt.fmt.pix.bytesperline = 0;
		fmt.fmt.pix.sizeimage = 0;
		if (xioctl(cam->fd, VIDIOC_S_FMT, &fmt) < 0 ||
		    fmt.fmt.pix.pixelformat != format_map[i].v4l2)
			continue;
		cam->v4l2_format = format_map[i].v4l2;
		cam->drm_format = format_map[i].drm;
		cam->width = fmt.fmt.pix.width;
		cam->height = fmt.fmt.pix.height;
		cam->bytesperline = fmt.fmt.pix.bytesperline;
		cam->sizeimage = fmt.fmt.pix.sizeimage;
		/* "Default" means the colorspace's usual encoding and range: make it explicit. */
		cam->colorspace = fmt.fmt.pix.colorspace;
		cam->ycbcr_enc = fmt.fmt.pix.ycbcr_enc;
		if (cam->ycbcr_enc == V4L2_YCBCR_ENC_DEFAULT)
			cam->ycbcr_enc = V4L2_MAP_YCBCR_ENC_DEFAULT(cam->colorspace);
		cam->quantization = fmt.fmt.pix.quantization;
		if (cam->quantization == V4L2_QUANTIZATION_DEFAULT)
			cam->quantization = V4L2_MAP_QUANTIZATION_DEFAULT(false, cam->colorspace,
									  cam->ycbcr_enc);
		return true;
	}
	if (want_v4l2)
		fprintf(stderr,
			"sluice-camera: %s cannot capture %s for this compositor (it "
			"captures: %s)\n",
			cam->device, format_fourcc_str(want_v4l2, a), list);
	else
		fprintf(stderr,
			"sluice-camera: no format both %s (%s) and the compositor support\n",
			cam->device, list);
	return false;
}

/*
 * A YCbCr format's encoding in wp_color_representation_v1's terms (coefficients, range), and
 * its name; false for an encoding the protocol's compositors are not asked to know (SMPTE
 * 240M, BT.2020 constant luminance), which is then left to the compositor's default.
 */
static bool
camera_colour_representation(const struct camera *cam, uint32_t *coefficients, uint32_t *range,
			     const char **name)
{
	switch (cam->ycbcr_enc) {
	case V4L2_YCBCR_ENC_601:
	case V4L2_YCBCR_ENC_XV601:
		*coefficients = WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT601;
		*name = "BT.601";
		break;
	case V4L2_YCBCR_ENC_709:
	case V4L2_YCBCR_ENC_XV709:
		*coefficients = WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT709;
		*name = "BT.709";
		break;
	case V4L2_YCBCR_ENC_BT2020:
		*coefficients = WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT2020;
		*name = "BT.2020";
		break;
	default:
		return false;
	}
	*range = cam->quantization == V4L2_QUANTIZATION_FULL_RANGE
			 ? WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_FULL
			 : WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_LIMITED;
	return true;
}

/* Tells the compositor how the frames' YCbCr is encoded, as V4L2 said; RGB needs nothing. */
static void
camera_announce_colorimetry(struct camera *cam)
{
	const struct format_info *info = format_info_from_drm(cam->drm_format);
	if (!info || !info->is_yuv)
		return;
	uint32_t coefficients, range;
	const char *name;
	if (!camera_colour_representation(cam, &coefficients, &range, &name)) {
		fprintf(stderr,
			"sluice-camera: %s: Y'CbCr encoding %u has no wp_color_representation_v1 "
			"equivalent: the compositor reads the frames its own way\n",
			cam->device, cam->ycbcr_enc);
		return;
	}
	const char *range_name =
		range == WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_FULL ? "full" : "limited";
	if (client_set_colour_representation(&cam->client, coefficients, range))
		fprintf(stderr, "sluice-camera: %s: colorimetry %s %s range, told the compositor\n",
			cam->device, name, range_name);
}

/* Gives a buffer to the driver to capture into. */
static bool
camera_queue(struct camera *cam, struct camera_buffer *b)
{
	struct v4l2_buffer vb = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = cam->memory, .index = b->index};
	if (cam->memory == V4L2_MEMORY_DMABUF) {
		vb.m.fd = b->dmabuf_fd;
		vb.length = cam->sizeimage;
	}
	return xioctl(cam->fd, VIDIOC_QBUF, &vb) == 0;
}

/* A buffer of the system dma-buf heap for the driver to fill (import mode). */
static int
heap_alloc(size_t size)
{
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	if (heap < 0)
		return -1;
	struct dma_heap_allocation_data alloc = {.len = size, .fd_flags = O_RDWR | O_CLOEXEC};
	int ret = xioctl(heap, DMA_HEAP_IOCTL_ALLOC, &alloc);
	int saved = errno;
	close(heap);
	errno = saved;
	return ret < 0 ? -1 : (int)alloc.fd;
}

static void
buffer_release(void *data, struct wl_buffer *wl_buffer)
{
	struct camera_buffer *b = data;
	b->with_compositor = false;
	/* Back to the camera only now: it must not write into a frame on screen. */
	if (camera_queue(b->camera, b))
		b->with_driver = true;
}

static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

/* The plane layout of one V4L2 single-planar buffer, as linux-dmabuf planes. */
static unsigned
plane_layout(const struct camera *cam, uint32_t offsets[3], uint32_t strides[3])
{
	const struct format_info *info = format_info_from_drm(cam->drm_format);
	uint32_t stride = cam->bytesperline;
	offsets[0] = 0;
	strides[0] = stride;
	if (info->planes == 1)
		return 1;
	/* Chroma follows luma; V4L2's single-planar YUV420 has half-width chroma rows. */
	offsets[1] = stride * cam->height;
	strides[1] = cam->drm_format == DRM_FORMAT_NV12 ? stride : stride / 2;
	if (info->planes == 2)
		return 2;
	offsets[2] = offsets[1] + strides[1] * (cam->height / 2);
	strides[2] = stride / 2;
	return 3;
}

static bool
camera_start(struct camera *cam)
{
	struct v4l2_requestbuffers req = {
		.count = 4, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = cam->memory};
	if (xioctl(cam->fd, VIDIOC_REQBUFS, &req) < 0 || req.count < 2) {
		fprintf(stderr, "sluice-camera: %s: cannot get capture buffers: %s\n", cam->device,
			strerror(errno));
		return false;
	}
	cam->n_buffers = req.count < MAX_BUFFERS ? req.count : MAX_BUFFERS;
	uint32_t offsets[3], strides[3];
	unsigned n_planes = plane_layout(cam, offsets, strides);
	for (unsigned i = 0; i < cam->n_buffers; i++) {
		struct camera_buffer *b = &cam->buffers[i];
		b->camera = cam;
		b->index = i;
		if (cam->memory == V4L2_MEMORY_DMABUF) {
			b->dmabuf_fd = heap_alloc(cam->sizeimage);
			if (b->dmabuf_fd < 0) {
				fprintf(stderr,
					"sluice-camera: cannot allocate from /dev/dma_heap/system: "
					"%s\n",
					strerror(errno));
				return false;
			}
		} else {
			struct v4l2_exportbuffer exp = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
							.index = i,
							.flags = O_RDONLY | O_CLOEXEC};
			if (xioctl(cam->fd, VIDIOC_EXPBUF, &exp) < 0) {
				fprintf(stderr,
					"sluice-camera: %s cannot export its buffers (EXPBUF): "
					"%s\n",
					cam->device, strerror(errno));
				return false;
			}
			b->dmabuf_fd = exp.fd;
		}
		struct zwp_linux_buffer_params_v1 *params =
			zwp_linux_dmabuf_v1_create_params(cam->client.dmabuf);
		for (unsigned p = 0; p < n_planes; p++)
			zwp_linux_buffer_params_v1_add(params, b->dmabuf_fd, p, offsets[p],
						       strides[p], DRM_FORMAT_MOD_LINEAR >> 32,
						       DRM_FORMAT_MOD_LINEAR & 0xffffffff);
		b->wl_buffer = zwp_linux_buffer_params_v1_create_immed(
			params, (int32_t)cam->width, (int32_t)cam->height, cam->drm_format, 0);
		zwp_linux_buffer_params_v1_destroy(params);
		wl_buffer_add_listener(b->wl_buffer, &buffer_listener, b);
		if (!camera_queue(cam, b)) {
			fprintf(stderr, "sluice-camera: %s: cannot queue a buffer: %s\n",
				cam->device, strerror(errno));
			return false;
		}
		b->with_driver = true;
	}
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (xioctl(cam->fd, VIDIOC_STREAMON, &type) < 0) {
		fprintf(stderr, "sluice-camera: %s: cannot start streaming: %s\n", cam->device,
			strerror(errno));
		return false;
	}
	return true;
}

/* A captured frame: show it. Returns false when the device stopped. */
static bool
camera_frame(struct camera *cam)
{
	struct v4l2_buffer vb = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = cam->memory};
	if (xioctl(cam->fd, VIDIOC_DQBUF, &vb) < 0) {
		if (errno == EAGAIN)
			return true;
		fprintf(stderr, "sluice-camera: %s stopped: %s\n", cam->device, strerror(errno));
		return false;
	}
	struct camera_buffer *b = &cam->buffers[vb.index];
	b->with_driver = false;
	if (vb.flags & V4L2_BUF_FLAG_ERROR) {
		/* A corrupt frame: not worth showing, straight back to the driver. */
		cam->frames_dropped++;
		if (camera_queue(cam, b))
			b->with_driver = true;
		return true;
	}
	wl_surface_attach(cam->client.surface, b->wl_buffer, 0, 0);
	wl_surface_damage_buffer(cam->client.surface, 0, 0, INT32_MAX, INT32_MAX);
	wl_surface_commit(cam->client.surface);
	b->with_compositor = true;
	cam->frames_shown++;
	return true;
}

static const char usage[] =
	"Usage: sluice-camera [OPTIONS]\n"
	"Shows a V4L2 camera on a Wayland compositor, passing its buffers as dma-bufs.\n"
	"\n"
	"  -d, --device PATH    the capture device (default: the first /dev/videoN that captures)\n"
	"  -f, --format FOURCC  the V4L2 pixel format (default: the first one both sides take,\n"
	"                       from XR24 AR24 YUYV UYVY NV12 YU12 RGBP)\n"
	"  -s, --size WxH       ask the camera for this frame size\n"
	"  -w, --window WxH     show it in a window of this size, scaled (default: fullscreen)\n"
	"  -n, --frames N       stop after N frames\n"
	"  -i, --import         capture into dma-bufs from /dev/dma_heap/system\n"
	"                       (V4L2_MEMORY_DMABUF) instead of exporting the driver's\n"
	"  -h, --help           show this help\n";

int
main(int argc, char *argv[])
{
	static const struct option options[] = {
		{"device", required_argument, NULL, 'd'}, {"format", required_argument, NULL, 'f'},
		{"size", required_argument, NULL, 's'},	  {"window", required_argument, NULL, 'w'},
		{"frames", required_argument, NULL, 'n'}, {"import", no_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},	  {0},
	};
	struct camera cam = {.fd = -1, .memory = V4L2_MEMORY_MMAP};
	const char *device = NULL;
	uint32_t want = 0, width = 0, height = 0;
	int32_t window_width = 0, window_height = 0;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":d:f:s:w:n:ih", options, NULL)) != -1) {
		char *end;
		switch (opt) {
		case 'd':
			device = optarg;
			break;
		case 'f':
			if (strlen(optarg) != 4) {
				fprintf(stderr,
					"sluice-camera: a format is four characters, not "
					"'%s'\n",
					optarg);
				return 1;
			}
			want = v4l2_fourcc(optarg[0], optarg[1], optarg[2], optarg[3]);
			break;
		case 's':
			if (sscanf(optarg, "%ux%u", &width, &height) != 2 || !width || !height) {
				fprintf(stderr, "sluice-camera: invalid size '%s' (WxH)\n", optarg);
				return 1;
			}
			break;
		case 'w':
			if (!client_parse_size(optarg, &window_width, &window_height)) {
				fprintf(stderr, "sluice-camera: invalid window size '%s' (WxH)\n",
					optarg);
				return 1;
			}
			break;
		case 'n':
			cam.max_frames = strtoul(optarg, &end, 10);
			if (*end || !cam.max_frames) {
				fprintf(stderr, "sluice-camera: invalid frame count '%s'\n",
					optarg);
				return 1;
			}
			break;
		case 'i':
			cam.memory = V4L2_MEMORY_DMABUF;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case ':':
			fprintf(stderr, "sluice-camera: option '%s' needs an argument\n",
				argv[optind - 1]);
			return 1;
		default:
			fprintf(stderr, "sluice-camera: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sluice-camera: unexpected argument '%s'\n", argv[optind]);
		return 1;
	}

	if (!client_connect(&cam.client, "sluice-camera"))
		return 1;
	if (!cam.client.dmabuf) {
		fprintf(stderr,
			"sluice-camera: the compositor lacks zwp_linux_dmabuf_v1 (version 2 "
			"or later)\n");
		return 1;
	}

	if (!camera_open(&cam, device) || !camera_set_format(&cam, want, width, height))
		return 1;
	char name[5];
	fprintf(stderr, "sluice-camera: %s: %ux%u %s, stride %u, %s\n", cam.device, cam.width,
		cam.height, format_fourcc_str(cam.v4l2_format, name), cam.bytesperline,
		cam.memory == V4L2_MEMORY_DMABUF ? "importing heap dma-bufs"
						 : "exporting the driver's buffers");

	if (!client_window_create(&cam.client, "sluice-camera", window_width, window_height))
		return 1;
	/* Before the first frame: the state applies with the commit that shows it. */
	camera_announce_colorimetry(&cam);
	if (!camera_start(&cam))
		return 1;

	signal(SIGINT, handle_signal);
	signal(SIGTERM, handle_signal);
	int status = 0;
	while (!quit && !cam.client.closed &&
	       (!cam.max_frames || cam.frames_shown < cam.max_frames)) {
		wl_display_flush(cam.client.display);
		struct pollfd fds[2] = {
			{.fd = wl_display_get_fd(cam.client.display), .events = POLLIN},
			{.fd = cam.fd, .events = POLLIN},
		};
		if (poll(fds, 2, 2000) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((fds[0].revents & POLLIN) && wl_display_dispatch(cam.client.display) < 0) {
			fprintf(stderr, "sluice-camera: the compositor went away\n");
			status = 1;
			break;
		}
		if (fds[0].revents & (POLLERR | POLLHUP)) {
			fprintf(stderr, "sluice-camera: the compositor went away\n");
			status = 1;
			break;
		}
		if ((fds[1].revents & (POLLERR | POLLHUP)) ||
		    ((fds[1].revents & POLLIN) && !camera_frame(&cam))) {
			if (fds[1].revents & (POLLERR | POLLHUP))
				fprintf(stderr, "sluice-camera: %s stopped\n", cam.device);
			status = 1;
			break;
		}
	}
	/* Let the last frame reach the compositor before going. */
	wl_display_roundtrip(cam.client.display);
	fprintf(stderr, "sluice-camera: %lu frames shown, %lu dropped\n", cam.frames_shown,
		cam.frames_dropped);

	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	xioctl(cam.fd, VIDIOC_STREAMOFF, &type);
	for (unsigned i = 0; i < cam.n_buffers; i++) {
		if (cam.buffers[i].wl_buffer)
			wl_buffer_destroy(cam.buffers[i].wl_buffer);
		close(cam.buffers[i].dmabuf_fd);
	}
	client_destroy(&cam.client);
	close(cam.fd);
	return status;
}
