/*
 * The protocols toolkits and browsers ask for on top of the core ones: xdg-decoration (sluice
 * always answers server_side: fullscreen windows get no title bar from anyone) and xdg-output
 * (each output's place, size and name). Errors each with its code and a message.
 */
#include <stdio.h>
#include <string.h>

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

struct xdg_output_state {
	int32_t x, y, width, height;
	char name[32], description[128];
	bool xdg_done;
};

static void
xo_position(void *data, struct zxdg_output_v1 *o, int32_t x, int32_t y)
{
	struct xdg_output_state *s = data;
	s->x = x;
	s->y = y;
}

static void
xo_size(void *data, struct zxdg_output_v1 *o, int32_t w, int32_t h)
{
	struct xdg_output_state *s = data;
	s->width = w;
	s->height = h;
}

static void
xo_done(void *data, struct zxdg_output_v1 *o)
{
	((struct xdg_output_state *)data)->xdg_done = true;
}

static void
xo_name(void *data, struct zxdg_output_v1 *o, const char *name)
{
	struct xdg_output_state *s = data;
	snprintf(s->name, sizeof(s->name), "%s", name);
}

static void
xo_description(void *data, struct zxdg_output_v1 *o, const char *description)
{
	struct xdg_output_state *s = data;
	snprintf(s->description, sizeof(s->description), "%s", description);
}

static const struct zxdg_output_v1_listener xdg_output_listener = {
	xo_position, xo_size, xo_done, xo_name, xo_description,
};

static void
test_xdg_output(void)
{
	struct th_server *server = start();
	th_require(server);
	struct th_client *c = th_client_connect(server);
	th_require(c && c->xdg_output && c->n_outputs == 2);
	struct xdg_output_state states[2] = {0};
	struct zxdg_output_v1 *outputs[2];
	for (int i = 0; i < 2; i++) {
		c->outputs[i].done = false;
		outputs[i] =
			zxdg_output_manager_v1_get_xdg_output(c->xdg_output, c->outputs[i].output);
		zxdg_output_v1_add_listener(outputs[i], &xdg_output_listener, &states[i]);
	}
	th_check(th_roundtrip(c));
	for (int i = 0; i < 2; i++) {
		struct xdg_output_state *s = &states[i];
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

int
main(int argc, char *argv[])
{
	static const struct th_test tests[] = {
		{"decoration-server-side", test_decoration_server_side},
		{"decoration-errors", test_decoration_errors},
		{"xdg-output", test_xdg_output},
	};
	return th_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
