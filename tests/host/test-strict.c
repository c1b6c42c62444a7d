/*
 * Strict mode on the headless backend (wl_shm): correct clients, ours and weston's, get reports
 * with no finding; a client that commits without damage, or does not wait for its frame
 * callback, gets exactly that finding in its JSON report and on the log. The dma-buf faults are
 * in tests/vm/test-vm-strict.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct th_server *
start(const char *name, char *dir, size_t size)
{
	th_strict_dir(name, dir, size);
	const char *const args[] = {"--strict-report", dir, NULL};
	return th_server_start(args);
}

struct frame_done {
	bool done;
};

static void
frame_handle_done(void *data, struct wl_callback *callback, uint32_t time)
{
	((struct frame_done *)data)->done = true;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener frame_listener = {.done = frame_handle_done};

static void
request_frame(struct wl_surface *surface, struct frame_done *done)
{
	done->done = false;
	wl_callback_add_listener(wl_surface_frame(surface), &frame_listener, done);
}

/*
 * Frames the way the protocol means: damage with every buffer, the next one only after the frame
 * callback, a buffer drawn into again only after its release.
 */
static void
test_correct_client(void)
{
	char dir[512];
	struct th_server *server = start("correct", dir, sizeof(dir));
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c);
	struct th_window *w = th_window_create(c);
	th_require(w);
	struct th_buffer *bufs[2] = {th_shm_buffer_create(c, w->width, w->height, 0),
				     th_shm_buffer_create(c, w->width, w->height, 0)};
	th_require(bufs[0] && bufs[1]);
	for (int i = 0; i < 20; i++) {
		struct th_buffer *b = bufs[i % 2];
		th_require(th_roundtrip(c) && !b->busy, "buffer %d not released", i % 2);
		th_buffer_fill(b, 0, 0, w->width, w->height, 0xff000000u | (uint32_t)i * 10);
		wl_surface_attach(w->surface, b->buffer, 0, 0);
		b->busy = true;
		wl_surface_damage_buffer(w->surface, 0, 0, w->width, w->height);
		struct frame_done done;
		request_frame(w->surface, &done);
		wl_surface_commit(w->surface);
		th_require(th_dispatch_until(c, &done.done, 3000), "frame %d: no callback", i);
	}
	th_buffer_destroy(bufs[0]);
	th_buffer_destroy(bufs[1]);
	th_window_destroy(w);
	th_client_destroy(c);
	th_check(th_server_stop(server));
	th_strict_check_reports(dir, "test-strict", -1, NULL);
}

/* weston's own clients do it right too: silence for them. */
static void
test_weston_clients(void)
{
	char dir[512];
	struct th_server *server = start("weston", dir, sizeof(dir));
	th_require(server);
	static const char *const clients[] = {"weston-simple-shm", "weston-simple-egl"};
	const char *const env[] = {"LIBGL_ALWAYS_SOFTWARE=1", NULL};
	for (int i = 0; i < 2; i++) {
		const char *const argv[] = {clients[i], NULL};
		struct th_process_result r;
		th_run_client(server, argv, env, 3000, &r);
		th_check(r.timed_out, "%s exited early: %s", clients[i], r.output);
		th_process_result_finish(&r);
	}
	th_check(th_server_stop(server));
	/* Process names are cut at 15 characters. */
	th_strict_check_reports(dir, "weston-simple-s", -1, NULL);
	th_strict_check_reports(dir, "weston-simple-e", -1, NULL);
}

static void
test_no_damage(void)
{
	char dir[512];
	struct th_server *server = start("no-damage", dir, sizeof(dir));
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c);
	struct th_window *w = th_window_create(c);
	th_require(w);
	struct th_buffer *b = th_shm_buffer_create(c, w->width, w->height, 0);
	th_require(b);
	wl_surface_attach(w->surface, b->buffer, 0, 0);
	struct th_presented p;
	th_check(th_commit_and_wait(c, w->surface, &p));
	/* Said on the log as it happens, too. */
	char *log = th_read_file(server->log_path);
	th_check(log && strstr(log, "no_damage: wl_surface@"), "the finding is not on the log");
	free(log);
	th_buffer_destroy(b);
	th_window_destroy(w);
	th_client_destroy(c);
	th_check(th_server_stop(server));
	th_strict_check_reports(dir, "test-strict", -1, "no_damage");
}

static void
test_frame_callback_ignored(void)
{
	char dir[512];
	struct th_server *server = start("frame-callback", dir, sizeof(dir));
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c);
	struct th_window *w = th_window_create(c);
	th_require(w);
	struct th_buffer *bufs[2] = {th_shm_buffer_create(c, w->width, w->height, 0),
				     th_shm_buffer_create(c, w->width, w->height, 0)};
	th_require(bufs[0] && bufs[1]);
	struct frame_done done;
	for (int i = 0; i < 2; i++) {
		wl_surface_attach(w->surface, bufs[i]->buffer, 0, 0);
		wl_surface_damage_buffer(w->surface, 0, 0, w->width, w->height);
		request_frame(w->surface, &done);
		/* Both in one go: the second does not wait for the first one's callback. */
		wl_surface_commit(w->surface);
	}
	th_check(th_dispatch_until(c, &done.done, 3000));
	th_buffer_destroy(bufs[0]);
	th_buffer_destroy(bufs[1]);
	th_window_destroy(w);
	th_client_destroy(c);
	th_check(th_server_stop(server));
	th_strict_check_reports(dir, "test-strict", -1, "frame_callback_ignored");
}

int
main(int argc, char *argv[])
{
	static const struct th_test tests[] = {
		{"correct-client", test_correct_client},
		{"weston-clients", test_weston_clients},
		{"no-damage", test_no_damage},
		{"frame-callback-ignored", test_frame_callback_ignored},
	};
	return th_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
