/*
 * Input on vkms, the kiosk way: uinput devices (a keyboard and a mouse) made by the test, found
 * by sluice's libinput on udev's seat0 and opened through libseat (its noop backend: the guest
 * runs as root with no seatd or logind), their events delivered to the window on screen.
 *
 * The guest runs no udevd, so the test does udevd's part for its two devices: the properties
 * libinput needs (ID_INPUT_KEYBOARD, ID_INPUT_MOUSE) go into /run/udev/data, where libudev reads
 * them. With no udevd there is no hotplug: the devices exist before sluice starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <linux/uinput.h>
#include <linux/vt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include <xf86drm.h>
#include <xf86drmMode.h>

static char vkms_path[64];

struct uinput {
	int fd;
	char event_node[32]; /* eventN */
};

/* Finds the event node of a uinput device and writes what udevd would know about it. */
static bool
uinput_register(struct uinput *dev, const char *properties)
{
	char sysname[64] = "";
	if (ioctl(dev->fd, UI_GET_SYSNAME(sizeof(sysname)), sysname) < 0)
		return false;
	char path[256];
	snprintf(path, sizeof(path), "/sys/devices/virtual/input/%s", sysname);
	for (int n = 0; n < 64 && !dev->event_node[0]; n++) {
		char node[300];
		snprintf(node, sizeof(node), "%s/event%d", path, n);
		if (access(node, F_OK) == 0)
			snprintf(dev->event_node, sizeof(dev->event_node), "event%d", n);
	}
	if (!dev->event_node[0])
		return false;
	snprintf(path, sizeof(path), "/sys/class/input/%s/dev", dev->event_node);
	FILE *f = fopen(path, "r");
	unsigned major = 0, minor = 0;
	bool ok = f && fscanf(f, "%u:%u", &major, &minor) == 2;
	if (f)
		fclose(f);
	if (!ok)
		return false;
	mkdir("/run/udev", 0755);
	mkdir("/run/udev/data", 0755);
	snprintf(path, sizeof(path), "/run/udev/data/c%u:%u", major, minor);
	f = fopen(path, "w");
	if (!f)
		return false;
	fprintf(f, "I:1\nE:ID_INPUT=1\n%s", properties);
	return fclose(f) == 0;
}

static bool
uinput_create(struct uinput *dev, bool keyboard)
{
	*dev = (struct uinput){.fd = open("/dev/uinput", O_WRONLY | O_NONBLOCK | O_CLOEXEC)};
	if (!th_check(dev->fd >= 0, "open /dev/uinput: %s", strerror(errno)))
		return false;
	ioctl(dev->fd, UI_SET_EVBIT, EV_SYN);
	ioctl(dev->fd, UI_SET_EVBIT, EV_KEY);
	if (keyboard) {
		for (int key = KEY_ESC; key <= KEY_KPDOT; key++)
			ioctl(dev->fd, UI_SET_KEYBIT, key);
	} else {
		ioctl(dev->fd, UI_SET_EVBIT, EV_REL);
		ioctl(dev->fd, UI_SET_RELBIT, REL_X);
		ioctl(dev->fd, UI_SET_RELBIT, REL_Y);
		ioctl(dev->fd, UI_SET_RELBIT, REL_WHEEL);
		ioctl(dev->fd, UI_SET_KEYBIT, BTN_LEFT);
		ioctl(dev->fd, UI_SET_KEYBIT, BTN_RIGHT);
		ioctl(dev->fd, UI_SET_KEYBIT, BTN_MIDDLE);
	}
	struct uinput_setup setup = {
		.id = {.bustype = BUS_VIRTUAL, .vendor = 0x5e5e, .product = keyboard ? 1 : 2}};
	snprintf(setup.name, sizeof(setup.name), "sluice test %s", keyboard ? "keyboard" : "mouse");
	bool ok = ioctl(dev->fd, UI_DEV_SETUP, &setup) == 0 && ioctl(dev->fd, UI_DEV_CREATE) == 0 &&
		  uinput_register(dev, keyboard ? "E:ID_INPUT_KEY=1\nE:ID_INPUT_KEYBOARD=1\n"
						: "E:ID_INPUT_MOUSE=1\n");
	return th_check(ok, "cannot create the uinput %s", keyboard ? "keyboard" : "mouse");
}

/* A single-screen touch device, 0..1023 x 0..767 like vkms's mode, with multitouch slots. */
static bool
uinput_create_touchscreen(struct uinput *dev)
{
	*dev = (struct uinput){.fd = open("/dev/uinput", O_WRONLY | O_NONBLOCK | O_CLOEXEC)};
	if (!th_check(dev->fd >= 0, "open /dev/uinput: %s", strerror(errno)))
		return false;
	ioctl(dev->fd, UI_SET_EVBIT, EV_SYN);
	ioctl(dev->fd, UI_SET_EVBIT, EV_KEY);
	ioctl(dev->fd, UI_SET_KEYBIT, BTN_TOUCH);
	ioctl(dev->fd, UI_SET_EVBIT, EV_ABS);
	ioctl(dev->fd, UI_SET_PROPBIT, INPUT_PROP_DIRECT);
	static const struct {
		uint16_t code;
		int32_t max;
	} axes[] = {
		{ABS_X, 1023},
		{ABS_Y, 767},
		{ABS_MT_SLOT, 9},
		{ABS_MT_POSITION_X, 1023},
		{ABS_MT_POSITION_Y, 767},
		{ABS_MT_TRACKING_ID, 65535},
	};
	bool ok = true;
	for (size_t i = 0; i < sizeof(axes) / sizeof(axes[0]); i++) {
		ioctl(dev->fd, UI_SET_ABSBIT, axes[i].code);
		/* 10 units per mm: a 10 cm screen, which libinput wants to know. */
		struct uinput_abs_setup abs = {
			.code = axes[i].code,
			.absinfo = {.maximum = axes[i].max,
				    .resolution = axes[i].code == ABS_MT_SLOT ||
								  axes[i].code == ABS_MT_TRACKING_ID
							  ? 0
							  : 10}};
		ok = ok && ioctl(dev->fd, UI_ABS_SETUP, &abs) == 0;
	}
	struct uinput_setup setup = {
		.id = {.bustype = BUS_VIRTUAL, .vendor = 0x5e5e, .product = 3}};
	snprintf(setup.name, sizeof(setup.name), "sluice test touchscreen");
	ok = ok && ioctl(dev->fd, UI_DEV_SETUP, &setup) == 0 &&
	     ioctl(dev->fd, UI_DEV_CREATE) == 0 &&
	     uinput_register(dev, "E:ID_INPUT_TOUCHSCREEN=1\n");
	return th_check(ok, "cannot create the uinput touchscreen");
}

