/*
 * linux-dmabuf on the host tier: what can be checked without a real dma-buf. The host has no
 * exporter, so the planes are memfds: every argument error is found before sluice looks at what
 * the fd is, and a memfd that passes them all is refused as "not a dma-buf".
 */
#include <drm_fourcc.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

static int
memfd_of(size_t size)
{
	int fd = memfd_create("th-not-a-dmabuf", MFD_CLOEXEC);
	if (fd >= 0 && ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct plane {
	uint32_t idx, offset, stride;
	uint64_t modifier;
	size_t size; /* of the memfd */
};

static void
add_plane(struct zwp_linux_buffer_params_v1 *params, const struct plane *plane)
{
	int fd = memfd_of(plane->size);
	zwp_linux_buffer_params_v1_add(params, fd, plane->idx, plane->offset, plane->stride,
				       (uint32_t)(plane->modifier >> 32),
				       (uint32_t)plane->modifier);
	close(fd);
}

static bool
has_format(struct th_client *client, uint32_t format, uint64_t modifier)
{
	for (int i = 0; i < client->n_dmabuf_formats; i++)
		if (client->dmabuf_formats[i].format == format &&
		    client->dmabuf_formats[i].modifier == modifier)
			return true;
	return false;
}

static void
test_advertised(void)
{
	struct th_server *server = th_server_start(NULL);
	th_require(server);
	struct th_client *client = th_client_connect(server);
	th_require(client && client->dmabuf);
	/* No DRM device to name in feedback: version 3, with format and modifier events. */
	th_check(client->dmabuf_version == 3, "version %u", client->dmabuf_version);
	static const uint32_t formats[] = {
		DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_YUYV,  DRM_FORMAT_UYVY,
		DRM_FORMAT_NV12,     DRM_FORMAT_P010,	  DRM_FORMAT_YUV420};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		th_check(has_format(client, formats[i], DRM_FORMAT_MOD_LINEAR),
			 "format 0x%08x not advertised with the linear modifier", formats[i]);
		th_check(has_format(client, formats[i], DRM_FORMAT_MOD_INVALID),
			 "format 0x%08x not advertised (format event)", formats[i]);
	}
	th_check(!has_format(client, DRM_FORMAT_XRGB8888, I915_FORMAT_MOD_X_TILED));
	th_client_destroy(client);
	th_check(th_server_stop(server));
}

/* ---- a version-2 client gets each format once and no modifier events ---- */

struct old_client {
	struct zwp_linux_dmabuf_v1 *dmabuf;
	uint32_t formats[64];
	int n_formats, n_modifiers;
};

static void
old_format(void *data, struct zwp_linux_dmabuf_v1 *dmabuf, uint32_t format)
{
	struct old_client *old = data;
	if (old->n_formats < 64)
		old->formats[old->n_formats++] = format;
}

static void
old_modifier(void *data, struct zwp_linux_dmabuf_v1 *dmabuf, uint32_t format, uint32_t hi,
	     uint32_t lo)
{
	((struct old_client *)data)->n_modifiers++;
}

static const struct zwp_linux_dmabuf_v1_listener old_listener = {
	.format = old_format,
	.modifier = old_modifier,
};

static void
old_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
	   uint32_t version)
{
	struct old_client *old = data;
	if (strcmp(interface, zwp_linux_dmabuf_v1_interface.name) == 0) {
		old->dmabuf = wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, 2);
		zwp_linux_dmabuf_v1_add_listener(old->dmabuf, &old_listener, old);
	}
}

static void
old_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener old_registry_listener = {
	.global = old_global,
	.global_remove = old_global_remove,
};

static void
test_version_2_formats(void)
{
	struct th_server *server = th_server_start(NULL);
	th_require(server);
	struct th_client *client = th_client_connect(server);
	th_require(client);
	struct old_client old = {0};
	struct wl_registry *registry = wl_display_get_registry(client->display);
	wl_registry_add_listener(registry, &old_registry_listener, &old);
	th_check(th_roundtrip(client) && th_roundtrip(client));
	th_check(old.dmabuf != NULL);
	th_check(old.n_modifiers == 0, "%d modifier events at version 2", old.n_modifiers);
	bool xr24 = false, nv12 = false, duplicate = false;
	for (int i = 0; i < old.n_formats; i++) {
		xr24 = xr24 || old.formats[i] == DRM_FORMAT_XRGB8888;
		nv12 = nv12 || old.formats[i] == DRM_FORMAT_NV12;
		for (int k = 0; k < i; k++)
			duplicate = duplicate || old.formats[k] == old.formats[i];
	}
	th_check(xr24 && nv12 && !duplicate, "%d formats, duplicates %d", old.n_formats, duplicate);
	if (old.dmabuf)
		zwp_linux_dmabuf_v1_destroy(old.dmabuf);
	wl_registry_destroy(registry);
	th_client_destroy(client);
	th_check(th_server_stop(server));
}

