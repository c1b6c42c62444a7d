/*
 * sluice against weston (10 on the stock stack, 14 on the current), in one run on the same vkms
 * device, the same clients and the same mode (1024x768@60). Each compositor runs its default
 * renderer and shell, every client's toplevel fullscreen (sluice's shell makes them so; on weston's
 * desktop-shell the clients ask for it), the newest on top. (weston's kiosk-shell would be the
 * closer match, but on vkms it stalls: two frames in three seconds.) For each workload and client
 * count a fresh compositor is started:
 *
 *   shm     the shown client redraws a band of a 256x256 XRGB8888 shm buffer each frame and
 *           damages all of it (weston-simple-shm's size; a full-screen shm buffer costs both
 *           compositors hundreds of ms per frame under TCG), shown centred
 *   dmabuf  it alternates linear XRGB8888 dma-bufs (vkms dumb buffers, as Mesa's GBM makes
 *           them there), all painted once
 *   fenced  the dmabuf workload with an implicit write fence on each frame (a sw_sync fence
 *           put into the dma-buf with DMA_BUF_IOCTL_IMPORT_SYNC_FILE), signalled 4 ms after the
 *           commit: what a GPU client's late rendering looks like. Implicit, because weston 10
 *           has no explicit sync without a GPU; both compositors honour implicit fences.
 *   explicit  the same fence given as zwp_linux_surface_synchronization_v1's acquire fence
 *           instead: weston offers explicit sync only where its EGL has native fences (weston
 *           14 on Mesa 25's llvmpipe does, weston 10 on Mesa 22.3 does not: "not offered")
 *
 * with 1, 4 or 16 clients: the shown one (the last mapped) is paced by presentation feedback —
 * it commits its next frame as soon as the previous one was presented, so an ideal compositor
 * shows a new frame at every vblank — and the others commit at 60 Hz behind it.
 *
 * Measured on the shown client: commit-to-present (wl_surface.commit to the wp_presentation
 * timestamp), fence-signal-to-present, and missed vblanks (vblanks between two presented frames
 * that showed no new one, from the feedback's sequence counter); on the compositor: CPU time per
 * presented frame (/proc/PID/stat) and peak RSS (VmHWM). Runs in the test VM (bench/run-compare
 * boots it); prints a table, writes every frame's numbers to a CSV.
 *
 * Usage: sluice-bench-compare [--frames N] [--csv FILE] [--only WORKLOAD|CLIENTS|COMPOSITOR]...
 * (--only narrows the run, e.g. --only dmabuf --only 4 --only weston)
 */
#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xf86drm.h>

#include "fence.h"
#include "harness.h"

enum { MAX_CLIENTS = 16, N_BUFFERS = 3, WARMUP = 30, FENCE_DELAY_NS = 4000000 };

enum compositor { SLUICE, WESTON, N_COMPOSITORS };
static const char *const compositor_names[] = {"sluice", "weston"};
enum workload { SHM, DMABUF, FENCED, EXPLICIT, N_WORKLOADS };
static const char *const workload_names[] = {"shm", "dmabuf", "fenced", "explicit"};
static const int client_counts[] = {1, 4, 16};
enum { N_COUNTS = 3 };

struct buffer {
	struct wl_buffer *wl;
	struct th_buffer *shm;
	struct th_painted_buffer dmabuf;
	bool busy;
};

struct client {
	struct th_client *c;
	struct th_window *w;
	struct buffer buffers[N_BUFFERS];
	struct zwp_linux_surface_synchronization_v1 *sync; /* the explicit workload's */
	int next;
	bool foreground;
};

struct frame {
	int64_t committed, signalled; /* signalled: 0 until the fence is */
	bool fence;		      /* a fence to signal: the timeline's next point */
	struct th_presented presented;
	bool pending;
};

struct result {
	bool ran, ok;
	bool not_offered; /* the compositor lacks what the workload needs */
	int frames, missed, discarded, zero_copy;
	double commit_median, commit_p99, signal_median, signal_p99; /* ms */
	double cpu_ms;
	long peak_rss_kib;
	double *commit, *signal; /* per frame, for the CSV */
};

static void
buffer_release(void *data, struct wl_buffer *wl)
{
	((struct buffer *)data)->busy = false;
}