static void
uinput_destroy(struct uinput *dev)
{
	if (dev->fd < 0)
		return;
	ioctl(dev->fd, UI_DEV_DESTROY);
	close(dev->fd);
	dev->fd = -1;
}

static void
uinput_emit(struct uinput *dev, uint16_t type, uint16_t code, int32_t value)
{
	struct input_event event = {.type = type, .code = code, .value = value};
	th_check(write(dev->fd, &event, sizeof(event)) == sizeof(event), "uinput write: %s",
		 strerror(errno));
	struct input_event syn = {.type = EV_SYN, .code = SYN_REPORT};
	th_check(write(dev->fd, &syn, sizeof(syn)) == sizeof(syn), "uinput write: %s",
		 strerror(errno));
}

/* Writes events and ends them with one SYN_REPORT: one frame of the device. */
static void
uinput_frame(struct uinput *dev, const struct input_event *events, size_t count)
{
	for (size_t i = 0; i <= count; i++) {
		struct input_event event =
			i < count ? events[i]
				  : (struct input_event){.type = EV_SYN, .code = SYN_REPORT};
		th_check(write(dev->fd, &event, sizeof(event)) == sizeof(event), "uinput write: %s",
			 strerror(errno));
	}
}

/* What the client saw. */
struct seen {
	uint32_t capabilities;
	bool have_capabilities;
	uint32_t keymap_format, keymap_size;
	bool keymap_compiles; /* looks like an XKB keymap */
	struct wl_surface *keyboard_focus, *pointer_focus;
	uint32_t enter_serial;
	bool key_event;
	uint32_t key, key_state;
	bool modifiers_event;
	uint32_t mods_depressed;
	bool motion;
	double sx, sy;
	bool button_event;
	uint32_t button, button_state;
	bool axis_event;
	uint32_t axis;
	double axis_value;
	bool frame;
};

static void
seat_capabilities(void *data, struct wl_seat *seat, uint32_t capabilities)
{
	struct seen *seen = data;
	seen->capabilities = capabilities;
	seen->have_capabilities = true;
}

static void
seat_name(void *data, struct wl_seat *seat, const char *name)
{
}

static const struct wl_seat_listener seat_listener = {seat_capabilities, seat_name};

static void
keyboard_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format, int32_t fd,
		uint32_t size)
{
	struct seen *seen = data;
	seen->keymap_format = format;
	seen->keymap_size = size;
	void *map = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	if (map != MAP_FAILED) {
		seen->keymap_compiles = strstr(map, "xkb_keymap") && strstr(map, "xkb_symbols");
		munmap(map, size);
	}
	close(fd);
}

static void
keyboard_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	       struct wl_surface *surface, struct wl_array *keys)
{
	((struct seen *)data)->keyboard_focus = surface;
}

static void
keyboard_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	       struct wl_surface *surface)
{
	((struct seen *)data)->keyboard_focus = NULL;
}

static void
keyboard_key(void *data, struct wl_keyboard *keyboard, uint32_t serial, uint32_t time, uint32_t key,
	     uint32_t state)
{
	struct seen *seen = data;
	seen->key_event = true;
	seen->key = key;
	seen->key_state = state;
}

static void
keyboard_modifiers(void *data, struct wl_keyboard *keyboard, uint32_t serial, uint32_t depressed,
		   uint32_t latched, uint32_t locked, uint32_t group)
{
	struct seen *seen = data;
	seen->modifiers_event = true;
	seen->mods_depressed = depressed;
}

static void
keyboard_repeat_info(void *data, struct wl_keyboard *keyboard, int32_t rate, int32_t delay)
{
}

static const struct wl_keyboard_listener keyboard_listener = {
	keyboard_keymap, keyboard_enter,     keyboard_leave,
	keyboard_key,	 keyboard_modifiers, keyboard_repeat_info,
};

static void
pointer_enter(void *data, struct wl_pointer *pointer, uint32_t serial, struct wl_surface *surface,
	      wl_fixed_t sx, wl_fixed_t sy)
{
	struct seen *seen = data;
	seen->pointer_focus = surface;
	seen->enter_serial = serial;
	seen->sx = wl_fixed_to_double(sx);
	seen->sy = wl_fixed_to_double(sy);
}

static void
pointer_leave(void *data, struct wl_pointer *pointer, uint32_t serial, struct wl_surface *surface)
{
	((struct seen *)data)->pointer_focus = NULL;
}

static void
pointer_motion(void *data, struct wl_pointer *pointer, uint32_t time, wl_fixed_t sx, wl_fixed_t sy)
{
	struct seen *seen = data;
	seen->motion = true;
	seen->sx = wl_fixed_to_double(sx);
	seen->sy = wl_fixed_to_double(sy);
}

static void
pointer_button(void *data, struct wl_pointer *pointer, uint32_t serial, uint32_t time,
	       uint32_t button, uint32_t state)
{
	struct seen *seen = data;
	seen->button_event = true;
	seen->button = button;
	seen->button_state = state;
}