/* ---- every error, one client each, with a bystander that must keep its frames ---- */

struct error_case {
	const char *name;
	struct plane planes[4];
	unsigned n_planes;
	int32_t width, height;
	uint32_t format;
	uint32_t flags;
	enum { CREATE_IMMED, CREATE_TWICE, ADD_AFTER_CREATE, NO_CREATE } how;
	uint32_t code;
	const char *needles[4]; /* NULL-terminated */
};

#define LIN DRM_FORMAT_MOD_LINEAR
#define XR24 DRM_FORMAT_XRGB8888
#define E(x) ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_##x

static const struct error_case error_cases[] = {
	{"already-used-create-twice",
	 {{0, 0, 64, LIN, 4096}},
	 1,
	 16,
	 16,
	 XR24,
	 0,
	 CREATE_TWICE,
	 E(ALREADY_USED),
	 {"already created"}},
	{"already-used-add-after-create",
	 {{0, 0, 64, LIN, 4096}},
	 1,
	 16,
	 16,
	 XR24,
	 0,
	 ADD_AFTER_CREATE,
	 E(ALREADY_USED),
	 {"already created"}},
	{"plane-idx",
	 {{4, 0, 64, LIN, 4096}},
	 1,
	 16,
	 16,
	 XR24,
	 0,
	 NO_CREATE,
	 E(PLANE_IDX),
	 {"plane index 4"}},
	{"plane-set",
	 {{0, 0, 64, LIN, 4096}, {0, 0, 64, LIN, 4096}},
	 2,
	 16,
	 16,
	 XR24,
	 0,
	 NO_CREATE,
	 E(PLANE_SET),
	 {"plane 0 was already added"}},
	{"incomplete-no-planes",
	 {{0}},
	 0,
	 16,
	 16,
	 XR24,
	 0,
	 CREATE_IMMED,
	 E(INCOMPLETE),
	 {"no plane"}},
	{"incomplete-nv12-one-plane",
	 {{0, 0, 64, LIN, 8192}},
	 1,
	 16,
	 16,
	 DRM_FORMAT_NV12,
	 0,
	 CREATE_IMMED,
	 E(INCOMPLETE),
	 {"NV12", "needs 2 planes", "1 was added"}},
	{"incomplete-gap",
	 {{0, 0, 64, LIN, 8192}, {2, 0, 64, LIN, 8192}},
	 2,
	 16,
	 16,
	 DRM_FORMAT_YUV420,
	 0,
	 CREATE_IMMED,
	 E(INCOMPLETE),
	 {"plane 2 was added but plane 1 is missing"}},
	{"incomplete-too-many-linear",
	 {{0, 0, 64, LIN, 8192}, {1, 0, 64, LIN, 8192}},
	 2,
	 16,
	 16,
	 XR24,
	 0,
	 CREATE_IMMED,
	 E(INCOMPLETE),
	 {"XR24 needs 1 plane, 2 were added"}},
	{"invalid-format-fourcc",
	 {{0, 0, 64, LIN, 4096}},
	 1,
	 16,
	 16,
	 0x44434241 /* "ABCD" */,
	 0,
	 CREATE_IMMED,
	 E(INVALID_FORMAT),
	 {"ABCD", "not supported"}},
	{"invalid-format-modifier-mismatch",
	 {{0, 0, 64, LIN, 8192}, {1, 4096, 64, I915_FORMAT_MOD_X_TILED, 8192}},
	 2,
	 16,
	 16,
	 DRM_FORMAT_NV12,
	 0,
	 NO_CREATE,
	 E(INVALID_FORMAT),
	 {"plane 1 has modifier 0x0100000000000001", "plane 0 has 0x0000000000000000"}},
	{"invalid-format-unadvertised-modifier",
	 {{0, 0, 64, I915_FORMAT_MOD_X_TILED, 4096}},
	 1,
	 16,
	 16,
	 XR24,
	 0,
	 CREATE_IMMED,
	 E(INVALID_FORMAT),
	 {"modifier 0x0100000000000001 was not advertised for format XR24"}},
	{"invalid-dimensions-zero-width",
	 {{0, 0, 64, LIN, 4096}},
	 1,
	 0,
	 16,
	 XR24,
	 0,
	 CREATE_IMMED,
	 E(INVALID_DIMENSIONS),
	 {"0x16"}},
	{"invalid-dimensions-negative-height",
	 {{0, 0, 64, LIN, 4096}},
	 1,
	 16,
	 -5,
	 XR24,
	 0,
	 CREATE_IMMED,
	 E(INVALID_DIMENSIONS),
	 {"16x-5"}},
	{"out-of-bounds-offset",
	 {{0, 8192, 64, LIN, 4096}},
	 1,
	 16,
	 16,
	 XR24,
	 0,
	 CREATE_IMMED,
	 E(OUT_OF_BOUNDS),
	 {"plane 0", "offset 8192", "4096-byte"}},
	{"out-of-bounds-stride",
	 {{0, 0, 16, LIN, 4096}},
	 1,
	 16,
	 16,
	 XR24,
	 0,
	 CREATE_IMMED,
	 E(OUT_OF_BOUNDS),
	 {"plane 0", "stride 16", "64 bytes"}},
	{"out-of-bounds-rows",
	 {{0, 0, 64, LIN, 4096}},
	 1,
	 16,
	 100,
	 XR24,
	 0,
	 CREATE_IMMED,
	 E(OUT_OF_BOUNDS),
	 {"plane 0", "100 rows of stride 64", "4096-byte"}},
	{"out-of-bounds-chroma-plane",
	 {{0, 0, 64, LIN, 4096}, {1, 4000, 64, LIN, 4096}},
	 2,
	 64,
	 32,
	 DRM_FORMAT_NV12,
	 0,
	 CREATE_IMMED,
	 E(OUT_OF_BOUNDS),
	 {"plane 1", "16 rows of stride 64 from offset 4000"}},
	{"invalid-wl-buffer-not-a-dmabuf",
	 {{0, 0, 64, LIN, 4096}},
	 1,
	 16,
	 16,
	 XR24,
	 0,
	 CREATE_IMMED,
	 E(INVALID_WL_BUFFER),
	 {"16x16 XR24", "plane 0: the fd is not a dma-buf"}},
	{"invalid-wl-buffer-interlaced",
	 {{0, 0, 64, LIN, 4096}},
	 1,
	 16,
	 16,
	 XR24,
	 ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_INTERLACED,
	 CREATE_IMMED,
	 E(INVALID_WL_BUFFER),
	 {"interlaced"}},
};

