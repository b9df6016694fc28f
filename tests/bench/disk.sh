#!/usr/bin/env bash
# The disk benchmark: guest sequential MB/s (1 MiB) and random 4 KiB reads/s on a raw disk, against dd and fio on one file.
#
#   tests/bench/disk.sh    O=<build dir>; needs $O/mica and the blkbench image ($O/images/blkbench),
#                          which tests/bench/run builds. DISK_MB (default 256) sizes the file,
#                          DISK_TRIALS (default 3) repeats each measurement, DISK_RAND (default
#                          20000) is the guest's count of random reads, fio runs DISK_FIO_S (3) s.
#
# The file lives under $O/bench (a real filesystem, not tmpfs). Each measurement runs DISK_TRIALS
# times, guest and host interleaved, and the best of each is kept: the machine is shared and
# noisy, and the best run is the one least disturbed. Before every read measurement the file's
# page cache is dropped (dd iflag=nocache count=0), so reads come from the disk on both sides.
#
# The host side is dd with oflag=direct / iflag=direct and fio --direct=1 when the filesystem
# takes O_DIRECT (else buffered, with fdatasync, and the output says so). fio runs psync at
# iodepth 1, as the guest reads one 4 KiB block at a time. mica's blkback does buffered I/O
# (pread/pwrite on the file, fdatasync for a flush); the guest's write figure includes its final
# flush, as dd's direct or fdatasync run includes getting the data to the disk.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
O=$(realpath -m -- "${O:-$SRC/build}")
MICA=$O/mica
BENCH=$O/bench
image=$O/images/blkbench/blkbench_proc-x86_64
mb=${DISK_MB:-256}
trials=${DISK_TRIALS:-3}
rand=${DISK_RAND:-20000}
fio_s=${DISK_FIO_S:-3}

die() {
	echo "disk bench: $*" >&2
	exit 1
}

for f in "$MICA" "$image"; do
	[[ -f $f ]] || die "$f is missing (tests/bench/run builds it)"
done
command -v fio >/dev/null || die "fio is not installed (scripts/setup-deps.sh installs Debian's fio)"
[[ $mb =~ ^[1-9][0-9]*$ && $trials =~ ^[1-9][0-9]*$ && $rand =~ ^[1-9][0-9]*$ && $fio_s =~ ^[1-9][0-9]*$ ]] ||
	die "DISK_MB, DISK_TRIALS, DISK_RAND and DISK_FIO_S must be positive integers"

mkdir -p "$BENCH"
work=$(mktemp -d "$BENCH/disk.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
img=$work/disk.img
dd if=/dev/zero of="$img" bs=1M count="$mb" status=none conv=fdatasync

direct=1
dd if=/dev/zero of="$img" bs=1M count=1 oflag=direct conv=notrunc status=none 2>/dev/null || direct=0
if ((direct)); then
	wflags=(oflag=direct "conv=notrunc")
	rflags=(iflag=direct)
	fio_direct=1
	how="O_DIRECT"
else
	wflags=("conv=notrunc,fdatasync")
	rflags=()
	fio_direct=0
	how="buffered (this filesystem refuses O_DIRECT)"
fi

drop_cache() { dd if="$img" iflag=nocache count=0 status=none; }

# dd_rate ARGS...: dd's bytes per second as MB/s (10^6), from its closing line.
dd_rate() {
	LC_ALL=C dd "$@" 2>&1 | awk '/bytes/ && / copied, / { split($0, a, " copied, "); split(a[2], t, " "); printf "%.0f", $1 / t[1] / 1e6 }'
}

# guest MODE ARG: blkbench's figure (MB/s or IOPS), or fails with its output.
guest() {
	local out
	out=$("$MICA" run --mem 128M --disk "$img" "$image" "$1" "$2" 2>&1) || die "blkbench $1 failed: $out"
	awk '/^blkbench: / { print $3; found = 1 } END { exit !found }' <<<"$out" || die "blkbench $1 printed no figure: $out"
}

fio_iops() {
	fio --name=randread --filename="$img" --rw=randread --bs=4k --direct="$fio_direct" --ioengine=psync \
		--iodepth=1 --runtime="$fio_s" --time_based --output-format=terse 2>/dev/null | awk -F';' '{ printf "%.0f", $8 }'
}

max() { if (($1 > $2)); then echo "$1"; else echo "$2"; fi; }

hw=0 gw=0 hr=0 gr=0 hi=0 gi=0
for ((t = 0; t < trials; t++)); do
	hw=$(max "$hw" "$(dd_rate if=/dev/zero of="$img" bs=1M count="$mb" "${wflags[@]}")")
	gw=$(max "$gw" "$(guest seqwrite 0)")
	drop_cache
	hr=$(max "$hr" "$(dd_rate if="$img" of=/dev/null bs=1M "${rflags[@]}")")
	drop_cache
	gr=$(max "$gr" "$(guest seqread 0)")
	drop_cache
	hi=$(max "$hi" "$(fio_iops)")
	drop_cache
	gi=$(max "$gi" "$(guest randread "$rand")")
done

ratio() { awk -v g="$1" -v h="$2" 'BEGIN { if (h > 0) printf "%.2f", g / h; else printf "n/a" }'; }
echo "disk: ${mb} MiB file on $(stat -f -c %T "$work"), best of $trials; host: dd and fio ($how, fio psync iodepth 1)"
printf 'disk: sequential write 1 MiB: guest %s MB/s, host dd %s MB/s: %sx (target >= 0.9x)\n' "$gw" "$hw" "$(ratio "$gw" "$hw")"
printf 'disk: sequential read 1 MiB: guest %s MB/s, host dd %s MB/s: %sx (target >= 0.9x)\n' "$gr" "$hr" "$(ratio "$gr" "$hr")"
printf 'disk: random read 4 KiB: guest %s IOPS, host fio %s IOPS: %sx (target >= 0.5x)\n' "$gi" "$hi" "$(ratio "$gi" "$hi")"