static void
pointer_axis(void *data, struct wl_pointer *pointer, uint32_t time, uint32_t axis, wl_fixed_t value)
{
	struct seen *seen = data;
	seen->axis_event = true;
	seen->axis = axis;
	seen->axis_value = wl_fixed_to_double(value);
}

static void
pointer_frame(void *data, struct wl_pointer *pointer)
{
	((struct seen *)data)->frame = true;
}

static void
pointer_axis_source(void *data, struct wl_pointer *pointer, uint32_t source)
{
}

static void
pointer_axis_stop(void *data, struct wl_pointer *pointer, uint32_t time, uint32_t axis)
{
}

static void
pointer_axis_discrete(void *data, struct wl_pointer *pointer, uint32_t axis, int32_t discrete)
{
}

static const struct wl_pointer_listener pointer_listener = {
	pointer_enter, pointer_leave,	    pointer_motion,    pointer_button,	      pointer_axis,
	pointer_frame, pointer_axis_source, pointer_axis_stop, pointer_axis_discrete,
};

/* The harness's wl_seat had its capabilities event before a listener could see it: bind anew. */
static void
registry_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
		uint32_t version)
{
	struct wl_seat **seat = data;
	if (strcmp(interface, wl_seat_interface.name) == 0 && !*seat)
		*seat = wl_registry_bind(registry, name, &wl_seat_interface, 7);
}

static void
registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {registry_global,
							      registry_global_remove};

/* A kiosk session: sluice on vkms with both devices and one fullscreen window mapped. */
struct session {
	struct wl_registry *registry;
	struct wl_seat *seat;
	struct uinput keyboard, mouse;
	struct th_server *server;
	struct th_client *client;
	struct th_window *window;
	struct th_buffer *buffer;
	struct wl_keyboard *wl_keyboard;
	struct wl_pointer *wl_pointer;
	struct seen seen;
};

/*
 * extra: up to two more sluice arguments, NULL-terminated (or NULL); env: sluice's extra
 * environment (NULL: libseat's noop backend, no VT); user: run sluice as user:video (NULL: root).
 */
static bool
session_start_env(struct session *s, const char *const *extra, const char *const *env,
		  const char *user)
{
	*s = (struct session){.keyboard.fd = -1, .mouse.fd = -1};
	if (!uinput_create(&s->keyboard, true) || !uinput_create(&s->mouse, false))
		return false;
	const char *args[12] = {"--backend",  "drm",	"--drm-device", vkms_path,
				"--renderer", "pixman", "--input",	"libinput"};
	for (int i = 0; extra && extra[i] && i < 3; i++)
		args[8 + i] = extra[i];
	static const char *const noop[] = {"LIBSEAT_BACKEND=noop", NULL};
	s->server = th_server_start_user(args, env ? env : noop, user, user ? "video" : NULL);
	if (!th_check(s->server, "sluice did not start"))
		return false;
	th_check(th_server_log_count(s->server, "added sluice test keyboard") == 1 &&
			 th_server_log_count(s->server, "added sluice test mouse") == 1,
		 "sluice did not find both devices");
	s->client = th_client_connect(s->server);
	s->window = s->client ? th_window_create(s->client) : NULL;
	if (!th_check(s->window, "no window"))
		return false;
	s->buffer = th_shm_buffer_create(s->client, s->window->width, s->window->height, 0);
	if (!th_check(s->buffer, "no buffer"))
		return false;
	th_buffer_fill(s->buffer, 0, 0, s->window->width, s->window->height, 0xff336699u);
	wl_surface_attach(s->window->surface, s->buffer->buffer, 0, 0);
	wl_surface_damage_buffer(s->window->surface, 0, 0, s->window->width, s->window->height);
	wl_surface_commit(s->window->surface);

	s->registry = wl_display_get_registry(s->client->display);
	wl_registry_add_listener(s->registry, &registry_listener, &s->seat);
	if (!th_check(th_roundtrip(s->client) && s->seat, "no wl_seat"))
		return false;
	wl_seat_add_listener(s->seat, &seat_listener, &s->seen);
	if (!th_check(th_dispatch_until(s->client, &s->seen.have_capabilities, 5000),
		      "no seat capabilities"))
		return false;
	uint32_t both = WL_SEAT_CAPABILITY_KEYBOARD | WL_SEAT_CAPABILITY_POINTER;
	if (!th_check((s->seen.capabilities & both) == both,
		      "capabilities %u, not keyboard+pointer", s->seen.capabilities))
		return false;
	s->wl_keyboard = wl_seat_get_keyboard(s->seat);
	wl_keyboard_add_listener(s->wl_keyboard, &keyboard_listener, &s->seen);
	s->wl_pointer = wl_seat_get_pointer(s->seat);
	wl_pointer_add_listener(s->wl_pointer, &pointer_listener, &s->seen);
	return th_check(th_roundtrip(s->client) && th_roundtrip(s->client));
}

static bool
session_start(struct session *s, const char *const *extra)
{
	return session_start_env(s, extra, NULL, NULL);
}

static void
session_finish(struct session *s)
{
	if (s->wl_keyboard)
		wl_keyboard_destroy(s->wl_keyboard);
	if (s->wl_pointer)
		wl_pointer_destroy(s->wl_pointer);
	if (s->seat)
		wl_seat_destroy(s->seat);
	if (s->registry)
		wl_registry_destroy(s->registry);
	if (s->buffer)
		th_buffer_destroy(s->buffer);
	if (s->window)
		th_window_destroy(s->window);
	if (s->client)
		th_client_destroy(s->client);
	if (s->server)
		th_check(th_server_stop(s->server));
	uinput_destroy(&s->keyboard);
	uinput_destroy(&s->mouse);
}

