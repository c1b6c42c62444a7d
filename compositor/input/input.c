/*
 * libinput to wl_seat. Devices are opened through the session (session.c) so that sluice needs
 * no root of its own under seatd or logind, and loses them (libinput suspended) while the
 * session is switched away. Hotplug of input devices comes from libinput's udev monitor where
 * udevd runs.
 */
#include "input/input.h"

#include <errno.h>
#include <fcntl.h>
#include <libinput.h>
#include <libudev.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wayland-server-protocol.h>

#include "log.h"
#include "input/seat.h"
#include "core/server.h"
#include "backends/session.h"
#include "time-util.h"

struct sl_input {
	struct sl_server *server;
	struct sl_seat *seat;
	struct sl_session *session;
	struct udev *udev;
	struct libinput *libinput;
	struct wl_event_source *libinput_source;
	struct wl_listener session_active;
	int keyboards, pointers, touchscreens;
};

/* ---- the session's devices ---- */

static void
handle_session_active(struct wl_listener *listener, void *data)
{
	struct sl_input *input = wl_container_of(listener, input, session_active);
	if (input->session->active) {
		libinput_resume(input->libinput);
		log_debug("input", "input resumed");
	} else {
		libinput_suspend(input->libinput);
		log_info("input", "input suspended");
	}
}

static int
open_restricted(const char *path, int flags, void *data)
{
	struct sl_input *input = data;
	int fd = session_open_device(input->session, path);
	if (fd < 0) {
		log_warn("input", "cannot open %s: %s", path, strerror(-fd));
		return fd;
	}
	/* libseat's backends differ in the flags they open with; libinput reads until EAGAIN. */
	if (flags & O_NONBLOCK) {
		int current = fcntl(fd, F_GETFL);
		if (current >= 0)
			fcntl(fd, F_SETFL, current | O_NONBLOCK);
	}
	return fd;
}

static void
close_restricted(int fd, void *data)
{
	struct sl_input *input = data;
	session_close_device(input->session, fd);
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
	if (libinput_device_has_capability(device, LIBINPUT_DEVICE_CAP_TOUCH))
		input->touchscreens += delta;
	log_info("input", "%s %s", delta > 0 ? "added" : "removed",
		 libinput_device_get_name(device));
	uint32_t caps = (input->keyboards > 0 ? WL_SEAT_CAPABILITY_KEYBOARD : 0) |
			(input->pointers > 0 ? WL_SEAT_CAPABILITY_POINTER : 0) |
			(input->touchscreens > 0 ? WL_SEAT_CAPABILITY_TOUCH : 0);
	seat_set_capabilities(input->seat, caps);
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
	struct sl_seat *seat = input->seat;
	enum libinput_event_type type = libinput_event_get_type(event);
	struct libinput_event_keyboard *key;
	struct libinput_event_pointer *pointer;
	struct libinput_event_touch *touch;
	/* Device events are not the user's; every event type after them is. */
	if (type >= LIBINPUT_EVENT_KEYBOARD_KEY)
		wl_signal_emit_mutable(&input->server->events.input_activity, NULL);
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
	case LIBINPUT_EVENT_TOUCH_DOWN:
	case LIBINPUT_EVENT_TOUCH_MOTION:
		touch = libinput_event_get_touch_event(event);
		(type == LIBINPUT_EVENT_TOUCH_DOWN ? seat_touch_down : seat_touch_motion)(
			seat, libinput_event_touch_get_time(touch),
			libinput_event_touch_get_seat_slot(touch),
			libinput_event_touch_get_x_transformed(touch, 1),
			libinput_event_touch_get_y_transformed(touch, 1));
		break;
	case LIBINPUT_EVENT_TOUCH_UP:
		touch = libinput_event_get_touch_event(event);
		seat_touch_up(seat, libinput_event_touch_get_time(touch),
			      libinput_event_touch_get_seat_slot(touch));
		break;
	case LIBINPUT_EVENT_TOUCH_FRAME:
		seat_touch_frame(seat);
		break;
	case LIBINPUT_EVENT_TOUCH_CANCEL:
		seat_touch_cancel(seat);
		break;
	default:
		/* The legacy POINTER_AXIS duplicates the SCROLL_* events; tablets and gestures
		 * are not delivered. */
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

struct sl_input *
input_create(struct sl_server *server, struct sl_seat *seat, struct sl_session *session)
{
	if (!session) {
		log_warn("input", "no session: input devices cannot be opened");
		return NULL;
	}
	struct sl_input *input = calloc(1, sizeof(*input));
	if (!input)
		return NULL;
	input->server = server;
	input->seat = seat;
	input->session = session;
	input->udev = udev_new();
	input->libinput = input->udev
				  ? libinput_udev_create_context(&libinput_impl, input, input->udev)
				  : NULL;
	if (!input->libinput) {
		log_error("input", "cannot create the libinput context");
		goto err;
	}
	libinput_log_set_handler(input->libinput, libinput_log);
	libinput_log_set_priority(input->libinput, LIBINPUT_LOG_PRIORITY_DEBUG);
	const char *seat_name = session_seat_name(input->session);
	if (libinput_udev_assign_seat(input->libinput, seat_name) != 0) {
		log_error("input", "libinput cannot use seat %s", seat_name);
		goto err;
	}
	input->libinput_source =
		wl_event_loop_add_fd(server->loop, libinput_get_fd(input->libinput),
				     WL_EVENT_READABLE, handle_libinput_fd, input);
	if (!input->libinput_source)
		goto err;
	input->session_active.notify = handle_session_active;
	wl_signal_add(&input->session->active_changed, &input->session_active);
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
	if (input->session_active.notify)
		wl_list_remove(&input->session_active.link);
	if (input->libinput_source)
		wl_event_source_remove(input->libinput_source);
	if (input->libinput)
		libinput_unref(input->libinput); /* closes its devices through close_restricted */
	if (input->udev)
		udev_unref(input->udev);
	free(input);
}
