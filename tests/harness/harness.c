#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/klog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/sync_file.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "fd.h"
#include "formats.h"
#include "png-write.h"
#include "yuv.h"

/* ---- checks and TAP ---- */

static int subtest_failures;

bool
th_subtest_failed(void)
{
	return subtest_failures > 0;
}

int64_t
th_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
th_note(const char *fmt, ...)
{
	/* Every line a TAP comment: a note may quote a peer's multi-line output. */
	char *text = NULL;
	va_list args;
	va_start(args, fmt);
	int len = vasprintf(&text, fmt, args);
	va_end(args);
	if (len < 0)
		return;
	for (char *line = text, *end; line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (end && !end[1])
			*end = '\0', end = NULL; /* a trailing newline makes no empty comment */
		printf("# %.*s\n", end ? (int)(end - line) : (int)strlen(line), line);
	}
	free(text);
	fflush(stdout);
}

bool
th_check_at(bool ok, const char *file, int line, const char *expr, const char *fmt, ...)
{
	if (ok)
		return true;
	subtest_failures++;
	printf("# FAILED %s:%d: %s", file, line, expr);
	if (fmt[0]) {
		va_list args;
		va_start(args, fmt);
		printf(": ");
		vprintf(fmt, args);
		va_end(args);
	}
	printf("\n");
	fflush(stdout);
	return false;
}

int
th_main(int argc, char *argv[], const struct th_test *tests, unsigned count)
{
	/* A peer that dies must not take the test with it. */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	unsigned selected = 0;
	bool run[256] = {false};
	for (unsigned i = 0; i < count && i < 256; i++) {
		run[i] = argc < 2;
		for (int a = 1; a < argc; a++)
			if (strcmp(argv[a], tests[i].name) == 0)
				run[i] = true;
		selected += run[i];
	}
	printf("TAP version 13\n1..%u\n", selected);
	int failed = 0;
	unsigned n = 0;
	for (unsigned i = 0; i < count; i++)
		if (run[i])
			failed += th_run_one(tests[i].name, (void (*)(const void *))tests[i].run,
					     NULL, ++n);
	return failed ? 1 : 0;
}

/*
 * Servers a subtest started and has not stopped yet. A th_require that fails returns from the
 * subtest at once: its server is stopped here, with its log, so that it neither hides why nor
 * keeps the display (DRM master) from the subtests after it.
 */
static struct th_server *live_servers[16];

static void stop_left_servers(void);
static void print_log(struct th_server *server);

/*
 * Every server started and not yet freed, shared ones included: the watchdog reports on all of
 * them.
 */
static struct th_server *started_servers[32];

/* The subtest running, for the watchdog. */
static const char *running_name;
static unsigned running_index;
static unsigned running_timeout_s;

/* Present in sanitizer builds: a symbolized stack of the calling thread. */
extern void __sanitizer_print_stack_trace(void) __attribute__((weak));

static void
print_proc_file(pid_t pid, const char *file, const char *only)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!only || strncmp(line, only, strlen(only)) == 0)
			printf("#   %s: %s%s", file, line, strchr(line, '\n') ? "" : "\n");
	fclose(f);
}

/* The kernel's last lines (a DRM timeout or a hung task says why a process is stuck), if allowed.
 */
static void
print_kernel_log_tail(int lines)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf = size > 0 ? malloc((size_t)size) : NULL;
	int len = buf ? klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size) : -1;
	if (len > 0) {
		const char *start = buf + len;
		for (int n = 0; start > buf && n <= lines; start--)
			n += start[-1] == '\n';
		if (start > buf)
			start++; /* it stopped on the newline before the first line wanted */
		printf("# the kernel's last lines:\n");
		for (const char *line = start, *end; line < buf + len; line = end + 1) {
			end = memchr(line, '\n', (size_t)(buf + len - line));
			if (!end)
				end = buf + len;
			printf("#   %.*s\n", (int)(end - line), line);
		}
	}
	free(buf);
}

void
th_server_print_state(struct th_server *server)
{
	printf("# sluice (pid %d), where it is:\n", (int)server->pid);
	print_proc_file(server->pid, "status", "State:");
	print_proc_file(server->pid, "wchan", NULL);
	print_proc_file(server->pid, "stack", NULL);
	print_kernel_log_tail(20);
	fflush(stdout);
}

/*
 * A subtest that blocks (a roundtrip to a sluice that stopped answering, a process stuck in the
 * kernel) would otherwise hold the whole VM until its outer timeout, with nothing said about
 * where. This says where, in the test and in each sluice, and ends the test program. It runs in
 * a signal handler and uses stdio: acceptable only because the process exits right after and a
 * hung test is blocked in a system call, not inside stdio.
 */
static void
watchdog_fire(int sig)
{
	(void)sig;
	printf("# TIMEOUT: subtest '%s' still running after %u s (TH_SUBTEST_TIMEOUT)\n",
	       running_name, running_timeout_s);
	printf("# the test program is here:\n");
	fflush(stdout);
	if (__sanitizer_print_stack_trace)
		__sanitizer_print_stack_trace(); /* to stderr, which meson keeps */
	for (size_t i = 0; i < sizeof(started_servers) / sizeof(started_servers[0]); i++) {
		struct th_server *server = started_servers[i];
		if (!server)
			continue;
		int status;
		if (waitpid(server->pid, &status, WNOHANG) != 0) {
			printf("# sluice (pid %d) has already exited, status 0x%x\n",
			       (int)server->pid, status);
		} else {
			printf("# sluice (pid %d) is still running:\n", (int)server->pid);
			print_proc_file(server->pid, "status", "State:");
			print_proc_file(server->pid, "wchan", NULL);
			print_proc_file(server->pid, "stack", NULL);
			printf("# sending SIGSEGV to its main thread: a sanitizer build reports "
			       "where "
			       "it was (in its log below)\n");
			fflush(stdout);
			/*
			 * SIGSEGV to its main thread makes a sanitizer build print where that
			 * thread is; a thread stuck in the kernel takes it only when it leaves, so
			 * SIGKILL follows.
			 */
			syscall(SYS_tgkill, server->pid, server->pid, SIGSEGV);
			for (int t = 0; t < 50 && waitpid(server->pid, &status, WNOHANG) == 0; t++)
				usleep(100000);
			kill(server->pid, SIGKILL);
			waitpid(server->pid, &status, 0);
		}
		print_log(server);
	}
	print_kernel_log_tail(40);
	printf("not ok %u - %s # timed out after %u s\n", running_index, running_name,
	       running_timeout_s);
	printf("Bail out! subtest '%s' hung; the ones after it were not run\n", running_name);
	fflush(stdout);
	_exit(1);
}

/* Seconds a subtest may take before the watchdog ends the program: TH_SUBTEST_TIMEOUT, 0 = none. */
static unsigned
subtest_timeout(void)
{
	const char *env = getenv("TH_SUBTEST_TIMEOUT");
	/* Four times the slowest subtest seen under TCG with sanitizers (about 75 s). */
	return env ? (unsigned)strtoul(env, NULL, 10) : 300;
}

int
th_run_one(const char *name, void (*fn)(const void *arg), const void *arg, unsigned index)
{
	subtest_failures = 0;
	int64_t start = th_now_ns();
	running_name = name;
	running_index = index;
	running_timeout_s = subtest_timeout();
	struct sigaction sa = {.sa_handler = watchdog_fire};
	sigaction(SIGALRM, &sa, NULL);
	alarm(running_timeout_s);
	fn(arg);
	stop_left_servers();
	alarm(0);
	double ms = (double)(th_now_ns() - start) / 1e6;
	printf("%s %u - %s # %.0f ms\n", subtest_failures ? "not ok" : "ok", index, name, ms);
	return subtest_failures != 0;
}

/* ---- the compositor process ---- */

struct th_server *
th_server_start(const char *const *extra_args)
{
	return th_server_start_env(extra_args, NULL);
}

struct th_server *
th_server_start_env(const char *const *extra_args, const char *const *env)
{
	return th_server_start_user(extra_args, env, NULL, NULL);
}

static void server_free(struct th_server *server);

/* Names of the copies made for another user in its runtime directory (server_free removes them). */
#define USER_BIN_NAME "sluice"
#define USER_SUPP_NAME "lsan.supp"

/*
 * Copies src into the server's runtime directory as name, mode 0755, owned by uid:gid; the copy's
 * path (in path), or NULL with a note.
 */
static const char *
copy_for_user(const struct th_server *server, const char *src, const char *name, uid_t uid,
	      gid_t gid, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", server->runtime_dir, name);
	int in = open(src, O_RDONLY | O_CLOEXEC);
	int out = in < 0 ? -1 : open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	bool ok = in >= 0 && out >= 0;
	char chunk[65536];
	ssize_t n;
	while (ok && (n = read(in, chunk, sizeof(chunk))) != 0)
		ok = n > 0 && write(out, chunk, (size_t)n) == n;
	ok = ok && fchown(out, uid, gid) == 0;
	if (!ok)
		th_note("copying %s to %s: %s", src, path, strerror(errno));
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return ok ? path : NULL;
}

