#!/usr/bin/env bash
# Runs inside tests/kvm/run's VM (tests/kvm/run --bench): helloworld's boots under --backend kvm against proc, and
# kvm snapshot restores of snaptest (16 MiB and 256 MiB) against a cold kvm boot of it; medians.
#
# Prints the bench's lines on stdout; diagnostics on stderr, and a failed boot ends it with status 1
# (its numbers would time the failure). MICA and IMAGES come from the VM's /init.
set -euo pipefail

runs=11
hello=$IMAGES/helloworld/helloworld
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# boot IMAGE: one `mica run --stats IMAGE`; appends "wall_us main_us exits hypercalls" to IMAGE's
# file in $work ("-" where mica did not say: proc has no vm exits).
boot() {
	local start end rc=0 wall main exits calls
	start=$EPOCHREALTIME
	"$MICA" run --stats "$1" >"$work/out" 2>"$work/err" </dev/null || rc=$?
	end=$EPOCHREALTIME
	if ((rc != 0)) || ! grep -qx 'Hello from Mica' "$work/out"; then
		echo "error: mica run --stats ${1##*/} exited with status $rc" >&2
		cat "$work/out" "$work/err" >&2
		exit 1
	fi
	wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", (e - s) * 1e6 }')
	main=$(sed -n 's/^stats: runtime start to guest main: \([0-9.]*\) us$/\1/p' "$work/err")
	exits=$(sed -n 's/^stats: vm exits: \([0-9]*\)$/\1/p' "$work/err")
	calls=$(sed -n 's/^stats: hypercalls: \([0-9]*\)$/\1/p' "$work/err")
	echo "$wall ${main:--} ${exits:--} ${calls:--}" >>"$work/${1##*/}"
}

# median IMAGE COLUMN: the median of one column of IMAGE's boots ("-" if mica never said).
median() {
	awk -v c="$2" '{ print $c }' "$work/${1##*/}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

# The first boot of each pays for cold caches; alternating spreads any drift over both.
boot "${hello}_kvm-x86_64"
boot "${hello}_proc-x86_64"
rm -f "$work"/helloworld_*
for _ in $(seq "$runs"); do
	boot "${hello}_kvm-x86_64"
	boot "${hello}_proc-x86_64"
done

kvm=${hello##*/}_kvm-x86_64
proc=${hello##*/}_proc-x86_64
# ratio A B: A / B to two places.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }

echo "kvm hello boot: $(median "$kvm" 3) vm exits (target <= 30), $(median "$kvm" 4) hypercalls; medians of $runs boots"
echo "proc hello boot (baseline): $(median "$proc" 4) hypercalls (each one a seccomp notification: its exits)"
echo "runtime start to guest main: kvm median $(median "$kvm" 2) us, proc median $(median "$proc" 2) us;" \
	"kvm/proc $(ratio "$(median "$kvm" 2)" "$(median "$proc" 2)") (no target under nested TCG)"
echo "whole mica run (fork to exit): kvm median $(ms "$(median "$kvm" 1)") ms, proc median" \
	"$(ms "$(median "$proc" 1)") ms; kvm/proc $(ratio "$(median "$kvm" 1)" "$(median "$proc" 1)")"

# Snapshot restore on kvm: tests/apps/snaptest with argument "exit" powers off as soon as its ready
# call returns, so mica's "runtime start to guest end" (--stats) is the restore (or the boot) to ready.
snap=$IMAGES/snaptest/snaptest_kvm-x86_64
if [[ ! -f $snap ]]; then
	echo "kvm snapshot restore: (not run: the snaptest image was not built)"
	exit 0
fi
for mem in 16M 256M; do
	if ! "$MICA" run --snapshot "$work/$mem.snap" --mem "$mem" "$snap" exit >/dev/null 2>"$work/err" </dev/null; then
		echo "error: mica run --snapshot of a $mem kvm guest failed" >&2
		cat "$work/err" >&2
		exit 1
	fi
done

# to_end NAME OPTIONS...: one `mica run --stats OPTIONS...`; appends its "runtime start to guest end" (us) to NAME.
to_end() {
	local name=$1 rc=0 us
	shift
	"$MICA" run --stats "$@" >/dev/null 2>"$work/err" </dev/null || rc=$?
	us=$(sed -n 's/^stats: runtime start to guest end: \([0-9.]*\) us$/\1/p' "$work/err")
	if ((rc != 0)) || [[ -z $us ]]; then
		echo "error: mica run --stats $* exited with status $rc" >&2
		cat "$work/err" >&2
		exit 1
	fi
	echo "$us" >>"$work/$name"
}

# Interleaved, after one unrecorded round for cold caches.
to_end warmup --restore "$work/16M.snap"
to_end warmup --restore "$work/256M.snap"
to_end warmup --mem 16M "$snap" exit
for _ in $(seq "$runs"); do
	to_end restore16 --restore "$work/16M.snap"
	to_end restore256 --restore "$work/256M.snap"
	to_end cold16 --mem 16M "$snap" exit
done
col_median() { sort -n "$work/$1" | sed -n "$(((runs + 1) / 2))p"; }
r16=$(col_median restore16)
r256=$(col_median restore256)
c16=$(col_median cold16)
echo "kvm snapshots: 16 MiB guest $(stat -c %s "$work/16M.snap") bytes, 256 MiB guest $(stat -c %s "$work/256M.snap") bytes"
echo "kvm restore to ready, mica start to guest end (medians of $runs): 16 MiB $r16 us, 256 MiB $r256 us;" \
	"cold kvm boot of the same image (16 MiB) $c16 us"
echo "kvm ratio restore-256M/restore-16M: $(ratio "$r256" "$r16") (target ~1.0: flat in guest RAM)"
echo "kvm ratio restore-16M/cold-boot-16M: $(ratio "$r16" "$c16") (absolute times are nested-TCG slow)"
