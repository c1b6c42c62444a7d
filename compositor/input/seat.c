/*
 * wl_seat: always advertised, because many clients refuse to start without one. Its capabilities
 * follow the input devices (input.c); the headless backend has none, so it announces none.
 * Keyboard focus is the toplevel on screen; pointer focus the surface of its tree under the
 * pointer; each finger on a touch screen belongs to the surface it came down on. The cursor is
 * the image the client under the pointer sets (wl_pointer.set_cursor), drawn on top on the
 * primary output; none until it sets one.
 */
#include "input/seat.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wayland-server-protocol.h>
#include <xkbcommon/xkbcommon.h>

#include "fd.h"
#include "log.h"
#include "core/loop.h"
#include "core/output.h"
#include "core/resource.h"
#include "core/scene.h"
#include "core/server.h"
#include "core/surface.h"

#define SEAT_VERSION 7
#define REPEAT_RATE 25	 /* per second */
#define REPEAT_DELAY 600 /* ms */

/* Fingers on a touch screen at once that are followed; more are ignored until one lifts. */
#define MAX_TOUCH_POINTS 10

/*
 * A finger down: it belongs to the surface it touched first until it lifts (wl_touch), wherever
 * it moves; none if it came down outside every surface or the surface is gone.
 */
struct touch_point {
	bool down;
	int32_t id;
	struct sl_surface *surface;
	double origin_x, origin_y; /* the surface's position on the output when it was touched */
	struct wl_listener surface_destroy;
};

struct sl_seat {
	struct sl_server *server;
	struct wl_global *global;
	struct sl_seat_options options;
	uint32_t capabilities, ever_capabilities;
	struct wl_list seats, keyboards, pointers; /* resources, by wl_resource_get_link */

	struct xkb_context *xkb;
	struct xkb_keymap *keymap; /* NULL until a keyboard needs it */
	struct xkb_state *state;
	int keymap_fd;
	uint32_t keymap_size;
	bool keymap_failed;
	struct wl_array pressed; /* uint32_t key codes */
	struct sl_surface *keyboard_focus;
	struct wl_listener keyboard_focus_destroy;

	double x, y;   /* pointer, in the primary output's pixels */
	double sx, sy; /* the same, in pointer_focus's coordinates */
	struct sl_surface *pointer_focus;
	struct wl_listener pointer_focus_destroy;
	uint32_t pointer_enter_serial; /* set_cursor must quote it */

	/* The focused client's cursor image (wl_pointer.set_cursor), drawn on top at the pointer.
	 */
	struct sl_surface *cursor;
	int32_t hotspot_x, hotspot_y;
	struct wl_listener cursor_destroy;
	pixman_box32_t cursor_box; /* where it was drawn last; empty if nowhere */

	struct sl_seat_events events;
	struct wl_listener scene_restack;

	struct wl_list touches; /* wl_touch resources */
	struct touch_point touch_points[MAX_TOUCH_POINTS];
	/* Clients sent touch events since the last frame, which must end them with one. */
	struct wl_client *touch_frame_clients[MAX_TOUCH_POINTS];
	int n_touch_frame_clients;
};

/* ---- keymap ---- */

__attribute__((format(printf, 3, 0))) static void
xkb_log(struct xkb_context *context, enum xkb_log_level level, const char *format, va_list args)
{
	/* The one line that matters is ours (below); xkbcommon's detail is for debugging. */
	log_vwrite(LOG_DEBUG, "xkb", format, args);
}

/* layout[:variant], or NULL for XKB_DEFAULT_* (else us). */
static struct xkb_keymap *
keymap_compile(struct xkb_context *xkb, const char *layout_variant)
{
	char layout[128] = "";
	struct xkb_rule_names names = {0};
	if (layout_variant) {
		snprintf(layout, sizeof(layout), "%s", layout_variant);
		char *variant = strchr(layout, ':');
		if (variant) {
			*variant++ = '\0';
			names.variant = variant;
		}
		names.layout = layout;
	}
	xkb_context_set_log_fn(xkb, xkb_log);
	return xkb_keymap_new_from_names(xkb, &names, XKB_KEYMAP_COMPILE_NO_FLAGS);
}

bool
seat_keyboard_layout_valid(const char *layout)
{
	struct xkb_context *xkb = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	struct xkb_keymap *keymap = xkb ? keymap_compile(xkb, layout) : NULL;
	xkb_keymap_unref(keymap);
	xkb_context_unref(xkb);
	return keymap != NULL;
}

