/*
 * libinput to wl_seat. Devices are opened through libseat so that sluice needs no root of its
 * own under seatd or logind, and loses them (libinput suspended) while its session is switched
 * away. Hotplug of input devices comes from libinput's udev monitor where udevd runs.
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <libinput.h>
#include <libseat.h>
#include <libudev.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wayland-server-protocol.h>

#include "idle.h"
#include "log.h"
#include "seat.h"
#include "server.h"
#include "time-util.h"

struct opened_device {
	struct wl_list link;
	int fd, id;
};

struct sl_input {
	struct sl_server *server;
	struct libseat *session;
	struct udev *udev;
	struct libinput *libinput;
	struct wl_event_source *session_source, *libinput_source;
	struct wl_list opened; /* opened_device.link */
	bool active;
	int keyboards, pointers;
};

/* ---- libseat ---- */

static void
handle_enable_seat(struct libseat *session, void *data)
{
	struct sl_input *input = data;
	input->active = true;
	if (input->libinput)
		libinput_resume(input->libinput);
	log_debug("input", "session active");
}

static void
handle_disable_seat(struct libseat *session, void *data)
{
	struct sl_input *input = data;
	input->active = false;
	if (input->libinput)
		libinput_suspend(input->libinput);
	libseat_disable_seat(session);
	log_info("input", "session switched away: input suspended");
}

static struct libseat_seat_listener session_listener = {
	.enable_seat = handle_enable_seat,
	.disable_seat = handle_disable_seat,
};

static int
handle_session_fd(int fd, uint32_t mask, void *data)
{
	struct sl_input *input = data;
	if (libseat_dispatch(input->session, 0) < 0)
		log_errno("input", "libseat_dispatch");
	return 0;
}

static int
open_restricted(const char *path, int flags, void *data)
{
	struct sl_input *input = data;
	struct opened_device *device = calloc(1, sizeof(*device));
	if (!device)
		return -ENOMEM;
	device->id = libseat_open_device(input->session, path, &device->fd);
	if (device->id < 0) {
		int err = errno;
		log_warn("input", "cannot open %s: %s", path, strerror(err));
		free(device);
		return -err;
	}
	/* libseat's backends differ in the flags they open with; libinput reads until EAGAIN. */
	if (flags & O_NONBLOCK) {
		int current = fcntl(device->fd, F_GETFL);
		if (current >= 0)
			fcntl(device->fd, F_SETFL, current | O_NONBLOCK);
	}
	wl_list_insert(&input->opened, &device->link);
	return device->fd;
}

static void
close_restricted(int fd, void *data)
{
	struct sl_input *input = data;
	struct opened_device *device;
	wl_list_for_each (device, &input->opened, link) {
		if (device->fd == fd) {
			libseat_close_device(input->session, device->id);
			wl_list_remove(&device->link);
			free(device);
			break;
		}
	}
	close(fd);
}

static const struct libinput_interface libinput_impl = {
	.open_restricted = open_restricted,
	.close_restricted = close_restricted,
};

/* ---- libinput ---- */

static void
count_device(struct sl_input *input, struct libinput_device *device, int delta)
{
	if (libinput_device_has_capability(device, LIBINPUT_DEVICE_CAP_KEYBOARD))
		input->keyboards += delta;
	if (libinput_device_has_capability(device, LIBINPUT_DEVICE_CAP_POINTER))
		input->pointers += delta;
	log_info("input", "%s %s", delta > 0 ? "added" : "removed",
		 libinput_device_get_name(device));
	uint32_t caps = (input->keyboards > 0 ? WL_SEAT_CAPABILITY_KEYBOARD : 0) |
			(input->pointers > 0 ? WL_SEAT_CAPABILITY_POINTER : 0);
	seat_set_capabilities(input->server->seat, caps);
}

