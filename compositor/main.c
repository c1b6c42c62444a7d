/* sluice: command line, start-up and shutdown. */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "backends/headless.h"
#include "backends/kms/kms.h"
#include "backends/session.h"
#include "config.h"
#include "version.h"
#include "core/loop.h"
#include "core/renderer.h"
#include "features/kiosk.h"
#include "input/idle.h"
#include "input/input.h"
#include "core/transform.h"
#include "log.h"
#include "renderers/gl.h"
#include "sluice.h"

#define MAX_OUTPUTS 8

/* --transform [OUTPUT:]T into the core's choices; false with a one-line diagnostic. */
static bool
parse_transform(char *arg, struct sl_options *core)
{
	if (core->n_transforms == (int)(sizeof(core->transforms) / sizeof(core->transforms[0]))) {
		fprintf(stderr, "sluice: at most %zu --transform options\n",
			sizeof(core->transforms) / sizeof(core->transforms[0]));
		return false;
	}
	struct sl_transform_choice *choice = &core->transforms[core->n_transforms];
	char *colon = strrchr(arg, ':');
	const char *name = colon ? colon + 1 : arg;
	if (colon && colon == arg) {
		fprintf(stderr, "sluice: --transform '%s': no output name before ':'\n", arg);
		return false;
	}
	if (!sl_transform_parse(name, &choice->transform)) {
		fprintf(stderr,
			"sluice: invalid transform '%s' (expected normal, 90, 180, 270, flipped, "
			"flipped-90, flipped-180 or flipped-270, optionally after OUTPUT:)\n",
			name);
		return false;
	}
	if (colon)
		*colon = '\0';
	choice->output = colon ? arg : NULL;
	core->n_transforms++;
	return true;
}

static const char usage[] =
	"Usage: sluice [OPTIONS]\n"
	"       sluice [OPTIONS] --kiosk [--restart POLICY] -- APP [ARGS...]\n"
	"\n"
	"A Wayland compositor that moves client buffers to the screen without copies.\n"
	"\n"
	"Options:\n"
	"  -s, --socket NAME         listen on $XDG_RUNTIME_DIR/NAME (default: first free "
	"wayland-N)\n"
	"      --backend NAME        auto (default: KMS if a display device can be used, else\n"
	"                            headless), drm or headless\n"
	"      --drm-device PATH     the DRM device (default: the first KMS-capable card)\n"
	"      --output NAME         drive only this connector (e.g. HDMI-A-1; default: every\n"
	"                            connected one), also when it is plugged in later\n"
	"      --mode WxH[@HZ]       the display mode (default: the connector's preferred mode)\n"
	"      --transform [OUTPUT:]T  how the display is mounted: normal, 90, 180, 270, flipped,\n"
	"                            flipped-90, flipped-180 or flipped-270 (wl_output's\n"
	"                            counter-clockwise turns); with OUTPUT (e.g. DSI-1,\n"
	"                            HEADLESS-1) for that output only (repeatable; default: the\n"
	"                            panel's orientation where it reports one, else normal)\n"
	"      --renderer NAME       on KMS: auto (default: gl, pixman where GL is software or\n"
	"                            missing), gl or pixman\n"
	"      --headless WxH[@HZ]   add a virtual output (repeatable; default one 1024x768@60)\n"
	"      --capture             offer the capture protocols (ext-image-copy-capture,\n"
	"                            wlr-screencopy, sluice_capture_v1): lets clients read\n"
	"                            outputs\n"
	"      --repaint-window MS   start repainting MS milliseconds before each vblank (default "
	"7)\n"
	"      --ready-fd FD         write the socket name and a newline to FD once clients can "
	"connect\n"
	"      --no-scanout          compose every frame: never put client buffers on planes\n"
	"      --realtime            ask for real-time scheduling (SCHED_RR, else nice -10) so "
	"that\n"
	"                            clients flooding sluice cannot make it miss frames\n"
	"      --input MODE          auto (default: libinput with the drm backend, none with\n"
	"                            headless), libinput (fail without it) or none\n"
	"      --session MODE        auto (default: a libseat session with the drm backend, else\n"
	"                            devices opened directly, as root), libseat (fail without\n"
	"                            one) or none (devices opened directly: no VT switching)\n"
	"      --keyboard-layout L   XKB layout, optionally :variant (e.g. de:nodeadkeys); "
	"default\n"
	"                            from XKB_DEFAULT_LAYOUT, else us\n"
	"      --idle-timeout S      blank the outputs after S seconds without input (needs input\n"
	"                            devices; default 0: never)\n"
	"      --no-quit-key         Ctrl+Alt+BackSpace goes to the client instead of stopping\n"
	"                            sluice\n"
	"      --extra-commits N     commits per second that show nothing (of hidden surfaces,\n"
	"                            or replacing one not shown yet) all clients together may\n"
	"                            make before sluice stops reading those that make them, for\n"
	"                            a while (default 240; 0: no limit)\n"
	"      --acquire-fences MODE wait (default): sluice waits for each buffer's acquire fence\n"
	"                            before using it; kms: a buffer replacing one on a plane is\n"
	"                            used at once and the kernel waits (IN_FENCE_FD), which saves\n"
	"                            a wake-up but lets a fence that never signals hold the "
	"output\n"
	"      --strict              check what clients submit (formats, strides, buffer reuse,\n"
	"                            releases, damage, frame callbacks) and log what they get\n"
	"                            wrong; see docs/strict-mode.md\n"
	"      --strict-report DIR   --strict, and write DIR/CLIENT-PID-N.json for each client\n"
	"                            when it disconnects\n"
	"      --strict-frame-limit N  --strict, and send a client SIGTERM once N of its frames\n"
	"                            were presented (a test bench's frame limit)\n"
	"      --stats FILE          write counters (buffer import paths, fences, frames) as JSON "
	"to\n"
	"                            FILE at exit\n"
	"      --kiosk               run APP on sluice's socket (WAYLAND_DISPLAY set) and exit\n"
	"                            with its status (128 + N if signal N killed it); a\n"
	"                            SIGTERM to sluice stops APP first\n"
	"      --restart POLICY      with --kiosk: never (default), on-failure (non-zero exit\n"
	"                            or a signal) or always restart APP, after 0.25 s doubling\n"
	"                            to 8 s; a run of 30 s or more resets the pause and count\n"
	"      --restart-limit N     with --kiosk: give up after N restarts in a row (default 5)\n"
	"  -l, --log-level LEVEL     silent, error, warn, info (default) or debug\n"
	"  -h, --help                show this help and exit\n"
	"  -v, --version             show the version and exit\n";

