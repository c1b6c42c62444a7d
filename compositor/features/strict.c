/*
 * Strict mode. Everything here only observes: a finding never changes what sluice does with the
 * client's requests (the protocol errors stay the protocol's), so a client behaves the same with
 * and without --strict, and the report says what it would get away with elsewhere.
 *
 * Per client: a record found through the client's destroy listener, counting each kind of fault
 * and keeping the first message of each. Per surface: the last frame callback it asked for, to
 * see commits that did not wait for it.
 */
#include "features/strict.h"

#include <assert.h>
#include <drm_fourcc.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buffer.h"
#include "protocols/dmabuf.h"
#include "formats.h"
#include "log.h"
#include "core/output.h"
#include "core/server.h"
#include "core/surface.h"
#include "time-util.h"

enum strict_kind {
	STRICT_FORMAT_NOT_ADVERTISED,
	STRICT_STRIDE_ALIGNMENT,
	STRICT_REUSE_BEFORE_RELEASE,
	STRICT_RELEASE_NOT_WAITED,
	STRICT_NO_DAMAGE,
	STRICT_FRAME_CALLBACK_IGNORED,
	STRICT_NOT_SCANOUT_FORMAT,
	STRICT_N_KINDS,
};

static const struct {
	const char *name;
	bool error; /* else a warning */
} kinds[STRICT_N_KINDS] = {
	[STRICT_FORMAT_NOT_ADVERTISED] = {"format_not_advertised", true},
	[STRICT_STRIDE_ALIGNMENT] = {"stride_alignment", true},
	[STRICT_REUSE_BEFORE_RELEASE] = {"reuse_before_release", true},
	[STRICT_RELEASE_NOT_WAITED] = {"release_not_waited", true},
	[STRICT_NO_DAMAGE] = {"no_damage", false},
	[STRICT_FRAME_CALLBACK_IGNORED] = {"frame_callback_ignored", false},
	[STRICT_NOT_SCANOUT_FORMAT] = {"not_scanout_format", false},
};

struct sl_strict {
	struct sl_server *server;
	struct sl_dmabuf *dmabuf; /* nullable: no linux-dmabuf (yet) */
	char *report_dir;	  /* NULL: log lines only */
	struct wl_list clients;	  /* strict_client.link */
	struct wl_list surfaces;  /* strict_surface.link */
	struct wl_list outputs;	  /* strict_output.link */
	unsigned serial;
	unsigned long frame_limit; /* 0: none */
	struct wl_listener new_output;
	struct wl_listener surface_commit;
	struct wl_listener formats_sent;
	struct wl_listener dmabuf_created;
};

/* What strict mode hears of one output's frames. */
struct strict_output {
	struct sl_strict *strict;
	struct sl_output *output;
	struct wl_list link; /* sl_strict.outputs */
	struct wl_listener frame;
	struct wl_listener frame_failed;
	struct wl_listener present;
	struct wl_listener destroy;
};

struct strict_client {
	struct sl_strict *strict;
	struct wl_client *client;
	struct wl_listener destroy;
	struct wl_list link;
	pid_t pid;
	char name[32];
	unsigned serial;
	bool told_formats;
	unsigned long commits, dmabufs;
	unsigned long counts[STRICT_N_KINDS];
	char *first[STRICT_N_KINDS];

	/* Frames: a new buffer committed, then shown by a presented output frame or replaced. */
	unsigned long committed, presented, dropped, scanned_out, composited;
	double *latencies_ms; /* commit to presentation */
	size_t n_latencies, latencies_size;
	char formats[8][40];
	unsigned n_formats;
	unsigned sync_seen; /* bits of enum sync_kind */
	bool limit_signalled;
};

enum sync_kind { SYNC_NONE, SYNC_IMPLICIT, SYNC_FILE, SYNC_SYNCOBJ, SYNC_N };
static const char *const sync_names[SYNC_N] = {"none", "implicit", "sync_file", "syncobj"};

