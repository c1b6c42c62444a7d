#include "stats.h"

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
#define FIELD(name, last) fprintf(f, "  \"" #name "\": %" PRIu64 "%s\n", stats->name, last)
	fprintf(f, "{\n");
	FIELD(dmabuf_buffers, ",");
	FIELD(dmabuf_failed, ",");
	FIELD(dmabuf_import_gpu, ",");
	FIELD(dmabuf_import_cpu, ",");
	FIELD(dmabuf_import_kms, ",");
	FIELD(dmabuf_cpu_draws, ",");
	FIELD(dmabuf_gpu_draws, ",");
	FIELD(implicit_fences, ",");
	FIELD(commits_queued, ",");
	FIELD(explicit_fences, ",");
	FIELD(syncobj_waiters, ",");
	FIELD(fences_failed, ",");
	FIELD(feedback_resends, ",");
	FIELD(frames, ",");
	FIELD(frames_direct, ",");
	FIELD(draw_calls, ",");
	FIELD(planes_used, ",");
	FIELD(scanout_refused_format, ",");
	FIELD(scanout_refused_geometry, ",");
	FIELD(scanout_refused_planes, "");
	fprintf(f, "}\n");
#undef FIELD
	bool ok = !ferror(f);
	if (fclose(f) != 0 || !ok) {
		log_errno("stats", "cannot write %s", path);
		return false;
	}
	return true;
}
