#ifndef SLUICE_SESSION_H
#define SLUICE_SESSION_H

#include <stdbool.h>
#include <wayland-server-core.h>

struct sl_server;

/*
 * The login session, through libseat (seatd, logind, or as root its builtin backend, which
 * takes a VT; LIBSEAT_BACKEND picks one). It opens the devices sluice may not open itself (the
 * DRM card, evdev nodes) and takes them away while the session is switched out, e.g. on a VT
 * switch: then DRM master belongs to someone else and input is revoked.
 */
struct sl_session {
	struct sl_server *server;
	struct libseat *seat;
	struct wl_event_source *source;
	struct wl_list devices; /* session_device.link */
	bool active;
	/*
	 * Emitted when the session goes away (active false: stop using the devices now; libseat
	 * is told once every listener has returned) and when it comes back (active true: the
	 * devices work again, whatever another master did to the display meanwhile).
	 */
	struct wl_signal active_changed; /* data: the sl_session */
};

/* NULL, with the reason logged, when no session could be opened or it did not become active. */
struct sl_session *session_create(struct sl_server *server);
void session_destroy(struct sl_session *session);

/* An fd for path (device node), or -errno. Closed with session_close_device only. */
int session_open_device(struct sl_session *session, const char *path);
void session_close_device(struct sl_session *session, int fd);

/* The seat's name as udev knows it ("seat0" for libseat 0.7's noop backend). */
const char *session_seat_name(struct sl_session *session);

#endif
