/* Assembling the compositor: which modules exist, and the order they come and go in. */
#include "sluice.h"

#include "backends/session.h"
#include "core/renderer.h"
#include "log.h"
#include "features/strict.h"
#include "input/idle.h"
#include "input/input.h"
#include "protocols/data-device.h"
#include "protocols/dmabuf.h"
#include "protocols/protocols.h"
#include "renderers/pixman.h"

bool
sluice_init(struct sluice *sl, const struct sluice_options *options)
{
	*sl = (struct sluice){.options = *options};
	struct sl_server *server = &sl->server;
	if (!server_init(server, &options->core))
		return false;
	server->renderer = renderer_pixman_create();
	if (!server->renderer) {
		log_error("server", "cannot create the pixman renderer");
		return false;
	}
	server->renderer->stats = &server->stats;
	if (!compositor_global_init(server) || !subcompositor_global_init(server) ||
	    !shm_global_init(server) || !xdg_shell_global_init(server) ||
	    !presentation_global_init(server) || !viewporter_global_init(server) ||
	    !single_pixel_buffer_global_init(server) ||
	    /* The globals' order is the fuzz corpus's: new ones go last. */
	    !(sl->seat = seat_create(server, &options->seat)) ||
	    !xdg_decoration_global_init(server) || !xdg_output_global_init(server) ||
	    !(sl->data_device = data_device_manager_create(server, sl->seat))) {
		log_error("server", "cannot create the protocol globals");
		return false;
	}
	if (options->strict) {
		/* strict_create() says why it failed. */
		sl->strict = strict_create(server, options->strict_report_dir,
					   options->strict_frame_limit);
		if (!sl->strict)
			return false;
	}
	if (options->capture && !capture_global_init(server)) {
		log_error("server", "cannot create the capture global");
		return false;
	}
	return true;
}

bool
sluice_init_device_protocols(struct sluice *sl)
{
	sl->dmabuf = dmabuf_create(&sl->server);
	if (!sl->dmabuf)
		return false;
	if (sl->strict)
		strict_attach_dmabuf(sl->strict, sl->dmabuf);
	/* Not device protocols, but made last: the fuzz corpus numbers the globals in order. */
	return linux_explicit_sync_global_init(&sl->server) &&
	       drm_syncobj_global_init(&sl->server) && pacing_globals_init(&sl->server) &&
	       (!sl->options.capture || screencopy_global_init(&sl->server)) &&
	       tearing_control_global_init(&sl->server) &&
	       (!sl->options.capture || image_copy_capture_globals_init(&sl->server)) &&
	       color_representation_global_init(&sl->server);
}

void
sluice_finish(struct sluice *sl)
{
	struct sl_server *server = &sl->server;
	if (!server->display)
		return;
	/* Clients first: their resources reference outputs and the renderer. */
	server_destroy_clients(server);
	idle_destroy(sl->idle);
	sl->idle = NULL;
	input_destroy(sl->input);
	sl->input = NULL;
	/* Before the seat, whose focus it follows. */
	data_device_manager_destroy(sl->data_device);
	sl->data_device = NULL;
	seat_destroy(sl->seat);
	sl->seat = NULL;
	/* Before linux-dmabuf, which it listens to. */
	strict_destroy(sl->strict);
	sl->strict = NULL;
	dmabuf_destroy(sl->dmabuf);
	sl->dmabuf = NULL;
	if (sl->backend_destroy)
		sl->backend_destroy(sl->backend);
	sl->backend_destroy = NULL;
	sl->backend = NULL;
	/* After the backend and input, which close their devices through it. */
	session_destroy(sl->session);
	sl->session = NULL;
	shm_global_finish();
	server_finish(server);
}
