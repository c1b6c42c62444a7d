#ifndef SLUICE_FORMAT_SET_H
#define SLUICE_FORMAT_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A set of (DRM format, modifier) pairs: what a renderer imports or a plane scans out. */
struct sl_format_modifier {
	uint32_t format;
	uint64_t modifier;
};

struct sl_format_set {
	struct sl_format_modifier *items; /* in insertion order, no duplicates */
	size_t count, capacity;
};

void sl_format_set_finish(struct sl_format_set *set);
/* Adds the pair unless present; false only when out of memory. */
bool sl_format_set_add(struct sl_format_set *set, uint32_t format, uint64_t modifier);
bool sl_format_set_has(const struct sl_format_set *set, uint32_t format, uint64_t modifier);
bool sl_format_set_has_format(const struct sl_format_set *set, uint32_t format);
/* dst = a ∩ b, in a's order. */
bool sl_format_set_intersect(struct sl_format_set *dst, const struct sl_format_set *a,
			     const struct sl_format_set *b);
/* Index of the pair, or -1. */
long sl_format_set_index(const struct sl_format_set *set, uint32_t format, uint64_t modifier);

#endif