bool
seat_prepare_keymap(struct sl_seat *seat)
{
	if (seat->keymap)
		return true;
	if (seat->keymap_failed)
		return false;
	seat->xkb = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	if (seat->xkb)
		seat->keymap = keymap_compile(seat->xkb, seat->options.keyboard_layout);
	char *text = seat->keymap
			     ? xkb_keymap_get_as_string(seat->keymap, XKB_KEYMAP_FORMAT_TEXT_V1)
			     : NULL;
	if (text) {
		seat->keymap_size = (uint32_t)strlen(text) + 1;
		seat->keymap_fd = sealed_file_create("sluice-keymap", text, seat->keymap_size);
		free(text);
	}
	seat->state = seat->keymap ? xkb_state_new(seat->keymap) : NULL;
	if (!seat->state || seat->keymap_fd < 0) {
		seat->keymap_failed = true; /* the callers say what it costs */
		return false;
	}
	return true;
}

static void
keyboard_send_keymap(struct sl_seat *seat, struct wl_resource *keyboard)
{
	if (seat_prepare_keymap(seat)) {
		wl_keyboard_send_keymap(keyboard, WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1, seat->keymap_fd,
					seat->keymap_size);
		return;
	}
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		wl_keyboard_send_keymap(keyboard, WL_KEYBOARD_KEYMAP_FORMAT_NO_KEYMAP, fd, 0);
		close(fd);
	}
}

/* ---- focus ---- */

static void
keyboard_send_modifiers_to(struct sl_seat *seat, struct wl_resource *keyboard, uint32_t serial)
{
	if (!seat->state)
		return;
	wl_keyboard_send_modifiers(
		keyboard, serial, xkb_state_serialize_mods(seat->state, XKB_STATE_MODS_DEPRESSED),
		xkb_state_serialize_mods(seat->state, XKB_STATE_MODS_LATCHED),
		xkb_state_serialize_mods(seat->state, XKB_STATE_MODS_LOCKED),
		xkb_state_serialize_layout(seat->state, XKB_STATE_LAYOUT_EFFECTIVE));
}

static void
keyboard_enter(struct sl_seat *seat, struct wl_resource *keyboard)
{
	uint32_t serial = wl_display_next_serial(seat->server->display);
	wl_keyboard_send_enter(keyboard, serial, seat->keyboard_focus->resource, &seat->pressed);
	keyboard_send_modifiers_to(seat, keyboard, serial);
}

/* Each resource in list that belongs to client (the focus's). */
#define for_each_of_client(resource, list, client)                  \
	wl_resource_for_each (resource, list)                       \
		if (wl_resource_get_client(resource) != (client)) { \
		} else

static void
set_keyboard_focus(struct sl_seat *seat, struct sl_surface *surface)
{
	if (seat->keyboard_focus == surface)
		return;
	struct wl_resource *keyboard;
	if (seat->keyboard_focus) {
		struct wl_client *client = wl_resource_get_client(seat->keyboard_focus->resource);
		uint32_t serial = wl_display_next_serial(seat->server->display);
		for_each_of_client (keyboard, &seat->keyboards, client) {
			wl_keyboard_send_leave(keyboard, serial, seat->keyboard_focus->resource);
		}
		wl_list_remove(&seat->keyboard_focus_destroy.link);
	}
	seat->keyboard_focus = surface;
	/* The selection comes before wl_keyboard.enter, as wl_data_device says. */
	wl_signal_emit_mutable(&seat->events.keyboard_focus,
			       surface ? wl_resource_get_client(surface->resource) : NULL);
	if (!surface)
		return;
	wl_signal_add(&surface->events.destroy, &seat->keyboard_focus_destroy);
	struct wl_client *client = wl_resource_get_client(surface->resource);
	for_each_of_client (keyboard, &seat->keyboards, client) {
		keyboard_enter(seat, keyboard);
	}
}

static void
handle_keyboard_focus_destroy(struct wl_listener *listener, void *data)
{
	struct sl_seat *seat = wl_container_of(listener, seat, keyboard_focus_destroy);
	/* The client destroyed it: no leave for an object it no longer has. */
	wl_list_remove(&listener->link);
	seat->keyboard_focus = NULL;
	wl_signal_emit_mutable(&seat->events.keyboard_focus, NULL);
}

/* ---- the cursor ---- */

static void cursor_surface_commit(struct sl_surface *surface);

static const struct sl_surface_role cursor_role = {
	.name = "wl_pointer-cursor",
	.commit = cursor_surface_commit,
};

static bool
cursor_visible(struct sl_seat *seat)
{
	return seat->cursor && seat->cursor->current.buffer && seat->pointer_focus &&
	       wl_resource_get_client(seat->cursor->resource) ==
		       wl_resource_get_client(seat->pointer_focus->resource) &&
	       server_primary_output(seat->server);
}

