#ifndef SLUICE_PACING_H
#define SLUICE_PACING_H

#include <stdbool.h>
#include <stdint.h>

struct sl_output;
struct sl_server;
struct sl_surface;
struct sl_surface_state;

/*
 * When a content update may become current, beyond its fences: a wp_fifo_v1 barrier raised by
 * the update before it, and a wp_commit_timer_v1 target time. surface.c asks before applying a
 * commit; output.c tells when frames are made and presented.
 */

enum sl_pacing_hold {
	SL_PACING_FIFO = 1 << 0, /* behind a fifo barrier */
	SL_PACING_TIME = 1 << 1, /* before its target time */
};

/*
 * Whether the update in state has to wait for its barrier or its time. When it waits for its
 * time, the surface's queue timer is armed to look again. counted holds the enum sl_pacing_hold
 * bits this commit was already counted for in the stats.
 */
bool sl_pacing_commit_held(struct sl_surface *surface, const struct sl_surface_state *state,
			   uint8_t *counted);
/* The update in state has just become current: a barrier it sets is raised. */
void sl_pacing_commit_applied(struct sl_surface *surface, const struct sl_surface_state *state);
/* The surface is going away. */
void sl_pacing_surface_finish(struct sl_surface *surface);

/* output's repaint shows surface: a raised barrier is lowered when that frame is presented. */
void sl_pacing_surface_shown(struct sl_surface *surface, struct sl_output *output);
/*
 * output presented a frame: the barriers of the surfaces that frame showed are lowered, and
 * the updates waiting behind them go ahead.
 */
void sl_pacing_output_presented(struct sl_server *server, struct sl_output *output);
/* output is going away: no barrier waits for it any more. */
void sl_pacing_output_gone(struct sl_server *server, struct sl_output *output);

#endif
