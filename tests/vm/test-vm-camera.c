/*
 * sluice-camera on vivid, the test kernel's virtual camera: its colour bars reach the screen
 * (read back through writeback), in an RGB and a YUV format, in vivid's default colorimetry
 * and in BT.709 full range (which the camera passes on through wp_color_representation_v1),
 * and every bad input is one clear line and a non-zero exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "harness.h"

static char vkms_path[32];

static const char *
camera_bin(void)
{
	const char *bin = getenv("SLUICE_CAMERA_BIN");
	return bin ? bin : "sluice-camera";
}

static struct th_server *
start(void)
{
	const char *const args[] = {"--backend", "drm", "--drm-device", vkms_path, "--renderer",
				    "pixman",	 NULL};
	return th_server_start(args);
}

/*
 * vivid's default pattern: eight vertical 75% colour bars, white, yellow, cyan, green, magenta,
 * red, blue, black, across the frame.
 */
static const uint32_t bars[8] = {0xbfbfbf, 0xbfbf00, 0x00bfbf, 0x00bf00,
				 0xbf00bf, 0xbf0000, 0x0000bf, 0x000000};

static bool
near(uint32_t got, uint32_t want, int tolerance)
{
	for (int shift = 0; shift < 24; shift += 8) {
		int d = (int)((got >> shift) & 0xff) - (int)((want >> shift) & 0xff);
		if (d < -tolerance || d > tolerance)
			return false;
	}
	return true;
}

/* Frames of 640x360, shown as they are, or scaled into a window of half that size. */
enum mode { EXPORT, IMPORT, WINDOW };

/* The colorimetry the next run_bars asks vivid for (0, 0: vivid's own default). */
static uint32_t vivid_ycbcr_enc, vivid_quantization;

/* Sets the vivid control named name on the first capture device; false if it has none. */
static bool
vivid_set_control(const char *name, int32_t value)
{
	bool done = false;
	for (int i = 0; i < 8 && !done; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/dev/video%d", i);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct v4l2_queryctrl q = {.id = V4L2_CTRL_FLAG_NEXT_CTRL};
		while (!done && ioctl(fd, VIDIOC_QUERYCTRL, &q) == 0) {
			if (strcmp((const char *)q.name, name) == 0) {
				struct v4l2_control ctrl = {.id = q.id, .value = value};
				done = ioctl(fd, VIDIOC_S_CTRL, &ctrl) == 0;
				if (!done)
					th_note("%s: %s = %d: %s", path, name, value,
						strerror(errno));
				break;
			}
			q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
		}
		close(fd);
	}
	return done;
}

static void
run_bars(const char *format, int tolerance, enum mode mode)
{
	/* vivid's "Y'CbCr Encoding" and "Quantization" menus take the V4L2 enum values. */
	th_require(vivid_set_control("Y'CbCr Encoding", (int32_t)vivid_ycbcr_enc) &&
			   vivid_set_control("Quantization", (int32_t)vivid_quantization),
		   "vivid has no Y'CbCr Encoding or Quantization control");
	bool import = mode == IMPORT;
	struct th_server *server = start();
	th_require(server);
	const char *argv[8] = {camera_bin(), "--format", format, "--size", "640x360"};
	if (mode == IMPORT)
		argv[5] = "--import";
	if (mode == WINDOW) {
		argv[5] = "--window";
		argv[6] = "320x180";
	}
	struct th_process *camera = th_spawn(server, argv, NULL);
	th_require(camera);
	struct th_client *c = th_client_connect(server);
	th_require(c);
	/* The camera's window is centred on the 1024x768 output. */
	int32_t scale = mode == WINDOW ? 2 : 1;
	int32_t x0 = (1024 - 640 / scale) / 2, y0 = (768 - 360 / scale) / 2;
	bool seen = false;
	struct th_capture cap = {0};
	for (int attempt = 0; attempt < 100 && !seen; attempt++) {
		if (cap.pixels)
			th_capture_finish(&cap);
		if (!th_capture_output(c, 0, &cap))
			break;
		/* Bars are up once the yellow one (second) shows. */
		seen = near(th_capture_pixel(&cap, x0 + (80 + 40) / scale, y0 + 200 / scale) &
				    0xffffff,
			    bars[1], tolerance);
		if (!seen)
			usleep(100000);
	}
	if (th_check(seen, "%s: no colour bars on screen", format)) {
		int bad = 0;
		for (int i = 0; i < 8; i++) {
			uint32_t got = th_capture_pixel(&cap, x0 + (i * 80 + 40) / scale,
							y0 + 200 / scale) &
				       0xffffff;
			bad += !th_check(near(got, bars[i], tolerance),
					 "%s bar %d: 0x%06x, want 0x%06x (±%d)", format, i, got,
					 bars[i], tolerance);
		}
		if (bad)
			th_capture_save(&cap, "vm-camera-bars");
	}
	if (cap.pixels)
		th_capture_finish(&cap);
	th_client_destroy(c);
	/* Keep streaming: 4 buffers only go round if released ones go back to the driver. */
	usleep(2000000);
	struct th_process_result r;
	th_process_finish(camera, 0, &r);
	th_note("%s", r.output);
	if (import)
		th_check(strstr(r.output, "importing heap dma-bufs") != NULL);
	/* "sluice-camera: N frames shown, M dropped" */
	const char *end = strstr(r.output, " frames shown");
	const char *start = end;
	while (start && start > r.output && start[-1] != ' ')
		start--;
	unsigned long shown = start ? strtoul(start, NULL, 10) : 0;
	/* Under TCG vivid draws about 5 frames a second: more than 8 is two rounds of its 4. */
	th_check(end && shown > 8, "%lu frames in 2 s: buffers do not come back", shown);
	th_check(r.status == 0, "sluice-camera exited with %d after SIGTERM", r.status);
	if (vivid_ycbcr_enc == V4L2_YCBCR_ENC_709 &&
	    vivid_quantization == V4L2_QUANTIZATION_FULL_RANGE)
		th_check(strstr(r.output, "colorimetry BT.709 full range, told the compositor"),
			 "sluice-camera did not pass BT.709 full range on");
	else if (strcmp(format, "XR24") != 0)
		th_check(strstr(r.output, "colorimetry BT.601 limited range, told the compositor"),
			 "sluice-camera did not pass vivid's default (BT.601 limited) on");
	th_process_result_finish(&r);
	th_check(th_server_stop(server));
}