struct th_server *
th_server_start_user(const char *const *extra_args, const char *const *env, const char *user,
		     const char *group)
{
	uid_t uid = 0;
	gid_t gid = 0;
	if (user) {
		struct passwd *pw = getpwnam(user);
		struct group *gr = getgrnam(group);
		if (!th_check(pw && gr, "no user %s or group %s", user, group))
			return NULL;
		uid = pw->pw_uid;
		gid = gr->gr_gid;
	}
	struct th_server *server = calloc(1, sizeof(*server));
	if (!server)
		return NULL;
	snprintf(server->runtime_dir, sizeof(server->runtime_dir), "/tmp/sluice-test-XXXXXX");
	if (!mkdtemp(server->runtime_dir)) {
		th_check(false, "mkdtemp: %s", strerror(errno));
		free(server);
		return NULL;
	}
	snprintf(server->socket, sizeof(server->socket), "sluice-test");
	snprintf(server->log_path, sizeof(server->log_path), "%s/sluice.log", server->runtime_dir);
	/* Its runtime dir is the user's own, as a login session's would be. */
	if (user && !th_check(chown(server->runtime_dir, uid, gid) == 0, "chown %s: %s",
			      server->runtime_dir, strerror(errno))) {
		rmdir(server->runtime_dir);
		free(server);
		return NULL;
	}

	const char *bin = getenv("SLUICE_BIN");
	if (!bin)
		bin = "sluice";
	/*
	 * A checkout in a directory only root may enter (root's home, mktemp -d) holds a sluice
	 * and a suppressions file that another user can neither run nor read: that user gets
	 * copies in its own runtime directory.
	 */
	char user_bin[sizeof(server->runtime_dir) + 16],
		user_supp[sizeof(server->runtime_dir) + 16];
	const char *supp = getenv("TH_LSAN_SUPPRESSIONS");
	bool copied = true;
	if (user && strchr(bin, '/'))
		copied = (bin = copy_for_user(server, bin, USER_BIN_NAME, uid, gid, user_bin,
					      sizeof(user_bin))) != NULL;
	if (user && supp && copied)
		copied = (supp = copy_for_user(server, supp, USER_SUPP_NAME, uid, gid, user_supp,
					       sizeof(user_supp))) != NULL;
	if (!th_check(copied, "cannot copy sluice or its suppressions for %s", user)) {
		server_free(server);
		return NULL;
	}
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0) {
		free(server);
		return NULL;
	}

	char ready_arg[16];
	snprintf(ready_arg, sizeof(ready_arg), "%d", ready[1]);
	const char *argv[64] = {bin,	      "--socket", server->socket, "--capture",
				"--ready-fd", ready_arg,  "--log-level",  "debug"};
	int argc = 8;
	bool backend_given = false;
	for (int i = 0; extra_args && extra_args[i] && argc < 61; i++) {
		backend_given |= strcmp(extra_args[i], "--backend") == 0 ||
				 strcmp(extra_args[i], "--headless") == 0 ||
				 strcmp(extra_args[i], "--drm-device") == 0;
		argv[argc++] = extra_args[i];
	}
	/* Host-tier tests are about the headless backend, even where a display exists. */
	if (!backend_given) {
		argv[argc++] = "--backend";
		argv[argc++] = "headless";
	}
	argv[argc] = NULL;

	pid_t pid = fork();
	if (pid == 0) {
		int log = open(server->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (log >= 0) {
			dup2(log, STDOUT_FILENO);
			dup2(log, STDERR_FILENO);
		}
		/* The ready pipe is the one fd sluice inherits on purpose. */
		int flags = fcntl(ready[1], F_GETFD);
		fcntl(ready[1], F_SETFD, flags & ~FD_CLOEXEC);
		setenv("XDG_RUNTIME_DIR", server->runtime_dir, 1);
		/* The tests themselves may leak (bad clients die mid-way); sluice must not, beyond
		 * what tests/lsan.supp lists of Mesa's own libraries. */
		setenv("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0", 1);
		if (supp) {
			char lsan[512];
			snprintf(lsan, sizeof(lsan), "suppressions=%s:print_suppressions=0", supp);
			setenv("LSAN_OPTIONS", lsan, 1);
		}
		/* Last, so that a test can override the above. */
		for (int i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		if (user && (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)) {
			fprintf(stderr, "cannot become %s:%s: %s\n", user, group, strerror(errno));
			_exit(127);
		}
		execvp(bin, (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(ready[1]);
	server->pid = pid;
	for (size_t i = 0; i < sizeof(started_servers) / sizeof(started_servers[0]); i++)
		if (!started_servers[i]) {
			started_servers[i] = server;
			break;
		}

	/* Sanitizer builds start slowly on a loaded machine, GL under TCG slower still (an
	 * llvmpipe context takes 10-25 s there): be generous. */
	struct pollfd pfd = {.fd = ready[0], .events = POLLIN};
	char line[128] = {0};
	bool ok = poll(&pfd, 1, 60000) == 1 && read(ready[0], line, sizeof(line) - 1) > 0;
	close(ready[0]);
	if (!ok) {
		th_check(false, "sluice did not become ready; log in %s", server->log_path);
		th_server_stop(server);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(live_servers) / sizeof(live_servers[0]); i++)
		if (!live_servers[i]) {
			live_servers[i] = server;
			break;
		}
	return server;
}

static void
print_log(struct th_server *server)
{
	FILE *f = fopen(server->log_path, "r");
	if (!f)
		return;
	char line[1024];
	printf("# --- sluice log ---\n");
	while (fgets(line, sizeof(line), f))
		printf("#   %s", line);
	fclose(f);
}

bool
th_server_alive(struct th_server *server)
{
	int status;
	return waitpid(server->pid, &status, WNOHANG) == 0;
}

bool
th_server_exits_within(struct th_server *server, int timeout_ms)
{
	for (int waited = 0;; waited += 50) {
		siginfo_t info = {0};
		if (waitid(P_PID, (id_t)server->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    info.si_pid == server->pid)
			return true;
		if (waited >= timeout_ms)
			return false;
		usleep(50000);
	}
}

int
th_server_log_count(struct th_server *server, const char *needle)
{
	FILE *f = fopen(server->log_path, "r");
	if (!f)
		return 0;
	char line[2048];
	int n = 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* Ends the server (SIGTERM, then SIGKILL after 30 s) and returns its wait status. */
static int
server_end(struct th_server *server)
{
	int status = -1;
	if (waitpid(server->pid, &status, WNOHANG) == 0) {
		kill(server->pid, SIGTERM);
		for (int i = 0; i < 300; i++) {
			if (waitpid(server->pid, &status, WNOHANG) != 0)
				break;
			usleep(100000);
			if (i == 299) {
				kill(server->pid, SIGKILL);
				waitpid(server->pid, &status, 0);
			}
		}
	}
	return status;
}

static void
server_free(struct th_server *server)
{
	for (size_t i = 0; i < sizeof(started_servers) / sizeof(started_servers[0]); i++)
		if (started_servers[i] == server)
			started_servers[i] = NULL;
	for (size_t i = 0; i < sizeof(live_servers) / sizeof(live_servers[0]); i++)
		if (live_servers[i] == server)
			live_servers[i] = NULL;
	char path[256];
	unlink(server->log_path);
	snprintf(path, sizeof(path), "%s/%s.lock", server->runtime_dir, server->socket);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", server->runtime_dir, server->socket);
	unlink(path);
	/* The copies th_server_start_user made for another user, if any. */
	snprintf(path, sizeof(path), "%s/" USER_BIN_NAME, server->runtime_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/" USER_SUPP_NAME, server->runtime_dir);
	unlink(path);
	rmdir(server->runtime_dir);
	free(server);
}

int
th_server_stop_status(struct th_server *server)
{
	int status = server_end(server);
	if (subtest_failures || getenv("TH_DUMP_LOG"))
		print_log(server);
	server_free(server);
	return status;
}

bool
th_server_stop(struct th_server *server)
{
	if (!server)
		return false;
	int status = server_end(server);
	bool exited_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	/* TH_DUMP_LOG=1 shows it for passing subtests too, when debugging. */
	if (!exited_ok || subtest_failures || getenv("TH_DUMP_LOG"))
		print_log(server);
	th_check(exited_ok, "sluice exit status 0x%x (non-zero exit, crash or sanitizer report)",
		 status);
	server_free(server);
	return exited_ok;
}

/* ---- clients ---- */

static void
output_handle_geometry(void *data, struct wl_output *wl_output, int32_t x, int32_t y, int32_t pw,
		       int32_t ph, int32_t subpixel, const char *make, const char *model,
		       int32_t transform)
{
	((struct th_output *)data)->transform = transform;
}

static void
output_handle_mode(void *data, struct wl_output *wl_output, uint32_t flags, int32_t width,
		   int32_t height, int32_t refresh)
{
	struct th_output *output = data;
	if (flags & WL_OUTPUT_MODE_CURRENT) {
		output->width = width;
		output->height = height;
		output->refresh_mhz = refresh;
	}
}

static void
output_handle_done(void *data, struct wl_output *wl_output)
{
	((struct th_output *)data)->done = true;
}

static void
output_handle_scale(void *data, struct wl_output *wl_output, int32_t factor)
{
}

static void
output_handle_name(void *data, struct wl_output *wl_output, const char *name)
{
	struct th_output *output = data;
	snprintf(output->name, sizeof(output->name), "%s", name);
}

static void
output_handle_description(void *data, struct wl_output *wl_output, const char *description)
{
}

static const struct wl_output_listener output_listener = {
	.geometry = output_handle_geometry,
	.mode = output_handle_mode,
	.done = output_handle_done,
	.scale = output_handle_scale,
	.name = output_handle_name,
	.description = output_handle_description,
};

static void
xo_position(void *data, struct zxdg_output_v1 *o, int32_t x, int32_t y)
{
	struct th_xdg_output *s = data;
	s->x = x;
	s->y = y;
}

static void
xo_size(void *data, struct zxdg_output_v1 *o, int32_t w, int32_t h)
{
	struct th_xdg_output *s = data;
	s->width = w;
	s->height = h;
}

static void
xo_done(void *data, struct zxdg_output_v1 *o)
{
	((struct th_xdg_output *)data)->xdg_done = true;
}

static void
xo_name(void *data, struct zxdg_output_v1 *o, const char *name)
{
	struct th_xdg_output *s = data;
	snprintf(s->name, sizeof(s->name), "%s", name);
}

static void
xo_description(void *data, struct zxdg_output_v1 *o, const char *description)
{
	struct th_xdg_output *s = data;
	snprintf(s->description, sizeof(s->description), "%s", description);
}

static const struct zxdg_output_v1_listener th_xdg_output_listener = {
	xo_position, xo_size, xo_done, xo_name, xo_description,
};

struct zxdg_output_v1 *
th_xdg_output_get(struct th_client *client, int output, struct th_xdg_output *state)
{
	struct zxdg_output_v1 *o = zxdg_output_manager_v1_get_xdg_output(
		client->xdg_output, client->outputs[output].output);
	zxdg_output_v1_add_listener(o, &th_xdg_output_listener, state);
	return o;
}

static void
colour_repr_alpha_mode(void *data, struct wp_color_representation_manager_v1 *m,
		       uint32_t alpha_mode)
{
	if (alpha_mode < 32)
		((struct th_client *)data)->colour_alpha_modes |= 1u << alpha_mode;
}

static void
colour_repr_pair(void *data, struct wp_color_representation_manager_v1 *m, uint32_t coefficients,
		 uint32_t range)
{
	uint32_t bit = 8 * coefficients + range;
	if (bit < 64)
		((struct th_client *)data)->colour_pairs |= 1ull << bit;
}

static void
colour_repr_done(void *data, struct wp_color_representation_manager_v1 *m)
{
	((struct th_client *)data)->colour_done = true;
}

static const struct wp_color_representation_manager_v1_listener colour_repr_listener = {
	.supported_alpha_mode = colour_repr_alpha_mode,
	.supported_coefficients_and_ranges = colour_repr_pair,
	.done = colour_repr_done,
};

static void
wm_base_handle_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {.ping = wm_base_handle_ping};

static void
presentation_handle_clock_id(void *data, struct wp_presentation *presentation, uint32_t clock)
{
	((struct th_client *)data)->clock_id = clock;
}

static const struct wp_presentation_listener presentation_listener = {
	.clock_id = presentation_handle_clock_id,
};

static void
shm_handle_format(void *data, struct wl_shm *shm, uint32_t format)
{
	struct th_client *client = data;
	if (client->n_shm_formats < 64)
		client->shm_formats[client->n_shm_formats++] = format;
}

static const struct wl_shm_listener shm_listener = {.format = shm_handle_format};

static void
dmabuf_add_format(struct th_client *client, uint32_t format, uint64_t modifier)
{
	for (int i = 0; i < client->n_dmabuf_formats; i++)
		if (client->dmabuf_formats[i].format == format &&
		    client->dmabuf_formats[i].modifier == modifier)
			return;
	if (client->n_dmabuf_formats <
	    (int)(sizeof(client->dmabuf_formats) / sizeof(client->dmabuf_formats[0])))
		client->dmabuf_formats[client->n_dmabuf_formats++] =
			(struct th_format_modifier){format, modifier};
}

static void
dmabuf_handle_format(void *data, struct zwp_linux_dmabuf_v1 *dmabuf, uint32_t format)
{
	/* The format event alone means "implicit modifier". */
	dmabuf_add_format(data, format, DRM_FORMAT_MOD_INVALID);
}

static void
dmabuf_handle_modifier(void *data, struct zwp_linux_dmabuf_v1 *dmabuf, uint32_t format, uint32_t hi,
		       uint32_t lo)
{
	dmabuf_add_format(data, format, (uint64_t)hi << 32 | lo);
}

static const struct zwp_linux_dmabuf_v1_listener dmabuf_listener = {
	.format = dmabuf_handle_format,
	.modifier = dmabuf_handle_modifier,
};

static void
registry_handle_global(void *data, struct wl_registry *registry, uint32_t name,
		       const char *interface, uint32_t version)
{
	struct th_client *client = data;
#define BIND(iface, max) wl_registry_bind(registry, name, &iface, version < (max) ? version : (max))
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		client->compositor = BIND(wl_compositor_interface, 5);
	} else if (strcmp(interface, wl_subcompositor_interface.name) == 0) {
		client->subcompositor = BIND(wl_subcompositor_interface, 1);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		client->shm = BIND(wl_shm_interface, 1);
		wl_shm_add_listener(client->shm, &shm_listener, client);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		client->wm_base = BIND(xdg_wm_base_interface, 3);
		xdg_wm_base_add_listener(client->wm_base, &wm_base_listener, client);
	} else if (strcmp(interface, wp_presentation_interface.name) == 0) {
		client->presentation_version = version < 2 ? version : 2;
		client->presentation = BIND(wp_presentation_interface, 2);
		wp_presentation_add_listener(client->presentation, &presentation_listener, client);
	} else if (strcmp(interface, wp_viewporter_interface.name) == 0) {
		client->viewporter = BIND(wp_viewporter_interface, 1);
	} else if (strcmp(interface, wp_single_pixel_buffer_manager_v1_interface.name) == 0) {
		client->single_pixel = BIND(wp_single_pixel_buffer_manager_v1_interface, 1);
	} else if (strcmp(interface, wl_seat_interface.name) == 0) {
		client->seat = BIND(wl_seat_interface, 7);
	} else if (strcmp(interface, zwp_linux_explicit_synchronization_v1_interface.name) == 0) {
		client->explicit_sync = BIND(zwp_linux_explicit_synchronization_v1_interface, 2);
	} else if (strcmp(interface, wp_linux_drm_syncobj_manager_v1_interface.name) == 0) {
		client->syncobj = BIND(wp_linux_drm_syncobj_manager_v1_interface, 1);
	} else if (strcmp(interface, zwp_linux_dmabuf_v1_interface.name) == 0) {
		client->dmabuf_version = version < 5 ? version : 5;
		client->dmabuf = BIND(zwp_linux_dmabuf_v1_interface, 5);
		zwp_linux_dmabuf_v1_add_listener(client->dmabuf, &dmabuf_listener, client);
	} else if (strcmp(interface, wp_fifo_manager_v1_interface.name) == 0) {
		client->fifo_manager = BIND(wp_fifo_manager_v1_interface, 1);
	} else if (strcmp(interface, wp_commit_timing_manager_v1_interface.name) == 0) {
		client->commit_timing = BIND(wp_commit_timing_manager_v1_interface, 1);
	} else if (strcmp(interface, wp_tearing_control_manager_v1_interface.name) == 0) {
		client->tearing = BIND(wp_tearing_control_manager_v1_interface, 1);
	} else if (strcmp(interface, wp_color_representation_manager_v1_interface.name) == 0) {
		client->colour_repr = BIND(wp_color_representation_manager_v1_interface, 1);
		wp_color_representation_manager_v1_add_listener(client->colour_repr,
								&colour_repr_listener, client);
	} else if (strcmp(interface, zwlr_screencopy_manager_v1_interface.name) == 0) {
		client->screencopy_version = version < 3 ? version : 3;
		client->screencopy = BIND(zwlr_screencopy_manager_v1_interface, 3);
	} else if (strcmp(interface, ext_output_image_capture_source_manager_v1_interface.name) ==
		   0) {
		client->output_sources =
			BIND(ext_output_image_capture_source_manager_v1_interface, 1);
	} else if (strcmp(interface, ext_image_copy_capture_manager_v1_interface.name) == 0) {
		client->image_copy = BIND(ext_image_copy_capture_manager_v1_interface, 1);
	} else if (strcmp(interface, sluice_capture_manager_v1_interface.name) == 0) {
		client->capture = BIND(sluice_capture_manager_v1_interface, 1);
	} else if (strcmp(interface, zxdg_decoration_manager_v1_interface.name) == 0) {
		client->decoration = BIND(zxdg_decoration_manager_v1_interface, 1);
	} else if (strcmp(interface, zxdg_output_manager_v1_interface.name) == 0) {
		client->xdg_output = BIND(zxdg_output_manager_v1_interface, 3);
	} else if (strcmp(interface, wl_data_device_manager_interface.name) == 0) {
		client->data_device_manager = BIND(wl_data_device_manager_interface, 3);
	} else if (strcmp(interface, wl_output_interface.name) == 0 &&
		   client->n_outputs < TH_MAX_OUTPUTS) {
		struct th_output *output = &client->outputs[client->n_outputs++];
		output->global_name = name;
		output->output = BIND(wl_output_interface, 4);
		wl_output_add_listener(output->output, &output_listener, output);
	}
#undef BIND
}

static void
registry_handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
	struct th_client *client = data;
	for (int i = 0; i < client->n_outputs; i++) {
		struct th_output *output = &client->outputs[i];
		if (output->output && output->global_name == name) {
			/* Indices stay: outputs[i] of a removed output is NULL from now on. */
			wl_output_release(output->output);
			output->output = NULL;
			client->n_outputs_removed++;
		}
	}
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_handle_global,
	.global_remove = registry_handle_global_remove,
};

bool
th_roundtrip(struct th_client *client)
{
	return wl_display_roundtrip(client->display) >= 0;
}

static char last_error_message[512];

/* libwayland-client reports a protocol error as "iface@id: error N: message" through wl_log. */
static void __attribute__((format(printf, 1, 0))) client_log_handler(const char *fmt, va_list args)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, args);
	if (strstr(line, ": error "))
		snprintf(last_error_message, sizeof(last_error_message), "%s", line);
	printf("# libwayland: %s", line);
}

const char *
th_protocol_error_message(void)
{
	return last_error_message;
}

bool
th_expect_protocol_error_msg(struct th_client *client, const struct wl_interface *interface,
			     uint32_t code, const char *const *needles)
{
	if (!th_expect_protocol_error(client, interface, code))
		return false;
	bool ok = true;
	for (int i = 0; needles && needles[i]; i++)
		ok = th_check(strstr(last_error_message, needles[i]) != NULL,
			      "the error message lacks '%s': %s", needles[i], last_error_message) &&
		     ok;
	return ok;
}

struct th_client *
th_client_connect(struct th_server *server)
{
	static bool log_handler_set;
	if (!log_handler_set) {
		wl_log_set_handler_client(client_log_handler);
		log_handler_set = true;
	}
	last_error_message[0] = '\0';
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", server->runtime_dir, server->socket);
	struct th_client *client = calloc(1, sizeof(*client));
	if (!client)
		return NULL;
	client->display = wl_display_connect(path);
	if (!th_check(client->display, "cannot connect to %s", path)) {
		free(client);
		return NULL;
	}
	client->registry = wl_display_get_registry(client->display);
	wl_registry_add_listener(client->registry, &registry_listener, client);
	/* Globals, then their initial events. */
	if (!th_roundtrip(client) || !th_roundtrip(client)) {
		th_check(false, "initial roundtrips failed");
		th_client_destroy(client);
		return NULL;
	}
	return client;
}

void
th_client_destroy(struct th_client *client)
{
	if (!client)
		return;
	/* Disconnecting destroys every object server-side; the proxies are ours to free. */
	for (int i = 0; i < client->n_outputs; i++)
		if (client->outputs[i].output)
			wl_output_destroy(client->outputs[i].output);
	void *proxies[] = {
		client->compositor,   client->subcompositor,  client->shm,
		client->wm_base,      client->presentation,   client->viewporter,
		client->single_pixel, client->seat,	      client->capture,
		client->dmabuf,	      client->explicit_sync,  client->syncobj,
		client->decoration,   client->xdg_output,     client->data_device_manager,
		client->fifo_manager, client->commit_timing,  client->screencopy,
		client->tearing,      client->output_sources, client->image_copy,
		client->colour_repr,  client->registry};
	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		if (proxies[i])
			wl_proxy_destroy(proxies[i]);
	wl_display_disconnect(client->display);
	free(client);
}

bool
th_expect_protocol_error(struct th_client *client, const struct wl_interface *interface,
			 uint32_t code)
{
	/* Some errors only show when the compositor next repaints: wait for up to two seconds. */
	int64_t deadline = th_now_ns() + 2000000000LL;
	while (wl_display_roundtrip(client->display) >= 0 && th_now_ns() < deadline) {
		bool never = false;
		th_dispatch_until(client, &never, 20);
	}
	int err = wl_display_get_error(client->display);
	if (interface == &wl_display_interface) {
		/* libwayland turns wl_display's own errors into errno values, not EPROTO. */
		int want_err = code == WL_DISPLAY_ERROR_NO_MEMORY	 ? ENOMEM
			       : code == WL_DISPLAY_ERROR_IMPLEMENTATION ? EPROTO
									 : EINVAL;
		return th_check(err == want_err,
				"expected wl_display error %u (errno %d), got %d (%s)", code,
				want_err, err, strerror(err)) &&
		       th_check(th_protocol_error_message()[0], "no message came with it");
	}
	if (!th_check(err == EPROTO, "expected a protocol error, connection error is %d (%s)", err,
		      strerror(err)))
		return false;
	const struct wl_interface *got_interface = NULL;
	uint32_t id = 0;
	uint32_t got = wl_display_get_protocol_error(client->display, &got_interface, &id);
	/* An error on an object the client already destroyed arrives without an interface. */
	const char *want = interface ? interface->name : "(destroyed object)";
	const char *have = got_interface ? got_interface->name : "(destroyed object)";
	return th_check(strcmp(want, have) == 0 && got == code,
			"expected %s error %u, got %s@%u error %u", want, code, have, id, got);
}

/* ---- buffers ---- */

static void
buffer_handle_release(void *data, struct wl_buffer *wl_buffer)
{
	((struct th_buffer *)data)->busy = false;
}

static const struct wl_buffer_listener buffer_listener = {.release = buffer_handle_release};

struct th_buffer *
th_shm_buffer_create(struct th_client *client, int32_t width, int32_t height, uint32_t shm_format)
{
	struct th_buffer *buffer = calloc(1, sizeof(*buffer));
	if (!buffer)
		return NULL;
	buffer->width = width;
	buffer->height = height;
	buffer->stride = width * 4;
	buffer->format = shm_format;
	buffer->size = (size_t)buffer->stride * (size_t)height;
	int fd = anon_file_create((off_t)buffer->size);
	if (fd < 0) {
		free(buffer);
		return NULL;
	}
	buffer->data = mmap(NULL, buffer->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct wl_shm_pool *pool = wl_shm_create_pool(client->shm, fd, (int32_t)buffer->size);
	buffer->buffer =
		wl_shm_pool_create_buffer(pool, 0, width, height, buffer->stride, shm_format);
	wl_shm_pool_destroy(pool);
	close(fd);
	wl_buffer_add_listener(buffer->buffer, &buffer_listener, buffer);
	return buffer;
}

void
th_buffer_destroy(struct th_buffer *buffer)
{
	if (!buffer)
		return;
	wl_buffer_destroy(buffer->buffer);
	munmap(buffer->data, buffer->size);
	free(buffer);
}

void
th_buffer_fill(struct th_buffer *buffer, int32_t x, int32_t y, int32_t w, int32_t h, uint32_t pixel)
{
	for (int32_t row = y; row < y + h && row < buffer->height; row++) {
		uint32_t *p = (uint32_t *)((uint8_t *)buffer->data + (size_t)row * buffer->stride);
		for (int32_t col = x; col < x + w && col < buffer->width; col++)
			p[col] = pixel;
	}
}

uint32_t
th_pattern_pixel(uint32_t seed, int32_t x, int32_t y)
{
	uint32_t v = seed ^ ((uint32_t)x * 2654435761u) ^ ((uint32_t)y * 40503u);
	v ^= v >> 13;
	v *= 0x5bd1e995u;
	v ^= v >> 15;
	return 0xff000000u | (v & 0xffffff);
}

void
th_buffer_pattern(struct th_buffer *buffer, uint32_t seed)
{
	for (int32_t y = 0; y < buffer->height; y++) {
		uint32_t *p = (uint32_t *)((uint8_t *)buffer->data + (size_t)y * buffer->stride);
		for (int32_t x = 0; x < buffer->width; x++)
			p[x] = th_pattern_pixel(seed, x, y);
	}
}

/* ---- windows ---- */

static void
xdg_surface_handle_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct th_window *window = data;
	window->last_serial = serial;
	window->configured = true;
	window->configure_count++;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_handle_configure,
};

static void
toplevel_handle_configure(void *data, struct xdg_toplevel *toplevel, int32_t width, int32_t height,
			  struct wl_array *states)
{
	struct th_window *window = data;
	window->width = width;
	window->height = height;
	window->activated = window->fullscreen = false;
	uint32_t *state;
	wl_array_for_each (state, states) {
		window->activated |= *state == XDG_TOPLEVEL_STATE_ACTIVATED;
		window->fullscreen |= *state == XDG_TOPLEVEL_STATE_FULLSCREEN;
	}
}

static void
toplevel_handle_close(void *data, struct xdg_toplevel *toplevel)
{
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_handle_configure,
	.close = toplevel_handle_close,
};

bool
th_dispatch_until(struct th_client *client, const bool *flag, int timeout_ms)
{
	int64_t deadline = th_now_ns() + (int64_t)timeout_ms * 1000000;
	while (!*flag) {
		if (wl_display_flush(client->display) < 0 && errno != EAGAIN)
			return false;
		int64_t left = (deadline - th_now_ns()) / 1000000;
		if (left <= 0)
			return false;
		struct pollfd pfd = {.fd = wl_display_get_fd(client->display), .events = POLLIN};
		if (wl_display_prepare_read(client->display) != 0) {
			if (wl_display_dispatch_pending(client->display) < 0)
				return false;
			continue;
		}
		if (poll(&pfd, 1, (int)left) <= 0) {
			wl_display_cancel_read(client->display);
			continue;
		}
		if (wl_display_read_events(client->display) < 0 ||
		    wl_display_dispatch_pending(client->display) < 0)
			return false;
	}
	return true;
}

bool
th_window_wait_configure(struct th_window *window)
{
	window->configured = false;
	if (!th_dispatch_until(window->client, &window->configured, 10000))
		return false;
	xdg_surface_ack_configure(window->xdg_surface, window->last_serial);
	return true;
}

struct th_window *
th_window_create(struct th_client *client)
{
	struct th_window *window = calloc(1, sizeof(*window));
	if (!window)
		return NULL;
	window->client = client;
	window->surface = wl_compositor_create_surface(client->compositor);
	window->xdg_surface = xdg_wm_base_get_xdg_surface(client->wm_base, window->surface);
	xdg_surface_add_listener(window->xdg_surface, &xdg_surface_listener, window);
	window->toplevel = xdg_surface_get_toplevel(window->xdg_surface);
	xdg_toplevel_add_listener(window->toplevel, &toplevel_listener, window);
	xdg_toplevel_set_app_id(window->toplevel, "sluice-test");
	wl_surface_commit(window->surface);
	if (!th_check(th_window_wait_configure(window), "no initial configure")) {
		th_window_destroy(window);
		return NULL;
	}
	return window;
}

void
th_window_destroy(struct th_window *window)
{
	if (!window)
		return;
	xdg_toplevel_destroy(window->toplevel);
	xdg_surface_destroy(window->xdg_surface);
	wl_surface_destroy(window->surface);
	free(window);
}

/* ---- presentation ---- */

struct feedback_ctx {
	struct th_presented *result;
	struct wp_presentation_feedback *feedback;
};

static void
feedback_handle_sync_output(void *data, struct wp_presentation_feedback *feedback,
			    struct wl_output *output)
{
	((struct feedback_ctx *)data)->result->sync_output = output;
}

static void
feedback_handle_presented(void *data, struct wp_presentation_feedback *feedback, uint32_t tv_sec_hi,
			  uint32_t tv_sec_lo, uint32_t tv_nsec, uint32_t refresh, uint32_t seq_hi,
			  uint32_t seq_lo, uint32_t flags)
{
	struct feedback_ctx *ctx = data;
	struct th_presented *r = ctx->result;
	r->time_ns = (int64_t)(((uint64_t)tv_sec_hi << 32) | tv_sec_lo) * 1000000000 + tv_nsec;
	r->refresh_ns = refresh;
	r->seq = ((uint64_t)seq_hi << 32) | seq_lo;
	r->flags = flags;
	r->presented = true;
	r->done = true;
	wp_presentation_feedback_destroy(feedback);
	free(ctx);
}

static void
feedback_handle_discarded(void *data, struct wp_presentation_feedback *feedback)
{
	struct feedback_ctx *ctx = data;
	ctx->result->discarded = true;
	ctx->result->done = true;
	wp_presentation_feedback_destroy(feedback);
	free(ctx);
}

static const struct wp_presentation_feedback_listener feedback_listener = {
	.sync_output = feedback_handle_sync_output,
	.presented = feedback_handle_presented,
	.discarded = feedback_handle_discarded,
};

struct wp_presentation_feedback *
th_feedback_request(struct th_client *client, struct wl_surface *surface,
		    struct th_presented *result)
{
	*result = (struct th_presented){0};
	struct feedback_ctx *ctx = calloc(1, sizeof(*ctx));
	ctx->result = result;
	ctx->feedback = wp_presentation_feedback(client->presentation, surface);
	wp_presentation_feedback_add_listener(ctx->feedback, &feedback_listener, ctx);
	return ctx->feedback;
}

bool
th_commit_and_wait(struct th_client *client, struct wl_surface *surface,
		   struct th_presented *result)
{
	th_feedback_request(client, surface, result);
	wl_surface_commit(surface);
	return th_dispatch_until(client, &result->done, 10000) && result->presented;
}

struct th_buffer *
th_show_pattern(struct th_client *client, struct th_window *window, uint32_t seed)
{
	struct th_buffer *buffer = th_shm_buffer_create(client, window->width, window->height, 1);
	if (!buffer)
		return NULL;
	th_buffer_pattern(buffer, seed);
	wl_surface_attach(window->surface, buffer->buffer, 0, 0);
	wl_surface_damage_buffer(window->surface, 0, 0, window->width, window->height);
	struct th_presented p;
	if (!th_commit_and_wait(client, window->surface, &p)) {
		th_buffer_destroy(buffer);
		return NULL;
	}
	return buffer;
}

/* ---- zwlr_screencopy_manager_v1 ---- */

static void
screencopy_handle_buffer(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t format,
			 uint32_t width, uint32_t height, uint32_t stride)
{
	struct th_screencopy *c = data;
	c->buffer = true;
	c->format = format;
	c->width = width;
	c->height = height;
	c->stride = stride;
}

static void
screencopy_handle_flags(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t flags)
{
	((struct th_screencopy *)data)->flags = true;
}

static void
screencopy_handle_ready(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t sec_hi,
			uint32_t sec_lo, uint32_t nsec)
{
	struct th_screencopy *c = data;
	c->ready = true;
	c->time_ns = (int64_t)(((uint64_t)sec_hi << 32) | sec_lo) * 1000000000 + nsec;
}

static void
screencopy_handle_failed(void *data, struct zwlr_screencopy_frame_v1 *f)
{
	((struct th_screencopy *)data)->failed = true;
}

static void
screencopy_handle_damage(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t x, uint32_t y,
			 uint32_t w, uint32_t h)
{
	struct th_screencopy *c = data;
	if (c->n_damage < 64)
		c->damage[c->n_damage++] = (struct rect){x, y, w, h};
}

static void
screencopy_handle_linux_dmabuf(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t format,
			       uint32_t width, uint32_t height)
{
	struct th_screencopy *c = data;
	c->linux_dmabuf = true;
	c->dmabuf_format = format;
}

static void
screencopy_handle_buffer_done(void *data, struct zwlr_screencopy_frame_v1 *f)
{
	((struct th_screencopy *)data)->buffer_done = true;
}

static const struct zwlr_screencopy_frame_v1_listener screencopy_frame_listener = {
	.buffer = screencopy_handle_buffer,
	.flags = screencopy_handle_flags,
	.ready = screencopy_handle_ready,
	.failed = screencopy_handle_failed,
	.damage = screencopy_handle_damage,
	.linux_dmabuf = screencopy_handle_linux_dmabuf,
	.buffer_done = screencopy_handle_buffer_done,
};

/* Dispatches until *flag, copy->failed or timeout_ms passes. */
static void
screencopy_wait(struct th_client *client, const bool *flag, struct th_screencopy *copy,
		int timeout_ms)
{
	for (int64_t until = th_now_ns() + (int64_t)timeout_ms * 1000000;
	     !*flag && !copy->failed && th_now_ns() < until;)
		if (!th_dispatch_until(client, flag, 20) && !th_roundtrip(client))
			break;
}

struct zwlr_screencopy_frame_v1 *
th_screencopy_start(struct th_client *client, const int32_t *region, struct th_screencopy *copy)
{
	*copy = (struct th_screencopy){0};
	struct wl_output *output = client->outputs[0].output;
	struct zwlr_screencopy_frame_v1 *frame =
		region ? zwlr_screencopy_manager_v1_capture_output_region(
				 client->screencopy, 0, output, region[0], region[1], region[2],
				 region[3])
		       : zwlr_screencopy_manager_v1_capture_output(client->screencopy, 0, output);
	zwlr_screencopy_frame_v1_add_listener(frame, &screencopy_frame_listener, copy);
	screencopy_wait(client,
			client->screencopy_version >= 3 ? &copy->buffer_done : &copy->buffer, copy,
			3000);
	return frame;
}

bool
th_screencopy_copy(struct th_client *client, struct zwlr_screencopy_frame_v1 *frame,
		   struct wl_buffer *buffer, bool with_damage, int timeout_ms,
		   struct th_screencopy *copy)
{
	if (with_damage)
		zwlr_screencopy_frame_v1_copy_with_damage(frame, buffer);
	else
		zwlr_screencopy_frame_v1_copy(frame, buffer);
	screencopy_wait(client, &copy->ready, copy, timeout_ms);
	return copy->ready;
}

/* ---- ext_image_copy_capture_manager_v1 ---- */

static void
image_session_handle_buffer_size(void *data, struct ext_image_copy_capture_session_v1 *s,
				 uint32_t width, uint32_t height)
{
	struct th_image_session *session = data;
	session->width = width;
	session->height = height;
}

static void
image_session_handle_shm_format(void *data, struct ext_image_copy_capture_session_v1 *s,
				uint32_t format)
{
	struct th_image_session *session = data;
	if (session->n_shm_formats < 8)
		session->shm_formats[session->n_shm_formats++] = format;
}

static void
image_session_handle_dmabuf_device(void *data, struct ext_image_copy_capture_session_v1 *s,
				   struct wl_array *device)
{
	struct th_image_session *session = data;
	if (device->size == sizeof(dev_t)) {
		session->has_device = true;
		memcpy(&session->device, device->data, sizeof(dev_t));
	}
}

static void
image_session_handle_dmabuf_format(void *data, struct ext_image_copy_capture_session_v1 *s,
				   uint32_t format, struct wl_array *modifiers)
{
	struct th_image_session *session = data;
	if (session->n_dmabuf_formats >= 8)
		return;
	int i = session->n_dmabuf_formats++;
	session->dmabuf_formats[i].format = format;
	const uint64_t *m;
	wl_array_for_each (m, modifiers)
		if (session->dmabuf_formats[i].n_modifiers < 8)
			session->dmabuf_formats[i]
				.modifiers[session->dmabuf_formats[i].n_modifiers++] = *m;
}

static void
image_session_handle_done(void *data, struct ext_image_copy_capture_session_v1 *s)
{
	struct th_image_session *session = data;
	session->done = true;
	session->n_done++;
}

static void
image_session_handle_stopped(void *data, struct ext_image_copy_capture_session_v1 *s)
{
	((struct th_image_session *)data)->stopped = true;
}

static const struct ext_image_copy_capture_session_v1_listener image_session_listener = {
	.buffer_size = image_session_handle_buffer_size,
	.shm_format = image_session_handle_shm_format,
	.dmabuf_device = image_session_handle_dmabuf_device,
	.dmabuf_format = image_session_handle_dmabuf_format,
	.done = image_session_handle_done,
	.stopped = image_session_handle_stopped,
};

/* Dispatches until *flag, *stop or timeout_ms passes. */
static void
wait_either(struct th_client *client, const bool *flag, const bool *stop, int timeout_ms)
{
	for (int64_t until = th_now_ns() + (int64_t)timeout_ms * 1000000;
	     !*flag && !*stop && th_now_ns() < until;)
		if (!th_dispatch_until(client, flag, 20) && !th_roundtrip(client))
			break;
}

bool
th_image_session_open(struct th_client *client, int output, uint32_t options,
		      struct th_image_session *session)
{
	*session = (struct th_image_session){0};
	if (!client->output_sources || !client->image_copy)
		return false;
	session->source = ext_output_image_capture_source_manager_v1_create_source(
		client->output_sources, client->outputs[output].output);
	session->session = ext_image_copy_capture_manager_v1_create_session(
		client->image_copy, session->source, options);
	ext_image_copy_capture_session_v1_add_listener(session->session, &image_session_listener,
						       session);
	wait_either(client, &session->done, &session->stopped, 3000);
	return session->done;
}

void
th_image_session_listen(struct ext_image_copy_capture_session_v1 *proxy,
			struct th_image_session *session)
{
	*session = (struct th_image_session){.session = proxy};
	ext_image_copy_capture_session_v1_add_listener(proxy, &image_session_listener, session);
}

void
th_image_session_close(struct th_image_session *session)
{
	if (session->session)
		ext_image_copy_capture_session_v1_destroy(session->session);
	if (session->source)
		ext_image_capture_source_v1_destroy(session->source);
	*session = (struct th_image_session){0};
}

static void
image_frame_handle_transform(void *data, struct ext_image_copy_capture_frame_v1 *f,
			     uint32_t transform)
{
	struct th_image_frame *frame = data;
	frame->transform_sent = true;
	frame->transform = transform;
}

static void
image_frame_handle_damage(void *data, struct ext_image_copy_capture_frame_v1 *f, int32_t x,
			  int32_t y, int32_t w, int32_t h)
{
	struct th_image_frame *frame = data;
	if (frame->n_damage < 64)
		frame->damage[frame->n_damage++] =
			(struct rect){(uint32_t)x, (uint32_t)y, (uint32_t)w, (uint32_t)h};
}

static void
image_frame_handle_presentation_time(void *data, struct ext_image_copy_capture_frame_v1 *f,
				     uint32_t sec_hi, uint32_t sec_lo, uint32_t nsec)
{
	((struct th_image_frame *)data)->time_ns =
		(int64_t)(((uint64_t)sec_hi << 32) | sec_lo) * 1000000000 + nsec;
}

static void
image_frame_handle_ready(void *data, struct ext_image_copy_capture_frame_v1 *f)
{
	((struct th_image_frame *)data)->ready = true;
}

static void
image_frame_handle_failed(void *data, struct ext_image_copy_capture_frame_v1 *f, uint32_t reason)
{
	struct th_image_frame *frame = data;
	frame->failed = true;
	frame->reason = reason;
}

static const struct ext_image_copy_capture_frame_v1_listener image_frame_listener = {
	.transform = image_frame_handle_transform,
	.damage = image_frame_handle_damage,
	.presentation_time = image_frame_handle_presentation_time,
	.ready = image_frame_handle_ready,
	.failed = image_frame_handle_failed,
};

bool
th_image_session_capture(struct th_client *client, struct th_image_session *session,
			 struct wl_buffer *buffer, int timeout_ms, struct th_image_frame *frame)
{
	*frame = (struct th_image_frame){0};
	struct ext_image_copy_capture_frame_v1 *f =
		ext_image_copy_capture_session_v1_create_frame(session->session);
	ext_image_copy_capture_frame_v1_add_listener(f, &image_frame_listener, frame);
	if (buffer) {
		ext_image_copy_capture_frame_v1_attach_buffer(f, buffer);
		ext_image_copy_capture_frame_v1_damage_buffer(f, 0, 0, INT32_MAX, INT32_MAX);
	}
	ext_image_copy_capture_frame_v1_capture(f);
	wait_either(client, &frame->ready, &frame->failed, timeout_ms);
	ext_image_copy_capture_frame_v1_destroy(f);
	return frame->ready;
}

/* ---- capture ---- */

struct capture_ctx {
	struct th_capture *capture;
	int32_t width, height, stride;
	uint32_t format;
	bool have_layout, ready, failed;
};

static void
capture_handle_buffer(void *data, struct sluice_capture_frame_v1 *frame, uint32_t format,
		      uint32_t width, uint32_t height, uint32_t stride)
{
	struct capture_ctx *ctx = data;
	ctx->format = format;
	ctx->width = (int32_t)width;
	ctx->height = (int32_t)height;
	ctx->stride = (int32_t)stride;
	ctx->have_layout = true;
}

static void
capture_handle_ready(void *data, struct sluice_capture_frame_v1 *frame, uint32_t sec_hi,
		     uint32_t sec_lo, uint32_t nsec, uint32_t seq_hi, uint32_t seq_lo)
{
	struct capture_ctx *ctx = data;
	ctx->capture->time_ns = (int64_t)(((uint64_t)sec_hi << 32) | sec_lo) * 1000000000 + nsec;
	ctx->capture->seq = ((uint64_t)seq_hi << 32) | seq_lo;
	ctx->ready = true;
}

static void
capture_handle_failed(void *data, struct sluice_capture_frame_v1 *frame, const char *reason)
{
	struct capture_ctx *ctx = data;
	th_note("capture failed: %s", reason);
	ctx->failed = true;
	ctx->ready = true;
}

static const struct sluice_capture_frame_v1_listener capture_listener = {
	.buffer = capture_handle_buffer,
	.ready = capture_handle_ready,
	.failed = capture_handle_failed,
};

static bool
capture_output(struct th_client *client, int output, struct th_capture *capture, bool must)
{
	*capture = (struct th_capture){0};
	if (!th_check(client->capture, "no sluice_capture_manager_v1") ||
	    !th_check(output < client->n_outputs && client->outputs[output].output, "no output %d",
		      output))
		return false;
	struct capture_ctx ctx = {.capture = capture};
	struct sluice_capture_frame_v1 *frame = sluice_capture_manager_v1_capture_output(
		client->capture, client->outputs[output].output);
	sluice_capture_frame_v1_add_listener(frame, &capture_listener, &ctx);
	if (!th_dispatch_until(client, &ctx.have_layout, 10000)) {
		sluice_capture_frame_v1_destroy(frame);
		return th_check(false, "no capture layout");
	}
	struct th_buffer *buffer = th_shm_buffer_create(client, ctx.width, ctx.height, ctx.format);
	sluice_capture_frame_v1_copy(frame, buffer->buffer);
	bool ok = th_dispatch_until(client, &ctx.ready, 10000) && !ctx.failed;
	if (ok) {
		capture->width = ctx.width;
		capture->height = ctx.height;
		capture->stride = ctx.width * 4;
		capture->pixels = malloc(buffer->size);
		memcpy(capture->pixels, buffer->data, buffer->size);
	}
	sluice_capture_frame_v1_destroy(frame);
	th_buffer_destroy(buffer);
	return must ? th_check(ok, "capture did not complete") : ok;
}

bool
th_capture_output(struct th_client *client, int output, struct th_capture *capture)
{
	return capture_output(client, output, capture, true);
}

bool
th_capture_output_try(struct th_client *client, int output, struct th_capture *capture)
{
	return capture_output(client, output, capture, false);
}

void
th_capture_finish(struct th_capture *capture)
{
	free(capture->pixels);
	capture->pixels = NULL;
}

bool
th_rgb_close(uint32_t got, uint32_t want, int tolerance)
{
	for (int shift = 0; shift < 24; shift += 8) {
		int a = (int)((got >> shift) & 0xff), b = (int)((want >> shift) & 0xff);
		if (abs(a - b) > tolerance)
			return false;
	}
	return true;
}

uint32_t
th_capture_pixel(const struct th_capture *capture, int32_t x, int32_t y)
{
	if (x < 0 || y < 0 || x >= capture->width || y >= capture->height)
		return 0xdeadbeef;
	return capture->pixels[(size_t)y * (size_t)capture->width + (size_t)x] | 0xff000000u;
}

void
th_capture_save(const struct th_capture *capture, const char *name)
{
	const char *dir = getenv("TH_ARTIFACT_DIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.png", dir ? dir : ".", name);
	if (png_write_xrgb(path, capture->pixels, (uint32_t)capture->width,
			   (uint32_t)capture->height, (uint32_t)capture->stride, false))
		th_note("capture saved to %s", path);
}

/* ---- peer processes ---- */

struct th_process {
	pid_t pid;
	int out;
	int64_t start_ns;
};

struct th_process *
th_spawn(struct th_server *server, const char *const *argv, const char *const *env)
{
	int out[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return NULL;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		if (server) {
			setenv("XDG_RUNTIME_DIR", server->runtime_dir, 1);
			setenv("WAYLAND_DISPLAY", server->socket, 1);
		}
		for (int i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	struct th_process *process = calloc(1, sizeof(*process));
	process->pid = pid;
	process->out = out[0];
	process->start_ns = th_now_ns();
	/* Read as we go so that a chatty peer never blocks on a full pipe. */
	fcntl(process->out, F_SETFL, O_NONBLOCK);
	return process;
}

void
th_process_finish(struct th_process *process, int time_ms, struct th_process_result *result)
{
	*result = (struct th_process_result){.status = -1};
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	int64_t deadline = process->start_ns + (int64_t)time_ms * 1000000;
	bool terminated = false, eof = false;
	while (!eof) {
		int64_t left = (deadline - th_now_ns()) / 1000000;
		if (left <= 0) {
			if (terminated) {
				kill(process->pid, SIGKILL);
				break;
			}
			kill(process->pid, SIGTERM);
			terminated = result->timed_out = true;
			deadline = th_now_ns() + 5000000000LL;
			continue;
		}
		struct pollfd pfd = {.fd = process->out, .events = POLLIN};
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		for (;;) {
			if (len + 4096 > cap) {
				cap *= 2;
				buf = realloc(buf, cap);
			}
			ssize_t n = read(process->out, buf + len, cap - len - 1);
			if (n > 0) {
				len += (size_t)n;
				continue;
			}
			eof = n == 0;
			break;
		}
	}
	close(process->out);
	buf[len] = '\0';
	int status;
	waitpid(process->pid, &status, 0);
	result->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	result->output = buf;
	free(process);
}

bool
th_run_client(struct th_server *server, const char *const *argv, const char *const *env,
	      int timeout_ms, struct th_process_result *result)
{
	struct th_process *process = th_spawn(server, argv, env);
	if (!process)
		return false;
	th_process_finish(process, timeout_ms, result);
	return true;
}

void
th_process_result_finish(struct th_process_result *result)
{
	free(result->output);
	result->output = NULL;
}

/* weston's major version from `weston --version` ("weston 14.0.2"), 0 if it says nothing. */
static int
weston_major(void)
{
	FILE *f = popen("weston --version 2>/dev/null", "r");
	int major = 0;
	if (f) {
		if (fscanf(f, "weston %d", &major) != 1)
			major = 0;
		pclose(f);
	}
	return major;
}

bool
th_weston_start(const char *drm_device, struct th_server *server)
{
	/* weston 12 dropped --tty (libseat picks the seat's VT). */
	int major = weston_major();
	*server = (struct th_server){0};
	snprintf(server->runtime_dir, sizeof(server->runtime_dir), "/tmp/th-weston-XXXXXX");
	if (!mkdtemp(server->runtime_dir))
		return false;
	snprintf(server->socket, sizeof(server->socket), "th-weston");
	snprintf(server->log_path, sizeof(server->log_path), "%s/weston.log", server->runtime_dir);
	char device[64], log_arg[256], socket_arg[96];
	const char *slash = strrchr(drm_device, '/');
	snprintf(device, sizeof(device), "--drm-device=%s", slash ? slash + 1 : drm_device);
	snprintf(log_arg, sizeof(log_arg), "--log=%s", server->log_path);
	snprintf(socket_arg, sizeof(socket_arg), "--socket=%s", server->socket);
	pid_t pid = fork();
	if (pid == 0) {
		setenv("XDG_RUNTIME_DIR", server->runtime_dir, 1);
		const char *argv[] = {"weston",
				      "--backend=drm-backend.so",
				      device,
				      "--shell=desktop-shell.so",
				      "--continue-without-input",
				      "--idle-time=0",
				      socket_arg,
				      log_arg,
				      major < 12 ? "--tty=2" : NULL,
				      NULL};
		execvp("weston", (char *const *)argv);
		_exit(127);
	}
	server->pid = pid;
	/* Ready once its socket exists (weston creates it after the backend is up). */
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", server->runtime_dir, server->socket);
	for (int i = 0; i < 1200; i++) {
		struct stat st;
		if (stat(path, &st) == 0)
			return true;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return false;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return false;
}

void
th_weston_stop(struct th_server *server)
{
	int status = 0;
	if (waitpid(server->pid, &status, WNOHANG) == server->pid) {
		if (WIFSIGNALED(status))
			fprintf(stderr, "weston died of signal %d (%s)\n", WTERMSIG(status),
				strsignal(WTERMSIG(status)));
		else
			fprintf(stderr, "weston exited with %d\n", WEXITSTATUS(status));
	} else {
		kill(server->pid, SIGTERM);
		for (int i = 0; i < 200 && waitpid(server->pid, NULL, WNOHANG) == 0; i++)
			usleep(50000);
		kill(server->pid, SIGKILL);
		waitpid(server->pid, NULL, 0);
	}
	char path[256];
	snprintf(path, sizeof(path), "%s/%s.lock", server->runtime_dir, server->socket);
	unlink(path);
	unlink(server->log_path);
	rmdir(server->runtime_dir);
}

void
th_path_beside_self(const char *name, char *path, size_t size)
{
	char self[512];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	char *slash = strrchr(self, '/');
	snprintf(path, size, "%.*s/%s", slash ? (int)(slash - self) : 1, slash ? self : ".", name);
}

bool
th_find_drm_device(const char *driver, char *path, size_t size)
{
	for (int i = 0; i < 16; i++) {
		snprintf(path, size, "/dev/dri/card%d", i);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		drmVersionPtr version = drmGetVersion(fd);
		bool match = version && strcmp(version->name, driver) == 0;
		drmFreeVersion(version);
		close(fd);
		if (match)
			return true;
	}
	return false;
}

/* ---- dma-bufs ---- */

/* vgem's uapi (include/uapi/drm/vgem_drm.h), which libdrm does not install. */
struct th_vgem_fence_attach {
	uint32_t handle, flags, out_fence, pad;
};

const char *
th_dmabuf_source_name(enum th_dmabuf_source source)
{
	switch (source) {
	case TH_DMABUF_VGEM:
		return "vgem";
	case TH_DMABUF_UDMABUF:
		return "udmabuf";
	case TH_DMABUF_HEAP:
		return "heap";
	case TH_DMABUF_VKMS:
		return "vkms";
	}
	return "?";
}

/*
 * A dumb buffer on a DRM device, exported with PRIME. On a primary node that another process is
 * master of, exporting needs an authenticated file: root's files are.
 */
static bool
dmabuf_alloc_dumb(const char *driver, size_t size, struct th_dmabuf *out)
{
	char path[64];
	if (!th_find_drm_device(driver, path, sizeof(path))) {
		th_note("no %s device", driver);
		return false;
	}
	out->vgem_fd = open(path, O_RDWR | O_CLOEXEC);
	if (out->vgem_fd < 0)
		return false;
	/* A 4-byte-per-pixel dumb buffer as wide as a page: rows * 4096 >= size. */
	struct drm_mode_create_dumb create = {
		.width = 1024, .height = (uint32_t)((size + 4095) / 4096), .bpp = 32};
	if (drmIoctl(out->vgem_fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0) {
		th_note("%s cannot create a dumb buffer: %s", driver, strerror(errno));
		return false;
	}
	out->vgem_handle = create.handle;
	if (drmPrimeHandleToFD(out->vgem_fd, create.handle, DRM_CLOEXEC | DRM_RDWR, &out->fd) < 0) {
		th_note("%s cannot export: %s", driver, strerror(errno));
		return false;
	}
	out->size = (size_t)create.size;
	return true;
}

static bool
dmabuf_alloc_udmabuf(size_t size, struct th_dmabuf *out)
{
	size = (size + 4095) & ~(size_t)4095;
	int memfd = memfd_create("th-udmabuf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	bool ok = memfd >= 0 && dev >= 0 && ftruncate(memfd, (off_t)size) == 0 &&
		  fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) == 0;
	if (ok) {
		struct udmabuf_create create = {
			.memfd = (uint32_t)memfd, .flags = UDMABUF_FLAGS_CLOEXEC, .size = size};
		out->fd = ioctl(dev, UDMABUF_CREATE, &create);
		ok = out->fd >= 0;
	}
	if (!ok)
		th_note("udmabuf: %s", strerror(errno));
	if (memfd >= 0)
		close(memfd);
	if (dev >= 0)
		close(dev);
	out->size = size;
	return ok;
}

static bool
dmabuf_alloc_heap(size_t size, struct th_dmabuf *out)
{
	size = (size + 4095) & ~(size_t)4095;
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	if (heap < 0) {
		th_note("no system dma-buf heap: %s", strerror(errno));
		return false;
	}
	struct dma_heap_allocation_data alloc = {.len = size, .fd_flags = O_RDWR | O_CLOEXEC};
	bool ok = ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &alloc) == 0;
	if (!ok)
		th_note("dma-buf heap allocation: %s", strerror(errno));
	close(heap);
	out->fd = (int)alloc.fd;
	out->size = size;
	return ok;
}

bool
th_dmabuf_alloc(enum th_dmabuf_source source, size_t size, struct th_dmabuf *out)
{
	*out = (struct th_dmabuf){.fd = -1, .vgem_fd = -1};
	bool ok = false;
	switch (source) {
	case TH_DMABUF_VGEM:
		ok = dmabuf_alloc_dumb("vgem", size, out);
		break;
	case TH_DMABUF_VKMS:
		ok = dmabuf_alloc_dumb("vkms", size, out);
		break;
	case TH_DMABUF_UDMABUF:
		ok = dmabuf_alloc_udmabuf(size, out);
		break;
	case TH_DMABUF_HEAP:
		ok = dmabuf_alloc_heap(size, out);
		break;
	}
	if (ok) {
		out->map = mmap(NULL, out->size, PROT_READ | PROT_WRITE, MAP_SHARED, out->fd, 0);
		if (out->map == MAP_FAILED) {
			th_note("cannot map a %s dma-buf: %s", th_dmabuf_source_name(source),
				strerror(errno));
			out->map = NULL;
			ok = false;
		}
	}
	if (!ok)
		th_dmabuf_free(out);
	return ok;
}

void
th_dmabuf_free(struct th_dmabuf *dmabuf)
{
	if (dmabuf->map)
		munmap(dmabuf->map, dmabuf->size);
	dmabuf->map = NULL;
	fd_close(&dmabuf->fd);
	fd_close(&dmabuf->vgem_fd);
}

bool
th_dmabuf_add_write_fence(struct th_dmabuf *dmabuf, int sync_file)
{
	struct dma_buf_import_sync_file req = {.flags = DMA_BUF_SYNC_WRITE, .fd = sync_file};
	if (ioctl(dmabuf->fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &req) == 0)
		return true;
	th_note("DMA_BUF_IOCTL_IMPORT_SYNC_FILE: %s", strerror(errno));
	return false;
}

static void
dmabuf_sync(struct th_dmabuf *dmabuf, uint64_t flags)
{
	struct dma_buf_sync sync = {.flags = flags | DMA_BUF_SYNC_WRITE};
	while (ioctl(dmabuf->fd, DMA_BUF_IOCTL_SYNC, &sync) < 0 && errno == EINTR)
		;
}

void
th_dmabuf_begin_write(struct th_dmabuf *dmabuf)
{
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START);
}

void
th_dmabuf_end_write(struct th_dmabuf *dmabuf)
{
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END);
}

size_t
th_layout(uint32_t format, int32_t width, int32_t height, uint32_t offsets[4], uint32_t strides[4],
	  unsigned *n_planes)
{
	const struct format_info *info = format_info_from_drm(format);
	if (!info)
		return 0;
	size_t offset = 0;
	for (unsigned i = 0; i < info->planes; i++) {
		uint32_t sub_w = i == 0 ? 1 : info->hsub, sub_h = i == 0 ? 1 : info->vsub;
		uint32_t row = (((uint32_t)width + sub_w - 1) / sub_w) * info->cpp[i];
		strides[i] = (row + 63) & ~63u;
		offsets[i] = (uint32_t)offset;
		offset += (size_t)strides[i] * (((uint32_t)height + sub_h - 1) / sub_h);
	}
	*n_planes = info->planes;
	return offset;
}

static void
put16(uint8_t *p, unsigned v8)
{
	/* P010: 10 significant bits at the top of a little-endian 16-bit word. */
	uint16_t word = (uint16_t)((v8 << 2 | v8 >> 6) << 6);
	p[0] = (uint8_t)word;
	p[1] = (uint8_t)(word >> 8);
}

void
th_paint(uint32_t format, void *base, const uint32_t offsets[4], const uint32_t strides[4],
	 int32_t width, int32_t height, uint32_t (*colour)(int32_t x, int32_t y, void *data),
	 void *data)
{
	th_paint_encoded(format, NULL, base, offsets, strides, width, height, colour, data);
}

void
th_paint_encoded(uint32_t format, const struct yuv_encoding *encoding, void *base,
		 const uint32_t offsets[4], const uint32_t strides[4], int32_t width,
		 int32_t height, uint32_t (*colour)(int32_t x, int32_t y, void *data), void *data)
{
	uint8_t *planes[3] = {(uint8_t *)base + offsets[0], (uint8_t *)base + offsets[1],
			      (uint8_t *)base + offsets[2]};
	for (int32_t y = 0; y < height; y++) {
		for (int32_t x = 0; x < width; x++) {
			uint32_t c = colour(x, y, data);
			uint8_t r = (uint8_t)(c >> 16), g = (uint8_t)(c >> 8), b = (uint8_t)c;
			uint8_t Y, U, V;
			if (encoding)
				yuv_encode(*encoding, r, g, b, &Y, &U, &V);
			else
				yuv_from_rgb(r, g, b, &Y, &U, &V);
			uint8_t *row0 = planes[0] + (size_t)y * strides[0];
			/* Chroma comes from the top-left pixel of each subsampled block. */
			bool chroma = !(x & 1) && !(y & 1);
			switch (format) {
			case DRM_FORMAT_XRGB8888:
			case DRM_FORMAT_ARGB8888:
				((uint32_t *)row0)[x] =
					format == DRM_FORMAT_XRGB8888 ? (c | 0xff000000u) : c;
				break;
			case DRM_FORMAT_XBGR8888:
				((uint32_t *)row0)[x] =
					0xff000000u | (uint32_t)b << 16 | (uint32_t)g << 8 | r;
				break;
			case DRM_FORMAT_RGB565:
				((uint16_t *)row0)[x] =
					(uint16_t)((r >> 3) << 11 | (g >> 2) << 5 | (b >> 3));
				break;
			case DRM_FORMAT_YUYV:
				row0[x * 2] = Y;
				if (!(x & 1)) {
					row0[x * 2 + 1] = U;
					row0[x * 2 + 3] = V;
				}
				break;
			case DRM_FORMAT_UYVY:
				row0[x * 2 + 1] = Y;
				if (!(x & 1)) {
					row0[x * 2] = U;
					row0[x * 2 + 2] = V;
				}
				break;
			case DRM_FORMAT_NV12:
				row0[x] = Y;
				if (chroma) {
					uint8_t *uv = planes[1] + (size_t)(y / 2) * strides[1] + x;
					uv[0] = U;
					uv[1] = V;
				}
				break;
			case DRM_FORMAT_P010:
				put16(row0 + x * 2, Y);
				if (chroma) {
					uint8_t *uv =
						planes[1] + (size_t)(y / 2) * strides[1] + x * 2;
					put16(uv, U);
					put16(uv + 2, V);
				}
				break;
			case DRM_FORMAT_YUV420:
				row0[x] = Y;
				if (chroma) {
					planes[1][(size_t)(y / 2) * strides[1] + (size_t)x / 2] = U;
					planes[2][(size_t)(y / 2) * strides[2] + (size_t)x / 2] = V;
				}
				break;
			}
		}
	}
}

struct wl_buffer *
th_dmabuf_buffer_create(struct th_client *client, int fd, uint32_t format, int32_t width,
			int32_t height, unsigned n_planes, const uint32_t offsets[4],
			const uint32_t strides[4], uint64_t modifier)
{
	if (!client->dmabuf)
		return NULL;
	struct zwp_linux_buffer_params_v1 *params =
		zwp_linux_dmabuf_v1_create_params(client->dmabuf);
	for (unsigned i = 0; i < n_planes; i++)
		zwp_linux_buffer_params_v1_add(params, fd, i, offsets[i], strides[i],
					       (uint32_t)(modifier >> 32), (uint32_t)modifier);
	struct wl_buffer *buffer =
		zwp_linux_buffer_params_v1_create_immed(params, width, height, format, 0);
	zwp_linux_buffer_params_v1_destroy(params);
	return buffer;
}

/* ---- counters and resources ---- */

long long
th_stats_value(const char *path, const char *name)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[128], key[64];
	long long value = -1;
	snprintf(key, sizeof(key), "\"%s\":", name);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, key))
			value = strtoll(strstr(line, key) + strlen(key), NULL, 10);
	fclose(f);
	return value;
}

void
th_stats_path(const char *name, char *out, size_t size)
{
	const char *dir = getenv("TH_ARTIFACT_DIR");
	snprintf(out, size, "%s/%s.stats.json", dir ? dir : "/tmp", name);
	unlink(out);
}

static void
feedback_ignore(void *data, struct zwp_linux_dmabuf_feedback_v1 *f)
{
}

static void
feedback_ignore_table(void *data, struct zwp_linux_dmabuf_feedback_v1 *f, int32_t fd, uint32_t size)
{
	close(fd);
}

static void
feedback_ignore_array(void *data, struct zwp_linux_dmabuf_feedback_v1 *f, struct wl_array *a)
{
}

static void
feedback_ignore_flags(void *data, struct zwp_linux_dmabuf_feedback_v1 *f, uint32_t flags)
{
}

static const struct zwp_linux_dmabuf_feedback_v1_listener feedback_ignore_listener = {
	.done = feedback_ignore,
	.format_table = feedback_ignore_table,
	.main_device = feedback_ignore_array,
	.tranche_done = feedback_ignore,
	.tranche_target_device = feedback_ignore_array,
	.tranche_formats = feedback_ignore_array,
	.tranche_flags = feedback_ignore_flags,
};

struct zwp_linux_dmabuf_feedback_v1 *
th_dmabuf_feedback(struct th_client *client, struct wl_surface *surface)
{
	if (!client->dmabuf || client->dmabuf_version < 4)
		return NULL;
	struct zwp_linux_dmabuf_feedback_v1 *feedback =
		surface ? zwp_linux_dmabuf_v1_get_surface_feedback(client->dmabuf, surface)
			: zwp_linux_dmabuf_v1_get_default_feedback(client->dmabuf);
	zwp_linux_dmabuf_feedback_v1_add_listener(feedback, &feedback_ignore_listener, NULL);
	if (!th_roundtrip(client)) {
		zwp_linux_dmabuf_feedback_v1_destroy(feedback);
		return NULL;
	}
	return feedback;
}

void
th_strict_dir(const char *name, char *out, size_t size)
{
	const char *dir = getenv("TH_ARTIFACT_DIR");
	snprintf(out, size, "%s/strict-%s", dir ? dir : "/tmp", name);
	DIR *d = opendir(out);
	if (d) {
		struct dirent *entry;
		while ((entry = readdir(d))) {
			char path[1024];
			snprintf(path, sizeof(path), "%s/%s", out, entry->d_name);
			if (entry->d_name[0] != '.')
				unlink(path);
		}
		closedir(d);
	}
}

int
th_strict_reports(const char *dir, const char *client, char paths[][512], int max)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	size_t len = strlen(client);
	struct dirent *entry;
	while ((entry = readdir(d)) && n < max) {
		const char *name = entry->d_name;
		if (strncmp(name, client, len) == 0 && name[len] == '-' && strstr(name, ".json"))
			snprintf(paths[n++], 512, "%s/%s", dir, name);
	}
	closedir(d);
	return n;
}

