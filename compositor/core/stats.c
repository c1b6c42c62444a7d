#include "core/stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "log.h"

bool
stats_write(const struct sl_stats *stats, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		log_errno("stats", "cannot write %s", path);
		return false;
	}
	const char *separator = "{\n";
#define FIELD(name)                                                        \
	fprintf(f, "%s  \"" #name "\": %" PRIu64, separator, stats->name); \
	separator = ",\n";
	SL_STATS_FIELDS(FIELD)
#undef FIELD
	fprintf(f, "\n}\n");
	bool ok = !ferror(f);
	if (fclose(f) != 0 || !ok) {
		log_errno("stats", "cannot write %s", path);
		return false;
	}
	return true;
}