static void
test_bars_xrgb(void)
{
	run_bars("XR24", 8, EXPORT);
}

static void
test_bars_yuyv(void)
{
	run_bars("YUYV", 12, EXPORT);
}

static void
test_bars_nv12(void)
{
	run_bars("NV12", 12, EXPORT);
}

/* The driver fills buffers it was given (system heap dma-bufs) instead of its own. */
/*
 * vivid set to BT.709 full range: the camera reads that from the format and tells sluice, whose
 * conversion then gives the same bars. Read as BT.601 limited they would be off by up to 40.
 */
static void
run_bars_709_full(const char *format)
{
	vivid_ycbcr_enc = V4L2_YCBCR_ENC_709;
	vivid_quantization = V4L2_QUANTIZATION_FULL_RANGE;
	run_bars(format, 12, EXPORT);
	vivid_ycbcr_enc = vivid_quantization = 0;
	vivid_set_control("Y'CbCr Encoding", 0);
	vivid_set_control("Quantization", 0);
}

static void
test_bars_yuyv_709_full(void)
{
	run_bars_709_full("YUYV");
}

static void
test_bars_nv12_709_full(void)
{
	run_bars_709_full("NV12");
}

static void
test_bars_import_xrgb(void)
{
	run_bars("XR24", 8, IMPORT);
}

static void
test_bars_import_nv12(void)
{
	run_bars("NV12", 12, IMPORT);
}

/* --window: the frames scaled into a 320x180 window instead of fullscreen. */
static void
test_bars_window(void)
{
	run_bars("XR24", 8, WINDOW);
}

/* Bad inputs: one line naming the problem, non-zero exit, nothing else broken. */
static void
test_errors(void)
{
	struct th_server *server = start();
	th_require(server);
	static const struct {
		const char *argv[4];
		const char *needle;
	} cases[] = {
		{{"--device", "/dev/video99"}, "/dev/video99: No such file or directory"},
		{{"--device", "/dev/dri/card1"}, "is not a streaming video capture device"},
		{{"--format", "ABCD"}, "cannot capture ABCD for this compositor"},
		{{"--format", "XR2"}, "four characters"},
		{{"--size", "big"}, "invalid size"},
		{{"--frames", "0"}, "invalid frame count"},
		{{"--window", "0x10"}, "invalid window size '0x10' (WxH)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const argv[] = {camera_bin(), cases[i].argv[0], cases[i].argv[1], NULL};
		struct th_process_result r;
		if (!th_check(th_run_client(server, argv, NULL, 10000, &r)))
			continue;
		th_check(r.status == 1 && strstr(r.output, cases[i].needle),
			 "%s %s: exit %d, output: %s", cases[i].argv[0], cases[i].argv[1], r.status,
			 r.output);
		th_process_result_finish(&r);
	}
	th_check(th_server_alive(server));
	th_check(th_server_stop(server));
}

int
main(int argc, char *argv[])
{
	th_require_vkms(vkms_path, sizeof(vkms_path));
	static const struct th_test tests[] = {
		{"bars-xrgb", test_bars_xrgb},
		{"bars-yuyv", test_bars_yuyv},
		{"bars-nv12", test_bars_nv12},
		{"bars-yuyv-709-full", test_bars_yuyv_709_full},
		{"bars-nv12-709-full", test_bars_nv12_709_full},
		{"bars-import-xrgb", test_bars_import_xrgb},
		{"bars-import-nv12", test_bars_import_nv12},
		{"bars-window", test_bars_window},
		{"errors", test_errors},
	};
	return th_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
