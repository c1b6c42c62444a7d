#!/bin/bash
# The Debian package: dpkg-buildpackage -b -us -uc turns a copy of the tree into sluice and
# sluice-tools .debs; lintian finds no error in them; each holds its programs, manual pages and
# (sluice) the kiosk units and their settings as a conffile; apt can install both; the packaged
# sluice --version runs.
# TAP output.
#   test-deb.sh SOURCE_DIR
set -u
src=${1:?usage: test-deb.sh SOURCE_DIR}
work=$(mktemp -d /tmp/sluice-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/tap.sh"

echo "TAP version 13"
echo "1..6"
tree=$work/sluice
mkdir "$tree"
# The tree as committed plus what is not yet, never a build directory.
if git -C "$src" rev-parse --git-dir > /dev/null 2>&1; then
	(cd "$src" && git ls-files -co --exclude-standard | grep -v '^build' | tar -cf - -T -) |
		tar -xf - -C "$tree"
else
	(cd "$src" && tar --exclude='./build*' -cf - .) | tar -xf - -C "$tree"
fi
log=$(cd "$tree" && dpkg-buildpackage -b -us -uc 2>&1)
status=$?
check "dpkg-buildpackage -b -us -uc" $status "$log"
changes=$(ls "$work"/sluice_*.changes 2>/dev/null | head -n 1)

if [ -n "$changes" ] && command -v lintian > /dev/null; then
	lint=$(lintian "$changes" 2>&1 | grep -v "running with root privileges\|drop --no-tag-display")
	echo "$lint" | grep . | sed 's/^/# lintian: /'
	check "lintian: no errors" "$(echo "$lint" | grep -q '^E:'; echo $((1 - $?)))" "$lint"
else
	check "lintian: no errors" 1 "no .changes, or lintian is not installed"
fi

deb=$(ls "$work"/sluice_*_*.deb 2>/dev/null | head -n 1)
tools=$(ls "$work"/sluice-tools_*_*.deb 2>/dev/null | head -n 1)
missing=""
contents=$([ -n "$deb" ] && dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/sluice ./usr/share/man/man1/sluice.1.gz \
	./lib/systemd/system/sluice-kiosk.service ./lib/systemd/system/sluice-kiosk-seatd.service \
	./etc/default/sluice-kiosk; do
	echo "$contents" | grep -qx -- "$f" || missing+="sluice:$f "
done
[ -n "$deb" ] && dpkg-deb -f "$deb" Depends | grep -q libwayland-server0 || missing+="sluice's Depends "
[ -n "$deb" ] && dpkg-deb -I "$deb" conffiles 2>/dev/null | grep -qx /etc/default/sluice-kiosk ||
	missing+="conffile /etc/default/sluice-kiosk "
check "sluice .deb: program, page, units, settings" "$([ -z "$missing" ]; echo $?)" "missing: $missing"

missing=""
contents=$([ -n "$tools" ] && dpkg-deb -c "$tools" | awk '{print $6}')
for p in sluice-ci sluice-gpu sluice-camera sluice-capture sluice-contact-sheet; do
	echo "$contents" | grep -qx "./usr/bin/$p" || missing+="$p "
	echo "$contents" | grep -qx "./usr/share/man/man1/$p.1.gz" || missing+="$p.1 "
done
echo "$contents" | grep -qx "./usr/share/sluice/vm/sluice-vm" || missing+="share/sluice/vm/sluice-vm "
check "sluice-tools .deb: clients, sluice-ci and its files, pages" \
	"$([ -z "$missing" ]; echo $?)" "missing: $missing"

# apt resolves both packages' dependencies against this Debian's archive (nothing is installed).
if [ -n "$deb" ] && [ -n "$tools" ]; then
	sim=$(apt-get install -s "$deb" "$tools" 2>&1)
	echo "$sim" | grep -q '^Inst sluice ' && echo "$sim" | grep -q '^Inst sluice-tools '
	check "apt-get install -s of both .debs" $? "$sim"
else
	check "apt-get install -s of both .debs" 1 "no .debs were built"
fi

version=""
if [ -n "$deb" ]; then
	dpkg-deb -x "$deb" "$work/root"
	version=$("$work/root/usr/bin/sluice" --version 2>&1)
	echo "# packaged: $version"
fi
echo "$version" | grep -Eq '^sluice [0-9]+\.[0-9]+\.[0-9]+'
check "packaged sluice --version" $? "$version"
tap_exit