/* "0.1.0 (git 0123456789ab)", or "0.1.0" when not built from a git checkout. */
static const char *
format_version(char *buf, size_t size)
{
	if (strcmp(SLUICE_COMMIT, "unknown") == 0)
		return SLUICE_VERSION;
	snprintf(buf, size, "%s (git %s)", SLUICE_VERSION, SLUICE_COMMIT);
	return buf;
}

/*
 * --realtime: a frame is due every refresh whatever the clients do. With 64 clients flooding it
 * with commits on two cores, an ordinary-priority sluice got a fraction of the CPU and a
 * well-behaved client lost four frames in five. Like KWin and mutter, ask for a real-time slot
 * (round robin at the lowest priority, not inherited by children); where that is not allowed, a
 * better nice value. Not the default: on vkms under TCG it halved a shm client's frame rate
 * (the kernel's own commit work runs at normal priority), see docs/architecture.md.
 */
static void
raise_priority(void)
{
	struct sched_param param = {.sched_priority = 1};
	if (sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &param) == 0) {
		log_info("main", "running with real-time priority (SCHED_RR)");
		return;
	}
	int err = errno;
	if (setpriority(PRIO_PROCESS, 0, -10) == 0) {
		log_info("main", "no real-time priority (%s): running at nice -10", strerror(err));
		return;
	}
	log_info("main", "no raised priority (%s): a busy machine can cost frames", strerror(err));
}

static int
handle_terminate_signal(int signal, void *data)
{
	struct sl_loop *loop = data;
	log_info("main", "signal %d: shutting down", signal);
	sl_loop_terminate(loop);
	return 0;
}

/*
 * libwayland's own messages (a client that died mid-message, a lock file in use) go through our
 * log, so that a failed start-up prints exactly one line of our own.
 */