char *
th_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	char buf[4096];
	size_t n;
	while (out && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, out);
	fclose(f);
	if (out)
		fclose(out);
	return text;
}

int
th_strict_kinds(const char *path, char *kinds, size_t size)
{
	char *text = th_read_file(path);
	if (!text)
		return -1;
	int n = 0;
	kinds[0] = '\0';
	for (const char *p = text; (p = strstr(p, "\"kind\": \"")); n++) {
		p += strlen("\"kind\": \"");
		size_t len = strcspn(p, "\"");
		size_t used = strlen(kinds);
		snprintf(kinds + used, size - used, "%s%.*s", used ? " " : "", (int)len, p);
	}
	free(text);
	return n;
}

void
th_strict_check_reports(const char *dir, const char *client, int n_expected, const char *want)
{
	char paths[8][512];
	int n = th_strict_reports(dir, client, paths, 8);
	if (n_expected < 0)
		th_check(n >= 1, "no strict report for %s in %s", client, dir);
	else
		th_check(n == n_expected, "%d strict reports for %s in %s, expected %d", n, client,
			 dir, n_expected);
	for (int i = 0; i < n; i++) {
		char kinds[256];
		int count = th_strict_kinds(paths[i], kinds, sizeof(kinds));
		th_note("%s: %s", paths[i], count ? kinds : "no findings");
		if (want)
			th_check(count == 1 && strcmp(kinds, want) == 0,
				 "%s: found '%s', want '%s'", client, kinds, want);
		else
			th_check(count == 0, "%s: a correct client got findings: %s", client,
				 kinds);
	}
}