/* Where surface is drawn on output if it is the cursor shown there. */
static bool
seat_cursor_position(struct sl_seat *seat, struct sl_output *output, struct sl_surface *surface,
		     int32_t *x, int32_t *y)
{
	if (surface != seat->cursor || !cursor_visible(seat) ||
	    output != server_primary_output(seat->server))
		return false;
	*x = (int32_t)seat->x - seat->hotspot_x;
	*y = (int32_t)seat->y - seat->hotspot_y;
	return true;
}

/* The scene draws the cursor: only on the primary output, which the pointer moves on. */
static struct sl_surface *
cursor_surface_on(void *data, struct sl_output *output, int32_t *x, int32_t *y)
{
	struct sl_seat *seat = data;
	if (!output)
		return cursor_visible(seat) ? seat->cursor : NULL;
	return seat->cursor && seat_cursor_position(seat, output, seat->cursor, x, y) ? seat->cursor
										      : NULL;
}

static const struct sl_scene_cursor_impl cursor_impl = {
	.surface_on = cursor_surface_on,
};

/*
 * Damages where the cursor was and where it is now, on the primary output (the pointer's).
 * contents: its image changed too, so even an unmoved cursor is drawn again.
 */
static void
cursor_damage(struct sl_seat *seat, bool contents)
{
	struct sl_output *output = server_primary_output(seat->server);
	pixman_box32_t box = {0};
	int32_t x, y;
	if (output && seat_cursor_position(seat, output, seat->cursor, &x, &y))
		box = (pixman_box32_t){x, y, x + seat->cursor->geometry.width,
				       y + seat->cursor->geometry.height};
	bool moved = box.x1 != seat->cursor_box.x1 || box.y1 != seat->cursor_box.y1 ||
		     box.x2 != seat->cursor_box.x2 || box.y2 != seat->cursor_box.y2;
	if (!output || (!moved && !contents))
		return;
	pixman_region32_t damage;
	pixman_region32_init(&damage);
	const pixman_box32_t *boxes[] = {&seat->cursor_box, &box};
	for (int i = 0; i < 2; i++)
		if (boxes[i]->x2 > boxes[i]->x1 && boxes[i]->y2 > boxes[i]->y1)
			pixman_region32_union_rect(&damage, &damage, boxes[i]->x1, boxes[i]->y1,
						   (unsigned)(boxes[i]->x2 - boxes[i]->x1),
						   (unsigned)(boxes[i]->y2 - boxes[i]->y1));
	sl_output_add_damage(output, &damage);
	pixman_region32_fini(&damage);
	seat->cursor_box = box;
}

static void
cursor_surface_commit(struct sl_surface *surface)
{
	/* The scene damages what the commit changed; a new size moves the box. */
	struct sl_seat *seat = surface->role_data;
	if (seat && seat->cursor == surface)
		cursor_damage(seat, false);
}

static void
set_cursor(struct sl_seat *seat, struct sl_surface *surface, int32_t hotspot_x, int32_t hotspot_y)
{
	if (seat->cursor)
		wl_list_remove(&seat->cursor_destroy.link);
	seat->cursor = surface;
	seat->hotspot_x = hotspot_x;
	seat->hotspot_y = hotspot_y;
	if (surface)
		wl_signal_add(&surface->events.destroy, &seat->cursor_destroy);
	cursor_damage(seat, true);
}

static void
handle_cursor_destroy(struct wl_listener *listener, void *data)
{
	struct sl_seat *seat = wl_container_of(listener, seat, cursor_destroy);
	wl_list_remove(&listener->link);
	seat->cursor = NULL;
	cursor_damage(seat, false);
}

struct hit {
	double x, y;
	struct sl_surface *surface;
	double sx, sy;
};

static void
hit_test(struct sl_surface *surface, int32_t x, int32_t y, void *data)
{
	struct hit *hit = data;
	/* The cursor is drawn where the pointer is: it is never what is under it. */
	if (surface->role == &cursor_role)
		return;
	/* Bottom to top: the last surface that contains the point is the one on top. */
	if (hit->x >= x && hit->y >= y && hit->x < x + surface->geometry.width &&
	    hit->y < y + surface->geometry.height) {
		hit->surface = surface;
		hit->sx = hit->x - x;
		hit->sy = hit->y - y;
	}
}

static void
pointer_send_frame(struct wl_resource *pointer)
{
	if (wl_resource_get_version(pointer) >= WL_POINTER_FRAME_SINCE_VERSION)
		wl_pointer_send_frame(pointer);
}

