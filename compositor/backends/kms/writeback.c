/*
 * Capture through the writeback connector: it is routed to the CRTC once, at the modeset, and a
 * frame with a readback wanted also writes into our writeback buffer; its fence is waited for on
 * the event loop before the frame is reported presented, with the pixels the CRTC produced.
 */
#include <xf86drmMode.h>

#include "backends/kms/kms-internal.h"
#include "core/output.h"
#include "core/server.h"
#include "fd.h"
#include "log.h"

static int
handle_writeback_fence(int fd, uint32_t mask, void *data)
{
	struct kms_output *ko = data;
	/* The fence fd becomes readable when it signals. */
	wl_event_source_remove(ko->writeback_source);
	ko->writeback_source = NULL;
	fd_close(&ko->writeback_fence);
	ko->writeback_pending = false;
	kms_output_finish_frame(ko);
	return 0;
}

bool
kms_writeback_wait(struct kms_output *ko)
{
	if (!ko->writeback_pending)
		return false;
	/* Never block: the writeback fence is one more event source. */
	ko->writeback_source = wl_event_loop_add_fd(ko->device->server->loop, ko->writeback_fence,
						    WL_EVENT_READABLE, handle_writeback_fence, ko);
	if (ko->writeback_source)
		return true;
	log_error("kms", "cannot wait for the writeback fence");
	fd_close(&ko->writeback_fence);
	ko->writeback_pending = false;
	return false;
}

void
kms_writeback_add_route(struct kms_output *ko, struct atomic *atomic)
{
	/* The writeback connector joins the CRTC once, at modeset: routing it later would need a
	 * modeset every time a capture is asked for. */
	if (ko->uses_writeback)
		atomic_add(atomic, ko->writeback_connector,
			   ko->device->writeback_props[CONN_CRTC_ID], ko->crtc_id);
}

void
kms_writeback_add_capture(struct kms_output *ko, struct atomic *atomic)
{
	struct kms_device *dev = ko->device;
	atomic_add(atomic, ko->writeback_connector, dev->writeback_props[CONN_WRITEBACK_FB_ID],
		   ko->writeback_fb.fb_id);
	atomic_add(atomic, ko->writeback_connector,
		   dev->writeback_props[CONN_WRITEBACK_OUT_FENCE_PTR],
		   (uint64_t)(uintptr_t)&ko->writeback_fence);
}

void
kms_find_writeback(struct kms_device *dev, drmModeRes *res)
{
	for (int i = 0; i < res->count_connectors; i++) {
		drmModeConnector *c = drmModeGetConnector(dev->fd, res->connectors[i]);
		if (c && c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK) {
			dev->writeback_connector = c->connector_id;
			dev->writeback_crtcs = kms_connector_possible_crtcs(dev->fd, c);
			kms_props_get(dev->fd, c->connector_id, DRM_MODE_OBJECT_CONNECTOR,
				      dev->writeback_props, NULL);
		}
		drmModeFreeConnector(c);
		if (dev->writeback_connector)
			return;
	}
}
