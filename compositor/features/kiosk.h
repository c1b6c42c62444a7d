#ifndef SLUICE_KIOSK_H
#define SLUICE_KIOSK_H

#include <stdbool.h>

struct sl_server;
struct sl_kiosk;

enum kiosk_restart {
	KIOSK_RESTART_NEVER,	  /* sluice exits with the app's status */
	KIOSK_RESTART_ON_FAILURE, /* ... unless it failed (non-zero, or killed by a signal) */
	KIOSK_RESTART_ALWAYS,
};

struct kiosk_options {
	char *const *argv; /* the app and its arguments, NULL-terminated */
	enum kiosk_restart restart;
	int restart_limit; /* restarts in a row before sluice gives up */
};

/* Starts the app on socket; NULL (with a log line) if it cannot be started. */
struct sl_kiosk *kiosk_create(struct sl_server *server, const struct kiosk_options *options,
			      const char *socket);
/* Stops the app if it still runs (SIGTERM, then SIGKILL after 2 s). */
void kiosk_destroy(struct sl_kiosk *kiosk);
/* What sluice exits with: the app's exit code, 128 + the signal that killed it, or 1. */
int kiosk_exit_status(const struct sl_kiosk *kiosk);
/* "never", "on-failure" or "always". */
bool kiosk_parse_restart(const char *text, enum kiosk_restart *out);

#endif
