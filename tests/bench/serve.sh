#!/usr/bin/env bash
# The function gateway benchmark: wrk against `mica serve`, a fresh instance per request, next to the same handler as a native process.
#
#   tests/bench/serve.sh    O=<build dir> (default build/); builds $O/mica and the lua-fn image when
#                           missing. WRK_DURATION (default 10s) shortens a trial.
#
# One gateway serves examples/hello three ways, each a fresh instance per request:
#   /snap    lua-fn restored from a snapshot taken at its ready point (handler loaded), into a
#            parked guest process when one is free (warm=2: recycled after each clean instance,
#            RAM and registers reset, docs/abi.md §14), else into a new one
#   /cold    lua-fn booted from its image
#   /native  the same lua-fn main.c built natively against Debian's liblua5.4-dev, (v)fork+exec'd
#            per request (the gateway's exec: kind): the baseline, through the same gateway and
#            protocol, so the ratio is the cost of a Mica instance against a host process.
set -euo pipefail

BENCH_TOPIC=serve
source "$(dirname "${BASH_SOURCE[0]}")/topic.lib"
image=$IMAGES/lua-fn/lua-fn_proc-x86_64
wrk_args=(-t2 -c8 -d"${WRK_DURATION:-10s}" --latency)

command -v wrk >/dev/null || die "wrk is not installed (scripts/setup-deps.sh installs Debian's wrk)"
command -v curl >/dev/null || die "curl is not installed"
[[ -f /usr/include/lua5.4/lua.h ]] || die "liblua5.4-dev is not installed (the native baseline needs it)"

bench_gateway_workdir

# quietly NAME CMD...: a build step, its output shown only if it fails.
quietly() {
	local log=$work/$1.log
	shift
	"$@" >"$log" 2>&1 </dev/null && return 0
	tail -n 30 "$log" >&2
	die "failed: $*"
}

mkdir -p "$BENCH"
[[ -x $MICA ]] || quietly build-mica make -C "$SRC" --no-print-directory -j"$(nproc)" O="$O" mica
if [[ ! -f $image ]]; then
	quietly defconfig-lua-fn make -C "$SRC" --no-print-directory O="$IMAGES/lua-fn" CACHE="$O/cache" defconfig APP=apps/lua-fn
	quietly build-lua-fn make -C "$SRC" --no-print-directory -j"$(nproc)" O="$IMAGES/lua-fn" CACHE="$O/cache" images
fi

mkdir -p "$work/root"
cp "$SRC/examples/hello/handler.lua" "$work/root/handler.lua"
(cd "$work/root" && printf 'handler.lua\n' | cpio -o -H newc --quiet) >"$work/hello.cpio"
quietly snapshot "$MICA" run --snapshot "$work/hello.snap" --mem 16M --initrd "$work/hello.cpio" "$image"
printf '/* The native baseline has no ready point. */\nint mica_ready(void) { return 0; }\n' >"$work/ready.c"
# Static, like mica and its guest: no dynamic loader in the baseline's per-request cost.
quietly build-native gcc -std=gnu11 -O2 -static -DFN_HANDLER_PATH="\"$work/root/handler.lua\"" \
	-I/usr/include/lua5.4 -I"$SRC/lib/posix-process/include" "$SRC/apps/lua-fn/main.c" "$work/ready.c" \
	-llua5.4 -lm -o "$work/lua-fn-native"

"$MICA" serve --listen 127.0.0.1:0 --function "snap=$work/hello.snap" \
	--function "cold=$image,initrd=$work/hello.cpio,mem=16M" --function "native=exec:$work/lua-fn-native" \
	2>"$work/serve.err" &
gateway=$!
bench_gateway_port

# CPU time of the gateway and its reaped instances (their guests included), in clock ticks: on a
# shared machine, the cost per request that other load does not inflate.
cpu_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$gateway/stat"; }
declare -A cpu_ms=()