const char *const *
th_client_lsan_env(void)
{
	static char lsan[512];
	static const char *env[2];
	const char *supp = getenv("TH_LSAN_SUPPRESSIONS");
	if (supp) {
		snprintf(lsan, sizeof(lsan), "LSAN_OPTIONS=suppressions=%s:print_suppressions=0",
			 supp);
		env[0] = lsan;
	}
	return env;
}

static long
status_kib(pid_t pid, const char *field)
{
	char path[64], line[128];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long kib = -1;
	size_t n = strlen(field);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':' &&
		    sscanf(line + n + 1, " %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

bool
th_maps_mesa_driver(pid_t pid, char *which, size_t size)
{
	static const char *const libs[] = {"libEGL_mesa", "_dri.so", "libgallium", "libLLVM"};
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	*which = '\0';
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(which, size, "%s unreadable", path);
		return true;
	}
	while (!*which && fgets(line, sizeof(line), f))
		for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]) && !*which; i++)
			if (strstr(line, libs[i])) {
				line[strcspn(line, "\n")] = '\0';
				const char *slash = strrchr(line, '/');
				snprintf(which, size, "%.200s", slash ? slash + 1 : line);
			}
	fclose(f);
	return *which != '\0';
}

long
th_rss_kib(pid_t pid)
{
	return status_kib(pid, "VmRSS");
}