static void
pointer_enter(struct sl_seat *seat, struct wl_resource *pointer, uint32_t serial)
{
	wl_pointer_send_enter(pointer, serial, seat->pointer_focus->resource,
			      wl_fixed_from_double(seat->sx), wl_fixed_from_double(seat->sy));
}

/* Focus and position after the pointer or the scene moved; frame says whether to end it here. */
static void
pointer_update(struct sl_seat *seat, uint32_t time_ms, bool moved, bool frame)
{
	struct hit hit = {.x = seat->x, .y = seat->y};
	struct sl_output *output = server_primary_output(seat->server);
	if (output)
		scene_for_each_surface(seat->server, output, hit_test, &hit);
	struct wl_resource *pointer;
	struct wl_client *client;
	if (hit.surface == seat->pointer_focus) {
		seat->sx = hit.sx;
		seat->sy = hit.sy;
		cursor_damage(seat, false);
		if (!hit.surface || !moved)
			return;
		client = wl_resource_get_client(hit.surface->resource);
		for_each_of_client (pointer, &seat->pointers, client) {
			wl_pointer_send_motion(pointer, time_ms, wl_fixed_from_double(hit.sx),
					       wl_fixed_from_double(hit.sy));
			if (frame)
				pointer_send_frame(pointer);
		}
		return;
	}
	if (seat->pointer_focus) {
		client = wl_resource_get_client(seat->pointer_focus->resource);
		uint32_t serial = wl_display_next_serial(seat->server->display);
		for_each_of_client (pointer, &seat->pointers, client) {
			wl_pointer_send_leave(pointer, serial, seat->pointer_focus->resource);
			pointer_send_frame(pointer);
		}
		wl_list_remove(&seat->pointer_focus_destroy.link);
	}
	seat->pointer_focus = hit.surface;
	seat->sx = hit.sx;
	seat->sy = hit.sy;
	/* What the cursor looks like over the new surface is for its client to say. */
	set_cursor(seat, NULL, 0, 0);
	if (!hit.surface)
		return;
	wl_signal_add(&hit.surface->events.destroy, &seat->pointer_focus_destroy);
	client = wl_resource_get_client(hit.surface->resource);
	uint32_t serial = wl_display_next_serial(seat->server->display);
	seat->pointer_enter_serial = serial;
	for_each_of_client (pointer, &seat->pointers, client) {
		pointer_enter(seat, pointer, serial);
		if (frame)
			pointer_send_frame(pointer);
	}
}

static void
handle_pointer_focus_destroy(struct wl_listener *listener, void *data)
{
	struct sl_seat *seat = wl_container_of(listener, seat, pointer_focus_destroy);
	wl_list_remove(&listener->link);
	seat->pointer_focus = NULL;
	cursor_damage(seat, false);
}

/* The window on screen or its surfaces changed: focus follows. */
static void
handle_scene_restack(struct wl_listener *listener, void *data)
{
	struct sl_seat *seat = wl_container_of(listener, seat, scene_restack);
	struct sl_scene_window *top = scene_top(seat->server);
	set_keyboard_focus(seat, top ? top->impl->surface(top) : NULL);
	if (seat->capabilities & WL_SEAT_CAPABILITY_POINTER)
		pointer_update(seat, 0, false, true);
}

/* ---- input from the devices ---- */

void
seat_keyboard_key(struct sl_seat *seat, uint32_t time_ms, uint32_t key, bool pressed)
{
	if (!seat_prepare_keymap(seat))
		return;
	enum xkb_state_component changed =
		xkb_state_update_key(seat->state, key + 8, pressed ? XKB_KEY_DOWN : XKB_KEY_UP);
	if (pressed && seat->options.quit_key &&
	    xkb_state_key_get_one_sym(seat->state, key + 8) == XKB_KEY_BackSpace &&
	    xkb_state_mod_name_is_active(seat->state, XKB_MOD_NAME_CTRL, XKB_STATE_MODS_EFFECTIVE) >
		    0 &&
	    xkb_state_mod_name_is_active(seat->state, XKB_MOD_NAME_ALT, XKB_STATE_MODS_EFFECTIVE) >
		    0) {
		log_info("seat", "Ctrl+Alt+BackSpace: shutting down");
		sl_loop_terminate(seat->server->main_loop);
		return;
	}

	uint32_t *k;
	bool known = false;
	wl_array_for_each (k, &seat->pressed) {
		if (*k == key) {
			known = true;
			if (!pressed) {
				*k = ((uint32_t *)seat->pressed
					      .data)[seat->pressed.size / sizeof(*k) - 1];
				seat->pressed.size -= sizeof(*k);
			}
			break;
		}
	}
	if (pressed && !known && (k = wl_array_add(&seat->pressed, sizeof(*k))))
		*k = key;
	else if (pressed == known)
		return; /* a repeat from the device, or a release of a key pressed before we ran */

	if (!seat->keyboard_focus)
		return;
	struct wl_client *client = wl_resource_get_client(seat->keyboard_focus->resource);
	uint32_t serial = wl_display_next_serial(seat->server->display);
	struct wl_resource *keyboard;
	bool modifiers = changed & (XKB_STATE_MODS_EFFECTIVE | XKB_STATE_LAYOUT_EFFECTIVE);
	for_each_of_client (keyboard, &seat->keyboards, client) {
		wl_keyboard_send_key(keyboard, serial, time_ms, key,
				     pressed ? WL_KEYBOARD_KEY_STATE_PRESSED
					     : WL_KEYBOARD_KEY_STATE_RELEASED);
		if (modifiers)
			keyboard_send_modifiers_to(seat, keyboard, serial);
	}
}

