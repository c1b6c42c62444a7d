/*
 * sluice-capture: writes what a sluice output presents next to a PNG file.
 *
 *   sluice-capture [--output NAME] [--wait SECONDS] FILE.png
 *
 * --wait keeps capturing frames until one is not entirely black (a client has drawn), for scripts
 * that start a client and want its first frame; it fails if none comes in time.
 *
 * Needs a sluice started with --capture.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>

#include "fd.h"
#include "png-write.h"
#include "sluice-capture-v1-client-protocol.h"

#define MAX_OUTPUTS 16

struct output {
	struct wl_output *wl_output;
	char name[64];
};

struct capture {
	struct wl_display *display;
	struct wl_shm *shm;
	struct sluice_capture_manager_v1 *manager;
	struct output outputs[MAX_OUTPUTS];
	int n_outputs;

	uint32_t format, width, height, stride;
	bool have_layout, done, failed;
	char reason[256];
	uint64_t seq;
};

static void
output_geometry(void *data, struct wl_output *o, int32_t x, int32_t y, int32_t pw, int32_t ph,
		int32_t subpixel, const char *make, const char *model, int32_t transform)
{
}

static void
output_mode(void *data, struct wl_output *o, uint32_t flags, int32_t w, int32_t h, int32_t r)
{
}

static void
output_done(void *data, struct wl_output *o)
{
}

static void
output_scale(void *data, struct wl_output *o, int32_t factor)
{
}

static void
output_name(void *data, struct wl_output *o, const char *name)
{
	struct output *output = data;
	snprintf(output->name, sizeof(output->name), "%s", name);
}

static void
output_description(void *data, struct wl_output *o, const char *description)
{
}

static const struct wl_output_listener output_listener = {
	output_geometry, output_mode, output_done, output_scale, output_name, output_description,
};

static void
registry_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
		uint32_t version)
{
	struct capture *c = data;
	if (strcmp(interface, wl_shm_interface.name) == 0) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, sluice_capture_manager_v1_interface.name) == 0) {
		c->manager =
			wl_registry_bind(registry, name, &sluice_capture_manager_v1_interface, 1);
	} else if (strcmp(interface, wl_output_interface.name) == 0 && c->n_outputs < MAX_OUTPUTS &&
		   version >= 4) {
		struct output *o = &c->outputs[c->n_outputs++];
		o->wl_output = wl_registry_bind(registry, name, &wl_output_interface, 4);
		wl_output_add_listener(o->wl_output, &output_listener, o);
	}
}

static void
registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {registry_global,
							      registry_global_remove};

static void
frame_buffer(void *data, struct sluice_capture_frame_v1 *frame, uint32_t format, uint32_t width,
	     uint32_t height, uint32_t stride)
{
	struct capture *c = data;
	c->format = format;
	c->width = width;
	c->height = height;
	c->stride = stride;
	c->have_layout = true;
}

static void
frame_ready(void *data, struct sluice_capture_frame_v1 *frame, uint32_t sec_hi, uint32_t sec_lo,
	    uint32_t nsec, uint32_t seq_hi, uint32_t seq_lo)
{
	struct capture *c = data;
	c->seq = ((uint64_t)seq_hi << 32) | seq_lo;
	c->done = true;
}

static void
frame_failed(void *data, struct sluice_capture_frame_v1 *frame, const char *reason)
{
	struct capture *c = data;
	snprintf(c->reason, sizeof(c->reason), "%s", reason);
	c->failed = c->done = true;
}

static const struct sluice_capture_frame_v1_listener frame_listener = {frame_buffer, frame_ready,
								       frame_failed};

static bool
all_black(const void *data, uint32_t width, uint32_t height, uint32_t stride)
{
	for (uint32_t y = 0; y < height; y++) {
		const uint32_t *row =
			(const uint32_t *)((const uint8_t *)data + (size_t)y * stride);
		for (uint32_t x = 0; x < width; x++)
			if (row[x] & 0xffffff)
				return false;
	}
	return true;
}

static int __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	fprintf(stderr, "sluice-capture: ");
	vfprintf(stderr, fmt, args);
	fprintf(stderr, "\n");
	va_end(args);
	return EXIT_FAILURE;
}

static const char usage[] =
	"Usage: sluice-capture [OPTIONS] FILE.png\n"
	"Writes the next frame a sluice output presents to FILE.png. sluice must run with\n"
	"--capture.\n"
	"\n"
	"  -o, --output NAME    capture this output (default: the first one)\n"
	"  -w, --wait SECONDS   capture frames until one is not entirely black (a client has\n"
	"                       drawn); fail if none comes within SECONDS (up to 3600)\n"
	"  -h, --help           show this help\n";

int
main(int argc, char *argv[])
{
	static const struct option options[] = {
		{"output", required_argument, NULL, 'o'},
		{"wait", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *output_name = NULL;
	double wait_s = 0;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "o:w:h", options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			output_name = optarg;
			break;
		case 'w': {
			char *end;
			wait_s = strtod(optarg, &end);
			if (*end || end == optarg || wait_s <= 0 || wait_s > 3600)
				return fail("invalid --wait '%s' (seconds, up to 3600)", optarg);
			break;
		}
		case 'h':
			fputs(usage, stdout);
			return EXIT_SUCCESS;
		default:
			return fail("unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return fail("%s", "expected one output file name (see --help)");
	const char *path = argv[optind];

	struct capture c = {0};
	int status = EXIT_FAILURE;
	struct wl_registry *registry = NULL;
	struct sluice_capture_frame_v1 *frame = NULL;
	void *data = MAP_FAILED;
	size_t size = 0;
	struct wl_shm_pool *pool = NULL;
	struct wl_buffer *buffer = NULL;
	c.display = wl_display_connect(NULL);
	if (!c.display) {
		status = fail("cannot connect to the Wayland display '%s'",
			      getenv("WAYLAND_DISPLAY") ? getenv("WAYLAND_DISPLAY") : "wayland-0");
		goto out;
	}
	registry = wl_display_get_registry(c.display);
	wl_registry_add_listener(registry, &registry_listener, &c);
	if (wl_display_roundtrip(c.display) < 0 || wl_display_roundtrip(c.display) < 0) {
		status = fail("%s", "the connection to the compositor failed");
		goto out;
	}
	if (!c.manager) {
		status = fail("%s",
			      "the compositor offers no sluice_capture_manager_v1 (start sluice "
			      "with --capture)");
		goto out;
	}
	if (!c.shm) {
		status = fail("%s", "the compositor offers no wl_shm");
		goto out;
	}

	struct output *target = NULL;
	for (int i = 0; i < c.n_outputs && !target; i++)
		if (!output_name || strcmp(c.outputs[i].name, output_name) == 0)
			target = &c.outputs[i];
	if (!target) {
		status = fail("no output named '%s'", output_name ? output_name : "(any)");
		goto out;
	}

	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		frame = sluice_capture_manager_v1_capture_output(c.manager, target->wl_output);
		c.have_layout = c.done = c.failed = false;
		sluice_capture_frame_v1_add_listener(frame, &frame_listener, &c);
		while (!c.have_layout && !c.done && wl_display_dispatch(c.display) >= 0)
			;
		if (!c.have_layout) {
			status = fail("capture refused: %s",
				      c.reason[0] ? c.reason : "connection lost");
			goto out;
		}
		if (data == MAP_FAILED) {
			size = (size_t)c.stride * c.height;
			int fd = anon_file_create((off_t)size);
			if (fd < 0) {
				status = fail("cannot allocate the capture buffer: %s",
					      strerror(errno));
				goto out;
			}
			data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (data == MAP_FAILED) {
				status = fail("cannot map the capture buffer: %s", strerror(errno));
				close(fd);
				goto out;
			}
			pool = wl_shm_create_pool(c.shm, fd, (int32_t)size);
			buffer = wl_shm_pool_create_buffer(pool, 0, (int32_t)c.width,
							   (int32_t)c.height, (int32_t)c.stride,
							   c.format);
			close(fd);
		}
		sluice_capture_frame_v1_copy(frame, buffer);
		while (!c.done && wl_display_dispatch(c.display) >= 0)
			;
		sluice_capture_frame_v1_destroy(frame);
		frame = NULL;
		if (!c.done || c.failed) {
			status = fail("capture failed: %s",
				      c.reason[0] ? c.reason : "connection lost");
			goto out;
		}
		if (wait_s <= 0 || !all_black(data, c.width, c.height, c.stride))
			break;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		double waited = (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
		if (waited > wait_s) {
			status = fail("output %s stayed black for %g s", target->name, wait_s);
			goto out;
		}
		struct timespec pause = {0, 100000000};
		nanosleep(&pause, NULL);
	}
	if (!png_write_xrgb(path, data, c.width, c.height, c.stride, false)) {
		status = fail("cannot write %s", path);
		goto out;
	}
	printf("%s: %ux%u, output %s, vblank %llu\n", path, c.width, c.height, target->name,
	       (unsigned long long)c.seq);

	status = EXIT_SUCCESS;
out:
	if (frame)
		sluice_capture_frame_v1_destroy(frame);
	if (buffer)
		wl_buffer_destroy(buffer);
	if (pool)
		wl_shm_pool_destroy(pool);
	if (data != MAP_FAILED)
		munmap(data, size);
	for (int i = 0; i < c.n_outputs; i++)
		wl_output_destroy(c.outputs[i].wl_output);
	if (c.manager)
		sluice_capture_manager_v1_destroy(c.manager);
	if (c.shm)
		wl_shm_destroy(c.shm);
	if (registry)
		wl_registry_destroy(registry);
	if (c.display)
		wl_display_disconnect(c.display);
	return status;
}
