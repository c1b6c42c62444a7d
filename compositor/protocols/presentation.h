#ifndef SLUICE_PRESENTATION_H
#define SLUICE_PRESENTATION_H

#include <stdint.h>
#include <wayland-server-core.h>

struct sl_output;

/* Sends sync_output + presented to each wp_presentation_feedback in the list and destroys them. */
void presentation_feedback_send_presented(struct wl_list *feedbacks, struct sl_output *output,
					  int64_t time_ns, uint64_t msc, uint32_t flags);

#endif
