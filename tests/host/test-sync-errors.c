/*
 * Explicit sync on the host tier, where no fence can be made (no sw_sync, no DRM): the errors
 * that need none, releases of wl_shm buffers, and linux-drm-syncobj staying unadvertised without
 * a DRM device. The VM tier (tests/vm/test-vm-sync.c) covers the rest with real fences.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

struct sync_case {
	const char *name;
	int which;
	const struct wl_interface *interface;
	uint32_t code;
	const char *needle;
};

enum { EXISTS, INVALID_FENCE, DUPLICATE_RELEASE, NO_BUFFER, NO_SURFACE };

static const struct sync_case cases[] = {
	{"synchronization-exists", EXISTS, &zwp_linux_explicit_synchronization_v1_interface,
	 ZWP_LINUX_EXPLICIT_SYNCHRONIZATION_V1_ERROR_SYNCHRONIZATION_EXISTS,
	 "already has a synchronization object"},
	{"invalid-fence", INVALID_FENCE, &zwp_linux_surface_synchronization_v1_interface,
	 ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_INVALID_FENCE, "not a sync_file"},
	{"duplicate-release", DUPLICATE_RELEASE, &zwp_linux_surface_synchronization_v1_interface,
	 ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_DUPLICATE_RELEASE, "already requested"},
	{"no-buffer", NO_BUFFER, &zwp_linux_surface_synchronization_v1_interface,
	 ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_BUFFER, "no buffer attached"},
	{"no-surface", NO_SURFACE, &zwp_linux_surface_synchronization_v1_interface,
	 ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_SURFACE, "is gone"},
};

static void
run_case(const void *arg)
{
	const struct sync_case *c = arg;
	struct th_server *server = th_server_start(NULL);
	th_require(server);
	struct th_client *client = th_client_connect(server);
	th_require(client && client->explicit_sync);
	struct wl_surface *surface = wl_compositor_create_surface(client->compositor);
	struct zwp_linux_surface_synchronization_v1 *sync =
		zwp_linux_explicit_synchronization_v1_get_synchronization(client->explicit_sync,
									  surface);
	int memfd = memfd_create("not-a-fence", MFD_CLOEXEC);
	switch (c->which) {
	case EXISTS:
		zwp_linux_explicit_synchronization_v1_get_synchronization(client->explicit_sync,
									  surface);
		break;
	case INVALID_FENCE:
		zwp_linux_surface_synchronization_v1_set_acquire_fence(sync, memfd);
		break;
	case DUPLICATE_RELEASE:
		zwp_linux_surface_synchronization_v1_get_release(sync);
		zwp_linux_surface_synchronization_v1_get_release(sync);
		break;
	case NO_BUFFER:
		zwp_linux_surface_synchronization_v1_get_release(sync);
		wl_surface_commit(surface);
		break;
	case NO_SURFACE:
		wl_surface_destroy(surface);
		zwp_linux_surface_synchronization_v1_get_release(sync);
		break;
	}
	const char *const needles[] = {c->needle, NULL};
	th_check(th_expect_protocol_error_msg(client, c->interface, c->code, needles));
	close(memfd);
	th_client_destroy(client);
	th_check(th_server_stop(server), "sluice did not exit cleanly");
}

static void
handle_immediate(void *data, struct zwp_linux_buffer_release_v1 *release)
{
	(*(int *)data)++;
	zwp_linux_buffer_release_v1_destroy(release);
}

static void
handle_fenced(void *data, struct zwp_linux_buffer_release_v1 *release, int32_t fd)
{
	close(fd);
	(*(int *)data) += 100;
	zwp_linux_buffer_release_v1_destroy(release);
}

static const struct zwp_linux_buffer_release_v1_listener release_listener = {
	.fenced_release = handle_fenced,
	.immediate_release = handle_immediate,
};

/* A release object for an shm commit fires once, when a newer commit replaced the buffer. */
static void
release_of_shm_buffer(const void *arg)
{
	struct th_server *server = th_server_start(NULL);
	th_require(server);
	struct th_client *client = th_client_connect(server);
	th_require(client && client->explicit_sync);
	struct th_window *w = th_window_create(client);
	th_require(w);
	struct zwp_linux_surface_synchronization_v1 *sync =
		zwp_linux_explicit_synchronization_v1_get_synchronization(client->explicit_sync,
									  w->surface);
	struct th_buffer *a = th_shm_buffer_create(client, w->width, w->height, 1);
	struct th_buffer *b = th_shm_buffer_create(client, w->width, w->height, 1);
	int released_a = 0, released_b = 0;
	struct zwp_linux_buffer_release_v1 *r =
		zwp_linux_surface_synchronization_v1_get_release(sync);
	zwp_linux_buffer_release_v1_add_listener(r, &release_listener, &released_a);
	wl_surface_attach(w->surface, a->buffer, 0, 0);
	struct th_presented p;
	th_require(th_commit_and_wait(client, w->surface, &p) && p.presented);
	th_require(th_commit_and_wait(client, w->surface, &p));
	th_check(released_a == 0, "released while still the surface's buffer");
	r = zwp_linux_surface_synchronization_v1_get_release(sync);
	zwp_linux_buffer_release_v1_add_listener(r, &release_listener, &released_b);
	wl_surface_attach(w->surface, b->buffer, 0, 0);
	wl_surface_damage_buffer(w->surface, 0, 0, 16, 16);
	th_require(th_commit_and_wait(client, w->surface, &p) && p.presented);
	th_check(released_a == 1, "release events for A: %d (immediate = 1, fenced = 100)",
		 released_a);
	th_check(released_b == 0);
	/* The surface goes: B is no longer used either. */
	zwp_linux_surface_synchronization_v1_destroy(sync);
	th_window_destroy(w);
	th_check(th_roundtrip(client));
	th_check(released_b == 1, "B's release after its surface went: %d", released_b);
	th_buffer_destroy(a);
	th_buffer_destroy(b);
	th_client_destroy(client);
	th_check(th_server_stop(server));
}

static void
syncobj_needs_drm(const void *arg)
{
	struct th_server *server = th_server_start(NULL);
	th_require(server);
	struct th_client *client = th_client_connect(server);
	th_require(client);
	th_check(client->explicit_sync != NULL, "zwp explicit sync missing");
	th_check(client->syncobj == NULL, "linux-drm-syncobj advertised without a DRM device");
	th_check(th_server_log_count(server, "no linux-drm-syncobj") == 1);
	th_client_destroy(client);
	th_check(th_server_stop(server));
}

int
main(void)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);
	printf("TAP version 13\n1..%zu\n", n + 2);
	int failed = 0;
	for (size_t i = 0; i < n; i++)
		failed += th_run_one(cases[i].name, run_case, &cases[i], (unsigned)i + 1);
	failed += th_run_one("release-of-shm-buffer", release_of_shm_buffer, NULL, (unsigned)n + 1);
	failed += th_run_one("syncobj-needs-drm", syncobj_needs_drm, NULL, (unsigned)n + 2);
	return failed ? 1 : 0;
}