static void
pointer_clamp(struct sl_seat *seat)
{
	struct sl_output *output = server_primary_output(seat->server);
	/* Without an output (before the first, after the last is unplugged) it rests at 0,0. */
	double w = output ? output->width : 1, h = output ? output->height : 1;
	seat->x = seat->x < 0 ? 0 : seat->x > w - 1 ? w - 1 : seat->x;
	seat->y = seat->y < 0 ? 0 : seat->y > h - 1 ? h - 1 : seat->y;
}

void
seat_pointer_move(struct sl_seat *seat, uint32_t time_ms, double dx, double dy)
{
	seat->x += dx;
	seat->y += dy;
	pointer_clamp(seat);
	/* The device's frame (seat_pointer_frame) ends what this sends. */
	pointer_update(seat, time_ms, true, false);
}

/*
 * Absolute devices (touch screens, tablets acting as pointers) span the primary output, the one
 * the kiosk app fills: x, y from 0 to 1 to its pixels. A touch screen is glued to its panel, so
 * it turns with it: its axes are the panel's, whatever the output's transform makes of them.
 */
static void
to_primary_output(struct sl_seat *seat, double x, double y, double *ox, double *oy)
{
	struct sl_output *output = server_primary_output(seat->server);
	*ox = *oy = 0;
	if (output)
		sl_output_pixel_to_layout(output, x * output->pixel_width, y * output->pixel_height,
					  ox, oy);
}

void
seat_pointer_move_to(struct sl_seat *seat, uint32_t time_ms, double x, double y)
{
	to_primary_output(seat, x, y, &seat->x, &seat->y);
	pointer_clamp(seat);
	/* The device's frame (seat_pointer_frame) ends what this sends. */
	pointer_update(seat, time_ms, true, false);
}

void
seat_pointer_button(struct sl_seat *seat, uint32_t time_ms, uint32_t button, bool pressed)
{
	if (!seat->pointer_focus)
		return;
	struct wl_client *client = wl_resource_get_client(seat->pointer_focus->resource);
	uint32_t serial = wl_display_next_serial(seat->server->display);
	struct wl_resource *pointer;
	for_each_of_client (pointer, &seat->pointers, client) {
		wl_pointer_send_button(pointer, serial, time_ms, button,
				       pressed ? WL_POINTER_BUTTON_STATE_PRESSED
					       : WL_POINTER_BUTTON_STATE_RELEASED);
	}
}

void
seat_pointer_axis(struct sl_seat *seat, uint32_t time_ms, uint32_t axis, double value)
{
	if (!seat->pointer_focus)
		return;
	struct wl_client *client = wl_resource_get_client(seat->pointer_focus->resource);
	struct wl_resource *pointer;
	for_each_of_client (pointer, &seat->pointers, client) {
		wl_pointer_send_axis(pointer, time_ms, axis, wl_fixed_from_double(value));
	}
}

void
seat_pointer_frame(struct sl_seat *seat)
{
	if (!seat->pointer_focus)
		return;
	struct wl_client *client = wl_resource_get_client(seat->pointer_focus->resource);
	struct wl_resource *pointer;
	for_each_of_client (pointer, &seat->pointers, client) {
		pointer_send_frame(pointer);
	}
}

/* ---- touch ---- */

static void
touch_point_release(struct touch_point *point)
{
	if (point->surface)
		wl_list_remove(&point->surface_destroy.link);
	point->surface = NULL;
	point->down = false;
}

static void
handle_touch_surface_destroy(struct wl_listener *listener, void *data)
{
	struct touch_point *point = wl_container_of(listener, point, surface_destroy);
	wl_list_remove(&listener->link);
	point->surface = NULL; /* the finger stays down, owned by nobody, until it lifts */
}

