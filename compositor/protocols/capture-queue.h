#ifndef SLUICE_CAPTURE_QUEUE_H
#define SLUICE_CAPTURE_QUEUE_H

#include <stdbool.h>
#include <wayland-server-core.h>

struct sl_output;
struct sl_output_readback_event;

/*
 * Captures of an output's next frame, shared by the capture protocols (sluice_capture_v1,
 * wlr-screencopy): a request queued now gets the pixels of the next frame made (a frame is
 * scheduled for it), or a reason why not, through its done callback, once.
 */
struct capture_request;
typedef void (*capture_done_fn)(struct capture_request *request,
				const struct sl_output_readback_event *event);

struct capture_request {
	capture_done_fn done;
	struct wl_list link; /* in its output's queue; empty while not queued */
};

void capture_request_init(struct capture_request *request, capture_done_fn done);
/* False without memory. The request must not be queued already. */
bool capture_request_queue(struct capture_request *request, struct sl_output *output);
/*
 * Like capture_request_queue, but makes no frame for it: the request waits until the output
 * next starts one (something changed, or wants a frame) and gets the frame after that. For a
 * capture that has to wait for a change.
 */
bool capture_request_queue_on_change(struct capture_request *request, struct sl_output *output);
/* Takes a request off its queue (if it is on one); done is not called. */
void capture_request_cancel(struct capture_request *request);
bool capture_request_queued(const struct capture_request *request);

#endif
