/* wp_presentation: per-commit feedback on when (and how) content reached the screen. */
#include "presentation.h"

#include <presentation-time-server-protocol.h>
#include <time.h>

#include "log.h"
#include "output.h"
#include "resource.h"
#include "server.h"
#include "surface.h"

void
presentation_feedback_discard_list(struct wl_list *feedbacks)
{
	struct wl_resource *resource, *tmp;
	wl_resource_for_each_safe (resource, tmp, feedbacks) {
		wp_presentation_feedback_send_discarded(resource);
		wl_resource_destroy(resource);
	}
}

void
presentation_feedback_send_presented(struct wl_list *feedbacks, struct sl_output *output,
				     int64_t time_ns, uint64_t msc, uint32_t flags)
{
	uint64_t sec = (uint64_t)(time_ns / 1000000000);
	uint32_t nsec = (uint32_t)(time_ns % 1000000000);
	uint32_t refresh = output->refresh_ns > 0 ? (uint32_t)output->refresh_ns : 0;

	struct wl_resource *resource, *tmp;
	wl_resource_for_each_safe (resource, tmp, feedbacks) {
		struct wl_client *client = wl_resource_get_client(resource);
		struct wl_resource *output_resource;
		wl_resource_for_each (output_resource, &output->resources)
			if (wl_resource_get_client(output_resource) == client)
				wp_presentation_feedback_send_sync_output(resource,
									  output_resource);
		wp_presentation_feedback_send_presented(
			resource, (uint32_t)(sec >> 32), (uint32_t)sec, nsec, refresh,
			(uint32_t)(msc >> 32), (uint32_t)msc, flags);
		wl_resource_destroy(resource);
	}
}

static void
presentation_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
presentation_handle_feedback(struct wl_client *client, struct wl_resource *resource,
			     struct wl_resource *surface_resource, uint32_t id)
{
	struct sl_surface *surface = sl_surface_from_resource(surface_resource);
	struct wl_resource *feedback = sl_resource_create(
		client, &wp_presentation_feedback_interface, 1, id, NULL, NULL, sl_resource_unlink);
	if (!feedback)
		return;
	wl_list_insert(surface->pending.feedbacks.prev, wl_resource_get_link(feedback));
	surface->pending.committed |= SL_STATE_FEEDBACK;
}

static const struct wp_presentation_interface presentation_impl = {
	.destroy = presentation_handle_destroy,
	.feedback = presentation_handle_feedback,
};

static void
presentation_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource = sl_resource_create(client, &wp_presentation_interface, 1, id,
							  &presentation_impl, data, NULL);
	if (!resource)
		return;
	/* Every timestamp sluice reports is CLOCK_MONOTONIC, whatever the backend. */
	wp_presentation_send_clock_id(resource, CLOCK_MONOTONIC);
}

bool
presentation_global_init(struct sl_server *server)
{
	server->presentation_global = wl_global_create(server->display, &wp_presentation_interface,
						       1, server, presentation_bind);
	return server->presentation_global != NULL;
}