static const struct wl_buffer_listener buffer_listener = {buffer_release};

static uint32_t
grey(int32_t x, int32_t y, void *data)
{
	return *(const uint32_t *)data;
}

static bool
client_setup(struct client *cl, struct th_server *server, enum compositor comp,
	     enum workload workload, bool *not_offered)
{
	cl->c = th_client_connect(server);
	if (cl->c && workload == EXPLICIT && !cl->c->explicit_sync) {
		*not_offered = true;
		return false;
	}
	cl->w = cl->c ? th_window_create(cl->c) : NULL;
	if (!cl->w || !cl->c->presentation || (workload != SHM && !cl->c->dmabuf)) {
		fprintf(stderr,
			"sluice-bench-compare: no window, wp_presentation or linux-dmabuf\n");
		return false;
	}
	/* sluice makes every toplevel fullscreen; weston's desktop shell is asked to. */
	if (comp == WESTON) {
		xdg_toplevel_set_fullscreen(cl->w->toplevel, NULL);
		if (!th_window_wait_configure(cl->w) || cl->w->width <= 0) {
			fprintf(stderr, "sluice-bench-compare: no fullscreen configure\n");
			return false;
		}
	}
	if (workload == EXPLICIT)
		cl->sync = zwp_linux_explicit_synchronization_v1_get_synchronization(
			cl->c->explicit_sync, cl->w->surface);
	int32_t width = workload == SHM ? 256 : cl->w->width;
	int32_t height = workload == SHM ? 256 : cl->w->height;
	for (int i = 0; i < N_BUFFERS; i++) {
		struct buffer *b = &cl->buffers[i];
		if (workload == SHM) {
			b->shm = th_shm_buffer_create(cl->c, width, height, WL_SHM_FORMAT_XRGB8888);
			if (!b->shm)
				return false;
			th_buffer_fill(b->shm, 0, 0, width, height, 0xff303030);
			b->wl = b->shm->buffer;
		} else {
			uint32_t colour = 0x202020u * (uint32_t)(i + 2);
			if (!th_painted_buffer_create(cl->c, TH_DMABUF_VKMS, DRM_FORMAT_XRGB8888,
						      width, height, grey, &colour, &b->dmabuf)) {
				fprintf(stderr,
					"sluice-bench-compare: cannot make a %dx%d dma-buf\n",
					width, height);
				return false;
			}
			b->wl = b->dmabuf.buffer;
		}
		/* th_shm_buffer_create listens already; a second listener is not allowed. */
		if (workload != SHM)
			wl_buffer_add_listener(b->wl, &buffer_listener, b);
	}
	/* Mapped now, in creation order, so that the last one set up is the one shown. */
	struct buffer *b = &cl->buffers[N_BUFFERS - 1];
	if (b->shm)
		b->shm->busy = true;
	else
		b->busy = true;
	wl_surface_attach(cl->w->surface, b->wl, 0, 0);
	wl_surface_commit(cl->w->surface);
	return th_roundtrip(cl->c);
}

static void
client_teardown(struct client *cl)
{
	for (int i = 0; i < N_BUFFERS; i++) {
		if (cl->buffers[i].shm)
			th_buffer_destroy(cl->buffers[i].shm);
		else if (cl->buffers[i].wl)
			th_painted_buffer_destroy(&cl->buffers[i].dmabuf);
	}
	if (cl->sync)
		zwp_linux_surface_synchronization_v1_destroy(cl->sync);
	th_window_destroy(cl->w);
	if (cl->c)
		th_client_destroy(cl->c);
}

static struct buffer *
free_buffer(struct client *cl)
{
	for (int i = 0; i < N_BUFFERS; i++) {
		struct buffer *b = &cl->buffers[(cl->next + i) % N_BUFFERS];
		bool busy = b->shm ? b->shm->busy : b->busy;
		if (!busy) {
			cl->next = (cl->next + i + 1) % N_BUFFERS;
			return b;
		}
	}
	return NULL;
}