struct strict_surface {
	struct sl_surface *surface;
	struct wl_list link; /* sl_strict.surfaces */
	/* Commit times of the newest new buffer not yet in a frame, and of the one in flight. */
	int64_t pending_ns, in_flight_ns;
	struct sl_output *in_flight_output;
	bool in_flight_on_plane;
	struct wl_listener surface_destroy;
	struct wl_resource *frame_callback; /* the newest one committed, until it is done */
	struct wl_listener callback_destroy;
};

static void strict_client_handle_destroy(struct wl_listener *listener, void *data);

static void
process_name(pid_t pid, char *out, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "r");
	snprintf(out, size, "unknown");
	if (!f)
		return;
	if (fgets(out, (int)size, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
	/* The name goes into a file name and JSON: keep it plain. */
	for (char *p = out; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			*p = '_';
}

static struct strict_client *
client_get(struct sl_strict *strict, struct wl_client *client)
{
	struct wl_listener *listener =
		wl_client_get_destroy_listener(client, strict_client_handle_destroy);
	if (listener) {
		struct strict_client *sc = wl_container_of(listener, sc, destroy);
		return sc;
	}
	struct strict_client *sc = calloc(1, sizeof(*sc));
	if (!sc) {
		log_error("strict", "out of memory: a client goes unchecked");
		return NULL;
	}
	sc->strict = strict;
	sc->client = client;
	sc->serial = ++strict->serial;
	uid_t uid;
	gid_t gid;
	wl_client_get_credentials(client, &sc->pid, &uid, &gid);
	process_name(sc->pid, sc->name, sizeof(sc->name));
	sc->destroy.notify = strict_client_handle_destroy;
	wl_client_add_destroy_listener(client, &sc->destroy);
	wl_list_insert(strict->clients.prev, &sc->link);
	return sc;
}

static void __attribute__((format(printf, 3, 4)))
finding(struct strict_client *sc, enum strict_kind kind, const char *format, ...)
{
	if (!sc)
		return;
	if (sc->counts[kind]++ > 0)
		return;
	/* The first of each kind is said in full; the report counts the rest. */
	char message[256];
	va_list args;
	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);
	sc->first[kind] = strdup(message);
	if (kinds[kind].error)
		log_error("strict", "%s[%d]: %s: %s", sc->name, (int)sc->pid, kinds[kind].name,
			  message);
	else
		log_warn("strict", "%s[%d]: %s: %s", sc->name, (int)sc->pid, kinds[kind].name,
			 message);
}

/* JSON strings from our own messages: escape what could break the document. */
static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double
percentile(const double *sorted, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return sorted[i < n ? i : n - 1];
}

static void
write_report(struct strict_client *sc)
{
	unsigned long errors = 0, warnings = 0;
	for (int k = 0; k < STRICT_N_KINDS; k++)
		*(kinds[k].error ? &errors : &warnings) += sc->counts[k];
	/* No frame presented: no array at all, and qsort() must not see NULL. */
	if (sc->n_latencies)
		qsort(sc->latencies_ms, sc->n_latencies, sizeof(double), compare_double);
	double median = percentile(sc->latencies_ms, sc->n_latencies, 0.5);
	double p99 = percentile(sc->latencies_ms, sc->n_latencies, 0.99);
	log_info("strict",
		 "%s[%d]: %lu commits, %lu frames (%lu presented, %lu dropped), %lu dma-bufs: "
		 "%lu errors, %lu warnings",
		 sc->name, (int)sc->pid, sc->commits, sc->committed, sc->presented, sc->dropped,
		 sc->dmabufs, errors, warnings);
	const char *dir = sc->strict->report_dir;
	if (!dir)
		return;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s-%d-%u.json", dir, sc->name, (int)sc->pid, sc->serial);
	FILE *f = fopen(path, "w");
	if (!f) {
		log_errno("strict", "cannot write the report %s", path);
		return;
	}
	fprintf(f, "{\n  \"client\": ");
	json_string(f, sc->name);
	fprintf(f,
		",\n  \"pid\": %d,\n  \"commits\": %lu,\n  \"dmabuf_buffers\": %lu,\n"
		"  \"frames\": {\"committed\": %lu, \"presented\": %lu, \"dropped\": %lu, "
		"\"scanned_out\": %lu, \"composited\": %lu},\n"
		"  \"latency_ms\": {\"median\": %.3f, \"p99\": %.3f},\n  \"formats\": [",
		(int)sc->pid, sc->commits, sc->dmabufs, sc->committed, sc->presented, sc->dropped,
		sc->scanned_out, sc->composited, median, p99);
	for (unsigned i = 0; i < sc->n_formats; i++) {
		fprintf(f, "%s", i ? ", " : "");
		json_string(f, sc->formats[i]);
	}
	fprintf(f, "],\n  \"sync\": [");
	bool first_sync = true;
	for (int k = 0; k < SYNC_N; k++) {
		if (!(sc->sync_seen & (1u << k)))
			continue;
		fprintf(f, "%s\"%s\"", first_sync ? "" : ", ", sync_names[k]);
		first_sync = false;
	}
	fprintf(f, "],\n  \"errors\": %lu,\n  \"warnings\": %lu,\n  \"findings\": [", errors,
		warnings);
	bool first = true;
	for (int k = 0; k < STRICT_N_KINDS; k++) {
		if (!sc->counts[k])
			continue;
		fprintf(f,
			"%s\n    {\"kind\": \"%s\", \"severity\": \"%s\", \"count\": %lu, "
			"\"first\": ",
			first ? "" : ",", kinds[k].name, kinds[k].error ? "error" : "warning",
			sc->counts[k]);
		json_string(f, sc->first[k]);
		fprintf(f, "}");
		first = false;
	}
	fprintf(f, "%s]\n}\n", first ? "" : "\n  ");
	if (fclose(f) != 0)
		log_errno("strict", "cannot write the report %s", path);
}

static void
client_free(struct strict_client *sc)
{
	write_report(sc);
	wl_list_remove(&sc->destroy.link);
	wl_list_remove(&sc->link);
	for (int k = 0; k < STRICT_N_KINDS; k++)
		free(sc->first[k]);
	free(sc->latencies_ms);
	free(sc);
}

static void
strict_client_handle_destroy(struct wl_listener *listener, void *data)
{
	struct strict_client *sc = wl_container_of(listener, sc, destroy);
	client_free(sc);
}

static void
strict_client_told_formats(struct sl_strict *strict, struct wl_client *client)
{
	struct strict_client *sc = client_get(strict, client);
	if (sc)
		sc->told_formats = true;
}

static void
strict_dmabuf_created(struct sl_strict *strict, struct wl_client *client,
		      const struct sl_buffer *buffer)
{
	struct strict_client *sc = client_get(strict, client);
	if (!sc)
		return;
	sc->dmabufs++;
	char name[5];
	uint32_t id = buffer->resource ? wl_resource_get_id(buffer->resource) : 0;
	if (!sc->told_formats)
		finding(sc, STRICT_FORMAT_NOT_ADVERTISED,
			"wl_buffer@%u: %s with modifier 0x%016" PRIx64
			" chosen without the format list: the client never asked for dma-buf "
			"feedback",
			id, format_fourcc_str(buffer->format, name), buffer->dmabuf.modifier);
	uint64_t modifier = buffer->dmabuf.modifier;
	if (modifier != DRM_FORMAT_MOD_LINEAR && modifier != DRM_FORMAT_MOD_INVALID)
		return; /* tiled layouts have their own rules, which the driver checks */
	for (unsigned i = 0; i < buffer->dmabuf.n_planes; i++) {
		uint32_t stride = buffer->dmabuf.planes[i].stride;
		uint32_t offset = buffer->dmabuf.planes[i].offset;
		if (stride % SL_STRICT_ALIGN == 0 && offset % SL_STRICT_ALIGN == 0)
			continue;
		finding(sc, STRICT_STRIDE_ALIGNMENT,
			"wl_buffer@%u: plane %u has stride %u and offset %u; display engines want "
			"both multiples of %d bytes",
			id, i, stride, offset, SL_STRICT_ALIGN);
		break;
	}
}

/* ---- surfaces ---- */

static void
strict_surface_handle_destroy(struct wl_listener *listener, void *data)
{
	struct strict_surface *ss = wl_container_of(listener, ss, surface_destroy);
	wl_list_remove(&ss->surface_destroy.link);
	wl_list_remove(&ss->link);
	if (ss->frame_callback)
		wl_list_remove(&ss->callback_destroy.link);
	free(ss);
}

static void
strict_surface_handle_callback_destroy(struct wl_listener *listener, void *data)
{
	struct strict_surface *ss = wl_container_of(listener, ss, callback_destroy);
	wl_list_remove(&ss->callback_destroy.link);
	ss->frame_callback = NULL;
}

static struct strict_surface *
surface_get(struct sl_strict *strict, struct sl_surface *surface)
{
	struct wl_listener *listener =
		wl_signal_get(&surface->events.destroy, strict_surface_handle_destroy);
	if (listener) {
		struct strict_surface *ss = wl_container_of(listener, ss, surface_destroy);
		return ss;
	}
	struct strict_surface *ss = calloc(1, sizeof(*ss));
	if (!ss)
		return NULL;
	ss->surface = surface;
	wl_list_insert(&strict->surfaces, &ss->link);
	ss->surface_destroy.notify = strict_surface_handle_destroy;
	wl_signal_add(&surface->events.destroy, &ss->surface_destroy);
	ss->callback_destroy.notify = strict_surface_handle_callback_destroy;
	return ss;
}

/* Whether a commit of this surface still holds the buffer (queued or cached, not yet shown). */
static bool
held_by_state(const struct sl_buffer *buffer)
{
	return buffer->n_locks > buffer->n_scanout;
}

static void
check_buffer_reuse(struct strict_client *sc, struct sl_surface *surface, struct sl_buffer *buffer)
{
	/*
	 * Re-committing the newest committed buffer writes nothing new. Compared with what is
	 * shown instead, a buffer committed again behind a commit still waiting for its fence
	 * would pass unseen.
	 */
	if (buffer == sl_surface_committed_buffer(surface))
		return;
	uint32_t surface_id = wl_resource_get_id(surface->resource);
	uint32_t id = buffer->resource ? wl_resource_get_id(buffer->resource) : 0;
	const struct sl_surface_state *pending = &surface->pending;
	bool explicit_sync = pending->acquire_fd >= 0 || pending->acquire.timeline;
	if (explicit_sync) {
		/* Reusable once its release fired: a release still waiting means it is read. */
		if (!wl_list_empty(&buffer->deferred_releases) || held_by_state(buffer))
			finding(sc, STRICT_RELEASE_NOT_WAITED,
				"wl_surface@%u: wl_buffer@%u committed again before sluice "
				"released "
				"it (its release event or point had not fired)",
				surface_id, id);
	} else if (buffer->n_locks > 0) {
		finding(sc, STRICT_REUSE_BEFORE_RELEASE,
			"wl_surface@%u: wl_buffer@%u committed again before its wl_buffer.release",
			surface_id, id);
	}
}

/* A new buffer: a frame the client wants shown. What it is made of, and how it is synced. */
static void
record_frame(struct strict_client *sc, struct strict_surface *ss, struct sl_buffer *buffer)
{
	sc->committed++;
	if (ss->pending_ns)
		sc->dropped++; /* replaced before any output frame showed it */
	ss->pending_ns = monotonic_ns();

	const struct sl_surface_state *pending = &ss->surface->pending;
	enum sync_kind sync = SYNC_NONE;
	if (pending->acquire_fd >= 0)
		sync = SYNC_FILE;
	else if (pending->acquire.timeline)
		sync = SYNC_SYNCOBJ;
	else if (buffer->type == SL_BUFFER_DMABUF)
		sync = SYNC_IMPLICIT;
	sc->sync_seen |= 1u << sync;

	char name[5], format[40];
	if (buffer->type == SL_BUFFER_DMABUF)
		snprintf(format, sizeof(format), "%s 0x%016" PRIx64 " dmabuf",
			 format_fourcc_str(buffer->format, name), buffer->dmabuf.modifier);
	else
		snprintf(format, sizeof(format), "%s %s", format_fourcc_str(buffer->format, name),
			 buffer->type == SL_BUFFER_SHM ? "shm" : "single-pixel");
	for (unsigned i = 0; i < sc->n_formats; i++)
		if (strcmp(sc->formats[i], format) == 0)
			return;
	if (sc->n_formats < sizeof(sc->formats) / sizeof(sc->formats[0]))
		snprintf(sc->formats[sc->n_formats++], sizeof(sc->formats[0]), "%s", format);
}

static void
strict_surface_in_frame(struct sl_strict *strict, struct sl_surface *surface,
			struct sl_output *output, bool on_plane)
{
	struct strict_surface *ss = surface_get(strict, surface);
	if (!ss || !ss->pending_ns || ss->in_flight_output)
		return;
	ss->in_flight_ns = ss->pending_ns;
	ss->in_flight_output = output;
	ss->in_flight_on_plane = on_plane;
	ss->pending_ns = 0;
}

static void
strict_output_frame_failed(struct sl_strict *strict, struct sl_output *output)
{
	struct strict_surface *ss;
	wl_list_for_each (ss, &strict->surfaces, link) {
		if (ss->in_flight_output != output)
			continue;
		/* Not shown after all: still waiting for a frame, unless a newer one is. */
		if (!ss->pending_ns)
			ss->pending_ns = ss->in_flight_ns;
		ss->in_flight_output = NULL;
	}
}

static void
strict_output_presented(struct sl_strict *strict, struct sl_output *output, int64_t time_ns)
{
	struct strict_surface *ss;
	wl_list_for_each (ss, &strict->surfaces, link) {
		if (ss->in_flight_output != output)
			continue;
		ss->in_flight_output = NULL;
		struct strict_client *sc =
			client_get(strict, wl_resource_get_client(ss->surface->resource));
		if (!sc)
			continue;
		sc->presented++;
		*(ss->in_flight_on_plane ? &sc->scanned_out : &sc->composited) += 1;
		if (sc->n_latencies == sc->latencies_size && sc->latencies_size < 1000000) {
			size_t size = sc->latencies_size ? sc->latencies_size * 2 : 256;
			double *grown = realloc(sc->latencies_ms, size * sizeof(double));
			if (grown) {
				sc->latencies_ms = grown;
				sc->latencies_size = size;
			}
		}
		if (sc->n_latencies < sc->latencies_size)
			sc->latencies_ms[sc->n_latencies++] =
				(double)(time_ns - ss->in_flight_ns) / 1e6;
		if (strict->frame_limit && sc->presented >= strict->frame_limit &&
		    !sc->limit_signalled) {
			/* A test bench's frame limit: the client is asked to finish, as by a user.
			 */
			sc->limit_signalled = true;
			log_info("strict", "%s[%d]: %lu frames presented: sending SIGTERM",
				 sc->name, (int)sc->pid, sc->presented);
			if (sc->pid > 0 && kill(sc->pid, SIGTERM) < 0)
				log_errno("strict", "cannot signal %s[%d]", sc->name, (int)sc->pid);
		}
	}
}

static void
strict_surface_commit(struct sl_strict *strict, struct sl_surface *surface)
{
	struct strict_client *sc = client_get(strict, wl_resource_get_client(surface->resource));
	struct strict_surface *ss = surface_get(strict, surface);
	if (!sc || !ss)
		return;
	sc->commits++;
	struct sl_surface_state *pending = &surface->pending;
	uint32_t surface_id = wl_resource_get_id(surface->resource);
	struct sl_buffer *buffer = sl_surface_attached_buffer(surface);
	if (buffer) {
		record_frame(sc, ss, buffer);
		check_buffer_reuse(sc, surface, buffer);
		if (!pixman_region32_not_empty(&pending->surface_damage) &&
		    !pixman_region32_not_empty(&pending->buffer_damage))
			finding(sc, STRICT_NO_DAMAGE,
				"wl_surface@%u: a new buffer committed without damage (the "
				"compositor may keep showing the old content)",
				surface_id);
		if (ss->frame_callback)
			finding(sc, STRICT_FRAME_CALLBACK_IGNORED,
				"wl_surface@%u: a new buffer committed before the frame callback "
				"of "
				"an earlier commit was done",
				surface_id);
		if (buffer->type == SL_BUFFER_DMABUF && strict->dmabuf &&
		    dmabuf_buffer_misses_scanout(strict->dmabuf, surface, buffer)) {
			char name[5];
			finding(sc, STRICT_NOT_SCANOUT_FORMAT,
				"wl_surface@%u: %s with modifier 0x%016" PRIx64
				" is not in the scanout tranche this surface was offered: "
				"composited instead of scanned out",
				surface_id, format_fourcc_str(buffer->format, name),
				buffer->dmabuf.modifier);
		}
	}
	if (!wl_list_empty(&pending->frame_callbacks)) {
		struct wl_resource *callback = wl_resource_from_link(pending->frame_callbacks.prev);
		if (ss->frame_callback)
			wl_list_remove(&ss->callback_destroy.link);
		ss->frame_callback = callback;
		wl_resource_add_destroy_listener(callback, &ss->callback_destroy);
	}
}

/* ---- what strict mode listens to ---- */

static void
handle_output_frame(struct wl_listener *listener, void *data)
{
	struct strict_output *so = wl_container_of(listener, so, frame);
	const struct sl_output_frame_event *event = data;
	for (int i = 0; i < event->count; i++)
		strict_surface_in_frame(so->strict, event->surfaces[i].surface, so->output,
					event->surfaces[i].on_plane);
}

static void
handle_output_frame_failed(struct wl_listener *listener, void *data)
{
	struct strict_output *so = wl_container_of(listener, so, frame_failed);
	strict_output_frame_failed(so->strict, so->output);
}

static void
handle_output_present(struct wl_listener *listener, void *data)
{
	struct strict_output *so = wl_container_of(listener, so, present);
	const struct sl_output_present_event *event = data;
	strict_output_presented(so->strict, so->output, event->time_ns);
}

static void
strict_output_free(struct strict_output *so)
{
	wl_list_remove(&so->frame.link);
	wl_list_remove(&so->frame_failed.link);
	wl_list_remove(&so->present.link);
	wl_list_remove(&so->destroy.link);
	wl_list_remove(&so->link);
	free(so);
}

static void
handle_output_destroy(struct wl_listener *listener, void *data)
{
	struct strict_output *so = wl_container_of(listener, so, destroy);
	/* Its frame in flight will never be presented. */
	strict_output_frame_failed(so->strict, so->output);
	strict_output_free(so);
}

static void
handle_new_output(struct wl_listener *listener, void *data)
{
	struct sl_strict *strict = wl_container_of(listener, strict, new_output);
	struct sl_output *output = data;
	struct strict_output *so = calloc(1, sizeof(*so));
	if (!so) {
		log_error("strict", "out of memory: %s's frames are not followed", output->name);
		return;
	}
	so->strict = strict;
	so->output = output;
	wl_list_insert(&strict->outputs, &so->link);
	so->frame.notify = handle_output_frame;
	wl_signal_add(&output->events.frame, &so->frame);
	so->frame_failed.notify = handle_output_frame_failed;
	wl_signal_add(&output->events.frame_failed, &so->frame_failed);
	so->present.notify = handle_output_present;
	wl_signal_add(&output->events.present, &so->present);
	so->destroy.notify = handle_output_destroy;
	wl_signal_add(&output->events.destroy, &so->destroy);
}

static void
handle_surface_commit(struct wl_listener *listener, void *data)
{
	struct sl_strict *strict = wl_container_of(listener, strict, surface_commit);
	strict_surface_commit(strict, data);
}

static void
handle_formats_sent(struct wl_listener *listener, void *data)
{
	struct sl_strict *strict = wl_container_of(listener, strict, formats_sent);
	strict_client_told_formats(strict, data);
}

static void
handle_dmabuf_created(struct wl_listener *listener, void *data)
{
	struct sl_strict *strict = wl_container_of(listener, strict, dmabuf_created);
	struct sl_buffer *buffer = data;
	strict_dmabuf_created(strict, wl_resource_get_client(buffer->resource), buffer);
}

void
strict_attach_dmabuf(struct sl_strict *strict, struct sl_dmabuf *dmabuf)
{
	assert(!strict->dmabuf);
	strict->dmabuf = dmabuf;
	struct sl_dmabuf_events *events = dmabuf_get_events(dmabuf);
	strict->formats_sent.notify = handle_formats_sent;
	wl_signal_add(&events->formats_sent, &strict->formats_sent);
	strict->dmabuf_created.notify = handle_dmabuf_created;
	wl_signal_add(&events->buffer_created, &strict->dmabuf_created);
}

struct sl_strict *
strict_create(struct sl_server *server, const char *report_dir, unsigned long frame_limit)
{
	struct sl_strict *strict = calloc(1, sizeof(*strict));
	if (!strict) {
		log_error("strict", "out of memory");
		return NULL;
	}
	strict->server = server;
	strict->frame_limit = frame_limit;
	wl_list_init(&strict->clients);
	wl_list_init(&strict->surfaces);
	wl_list_init(&strict->outputs);
	wl_list_init(&strict->formats_sent.link);
	wl_list_init(&strict->dmabuf_created.link);
	if (report_dir) {
		if (mkdir(report_dir, 0755) < 0 && errno != EEXIST) {
			log_errno("strict", "cannot create the report directory %s", report_dir);
			free(strict);
			return NULL;
		}
		strict->report_dir = strdup(report_dir);
		if (!strict->report_dir) {
			log_error("strict", "out of memory");
			free(strict);
			return NULL;
		}
	}
	strict->new_output.notify = handle_new_output;
	wl_signal_add(&server->events.new_output, &strict->new_output);
	struct sl_output *output;
	wl_list_for_each (output, &server->outputs, link)
		handle_new_output(&strict->new_output, output);
	strict->surface_commit.notify = handle_surface_commit;
	wl_signal_add(&server->events.surface_commit, &strict->surface_commit);
	log_info("strict", "strict mode: checking every client's submissions%s%s",
		 report_dir ? "; reports in " : "", report_dir ? report_dir : "");
	return strict;
}

void
strict_destroy(struct sl_strict *strict)
{
	if (!strict)
		return;
	struct strict_client *sc, *tmp;
	wl_list_for_each_safe (sc, tmp, &strict->clients, link)
		client_free(sc);
	struct strict_output *so, *so_tmp;
	wl_list_for_each_safe (so, so_tmp, &strict->outputs, link)
		strict_output_free(so);
	wl_list_remove(&strict->new_output.link);
	wl_list_remove(&strict->surface_commit.link);
	wl_list_remove(&strict->formats_sent.link);
	wl_list_remove(&strict->dmabuf_created.link);
	free(strict->report_dir);
	free(strict);
}