static struct touch_point *
touch_point_find(struct sl_seat *seat, int32_t id)
{
	for (int i = 0; i < MAX_TOUCH_POINTS; i++)
		if (seat->touch_points[i].down && seat->touch_points[i].id == id)
			return &seat->touch_points[i];
	return NULL;
}

/* The client of point's surface gets a frame at the end of the device's frame. */
static struct wl_client *
touch_client(struct sl_seat *seat, struct touch_point *point)
{
	if (!point || !point->surface)
		return NULL;
	struct wl_client *client = wl_resource_get_client(point->surface->resource);
	for (int i = 0; i < seat->n_touch_frame_clients; i++)
		if (seat->touch_frame_clients[i] == client)
			return client;
	if (seat->n_touch_frame_clients < MAX_TOUCH_POINTS)
		seat->touch_frame_clients[seat->n_touch_frame_clients++] = client;
	return client;
}

void
seat_touch_down(struct sl_seat *seat, uint32_t time_ms, int32_t id, double x, double y)
{
	if (touch_point_find(seat, id))
		return;
	struct touch_point *point = NULL;
	for (int i = 0; i < MAX_TOUCH_POINTS && !point; i++)
		if (!seat->touch_points[i].down)
			point = &seat->touch_points[i];
	if (!point)
		return;
	struct hit hit = {0};
	to_primary_output(seat, x, y, &hit.x, &hit.y);
	struct sl_output *output = server_primary_output(seat->server);
	if (output)
		scene_for_each_surface(seat->server, output, hit_test, &hit);
	point->down = true;
	point->id = id;
	if (!hit.surface)
		return;
	point->surface = hit.surface;
	point->origin_x = hit.x - hit.sx;
	point->origin_y = hit.y - hit.sy;
	wl_signal_add(&hit.surface->events.destroy, &point->surface_destroy);
	struct wl_client *client = touch_client(seat, point);
	uint32_t serial = wl_display_next_serial(seat->server->display);
	struct wl_resource *touch;
	for_each_of_client (touch, &seat->touches, client)
		wl_touch_send_down(touch, serial, time_ms, hit.surface->resource, id,
				   wl_fixed_from_double(hit.sx), wl_fixed_from_double(hit.sy));
}

void
seat_touch_motion(struct sl_seat *seat, uint32_t time_ms, int32_t id, double x, double y)
{
	struct touch_point *point = touch_point_find(seat, id);
	struct wl_client *client = touch_client(seat, point);
	if (!client)
		return;
	double ox, oy;
	to_primary_output(seat, x, y, &ox, &oy);
	struct wl_resource *touch;
	for_each_of_client (touch, &seat->touches, client)
		wl_touch_send_motion(touch, time_ms, id, wl_fixed_from_double(ox - point->origin_x),
				     wl_fixed_from_double(oy - point->origin_y));
}

void
seat_touch_up(struct sl_seat *seat, uint32_t time_ms, int32_t id)
{
	struct touch_point *point = touch_point_find(seat, id);
	struct wl_client *client = touch_client(seat, point);
	if (client) {
		uint32_t serial = wl_display_next_serial(seat->server->display);
		struct wl_resource *touch;
		for_each_of_client (touch, &seat->touches, client)
			wl_touch_send_up(touch, serial, time_ms, id);
	}
	if (point)
		touch_point_release(point);
}

void
seat_touch_frame(struct sl_seat *seat)
{
	for (int i = 0; i < seat->n_touch_frame_clients; i++) {
		struct wl_resource *touch;
		for_each_of_client (touch, &seat->touches, seat->touch_frame_clients[i])
			wl_touch_send_frame(touch);
	}
	seat->n_touch_frame_clients = 0;
}

void
seat_touch_cancel(struct sl_seat *seat)
{
	/* Every client with a finger down loses all of them (the device went away, say). */
	seat->n_touch_frame_clients = 0;
	for (int i = 0; i < MAX_TOUCH_POINTS; i++) {
		touch_client(seat, &seat->touch_points[i]);
		touch_point_release(&seat->touch_points[i]);
	}
	for (int i = 0; i < seat->n_touch_frame_clients; i++) {
		struct wl_resource *touch;
		for_each_of_client (touch, &seat->touches, seat->touch_frame_clients[i])
			wl_touch_send_cancel(touch);
	}
	seat->n_touch_frame_clients = 0;
}

/* ---- protocol ---- */

