/*
 * The protocols toolkits and browsers ask for on top of the core ones: xdg-decoration (sluice
 * always answers server_side: fullscreen windows get no title bar from anyone), xdg-output
 * (each output's place, size and name) and wl_data_device_manager (the clipboard). Errors each
 * with its code and a message.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

struct decoration_state {
	int configures;
	uint32_t mode;
};

static void
decoration_configure(void *data, struct zxdg_toplevel_decoration_v1 *d, uint32_t mode)
{
	struct decoration_state *state = data;
	state->configures++;
	state->mode = mode;
}

static const struct zxdg_toplevel_decoration_v1_listener decoration_listener = {
	.configure = decoration_configure,
};

static struct th_server *
start(void)
{
	const char *const args[] = {"--headless", "640x480", "--headless", "320x240@30", NULL};
	return th_server_start(args);
}

static void
test_decoration_server_side(void)
{
	struct th_server *server = start();
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c && c->decoration);
	struct th_window *w = th_window_create(c);
	th_require(w);
	int before = w->configure_count;
	struct decoration_state state = {0};
	struct zxdg_toplevel_decoration_v1 *d =
		zxdg_decoration_manager_v1_get_toplevel_decoration(c->decoration, w->toplevel);
	zxdg_toplevel_decoration_v1_add_listener(d, &decoration_listener, &state);
	/* The answer comes with a new configure sequence, which the client acks. */
	th_check(th_window_wait_configure(w), "no xdg_surface configure after the decoration");
	th_check(state.configures == 1 &&
			 state.mode == ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE,
		 "%d configures, mode %u (want 1, server_side)", state.configures, state.mode);
	zxdg_toplevel_decoration_v1_set_mode(d, ZXDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE);
	th_check(th_window_wait_configure(w), "no configure after set_mode");
	th_check(state.configures == 2 &&
			 state.mode == ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE,
		 "asking for client_side must still get server_side (mode %u)", state.mode);
	zxdg_toplevel_decoration_v1_unset_mode(d);
	th_check(th_window_wait_configure(w) && state.configures == 3, "no configure after unset");
	th_check(w->configure_count == before + 3, "%d xdg configures",
		 w->configure_count - before);
	/* The toplevel goes first: the decoration is inert, not a crash. */
	th_window_destroy(w);
	zxdg_toplevel_decoration_v1_set_mode(d, ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE);
	zxdg_toplevel_decoration_v1_destroy(d);
	th_check(th_roundtrip(c), "the connection must survive");
	th_client_destroy(c);
	th_check(th_server_stop(server));
}

static void
test_decoration_errors(void)
{
	struct th_server *server = start();
	th_require(server);

	struct th_client *c = th_client_connect(server);
	struct th_window *w = c ? th_window_create(c) : NULL;
	th_require(w);
	zxdg_decoration_manager_v1_get_toplevel_decoration(c->decoration, w->toplevel);
	zxdg_decoration_manager_v1_get_toplevel_decoration(c->decoration, w->toplevel);
	const char *const already[] = {"already has a decoration", NULL};
	th_check(th_expect_protocol_error_msg(c, &zxdg_decoration_manager_v1_interface,
					      ZXDG_TOPLEVEL_DECORATION_V1_ERROR_ALREADY_CONSTRUCTED,
					      already));
	th_client_destroy(c);

	/* A buffer attached before the first configure. */
	c = th_client_connect(server);
	th_require(c);
	struct wl_surface *surface = wl_compositor_create_surface(c->compositor);
	struct xdg_surface *xs = xdg_wm_base_get_xdg_surface(c->wm_base, surface);
	struct xdg_toplevel *top = xdg_surface_get_toplevel(xs);
	struct th_buffer *b = th_shm_buffer_create(c, 32, 32, 0);
	wl_surface_attach(surface, b->buffer, 0, 0);
	zxdg_decoration_manager_v1_get_toplevel_decoration(c->decoration, top);
	const char *const unconfigured[] = {"buffer attached before its first configure", NULL};
	th_check(th_expect_protocol_error_msg(c, &zxdg_decoration_manager_v1_interface,
					      ZXDG_TOPLEVEL_DECORATION_V1_ERROR_UNCONFIGURED_BUFFER,
					      unconfigured));
	th_buffer_destroy(b);
	th_client_destroy(c);

	c = th_client_connect(server);
	w = c ? th_window_create(c) : NULL;
	th_require(w);
	struct zxdg_toplevel_decoration_v1 *d =
		zxdg_decoration_manager_v1_get_toplevel_decoration(c->decoration, w->toplevel);
	zxdg_toplevel_decoration_v1_set_mode(d, 7);
	const char *const mode[] = {"decoration mode 7", NULL};
	th_check(th_expect_protocol_error_msg(c, &zxdg_toplevel_decoration_v1_interface,
					      WL_DISPLAY_ERROR_INVALID_METHOD, mode));
	th_client_destroy(c);
	th_check(th_server_stop(server));
}

