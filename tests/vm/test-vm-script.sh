#!/bin/bash
# tests/vm/sluice-vm fails loudly, never hangs and never passes by accident: its own failures exit
# 125 with one reason, the guest command's status comes back as ours. TAP output.
set -u
vm=$(dirname "$0")/sluice-vm
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

# check NAME WANT_STATUS PATTERN CMD...
check() {
	local name=$1 want=$2 pattern=$3
	shift 3
	local out status
	out=$("$@" 2>&1 </dev/null)
	status=$?
	if [ "$status" -eq "$want" ] && [[ "$out" == *$pattern* ]]; then
		ok "$name"
	else
		not_ok "$name"
		echo "status $status (wanted $want), output: ${out:0:600}" | sed 's/^/# /'
	fi
}

echo "TAP version 13"
echo "1..9"
check "no-command" 125 "no command given" "$vm"
check "bad-timeout" 125 "--timeout needs a number of seconds" "$vm" --timeout soon -- true
check "bad-rw" 125 "--rw /nonexistent: no such directory" "$vm" --rw /nonexistent -- true
check "no-qemu" 125 "qemu-system-x86_64 is missing (apt-get install qemu-system-x86)" \
	env SLUICE_VM_QEMU=/nonexistent/qemu "$vm" -- true
check "no-kernel-source" 125 "no kernel source at /nonexistent/linux.tar.xz (install it: apt-get install linux-source-6.1)" \
	env SLUICE_KERNEL_SOURCE=/nonexistent/linux.tar.xz "$vm" -- true
check "guest-timeout" 125 "timed out after 2 s" "$vm" --timeout 2 -- sleep 60
check "status-and-output" 7 "hello from $(uname -m)" "$vm" -- sh -c 'echo hello from $(uname -m); exit 7'
# A display whose only connector is disconnected (forced off on the kernel command line).
check "no-connected-connector" 1 "sluice: /dev/dri/card1: no connected connector" \
	"$vm" --append video=Virtual-1:d -- env XDG_RUNTIME_DIR=/tmp "${SLUICE_BIN:?}" \
	--backend drm --drm-device /dev/dri/card1
# --output names a connector the card does not have connected: the error lists those it has.
check "output-not-connected" 1 \
	"sluice: /dev/dri/card1: no connected connector HDMI-A-9 (connected: Virtual-1)" \
	"$vm" -- env XDG_RUNTIME_DIR=/tmp "${SLUICE_BIN:?}" --backend drm \
	--drm-device /dev/dri/card1 --output HDMI-A-9
[ "$failed" -eq 0 ]