static void
handle_release(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
pointer_handle_set_cursor(struct wl_client *client, struct wl_resource *resource, uint32_t serial,
			  struct wl_resource *surface_resource, int32_t hotspot_x,
			  int32_t hotspot_y)
{
	struct sl_seat *seat = wl_resource_get_user_data(resource);
	struct sl_surface *surface =
		surface_resource ? sl_surface_from_resource(surface_resource) : NULL;
	/* The role comes first: a surface with another role is an error whatever the serial. */
	if (surface &&
	    !sl_surface_set_role(surface, &cursor_role, seat, resource, WL_POINTER_ERROR_ROLE))
		return;
	/* Only the client under the pointer, since its enter (serials wrap); else ignored. */
	if (!seat || !seat->pointer_focus ||
	    wl_resource_get_client(seat->pointer_focus->resource) != client ||
	    serial - seat->pointer_enter_serial > UINT32_MAX / 2)
		return;
	log_debug("seat", "cursor: %s%u, hotspot %d,%d", surface ? "wl_surface@" : "none ",
		  surface ? wl_resource_get_id(surface->resource) : 0, hotspot_x, hotspot_y);
	set_cursor(seat, surface, hotspot_x, hotspot_y);
}

static const struct wl_pointer_interface pointer_impl = {
	.set_cursor = pointer_handle_set_cursor,
	.release = handle_release,
};

static const struct wl_keyboard_interface keyboard_impl = {
	.release = handle_release,
};

static void
seat_missing_capability(struct wl_resource *resource, const char *what)
{
	wl_resource_post_error(resource, WL_SEAT_ERROR_MISSING_CAPABILITY,
			       "get_%s on a seat that has never had the %s capability", what, what);
}

/* The seat outlives every client (server_finish), so this is never NULL in a request. */
static struct sl_seat *
seat_from_resource(struct wl_resource *resource)
{
	return wl_resource_get_user_data(resource);
}

static struct wl_resource *
seat_child_create(struct wl_client *client, struct wl_resource *seat_resource, uint32_t id,
		  const struct wl_interface *interface, const void *impl, struct wl_list *list)
{
	struct wl_resource *resource =
		sl_resource_create(client, interface, wl_resource_get_version(seat_resource), id,
				   impl, NULL, sl_resource_unlink);
	if (resource)
		wl_list_insert(list, wl_resource_get_link(resource));
	return resource;
}

static void
seat_handle_get_pointer(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
	struct sl_seat *seat = seat_from_resource(resource);
	if (!(seat->ever_capabilities & WL_SEAT_CAPABILITY_POINTER)) {
		seat_missing_capability(resource, "pointer");
		return;
	}
	struct wl_resource *pointer = seat_child_create(client, resource, id, &wl_pointer_interface,
							&pointer_impl, &seat->pointers);
	if (pointer)
		wl_resource_set_user_data(pointer, seat); /* for set_cursor */
	if (pointer && seat->pointer_focus &&
	    wl_resource_get_client(seat->pointer_focus->resource) == client) {
		/* Already under the pointer: this new object learns it now, with the same serial
		 * (set_cursor quotes it). */
		pointer_enter(seat, pointer, seat->pointer_enter_serial);
		pointer_send_frame(pointer);
	}
}

static void
seat_handle_get_keyboard(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
	struct sl_seat *seat = seat_from_resource(resource);
	if (!(seat->ever_capabilities & WL_SEAT_CAPABILITY_KEYBOARD)) {
		seat_missing_capability(resource, "keyboard");
		return;
	}
	struct wl_resource *keyboard = seat_child_create(
		client, resource, id, &wl_keyboard_interface, &keyboard_impl, &seat->keyboards);
	if (!keyboard)
		return;
	keyboard_send_keymap(seat, keyboard);
	if (wl_resource_get_version(keyboard) >= WL_KEYBOARD_REPEAT_INFO_SINCE_VERSION)
		wl_keyboard_send_repeat_info(keyboard, REPEAT_RATE, REPEAT_DELAY);
	if (seat->keyboard_focus &&
	    wl_resource_get_client(seat->keyboard_focus->resource) == client)
		keyboard_enter(seat, keyboard);
}

static const struct wl_touch_interface touch_impl = {
	.release = handle_release,
};

static void
seat_handle_get_touch(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
	struct sl_seat *seat = seat_from_resource(resource);
	if (!(seat->ever_capabilities & WL_SEAT_CAPABILITY_TOUCH)) {
		seat_missing_capability(resource, "touch");
		return;
	}
	seat_child_create(client, resource, id, &wl_touch_interface, &touch_impl, &seat->touches);
}

static const struct wl_seat_interface seat_impl = {
	.get_pointer = seat_handle_get_pointer,
	.get_keyboard = seat_handle_get_keyboard,
	.get_touch = seat_handle_get_touch,
	.release = handle_release,
};

static void
seat_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct sl_seat *seat = data;
	struct wl_resource *resource = sl_resource_create(client, &wl_seat_interface, (int)version,
							  id, &seat_impl, seat, sl_resource_unlink);
	if (!resource)
		return;
	wl_list_insert(&seat->seats, wl_resource_get_link(resource));
	wl_seat_send_capabilities(resource, seat->capabilities);
	if (version >= WL_SEAT_NAME_SINCE_VERSION)
		wl_seat_send_name(resource, "seat0");
}