static void
run_error_case(const void *arg)
{
	const struct error_case *c = arg;
	struct th_server *server = th_server_start(NULL);
	th_require(server);
	/* A bystander showing frames: a bad client must not cost it anything. */
	struct th_client *good = th_client_connect(server);
	th_require(good);
	struct th_window *window = th_window_create(good);
	th_require(window);
	struct th_buffer *shm = th_shm_buffer_create(good, window->width, window->height, 1);
	th_require(shm);
	wl_surface_attach(window->surface, shm->buffer, 0, 0);
	struct th_presented presented = {0};
	th_require(th_commit_and_wait(good, window->surface, &presented) && presented.presented);

	struct th_client *client = th_client_connect(server);
	th_require(client && client->dmabuf);
	struct zwp_linux_buffer_params_v1 *params =
		zwp_linux_dmabuf_v1_create_params(client->dmabuf);
	for (unsigned i = 0; i < c->n_planes; i++)
		add_plane(params, &c->planes[i]);
	switch (c->how) {
	case CREATE_IMMED:
		zwp_linux_buffer_params_v1_create_immed(params, c->width, c->height, c->format,
							c->flags);
		break;
	case CREATE_TWICE:
		zwp_linux_buffer_params_v1_create(params, c->width, c->height, c->format, c->flags);
		zwp_linux_buffer_params_v1_create(params, c->width, c->height, c->format, c->flags);
		break;
	case ADD_AFTER_CREATE:
		zwp_linux_buffer_params_v1_create(params, c->width, c->height, c->format, c->flags);
		add_plane(params, &(struct plane){1, 0, 64, LIN, 4096});
		break;
	case NO_CREATE:
		break;
	}
	th_check(th_expect_protocol_error_msg(client, &zwp_linux_buffer_params_v1_interface,
					      c->code, c->needles));
	zwp_linux_buffer_params_v1_destroy(params);
	th_client_destroy(client);

	/* The bystander's next frame is still presented. */
	wl_surface_damage_buffer(window->surface, 0, 0, 8, 8);
	presented = (struct th_presented){0};
	th_check(th_commit_and_wait(good, window->surface, &presented) && presented.presented,
		 "the well-behaved client lost its frame");
	th_buffer_destroy(shm);
	th_window_destroy(window);
	th_client_destroy(good);
	th_check(th_server_stop(server), "sluice did not exit cleanly (leak or crash)");
}