static void
test_xdg_output(void)
{
	struct th_server *server = start();
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c && c->xdg_output && c->n_outputs == 2);
	struct th_xdg_output states[2] = {0};
	struct zxdg_output_v1 *outputs[2];
	for (int i = 0; i < 2; i++) {
		c->outputs[i].done = false;
		outputs[i] = th_xdg_output_get(c, i, &states[i]);
	}
	th_check(th_roundtrip(c));
	for (int i = 0; i < 2; i++) {
		struct th_xdg_output *s = &states[i];
		th_note("xdg_output %d: %s at %d,%d, %dx%d, \"%s\"", i, s->name, s->x, s->y,
			s->width, s->height, s->description);
		th_check(s->width == c->outputs[i].width && s->height == c->outputs[i].height,
			 "logical size %dx%d, mode %dx%d", s->width, s->height, c->outputs[i].width,
			 c->outputs[i].height);
		th_check(strcmp(s->name, c->outputs[i].name) == 0 && s->description[0],
			 "name '%s' (wl_output says '%s')", s->name, c->outputs[i].name);
		/* Version 3: the update ends with wl_output.done, not xdg_output.done. */
		th_check(c->outputs[i].done && !s->xdg_done,
			 "wl_output.done %d, xdg_output.done %d", c->outputs[i].done, s->xdg_done);
	}
	th_check(states[0].x != states[1].x || states[0].y != states[1].y,
		 "two outputs at the same place");
	for (int i = 0; i < 2; i++)
		zxdg_output_v1_destroy(outputs[i]);
	th_client_destroy(c);
	th_check(th_server_stop(server));
}

/* ---- the clipboard ---- */

struct clipboard {
	struct wl_data_device *device;
	struct wl_data_offer *offer; /* the selection's, or NULL */
	bool selection_event;
	char mime[64];
};

static void
offer_offer(void *data, struct wl_data_offer *offer, const char *mime_type)
{
	struct clipboard *c = data;
	snprintf(c->mime, sizeof(c->mime), "%s", mime_type);
}

static void
offer_source_actions(void *data, struct wl_data_offer *offer, uint32_t actions)
{
}

static void
offer_action(void *data, struct wl_data_offer *offer, uint32_t action)
{
}

static const struct wl_data_offer_listener offer_listener = {offer_offer, offer_source_actions,
							     offer_action};

static void
device_data_offer(void *data, struct wl_data_device *device, struct wl_data_offer *offer)
{
	wl_data_offer_add_listener(offer, &offer_listener, data);
}

static void
device_enter(void *data, struct wl_data_device *device, uint32_t serial, struct wl_surface *surface,
	     wl_fixed_t x, wl_fixed_t y, struct wl_data_offer *offer)
{
}

static void
device_leave(void *data, struct wl_data_device *device)
{
}

static void
device_motion(void *data, struct wl_data_device *device, uint32_t time, wl_fixed_t x, wl_fixed_t y)
{
}

static void
device_drop(void *data, struct wl_data_device *device)
{
}

static void
device_selection(void *data, struct wl_data_device *device, struct wl_data_offer *offer)
{
	struct clipboard *c = data;
	if (c->offer && c->offer != offer)
		wl_data_offer_destroy(c->offer);
	c->offer = offer;
	c->selection_event = true;
}

static const struct wl_data_device_listener device_listener = {
	device_data_offer, device_enter, device_leave, device_motion, device_drop, device_selection,
};

static void
source_target(void *data, struct wl_data_source *source, const char *mime_type)
{
}

