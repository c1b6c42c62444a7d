#!/bin/bash
# Kiosk mode on the headless backend: sluice runs the app on its socket, exits with the app's
# status (128 + N for signal N), restarts it by policy with a limit, stops it when sluice is told
# to stop, and refuses bad input with one line. Every run is under ASan with leak checking, so
# a status that matches also means no leak report. TAP output.
set -u
sluice=${SLUICE_BIN:?SLUICE_BIN must point at the sluice binary}
runtime=$(mktemp -d /tmp/sluice-kiosk-XXXXXX)
trap 'rm -rf "$runtime"' EXIT
export XDG_RUNTIME_DIR=$runtime
export ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=${TH_LSAN_SUPPRESSIONS:-/dev/null}
. "$(dirname "$0")/tap.sh"

# run_kiosk ARGS... : sluice on a virtual output with the rest of the command line; sets
# $status and leaves its stderr in $runtime/log.
run_kiosk() {
	timeout 60 "$sluice" --headless 64x64 -l info "$@" >"$runtime/out" 2>"$runtime/log" </dev/null
	status=$?
}

echo "TAP version 13"
echo "1..11"

run_kiosk --kiosk -- sh -c 'test -S "$XDG_RUNTIME_DIR/$WAYLAND_DISPLAY" && exit 3'
check "exit-status-passed-on" $(( status != 3 )) "status $status (want 3: the app saw the socket)"

run_kiosk --kiosk -- sh -c 'kill -SEGV $$'
check "crash-is-128-plus-signal" $(( status != 139 )) "status $status (want 139)"
grep -q "killed by signal 11" "$runtime/log"
check "crash-logged" $? "$(tail -n 3 "$runtime/log")"

rm -f "$runtime/count"
run_kiosk --restart on-failure --kiosk -- sh -c \
	'n=$(cat "$0" 2>/dev/null || echo 0); echo $((n + 1)) >"$0"; [ "$n" -ge 2 ]' "$runtime/count"
runs=$(cat "$runtime/count")
check "on-failure-restarts-until-success" $(( status != 0 || runs != 3 )) "status $status, $runs runs (want 0, 3)"
grep -q "restarting sh in 500 ms" "$runtime/log"
check "back-off-doubles" $? "$(grep kiosk "$runtime/log")"

rm -f "$runtime/count"
run_kiosk --restart always --restart-limit 2 --kiosk -- sh -c \
	'n=$(cat "$0" 2>/dev/null || echo 0); echo $((n + 1)) >"$0"; exit 4' "$runtime/count"
runs=$(cat "$runtime/count")
check "always-stops-at-the-limit" $(( status != 4 || runs != 3 )) "status $status, $runs runs (want 4, 3)"

rm -f "$runtime/count"
run_kiosk --restart on-failure --kiosk -- sh -c 'echo x >>"$0"; exit 0' "$runtime/count"
runs=$(wc -l <"$runtime/count")
check "on-failure-not-after-success" $(( status != 0 || runs != 1 )) "status $status, $runs runs"

# A real client on the socket it is given.
run_kiosk --kiosk -- wayland-info
grep -q "wl_compositor" "$runtime/out"
check "wayland-client-runs" $(( status != 0 || $? != 0 )) "status $status; $(head -c 300 "$runtime/out")"

# SIGTERM to sluice: the app is stopped too, and sluice exits cleanly.
"$sluice" --headless 64x64 --kiosk -- sh -c 'echo $$ >"$0"; exec sleep 600' "$runtime/pid" \
	>/dev/null 2>"$runtime/log" &
sluice_pid=$!
for _ in $(seq 100); do [ -s "$runtime/pid" ] && break; sleep 0.1; done
app_pid=$(cat "$runtime/pid" 2>/dev/null)
kill -TERM "$sluice_pid"
wait "$sluice_pid"
status=$?
kill -0 "$app_pid" 2>/dev/null
app_gone=$(( $? != 0 ))
check "sigterm-stops-the-app" $(( status != 0 || !app_gone )) "sluice $status, app ${app_pid:-?} gone: $app_gone; $(tail -n 3 "$runtime/log")"

run_kiosk --kiosk -- /nonexistent/app
check "missing-app-is-127" $(( status != 127 )) "status $status"
grep -q "cannot run /nonexistent/app: No such file or directory" "$runtime/log"
check "missing-app-named" $? "$(tail -n 2 "$runtime/log")"

tap_exit