/* ---- non-fatal failure: 'create' answers 'failed' and the client carries on ---- */

struct created_state {
	bool created, failed;
	struct wl_buffer *buffer;
};

static void
params_handle_created(void *data, struct zwp_linux_buffer_params_v1 *params,
		      struct wl_buffer *buffer)
{
	struct created_state *state = data;
	state->created = true;
	state->buffer = buffer;
}

static void
params_handle_failed(void *data, struct zwp_linux_buffer_params_v1 *params)
{
	((struct created_state *)data)->failed = true;
}

static const struct zwp_linux_buffer_params_v1_listener params_listener = {
	.created = params_handle_created,
	.failed = params_handle_failed,
};

static void
test_create_failed_is_not_fatal(void)
{
	struct th_server *server = th_server_start(NULL);
	th_require(server);
	struct th_client *client = th_client_connect(server);
	th_require(client && client->dmabuf);
	for (int round = 0; round < 3; round++) {
		struct created_state state = {0};
		struct zwp_linux_buffer_params_v1 *params =
			zwp_linux_dmabuf_v1_create_params(client->dmabuf);
		zwp_linux_buffer_params_v1_add_listener(params, &params_listener, &state);
		add_plane(params, &(struct plane){0, 0, 64, LIN, 4096});
		zwp_linux_buffer_params_v1_create(
			params, 16, 16, XR24,
			round == 1 ? ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_Y_INVERT : 0);
		th_check(th_roundtrip(client));
		th_check(state.failed && !state.created, "round %d: failed=%d created=%d", round,
			 state.failed, state.created);
		zwp_linux_buffer_params_v1_destroy(params);
	}
	th_check(th_roundtrip(client), "the client was disconnected");
	th_check(th_server_log_count(server, "not a dma-buf") == 3);
	th_client_destroy(client);
	th_check(th_server_stop(server));
}

/* ---- fds: params that never create, and failed creates, leave nothing open ---- */

static void
test_no_fd_leak(void)
{
	struct th_server *server = th_server_start(NULL);
	th_require(server);
	struct th_client *client = th_client_connect(server);
	th_require(client && client->dmabuf);
	th_require(th_roundtrip(client));
	int before = th_count_fds(server->pid);
	for (int round = 0; round < 40; round++) {
		struct created_state state = {0};
		struct zwp_linux_buffer_params_v1 *params =
			zwp_linux_dmabuf_v1_create_params(client->dmabuf);
		zwp_linux_buffer_params_v1_add_listener(params, &params_listener, &state);
		for (uint32_t plane = 0; plane < 3; plane++)
			add_plane(params, &(struct plane){plane, 0, 64, LIN, 8192});
		if (round % 2)
			zwp_linux_buffer_params_v1_create(params, 16, 16, DRM_FORMAT_YUV420, 0);
		th_require(th_roundtrip(client));
		zwp_linux_buffer_params_v1_destroy(params);
	}
	th_require(th_roundtrip(client));
	int after = th_count_fds(server->pid);
	th_check(before > 0 && after == before, "sluice had %d fds before, %d after", before,
		 after);
	th_client_destroy(client);
	th_check(th_server_stop(server));
}

int
main(int argc, char *argv[])
{
	static const struct th_test tests[] = {
		{"advertised", test_advertised},
		{"version-2-formats", test_version_2_formats},
		{"create-failed-is-not-fatal", test_create_failed_is_not_fatal},
		{"no-fd-leak", test_no_fd_leak},
	};
	unsigned n = sizeof(tests) / sizeof(tests[0]);
	unsigned n_errors = sizeof(error_cases) / sizeof(error_cases[0]);
	printf("TAP version 13\n1..%u\n", n + n_errors);
	int failed = 0;
	for (unsigned i = 0; i < n; i++)
		failed += th_run_one(tests[i].name, (void (*)(const void *))tests[i].run, NULL,
				     i + 1);
	for (unsigned i = 0; i < n_errors; i++)
		failed +=
			th_run_one(error_cases[i].name, run_error_case, &error_cases[i], n + i + 1);
	return failed ? 1 : 0;
}
