#!/usr/bin/env bash
# Installs the Debian packages Mica needs to build, run, test and benchmark; silent when all are present.
set -euo pipefail

# One list for everything; later features append here.
packages=(
	make gcc libc6-dev binutils          # host and guest toolchain (strip, readelf, size)
	kconfig-frontends-nox                # kconfig-conf, kconfig-mconf
	libxen-dev                           # Xen public headers shared by guests and the runtime
	musl-tools                           # musl-gcc: the static mica runtime, and the bench baseline
	clang libclang-rt-14-dev             # libFuzzer and the sanitizers
	procps                               # pgrep, ps: integration tests look for leftover processes
	dpkg-dev patch                       # dpkg-source unpacks, patch applies lib/*/patches to Debian sources
	cpio lua5.4                          # initrds for tests; the host Lua the guest's is compared with
	tcl sqlite3                          # tclsh generates sqlite3.c and shell.c; the host sqlite3 the guest's is compared with
	newlib-source                        # /usr/src/newlib: the guest's second C library (lib/newlib)
	linux-image-amd64 qemu-system-x86    # tests/kvm: Debian's kernel under qemu (TCG, emulated SVM) is the /dev/kvm
	busybox-static xz-utils              # tests/kvm: the test VM's userland; xz unpacks compressed kernel modules
	iproute2 iputils-ping                # network tests: namespaces, TAPs, veths, bridges; ping the guest
	curl python3                         # network tests: HTTP client; raw sockets and host-side servers
	wrk                                  # make bench: the HTTP load generator against Mica's and native httpd
	liblua5.4-dev                        # make bench: lua-fn built natively, the function gateway's baseline
	e2fsprogs fio                        # disk tests: mke2fs -d, e2fsck, debugfs; make bench: the host's disk I/O
	libext2fs-dev comerr-dev             # host unit test and fuzzer of the guest's ext4 driver (the guest builds e2fsprogs' source)
	libjansson-dev                       # host unit tests and fuzzers of the OCI config parser (mica builds jansson's source)
	containerd runc docker.io podman     # tests/oci: the container engines that drive mica as their runtime
)

# Upstream sources (musl, lua, sqlite, newlib) come from Debian's source packages.
deb_src=/etc/apt/sources.list.d/mica-deb-src.sources
need_update=
if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	if ((EUID != 0)); then
		echo "deps: apt has no deb-src entry; as root, run: $0" >&2
		exit 1
	fi
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	cat >"$deb_src" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	echo "deps: added $deb_src"
	need_update=1
fi

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
	[[ -z $need_update ]] || apt-get update -qq >/dev/null
	exit 0
fi

if ((EUID != 0)); then
	echo "deps: missing ${missing[*]}; run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
# apt is chatty: keep its output out of the way unless it fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; } \
	>"$log" 2>&1 </dev/null; then
	cat "$log" >&2
	echo "deps: apt-get failed installing ${missing[*]}" >&2
	exit 1
fi