int
th_reap(const pid_t *pids, int n)
{
	int alive = 0;
	for (int i = 0; i < n; i++) {
		alive += kill(pids[i], 0) == 0 && waitpid(pids[i], NULL, WNOHANG) == 0;
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	return alive;
}

long
th_peak_rss_kib(pid_t pid)
{
	return status_kib(pid, "VmHWM");
}

int
th_count_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *dir = opendir(path);
	if (!dir)
		return -1;
	int n = 0;
	struct dirent *entry;
	while ((entry = readdir(dir)))
		n += entry->d_name[0] != '.';
	closedir(dir);
	return n;
}

double
th_cpu_seconds(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command name, which is in parentheses and may contain spaces. */
	char *p = strrchr(buf, ')');
	unsigned long utime = 0, stime = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
			 &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

void
th_require_vkms(char *path, size_t size)
{
	if (th_find_drm_device("vkms", path, size))
		return;
	printf("Bail out! no vkms device: not in the test VM?\n");
	exit(1);
}

bool
th_painted_buffer_create(struct th_client *client, enum th_dmabuf_source source, uint32_t format,
			 int32_t width, int32_t height,
			 uint32_t (*colour)(int32_t x, int32_t y, void *data), void *data,
			 struct th_painted_buffer *out)
{
	return th_painted_buffer_create_encoded(client, source, format, NULL, width, height, colour,
						data, out);
}

bool
th_painted_buffer_create_encoded(struct th_client *client, enum th_dmabuf_source source,
				 uint32_t format, const struct yuv_encoding *encoding,
				 int32_t width, int32_t height,
				 uint32_t (*colour)(int32_t x, int32_t y, void *data), void *data,
				 struct th_painted_buffer *out)
{
	*out = (struct th_painted_buffer){.width = width, .height = height};
	uint32_t offsets[4], strides[4];
	unsigned n;
	size_t size = th_layout(format, width, height, offsets, strides, &n);
	if (!size || !th_dmabuf_alloc(source, size, &out->mem))
		return false;
	th_dmabuf_begin_write(&out->mem);
	th_paint_encoded(format, encoding, out->mem.map, offsets, strides, width, height, colour,
			 data);
	th_dmabuf_end_write(&out->mem);
	out->buffer = th_dmabuf_buffer_create(client, out->mem.fd, format, width, height, n,
					      offsets, strides, DRM_FORMAT_MOD_LINEAR);
	return out->buffer != NULL;
}

void
th_painted_buffer_destroy(struct th_painted_buffer *buffer)
{
	if (buffer->buffer)
		wl_buffer_destroy(buffer->buffer);
	buffer->buffer = NULL;
	th_dmabuf_free(&buffer->mem);
}

static uint32_t
pair_shade(int32_t x, int32_t y, void *data)
{
	return (uint32_t)(x ^ y) * 0x010101u + *(const uint32_t *)data;
}

bool
th_painted_pair_create(struct th_client *client, int32_t width, int32_t height,
		       struct th_painted_buffer pair[2])
{
	for (int i = 0; i < 2; i++) {
		uint32_t tint = (uint32_t)i * 0x400000u;
		if (!th_painted_buffer_create(client, TH_DMABUF_HEAP, DRM_FORMAT_XRGB8888, width,
					      height, pair_shade, &tint, &pair[i])) {
			if (i)
				th_painted_buffer_destroy(&pair[0]);
			return false;
		}
	}
	return true;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double
th_percentile(double *values, int n, double p)
{
	if (n <= 0)
		return 0;
	qsort(values, (size_t)n, sizeof(*values), compare_double);
	return values[(int)(p * (n - 1) + 0.5)];
}

bool
th_realtime_begin(void)
{
	struct sched_param param = {.sched_priority = 1};
	return sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &param) == 0;
}

void
th_realtime_end(void)
{
	struct sched_param normal = {0};
	sched_setscheduler(0, SCHED_OTHER, &normal);
}

int
th_crtc_active(int fd, uint32_t *crtc, uint32_t *prop_id)
{
	drmModeRes *res = drmModeGetResources(fd);
	int active = -1;
	if (res && res->count_crtcs > 0) {
		drmModeObjectProperties *props =
			drmModeObjectGetProperties(fd, res->crtcs[0], DRM_MODE_OBJECT_CRTC);
		for (uint32_t i = 0; props && i < props->count_props; i++) {
			drmModePropertyRes *prop = drmModeGetProperty(fd, props->props[i]);
			if (prop && strcmp(prop->name, "ACTIVE") == 0) {
				active = (int)props->prop_values[i];
				if (crtc)
					*crtc = res->crtcs[0];
				if (prop_id)
					*prop_id = prop->prop_id;
			}
			drmModeFreeProperty(prop);
		}
		drmModeFreeObjectProperties(props);
	}
	drmModeFreeResources(res);
	return active;
}

bool
th_wait_crtc_active(int fd, int want, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 100) {
		if (th_crtc_active(fd, NULL, NULL) == want)
			return true;
		usleep(100000);
	}
	return false;
}

