#ifndef SLUICE_KMS_H
#define SLUICE_KMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_server;
struct kms_device;

enum kms_renderer {
	KMS_RENDERER_AUTO, /* GL, else pixman with a log line */
	KMS_RENDERER_GL,
	KMS_RENDERER_PIXMAN,
};

struct kms_options {
	enum kms_renderer renderer;
	const char *device; /* NULL: the first KMS-capable /dev/dri/card* */
	bool has_mode;	    /* else the connector's preferred mode */
	int32_t width, height;
	int32_t refresh_mhz; /* 0: any refresh at that size (the highest) */
	const char *output;  /* --output: drive only this connector (e.g. HDMI-A-1); NULL: all */
};

/*
 * Opens the DRM device as master with atomic modesetting and creates an output for each connected
 * connector. On failure returns NULL with a one-line reason in err.
 */
struct kms_device *kms_device_create(struct sl_server *server, const struct kms_options *options,
				     char *err, size_t err_size);
void kms_device_destroy(struct kms_device *device);
/* Whether any /dev/dri/card* exists, KMS-capable or not (cheap: no device is opened). */
bool kms_any_card(void);
/* The framebuffer a client dma-buf was added as when it was created, or 0. */
struct sl_buffer;
uint32_t kms_buffer_fb_id(struct sl_buffer *buffer);

#endif