static void __attribute__((format(printf, 1, 0))) handle_wayland_log(const char *fmt, va_list args)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, args);
	line[strcspn(line, "\n")] = '\0';
	log_write(LOG_DEBUG, "wayland", "%s", line);
}

static void
destroy_kms_backend(void *device)
{
	kms_device_destroy(device);
}

enum renderer_choice { RENDERER_AUTO, RENDERER_GL, RENDERER_PIXMAN };

/*
 * --renderer on KMS: GL on the device where it runs on a GPU, else pixman (the server's own).
 * Measured on vkms (bench/run-scanout, run-compare): llvmpipe takes many times pixman's CPU time
 * per composed frame, and reads every dma-buf through a CPU mapping anyway.
 */
static bool
choose_kms_renderer(void *data, int drm_fd, const char *path, struct sl_renderer **out, char *err,
		    size_t err_size)
{
	enum renderer_choice choice = *(const enum renderer_choice *)data;
	*out = NULL;
	if (choice == RENDERER_PIXMAN)
		return true;
	/*
	 * Known without GL: creating a context only to learn it is llvmpipe loaded Mesa and LLVM,
	 * and those mappings stayed after it was destroyed (48 MB idle on vkms against 9.5 MB).
	 */
	char why[96];
	if (choice == RENDERER_AUTO && renderer_gl_is_surely_software(drm_fd, why, sizeof(why))) {
		log_info("kms",
			 "GL on %s would render in software (%s): pixman composes faster, using it "
			 "(--renderer gl forces GL)",
			 path, why);
		return true;
	}
	struct sl_renderer *gl = renderer_gl_create(drm_fd);
	if (gl && gl->software && choice == RENDERER_AUTO) {
		log_info("kms",
			 "GL on %s renders in software: pixman composes faster, using it "
			 "(--renderer gl forces GL)",
			 path);
		gl->impl->destroy(gl);
	} else if (gl) {
		*out = gl;
	} else if (choice == RENDERER_GL) {
		snprintf(err, err_size, "%s: the GL renderer cannot run on this device", path);
		return false;
	} else {
		log_warn("kms", "the GL renderer cannot run on %s: using pixman", path);
	}
	return true;
}

