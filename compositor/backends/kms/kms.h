#ifndef SLUICE_KMS_H
#define SLUICE_KMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_server;
struct kms_device;

struct sl_renderer;
struct sl_session;

struct kms_options {
	/*
	 * Optional: once the device is open (drm_fd, at path) and before any buffer is allocated,
	 * picks the renderer for it. Sets *renderer to one on this device, which the backend then
	 * installs in the server and destroys with the device, or leaves it NULL to keep the
	 * server's. False, with a one-line reason in err, to fail.
	 */
	bool (*choose_renderer)(void *data, int drm_fd, const char *path,
				struct sl_renderer **renderer, char *err, size_t err_size);
	void *choose_renderer_data;
	const char *device; /* NULL: the first KMS-capable /dev/dri/card* */
	bool has_mode;	    /* else the connector's preferred mode */
	int32_t width, height;
	int32_t refresh_mhz; /* 0: any refresh at that size (the highest) */
	const char *output;  /* --output: drive only this connector (e.g. HDMI-A-1); NULL: all */
};

/*
 * Opens the DRM device as master with atomic modesetting (through session, which may be NULL:
 * then directly) and creates an output for each connected connector. On failure returns NULL
 * with a one-line reason in err.
 */
struct kms_device *kms_device_create(struct sl_server *server, struct sl_session *session,
				     const struct kms_options *options, char *err, size_t err_size);
void kms_device_destroy(struct kms_device *device);
/* Whether any /dev/dri/card* exists, KMS-capable or not (cheap: no device is opened). */
bool kms_any_card(void);
/* The framebuffer a client dma-buf was added as when it was created, or 0. */
struct sl_buffer;
uint32_t kms_buffer_fb_id(struct sl_buffer *buffer);

#endif