/* Types key and waits until the client has both its press and its release. */
static bool
press_and_release(struct session *s, uint16_t key)
{
	s->seen.key_event = false;
	uinput_emit(&s->keyboard, EV_KEY, key, 1);
	if (!th_check(th_dispatch_until(s->client, &s->seen.key_event, 5000), "no key %u", key) ||
	    !th_check(s->seen.key == key && s->seen.key_state == WL_KEYBOARD_KEY_STATE_PRESSED,
		      "key %u state %u, not %u pressed", s->seen.key, s->seen.key_state, key))
		return false;
	s->seen.key_event = false;
	uinput_emit(&s->keyboard, EV_KEY, key, 0);
	return th_check(th_dispatch_until(s->client, &s->seen.key_event, 5000), "no release of %u",
			key) &&
	       th_check(s->seen.key == key && s->seen.key_state == WL_KEYBOARD_KEY_STATE_RELEASED,
			"key %u state %u, not %u released", s->seen.key, s->seen.key_state, key);
}

static void
test_keyboard(void)
{
	struct session s;
	if (session_start(&s, NULL)) {
		th_check(s.seen.keymap_format == WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1 &&
				 s.seen.keymap_size > 0 && s.seen.keymap_compiles,
			 "keymap format %u, %u bytes", s.seen.keymap_format, s.seen.keymap_size);
		th_check(s.seen.keyboard_focus == s.window->surface,
			 "the window on screen has no keyboard focus");
		press_and_release(&s, KEY_A);
		/* Shift down: a modifiers event with a depressed modifier; up: none left. */
		s.seen.modifiers_event = false;
		uinput_emit(&s.keyboard, EV_KEY, KEY_LEFTSHIFT, 1);
		th_check(th_dispatch_until(s.client, &s.seen.modifiers_event, 5000) &&
				 s.seen.mods_depressed != 0,
			 "Shift pressed, modifiers %u", s.seen.mods_depressed);
		s.seen.modifiers_event = false;
		uinput_emit(&s.keyboard, EV_KEY, KEY_LEFTSHIFT, 0);
		th_check(th_dispatch_until(s.client, &s.seen.modifiers_event, 5000) &&
				 s.seen.mods_depressed == 0,
			 "Shift released, modifiers %u", s.seen.mods_depressed);
	}
	session_finish(&s);
}

static void
test_pointer(void)
{
	struct session s;
	if (session_start(&s, NULL)) {
		th_check(s.seen.pointer_focus == s.window->surface,
			 "the window under the pointer did not get it");
		s.seen.motion = false;
		uinput_emit(&s.mouse, EV_REL, REL_X, 40);
		th_check(th_dispatch_until(s.client, &s.seen.motion, 5000) && s.seen.sx > 0 &&
				 s.seen.frame,
			 "no motion to the right (at %.1f,%.1f)", s.seen.sx, s.seen.sy);
		s.seen.button_event = false;
		uinput_emit(&s.mouse, EV_KEY, BTN_LEFT, 1);
		th_check(th_dispatch_until(s.client, &s.seen.button_event, 5000) &&
				 s.seen.button == BTN_LEFT &&
				 s.seen.button_state == WL_POINTER_BUTTON_STATE_PRESSED,
			 "left button: %u state %u", s.seen.button, s.seen.button_state);
		s.seen.button_event = false;
		uinput_emit(&s.mouse, EV_KEY, BTN_LEFT, 0);
		th_check(th_dispatch_until(s.client, &s.seen.button_event, 5000) &&
				 s.seen.button_state == WL_POINTER_BUTTON_STATE_RELEASED,
			 "left button not released");
		s.seen.axis_event = false;
		uinput_emit(&s.mouse, EV_REL, REL_WHEEL, -1);
		th_check(th_dispatch_until(s.client, &s.seen.axis_event, 5000) &&
				 s.seen.axis == WL_POINTER_AXIS_VERTICAL_SCROLL &&
				 s.seen.axis_value > 0,
			 "wheel down: axis %u value %.2f", s.seen.axis, s.seen.axis_value);
	}
	session_finish(&s);
}

static void
quit_combination(struct session *s)
{
	uinput_emit(&s->keyboard, EV_KEY, KEY_LEFTCTRL, 1);
	uinput_emit(&s->keyboard, EV_KEY, KEY_LEFTALT, 1);
	uinput_emit(&s->keyboard, EV_KEY, KEY_BACKSPACE, 1);
}

static void
test_quit_key(void)
{
	struct session s;
	if (session_start(&s, NULL)) {
		quit_combination(&s);
		th_check(th_server_exits_within(s.server, 10000),
			 "Ctrl+Alt+BackSpace did not stop sluice");
	}
	session_finish(&s);
}

static void
test_no_quit_key(void)
{
	struct session s;
	static const char *const no_quit_key[] = {"--no-quit-key", NULL};
	if (session_start(&s, no_quit_key)) {
		s.seen.key_event = false;
		quit_combination(&s);
		bool got = false;
		for (int i = 0; i < 3 && !got; i++) {
			s.seen.key_event = false;
			th_dispatch_until(s.client, &s.seen.key_event, 5000);
			got = s.seen.key == KEY_BACKSPACE;
		}
		th_check(got, "with --no-quit-key, BackSpace did not reach the client");
		th_check(!th_server_exits_within(s.server, 500), "sluice stopped anyway");
	}
	session_finish(&s);
}

/*
 * --idle-timeout 3: with no input the CRTC goes inactive (display off); mouse motion lights it
 * again and the client's next frame is presented (before it goes off again).
 */
