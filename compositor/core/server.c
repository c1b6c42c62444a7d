/* The core of the compositor: display, event loops, outputs, and globals retired at run time. */
#include "core/server.h"

#include <stdlib.h>

#include "log.h"
#include "core/loop.h"
#include "core/output.h"
#include "core/renderer.h"

struct sl_output *
server_primary_output(struct sl_server *server)
{
	if (wl_list_empty(&server->outputs))
		return NULL;
	struct sl_output *output = wl_container_of(server->outputs.next, output, link);
	return output;
}

/* How long a removed global stays bindable (inert) for clients that had not seen it go. */
#define RETIRE_MS 5000

struct retired_global {
	struct wl_list link; /* sl_server.retired_globals */
	struct wl_global *global;
	struct wl_event_source *timer;
};

static void
retired_global_free(struct retired_global *retired)
{
	wl_event_source_remove(retired->timer);
	wl_list_remove(&retired->link);
	free(retired);
}

static int
handle_retired_global_timer(void *data)
{
	struct retired_global *retired = data;
	wl_global_destroy(retired->global);
	retired_global_free(retired);
	return 0;
}

void
server_retire_global(struct sl_server *server, struct wl_global *global)
{
	wl_global_remove(global);
	struct retired_global *retired = calloc(1, sizeof(*retired));
	if (retired)
		retired->timer =
			wl_event_loop_add_timer(server->loop, handle_retired_global_timer, retired);
	if (!retired || !retired->timer) {
		/* Then it lives on, inert, until the display is destroyed. */
		free(retired);
		return;
	}
	retired->global = global;
	wl_event_source_timer_update(retired->timer, RETIRE_MS);
	wl_list_insert(&server->retired_globals, &retired->link);
}

bool
server_init(struct sl_server *server, const struct sl_options *options)
{
	*server = (struct sl_server){.options = *options, .main_device_fd = -1};
	wl_list_init(&server->outputs);
	wl_list_init(&server->retired_globals);
	wl_list_init(&server->fifo_surfaces);
	scene_init(&server->scene);
	wl_signal_init(&server->events.new_output);
	wl_signal_init(&server->events.outputs_changed);
	wl_signal_init(&server->events.surface_commit);
	wl_signal_init(&server->events.input_activity);

	server->display = wl_display_create();
	if (!server->display) {
		log_error("server", "cannot create the Wayland display");
		return false;
	}
	server->main_loop =
		sl_loop_create(server->display, &server->stats, options->extra_commits_per_s);
	if (!server->main_loop) {
		server_finish(server);
		return false;
	}
	server->loop = sl_loop_priority(server->main_loop);
	return true;
}

void
server_destroy_clients(struct sl_server *server)
{
	if (server->display)
		wl_display_destroy_clients(server->display);
}

void
server_finish(struct sl_server *server)
{
	if (!server->display)
		return;
	struct sl_output *output, *tmp;
	wl_list_for_each_safe (output, tmp, &server->outputs, link)
		sl_output_destroy(output);
	/* Their globals go with the display. */
	struct retired_global *retired, *retired_tmp;
	wl_list_for_each_safe (retired, retired_tmp, &server->retired_globals, link)
		retired_global_free(retired);
	wl_display_destroy(server->display);
	server->display = NULL;
	sl_loop_destroy(server->main_loop);
	server->main_loop = NULL;
	server->loop = NULL;
	if (server->renderer)
		server->renderer->impl->destroy(server->renderer);
	server->renderer = NULL;
	sl_format_set_finish(&server->scanout_formats);
	if (server->options.stats_path)
		stats_write(&server->stats, server->options.stats_path);
}
