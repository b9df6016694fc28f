#!/usr/bin/env bash
# The snapshot benchmark: restore-to-ready of 16 MiB and 256 MiB guests, against a cold boot of the same image and a native static hello.
#
#   tests/bench/snapshot.sh    O=<build dir>; needs $O/mica (tests/bench/run builds it) and builds
#                              the snaptest image, spawntime and hello into $O if they are missing.
#                              RUNS (default 200) sets the runs per measurement.
#
# The guest is tests/apps/snaptest with argument "exit": it warms up, calls mica_ready, and powers
# off at once when that returns, so a run is mica's start, the restore (or boot), and the guest's
# exit. Two figures per case: the whole spawn of mica (spawntime, medians) and mica's own
# "runtime start to guest end" (--stats, medians), which leaves out exec'ing mica itself.
#
# Third, restore to ready as `mica serve` does it: each request's instance is restored into a
# guest process parked ahead (warm=1: loader exec'd, RAM mapped, sandbox armed; after its first
# instance, the same process recycled: RAM and registers reset), and --verbose logs the time from
# the start of that restore to the guest's first hypercall after mica_ready returned.
# snaptest "exit" powers off right then, so the gateway answers 502 (no response): only the time
# matters. Requests alternate between the 16 MiB and the 256 MiB guest.
set -euo pipefail

BENCH_TOPIC=snapshot
source "$(dirname "${BASH_SOURCE[0]}")/topic.lib"
RUNS=${RUNS:-200}
image=$IMAGES/snaptest/snaptest_proc-x86_64

[[ -x $MICA ]] || die "$MICA is missing (tests/bench/run builds it)"
mkdir -p "$BENCH"
if [[ ! -f $image ]]; then
	make -C "$SRC" --no-print-directory O="$IMAGES/snaptest" CACHE="$O/cache" defconfig APP=tests/apps/snaptest \
		>"$BENCH/build-snaptest.log" 2>&1 &&
		make -C "$SRC" --no-print-directory -j"$(nproc)" O="$IMAGES/snaptest" CACHE="$O/cache" images \
			>>"$BENCH/build-snaptest.log" 2>&1 || die "cannot build the snaptest image (see $BENCH/build-snaptest.log)"
fi
[[ -x $BENCH/spawntime ]] || gcc -std=c11 -O2 -Wall -Wextra -Werror "$SRC/tests/bench/spawntime.c" -o "$BENCH/spawntime"
[[ -x $BENCH/hello ]] || musl-gcc -static -Os -Wall -Wextra -Werror "$SRC/tests/bench/hello.c" -o "$BENCH/hello"

bench_gateway_workdir

for mem in 16M 256M; do
	"$MICA" run --snapshot "$work/$mem.snap" --mem "$mem" "$image" exit </dev/null ||
		die "--snapshot of a $mem guest failed"
done

# median_stats RUN OPTIONS...: the median over $RUNS runs of `mica run --stats OPTIONS...`'s
# "runtime start to guest end", in us.
median_stats() {
	local i
	for ((i = 0; i < RUNS; i++)); do
		"$MICA" run --stats "$@" 2>&1 >/dev/null </dev/null | sed -n 's/^stats: runtime start to guest end: \([0-9.]*\) us$/\1/p'
	done | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "nan" }'
}

# spawn_medians CMD... --vs CMD...: spawntime's medians of both, "A B".
spawn_medians() {
	"$BENCH/spawntime" -n "$RUNS" -w 20 -- "$@" |
		awk '$1 == "A" || $1 == "B" { sub("median_us=", "", $2); m[$1] = $2 } END { print m["A"], m["B"] }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

size16=$(stat -c %s "$work/16M.snap")
size256=$(stat -c %s "$work/256M.snap")
echo "snapshot file: 16 MiB guest $((size16 / 1024)) KiB, 256 MiB guest $((size256 / 1024)) KiB (only touched pages)"

r16=$(median_stats --restore "$work/16M.snap")
r256=$(median_stats --restore "$work/256M.snap")
c16=$(median_stats --mem 16M "$image" exit)
echo "restore to ready, mica start to guest end (median of $RUNS): 16 MiB $r16 us, 256 MiB $r256 us (target < 1000 us and flat)"
echo "cold boot to ready, same image, 16 MiB: $c16 us"
echo "ratio restore-256M/restore-16M: $(ratio "$r256" "$r16") (target ~1.0: flat in guest RAM)"
echo "ratio restore-16M/cold-boot-16M: $(ratio "$r16" "$c16")"

read -r s16 s256 < <(spawn_medians "$MICA" run --restore "$work/16M.snap" --vs "$MICA" run --restore "$work/256M.snap")
read -r cold hello < <(spawn_medians "$MICA" run --mem 16M "$image" exit --vs "$BENCH/hello")
echo "spawn to exit (median of $RUNS): restore 16 MiB $s16 us, restore 256 MiB $s256 us, cold boot 16 MiB $cold us, native static hello $hello us"
echo "ratio restore-16M/native-hello: $(ratio "$s16" "$hello")"
echo "ratio restore-256M/native-hello: $(ratio "$s256" "$hello")"
echo "ratio cold-boot-16M/native-hello: $(ratio "$cold" "$hello")"

command -v curl >/dev/null || die "curl is not installed"
"$MICA" serve --verbose --listen 127.0.0.1:0 --function "s16=$work/16M.snap,warm=1,max=1" \
	--function "s256=$work/256M.snap,warm=1,max=1" 2>"$work/serve.err" &
gateway=$!
bench_gateway_port
for ((i = 0; i < RUNS; i++)); do
	curl -s -o /dev/null -o /dev/null "http://127.0.0.1:$port/s16" "http://127.0.0.1:$port/s256"
done
kill -TERM "$gateway"
wait "$gateway" || die "mica serve failed: $(tail -n 3 "$work/serve.err")"
gateway=
# parked_median NAME: the median restore time (us) of NAME's requests restored into a parked guest
# (new or recycled), and their count.
parked_median() {
	sed -n "s|^mica serve: GET /$1 -> .* (restore to ready \([0-9.]*\) us, parked[,)].*|\1|p" "$work/serve.err" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)], NR; else print "nan", 0 }'
}
read -r p16 n16 < <(parked_median s16)
read -r p256 n256 < <(parked_median s256)
recycled=$(grep -c ', recycled: run ' "$work/serve.err" || true)
echo "restore to ready from a parked guest (mica serve; median of $n16 and $n256 requests, $recycled of them into a recycled process): 16 MiB $p16 us, 256 MiB $p256 us (target < 1000 us and flat)"
echo "ratio parked-restore-256M/parked-restore-16M: $(ratio "$p256" "$p16") (target ~1.0)"
echo "ratio parked-restore-16M/native-hello-spawn: $(ratio "$p16" "$hello")"