static void
handle_pointer_scroll(struct sl_seat *seat, struct libinput_event_pointer *event, uint32_t time)
{
	static const struct {
		enum libinput_pointer_axis from;
		uint32_t to;
	} axes[] = {
		{LIBINPUT_POINTER_AXIS_SCROLL_VERTICAL, WL_POINTER_AXIS_VERTICAL_SCROLL},
		{LIBINPUT_POINTER_AXIS_SCROLL_HORIZONTAL, WL_POINTER_AXIS_HORIZONTAL_SCROLL},
	};
	for (size_t i = 0; i < sizeof(axes) / sizeof(axes[0]); i++)
		if (libinput_event_pointer_has_axis(event, axes[i].from))
			seat_pointer_axis(
				seat, time, axes[i].to,
				libinput_event_pointer_get_scroll_value(event, axes[i].from));
}

static void
handle_event(struct sl_input *input, struct libinput_event *event)
{
	struct sl_seat *seat = input->server->seat;
	enum libinput_event_type type = libinput_event_get_type(event);
	struct libinput_event_keyboard *key;
	struct libinput_event_pointer *pointer;
	/* Device events are not the user's; every event type after them is. */
	if (type >= LIBINPUT_EVENT_KEYBOARD_KEY)
		idle_activity(input->server->idle);
	switch (type) {
	case LIBINPUT_EVENT_DEVICE_ADDED:
		count_device(input, libinput_event_get_device(event), 1);
		break;
	case LIBINPUT_EVENT_DEVICE_REMOVED:
		count_device(input, libinput_event_get_device(event), -1);
		break;
	case LIBINPUT_EVENT_KEYBOARD_KEY:
		key = libinput_event_get_keyboard_event(event);
		seat_keyboard_key(seat, libinput_event_keyboard_get_time(key),
				  libinput_event_keyboard_get_key(key),
				  libinput_event_keyboard_get_key_state(key) ==
					  LIBINPUT_KEY_STATE_PRESSED);
		break;
	case LIBINPUT_EVENT_POINTER_MOTION:
		pointer = libinput_event_get_pointer_event(event);
		seat_pointer_move(seat, libinput_event_pointer_get_time(pointer),
				  libinput_event_pointer_get_dx(pointer),
				  libinput_event_pointer_get_dy(pointer));
		seat_pointer_frame(seat);
		break;
	case LIBINPUT_EVENT_POINTER_MOTION_ABSOLUTE:
		pointer = libinput_event_get_pointer_event(event);
		seat_pointer_move_to(seat, libinput_event_pointer_get_time(pointer),
				     libinput_event_pointer_get_absolute_x_transformed(pointer, 1),
				     libinput_event_pointer_get_absolute_y_transformed(pointer, 1));
		seat_pointer_frame(seat);
		break;
	case LIBINPUT_EVENT_POINTER_BUTTON:
		pointer = libinput_event_get_pointer_event(event);
		seat_pointer_button(seat, libinput_event_pointer_get_time(pointer),
				    libinput_event_pointer_get_button(pointer),
				    libinput_event_pointer_get_button_state(pointer) ==
					    LIBINPUT_BUTTON_STATE_PRESSED);
		seat_pointer_frame(seat);
		break;
	case LIBINPUT_EVENT_POINTER_SCROLL_WHEEL:
	case LIBINPUT_EVENT_POINTER_SCROLL_FINGER:
	case LIBINPUT_EVENT_POINTER_SCROLL_CONTINUOUS:
		pointer = libinput_event_get_pointer_event(event);
		handle_pointer_scroll(seat, pointer, libinput_event_pointer_get_time(pointer));
		seat_pointer_frame(seat);
		break;
	default:
		/* The legacy POINTER_AXIS duplicates the SCROLL_* events; touch, tablets and
		 * gestures are not delivered yet. */
		break;
	}
}

static int
handle_libinput_fd(int fd, uint32_t mask, void *data)
{
	struct sl_input *input = data;
	if (libinput_dispatch(input->libinput) != 0)
		log_errno("input", "libinput_dispatch");
	struct libinput_event *event;
	while ((event = libinput_get_event(input->libinput))) {
		handle_event(input, event);
		libinput_event_destroy(event);
	}
	return 0;
}

