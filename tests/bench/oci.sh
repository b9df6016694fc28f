#!/usr/bin/env bash
# The container benchmark: `docker run --rm --runtime mica` of a packed hello image, against plain `mica run` and a static hello under runc.
#
#   tests/bench/oci.sh    (root) O=<build dir>; needs $O/mica and the helloworld image (tests/bench/run
#                         builds them). OCI_BENCH_RUNS (default 10) runs of each, after one warm-up.
#
# One dockerd of our own (state under a temporary directory, stopped by PID on exit) runs both
# containers with --network none, so the figures are the engine's and runtime's own cost: image
# already loaded, no network setup. Prints the median wall time from starting the client to its
# exit for each, and the ratios.
set -euo pipefail

BENCH_TOPIC=oci
source "$(dirname "${BASH_SOURCE[0]}")/topic.lib"
runs=${OCI_BENCH_RUNS:-10}
hello_image=$IMAGES/helloworld/helloworld_proc-x86_64

((EUID == 0)) || die "needs root to start dockerd"
[[ -x /usr/sbin/dockerd && -x /usr/bin/docker ]] || die "docker.io is not installed (scripts/setup-deps.sh installs it)"
for f in "$MICA" "$hello_image"; do
	[[ -f $f ]] || die "$f is missing (tests/bench/run builds it)"
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "OCI_BENCH_RUNS must be a positive number"

T=$(mktemp -d)
export T MICA IMAGES
source "$SRC/tests/oci/engines.lib"
oci_begin
# oci_begin's trap stops the engines; the scratch directory goes after them.
trap 'oci_cleanup; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

# The runc baseline: a static musl hello (the one tests/bench/run compares boots against) alone in an image.
mkdir -p "$T/native" "$BENCH"
if [[ ! -x $BENCH/hello ]]; then
	musl-gcc -static -Os -Wall -Wextra -Werror "$SRC/tests/bench/hello.c" -o "$BENCH/hello" ||
		die "cannot build the native hello (musl-tools)"
fi
cp "$BENCH/hello" "$T/native/hello"

oci_dockerd_start "" || die "dockerd did not start (its log is above)"
"$MICA" oci pack "$hello_image" --name micabench/hello:1 -o "$T/hello.tar" >/dev/null
oci_docker load -i "$T/hello.tar" >/dev/null
tar -C "$T/native" -c hello | oci_docker import -c 'ENTRYPOINT ["/hello"]' - micabench/native:1 >/dev/null

# median_ms CMD...: runs CMD once to warm up, then $runs times; prints the median wall time in ms.
median_ms() {
	local i t0 t1 times=()
	"$@" >/dev/null 2>&1 || die "failed: $*"
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || die "failed: $*"
		t1=$(date +%s%N)
		times+=($(((t1 - t0) / 1000)))
	done
	printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f\n", m / 1000 }'
}

mica_run=$(median_ms "$MICA" run "$hello_image")
docker_mica=$(median_ms oci_docker run --rm --runtime mica --network none micabench/hello:1)
docker_runc=$(median_ms oci_docker run --rm --network none micabench/native:1)

echo "oci: docker run --rm to exit, median of $runs (dockerd 20.10, --network none, image loaded)"
printf '  %-44s %8s ms\n' "mica run helloworld (no engine)" "$mica_run"
printf '  %-44s %8s ms\n' "docker run --runtime mica helloworld" "$docker_mica"
printf '  %-44s %8s ms\n' "docker run (runc) static native hello" "$docker_runc"
awk -v m="$mica_run" -v dm="$docker_mica" -v dr="$docker_runc" 'BEGIN {
	printf "  docker+mica / mica run: %.1fx   docker+mica / docker+runc: %.2fx\n", dm / m, dm / dr }'
