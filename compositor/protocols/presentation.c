/* wp_presentation: per-commit feedback on when (and how) content reached the screen. */
#include <assert.h>
#include <presentation-time-server-protocol.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "core/output.h"
#include "core/resource.h"
#include "protocols/protocols.h"
#include "core/server.h"
#include "core/surface.h"

static_assert((int)SL_PRESENT_VSYNC == (int)WP_PRESENTATION_FEEDBACK_KIND_VSYNC &&
		      (int)SL_PRESENT_HW_CLOCK == (int)WP_PRESENTATION_FEEDBACK_KIND_HW_CLOCK &&
		      (int)SL_PRESENT_HW_COMPLETION ==
			      (int)WP_PRESENTATION_FEEDBACK_KIND_HW_COMPLETION &&
		      (int)SL_PRESENT_ZERO_COPY == (int)WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY,
	      "the core's presentation flags are the protocol's");

/* One wp_presentation_feedback: told once, then destroyed. */
struct presentation_feedback {
	struct sl_feedback base;
	struct wl_resource *resource;
};

static void
feedback_presented(struct sl_feedback *base, struct sl_output *output, int64_t time_ns,
		   uint64_t msc, uint32_t flags)
{
	struct presentation_feedback *feedback = wl_container_of(base, feedback, base);
	uint64_t sec = (uint64_t)(time_ns / 1000000000);
	uint32_t nsec = (uint32_t)(time_ns % 1000000000);
	uint32_t refresh = output->refresh_ns > 0 ? (uint32_t)output->refresh_ns : 0;
	struct wl_resource *resource = feedback->resource;
	struct wl_client *client = wl_resource_get_client(resource);
	struct wl_resource *output_resource;
	wl_resource_for_each (output_resource, &output->resources)
		if (wl_resource_get_client(output_resource) == client)
			wp_presentation_feedback_send_sync_output(resource, output_resource);
	wp_presentation_feedback_send_presented(resource, (uint32_t)(sec >> 32), (uint32_t)sec,
						nsec, refresh, (uint32_t)(msc >> 32), (uint32_t)msc,
						flags);
	wl_resource_destroy(resource);
}

static void
feedback_discarded(struct sl_feedback *base)
{
	struct presentation_feedback *feedback = wl_container_of(base, feedback, base);
	wp_presentation_feedback_send_discarded(feedback->resource);
	wl_resource_destroy(feedback->resource);
}

static const struct sl_feedback_impl feedback_impl = {
	.presented = feedback_presented,
	.discarded = feedback_discarded,
};

static void
feedback_handle_resource_destroy(struct wl_resource *resource)
{
	struct presentation_feedback *feedback = wl_resource_get_user_data(resource);
	/* Told and gone, or its client went away first: off whatever list holds it. */
	wl_list_remove(&feedback->base.link);
	free(feedback);
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
	struct presentation_feedback *feedback = calloc(1, sizeof(*feedback));
	if (!feedback) {
		wl_client_post_no_memory(client);
		return;
	}
	feedback->base.impl = &feedback_impl;
	feedback->resource = sl_resource_create(client, &wp_presentation_feedback_interface,
						wl_resource_get_version(resource), id, NULL,
						feedback, feedback_handle_resource_destroy);
	if (!feedback->resource) {
		free(feedback);
		return;
	}
	wl_list_insert(surface->pending.feedbacks.prev, &feedback->base.link);
	surface->pending.committed |= SL_STATE_FEEDBACK;
}

static const struct wp_presentation_interface presentation_impl = {
	.destroy = presentation_handle_destroy,
	.feedback = presentation_handle_feedback,
};

static void
presentation_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource =
		sl_resource_create(client, &wp_presentation_interface, (int)version, id,
				   &presentation_impl, data, NULL);
	if (!resource)
		return;
	/* Every timestamp sluice reports is CLOCK_MONOTONIC, whatever the backend. */
	wp_presentation_send_clock_id(resource, CLOCK_MONOTONIC);
}

bool
presentation_global_init(struct sl_server *server)
{
	/*
	 * Version 2 only changes what refresh may be for a display without a fixed rate; every
	 * output sluice drives has one, and tells it in both versions.
	 */
	struct wl_global *global = wl_global_create(server->display, &wp_presentation_interface, 2,
						    server, presentation_bind);
	return global != NULL;
}
