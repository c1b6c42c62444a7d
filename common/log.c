#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/*
 * The one piece of process-wide state in sluice: set once by main() before anything logs, read
 * everywhere. Threading a logger through every object would buy nothing.
 */
static enum log_level threshold = LOG_INFO;

static const char *const level_names[] = {
	[LOG_SILENT] = "silent", [LOG_ERROR] = "error", [LOG_WARN] = "warn",
	[LOG_INFO] = "info",	 [LOG_DEBUG] = "debug",
};

void
log_init(enum log_level level)
{
	threshold = level;
}

bool
log_parse_level(const char *name, enum log_level *level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level = (enum log_level)i;
			return true;
		}
	}
	return false;
}

void
log_vwrite(enum log_level level, const char *tag, const char *fmt, va_list args)
{
	if (level > threshold || level == LOG_SILENT)
		return;

	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* One fprintf per line keeps lines whole when several processes share stderr. */
	char line[1024];
	int n = snprintf(line, sizeof(line), "[%5ld.%03ld] %-5s %-8s ", (long)ts.tv_sec,
			 ts.tv_nsec / 1000000, level_names[level], tag);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, args);
	/* Libraries' messages (libinput, libseat, xkbcommon) bring their own newline. */
	size_t len = strlen(line);
	if (len > 0 && line[len - 1] == '\n')
		line[len - 1] = '\0';
	fprintf(stderr, "%s\n", line);
}

void
log_write(enum log_level level, const char *tag, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	log_vwrite(level, tag, fmt, args);
	va_end(args);
}
