#!/bin/bash
# Command-line behaviour of sluice and sluice-capture: every bad input gives exactly one line on
# stderr naming the problem, and a non-zero exit; --help and --version succeed. TAP output.
set -u
sluice=${SLUICE_BIN:?SLUICE_BIN must point at the sluice binary}
capture=${SLUICE_CAPTURE_BIN:?SLUICE_CAPTURE_BIN must point at sluice-capture}
runtime=$(mktemp -d /tmp/sluice-cli-XXXXXX)
trap 'rm -rf "$runtime"' EXIT
export XDG_RUNTIME_DIR=$runtime
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

# expect_error NAME PATTERN CMD...: non-zero exit, one stderr line matching PATTERN, nothing on stdout.
expect_error() {
	local name=$1 pattern=$2
	shift 2
	local out err status
	out=$("$@" 2>"$runtime/err" </dev/null)
	status=$?
	err=$(cat "$runtime/err")
	local lines
	lines=$(printf '%s' "$err" | grep -c '')
	if [ "$status" -ne 0 ] && [ "$lines" -eq 1 ] && [[ "$err" == *$pattern* ]] && [ -z "$out" ]; then
		ok "$name"
	else
		not_ok "$name"
		echo "status $status, stderr ($lines lines): $err" | sed 's/^/# /'
		[ -z "$out" ] || echo "stdout: $out" | sed 's/^/# /'
	fi
}

echo "TAP version 13"
echo "1..42"
expect_error "unknown-option" "unknown option '--bogus'" "$sluice" --bogus
expect_error "missing-argument" "needs an argument" "$sluice" --socket
expect_error "positional-argument" "unexpected argument 'extra'" "$sluice" extra
expect_error "kiosk-without-app" "--kiosk needs the app to run" "$sluice" --kiosk
expect_error "kiosk-bad-restart" "invalid restart policy 'sometimes'" "$sluice" --restart sometimes
expect_error "kiosk-bad-restart-limit" "invalid restart limit '-1'" "$sluice" --restart-limit -1
expect_error "mode-zero" "invalid output mode '0x0'" "$sluice" --headless 0x0
expect_error "mode-garbage" "invalid output mode 'big'" "$sluice" --headless big
expect_error "mode-refresh-zero" "invalid output mode '640x480@0'" "$sluice" --headless 640x480@0
expect_error "mode-trailing-junk" "invalid output mode '640x480@60Hz'" "$sluice" --headless 640x480@60Hz
expect_error "bad-transform" "invalid transform '45' (expected normal, 90, 180, 270, flipped" \
	"$sluice" --transform 45
expect_error "bad-output-transform" "invalid transform 'sideways'" \
	"$sluice" --transform DSI-1:sideways
expect_error "transform-no-output" "--transform ':90': no output name before ':'" \
	"$sluice" --transform :90
expect_error "log-level" "invalid log level 'loud'" "$sluice" --log-level loud
expect_error "repaint-window" "invalid repaint window '-1'" "$sluice" --repaint-window -1
expect_error "extra-commits" "invalid extra commit rate 'lots'" "$sluice" --extra-commits lots
expect_error "bad-input" "invalid input mode 'sometimes' (auto, libinput or none)" \
	"$sluice" --input sometimes
expect_error "bad-session" "invalid session mode 'logind' (auto, libseat or none)" \
	"$sluice" --session logind
expect_error "input-without-session" \
	"--input libinput opens its devices through a session: not with --session none" \
	"$sluice" --input libinput --session none
expect_error "bad-keyboard-layout" "invalid keyboard layout 'zz'" \
	"$sluice" --backend headless --keyboard-layout zz
expect_error "bad-idle-timeout" "invalid idle timeout '-5' (0 to 86400 seconds)" \
	"$sluice" --idle-timeout -5
expect_error "socket-with-slash" "invalid socket name 'a/b'" "$sluice" --socket a/b
expect_error "ready-fd" "invalid file descriptor 'x'" "$sluice" --ready-fd x
expect_error "bad-backend" "invalid backend 'x11'" "$sluice" --backend x11
expect_error "bad-renderer" "invalid renderer 'vulkan'" "$sluice" --renderer vulkan
expect_error "strict-report-dir" "cannot create the report directory /nonexistent/dir" \
	"$sluice" --backend headless --strict-report /nonexistent/dir
expect_error "bad-acquire-fences" "invalid acquire-fence mode 'later' (wait or kms)" \
	"$sluice" --acquire-fences later
expect_error "bad-drm-mode" "invalid mode '1920x'" "$sluice" --mode 1920x
expect_error "headless-with-drm" "--headless cannot be combined with --backend drm" \
	"$sluice" --headless 640x480 --backend drm
expect_error "mode-needs-drm" "--drm-device, --output and --mode need the drm backend" \
	"$sluice" --backend headless --mode 640x480
expect_error "output-needs-drm" "--drm-device, --output and --mode need the drm backend" \
	"$sluice" --backend headless --output HDMI-A-1
expect_error "drm-device-missing" "cannot open /nonexistent/card0: No such file or directory" \
	"$sluice" --drm-device /nonexistent/card0
expect_error "drm-device-not-kms" "/dev/null is not a DRM device" \
	"$sluice" --drm-device /dev/null
expect_error "no-runtime-dir" "XDG_RUNTIME_DIR is not set" env -u XDG_RUNTIME_DIR "$sluice"

# A second compositor on a socket in use.
"$sluice" --socket busy --log-level silent &
first=$!
for _ in $(seq 50); do [ -S "$runtime/busy" ] && break; sleep 0.1; done
expect_error "socket-in-use" "cannot listen on $runtime/busy" "$sluice" --socket busy --log-level silent
kill "$first"
wait "$first"
if [ $? -eq 0 ]; then ok "sigterm-exits-cleanly"; else not_ok "sigterm-exits-cleanly"; fi

if "$sluice" --help | grep -q -- '--headless' && "$sluice" --version | grep -q '^sluice [0-9]'; then
	ok "help-and-version"
else
	not_ok "help-and-version"
fi

# --backend auto (the default) uses KMS where a display device exists, else a headless output.
"$sluice" --socket auto --log-level info 2>"$runtime/auto.log" &
auto_pid=$!
for _ in $(seq 100); do grep -q "running on" "$runtime/auto.log" && break; sleep 0.1; done
kill "$auto_pid"
wait "$auto_pid"
if ls /dev/dri/card* >/dev/null 2>&1; then want="kms      using /dev/dri/"; else want="using the headless backend"; fi
if grep -q "$want" "$runtime/auto.log" && grep -q "running on" "$runtime/auto.log"; then
	ok "auto-backend"
else
	not_ok "auto-backend"
	sed 's/^/# /' "$runtime/auto.log"
fi

expect_error "capture-no-compositor" "cannot connect to the Wayland display 'nothing-here'" \
	env WAYLAND_DISPLAY=nothing-here "$capture" out.png
expect_error "capture-no-file" "expected one output file name" "$capture"
expect_error "capture-bad-wait" "invalid --wait 'soon'" "$capture" --wait soon out.png

# --wait on an output nobody draws to gives up with one line.
"$sluice" --socket cap --capture --backend headless --log-level silent &
cap_pid=$!
for _ in $(seq 50); do [ -S "$runtime/cap" ] && break; sleep 0.1; done
expect_error "capture-wait-times-out" "output HEADLESS-1 stayed black for 0.3 s" \
	env WAYLAND_DISPLAY=cap "$capture" --wait 0.3 "$runtime/black.png"
kill "$cap_pid"
wait "$cap_pid"

[ "$failed" -eq 0 ]