/* Parses a whole decimal integer in [min, max]; false on any junk. */
static bool
parse_int(const char *text, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/*
 * The index of arg among choices (NULL-terminated); else -1, after the one-line error "sluice:
 * invalid WHAT 'ARG' (a, b or c)".
 */
static int
parse_choice(const char *what, const char *arg, const char *const *choices)
{
	for (int i = 0; choices[i]; i++)
		if (strcmp(arg, choices[i]) == 0)
			return i;
	fprintf(stderr, "sluice: invalid %s '%s' (", what, arg);
	for (int i = 0; choices[i]; i++)
		fprintf(stderr, "%s%s", i == 0 ? "" : choices[i + 1] ? ", " : " or ", choices[i]);
	fprintf(stderr, ")\n");
	return -1;
}

int
main(int argc, char *argv[])
{
	enum {
		OPT_HEADLESS = 256,
		OPT_CAPTURE,
		OPT_REPAINT_WINDOW,
		OPT_READY_FD,
		OPT_BACKEND,
		OPT_DRM_DEVICE,
		OPT_MODE,
		OPT_OUTPUT,
		OPT_TRANSFORM,
		OPT_RENDERER,
		OPT_STATS,
		OPT_KIOSK,
		OPT_RESTART,
		OPT_RESTART_LIMIT,
		OPT_NO_SCANOUT,
		OPT_ACQUIRE_FENCES,
		OPT_REALTIME,
		OPT_EXTRA_COMMITS,
		OPT_INPUT,
		OPT_SESSION,
		OPT_KEYBOARD_LAYOUT,
		OPT_NO_QUIT_KEY,
		OPT_IDLE_TIMEOUT,
		OPT_STRICT,
		OPT_STRICT_REPORT,
		OPT_STRICT_FRAME_LIMIT,
	};
	static const struct option long_options[] = {
		{"socket", required_argument, NULL, 's'},
		{"headless", required_argument, NULL, OPT_HEADLESS},
		{"backend", required_argument, NULL, OPT_BACKEND},
		{"drm-device", required_argument, NULL, OPT_DRM_DEVICE},
		{"mode", required_argument, NULL, OPT_MODE},
		{"output", required_argument, NULL, OPT_OUTPUT},
		{"transform", required_argument, NULL, OPT_TRANSFORM},
		{"renderer", required_argument, NULL, OPT_RENDERER},
		{"capture", no_argument, NULL, OPT_CAPTURE},
		{"repaint-window", required_argument, NULL, OPT_REPAINT_WINDOW},
		{"ready-fd", required_argument, NULL, OPT_READY_FD},
		{"stats", required_argument, NULL, OPT_STATS},
		{"kiosk", no_argument, NULL, OPT_KIOSK},
		{"restart", required_argument, NULL, OPT_RESTART},
		{"restart-limit", required_argument, NULL, OPT_RESTART_LIMIT},
		{"no-scanout", no_argument, NULL, OPT_NO_SCANOUT},
		{"acquire-fences", required_argument, NULL, OPT_ACQUIRE_FENCES},
		{"realtime", no_argument, NULL, OPT_REALTIME},
		{"extra-commits", required_argument, NULL, OPT_EXTRA_COMMITS},
		{"input", required_argument, NULL, OPT_INPUT},
		{"session", required_argument, NULL, OPT_SESSION},
		{"keyboard-layout", required_argument, NULL, OPT_KEYBOARD_LAYOUT},
		{"no-quit-key", no_argument, NULL, OPT_NO_QUIT_KEY},
		{"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
		{"strict", no_argument, NULL, OPT_STRICT},
		{"strict-report", required_argument, NULL, OPT_STRICT_REPORT},
		{"strict-frame-limit", required_argument, NULL, OPT_STRICT_FRAME_LIMIT},
		{"log-level", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'v'},
		{0},
	};
	struct sluice_options options = {
		.core = {.repaint_window_ms = 7,
			 .extra_commits_per_s = SL_LOOP_EXTRA_COMMITS_PER_S},
		.seat = {.quit_key = true},
	};
	enum renderer_choice renderer = RENDERER_AUTO;
	enum { INPUT_AUTO, INPUT_LIBINPUT, INPUT_NONE } input = INPUT_AUTO;
	enum { SESSION_AUTO, SESSION_LIBSEAT, SESSION_NONE } session = SESSION_AUTO;
	long idle_timeout = 0;
	struct headless_mode modes[MAX_OUTPUTS];
	int n_modes = 0;
	enum log_level level = LOG_INFO;
	enum { BACKEND_AUTO, BACKEND_DRM, BACKEND_HEADLESS } backend = BACKEND_AUTO;
	struct kms_options kms = {.choose_renderer = choose_kms_renderer,
				  .choose_renderer_data = &renderer};
	long ready_fd = -1, value;
	bool realtime = false, kiosk_mode = false;
	struct kiosk_options kiosk = {.restart = KIOSK_RESTART_NEVER, .restart_limit = 5};
	int opt;

	opterr = 0; /* our own one-line diagnostics */
	while ((opt = getopt_long(argc, argv, "+:s:l:hv", long_options, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (!*optarg || strchr(optarg, '/')) {
				fprintf(stderr, "sluice: invalid socket name '%s'\n", optarg);
				return EXIT_FAILURE;
			}
			options.socket = optarg;
			break;
		case OPT_HEADLESS:
			if (n_modes == MAX_OUTPUTS) {
				fprintf(stderr, "sluice: at most %d outputs\n", MAX_OUTPUTS);
				return EXIT_FAILURE;
			}
			if (!headless_parse_mode(optarg, &modes[n_modes])) {
				fprintf(stderr,
					"sluice: invalid output mode '%s' (expected WxH or "
					"WxH@HZ, e.g. 1280x720@60)\n",
					optarg);
				return EXIT_FAILURE;
			}
			n_modes++;
			break;
		case OPT_BACKEND: {
			static const char *const choices[] = {"auto", "drm", "headless", NULL};
			int choice = parse_choice("backend", optarg, choices);
			if (choice < 0)
				return EXIT_FAILURE;
			backend = choice;
			break;
		}
		case OPT_RENDERER: {
			static const char *const choices[] = {"auto", "gl", "pixman", NULL};
			int choice = parse_choice("renderer", optarg, choices);
			if (choice < 0)
				return EXIT_FAILURE;
			renderer = (enum renderer_choice)choice;
			break;
		}
		case OPT_DRM_DEVICE:
			kms.device = optarg;
			break;
		case OPT_OUTPUT:
			kms.output = optarg;
			break;
		case OPT_TRANSFORM:
			if (!parse_transform(optarg, &options.core))
				return EXIT_FAILURE;
			break;
		case OPT_MODE: {
			struct headless_mode mode;
			bool any_refresh = !strchr(optarg, '@');
			if (!headless_parse_mode(optarg, &mode)) {
				fprintf(stderr,
					"sluice: invalid mode '%s' (expected WxH or WxH@HZ, e.g. "
					"1920x1080@60)\n",
					optarg);
				return EXIT_FAILURE;
			}
			kms.has_mode = true;
			kms.width = mode.width;
			kms.height = mode.height;
			kms.refresh_mhz = any_refresh ? 0 : mode.refresh_mhz;
			break;
		}
		case OPT_CAPTURE:
			options.capture = true;
			break;
		case OPT_REPAINT_WINDOW:
			if (!parse_int(optarg, 0, 1000, &value)) {
				fprintf(stderr,
					"sluice: invalid repaint window '%s' (0 to 1000 ms)\n",
					optarg);
				return EXIT_FAILURE;
			}
			options.core.repaint_window_ms = (int)value;
			break;
		case OPT_EXTRA_COMMITS:
			if (!parse_int(optarg, 0, 1000000, &value)) {
				fprintf(stderr,
					"sluice: invalid extra commit rate '%s' (0 to 1000000 per "
					"second)\n",
					optarg);
				return EXIT_FAILURE;
			}
			options.core.extra_commits_per_s = (unsigned)value;
			break;
		case OPT_INPUT: {
			static const char *const choices[] = {"auto", "libinput", "none", NULL};
			int choice = parse_choice("input mode", optarg, choices);
			if (choice < 0)
				return EXIT_FAILURE;
			input = choice;
			break;
		}
		case OPT_SESSION: {
			static const char *const choices[] = {"auto", "libseat", "none", NULL};
			int choice = parse_choice("session mode", optarg, choices);
			if (choice < 0)
				return EXIT_FAILURE;
			session = choice;
			break;
		}
		case OPT_KEYBOARD_LAYOUT:
			options.seat.keyboard_layout = optarg;
			break;
		case OPT_IDLE_TIMEOUT:
			if (!parse_int(optarg, 0, 86400, &idle_timeout)) {
				fprintf(stderr,
					"sluice: invalid idle timeout '%s' (0 to 86400 seconds)\n",
					optarg);
				return EXIT_FAILURE;
			}
			break;
		case OPT_NO_QUIT_KEY:
			options.seat.quit_key = false;
			break;
		case OPT_READY_FD:
			if (!parse_int(optarg, 0, INT_MAX, &ready_fd)) {
				fprintf(stderr, "sluice: invalid file descriptor '%s'\n", optarg);
				return EXIT_FAILURE;
			}
			break;
		case OPT_NO_SCANOUT:
			options.core.no_scanout = true;
			break;
		case OPT_STRICT:
			options.strict = true;
			break;
		case OPT_STRICT_REPORT:
			if (!*optarg) {
				fprintf(stderr, "sluice: --strict-report needs a directory\n");
				return EXIT_FAILURE;
			}
			options.strict = true;
			options.strict_report_dir = optarg;
			break;
		case OPT_STRICT_FRAME_LIMIT:
			if (!parse_int(optarg, 1, INT_MAX, &value)) {
				fprintf(stderr, "sluice: invalid frame limit '%s' (1 or more)\n",
					optarg);
				return EXIT_FAILURE;
			}
			options.strict = true;
			options.strict_frame_limit = (unsigned long)value;
			break;
		case OPT_KIOSK:
			kiosk_mode = true;
			break;
		case OPT_RESTART:
			if (!kiosk_parse_restart(optarg, &kiosk.restart)) {
				fprintf(stderr,
					"sluice: invalid restart policy '%s' (never, on-failure or "
					"always)\n",
					optarg);
				return EXIT_FAILURE;
			}
			break;
		case OPT_RESTART_LIMIT:
			if (!parse_int(optarg, 0, 1000, &value)) {
				fprintf(stderr, "sluice: invalid restart limit '%s' (0 to 1000)\n",
					optarg);
				return EXIT_FAILURE;
			}
			kiosk.restart_limit = (int)value;
			break;
		case OPT_REALTIME:
			realtime = true;
			break;
		case OPT_ACQUIRE_FENCES: {
			static const char *const choices[] = {"wait", "kms", NULL};
			int choice = parse_choice("acquire-fence mode", optarg, choices);
			if (choice < 0)
				return EXIT_FAILURE;
			options.core.acquire_fences_to_kms = choice == 1;
			break;
		}
		case OPT_STATS:
			if (!*optarg) {
				fprintf(stderr, "sluice: --stats needs a file name\n");
				return EXIT_FAILURE;
			}
			options.core.stats_path = optarg;
			break;
		case 'l':
			if (!log_parse_level(optarg, &level)) {
				fprintf(stderr,
					"sluice: invalid log level '%s' (silent, error, warn, "
					"info, debug)\n",
					optarg);
				return EXIT_FAILURE;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_SUCCESS;
		case 'v': {
			char version[96];
			printf("sluice %s\n", format_version(version, sizeof(version)));
			return EXIT_SUCCESS;
		}
		case ':':
			fprintf(stderr, "sluice: option '%s' needs an argument\n",
				argv[optind - 1]);
			return EXIT_FAILURE;
		default:
			fprintf(stderr, "sluice: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return EXIT_FAILURE;
		}
	}
	if (kiosk_mode && optind == argc) {
		fprintf(stderr,
			"sluice: --kiosk needs the app to run: sluice --kiosk -- APP [ARGS]\n");
		return EXIT_FAILURE;
	}
	if (!kiosk_mode && optind < argc) {
		fprintf(stderr, "sluice: unexpected argument '%s' (see --help)\n", argv[optind]);
		return EXIT_FAILURE;
	}
	kiosk.argv = argv + optind;
	if (!getenv("XDG_RUNTIME_DIR")) {
		fprintf(stderr,
			"sluice: XDG_RUNTIME_DIR is not set; it is where the socket goes\n");
		return EXIT_FAILURE;
	}
	/* A layout that does not compile is a command-line error, not a keyboard-less seat. */
	if (options.seat.keyboard_layout &&
	    !seat_keyboard_layout_valid(options.seat.keyboard_layout)) {
		fprintf(stderr, "sluice: invalid keyboard layout '%s'\n",
			options.seat.keyboard_layout);
		return EXIT_FAILURE;
	}
	bool wants_drm = kms.device || kms.has_mode || kms.output;
	if (n_modes > 0 && (backend == BACKEND_DRM || wants_drm)) {
		fprintf(stderr, "sluice: --headless cannot be combined with --backend drm, "
				"--drm-device, --output or --mode\n");
		return EXIT_FAILURE;
	}
	if (backend == BACKEND_HEADLESS && wants_drm) {
		fprintf(stderr, "sluice: --drm-device, --output and --mode need the drm backend\n");
		return EXIT_FAILURE;
	}
	if (n_modes > 0 || backend == BACKEND_HEADLESS)
		backend = BACKEND_HEADLESS;
	else if (wants_drm)
		backend = BACKEND_DRM;

	if (input == INPUT_LIBINPUT && session == SESSION_NONE) {
		fprintf(stderr, "sluice: --input libinput opens its devices through a session: not "
				"with --session none\n");
		return EXIT_FAILURE;
	}

	log_init(level);
	wl_log_set_handler_server(handle_wayland_log);
	/* A client that disconnects while we write must not kill the compositor. */
	signal(SIGPIPE, SIG_IGN);

	struct sluice sl;
	struct sl_server *server = &sl.server;
	if (!sluice_init(&sl, &options)) {
		sluice_finish(&sl);
		return EXIT_FAILURE;
	}

	int status = EXIT_FAILURE;
	/*
	 * The session before the display: libseat's builtin backend forks a seatd, which would
	 * otherwise inherit the DRM fd and keep the card's master after sluice exits. With
	 * --backend auto on a machine without a card, a session would serve nothing.
	 */
	bool may_use_drm = backend == BACKEND_DRM || (backend == BACKEND_AUTO && kms_any_card());
	bool wants_session = session == SESSION_LIBSEAT ||
			     (session == SESSION_AUTO && (may_use_drm || input == INPUT_LIBINPUT));
	if (wants_session) {
		sl.session = session_create(server);
		if (!sl.session && session == SESSION_LIBSEAT) {
			fprintf(stderr, "sluice: no libseat session (see the log above)\n");
			goto out;
		}
		if (!sl.session)
			log_warn("main", "no session: opening devices directly (needs root; no VT "
					 "switching)");
	}
	if (input == INPUT_LIBINPUT || (input == INPUT_AUTO && may_use_drm)) {
		sl.input = input_create(server, sl.seat, sl.session);
		if (!sl.input && input == INPUT_LIBINPUT) {
			fprintf(stderr, "sluice: no input devices (see the log above)\n");
			goto out;
		}
		if (!sl.input)
			log_warn("main", "running without input devices");
	}
	if (backend != BACKEND_HEADLESS) {
		char err[256];
		struct kms_device *device =
			kms_device_create(server, sl.session, &kms, err, sizeof(err));
		if (device) {
			sl.backend = device;
			sl.backend_destroy = destroy_kms_backend;
		} else if (backend == BACKEND_DRM) {
			fprintf(stderr, "sluice: %s\n", err);
			goto out;
		} else {
			log_info("main", "%s: using the headless backend", err);
			backend = BACKEND_HEADLESS;
		}
	}
	if (backend == BACKEND_HEADLESS && n_modes == 0)
		modes[n_modes++] = (struct headless_mode){1024, 768, 60000};
	for (int i = 0; backend == BACKEND_HEADLESS && i < n_modes; i++)
		if (!headless_output_create(server, &modes[i]))
			goto out;
	if (!sluice_init_device_protocols(&sl))
		goto out;
	if (input == INPUT_AUTO && backend == BACKEND_HEADLESS && sl.input) {
		/* No display found after all: a headless sluice reads no input unless asked. */
		input_destroy(sl.input);
		sl.input = NULL;
	}
	if (backend == BACKEND_HEADLESS && session == SESSION_AUTO && !sl.input && sl.session) {
		session_destroy(sl.session);
		sl.session = NULL;
	}
	if (idle_timeout > 0 && !sl.input)
		log_warn("main",
			 "--idle-timeout ignored: without input devices nothing would light "
			 "the outputs again");
	else if (idle_timeout > 0 && !(sl.idle = idle_create(server, (int)idle_timeout)))
		goto out;

	const char *socket = options.socket;
	if (socket) {
		if (wl_display_add_socket(server->display, socket) < 0) {
			fprintf(stderr, "sluice: cannot listen on %s/%s: %s\n",
				getenv("XDG_RUNTIME_DIR"), socket,
				errno == EWOULDBLOCK ? "another compositor is using it"
						     : strerror(errno));
			goto out;
		}
	} else if (!(socket = wl_display_add_socket_auto(server->display))) {
		fprintf(stderr, "sluice: no free wayland-N socket in %s\n",
			getenv("XDG_RUNTIME_DIR"));
		goto out;
	}

	struct wl_event_source *sigterm = wl_event_loop_add_signal(
		server->loop, SIGTERM, handle_terminate_signal, server->main_loop);
	struct wl_event_source *sigint = wl_event_loop_add_signal(
		server->loop, SIGINT, handle_terminate_signal, server->main_loop);

	char version[96];
	log_info("main", "sluice %s running on WAYLAND_DISPLAY=%s",
		 format_version(version, sizeof(version)), socket);
	if (ready_fd >= 0) {
		dprintf((int)ready_fd, "%s\n", socket);
		close((int)ready_fd);
	}
	if (realtime)
		raise_priority();
	struct sl_kiosk *app = NULL;
	if (kiosk_mode && !(app = kiosk_create(server, &kiosk, socket))) {
		fprintf(stderr, "sluice: cannot start %s\n", kiosk.argv[0]);
	} else {
		sl_loop_run(server->main_loop);
		status = app ? kiosk_exit_status(app) : EXIT_SUCCESS;
	}
	kiosk_destroy(app);

	if (sigterm)
		wl_event_source_remove(sigterm);
	if (sigint)
		wl_event_source_remove(sigint);
out:
	sluice_finish(&sl);
	return status;
}
