#ifndef SLUICE_SEAT_H
#define SLUICE_SEAT_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>

struct sl_output;
struct sl_server;
struct sl_seat;
struct sl_surface;

/*
 * wl_seat "seat0": keyboard and pointer focus and the events for them, whatever feeds it
 * (input.c, from libinput). Kiosk style: the keyboard goes to the toplevel on screen, the pointer
 * to whichever of its surfaces is under it; positions are in the primary output's coordinates.
 */
struct sl_seat_options {
	const char *keyboard_layout; /* XKB layout[:variant]; NULL: XKB_DEFAULT_* or "us" */
	bool quit_key;		     /* Ctrl+Alt+BackSpace stops sluice */
};

struct sl_seat_events {
	/* struct wl_client * (nullable): the keyboard focus moved to this client's surface. */
	struct wl_signal keyboard_focus;
};

/* The seat draws its cursor through the scene and moves focus when the scene restacks. */
struct sl_seat *seat_create(struct sl_server *server, const struct sl_seat_options *options);
void seat_destroy(struct sl_seat *seat);
struct sl_seat_events *seat_get_events(struct sl_seat *seat);
/* Compiles the keymap now (else when a keyboard appears); false, silently, if it cannot. */
bool seat_prepare_keymap(struct sl_seat *seat);
/* For the command line: whether layout[:variant] makes a keymap. */
bool seat_keyboard_layout_valid(const char *layout);

/* WL_SEAT_CAPABILITY_* bits of the devices present. */
void seat_set_capabilities(struct sl_seat *seat, uint32_t capabilities);

/* Linux input key codes (KEY_*, BTN_*); time in milliseconds. */
void seat_keyboard_key(struct sl_seat *seat, uint32_t time_ms, uint32_t key, bool pressed);
void seat_pointer_move(struct sl_seat *seat, uint32_t time_ms, double dx, double dy);
/* x, y in [0, 1] of the primary output, for tablets and touch screens acting as pointers. */
void seat_pointer_move_to(struct sl_seat *seat, uint32_t time_ms, double x, double y);
void seat_pointer_button(struct sl_seat *seat, uint32_t time_ms, uint32_t button, bool pressed);
/* axis: WL_POINTER_AXIS_*; value in wl_pointer.axis units (15 per wheel notch). */
void seat_pointer_axis(struct sl_seat *seat, uint32_t time_ms, uint32_t axis, double value);
void seat_pointer_frame(struct sl_seat *seat);
/* Touch points by the device's seat-wide slot, x and y from 0 to 1 across the primary output. */
void seat_touch_down(struct sl_seat *seat, uint32_t time_ms, int32_t id, double x, double y);
void seat_touch_motion(struct sl_seat *seat, uint32_t time_ms, int32_t id, double x, double y);
void seat_touch_up(struct sl_seat *seat, uint32_t time_ms, int32_t id);
void seat_touch_frame(struct sl_seat *seat);
void seat_touch_cancel(struct sl_seat *seat);

#endif
