#ifndef SLUICE_COMMON_LOG_H
#define SLUICE_COMMON_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
	LOG_SILENT = 0,
	LOG_ERROR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
};

/* Sets the threshold once at start-up; messages above it are dropped. */
void log_init(enum log_level level);
/* Parses "error", "warn", "info", "debug" or "silent". */
bool log_parse_level(const char *name, enum log_level *level);

void log_write(enum log_level level, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vwrite(enum log_level level, const char *tag, const char *fmt, va_list args)
	__attribute__((format(printf, 3, 0)));

#define log_error(tag, ...) log_write(LOG_ERROR, tag, __VA_ARGS__)
#define log_warn(tag, ...) log_write(LOG_WARN, tag, __VA_ARGS__)
#define log_info(tag, ...) log_write(LOG_INFO, tag, __VA_ARGS__)
#define log_debug(tag, ...) log_write(LOG_DEBUG, tag, __VA_ARGS__)
/* Appends ": strerror(errno)" to the message. */
#define log_errno(tag, fmt, ...) log_write(LOG_ERROR, tag, fmt ": %m", ##__VA_ARGS__)

#endif