/* Commits the client's next frame; with a frame record, with feedback (and a fence). */
static bool
commit_frame(struct client *cl, enum workload workload, int index, struct frame *frame,
	     int timeline, uint32_t *points)
{
	struct buffer *b = free_buffer(cl);
	if (!b)
		return false;
	int32_t width = b->shm ? b->shm->width : b->dmabuf.width;
	int32_t height = b->shm ? b->shm->height : b->dmabuf.height;
	if (b->shm) {
		/* A band in a new shade each frame: the client draws an eighth of the window
		 * (damaging all of it, as weston-simple-shm does). */
		int32_t band = height / 8, y = (index * band) % (height - band);
		th_buffer_fill(b->shm, 0, y, width, band,
			       0xff000000u | (uint32_t)index * 0x010203u);
		b->shm->busy = true;
	} else {
		b->busy = true;
	}
	if (frame) {
		*frame = (struct frame){.pending = true};
		if (workload == FENCED) {
			int fence = sw_sync_fence(timeline, ++*points);
			struct dma_buf_import_sync_file import = {.flags = DMA_BUF_SYNC_WRITE,
								  .fd = fence};
			bool ok = fence >= 0 && ioctl(b->dmabuf.mem.fd,
						      DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &import) == 0;
			if (fence >= 0)
				close(fence);
			if (!ok) {
				fprintf(stderr,
					"sluice-bench-compare: cannot fence the dma-buf: %s\n",
					strerror(errno));
				return false;
			}
			frame->fence = true;
		} else if (workload == EXPLICIT) {
			int fence = sw_sync_fence(timeline, ++*points);
			if (fence < 0) {
				fprintf(stderr, "sluice-bench-compare: no sw_sync fence: %s\n",
					strerror(errno));
				return false;
			}
			/* libwayland sends a duplicate. */
			zwp_linux_surface_synchronization_v1_set_acquire_fence(cl->sync, fence);
			close(fence);
			frame->fence = true;
		}
		th_feedback_request(cl->c, cl->w->surface, &frame->presented);
	}
	wl_surface_attach(cl->w->surface, b->wl, 0, 0);
	wl_surface_damage_buffer(cl->w->surface, 0, 0, width, height);
	wl_surface_commit(cl->w->surface);
	if (frame)
		frame->committed = th_now_ns();
	return true;
}

static void
signal_fence(struct frame *frame, int timeline)
{
	sw_sync_advance(timeline, 1);
	frame->signalled = th_now_ns();
	frame->fence = false;
}

/* Reads what arrived for every client: prepare, flush, poll, read, dispatch. */
static bool
pump(struct client *clients, int n, int timer_fd, int timeout_ms, bool *tick)
{
	struct pollfd fds[MAX_CLIENTS + 1];
	for (int i = 0; i < n; i++) {
		struct wl_display *d = clients[i].c->display;
		while (wl_display_prepare_read(d) != 0)
			if (wl_display_dispatch_pending(d) < 0)
				return false;
		wl_display_flush(d);
		fds[i] = (struct pollfd){.fd = wl_display_get_fd(d), .events = POLLIN};
	}
	fds[n] = (struct pollfd){.fd = timer_fd, .events = POLLIN};
	int ready = poll(fds, (nfds_t)n + 1, timeout_ms);
	bool ok = ready >= 0 || errno == EINTR;
	for (int i = 0; i < n; i++) {
		struct wl_display *d = clients[i].c->display;
		if (ready > 0 && (fds[i].revents & POLLIN)) {
			if (wl_display_read_events(d) < 0)
				ok = false;
		} else {
			wl_display_cancel_read(d);
		}
		if (wl_display_dispatch_pending(d) < 0)
			ok = false;
	}
	*tick = false;
	if (ready > 0 && (fds[n].revents & POLLIN)) {
		uint64_t expirations;
		*tick = read(timer_fd, &expirations, sizeof(expirations)) > 0;
	}
	return ok;
}

static void
print_log_tail(const char *path)
{
	char *text = th_read_file(path);
	if (!text)
		return;
	size_t len = strlen(text);
	fprintf(stderr, "--- %s ---\n%s\n", path, len > 3000 ? text + len - 3000 : text);
	free(text);
}

