/* The queues of captures waiting for an output's next frame (capture-queue.h). */
#include "protocols/capture-queue.h"

#include <stdlib.h>

#include "core/output.h"

/* The captures of one output, made when the first is queued; freed with the output. */
struct capture_queue {
	struct sl_output *output;
	struct wl_list queued;	  /* capture_request.link: for the next frame */
	struct wl_list in_flight; /* capture_request.link: for the frame in flight */
	struct wl_list waiting;	  /* capture_request.link: queued when a frame next starts */
	struct wl_listener frame_started;
	struct wl_listener readback;
	struct wl_listener destroy;
};

static void
handle_frame_started(struct wl_listener *listener, void *data)
{
	struct capture_queue *queue = wl_container_of(listener, queue, frame_started);
	/*
	 * Only a frame that is read back takes the queued requests: one queued while this
	 * frame starts (by another listener) waits for the next, which its request scheduled.
	 */
	if (queue->output->readback_in_flight) {
		wl_list_insert_list(queue->in_flight.prev, &queue->queued);
		wl_list_init(&queue->queued);
	}
	/* Something changed or wants a frame: the ones waiting for that get the next frame. */
	if (!wl_list_empty(&queue->waiting)) {
		wl_list_insert_list(queue->queued.prev, &queue->waiting);
		wl_list_init(&queue->waiting);
		sl_output_request_readback(queue->output);
	}
}

/* Answers every request for the frame in flight; each may queue itself again. */
static void
deliver(struct capture_queue *queue, const struct sl_output_readback_event *event)
{
	struct wl_list done;
	wl_list_init(&done);
	wl_list_insert_list(&done, &queue->in_flight);
	wl_list_init(&queue->in_flight);
	while (!wl_list_empty(&done)) {
		struct capture_request *request = wl_container_of(done.next, request, link);
		wl_list_remove(&request->link);
		wl_list_init(&request->link);
		request->done(request, event);
	}
}

static void
handle_readback(struct wl_listener *listener, void *data)
{
	struct capture_queue *queue = wl_container_of(listener, queue, readback);
	deliver(queue, data);
}

static void
handle_destroy(struct wl_listener *listener, void *data)
{
	struct capture_queue *queue = wl_container_of(listener, queue, destroy);
	/* Waiting, queued or in flight, none will be captured now. */
	wl_list_insert_list(queue->in_flight.prev, &queue->queued);
	wl_list_init(&queue->queued);
	wl_list_insert_list(queue->in_flight.prev, &queue->waiting);
	wl_list_init(&queue->waiting);
	struct sl_output_readback_event event = {.output = queue->output,
						 .reason = "the output went away"};
	deliver(queue, &event);
	wl_list_remove(&queue->frame_started.link);
	wl_list_remove(&queue->readback.link);
	wl_list_remove(&queue->destroy.link);
	free(queue);
}

static struct capture_queue *
queue_get(struct sl_output *output)
{
	struct wl_listener *listener = wl_signal_get(&output->events.destroy, handle_destroy);
	if (listener) {
		struct capture_queue *queue = wl_container_of(listener, queue, destroy);
		return queue;
	}
	struct capture_queue *queue = calloc(1, sizeof(*queue));
	if (!queue)
		return NULL;
	queue->output = output;
	wl_list_init(&queue->queued);
	wl_list_init(&queue->in_flight);
	wl_list_init(&queue->waiting);
	queue->frame_started.notify = handle_frame_started;
	wl_signal_add(&output->events.frame_started, &queue->frame_started);
	queue->readback.notify = handle_readback;
	wl_signal_add(&output->events.readback, &queue->readback);
	queue->destroy.notify = handle_destroy;
	wl_signal_add(&output->events.destroy, &queue->destroy);
	return queue;
}

void
capture_request_init(struct capture_request *request, capture_done_fn done)
{
	request->done = done;
	wl_list_init(&request->link);
}

bool
capture_request_queue(struct capture_request *request, struct sl_output *output)
{
	struct capture_queue *queue = queue_get(output);
	if (!queue)
		return false;
	wl_list_insert(queue->queued.prev, &request->link);
	sl_output_request_readback(output);
	return true;
}

bool
capture_request_queue_on_change(struct capture_request *request, struct sl_output *output)
{
	struct capture_queue *queue = queue_get(output);
	if (!queue)
		return false;
	wl_list_insert(queue->waiting.prev, &request->link);
	return true;
}

void
capture_request_cancel(struct capture_request *request)
{
	wl_list_remove(&request->link);
	wl_list_init(&request->link);
}

bool
capture_request_queued(const struct capture_request *request)
{
	return !wl_list_empty(&request->link);
}
