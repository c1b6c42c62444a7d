/*
 * `sluice --kiosk` on vkms in VT-less root mode (`--session none`: the card opened directly, no
 * VT or seat touched), with a real client (weston-simple-shm) as the app: a crash restarts it
 * on the display, a clean exit ends sluice with the app's status; `always` restarts an app
 * that keeps exiting up to the limit. And connector hotplug under a running client.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include <xf86drm.h>

static char vkms_path[64];

/* The pid in the newest "started NAME (pid N)" line of sluice's log; 0 if none. */
static pid_t
app_pid(struct th_server *server)
{
	char *log = th_read_file(server->log_path);
	pid_t pid = 0;
	for (const char *p = log; p && (p = strstr(p, "(pid ")); p++)
		pid = (pid_t)atoi(p + 5);
	free(log);
	return pid;
}

/* Waits until the display shows something (lit) or nothing (!lit). */
static bool
wait_display(struct th_client *client, bool lit, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 200) {
		int n = th_lit_pixels(client, 0);
		if (n < 0)
			return false;
		if ((n > 0) == lit)
			return true;
		usleep(200000);
	}
	return false;
}

static struct th_server *
start_kiosk(const char *restart, const char *limit, const char *const *app)
{
	const char *args[32] = {
		"--backend", "drm",	  "--drm-device", vkms_path,	     "--renderer",
		"pixman",    "--session", "none",	  "--input",	     "none",
		"--kiosk",   "--restart", restart,	  "--restart-limit", limit,
		"--"};
	int n = 16;
	for (int i = 0; app[i] && n < 31; i++)
		args[n++] = app[i];
	return th_server_start(args);
}

/* The VT in front, from the kernel; -1 where there are no VTs. */
static int
active_vt(void)
{
	char *text = th_read_file("/sys/class/tty/tty0/active");
	int vt = text && strncmp(text, "tty", 3) == 0 ? atoi(text + 3) : -1;
	free(text);
	return vt;
}

static void
test_crash_restarts(void)
{
	static const char *const app[] = {"weston-simple-shm", NULL};
	int vt = active_vt();
	struct th_server *server = start_kiosk("on-failure", "3", app);
	th_require(server);
	struct th_client *watcher = th_client_connect(server);
	th_require(watcher);
	th_check(th_server_log_count(server, "session") == 0, "a session was opened");

	pid_t first = th_server_wait_log(server, "started weston-simple-shm", 1, 10000)
			      ? app_pid(server)
			      : 0;
	if (th_check(first > 0, "the app was not started") &&
	    th_check(wait_display(watcher, true, 15000), "the app never showed on the display")) {
		/* A crash: on-failure brings it back, on the same display. */
		kill(first, SIGSEGV);
		th_check(th_server_wait_log(server, "killed by signal 11", 1, 10000),
			 "the crash went unseen");
		th_check(th_server_wait_log(server, "started weston-simple-shm", 2, 10000),
			 "the crashed app was not restarted");
		pid_t second = app_pid(server);
		th_check(second > 0 && second != first, "no new app process");
		th_check(wait_display(watcher, true, 15000),
			 "the restarted app never showed on the display");
		/* A clean exit (simple-shm ends with 0 on SIGINT): sluice ends with it. */
		kill(second, SIGINT);
		th_check(th_server_exits_within(server, 10000),
			 "sluice did not exit when the app exited with 0");
		th_check(th_server_log_count(server, "started weston-simple-shm") == 2,
			 "a successful exit was restarted under on-failure");
	}
	th_client_destroy(watcher);
	th_check(th_server_stop(server), "sluice's exit status was not the app's 0");
	th_check(active_vt() == vt, "the foreground VT changed (%d, was %d)", active_vt(), vt);
}

/* An app that shows frames for a moment and exits with 0 by itself, three times. */
static void
test_always_until_limit(void)
{
	static const char *const app[] = {
		"sh", "-c", "weston-simple-shm & sleep 2; kill -INT $!; wait $!", NULL};
	struct th_server *server = start_kiosk("always", "2", app);
	th_require(server);
	th_check(th_server_exits_within(server, 60000), "sluice did not give up after 3 runs");
	th_check(th_server_log_count(server, "started sh") == 3, "%d runs, not 3",
		 th_server_log_count(server, "started sh"));
	th_check(th_server_log_count(server, "sh exited with status 0") == 3,
		 "the app did not exit cleanly three times");
	th_check(th_server_log_count(server, "giving up") == 1, "no give-up line");
	/* Each run of the client had frames presented on vkms. */
	th_check(th_server_log_count(server, "toplevel mapped") >= 3, "not every run mapped");
	th_check(th_server_stop(server), "sluice's exit status was not the last run's 0");
}

static bool
write_sysfs(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");
	bool ok = f && fputs(value, f) >= 0;
	if (f)
		ok = fclose(f) == 0 && ok;
	return th_check(ok, "cannot write '%s' to %s: %s", value, path, strerror(errno));
}

/*
 * vkms in Linux 6.1 cannot unplug its connector, and a forced connector state is not reported
 * by itself (vkms does not poll): the test forces the connector's state through sysfs, which
 * the next probe reports, and sends the card's "change" uevent, as the kernel does on hotplug.
 */
