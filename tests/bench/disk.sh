#!/usr/bin/env bash
# The disk benchmark: guest sequential MB/s (1 MiB) and random 4 KiB reads/s on a raw disk, against dd and fio on one file.
#
#   tests/bench/disk.sh    O=<build dir>; needs $O/mica and the blkbench image ($O/images/blkbench),
#                          which tests/bench/run builds. DISK_MB (default 256) sizes the file,
#                          DISK_TRIALS (default 7) repeats each measurement, DISK_RAND (default
#                          20000) is the guest's count of random reads, fio runs DISK_FIO_S (3) s.
#
# The file lives under $O/bench (a real filesystem, not tmpfs). Each measurement runs DISK_TRIALS
# times, guest and host interleaved in every trial (which goes first alternates), and the medians are compared, with the spread
# (lowest to highest) of each side and of the per-trial ratios: the machine is shared and noisy,
# and a median with its spread says more than a best run. Before every measurement the file's
# page cache is dropped (dd iflag=nocache count=0), so reads come from the disk on both sides.
#
# The host side is dd with oflag=direct / iflag=direct and fio --direct=1 when the filesystem
# takes O_DIRECT (else buffered, and the output says so), each doing what the guest does. Writes:
# dd, one 1 MiB block at a time, as blkbench seqwrite. Sequential reads, the target: fio libaio
# at iodepth 2 over the whole file, two 1 MiB reads in flight, as blkbench seqread 2; and for
# reference dd, one 1 MiB block at a time, as blkbench seqread 1. Random reads: fio psync at
# iodepth 1, as the guest reads one 4 KiB block at a time.
# mica's blkback writes buffered (pwritev, fdatasync for a flush), reads a 1 MiB transfer whose
# pages the host's page cache holds none of with O_DIRECT, as dd does, and reads anything smaller
# (the random 4 KiB reads) or cached through the page cache. The host's page cache is dropped
# before each measurement, so both sides' sequential reads come from the device. On a
# paravirtualized host, copying freshly read page cache can cost more than the device, and
# varies with which pages the kernel hands out: blkback's reads through the cache ran at
# 0.5-3x dd's from one trial to the next, its O_DIRECT reads stay near 1x. blkbench publishes each
# 1 MiB transfer's requests together (blkfront_read, or blkfront_queue and one blkfront_push), so
# blkback finds the whole transfer and reads it with one O_DIRECT read (`mica run --stats` counts
# them); with two transfers in flight it starts the second on its io_uring while the first one's
# answers go back to the guest, as fio keeps two reads queued.
#
# Writes count once durable on both sides: the guest's figure ends with its flush (blkback's
# fdatasync), and the host's dd ends with conv=fdatasync. O_DIRECT alone is not durable when the
# disk has a volatile write cache (/sys/block/*/queue/write_cache "write back", which the output
# names): the data may still sit in the device's cache until a flush, and fdatasync sends that
# flush. dd O_DIRECT without it is printed too, for reference, and is not a target.
set -euo pipefail

BENCH_TOPIC=disk
source "$(dirname "${BASH_SOURCE[0]}")/topic.lib"
image=$O/images/blkbench/blkbench_proc-x86_64
mb=${DISK_MB:-256}
trials=${DISK_TRIALS:-7}
rand=${DISK_RAND:-20000}
fio_s=${DISK_FIO_S:-3}

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
	wflags=(oflag=direct "conv=notrunc,fdatasync")
	rflags=(iflag=direct)
	fio_direct=1
	how="O_DIRECT"
else
	wflags=("conv=notrunc,fdatasync")
	rflags=()
	fio_direct=0
	how="buffered (this filesystem refuses O_DIRECT)"
fi

