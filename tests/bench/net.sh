#!/usr/bin/env bash
# The network benchmark: wrk against apps/httpd in Mica (over a TAP) and natively, behind one bridge; boot time with a NIC.
#
#   tests/bench/net.sh    (root) O=<build dir>; needs $O/mica and the httpd and helloworld images,
#                         which tests/bench/run builds. WRK_DURATION (default 10s) shortens a trial.
#
# Topology, all in namespaces of our own (tests/netns.sh) that are deleted on exit:
#
#   client ns: mveth0 10.0.0.3 --veth-- server ns: mveth1 --+
#                                                           +-- mbr0 10.0.0.1  <- native httpd :80
#                                                           +-- mtap0 --- mica guest 10.0.0.2 :80
#
# Both servers get the same wrk command, the same page and --quiet; wrk runs once against each.
set -euo pipefail

BENCH_TOPIC=net
source "$(dirname "${BASH_SOURCE[0]}")/topic.lib"
httpd_image=$IMAGES/httpd/httpd_proc-x86_64
hello_image=$IMAGES/helloworld/helloworld_proc-x86_64
wrk_args=(-t2 -c32 -d"${WRK_DURATION:-10s}" --latency)

command -v wrk >/dev/null || die "wrk is not installed (scripts/setup-deps.sh installs Debian's wrk)"
command -v ip >/dev/null || die "ip (iproute2) is not installed"
((EUID == 0)) || die "needs root for network namespaces and TAPs"
for f in "$MICA" "$httpd_image" "$hello_image"; do
	[[ -f $f ]] || die "$f is missing (tests/bench/run builds it)"
done

source "$SRC/tests/netns.sh"
work=$(mktemp -d)
servers=()
cleanup() {
	local pid
	for pid in "${servers[@]}"; do netns_stop "$pid"; done
	netns_cleanup
	rm -rf "$work"
}
trap 'exit 130' INT TERM

mkdir -p "$BENCH" "$work/www"
cc -O2 -Wall -Wextra -Werror "$SRC"/apps/httpd/*.c -o "$BENCH/httpd-native" ||
	die "the native httpd does not build"
# A small page, as in most web benchmarks: the figure is about request handling, not bandwidth.
{
	printf '<!doctype html>\n<html><head><title>Mica</title></head><body>\n'
	for i in $(seq 12); do printf '<p>Line %02d of a small page served by httpd for the benchmark.</p>\n' "$i"; done
	printf '</body></html>\n'
} >"$work/www/index.html"
(cd "$work" && find www | cpio -o -H newc --quiet) >"$work/www.cpio"

client=
server=
netns_new client
netns_new server
trap cleanup EXIT
netns_veth "$client" mveth0 10.0.0.3/24 "$server" mveth1 ""
ip -n "$server" tuntap add dev mtap0 mode tap
netns_bridge "$server" mbr0 10.0.0.1/24 mveth1 mtap0

# start_server LABEL CMD...: CMD in the server namespace, until it prints httpd's ready line.
start_server() {
	local label=$1
	shift
	netns_start "$server" "$work/$label.out" "$@"
	servers+=("$netns_pid")
	netns_wait_for "$work/$label.out" "httpd: listening on :80" 30 "$netns_pid" || die "$label httpd did not start"
}

start_server mica "$MICA" run --stats --net tap=mtap0,ip=10.0.0.2/24,gw=10.0.0.1 --initrd "$work/www.cpio" "$httpd_image" -- --quiet
start_server native "$BENCH/httpd-native" --quiet --root "$work/www"

# run_wrk LABEL URL: one wrk run from the client namespace, after a check that the page is right.
run_wrk() {
	local got
	got=$(netns_exec "$client" curl -sS --max-time 10 "$2") || die "$1: curl $2 failed"
	[[ $got == "$(cat "$work/www/index.html")" ]] || die "$1: $2 served the wrong page"
	netns_exec "$client" wrk "${wrk_args[@]}" "$2" >"$work/wrk-$1" 2>&1 || die "$1: wrk failed: $(tail -n 3 "$work/wrk-$1")"
}

# Figures from a wrk report: requests per second, p99 latency in ms, and errors if any.
wrk_rps() { sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p' "$work/wrk-$1"; }
wrk_p99_ms() {
	awk '$1 == "99%" { v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u)
		printf "%.2f", u == "us" ? v / 1000 : u == "s" ? v * 1000 : v }' "$work/wrk-$1"
}
wrk_errors() { grep -E 'Socket errors|Non-2xx' "$work/wrk-$1" | tr -s ' ' | paste -sd ';' || true; }

echo "== network: wrk ${wrk_args[*]} from a client namespace, over a veth and a bridge"
run_wrk mica http://10.0.0.2/
run_wrk native http://10.0.0.1/
mica_rps=$(wrk_rps mica)
native_rps=$(wrk_rps native)
echo "mica httpd (guest on a TAP):      $mica_rps req/s, p99 $(wrk_p99_ms mica) ms $(wrk_errors mica)"
echo "native httpd (bridge's address): $native_rps req/s, p99 $(wrk_p99_ms native) ms $(wrk_errors native)"
echo "ratio mica/native req/s: $(awk -v m="$mica_rps" -v n="$native_rps" 'BEGIN { printf "%.2f", m / n }') (target >= 1.0)"

# The guest's NIC counters, from mica's --stats at exit.
netns_stop "${servers[0]}"
servers=("${servers[@]:1}")
grep '^stats:' "$work/mica.out" | sed 's/^/mica /' || true

# boot_main_us CMD...: the median over 21 boots of mica's "runtime start to guest main" for CMD.
boot_main_us() {
	local us=() out
	for _ in $(seq 21); do
		out=$("$@" 2>&1 >/dev/null </dev/null) || die "boot failed: $* said: $(tail -n 3 <<<"$out")"
		us+=("$(sed -n 's/^stats: runtime start to guest main: \([0-9.]*\) us$/\1/p' <<<"$out")")
	done
	printf '%s\n' "${us[@]}" | sort -n | sed -n 11p
}

# httpd --help returns at once from main, so its boot includes the NIC's whole xenstore handshake
# (lwIP and netfront start before main) and nothing else.
echo "== boot with a NIC (mica run --stats: runtime start to guest main, median of 21)"
nic_us=$(boot_main_us netns_exec "$server" "$MICA" run --stats --net tap=mtap0,ip=10.0.0.2/24 "$httpd_image" -- --help)
hello_us=$(boot_main_us "$MICA" run --stats "$hello_image")
# The same image without a NIC splits the difference: the handshake's share against the image's own start.
bare_us=$(boot_main_us "$MICA" run --stats "$httpd_image" -- --help)
echo "httpd with a NIC: $nic_us us; helloworld without one: $hello_us us"
echo "ratio NIC/no NIC: $(awk -v a="$nic_us" -v b="$hello_us" 'BEGIN { printf "%.2f", a / b }') (target <= 2.0)"
echo "httpd image without a NIC: $bare_us us (NIC handshake's share: $(awk -v a="$nic_us" -v b="$bare_us" \
	'BEGIN { printf "%.1f", a - b }') us)"
