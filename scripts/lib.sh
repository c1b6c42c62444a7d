# Shared by scripts/demo and scripts/test: package installation and building.

# Debian packages needed to build sluice and run the host-tier tests.
SLUICE_BUILD_PACKAGES=(
	build-essential meson ninja-build pkg-config python3
	libwayland-dev wayland-protocols libpixman-1-dev libpng-dev libdrm-dev
	libgbm-dev libegl-dev libgles-dev libliftoff-dev
	libinput-dev libseat-dev libudev-dev libxkbcommon-dev xkb-data scdoc
)
# The VM tier: QEMU, the kernel source and what building it takes; seatd for the session test.
SLUICE_VM_PACKAGES=(qemu-system-x86 linux-source-6.1 flex bison bc libelf-dev libssl-dev seatd
	mmdebstrap)
# Peer clients the tests and the demo run against sluice, and Mesa's software EGL for them.
SLUICE_PEER_PACKAGES=(weston wayland-utils libegl-mesa0 libgl1-mesa-dri gstreamer1.0-tools chromium gtk-3-examples grim
	gstreamer1.0-plugins-base gstreamer1.0-plugins-bad)
# The benchmarks' plots; the fuzz run's compiler (libFuzzer comes with clang).
SLUICE_BENCH_PACKAGES=(python3-matplotlib)
SLUICE_FUZZ_PACKAGES=(clang)
# The Debian package the test command builds (tests/host/test-deb.sh).
SLUICE_PACKAGING_PACKAGES=(dpkg-dev debhelper lintian)

die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# ensure_packages PKG...: installs whichever are missing, with apt-get (as root, or through sudo).
ensure_packages() {
	local missing=()
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || die "missing packages (${missing[*]}); run as root or install sudo"
		sudo=(sudo)
	fi
	echo "Installing: ${missing[*]}" >&2
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null ||
		die "apt-get update failed"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
}

# build DIR [MESON_OPTIONS...]: configures DIR once, then builds it.
build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null || die "meson setup $dir failed"
	fi
	ninja -C "$dir" >/dev/null || { ninja -C "$dir" | tail -n 30 >&2; die "build failed"; }
}