bool
th_server_wait_log(struct th_server *server, const char *needle, int count, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 100) {
		if (th_server_log_count(server, needle) >= count)
			return true;
		usleep(100000);
	}
	return false;
}

int
th_lit_pixels(struct th_client *client, int output)
{
	struct th_capture cap;
	if (!th_capture_output(client, output, &cap))
		return -1;
	int lit = 0;
	for (int32_t y = 0; y < cap.height; y++)
		for (int32_t x = 0; x < cap.width; x++)
			lit += (th_capture_pixel(&cap, x, y) & 0xffffff) != 0;
	th_capture_finish(&cap);
	return lit;
}

uint32_t
th_output_pixel(struct th_client *client, int output, int32_t x, int32_t y)
{
	struct th_capture cap;
	if (!th_capture_output(client, output, &cap))
		return 0xdeadbeefu;
	uint32_t pixel = th_capture_pixel(&cap, x, y) & 0xffffff;
	th_capture_finish(&cap);
	return pixel;
}

/* ---- explicit-sync releases ---- */

static void
release_fenced(void *data, struct zwp_linux_buffer_release_v1 *release, int32_t fd)
{
	struct th_release *state = data;
	state->released = state->fenced = true;
	struct sync_file_info info = {0};
	state->fence_is_sync_file = ioctl(fd, SYNC_IOC_FILE_INFO, &info) == 0;
	state->fence_status = state->fence_is_sync_file ? info.status : -1;
	state->fence_was_pending = state->fence_is_sync_file && info.status == 0;
	close(fd);
	zwp_linux_buffer_release_v1_destroy(release);
}

