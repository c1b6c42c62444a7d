/*
 * LD_PRELOAD witness for weston-simple-dmabuf-feedback (weston 10 to 14), whose crash on sluice
 * was traced to the client itself (docs/testing.md, "weston-simple-dmabuf-feedback"):
 *
 * When the surface feedback offers a scanout format after the buffers were made, the client
 * re-creates them: buffer_free destroys the wl_buffer proxy but leaves the pointer in place, and
 * a new one arrives only with the params' `created` event. If the client's three seconds run out
 * in between, destroy_window frees the stale proxy a second time: an abort in wl_proxy_unref, or
 * a SIGSEGV.
 *
 * The witness counts buffers being created: a zwp_linux_buffer_params_v1 gets its listener
 * when the client asks for a buffer, a wl_buffer when `created` arrives; one asked for after the
 * program destroyed a GBM buffer is a re-creation. If the client dies of SIGABRT or SIGSEGV
 * while a re-creation is pending, it says so on stderr, so that a test retries only for this
 * cause; a clean exit prints the counts, so that a test knows whether the window ever opened.
 *
 * FEEDBACK_WITNESS_END=pending (or =settled) also drives the client into that window (or past
 * it): the client's own clock stands still until its first re-creation request, then jumps
 * ahead by ten seconds, at once (pending) or once that buffer's `created` has arrived (settled),
 * so the client leaves its loop there; after 15 real seconds without one it ends the run anyway
 * and says so. Only calls from the program itself see the changed clock; Mesa's and libwayland's
 * do not.
 */
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <wayland-client-core.h>

struct gbm_bo;
void gbm_bo_destroy(struct gbm_bo *bo); /* libgbm's, interposed below */

/* Real seconds a held clock waits for the first re-creation. */
enum { GIVE_UP_S = 15 };

static int params_made;	 /* buffers asked for */
static int buffers_made; /* buffers the compositor created */
static int bos_freed;	 /* GBM buffers the program destroyed */
static int recreated;	 /* buffers asked for after one was destroyed */
static enum { END_NATURAL, END_PENDING, END_SETTLED } end_mode;
static bool recreating;
static bool jumped;

static void
report(const char *why)
{
	char line[200];
	int pending = params_made - buffers_made;
	int len = snprintf(line, sizeof(line),
			   "feedback-witness: %s with %d buffer(s) asked for and not yet created "
			   "(%d asked, %d created)%s\n",
			   why, pending, params_made, buffers_made,
			   pending > 0 && recreating ? ": a re-creation was in flight" : "");
	if (len > 0)
		(void)!write(STDERR_FILENO, line, (size_t)len);
}

__attribute__((destructor)) static void
witness_exit(void)
{
	fprintf(stderr, "feedback-witness: exit with %d asked, %d created, %d re-created\n",
		params_made, buffers_made, recreated);
}

static void
on_fatal(int sig)
{
	report(sig == SIGABRT ? "SIGABRT" : "SIGSEGV");
	signal(sig, SIG_DFL);
	raise(sig);
}

__attribute__((constructor)) static void
witness_init(void)
{
	const char *end = getenv("FEEDBACK_WITNESS_END");
	end_mode = !end				 ? END_NATURAL
		   : strcmp(end, "pending") == 0 ? END_PENDING
		   : strcmp(end, "settled") == 0 ? END_SETTLED
						 : END_NATURAL;
	signal(SIGABRT, on_fatal);
	signal(SIGSEGV, on_fatal);
}

int
wl_proxy_add_listener(struct wl_proxy *proxy, void (**implementation)(void), void *data)
{
	static int (*next)(struct wl_proxy *, void (**)(void), void *);
	if (!next)
		next = (int (*)(struct wl_proxy *, void (**)(void), void *))dlsym(
			RTLD_NEXT, "wl_proxy_add_listener");
	const char *class = wl_proxy_get_class(proxy);
	if (strcmp(class, "zwp_linux_buffer_params_v1") == 0) {
		params_made++;
		if (bos_freed > 0) {
			recreating = true;
			recreated++;
		}
	} else if (strcmp(class, "wl_buffer") == 0) {
		buffers_made++;
	}
	return next(proxy, implementation, data);
}

struct range {
	uintptr_t start, end;
};

static int
program_text(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct range *text = data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			text->start = info->dlpi_addr + ph->p_vaddr;
			text->end = text->start + ph->p_memsz;
		}
	}
	return 1; /* the first object listed is the program */
}

/* Whether the caller is the program itself rather than a library it uses. */
static bool
called_by_program(const void *caller)
{
	static struct range text;
	if (!text.end)
		dl_iterate_phdr(program_text, &text);
	return (uintptr_t)caller >= text.start && (uintptr_t)caller < text.end;
}

/* The program's own calls are buffer_free's, at re-creation and at exit. */
void
gbm_bo_destroy(struct gbm_bo *bo)
{
	static void (*next)(struct gbm_bo *);
	if (!next)
		next = (void (*)(struct gbm_bo *))dlsym(RTLD_NEXT, "gbm_bo_destroy");
	if (called_by_program(__builtin_return_address(0)))
		bos_freed++;
	next(bo);
}

int
clock_gettime(clockid_t clock, struct timespec *ts)
{
	static int (*next)(clockid_t, struct timespec *);
	static struct timespec frozen;
	static bool have_frozen;
	if (!next)
		next = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	int ret = next(clock, ts);
	if (ret != 0 || end_mode == END_NATURAL || clock != CLOCK_MONOTONIC ||
	    !called_by_program(__builtin_return_address(0)))
		return ret;
	if (!have_frozen) {
		frozen = *ts;
		have_frozen = true;
	}
	bool settled = buffers_made >= params_made;
	if (!jumped && recreating && (end_mode == END_PENDING || settled)) {
		jumped = true;
		report(end_mode == END_PENDING ? "ending the run now" : "ending the run, settled,");
	} else if (!jumped && !recreating && ts->tv_sec - frozen.tv_sec >= GIVE_UP_S) {
		/* A client that never re-creates would otherwise run for ever. */
		jumped = true;
		fprintf(stderr, "feedback-witness: no re-creation within %d s; ending the run\n",
			GIVE_UP_S);
	}
	*ts = frozen;
	if (jumped)
		ts->tv_sec += 10;
	return ret;
}
