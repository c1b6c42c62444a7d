/*
 * libseat: one session for every device sluice opens, so that sluice needs no root under seatd
 * or logind and hands the display and input over on a VT switch.
 */
#include "backends/session.h"

#include <errno.h>
#include <fcntl.h>
#include <libseat.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "core/server.h"

struct session_device {
	struct wl_list link;
	int fd, id;
};

static void
handle_enable_seat(struct libseat *seat, void *data)
{
	struct sl_session *session = data;
	if (session->active)
		return;
	session->active = true;
	/* Worth a line when it comes back, not at start-up. */
	if (session->source)
		log_info("session", "session active again");
	else
		log_debug("session", "session active");
	wl_signal_emit(&session->active_changed, session);
}

static void
handle_disable_seat(struct libseat *seat, void *data)
{
	struct sl_session *session = data;
	session->active = false;
	log_info("session", "session switched away: display and input handed over");
	/* Listeners stop touching the devices first; then libseat may revoke them. */
	wl_signal_emit(&session->active_changed, session);
	libseat_disable_seat(seat);
}

static struct libseat_seat_listener seat_listener = {
	.enable_seat = handle_enable_seat,
	.disable_seat = handle_disable_seat,
};

static int
handle_seat_fd(int fd, uint32_t mask, void *data)
{
	struct sl_session *session = data;
	if (libseat_dispatch(session->seat, 0) < 0)
		log_errno("session", "libseat_dispatch");
	return 0;
}

__attribute__((format(printf, 2, 0))) static void
libseat_log(enum libseat_log_level level, const char *format, va_list args)
{
	/* Its errors include backends it tried and did not need: only ours are errors. */
	log_vwrite(LOG_DEBUG, "libseat", format, args);
}

static bool
backend_is_noop(void)
{
	const char *backend = getenv("LIBSEAT_BACKEND");
	return backend && strcmp(backend, "noop") == 0;
}

struct sl_session *
session_create(struct sl_server *server)
{
	struct sl_session *session = calloc(1, sizeof(*session));
	if (!session)
		return NULL;
	session->server = server;
	wl_list_init(&session->devices);
	wl_signal_init(&session->active_changed);

	libseat_set_log_handler(libseat_log);
	libseat_set_log_level(LIBSEAT_LOG_LEVEL_INFO);
	session->seat = libseat_open_seat(&seat_listener, session);
	if (!session->seat) {
		log_errno("session", "no session (libseat: seatd, logind, or root with "
				     "LIBSEAT_BACKEND=builtin or noop)");
		goto err;
	}
	/* Devices can only be opened once the session is active: wait for it, at start-up only. */
	for (int i = 0; i < 50 && !session->active; i++) {
		if (libseat_dispatch(session->seat, 100) < 0)
			break;
		/* libseat 0.7's noop backend (root, no session manager) never says it is enabled;
		 * it always is. Later versions enable it on the first dispatch, as above. */
		if (backend_is_noop())
			session->active = true;
	}
	if (!session->active) {
		log_error("session", "the session did not become active within 5 s");
		goto err;
	}
	session->source = wl_event_loop_add_fd(server->loop, libseat_get_fd(session->seat),
					       WL_EVENT_READABLE, handle_seat_fd, session);
	if (!session->source)
		goto err;
	log_debug("session", "session on %s", session_seat_name(session));
	return session;

err:
	session_destroy(session);
	return NULL;
}

void
session_destroy(struct sl_session *session)
{
	if (!session)
		return;
	/* Every user closed its devices before; what is left is a bug, but not a leak. */
	struct session_device *device, *tmp;
	wl_list_for_each_safe (device, tmp, &session->devices, link)
		session_close_device(session, device->fd);
	if (session->source)
		wl_event_source_remove(session->source);
	if (session->seat)
		libseat_close_seat(session->seat);
	free(session);
}

int
session_open_device(struct sl_session *session, const char *path)
{
	struct session_device *device = calloc(1, sizeof(*device));
	if (!device)
		return -ENOMEM;
	device->id = libseat_open_device(session->seat, path, &device->fd);
	if (device->id < 0) {
		int err = errno ? errno : EIO;
		free(device);
		return -err;
	}
	/* Backends differ in their open flags: users ask for non-blocking reads where needed. */
	int flags = fcntl(device->fd, F_GETFD);
	if (flags >= 0)
		fcntl(device->fd, F_SETFD, flags | FD_CLOEXEC);
	wl_list_insert(&session->devices, &device->link);
	return device->fd;
}

void
session_close_device(struct sl_session *session, int fd)
{
	struct session_device *device;
	wl_list_for_each (device, &session->devices, link) {
		if (device->fd == fd) {
			libseat_close_device(session->seat, device->id);
			wl_list_remove(&device->link);
			free(device);
			break;
		}
	}
	close(fd);
}

const char *
session_seat_name(struct sl_session *session)
{
	/* udev puts devices without an ID_SEAT on seat0; libseat 0.7's noop backend calls its
	 * seat "noop", and then no device would be ours. */
	const char *name = libseat_seat_name(session->seat);
	return strcmp(name, "noop") == 0 ? "seat0" : name;
}
