/*
 * wp_fifo_manager_v1, wp_commit_timing_manager_v1 and wp_tearing_control_manager_v1: a client's
 * say in when its content updates are shown (a refresh after the previous one, not before a
 * time, at once rather than at a vblank). All three only set double-buffered state;
 * core/pacing.c holds the commits that wait, core/output.c and the backend decide on tearing.
 */
#include <commit-timing-v1-server-protocol.h>
#include <fifo-v1-server-protocol.h>
#include <tearing-control-v1-server-protocol.h>
#include <assert.h>
#include <stdlib.h>

#include "core/resource.h"
#include "core/server.h"
#include "core/surface.h"
#include "protocols/protocols.h"

/*
 * A per-surface object of any of the three: one of a kind per surface at a time (the surface's slot
 * points at it), inert once the surface is gone.
 */
struct pacing_object {
	struct wl_resource *resource;
	struct sl_surface *surface; /* NULL once the surface is gone */
	void **slot;		    /* the surface's fifo_object, commit_timer_object, ... */
	struct wl_listener surface_destroy;
	/* Optional: what destroying the object does to the surface's pending state. */
	void (*destroyed)(struct sl_surface *surface);
};

static void
object_detach(struct pacing_object *object)
{
	if (!object->surface)
		return;
	*object->slot = NULL;
	wl_list_remove(&object->surface_destroy.link);
	object->surface = NULL;
}

static void
object_handle_surface_destroy(struct wl_listener *listener, void *data)
{
	struct pacing_object *object = wl_container_of(listener, object, surface_destroy);
	object_detach(object);
}

static void
object_handle_resource_destroy(struct wl_resource *resource)
{
	struct pacing_object *object = wl_resource_get_user_data(resource);
	/* fifo and commit timing: what it put into pending state stays, as they say. */
	if (object->surface && object->destroyed)
		object->destroyed(object->surface);
	object_detach(object);
	free(object);
}

static void
object_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

/* The object's surface, or NULL with the protocol's surface_destroyed error posted. */
static struct sl_surface *
object_surface_or_error(struct wl_resource *resource, uint32_t code)
{
	struct pacing_object *object = wl_resource_get_user_data(resource);
	if (!object->surface)
		wl_resource_post_error(resource, code, "the wl_surface of this %s was destroyed",
				       wl_resource_get_class(resource));
	return object->surface;
}

static void **
object_slot(struct sl_surface *surface, const struct wl_interface *interface)
{
	if (interface == &wp_fifo_v1_interface)
		return &surface->fifo_object;
	if (interface == &wp_commit_timer_v1_interface)
		return &surface->commit_timer_object;
	assert(interface == &wp_tearing_control_v1_interface);
	return &surface->tearing_object;
}

/* Makes the surface's object of one kind, or posts exists_code on the manager (NULL). */
static struct pacing_object *
object_create(struct wl_client *client, struct wl_resource *manager, uint32_t id,
	      struct wl_resource *surface_resource, const struct wl_interface *interface,
	      const void *impl, uint32_t exists_code)
{
	struct sl_surface *surface = sl_surface_from_resource(surface_resource);
	void **slot = object_slot(surface, interface);
	if (*slot) {
		wl_resource_post_error(manager, exists_code, "wl_surface@%u already has a %s",
				       wl_resource_get_id(surface_resource), interface->name);
		return NULL;
	}
	struct pacing_object *object = calloc(1, sizeof(*object));
	if (!object) {
		wl_client_post_no_memory(client);
		return NULL;
	}
	object->resource = sl_resource_create(client, interface, 1, id, impl, object,
					      object_handle_resource_destroy);
	if (!object->resource) {
		free(object);
		return NULL;
	}
	object->surface = surface;
	object->slot = slot;
	*slot = object;
	object->surface_destroy.notify = object_handle_surface_destroy;
	wl_signal_add(&surface->events.destroy, &object->surface_destroy);
	return object;
}

static void
manager_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

/* ---- wp_fifo_v1 ---- */

static void
fifo_handle_set_barrier(struct wl_client *client, struct wl_resource *resource)
{
	struct sl_surface *surface =
		object_surface_or_error(resource, WP_FIFO_V1_ERROR_SURFACE_DESTROYED);
	if (!surface)
		return;
	surface->pending.fifo_set_barrier = true;
	surface->pending.committed |= SL_STATE_FIFO;
}

static void
fifo_handle_wait_barrier(struct wl_client *client, struct wl_resource *resource)
{
	struct sl_surface *surface =
		object_surface_or_error(resource, WP_FIFO_V1_ERROR_SURFACE_DESTROYED);
	if (!surface)
		return;
	surface->pending.fifo_wait_barrier = true;
	surface->pending.committed |= SL_STATE_FIFO;
}

static const struct wp_fifo_v1_interface fifo_impl = {
	.set_barrier = fifo_handle_set_barrier,
	.wait_barrier = fifo_handle_wait_barrier,
	.destroy = object_handle_destroy,
};

static void
fifo_manager_handle_get_fifo(struct wl_client *client, struct wl_resource *resource, uint32_t id,
			     struct wl_resource *surface)
{
	object_create(client, resource, id, surface, &wp_fifo_v1_interface, &fifo_impl,
		      WP_FIFO_MANAGER_V1_ERROR_ALREADY_EXISTS);
}

static const struct wp_fifo_manager_v1_interface fifo_manager_impl = {
	.destroy = manager_handle_destroy,
	.get_fifo = fifo_manager_handle_get_fifo,
};

