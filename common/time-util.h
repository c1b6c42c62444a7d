#ifndef SLUICE_COMMON_TIME_UTIL_H
#define SLUICE_COMMON_TIME_UTIL_H

#include <stdint.h>
#include <time.h>

static inline int64_t
timespec_to_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static inline struct timespec
timespec_from_ns(int64_t ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
	return ts;
}

static inline int64_t
monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return timespec_to_ns(&ts);
}

#endif
