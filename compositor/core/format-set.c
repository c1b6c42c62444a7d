#include "core/format-set.h"

#include <stdlib.h>

void
sl_format_set_finish(struct sl_format_set *set)
{
	free(set->items);
	*set = (struct sl_format_set){0};
}

long
sl_format_set_index(const struct sl_format_set *set, uint32_t format, uint64_t modifier)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->items[i].format == format && set->items[i].modifier == modifier)
			return (long)i;
	return -1;
}

bool
sl_format_set_has(const struct sl_format_set *set, uint32_t format, uint64_t modifier)
{
	return sl_format_set_index(set, format, modifier) >= 0;
}

bool
sl_format_set_has_format(const struct sl_format_set *set, uint32_t format)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->items[i].format == format)
			return true;
	return false;
}

bool
sl_format_set_add(struct sl_format_set *set, uint32_t format, uint64_t modifier)
{
	if (sl_format_set_has(set, format, modifier))
		return true;
	if (set->count == set->capacity) {
		size_t capacity = set->capacity ? set->capacity * 2 : 16;
		struct sl_format_modifier *items = realloc(set->items, capacity * sizeof(*items));
		if (!items)
			return false;
		set->items = items;
		set->capacity = capacity;
	}
	set->items[set->count++] = (struct sl_format_modifier){format, modifier};
	return true;
}

bool
sl_format_set_intersect(struct sl_format_set *dst, const struct sl_format_set *a,
			const struct sl_format_set *b)
{
	for (size_t i = 0; i < a->count; i++)
		if (sl_format_set_has(b, a->items[i].format, a->items[i].modifier) &&
		    !sl_format_set_add(dst, a->items[i].format, a->items[i].modifier))
			return false;
	return true;
}