static void
release_immediate(void *data, struct zwp_linux_buffer_release_v1 *release)
{
	((struct th_release *)data)->released = true;
	zwp_linux_buffer_release_v1_destroy(release);
}

static const struct zwp_linux_buffer_release_v1_listener release_listener = {
	.fenced_release = release_fenced,
	.immediate_release = release_immediate,
};

void
th_release_listen(struct zwp_linux_buffer_release_v1 *release, struct th_release *state)
{
	*state = (struct th_release){0};
	zwp_linux_buffer_release_v1_add_listener(release, &release_listener, state);
}

static void
stop_left_servers(void)
{
	for (size_t i = 0; i < sizeof(live_servers) / sizeof(live_servers[0]); i++) {
		struct th_server *server = live_servers[i];
		if (!server)
			continue;
		th_note("the subtest ended with sluice (pid %d) still running: stopped here",
			(int)server->pid);
		server_end(server);
		print_log(server);
		server_free(server);
	}
}

void
th_server_share(struct th_server *server)
{
	for (size_t i = 0; i < sizeof(live_servers) / sizeof(live_servers[0]); i++)
		if (live_servers[i] == server)
			live_servers[i] = NULL;
}

const char *const th_transform_names[8] = {
	"normal", "90", "180", "270", "flipped", "flipped-90", "flipped-180", "flipped-270",
};