static void
fifo_manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	sl_resource_create(client, &wp_fifo_manager_v1_interface, 1, id, &fifo_manager_impl, data,
			   NULL);
}

/* ---- wp_commit_timer_v1 ---- */

static void
timer_handle_set_timestamp(struct wl_client *client, struct wl_resource *resource,
			   uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec)
{
	struct sl_surface *surface =
		object_surface_or_error(resource, WP_COMMIT_TIMER_V1_ERROR_SURFACE_DESTROYED);
	if (!surface)
		return;
	if (tv_nsec >= 1000000000) {
		wl_resource_post_error(resource, WP_COMMIT_TIMER_V1_ERROR_INVALID_TIMESTAMP,
				       "tv_nsec %u is not below one second", tv_nsec);
		return;
	}
	if (surface->pending.committed & SL_STATE_TARGET_TIME) {
		wl_resource_post_error(resource, WP_COMMIT_TIMER_V1_ERROR_TIMESTAMP_EXISTS,
				       "wl_surface@%u's next commit already has a target time",
				       wl_resource_get_id(surface->resource));
		return;
	}
	uint64_t sec = (uint64_t)tv_sec_hi << 32 | tv_sec_lo;
	/* Beyond any CLOCK_MONOTONIC time this machine will see: "not before" means never. */
	if (sec > (uint64_t)INT64_MAX / 1000000000 - 1)
		sec = (uint64_t)INT64_MAX / 1000000000 - 1;
	int64_t target = (int64_t)sec * 1000000000 + tv_nsec;
	/* 0 means "no target" in the state; the clock's origin is long past either way. */
	surface->pending.target_ns = target > 0 ? target : 1;
	surface->pending.committed |= SL_STATE_TARGET_TIME;
}

static const struct wp_commit_timer_v1_interface timer_impl = {
	.set_timestamp = timer_handle_set_timestamp,
	.destroy = object_handle_destroy,
};

static void
timing_manager_handle_get_timer(struct wl_client *client, struct wl_resource *resource, uint32_t id,
				struct wl_resource *surface)
{
	object_create(client, resource, id, surface, &wp_commit_timer_v1_interface, &timer_impl,
		      WP_COMMIT_TIMING_MANAGER_V1_ERROR_COMMIT_TIMER_EXISTS);
}

static const struct wp_commit_timing_manager_v1_interface timing_manager_impl = {
	.destroy = manager_handle_destroy,
	.get_timer = timing_manager_handle_get_timer,
};

static void
timing_manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	sl_resource_create(client, &wp_commit_timing_manager_v1_interface, 1, id,
			   &timing_manager_impl, data, NULL);
}

bool
pacing_globals_init(struct sl_server *server)
{
	return wl_global_create(server->display, &wp_fifo_manager_v1_interface, 1, server,
				fifo_manager_bind) &&
	       wl_global_create(server->display, &wp_commit_timing_manager_v1_interface, 1, server,
				timing_manager_bind);
}

/* ---- wp_tearing_control_v1 ---- */

static void
tearing_set(struct sl_surface *surface, bool tearing)
{
	surface->pending.tearing = tearing;
	surface->pending.committed |= SL_STATE_TEARING;
}

/* Its destruction takes the hint back, at the surface's next commit. */
static void
tearing_destroyed(struct sl_surface *surface)
{
	tearing_set(surface, false);
}

static void
tearing_handle_set_presentation_hint(struct wl_client *client, struct wl_resource *resource,
				     uint32_t hint)
{
	struct pacing_object *object = wl_resource_get_user_data(resource);
	if (hint != WP_TEARING_CONTROL_V1_PRESENTATION_HINT_VSYNC &&
	    hint != WP_TEARING_CONTROL_V1_PRESENTATION_HINT_ASYNC) {
		/* Version 1 has no error of its own for this. */
		wl_resource_post_error(resource, WL_DISPLAY_ERROR_INVALID_METHOD,
				       "presentation hint %u is neither vsync (0) nor async (1)",
				       hint);
		return;
	}
	/* Without its surface the object is inert: the protocol names no error. */
	if (object->surface)
		tearing_set(object->surface, hint == WP_TEARING_CONTROL_V1_PRESENTATION_HINT_ASYNC);
}

static const struct wp_tearing_control_v1_interface tearing_impl = {
	.set_presentation_hint = tearing_handle_set_presentation_hint,
	.destroy = object_handle_destroy,
};

static void
tearing_manager_handle_get_tearing_control(struct wl_client *client, struct wl_resource *resource,
					   uint32_t id, struct wl_resource *surface)
{
	struct pacing_object *object = object_create(
		client, resource, id, surface, &wp_tearing_control_v1_interface, &tearing_impl,
		WP_TEARING_CONTROL_MANAGER_V1_ERROR_TEARING_CONTROL_EXISTS);
	if (object)
		object->destroyed = tearing_destroyed;
}

static const struct wp_tearing_control_manager_v1_interface tearing_manager_impl = {
	.destroy = manager_handle_destroy,
	.get_tearing_control = tearing_manager_handle_get_tearing_control,
};

static void
tearing_manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	sl_resource_create(client, &wp_tearing_control_manager_v1_interface, 1, id,
			   &tearing_manager_impl, data, NULL);
}

bool
tearing_control_global_init(struct sl_server *server)
{
	return wl_global_create(server->display, &wp_tearing_control_manager_v1_interface, 1,
				server, tearing_manager_bind);
}