void
seat_set_capabilities(struct sl_seat *seat, uint32_t capabilities)
{
	if (capabilities == seat->capabilities)
		return;
	if ((capabilities & WL_SEAT_CAPABILITY_KEYBOARD) && !seat_prepare_keymap(seat)) {
		log_error("seat",
			  "no keymap for layout '%s' (--log-level debug says why): keyboards "
			  "are not offered",
			  seat->options.keyboard_layout ? seat->options.keyboard_layout
							: "XKB_DEFAULT_LAYOUT or us");
		capabilities &= ~(uint32_t)WL_SEAT_CAPABILITY_KEYBOARD;
	}
	seat->capabilities = capabilities;
	seat->ever_capabilities |= capabilities;
	struct wl_resource *resource;
	wl_resource_for_each (resource, &seat->seats)
		wl_seat_send_capabilities(resource, capabilities);
	log_info("seat", "capabilities:%s%s%s%s", capabilities ? "" : " none",
		 capabilities & WL_SEAT_CAPABILITY_KEYBOARD ? " keyboard" : "",
		 capabilities & WL_SEAT_CAPABILITY_POINTER ? " pointer" : "",
		 capabilities & WL_SEAT_CAPABILITY_TOUCH ? " touch" : "");
}

struct sl_seat_events *
seat_get_events(struct sl_seat *seat)
{
	return &seat->events;
}

struct sl_seat *
seat_create(struct sl_server *server, const struct sl_seat_options *options)
{
	struct sl_seat *seat = calloc(1, sizeof(*seat));
	if (!seat)
		return NULL;
	seat->server = server;
	seat->options = *options;
	seat->keymap_fd = -1;
	wl_list_init(&seat->seats);
	wl_list_init(&seat->keyboards);
	wl_list_init(&seat->pointers);
	wl_list_init(&seat->touches);
	for (int i = 0; i < MAX_TOUCH_POINTS; i++)
		seat->touch_points[i].surface_destroy.notify = handle_touch_surface_destroy;
	wl_array_init(&seat->pressed);
	seat->keyboard_focus_destroy.notify = handle_keyboard_focus_destroy;
	seat->pointer_focus_destroy.notify = handle_pointer_focus_destroy;
	seat->cursor_destroy.notify = handle_cursor_destroy;
	wl_signal_init(&seat->events.keyboard_focus);
	seat->global = wl_global_create(server->display, &wl_seat_interface, SEAT_VERSION, seat,
					seat_bind);
	if (!seat->global) {
		free(seat);
		return NULL;
	}
	seat->scene_restack.notify = handle_scene_restack;
	wl_signal_add(&server->scene.events.restack, &seat->scene_restack);
	scene_set_cursor(server, &cursor_impl, seat);
	return seat;
}

static void
forget_resources(struct wl_list *list)
{
	struct wl_resource *resource, *tmp;
	wl_resource_for_each_safe (resource, tmp, list) {
		wl_list_remove(wl_resource_get_link(resource));
		wl_list_init(wl_resource_get_link(resource));
		wl_resource_set_user_data(resource, NULL);
	}
}

void
seat_destroy(struct sl_seat *seat)
{
	if (!seat)
		return;
	scene_set_cursor(seat->server, NULL, NULL);
	wl_list_remove(&seat->scene_restack.link);
	set_keyboard_focus(seat, NULL);
	if (seat->pointer_focus)
		wl_list_remove(&seat->pointer_focus_destroy.link);
	if (seat->cursor)
		wl_list_remove(&seat->cursor_destroy.link);
	forget_resources(&seat->seats);
	forget_resources(&seat->keyboards);
	forget_resources(&seat->pointers);
	forget_resources(&seat->touches);
	for (int i = 0; i < MAX_TOUCH_POINTS; i++)
		touch_point_release(&seat->touch_points[i]);
	wl_global_destroy(seat->global);
	wl_array_release(&seat->pressed);
	fd_close(&seat->keymap_fd);
	xkb_state_unref(seat->state);
	xkb_keymap_unref(seat->keymap);
	xkb_context_unref(seat->xkb);
	free(seat);
}
