#!/bin/bash
# meson install into a --destdir puts every program, sluice-ci's files, the manual pages, the
# kiosk units (with this build's paths) and their settings in place, and the installed
# sluice --version and sluice-ci --help run from there. TAP output.
#   test-install.sh BUILD_DIR
set -u
build=${1:?usage: test-install.sh BUILD_DIR}
dest=$(mktemp -d /tmp/sluice-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT
. "$(dirname "$0")/tap.sh"

echo "TAP version 13"
echo "1..7"
out=$(meson install -C "$build" --destdir "$dest" --no-rebuild --quiet 2>&1)
check "meson install --destdir" $? "$out"

prefix=$(meson introspect "$build" --buildoptions |
	python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
root=$dest$prefix
missing=""
for f in bin/sluice bin/sluice-ci bin/sluice-gpu bin/sluice-camera bin/sluice-capture \
	bin/sluice-contact-sheet share/sluice/sluice-ci-guest share/sluice/sluice-ci-report.py \
	share/sluice/vm/sluice-vm share/sluice/vm/build-kernel share/sluice/vm/guest-init \
	share/sluice/vm/kernel.config; do
	[ -s "$root/$f" ] || missing+="$prefix/$f "
done
for f in bin/sluice bin/sluice-ci bin/sluice-gpu share/sluice/vm/sluice-vm; do
	[ -x "$root/$f" ] || missing+="$prefix/$f (not executable) "
done
[ -n "$(ls "$root"/share/sluice/vm/patches 2>/dev/null)" ] || missing+="$prefix/share/sluice/vm/patches/ "
check "programs and sluice-ci's files" "$([ -z "$missing" ]; echo $?)" "missing: $missing"

missing=""
for page in sluice sluice-ci sluice-camera sluice-gpu sluice-capture sluice-contact-sheet; do
	file=$root/share/man/man1/$page.1
	if ! [ -s "$file" ]; then
		missing+="$page.1 "
	elif ! MANWIDTH=80 man -l "$file" 2>/dev/null | grep -q "^NAME"; then
		missing+="$page.1 (man cannot show it) "
	fi
done
check "manual pages" "$([ -z "$missing" ]; echo $?)" "missing: $missing"

units=$(find "$dest" -name 'sluice-kiosk*.service' | sort)
problems=""
[ "$(echo "$units" | grep -c .)" -eq 2 ] || problems+="units found: ${units:-none}. "
for unit in $units; do
	grep -Eq '@[a-z_]+@' "$unit" && problems+="$unit has an unsubstituted @name@. "
	grep -q "^ExecStart=$prefix/bin/sluice " "$unit" || problems+="$unit does not start $prefix/bin/sluice. "
	grep -q "^EnvironmentFile=$prefix/etc/default/sluice-kiosk\$" "$unit" ||
		grep -q "^EnvironmentFile=/etc/default/sluice-kiosk\$" "$unit" ||
		problems+="$unit reads no sluice-kiosk settings. "
	if command -v systemd-analyze > /dev/null; then
		# Only the unit's syntax: its ExecStart is not installed on this machine.
		v=$(systemd-analyze verify --man=no "$unit" 2>&1 | grep -v "is not executable\|No such file\|Failed to prepare\|Command .* is not\|Unit .* not found\|seatd.service" || true)
		[ -z "$v" ] || problems+="systemd-analyze: $v. "
	fi
done
check "kiosk units" "$([ -z "$problems" ]; echo $?)" "$problems"

settings=$(find "$dest" -path '*/default/sluice-kiosk')
check "the units' settings file" "$([ -n "$settings" ] && grep -q '^KIOSK_APP=' $settings; echo $?)" \
	"no etc/default/sluice-kiosk with KIOSK_APP="

version=$("$root/bin/sluice" --version 2>&1)
echo "# installed: $version"
echo "$version" | grep -Eq '^sluice [0-9]+\.[0-9]+\.[0-9]+( \(git [0-9a-f]{12}(-dirty)?\))?$'
check "installed sluice --version" $? "$version"

help=$("$root/bin/sluice-ci" --help 2>&1)
echo "$help" | grep -q "^SYNOPSIS" && echo "$help" | grep -q -- "--stack"
check "installed sluice-ci --help" $? "$help"
tap_exit
