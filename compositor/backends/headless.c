/*
 * The headless backend: virtual outputs whose "vblank" is a timer at the refresh rate, with two
 * render targets flipped at each vblank like a real double-buffered display. Presentation times
 * are the ideal vblank instants epoch + k * refresh, and k is the output's sequence counter.
 */
#include "backends/headless.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-server-protocol.h>

#include "log.h"
#include "core/output.h"
#include "core/renderer.h"
#include "core/server.h"
#include "time-util.h"
#include "core/timer.h"

struct headless_output {
	struct sl_output *output;
	struct sl_renderer *renderer;
	struct sl_render_target *targets[2];
	uint64_t drawn_at[2]; /* frame number each target was last drawn at, 0 = never */
	uint64_t frames_drawn;
	int front;
	bool pending_drew;
	int64_t epoch_ns;
	int64_t pending_vblank_ns;
	struct sl_timer *vblank_timer;
};

bool
headless_parse_mode(const char *spec, struct headless_mode *mode)
{
	int w, h, consumed = 0;
	double hz = 60.0;
	if (sscanf(spec, "%dx%d%n", &w, &h, &consumed) != 2)
		return false;
	const char *rest = spec + consumed;
	if (*rest == '@') {
		char *end;
		errno = 0;
		hz = strtod(rest + 1, &end);
		if (errno || end == rest + 1 || *end != '\0')
			return false;
	} else if (*rest != '\0') {
		return false;
	}
	if (w <= 0 || h <= 0 || w > 16384 || h > 16384 || hz < 1.0 || hz > 1000.0)
		return false;
	mode->width = w;
	mode->height = h;
	mode->refresh_mhz = (int32_t)(hz * 1000.0 + 0.5);
	return true;
}

static struct headless_output *
headless_from_output(struct sl_output *output)
{
	return output->backend_data;
}

static struct sl_render_target *
headless_begin_frame(struct sl_output *output, int *age)
{
	struct headless_output *ho = headless_from_output(output);
	int back = 1 - ho->front;
	*age = ho->drawn_at[back] ? (int)(ho->frames_drawn + 1 - ho->drawn_at[back]) : 0;
	return ho->targets[back];
}

static bool
headless_submit_frame(struct sl_output *output, bool drew, int render_fence)
{
	/* Headless draws with pixman, synchronously: render_fence is always -1. */
	struct headless_output *ho = headless_from_output(output);
	if (drew) {
		ho->frames_drawn++;
		ho->drawn_at[1 - ho->front] = ho->frames_drawn;
	}
	ho->pending_drew = drew;
	/* The frame goes out at the first vblank strictly after now. */
	int64_t now = monotonic_ns();
	int64_t k = (now - ho->epoch_ns) / output->refresh_ns + 1;
	ho->pending_vblank_ns = ho->epoch_ns + k * output->refresh_ns;
	sl_timer_arm(ho->vblank_timer, ho->pending_vblank_ns);
	return true;
}

static void
headless_handle_vblank(void *data)
{
	struct headless_output *ho = data;
	struct sl_output *output = ho->output;
	if (ho->pending_drew)
		ho->front = 1 - ho->front;
	int64_t vblank = ho->pending_vblank_ns;
	uint64_t msc = (uint64_t)((vblank - ho->epoch_ns) / output->refresh_ns);
	/* What the virtual display shows is exactly the front target. */
	if (output->readback_in_flight) {
		uint32_t stride;
		const void *pixels = ho->renderer->impl->target_pixels(
			ho->renderer, ho->targets[ho->front], &stride);
		sl_output_readback_done(output, pixels, stride, vblank, msc,
					"the renderer cannot read its target");
	}
	sl_output_presented(output, vblank, msc);
}

static void
headless_destroy(struct sl_output *output)
{
	struct headless_output *ho = headless_from_output(output);
	sl_timer_destroy(ho->vblank_timer);
	for (int i = 0; i < 2; i++)
		ho->renderer->impl->target_destroy(ho->renderer, ho->targets[i]);
	free(ho);
}

static const struct sl_output_impl headless_output_impl = {
	.begin_frame = headless_begin_frame,
	.submit_frame = headless_submit_frame,
	.destroy = headless_destroy,
};

struct sl_output *
headless_output_create(struct sl_server *server, const struct headless_mode *mode)
{
	struct headless_output *ho = calloc(1, sizeof(*ho));
	if (!ho)
		return NULL;
	ho->renderer = server->renderer;
	ho->epoch_ns = monotonic_ns();
	ho->vblank_timer = sl_timer_create(server->loop, headless_handle_vblank, ho);
	for (int i = 0; i < 2; i++)
		ho->targets[i] =
			ho->renderer->impl->target_create(ho->renderer, mode->width, mode->height);
	if (!ho->vblank_timer || !ho->targets[0] || !ho->targets[1])
		goto err;

	char name[32];
	unsigned n = (unsigned)wl_list_length(&server->outputs) + 1;
	snprintf(name, sizeof(name), "HEADLESS-%u", n);
	ho->output = sl_output_create(server, &headless_output_impl, name, mode->width,
				      mode->height, mode->refresh_mhz, WL_OUTPUT_TRANSFORM_NORMAL);
	if (!ho->output)
		goto err;
	ho->output->backend_data = ho;
	/* A timer, not the display, decides the vblank: vsync'd, but no hardware clock. */
	ho->output->presentation_flags = SL_PRESENT_VSYNC;
	ho->output->async_unavailable = "a headless output's vblank is a timer, it cannot tear";
	ho->output->model = "headless";
	sl_output_damage_whole(ho->output);
	return ho->output;

err:
	log_error("headless", "cannot create a %dx%d output", mode->width, mode->height);
	sl_timer_destroy(ho->vblank_timer);
	for (int i = 0; i < 2; i++)
		ho->renderer->impl->target_destroy(ho->renderer, ho->targets[i]);
	free(ho);
	return NULL;
}