# The write cache of the block device under the file, as the kernel reports it ("unknown" if none found).
write_cache() {
	local dev sys
	dev=$(stat -c %d "$work")
	sys=$(readlink -f "/sys/dev/block/$((dev >> 8)):$((dev & 255))" 2>/dev/null) || true
	[[ -n $sys && -r $sys/queue/write_cache ]] || sys=${sys%/*}
	if [[ -n $sys && -r $sys/queue/write_cache ]]; then cat "$sys/queue/write_cache"; else echo unknown; fi
}

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

# fio's sequential read of the whole file, two 1 MiB reads in flight: MB/s (10^6) from terse v3's
# read bandwidth (field 7, KiB/s).
fio_read() {
	local out
	out=$(fio --name=seqread --filename="$img" --readonly --rw=read --bs=1M --iodepth=2 --ioengine=libaio \
		--direct="$fio_direct" --size="$((mb * 1048576))" --output-format=terse --terse-version=3 2>&1) ||
		die "fio's sequential read failed: $out"
	awk -F';' '$1 == 3 { printf "%.0f", $7 * 1024 / 1e6; found = 1 } END { exit !found }' <<<"$out" ||
		die "fio's sequential read printed no terse v3 line: $out"
}

# One figure per trial, space-separated, for each measurement; each m_* function adds one.
hw="" gw="" hwn="" hr="" gr="" hr2="" gr2="" hi="" gi=""
m_hw() { hw+=" $(dd_rate if=/dev/zero of="$img" bs=1M count="$mb" "${wflags[@]}")"; }
m_gw() { gw+=" $(guest seqwrite 0)"; }
m_hr() { hr+=" $(dd_rate if="$img" of=/dev/null bs=1M "${rflags[@]}")"; }
m_gr() { gr+=" $(guest seqread 1)"; }
m_hr2() { hr2+=" $(fio_read)"; }
m_gr2() { gr2+=" $(guest seqread 2)"; }
m_hi() { hi+=" $(fio_iops)"; }
m_gi() { gi+=" $(guest randread "$rand")"; }

# pair HOST GUEST: both measurements of trial t, the page cache dropped before each; the host's
# first in even trials, the guest's in odd ones, so that whatever the first leaves behind (in
# the virtual disk's own caches, say) weighs on both sides alike.
pair() {
	local first=$1 second=$2
	if ((t % 2)); then
		first=$2
		second=$1
	fi
	drop_cache
	"$first"
	drop_cache
	"$second"
}

for ((t = 0; t < trials; t++)); do
	pair m_hw m_gw
	if ((direct)); then
		drop_cache
		hwn+=" $(dd_rate if=/dev/zero of="$img" bs=1M count="$mb" oflag=direct conv=notrunc)"
	fi
	pair m_hr m_gr
	pair m_hr2 m_gr2
	pair m_hi m_gi
done

# stats FIGURES...: "median (lowest-highest)".
stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.0f (%s-%s)", m, v[1], v[NR] }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# line WHAT UNIT TARGET GUEST HOST: medians, spreads, the ratio of the medians and the spread of the
# per-trial ratios; TARGET "none" for a line printed for reference.
line() {
	local -a g h r=()
	read -ra g <<<"$4"
	read -ra h <<<"$5"
	for ((i = 0; i < ${#g[@]}; i++)); do r+=("$(awk -v a="${g[i]}" -v b="${h[i]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"); done
	local rs
	rs=$(printf '%s\n' "${r[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }')
	local target="target >= ${3}x"
	[[ $3 != none ]] || target="not a target"
	printf 'disk: %s: guest %s %s, host %s %s: %sx (per trial %s; %s)\n' "$1" "$(stats "${g[@]}")" "$2" \
		"$(stats "${h[@]}")" "$2" "$(awk -v a="$(median "${g[@]}")" -v b="$(median "${h[@]}")" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" \
		"$rs" "$target"
}

echo "disk: ${mb} MiB file on $(stat -f -c %T "$work") (device write cache: $(write_cache)), medians of $trials interleaved trials (lowest-highest); host: dd and fio ($how); guest: blkbench, 1 MiB transfers (one write at a time; reads two in flight, or one for reference) or one 4 KiB read at a time"
line "sequential write 1 MiB, durable (host dd ${wflags[*]})" MB/s 0.9 "$gw" "$hw"
line "sequential read 1 MiB, 2 in flight (host fio libaio iodepth 2, direct=$fio_direct)" MB/s 0.9 "$gr2" "$hr2"
line "for reference, sequential read 1 MiB, 1 at a time (host dd ${rflags[*]:-buffered})" MB/s none "$gr" "$hr"
line "random read 4 KiB (host fio psync iodepth 1)" IOPS 0.5 "$gi" "$hi"
if ((direct)); then
	read -ra n <<<"$hwn"
	echo "disk: for reference, host dd oflag=direct without a flush (not durable on a write-back cache): $(stats "${n[@]}") MB/s"
fi