static struct result
run(const char *vkms, enum compositor comp, enum workload workload, int n_clients, int frames)
{
	struct result r = {0};
	struct th_server weston, *server = NULL;
	if (comp == SLUICE) {
		const char *const args[] = {"--backend", "drm", "--drm-device", vkms, "--log-level",
					    "warn",	 NULL};
		server = th_server_start(args);
	} else if (th_weston_start(vkms, &weston)) {
		server = &weston;
	}
	if (!server) {
		fprintf(stderr, "sluice-bench-compare: %s did not start\n", compositor_names[comp]);
		return r;
	}
	struct client clients[MAX_CLIENTS] = {0};
	r.commit = calloc((size_t)frames, sizeof(double));
	r.signal = calloc((size_t)frames, sizeof(double));
	int timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	bool fenced = workload == FENCED || workload == EXPLICIT;
	int timeline = fenced ? sw_sync_timeline_create() : -1;
	uint32_t points = 0;
	bool ok = (!fenced || timeline >= 0) && r.commit && r.signal && timer_fd >= 0;
	/* Background clients first: the last one mapped is the one shown. */
	for (int i = 0; ok && i < n_clients; i++) {
		ok = client_setup(&clients[i], server, comp, workload, &r.not_offered);
		clients[i].foreground = i == n_clients - 1;
	}
	struct client *fg = &clients[n_clients - 1];
	struct itimerspec period = {{0, 16666667}, {0, 16666667}};
	if (ok)
		timerfd_settime(timer_fd, 0, &period, NULL);

	int done = 0, index = 0;
	double cpu_start = 0;
	uint64_t last_seq = 0;
	int64_t last_time = 0, progress = th_now_ns();
	/* One frame of the shown client is in flight at a time; warm-up frames are not counted. */
	struct frame frame = {0}, *current = NULL;
	bool measured = false;
	while (ok && done < frames) {
		/*
		 * weston 14's desktop shell shows nothing until its own GL clients have drawn,
		 * which under TCG can take longer than a frame ever should: the first frame gets 60
		 * s.
		 */
		int64_t limit_s = last_time || last_seq ? 5 : 60;
		if (th_now_ns() - progress > limit_s * 1000000000) {
			fprintf(stderr,
				"sluice-bench-compare: %s stalled: no frame for %lld s after %d "
				"(feedback %s)\n",
				compositor_names[comp], (long long)limit_s, done,
				!current		  ? "none requested"
				: current->presented.done ? "received"
							  : "pending");
			ok = false;
			break;
		}
		/* The shown client: its next frame once the last one is presented. */
		if (!current || !current->pending) {
			if (current && current->presented.presented) {
				struct th_presented *p = &current->presented;
				if (measured) {
					int gap = 0;
					if (last_seq && p->seq > last_seq)
						gap = (int)(p->seq - last_seq) - 1;
					else if (last_time && p->refresh_ns)
						gap = (int)((p->time_ns - last_time +
							     p->refresh_ns / 2) /
							    p->refresh_ns) -
						      1;
					r.missed += gap > 0 ? gap : 0;
					r.commit[done] =
						(double)(p->time_ns - current->committed) / 1e6;
					r.signal[done] = current->signalled
								 ? (double)(p->time_ns -
									    current->signalled) /
									   1e6
								 : 0;
					r.zero_copy +=
						(p->flags &
						 WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY) != 0;
					done++;
				}
				last_seq = p->seq;
				last_time = p->time_ns;
			} else if (current && current->presented.discarded && measured) {
				r.discarded++;
			}
			if (done == frames)
				break;
			if (index == WARMUP)
				cpu_start = th_cpu_seconds(server->pid);
			progress = th_now_ns();
			current = &frame;
			measured = index >= WARMUP;
			if (commit_frame(fg, workload, index, current, timeline, &points)) {
				index++;
			} else {
				current = NULL; /* no free buffer: wait for a release */
			}
		}
		int timeout = 100;
		if (current && current->fence) {
			int64_t left = current->committed + FENCE_DELAY_NS - th_now_ns();
			if (left <= 0) {
				signal_fence(current, timeline);
				continue;
			}
			timeout = (int)(left / 1000000) + 1;
			if (left < 1000000)
				timeout = 0;
		}
		bool tick = false;
		ok = pump(clients, n_clients, timer_fd, timeout, &tick);
		if (current && current->presented.done)
			current->pending = false;
		for (int i = 0; tick && i < n_clients - 1; i++)
			commit_frame(&clients[i], workload, index, NULL, -1, NULL);
	}
	if (ok && done > 0) {
		r.frames = done;
		r.cpu_ms = (th_cpu_seconds(server->pid) - cpu_start) * 1000.0 / done;
		r.peak_rss_kib = th_peak_rss_kib(server->pid);
		double *tmp = calloc((size_t)done, sizeof(double));
		if (tmp) {
			memcpy(tmp, r.commit, (size_t)done * sizeof(double));
			r.commit_median = th_percentile(tmp, done, 0.5);
			r.commit_p99 = th_percentile(tmp, done, 0.99);
			memcpy(tmp, r.signal, (size_t)done * sizeof(double));
			r.signal_median = th_percentile(tmp, done, 0.5);
			r.signal_p99 = th_percentile(tmp, done, 0.99);
			free(tmp);
			r.ok = true;
		}
	}
	for (int i = 0; i < n_clients; i++) {
		struct wl_display *d = clients[i].c ? clients[i].c->display : NULL;
		const struct wl_interface *iface;
		uint32_t id;
		if (d && wl_display_get_error(d)) {
			uint32_t code = wl_display_get_protocol_error(d, &iface, &id);
			fprintf(stderr,
				"sluice-bench-compare: client %d: %s (protocol error %u on %s)\n",
				i, strerror(wl_display_get_error(d)), code,
				iface ? iface->name : "-");
		}
	}
	if (!r.ok)
		print_log_tail(server->log_path);
	for (int i = 0; i < n_clients; i++)
		client_teardown(&clients[i]);
	if (timer_fd >= 0)
		close(timer_fd);
	if (timeline >= 0)
		close(timeline); /* signals what is left */
	if (comp == SLUICE)
		th_server_stop(server);
	else
		th_weston_stop(server);
	return r;
}

