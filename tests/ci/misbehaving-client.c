/*
 * A client made to misbehave, for sluice-ci's tests: it commits new wl_shm buffers without
 * damage and without waiting for the frame callbacks it asks for (two strict-mode warnings), and
 * with --protocol-error it ends by asking for buffer scale 0 (a protocol error).
 *
 *   misbehaving-client [--frames N] [--protocol-error]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "fd.h"

static struct wl_shm *shm;

static void
registry_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
		uint32_t version)
{
	if (strcmp(interface, wl_shm_interface.name) == 0)
		shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
}

static void
registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static void
frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener frame_listener = {.done = frame_done};

int
main(int argc, char *argv[])
{
	int frames = 60;
	bool protocol_error = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc)
			frames = atoi(argv[++i]);
		else if (strcmp(argv[i], "--protocol-error") == 0)
			protocol_error = true;
		else {
			fprintf(stderr, "misbehaving-client: unknown argument '%s'\n", argv[i]);
			return 1;
		}
	}
	struct client c;
	if (!client_connect(&c, "misbehaving-client"))
		return 1;
	struct wl_registry *registry = wl_display_get_registry(c.display);
	wl_registry_add_listener(registry, &registry_listener, NULL);
	wl_display_roundtrip(c.display);
	if (!shm || !client_window_create(&c, "misbehaving-client", 0, 0))
		return 1;
	int32_t w = 256, h = 256, stride = w * 4;
	int fd = anon_file_create((off_t)stride * h * 2);
	uint32_t *pixels = fd >= 0 ? mmap(NULL, (size_t)stride * h * 2, PROT_READ | PROT_WRITE,
					  MAP_SHARED, fd, 0)
				   : MAP_FAILED;
	if (pixels == MAP_FAILED) {
		fprintf(stderr, "misbehaving-client: no shared memory\n");
		return 1;
	}
	struct wl_shm_pool *pool = wl_shm_create_pool(shm, fd, stride * h * 2);
	struct wl_buffer *buffers[2];
	for (int i = 0; i < 2; i++) {
		buffers[i] = wl_shm_pool_create_buffer(pool, i * stride * h, w, h, stride,
						       WL_SHM_FORMAT_XRGB8888);
		for (int p = 0; p < w * h; p++)
			pixels[i * w * h + p] = i ? 0xff2060c0u : 0xffc06020u;
	}
	for (int i = 0; i < frames; i++) {
		/* A frame callback asked for, never waited for; no damage either. */
		wl_callback_add_listener(wl_surface_frame(c.surface), &frame_listener, NULL);
		wl_surface_attach(c.surface, buffers[i % 2], 0, 0);
		wl_surface_commit(c.surface);
		wl_display_flush(c.display);
		nanosleep(&(struct timespec){.tv_nsec = 16000000}, NULL);
		if (wl_display_roundtrip(c.display) < 0)
			return 1;
	}
	int status = 0;
	if (protocol_error) {
		wl_surface_set_buffer_scale(c.surface, 0);
		wl_surface_commit(c.surface);
		if (wl_display_roundtrip(c.display) < 0)
			status = 1;
	}
	wl_display_roundtrip(c.display);
	for (int i = 0; i < 2; i++)
		wl_buffer_destroy(buffers[i]);
	wl_shm_pool_destroy(pool);
	munmap(pixels, (size_t)stride * h * 2);
	close(fd);
	wl_shm_destroy(shm);
	wl_registry_destroy(registry);
	client_destroy(&c);
	return status;
}