static void
test_idle_blanking(void)
{
	struct session s = {.keyboard.fd = -1, .mouse.fd = -1};
	static const char *const idle[] = {"--idle-timeout", "3", NULL};
	int fd = -1;
	/* Opened after sluice: the first to open a card becomes its DRM master. */
	if (session_start(&s, idle) &&
	    th_check((fd = open(vkms_path, O_RDWR | O_CLOEXEC)) >= 0, "open %s: %s", vkms_path,
		     strerror(errno)) &&
	    /* ACTIVE is an atomic property: only atomic clients see it. */
	    th_check(drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1) == 0, "no atomic KMS")) {
		th_check(th_wait_crtc_active(fd, 0, 15000), "no blanking after 3 s without input");
		uinput_emit(&s.mouse, EV_REL, REL_X, 5);
		th_check(th_wait_crtc_active(fd, 1, 10000), "input did not light the output again");
		wl_surface_attach(s.window->surface, s.buffer->buffer, 0, 0);
		wl_surface_damage_buffer(s.window->surface, 0, 0, 16, 16);
		struct th_presented p;
		th_check(th_commit_and_wait(s.client, s.window->surface, &p),
			 "no frame presented after the output came back");
		th_check(th_server_log_count(s.server, "blanking the outputs") >= 1 &&
				 th_server_log_count(s.server, "lighting the outputs") == 1,
			 "the log does not say it blanked and was lit once");
	}
	session_finish(&s);
	if (fd >= 0)
		close(fd);
}

/* What a wl_touch saw: the last event of each kind. */
struct touch_seen {
	int downs, motions, ups, frames, cancels;
	struct wl_surface *surface;
	int32_t id;
	double x, y; /* of the last down or motion */
};

static void
touch_down(void *data, struct wl_touch *touch, uint32_t serial, uint32_t time,
	   struct wl_surface *surface, int32_t id, wl_fixed_t x, wl_fixed_t y)
{
	struct touch_seen *seen = data;
	seen->downs++;
	seen->surface = surface;
	seen->id = id;
	seen->x = wl_fixed_to_double(x);
	seen->y = wl_fixed_to_double(y);
}

static void
touch_up(void *data, struct wl_touch *touch, uint32_t serial, uint32_t time, int32_t id)
{
	struct touch_seen *seen = data;
	seen->ups += id == seen->id;
}

static void
touch_motion(void *data, struct wl_touch *touch, uint32_t time, int32_t id, wl_fixed_t x,
	     wl_fixed_t y)
{
	struct touch_seen *seen = data;
	seen->motions += id == seen->id;
	seen->x = wl_fixed_to_double(x);
	seen->y = wl_fixed_to_double(y);
}

static void
touch_frame(void *data, struct wl_touch *touch)
{
	((struct touch_seen *)data)->frames++;
}

static void
touch_cancel(void *data, struct wl_touch *touch)
{
	((struct touch_seen *)data)->cancels++;
}

static void
touch_shape(void *data, struct wl_touch *touch, int32_t id, wl_fixed_t major, wl_fixed_t minor)
{
}

static void
touch_orientation(void *data, struct wl_touch *touch, int32_t id, wl_fixed_t orientation)
{
}

static const struct wl_touch_listener touch_listener = {
	touch_down,   touch_up,	   touch_motion,      touch_frame,
	touch_cancel, touch_shape, touch_orientation,
};

/* Dispatches until *counter reaches want; false after 5 s. */
static bool
dispatch_until_count(struct th_client *client, const int *counter, int want)
{
	for (int i = 0; i < 50 && *counter < want; i++) {
		bool never = false;
		th_dispatch_until(client, &never, 100);
	}
	return *counter >= want;
}

/* One finger (slot 0) down at x, y of the screen, as one evdev frame. */
static void
finger_down(struct uinput *screen, int32_t id, int32_t x, int32_t y)
{
	const struct input_event down[] = {
		{.type = EV_ABS, .code = ABS_MT_SLOT, .value = 0},
		{.type = EV_ABS, .code = ABS_MT_TRACKING_ID, .value = id},
		{.type = EV_ABS, .code = ABS_MT_POSITION_X, .value = x},
		{.type = EV_ABS, .code = ABS_MT_POSITION_Y, .value = y},
		{.type = EV_KEY, .code = BTN_TOUCH, .value = 1},
		{.type = EV_ABS, .code = ABS_X, .value = x},
		{.type = EV_ABS, .code = ABS_Y, .value = y},
	};
	uinput_frame(screen, down, sizeof(down) / sizeof(down[0]));
}

static void
finger_up(struct uinput *screen)
{
	const struct input_event up[] = {
		{.type = EV_ABS, .code = ABS_MT_TRACKING_ID, .value = -1},
		{.type = EV_KEY, .code = BTN_TOUCH, .value = 0},
	};
	uinput_frame(screen, up, sizeof(up) / sizeof(up[0]));
}

/*
 * A touch screen: the seat gains the touch capability; a finger down on the window gives
 * wl_touch down at the same place in surface coordinates (the window fills the 1024x768
 * output, the screen's axes span it), then motion, up, each followed by a frame.
 */