static double
ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

int
main(int argc, char *argv[])
{
	int frames = 300;
	const char *csv_path = NULL;
	/* --only: which rows run (all by default). */
	bool want_w[N_WORKLOADS] = {0}, want_n[N_COUNTS] = {0}, want_c[N_COMPOSITORS] = {0};
	bool any_w = false, any_n = false, any_c = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc) {
			frames = atoi(argv[++i]);
			if (frames < 10 || frames > 100000) {
				fprintf(stderr, "sluice-bench-compare: --frames: 10 to 100000\n");
				return 1;
			}
		} else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc) {
			csv_path = argv[++i];
		} else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
			const char *what = argv[++i];
			bool known = false;
			for (int w = 0; w < N_WORKLOADS; w++)
				if (strcmp(what, workload_names[w]) == 0)
					known = any_w = want_w[w] = true;
			for (int n = 0; n < N_COUNTS; n++)
				if (atoi(what) == client_counts[n])
					known = any_n = want_n[n] = true;
			for (int c = 0; c < N_COMPOSITORS; c++)
				if (strcmp(what, compositor_names[c]) == 0)
					known = any_c = want_c[c] = true;
			if (!known) {
				fprintf(stderr,
					"sluice-bench-compare: --only %s: not a workload (shm, "
					"dmabuf, fenced, explicit), client count (1, 4, 16) or "
					"compositor (sluice, weston)\n",
					what);
				return 1;
			}
		} else {
			fprintf(stderr,
				"sluice-bench-compare: unknown argument '%s' (--frames N, --csv "
				"FILE)\n",
				argv[i]);
			return 1;
		}
	}
	char vkms[32];
	if (!th_find_drm_device("vkms", vkms, sizeof(vkms))) {
		fprintf(stderr, "sluice-bench-compare: no vkms device (run bench/run-compare)\n");
		return 1;
	}
	FILE *csv = csv_path ? fopen(csv_path, "w") : NULL;
	if (csv_path && !csv) {
		fprintf(stderr, "sluice-bench-compare: cannot write %s: %s\n", csv_path,
			strerror(errno));
		return 1;
	}
	if (csv)
		fprintf(csv, "compositor,workload,clients,frame,commit_to_present_ms,"
			     "signal_to_present_ms\n");

	struct result results[N_WORKLOADS][N_COUNTS][N_COMPOSITORS] = {0};
	bool all_ok = true;
	for (int w = 0; w < N_WORKLOADS; w++)
		for (int n = 0; n < N_COUNTS; n++)
			for (int c = 0; c < N_COMPOSITORS; c++) {
				struct result *r = &results[w][n][c];
				if ((any_w && !want_w[w]) || (any_n && !want_n[n]) ||
				    (any_c && !want_c[c]))
					continue;
				*r = run(vkms, (enum compositor)c, (enum workload)w,
					 client_counts[n], frames);
				r->ran = true;
				fprintf(stderr, "%s %s x%d: %s\n", compositor_names[c],
					workload_names[w], client_counts[n],
					r->ok		 ? "done"
					: r->not_offered ? "not offered"
							 : "FAILED");
				/* A compositor without explicit sync is a row to read, not a
				 * failure. */
				all_ok = all_ok && (r->ok || r->not_offered);
				for (int f = 0; csv && f < r->frames; f++)
					fprintf(csv, "%s,%s,%d,%d,%.3f,%.3f\n", compositor_names[c],
						workload_names[w], client_counts[n], f,
						r->commit[f], r->signal[f]);
			}
	if (csv)
		fclose(csv);

	printf("\nvkms 1024x768@60 in the test VM; %d measured frames per row after %d warm-up; "
	       "each compositor's default renderer and shell\n\n",
	       frames, WARMUP);
	printf("%-8s %3s  %-7s %7s %7s %7s %7s %7s %6s %7s %8s   %s\n", "workload", "n", "comp.",
	       "c->p", "c->p", "s->p", "s->p", "missed", "0-copy", "cpu ms", "peak RSS",
	       "sluice/weston");
	printf("%-8s %3s  %-7s %7s %7s %7s %7s %7s %6s %7s %8s   %s\n", "", "", "", "median", "p99",
	       "median", "p99", "", "", "/frame", "MiB", "c->p med, missed, cpu, RSS");
	for (int w = 0; w < N_WORKLOADS; w++)
		for (int n = 0; n < N_COUNTS; n++)
			for (int c = 0; c < N_COMPOSITORS; c++) {
				struct result *r = &results[w][n][c];
				if (!r->ran)
					continue;
				if (!r->ok) {
					printf("%-8s %3d  %-7s   (%s)\n", workload_names[w],
					       client_counts[n], compositor_names[c],
					       r->not_offered ? "not offered" : "failed");
					continue;
				}
				char s_med[16] = "-", s_p99[16] = "-";
				if (w == FENCED || w == EXPLICIT) {
					snprintf(s_med, sizeof(s_med), "%.2f", r->signal_median);
					snprintf(s_p99, sizeof(s_p99), "%.2f", r->signal_p99);
				}
				printf("%-8s %3d  %-7s %7.2f %7.2f %7s %7s %7d %6d %7.2f %8.1f",
				       workload_names[w], client_counts[n], compositor_names[c],
				       r->commit_median, r->commit_p99, s_med, s_p99, r->missed,
				       r->zero_copy, r->cpu_ms, r->peak_rss_kib / 1024.0);
				struct result *s = &results[w][n][SLUICE],
					      *x = &results[w][n][WESTON];
				if (c == WESTON && s->ok)
					printf("   %.2f, %d/%d, %.2f, %.2f",
					       ratio(s->commit_median, x->commit_median), s->missed,
					       x->missed, ratio(s->cpu_ms, x->cpu_ms),
					       ratio((double)s->peak_rss_kib,
						     (double)x->peak_rss_kib));
				printf("\n");
			}
	printf("\n(c->p: commit to presentation; s->p: fence signal to presentation; ms. missed: "
	       "vblanks that showed no new frame of the shown client. cpu: the compositor's "
	       "user+system time per presented frame. Ratios below 1 favour sluice.)\n");
	for (int w = 0; w < N_WORKLOADS; w++)
		for (int n = 0; n < N_COUNTS; n++)
			for (int c = 0; c < N_COMPOSITORS; c++) {
				free(results[w][n][c].commit);
				free(results[w][n][c].signal);
			}
	return all_ok ? 0 : 1;
}