static bool
set_connector(const char *card, const char *state)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/class/drm/%s-Virtual-1/status", card);
	if (!write_sysfs(path, state))
		return false;
	snprintf(path, sizeof(path), "/sys/class/drm/%s/uevent", card);
	return write_sysfs(path, "change");
}

/* Dispatches until the window's configure count passes count; false after 10 s. */
static bool
wait_configure_after(struct th_window *window, int count)
{
	for (int i = 0; i < 100 && window->configure_count <= count; i++) {
		bool never = false;
		th_dispatch_until(window->client, &never, 100);
	}
	return window->configure_count > count;
}

/*
 * The connector goes away and comes back while a fullscreen client runs: the output and its
 * wl_output global go (the client sees global_remove and a configure without a size), the CRTC
 * is turned off, the client keeps running; back, a new wl_output appears, the client is
 * configured to the mode's size again, the CRTC is lit and its next frame is on the display.
 */
static void
test_hotplug(void)
{
	const char *card = strrchr(vkms_path, '/') + 1;
	/* Named: only that connector is driven, when it comes back as well. */
	const char *const args[] = {"--backend", "drm",	      "--drm-device", vkms_path,
				    "--output",	 "Virtual-1", "--renderer",   "pixman",
				    "--session", "none",      "--input",      "none",
				    NULL};
	struct th_server *server = th_server_start(args);
	th_require(server);
	struct th_client *client = th_client_connect(server);
	struct th_window *window = client ? th_window_create(client) : NULL;
	struct th_buffer *buffer =
		window ? th_shm_buffer_create(client, window->width, window->height, 0) : NULL;
	int fd = open(vkms_path, O_RDWR | O_CLOEXEC);
	bool plugged = true;
	if (th_check(buffer, "no window") &&
	    th_check(fd >= 0 && drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1) == 0,
		     "cannot read %s's CRTC", vkms_path)) {
		th_check(window->width == 1024 && window->height == 768, "first configure %dx%d",
			 window->width, window->height);
		th_buffer_fill(buffer, 0, 0, window->width, window->height, 0xff336699u);
		wl_surface_attach(window->surface, buffer->buffer, 0, 0);
		wl_surface_damage_buffer(window->surface, 0, 0, window->width, window->height);
		struct th_presented p;
		th_check(th_commit_and_wait(client, window->surface, &p) && p.presented,
			 "the first frame was not presented");

		int configures = window->configure_count;
		plugged = !set_connector(card, "off");
		th_check(th_server_wait_log(server, "Virtual-1 disconnected", 1, 10000),
			 "sluice did not see the connector go");
		th_check(wait_configure_after(window, configures) && window->width == 0 &&
				 window->height == 0,
			 "no configure without a size after the unplug (%dx%d)", window->width,
			 window->height);
		th_check(client->n_outputs_removed == 1, "the wl_output global was not removed");
		th_check(th_wait_crtc_active(fd, 0, 10000), "the CRTC was left on");
		/* Nothing shows it now; the client keeps going. */
		wl_surface_attach(window->surface, buffer->buffer, 0, 0);
		wl_surface_damage_buffer(window->surface, 0, 0, 16, 16);
		wl_surface_commit(window->surface);
		th_check(th_roundtrip(client), "the client lost its connection");

		configures = window->configure_count;
		plugged = set_connector(card, "detect");
		th_check(th_server_wait_log(server, "Virtual-1 connected", 1, 10000),
			 "sluice did not see the connector come back");
		th_check(wait_configure_after(window, configures) && window->width == 1024 &&
				 window->height == 768,
			 "not configured to 1024x768 again (%dx%d)", window->width, window->height);
		th_check(client->n_outputs == 2 && client->outputs[1].output,
			 "no new wl_output global");
		th_check(th_wait_crtc_active(fd, 1, 10000), "the CRTC was not lit again");
		th_buffer_fill(buffer, 0, 0, window->width, window->height, 0xff993366u);
		wl_surface_attach(window->surface, buffer->buffer, 0, 0);
		wl_surface_damage_buffer(window->surface, 0, 0, window->width, window->height);
		th_check(th_commit_and_wait(client, window->surface, &p) && p.presented,
			 "no frame presented on the output that came back");
		uint32_t shown = th_output_pixel(client, 1, 512, 384);
		th_check(shown == 0x993366, "the display shows %06x, not the new frame", shown);
	}
	if (!plugged)
		set_connector(card, "detect");
	if (fd >= 0)
		close(fd);
	if (buffer)
		th_buffer_destroy(buffer);
	if (window)
		th_window_destroy(window);
	th_client_destroy(client);
	th_check(th_server_stop(server), "sluice did not stop cleanly");
}

int
main(int argc, char *argv[])
{
	th_require_vkms(vkms_path, sizeof(vkms_path));
	static const struct th_test tests[] = {
		{"crash-restarts", test_crash_restarts},
		{"always-until-limit", test_always_until_limit},
		{"hotplug", test_hotplug},
	};
	return th_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
