#ifndef SLUICE_HEADLESS_H
#define SLUICE_HEADLESS_H

#include <stdbool.h>
#include <stdint.h>

struct sl_server;
struct sl_output;

struct headless_mode {
	int32_t width, height;
	int32_t refresh_mhz;
};

/* Parses "WxH" or "WxH@Hz" (Hz may have decimals). */
bool headless_parse_mode(const char *spec, struct headless_mode *mode);
/* A virtual output whose vblanks come from a timer at the refresh rate. */
struct sl_output *headless_output_create(struct sl_server *server,
					 const struct headless_mode *mode);

#endif