static void
test_touch(void)
{
	struct uinput screen = {.fd = -1};
	struct session s = {.keyboard.fd = -1, .mouse.fd = -1};
	struct wl_touch *touch = NULL;
	struct touch_seen seen = {0};
	if (uinput_create_touchscreen(&screen) && session_start(&s, NULL) &&
	    th_check(th_server_log_count(s.server, "added sluice test touchscreen") == 1,
		     "sluice did not find the touchscreen") &&
	    th_check(s.seen.capabilities & WL_SEAT_CAPABILITY_TOUCH, "capabilities %u: no touch",
		     s.seen.capabilities)) {
		touch = wl_seat_get_touch(s.seat);
		wl_touch_add_listener(touch, &touch_listener, &seen);
		th_roundtrip(s.client);
		finger_down(&screen, 7, 256, 192);
		if (th_check(dispatch_until_count(s.client, &seen.frames, 1), "no touch frame") &&
		    th_check(seen.downs == 1, "%d downs", seen.downs)) {
			th_check(seen.surface == s.window->surface, "the down went elsewhere");
			th_check(seen.x > 250 && seen.x < 262 && seen.y > 186 && seen.y < 198,
				 "down at %.1f,%.1f, not near 256,192", seen.x, seen.y);
		}
		const struct input_event move[] = {
			{.type = EV_ABS, .code = ABS_MT_POSITION_X, .value = 512},
			{.type = EV_ABS, .code = ABS_X, .value = 512},
		};
		uinput_frame(&screen, move, sizeof(move) / sizeof(move[0]));
		if (th_check(dispatch_until_count(s.client, &seen.frames, 2), "no second frame"))
			th_check(seen.motions == 1 && seen.x > 506 && seen.x < 518 &&
					 seen.y > 186 && seen.y < 198,
				 "%d motions, at %.1f,%.1f, not near 512,192", seen.motions, seen.x,
				 seen.y);
		finger_up(&screen);
		th_check(dispatch_until_count(s.client, &seen.frames, 3) && seen.ups == 1,
			 "%d ups, %d frames", seen.ups, seen.frames);
		th_check(seen.cancels == 0, "touch cancelled");
	}
	if (touch)
		wl_touch_destroy(touch);
	session_finish(&s);
	uinput_destroy(&screen);
}

/*
 * A touch screen on a turned output turns with its panel: a finger at a panel position lands
 * at the layout position the transform makes of it (worked out from the protocol's words, with
 * the inverse turn), on a window configured to the turned size.
 */
static void
test_touch_turned(void)
{
	static const uint32_t transforms[] = {1, 2, 7};
	for (int i = 0; i < 3; i++) {
		uint32_t t = transforms[i];
		const char *name = th_transform_names[t];
		const char *const extra[] = {"--transform", name, NULL};
		struct uinput screen = {.fd = -1};
		struct session s = {.keyboard.fd = -1, .mouse.fd = -1};
		struct wl_touch *touch = NULL;
		struct touch_seen seen = {0};
		if (uinput_create_touchscreen(&screen) && session_start(&s, extra) &&
		    th_check(s.seen.capabilities & WL_SEAT_CAPABILITY_TOUCH, "%s: no touch",
			     name)) {
			bool swapped = t & 1;
			th_check(s.window->width == (swapped ? 768 : 1024) &&
					 s.window->height == (swapped ? 1024 : 768),
				 "%s: window %dx%d", name, s.window->width, s.window->height);
			touch = wl_seat_get_touch(s.seat);
			wl_touch_add_listener(touch, &touch_listener, &seen);
			th_roundtrip(s.client);
			finger_down(&screen, 9, 256, 192);
			/* Panel pixels → layout: the inverse turn of the 1024x768 panel picture. */
			uint32_t inverse = (t & 4) || !(t & 1) ? t : t ^ 2;
			int32_t lx, ly;
			th_transform_point(inverse, 1024, 768, 256, 192, &lx, &ly);
			if (th_check(dispatch_until_count(s.client, &seen.frames, 1),
				     "%s: no touch frame", name) &&
			    th_check(seen.downs == 1 && seen.surface == s.window->surface,
				     "%s: %d downs, on the window: %d", name, seen.downs,
				     seen.surface == s.window->surface))
				th_check(seen.x > lx - 6 && seen.x < lx + 6 && seen.y > ly - 6 &&
						 seen.y < ly + 6,
					 "%s: a touch at panel 256,192 came down at %.1f,%.1f, not "
					 "near %d,%d",
					 name, seen.x, seen.y, lx, ly);
			finger_up(&screen);
			th_check(dispatch_until_count(s.client, &seen.frames, 2) && seen.ups == 1,
				 "%s: %d ups", name, seen.ups);
		}
		if (touch)
			wl_touch_destroy(touch);
		session_finish(&s);
		uinput_destroy(&screen);
	}
}

/* Moves the mouse and returns once the client knows where the pointer is now. */
static bool
move_mouse(struct session *s, int32_t dx, int32_t dy)
{
	s->seen.motion = false;
	uinput_frame(&s->mouse,
		     (const struct input_event[]){{.type = EV_REL, .code = REL_X, .value = dx},
						  {.type = EV_REL, .code = REL_Y, .value = dy}},
		     2);
	return th_check(th_dispatch_until(s->client, &s->seen.motion, 5000), "no motion");
}

/*
 * A mouse on a turned output moves in the turned layout: pushed far right and down it stops at
 * the layout's corner (767,1023 for a 1024x768 panel at 90), not the panel's.
 */
static void
test_pointer_turned(void)
{
	const char *const extra[] = {"--transform", "90", NULL};
	struct session s;
	if (session_start(&s, extra) && move_mouse(&s, 3000, 3000) && move_mouse(&s, 3000, 3000))
		th_check(s.seen.sx > 766 && s.seen.sx < 768 && s.seen.sy > 1022 && s.seen.sy < 1024,
			 "the pointer stopped at %.1f,%.1f, not the layout's corner 767,1023",
			 s.seen.sx, s.seen.sy);
	session_finish(&s);
}

/*
 * The cursor: the client under the pointer sets a 16x16 red image with hotspot 4,4; the
 * display shows it on top of the window with the hotspot at the pointer (the position the
 * client was told), follows the mouse and restores what was under it; a stale serial is
 * ignored; a null surface hides it.
 */