void
th_transform_point(uint32_t t, int32_t lw, int32_t lh, int32_t x, int32_t y, int32_t *ox,
		   int32_t *oy)
{
	int32_t w = lw, h = lh;
	if (t & 4)
		x = w - 1 - x;
	for (uint32_t k = 0; k < (t & 3); k++) {
		/* A quarter turn counter-clockwise: the left column becomes the bottom row. */
		int32_t nx = y, ny = w - 1 - x, tmp = w;
		x = nx;
		y = ny;
		w = h;
		h = tmp;
	}
	*ox = x;
	*oy = y;
}

int
th_grim_pattern_mismatches(struct th_server *server, const char *output, int32_t want_w,
			   int32_t want_h, uint32_t seed)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/grim.ppm", server->runtime_dir);
	const char *const argv[] = {"grim", "-t", "ppm", "-o", output, path, NULL};
	struct th_process_result r;
	if (th_check(th_run_client(server, argv, NULL, 30000, &r), "grim did not run")) {
		th_check(!r.timed_out && r.status == 0, "grim: exit %d: %s", r.status, r.output);
		th_process_result_finish(&r);
	}
	FILE *file = fopen(path, "rb");
	int w = 0, h = 0, max = 0, bad = -1;
	if (th_check(file, "grim wrote no %s", path) &&
	    th_check(fscanf(file, "P6 %d %d %d", &w, &h, &max) == 3 && fgetc(file) != EOF,
		     "not a PPM") &&
	    th_check(w == want_w && h == want_h && max == 255,
		     "grim's picture is %dx%d (max %d), want %dx%d", w, h, max, want_w, want_h)) {
		bad = 0;
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				uint8_t rgb[3];
				if (fread(rgb, 1, 3, file) != 3) {
					bad++;
					continue;
				}
				uint32_t got = (uint32_t)rgb[0] << 16 | rgb[1] << 8 | rgb[2];
				uint32_t want = th_pattern_pixel(seed, x, y) & 0xffffff;
				if (got != want && bad++ < 3)
					th_note("grim (%d,%d): 0x%06x, want 0x%06x", x, y, got,
						want);
			}
	}
	if (file)
		fclose(file);
	unlink(path);
	return bad;
}
