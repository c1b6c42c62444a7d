#!/bin/bash
# sluice-ci end to end: each case boots the test VM through sluice-ci and checks its verdict, exit
# status and report.json against what the client really did. TAP output.
set -u
ci=${SLUICE_CI:?SLUICE_CI must point at scripts/sluice-ci}
build=${SLUICE_BUILD_DIR:?SLUICE_BUILD_DIR must point at the build directory}
bad=${SLUICE_MISBEHAVING_CLIENT:?SLUICE_MISBEHAVING_CLIENT must point at the test client}
work=$(mktemp -d /tmp/sluice-ci-test-XXXXXX)
trap 'rm -rf "$work"' EXIT
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	printf '%s\n' "$@" | sed 's/^/# /'
}

# json FILE EXPR: a value of report.json, through python (EXPR sees the report as r).
json() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"; }

# run NAME EXPECTED_STATUS [SLUICE-CI ARGS...] -- CLIENT...: runs sluice-ci into $work/NAME.
run() {
	local name=$1 want=$2
	shift 2
	out=$work/$name
	SLUICE_BUILD_DIR=$build "$ci" -o "$out" "$@" >"$work/$name.stdout" 2>&1
	status=$?
	if [ "$status" -ne "$want" ]; then
		not_ok "$name" "sluice-ci exited with $status, expected $want:" "$(cat "$work/$name.stdout")" \
			"client log:" "$(cat "$out/client.log" 2>/dev/null)"
		return 1
	fi
	return 0
}

# check NAME PYTHON-CONDITION...: every condition on report.json r must hold.
check() {
	local name=$1
	shift
	local cond
	for cond in "$@"; do
		if [ "$(json "$out/report.json" "bool($cond)")" != True ]; then
			not_ok "$name" "failed: $cond" "$(cat "$work/$name.stdout")"
			return
		fi
	done
	ok "$name"
	sed 's/^/# /' "$work/$name.stdout"
}