# run_wrk LABEL [WRK OPTIONS...]: one wrk run against /LABEL (options: $wrk_args), after a check that
# the answer is right; its output in $work/wrk-LABEL, or wrk-LABEL-c1 with -c1.
run_wrk() {
	local body before fn=$1 key=$1
	shift
	(($#)) || set -- "${wrk_args[@]}"
	[[ " $* " == *" -c1 "* ]] && key=$fn-c1
	body=$(curl -s --max-time 30 "http://127.0.0.1:$port/$fn?name=bench")
	[[ $body == "Hello, bench!" ]] || die "$fn: unexpected answer '$body'"
	before=$(cpu_ticks)
	wrk "$@" "http://127.0.0.1:$port/$fn?name=bench" >"$work/wrk-$key" 2>&1 ||
		die "$fn: wrk failed: $(tail -n 3 "$work/wrk-$key")"
	cpu_ms[$key]=$(awk -v t="$(($(cpu_ticks) - before))" -v hz="$(getconf CLK_TCK)" \
		'/ requests in / { printf "%.2f", $1 ? t * 1000 / hz / $1 : 0 }' "$work/wrk-$key")
}
wrk_rps() { sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p' "$work/wrk-$1"; }
# wrk_ms LABEL PERCENTILE: that latency percentile in ms.
wrk_ms() {
	awk -v p="$2%" '$1 == p { v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u);
		printf "%.2f", u == "us" ? v / 1000 : u == "s" ? v * 1000 : v }' "$work/wrk-$1"
}
wrk_errors() { grep -E 'Socket errors|Non-2xx' "$work/wrk-$1" | tr -s ' ' | paste -sd ';' || true; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "== function gateway: wrk ${wrk_args[*]}, examples/hello, a fresh instance per request (max=8)"
for label in snap cold native; do
	run_wrk "$label"
done
for label in snap cold native; do
	printf '%-7s %8s req/s  p50 %6s ms  p99 %6s ms  CPU %5s ms/request %s\n' "$label" "$(wrk_rps "$label")" \
		"$(wrk_ms "$label" 50)" "$(wrk_ms "$label" 99)" "${cpu_ms[$label]}" "$(wrk_errors "$label")"
done
# The targets: throughput with 8 connections; latency one request at a time (below), since with 8
# connections on 2 cores a p99 of 2 ms would take about 8 / 2 ms = 4000 req/s (Little's law).
echo "snap, 8 connections: req/s $(wrk_rps snap) (target >= 500); p99 $(wrk_ms snap 99) ms (latency target: one connection, below)"
echo "ratio snap/native req/s: $(ratio "$(wrk_rps snap)" "$(wrk_rps native)"), p99: $(ratio "$(wrk_ms snap 99)" "$(wrk_ms native 99)")"
echo "ratio cold/native req/s: $(ratio "$(wrk_rps cold)" "$(wrk_rps native)"), p99: $(ratio "$(wrk_ms cold 99)" "$(wrk_ms native 99)")"
echo "ratio snap/cold req/s: $(ratio "$(wrk_rps snap)" "$(wrk_rps cold)")"
echo "ratio snap/native CPU per request: $(ratio "${cpu_ms[snap]}" "${cpu_ms[native]}")"

# With 8 connections on 2 cores a request mostly waits for the ones ahead of it (latency is about
# connections / throughput); one connection shows what one request costs end to end.
one=(-t1 -c1 -d"${WRK_DURATION:-10s}" --latency)
echo "== the same, one connection at a time: wrk ${one[*]}"
for label in snap native; do
	run_wrk "$label" "${one[@]}"
	printf '%-7s %8s req/s  p50 %6s ms  p99 %6s ms  CPU %5s ms/request %s\n' "$label" "$(wrk_rps "$label-c1")" \
		"$(wrk_ms "$label-c1" 50)" "$(wrk_ms "$label-c1" 99)" "${cpu_ms[$label-c1]}" "$(wrk_errors "$label-c1")"
done
echo "snap, one connection: req/s $(wrk_rps snap-c1), p99 $(wrk_ms snap-c1 99) ms (target <= 2)"
echo "ratio snap/native one connection p50: $(ratio "$(wrk_ms snap-c1 50)" "$(wrk_ms native-c1 50)"), p99: $(ratio "$(wrk_ms snap-c1 99)" "$(wrk_ms native-c1 99)")"