__attribute__((format(printf, 3, 0))) static void
libinput_log(struct libinput *libinput, enum libinput_log_priority priority, const char *format,
	     va_list args)
{
	log_vwrite(priority >= LIBINPUT_LOG_PRIORITY_ERROR  ? LOG_ERROR
		   : priority >= LIBINPUT_LOG_PRIORITY_INFO ? LOG_INFO
							    : LOG_DEBUG,
		   "libinput", format, args);
}

__attribute__((format(printf, 2, 0))) static void
libseat_log(enum libseat_log_level level, const char *format, va_list args)
{
	/* Its errors include backends it tried and did not need: only ours are errors. */
	log_vwrite(LOG_DEBUG, "libseat", format, args);
}

struct sl_input *
input_create(struct sl_server *server)
{
	struct sl_input *input = calloc(1, sizeof(*input));
	if (!input)
		return NULL;
	input->server = server;
	wl_list_init(&input->opened);

	libseat_set_log_handler(libseat_log);
	libseat_set_log_level(LIBSEAT_LOG_LEVEL_INFO);
	input->session = libseat_open_seat(&session_listener, input);
	if (!input->session) {
		log_errno("input", "no session for input devices (libseat: seatd, logind, or root "
				   "with LIBSEAT_BACKEND=builtin or noop)");
		goto err;
	}
	/* Devices can only be opened once the session is active: wait for it, at start-up only. */
	const char *backend = getenv("LIBSEAT_BACKEND");
	for (int i = 0; i < 50 && !input->active; i++) {
		if (libseat_dispatch(input->session, 100) < 0)
			break;
		/* libseat 0.7's noop backend (root, no session manager) never says it is enabled;
		 * it always is. Later versions enable it on the first dispatch, as above. */
		if (backend && strcmp(backend, "noop") == 0)
			input->active = true;
	}
	if (!input->active) {
		log_error("input", "the session did not become active within 5 s");
		goto err;
	}
	input->session_source = wl_event_loop_add_fd(server->loop, libseat_get_fd(input->session),
						     WL_EVENT_READABLE, handle_session_fd, input);

	input->udev = udev_new();
	input->libinput = input->udev
				  ? libinput_udev_create_context(&libinput_impl, input, input->udev)
				  : NULL;
	if (!input->session_source || !input->libinput) {
		log_error("input", "cannot create the libinput context");
		goto err;
	}
	libinput_log_set_handler(input->libinput, libinput_log);
	libinput_log_set_priority(input->libinput, LIBINPUT_LOG_PRIORITY_DEBUG);
	/* udev puts devices without an ID_SEAT on seat0; libseat 0.7's noop backend calls its
	 * seat "noop", and then no device would be ours. */
	const char *seat_name = libseat_seat_name(input->session);
	if (strcmp(seat_name, "noop") == 0)
		seat_name = "seat0";
	if (libinput_udev_assign_seat(input->libinput, seat_name) != 0) {
		log_error("input", "libinput cannot use seat %s", seat_name);
		goto err;
	}
	input->libinput_source =
		wl_event_loop_add_fd(server->loop, libinput_get_fd(input->libinput),
				     WL_EVENT_READABLE, handle_libinput_fd, input);
	if (!input->libinput_source)
		goto err;
	/* The devices found at start-up are announced now, before the first client binds. */
	handle_libinput_fd(-1, 0, input);
	return input;

err:
	input_destroy(input);
	return NULL;
}

void
input_destroy(struct sl_input *input)
{
	if (!input)
		return;
	if (input->libinput_source)
		wl_event_source_remove(input->libinput_source);
	if (input->libinput)
		libinput_unref(input->libinput); /* closes its devices through close_restricted */
	if (input->udev)
		udev_unref(input->udev);
	if (input->session_source)
		wl_event_source_remove(input->session_source);
	if (input->session)
		libseat_close_seat(input->session);
	struct opened_device *device, *tmp;
	wl_list_for_each_safe (device, tmp, &input->opened, link) {
		close(device->fd);
		free(device);
	}
	free(input);
}