static void
test_cursor(void)
{
	struct session s;
	struct wl_surface *cursor = NULL;
	struct th_buffer *image = NULL;
	if (session_start(&s, NULL) && move_mouse(&s, 200, 150)) {
		th_check(s.seen.pointer_focus == s.window->surface, "no pointer focus");
		cursor = wl_compositor_create_surface(s.client->compositor);
		image = th_shm_buffer_create(s.client, 16, 16, 0);
		th_require(image);
		th_buffer_fill(image, 0, 0, 16, 16, 0xffff0000u);
		wl_surface_attach(cursor, image->buffer, 0, 0);
		wl_surface_damage_buffer(cursor, 0, 0, 16, 16);
		wl_surface_commit(cursor);
		/* An old serial first: nothing may change. */
		wl_pointer_set_cursor(s.wl_pointer, s.seen.enter_serial - 1, cursor, 4, 4);
		th_roundtrip(s.client);
		int32_t x = (int32_t)s.seen.sx, y = (int32_t)s.seen.sy;
		th_check(th_output_pixel(s.client, 0, x + 4, y + 4) == 0x336699,
			 "a cursor set with a stale serial is shown");
		wl_pointer_set_cursor(s.wl_pointer, s.seen.enter_serial, cursor, 4, 4);
		th_roundtrip(s.client);
		/* The image's top-left is the pointer minus the hotspot; it covers 16x16. */
		th_check(th_output_pixel(s.client, 0, x - 4, y - 4) == 0xff0000 &&
				 th_output_pixel(s.client, 0, x + 11, y + 11) == 0xff0000 &&
				 th_output_pixel(s.client, 0, x - 5, y - 5) == 0x336699 &&
				 th_output_pixel(s.client, 0, x + 12, y + 12) == 0x336699,
			 "the cursor is not 16x16 at %d,%d minus its hotspot", x, y);
		if (move_mouse(&s, 100, 0)) {
			int32_t nx = (int32_t)s.seen.sx, ny = (int32_t)s.seen.sy;
			th_check(nx > x + 20, "the pointer did not move right (%d -> %d)", x, nx);
			th_check(th_output_pixel(s.client, 0, x, y) == 0x336699,
				 "the window was not restored where the cursor was");
			th_check(th_output_pixel(s.client, 0, nx, ny) == 0xff0000,
				 "the cursor did not follow the pointer to %d,%d", nx, ny);
			wl_pointer_set_cursor(s.wl_pointer, s.seen.enter_serial, NULL, 0, 0);
			th_roundtrip(s.client);
			th_check(th_output_pixel(s.client, 0, nx, ny) == 0x336699,
				 "a null cursor surface did not hide it");
		}
	}
	if (cursor)
		wl_surface_destroy(cursor);
	if (image)
		th_buffer_destroy(image);
	session_finish(&s);
}

/* Makes vt the foreground VT and waits up to 10 s for the kernel to finish the switch. */
static bool
vt_switch(int tty0, int vt)
{
	if (!th_check(ioctl(tty0, VT_ACTIVATE, vt) == 0, "VT_ACTIVATE %d: %s", vt, strerror(errno)))
		return false;
	for (int waited = 0; waited < 10000; waited += 100) {
		struct vt_stat state;
		if (ioctl(tty0, VT_GETSTATE, &state) == 0 && state.v_active == vt)
			return true;
		usleep(100000);
	}
	return th_check(false, "VT %d did not become active: sluice's session did not let go", vt);
}

/* The uid a process runs as, from /proc; -1 if unknown. */
static long
process_uid(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	char *status = th_read_file(path);
	const char *uid = status ? strstr(status, "\nUid:") : NULL;
	long value = uid ? strtol(uid + 5, NULL, 10) : -1;
	free(status);
	return value;
}

/*
 * The kiosk on a VT, its session from libseat (env picks the backend; user: sluice runs as that
 * user): switching to another VT takes DRM master and the input devices away from sluice (this
 * test then becomes master and turns the display off, as a console or another compositor
 * would); keys typed meanwhile reach nobody; switching back gives both back, the display lit
 * again with a full modeset, new frames presented and keys delivered.
 */
static void
vt_switch_round(const char *const *env, const char *user)
{
	struct session s = {.keyboard.fd = -1, .mouse.fd = -1};
	int tty0 = open("/dev/tty0", O_RDWR | O_CLOEXEC), fd = -1, home = 0;
	struct vt_stat state;
	uint32_t crtc = 0, active_prop = 0;
	if (th_check(tty0 >= 0 && ioctl(tty0, VT_GETSTATE, &state) == 0, "no VT: %s",
		     strerror(errno)) &&
	    session_start_env(&s, NULL, env, user) &&
	    th_check(th_server_log_count(s.server, "session on seat0") == 1,
		     "sluice is not on a libseat session") &&
	    th_check(!user || process_uid(s.server->pid) == (long)getpwnam(user)->pw_uid,
		     "sluice does not run as %s", user) &&
	    th_check((fd = open(vkms_path, O_RDWR | O_CLOEXEC)) >= 0, "open %s: %s", vkms_path,
		     strerror(errno)) &&
	    th_check(drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1) == 0, "no atomic KMS") &&
	    th_check(th_crtc_active(fd, &crtc, &active_prop) == 1, "the CRTC is not lit") &&
	    th_check(drmSetMaster(fd) != 0, "sluice is not DRM master of %s", vkms_path)) {
		home = state.v_active;
		int away = home == 2 ? 3 : 2;
		th_check(th_output_pixel(s.client, 0, 512, 384) == 0x336699,
			 "the window is not shown");
		if (vt_switch(tty0, away) &&
		    th_check(th_server_wait_log(s.server, ": paused", 1, 10000),
			     "sluice did not pause")) {
			th_check(drmSetMaster(fd) == 0, "sluice kept DRM master: %s",
				 strerror(errno));
			drmModeAtomicReq *req = drmModeAtomicAlloc();
			drmModeAtomicAddProperty(req, crtc, active_prop, 0);
			th_check(drmModeAtomicCommit(fd, req, DRM_MODE_ATOMIC_ALLOW_MODESET,
						     NULL) == 0,
				 "the new master cannot turn the display off: %s", strerror(errno));
			drmModeAtomicFree(req);
			s.seen.key_event = false;
			uinput_emit(&s.keyboard, EV_KEY, KEY_Q, 1);
			uinput_emit(&s.keyboard, EV_KEY, KEY_Q, 0);
			th_dispatch_until(s.client, &s.seen.key_event, 1000);
			th_check(!s.seen.key_event, "a key typed on another VT reached the client");
			drmDropMaster(fd);
		}
		if (vt_switch(tty0, home)) {
			th_check(th_server_wait_log(s.server, ": resumed", 1, 10000),
				 "sluice did not resume");
			th_check(th_wait_crtc_active(fd, 1, 10000),
				 "the display was not lit again");
			th_buffer_fill(s.buffer, 0, 0, s.window->width, s.window->height,
				       0xff993366u);
			wl_surface_attach(s.window->surface, s.buffer->buffer, 0, 0);
			wl_surface_damage_buffer(s.window->surface, 0, 0, s.window->width,
						 s.window->height);
			struct th_presented p;
			th_check(th_commit_and_wait(s.client, s.window->surface, &p) && p.presented,
				 "no frame presented after switching back");
			th_check(th_output_pixel(s.client, 0, 512, 384) == 0x993366,
				 "the new frame is not what the display shows");
			press_and_release(&s, KEY_B);
		}
	}
	session_finish(&s);
	if (tty0 >= 0 && home)
		ioctl(tty0, VT_ACTIVATE, home);
	if (fd >= 0)
		close(fd);
	if (tty0 >= 0)
		close(tty0);
}