/* Answers a paste: writes the text into the receiver's pipe. */
static void
source_send(void *data, struct wl_data_source *source, const char *mime_type, int32_t fd)
{
	const char *text = data;
	th_check(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write to the pipe");
	close(fd);
}

static bool source_cancelled_seen;

static void
source_cancelled(void *data, struct wl_data_source *source)
{
	source_cancelled_seen = true;
}

static const struct wl_data_source_listener source_listener = {
	.target = source_target,
	.send = source_send,
	.cancelled = source_cancelled,
};

struct clipboard_client {
	struct th_client *client;
	struct th_window *window;
	struct th_buffer *buffer;
	struct clipboard clipboard;
};

/* Connects, maps a window (which then has keyboard focus) and gets a data device. */
static bool
clipboard_client_start(struct th_server *server, struct clipboard_client *cc)
{
	*cc = (struct clipboard_client){.client = th_client_connect(server)};
	cc->window = cc->client ? th_window_create(cc->client) : NULL;
	if (!th_check(cc->window && cc->client->data_device_manager && cc->client->seat,
		      "no window, wl_data_device_manager or wl_seat"))
		return false;
	cc->buffer = th_shm_buffer_create(cc->client, cc->window->width, cc->window->height, 0);
	if (!th_check(cc->buffer))
		return false;
	wl_surface_attach(cc->window->surface, cc->buffer->buffer, 0, 0);
	wl_surface_commit(cc->window->surface);
	cc->clipboard.device = wl_data_device_manager_get_data_device(
		cc->client->data_device_manager, cc->client->seat);
	wl_data_device_add_listener(cc->clipboard.device, &device_listener, &cc->clipboard);
	return th_roundtrip(cc->client);
}

static void
clipboard_client_finish(struct clipboard_client *cc)
{
	if (cc->clipboard.offer)
		wl_data_offer_destroy(cc->clipboard.offer);
	if (cc->clipboard.device)
		wl_data_device_destroy(cc->clipboard.device);
	if (cc->buffer)
		th_buffer_destroy(cc->buffer);
	if (cc->window)
		th_window_destroy(cc->window);
	if (cc->client)
		th_client_destroy(cc->client);
}

/* Pastes from `to`'s current offer; `from` owns the source and must answer. */
static bool
paste(struct clipboard_client *to, struct clipboard_client *from, char *out, size_t size)
{
	int fds[2];
	if (!to->clipboard.offer || pipe(fds) < 0)
		return false;
	wl_data_offer_receive(to->clipboard.offer, to->clipboard.mime, fds[1]);
	close(fds[1]);
	wl_display_flush(to->client->display);
	th_roundtrip(from->client); /* the source's send event, written and closed */
	ssize_t n = read(fds[0], out, size - 1);
	close(fds[0]);
	out[n > 0 ? n : 0] = '\0';
	return n > 0;
}

static void
test_clipboard(void)
{
	struct th_server *server = th_server_start(NULL);
	th_require(server);
	static const char text[] = "sluice clipboard";
	struct clipboard_client a, b;
	if (clipboard_client_start(server, &a)) {
		struct wl_data_source *source =
			wl_data_device_manager_create_data_source(a.client->data_device_manager);
		wl_data_source_add_listener(source, &source_listener, (void *)text);
		wl_data_source_offer(source, "text/plain;charset=utf-8");
		wl_data_device_set_selection(a.clipboard.device, source, 0);
		th_check(th_roundtrip(a.client) && a.clipboard.offer &&
				 strcmp(a.clipboard.mime, "text/plain;charset=utf-8") == 0,
			 "the focused client got no offer of its own selection (mime '%s')",
			 a.clipboard.mime);
		char got[64];
		th_check(paste(&a, &a, got, sizeof(got)) && strcmp(got, text) == 0,
			 "paste within one client: '%s'", got);

		/* A second window takes the focus, and with it the selection. */
		if (clipboard_client_start(server, &b)) {
			th_roundtrip(b.client);
			th_check(b.clipboard.offer != NULL,
				 "the newly focused client got no offer");
			th_check(paste(&b, &a, got, sizeof(got)) && strcmp(got, text) == 0,
				 "paste across clients: '%s'", got);
			/* A client without focus cannot take the clipboard over. */
			struct wl_data_source *ignored = wl_data_device_manager_create_data_source(
				a.client->data_device_manager);
			wl_data_source_offer(ignored, "text/plain");
			wl_data_device_set_selection(a.clipboard.device, ignored, 0);
			th_roundtrip(a.client);
			th_roundtrip(b.client);
			th_check(strcmp(b.clipboard.mime, "text/plain;charset=utf-8") == 0 &&
					 !source_cancelled_seen,
				 "an unfocused client replaced the selection");
			wl_data_source_destroy(ignored);
			/* The owner withdraws it: the focused client hears there is none. */
			b.clipboard.selection_event = false;
			wl_data_source_destroy(source);
			th_roundtrip(a.client);
			th_check(th_dispatch_until(b.client, &b.clipboard.selection_event, 2000) &&
					 b.clipboard.offer == NULL,
				 "no empty selection after the source went away");
			/* A source can be the selection once. */
			struct wl_data_source *once = wl_data_device_manager_create_data_source(
				b.client->data_device_manager);
			wl_data_device_set_selection(b.clipboard.device, once, 0);
			wl_data_device_set_selection(b.clipboard.device, NULL, 0);
			wl_data_device_set_selection(b.clipboard.device, once, 0);
			const char *const used[] = {"already used", NULL};
			th_check(th_expect_protocol_error_msg(b.client, &wl_data_source_interface,
							      WL_DATA_SOURCE_ERROR_INVALID_SOURCE,
							      used));
		}
		clipboard_client_finish(&b);
	}
	clipboard_client_finish(&a);
	th_check(th_server_stop(server));
}

int
main(int argc, char *argv[])
{
	static const struct th_test tests[] = {
		{"decoration-server-side", test_decoration_server_side},
		{"decoration-errors", test_decoration_errors},
		{"xdg-output", test_xdg_output},
		{"clipboard", test_clipboard},
	};
	return th_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
