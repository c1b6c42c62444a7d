/*
 * Kiosk mode's app: sluice starts one program on its socket, and when it exits either ends with
 * its status or starts it again, by policy, after a growing pause and up to a limit.
 *
 * The child's exit arrives as SIGCHLD on the event loop (a signalfd), so nothing blocks; only the
 * final teardown waits for the app, briefly, after asking it to stop.
 */
#include "features/kiosk.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "core/loop.h"
#include "core/server.h"
#include "core/timer.h"

enum {
	BACKOFF_FIRST_MS = 250,
	BACKOFF_MAX_MS = 8000,
	/* A run this long counts as healthy: the back-off and the restart count start over. */
	HEALTHY_RUN_MS = 30000,
};

struct sl_kiosk {
	struct sl_server *server;
	char *const *argv;
	const char *socket;
	enum kiosk_restart restart;
	int restart_limit; /* restarts in a row; then sluice gives up */
	pid_t pid;	   /* 0 while no app runs */
	int64_t started_ns;
	int restarts; /* in a row, since the last healthy run */
	int status;   /* sluice's exit status once the app is done for good */
	struct wl_event_source *sigchld;
	struct sl_timer *restart_timer;
};

static int64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool
spawn(struct sl_kiosk *kiosk)
{
	pid_t pid = fork();
	if (pid < 0) {
		log_errno("kiosk", "cannot fork for %s", kiosk->argv[0]);
		return false;
	}
	if (pid == 0) {
		/* The app gets a clean slate: libwayland blocked our signals for its signalfds,
		 * and sluice ignores SIGPIPE. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setenv("WAYLAND_DISPLAY", kiosk->socket, 1);
		unsetenv("WAYLAND_SOCKET");
		unsetenv("DISPLAY");
		execvp(kiosk->argv[0], kiosk->argv);
		fprintf(stderr, "sluice: cannot run %s: %s\n", kiosk->argv[0], strerror(errno));
		_exit(127);
	}
	kiosk->pid = pid;
	kiosk->started_ns = now_ns();
	log_info("kiosk", "started %s (pid %d)", kiosk->argv[0], (int)pid);
	return true;
}

static void
finish(struct sl_kiosk *kiosk, int status)
{
	kiosk->status = status;
	sl_loop_terminate(kiosk->server->main_loop);
}

static void
handle_restart_timer(void *data)
{
	struct sl_kiosk *kiosk = data;
	if (!spawn(kiosk))
		finish(kiosk, EXIT_FAILURE);
}

/* Shell convention: the exit code, or 128 + the signal that killed it. */
static int
exit_code(int wait_status)
{
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return EXIT_FAILURE;
}

static void
app_exited(struct sl_kiosk *kiosk, int wait_status)
{
	int code = exit_code(wait_status);
	int64_t ran_ms = (now_ns() - kiosk->started_ns) / 1000000;
	kiosk->pid = 0;
	if (WIFSIGNALED(wait_status))
		log_warn("kiosk", "%s was killed by signal %d (%s) after %lld ms", kiosk->argv[0],
			 WTERMSIG(wait_status), strsignal(WTERMSIG(wait_status)),
			 (long long)ran_ms);
	else
		log_info("kiosk", "%s exited with status %d after %lld ms", kiosk->argv[0], code,
			 (long long)ran_ms);

	bool again = kiosk->restart == KIOSK_RESTART_ALWAYS ||
		     (kiosk->restart == KIOSK_RESTART_ON_FAILURE && code != 0);
	if (!again) {
		finish(kiosk, code);
		return;
	}
	if (ran_ms >= HEALTHY_RUN_MS)
		kiosk->restarts = 0;
	if (kiosk->restarts >= kiosk->restart_limit) {
		log_error("kiosk", "%s ended %d times in a row; giving up (--restart-limit)",
			  kiosk->argv[0], kiosk->restarts + 1);
		finish(kiosk, code);
		return;
	}
	int64_t delay_ms = BACKOFF_FIRST_MS;
	for (int i = 0; i < kiosk->restarts && delay_ms < BACKOFF_MAX_MS; i++)
		delay_ms *= 2;
	if (delay_ms > BACKOFF_MAX_MS)
		delay_ms = BACKOFF_MAX_MS;
	kiosk->restarts++;
	log_info("kiosk", "restarting %s in %lld ms (restart %d of at most %d in a row)",
		 kiosk->argv[0], (long long)delay_ms, kiosk->restarts, kiosk->restart_limit);
	sl_timer_arm(kiosk->restart_timer, now_ns() + delay_ms * 1000000);
}

static int
handle_sigchld(int signal, void *data)
{
	struct sl_kiosk *kiosk = data;
	int wait_status;
	pid_t pid;
	/* Reap every child (the app may have started others and exited before them). */
	while ((pid = waitpid(-1, &wait_status, WNOHANG)) > 0)
		if (pid == kiosk->pid)
			app_exited(kiosk, wait_status);
	return 0;
}

struct sl_kiosk *
kiosk_create(struct sl_server *server, const struct kiosk_options *options, const char *socket)
{
	struct sl_kiosk *kiosk = calloc(1, sizeof(*kiosk));
	if (!kiosk)
		return NULL;
	*kiosk = (struct sl_kiosk){
		.server = server,
		.argv = options->argv,
		.socket = socket,
		.restart = options->restart,
		.restart_limit = options->restart_limit,
		.status = EXIT_SUCCESS,
	};
	kiosk->sigchld = wl_event_loop_add_signal(server->loop, SIGCHLD, handle_sigchld, kiosk);
	kiosk->restart_timer = sl_timer_create(server->loop, handle_restart_timer, kiosk);
	if (!kiosk->sigchld || !kiosk->restart_timer || !spawn(kiosk)) {
		kiosk_destroy(kiosk);
		return NULL;
	}
	return kiosk;
}

int
kiosk_exit_status(const struct sl_kiosk *kiosk)
{
	return kiosk->status;
}

void
kiosk_destroy(struct sl_kiosk *kiosk)
{
	if (!kiosk)
		return;
	if (kiosk->pid > 0) {
		/* sluice is going away: the app would lose its display anyway. Asked first, then
		 * told, after two seconds. */
		kill(kiosk->pid, SIGTERM);
		int wait_status = 0;
		pid_t got = 0;
		for (int i = 0; i < 200 && (got = waitpid(kiosk->pid, &wait_status, WNOHANG)) == 0;
		     i++)
			usleep(10000);
		if (got == 0) {
			log_warn("kiosk", "%s ignored SIGTERM for 2 s: killing it", kiosk->argv[0]);
			kill(kiosk->pid, SIGKILL);
			waitpid(kiosk->pid, &wait_status, 0);
		}
		log_info("kiosk", "stopped %s", kiosk->argv[0]);
	}
	if (kiosk->sigchld)
		wl_event_source_remove(kiosk->sigchld);
	sl_timer_destroy(kiosk->restart_timer);
	free(kiosk);
}

bool
kiosk_parse_restart(const char *text, enum kiosk_restart *out)
{
	static const char *const names[] = {
		[KIOSK_RESTART_NEVER] = "never",
		[KIOSK_RESTART_ON_FAILURE] = "on-failure",
		[KIOSK_RESTART_ALWAYS] = "always",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(text, names[i]) == 0) {
			*out = (enum kiosk_restart)i;
			return true;
		}
	return false;
}