/* As root with no session manager: libseat's builtin backend, a seatd of sluice's own. */
static void
test_vt_switch(void)
{
	static const char *const builtin[] = {"LIBSEAT_BACKEND=builtin", NULL};
	vt_switch_round(builtin, NULL);
}

/*
 * The way a device without root runs it: seatd (started here, as a system service would be,
 * for group video) hands an ordinary user's sluice the card and the input devices. The user is
 * nobody, in group video only: it could open neither itself. Then the same VT round trip.
 */
static void
test_seatd_user(void)
{
	pid_t seatd = fork();
	if (seatd == 0) {
		/* Its log shares the test's output, which is TAP: errors only. */
		execlp("seatd", "seatd", "-g", "video", "-l", "error", (char *)NULL);
		_exit(127);
	}
	bool up = false;
	for (int i = 0; i < 50 && !up; i++) {
		up = access("/run/seatd.sock", F_OK) == 0;
		if (!up)
			usleep(100000);
	}
	if (th_check(seatd > 0 && up, "seatd did not start (is it installed?)")) {
		static const char *const env[] = {"LIBSEAT_BACKEND=seatd", NULL};
		vt_switch_round(env, "nobody");
	}
	if (seatd > 0) {
		kill(seatd, SIGTERM);
		waitpid(seatd, NULL, 0);
	}
}

/*
 * ext-image-copy-capture's cursor sessions, now that there is a wl_pointer: refused the way the
 * protocol allows, the cursor's image session stopping at once (sluice's cursor is part of the
 * output's image), while a session on the output itself works; asking for the image session
 * twice is duplicate_session.
 */
static void
test_cursor_capture_refused(void)
{
	struct session s;
	if (session_start(&s, NULL)) {
		struct th_client *c = s.client;
		struct th_image_session output;
		th_require(th_image_session_open(c, 0, 0, &output),
			   "no ext-image-copy-capture session on the output");
		struct ext_image_copy_capture_cursor_session_v1 *cursor =
			ext_image_copy_capture_manager_v1_create_pointer_cursor_session(
				c->image_copy, output.source, s.wl_pointer);
		struct th_image_session image;
		th_image_session_listen(
			ext_image_copy_capture_cursor_session_v1_get_capture_session(cursor),
			&image);
		th_check(th_dispatch_until(c, &image.stopped, 3000) && !image.done,
			 "the cursor's image session did not stop (constraints %d)", image.n_done);
		struct th_buffer *b =
			th_shm_buffer_create(c, (int32_t)output.width, (int32_t)output.height, 1);
		struct th_image_frame frame;
		bool ready = th_image_session_capture(c, &output, b->buffer, 5000, &frame);
		th_check(ready, "the output's session failed (reason %u)", frame.reason);
		uint32_t px = ((uint32_t *)b->data)[10] & 0xffffff;
		th_check(!ready || px == 0x336699, "the output's frame shows 0x%06x", px);
		th_buffer_destroy(b);
		ext_image_copy_capture_cursor_session_v1_get_capture_session(cursor);
		th_check(th_expect_protocol_error(
				 c, &ext_image_copy_capture_cursor_session_v1_interface,
				 EXT_IMAGE_COPY_CAPTURE_CURSOR_SESSION_V1_ERROR_DUPLICATE_SESSION),
			 "a second image session of one cursor session was allowed");
		ext_image_copy_capture_session_v1_destroy(image.session);
		ext_image_copy_capture_cursor_session_v1_destroy(cursor);
		th_image_session_close(&output);
	}
	session_finish(&s);
}

int
main(int argc, char *argv[])
{
	th_require_vkms(vkms_path, sizeof(vkms_path));
	static const struct th_test tests[] = {
		{"keyboard", test_keyboard},
		{"pointer", test_pointer},
		{"quit-key", test_quit_key},
		{"no-quit-key", test_no_quit_key},
		{"idle-blanking", test_idle_blanking},
		{"vt-switch", test_vt_switch},
		{"seatd-user", test_seatd_user},
		{"touch", test_touch},
		{"touch-turned", test_touch_turned},
		{"pointer-turned", test_pointer_turned},
		{"cursor", test_cursor},
		{"cursor-capture-refused", test_cursor_capture_refused},
	};
	return th_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