# stats NAME EXPR: a value of the run's sluice --stats file (EXPR sees it as s).
stats() { python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print($2)" "$work/$1/stats.json"; }

# The current stack (suite vm-current): the client and sluice are that root's, GL imports the
# client's dma-bufs through EGL and ends frames with native fences, syncobj waits are eventfds.
if [ "${1:-}" = --stack ] && [ "${2:-}" = current ]; then
	echo "TAP version 13"
	echo "1..2"
	if run current-dmabuf-egl 0 --stack current --renderer gl --planes off --sync sync_file \
		--timeout 30 -- weston-simple-dmabuf-egl --drm-render-node=/dev/dri/card1; then
		if [ "$(stats current-dmabuf-egl "s['dmabuf_import_gpu'] > 0 and s['dmabuf_import_cpu'] == 0 and s['render_fences'] > 0")" != True ]; then
			not_ok current-dmabuf-egl "not imported through EGL with GPU fences:" \
				"$(cat "$work/current-dmabuf-egl/stats.json")"
		else
			check current-dmabuf-egl "r['verdict'] == 'pass'" "r['sync'] == ['sync_file']" \
				"all(f.endswith('dmabuf') for f in r['formats'])" \
				"r['frames']['presented'] >= 10" "r['frames']['scanned_out'] == 0"
		fi
	fi
	if run current-gpu-syncobj 0 --stack current --frames 30 --timeout 120 --sync syncobj -- \
		/build/sluice/clients/sluice-gpu --sync=syncobj --size 320x240; then
		if [ "$(stats current-gpu-syncobj "s['syncobj_waiters'] == 0")" != True ]; then
			not_ok current-gpu-syncobj "a waiter thread on Linux 6.12:" \
				"$(cat "$work/current-gpu-syncobj/stats.json")"
		else
			check current-gpu-syncobj "r['verdict'] == 'pass'" "r['sync'] == ['syncobj']" \
				"r['frames']['presented'] >= 30" "r['clients'][0]['errors'] == 0"
		fi
	fi
	exit $((failed > 0))
fi

echo "TAP version 13"
echo "1..10"

if run gpu-syncobj 0 --frames 30 --timeout 120 --sync syncobj --format XR24 -- \
	"$build/clients/sluice-gpu" --sync=syncobj --size 320x240; then
	check gpu-syncobj "r['verdict'] == 'pass'" "r['ended_by'] == 'frame_limit'" \
		"r['frames']['presented'] >= 30" "r['sync'] == ['syncobj']" \
		"r['frames']['scanned_out'] > 0" "len(r['captures']) >= 1" \
		"r['contact_sheet'] == 'contact-sheet.png'" "r['clients'][0]['errors'] == 0" "r['compositor_status'] == 0"
fi

if run camera 0 --frames 8 --timeout 60 --sync implicit -- "$build/clients/sluice-camera"; then
	check camera "r['verdict'] == 'pass'" "r['frames']['presented'] >= 8" \
		"any(f.endswith('dmabuf') for f in r['formats'])"
fi

# Warnings only: a pass at the default --fail-on error, with the findings in the report...
if run misbehaving-warnings 0 --timeout 6 -- "$bad" --frames 120; then
	check misbehaving-warnings "r['verdict'] == 'pass'" \
		"{f['kind'] for f in r['clients'][0]['findings']} == {'no_damage', 'frame_callback_ignored'}"
fi
# ...and a failure that names them with --fail-on warning (and a sync it did not use).
if run misbehaving-fail 1 --timeout 6 --fail-on warning --sync implicit --max-dropped 0 -- \
	"$bad" --frames 120; then
	check misbehaving-fail "r['verdict'] == 'fail'" \
		"r['frames']['dropped'] == 0 or any('frames dropped, at most 0' in x for x in r['reasons'])" \
		"any('no_damage' in x for x in r['reasons'])" \
		"any('frame_callback_ignored' in x for x in r['reasons'])" \
		"any('expected implicit' in x for x in r['reasons'])" "r['sync'] == ['none']"
fi

if run protocol-error 1 --timeout 8 -- "$bad" --frames 10 --protocol-error; then
	check protocol-error "r['verdict'] == 'fail'" "len(r['protocol_errors']) == 1" \
		"'scale' in r['protocol_errors'][0]['message']" "r['exit_status'] == 1"
fi

if run weston-simple-shm 0 --timeout 4 --sync none -- weston-simple-shm; then
	check weston-simple-shm "r['verdict'] == 'pass'" "r['ended_by'] == 'timeout'" \
		"r['formats'] == ['XR24 shm'] or r['formats'] == ['AR24 shm']" \
		"r['frames']['presented'] >= 30"
fi

# Planes off and another mode: composed, and the captures have the mode's size.
if run weston-simple-dmabuf-egl 0 --timeout 20 --sync implicit --planes off --mode 800x600 -- \
	weston-simple-dmabuf-egl --drm-render-node=/dev/dri/card1; then
	check weston-simple-dmabuf-egl "r['verdict'] == 'pass'" \
		"all(f.endswith('dmabuf') for f in r['formats'])" "r['frames']['presented'] >= 10" \
		"r['frames']['scanned_out'] == 0" \
		"int.from_bytes(open('$out/' + r['captures'][0], 'rb').read()[16:20], 'big') == 800"
fi

if run gstreamer 0 --timeout 90 -- gst-launch-1.0 videotestsrc num-buffers=60 ! waylandsink; then
	# waylandsink drops late buffers itself (it syncs to the clock): count what reached sluice.
	check gstreamer "r['verdict'] == 'pass'" "r['ended_by'] == 'exit'" "r['exit_status'] == 0" \
		"r['frames']['presented'] >= 10" \
		"r['frames']['presented'] + r['frames']['dropped'] <= r['frames']['committed']"
fi

# What cannot run is exit status 2 with the command that fixes it, never a verdict.
out=$(SLUICE_BUILD_DIR=$build SLUICE_VM_QEMU=/nonexistent/qemu "$ci" -o "$work/noqemu" -- true 2>&1)
status=$?
if [ "$status" -eq 2 ] && [[ "$out" == *"apt-get install qemu-system-x86"* ]]; then
	ok "missing-qemu"
else
	not_ok "missing-qemu" "status $status: $out"
fi
out=$(SLUICE_BUILD_DIR=$build SLUICE_KERNEL_SOURCE=/nonexistent.tar.xz "$ci" -o "$work/nokernel" \
	-- true 2>&1)
status=$?
if [ "$status" -eq 2 ] && [[ "$out" == *"apt-get install linux-source-6.1"* ]]; then
	ok "missing-kernel-source"
else
	not_ok "missing-kernel-source" "status $status: $out"
fi
exit $((failed > 0))
