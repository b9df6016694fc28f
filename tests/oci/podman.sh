# podman with mica as its --runtime (cgroupfs manager, file events, explicit ulimits): load and run hello.
# shellcheck shell=bash
source "$SRC/tests/oci/engines.lib"

test_oci_podman_run_hello() {
	oci_begin
	oci_pack "$T/hello.tar" helloworld micat/hello:1
	oci_pack "$T/ctl.tar" guestctl micat/guestctl:1
	assert_exit 0 oci_podman load -i "$T/hello.tar"
	assert_contains "$(cat "$T/out")" "Loaded image: docker.io/micat/hello:1" "podman load names the image"
	oci_podman load -q -i "$T/ctl.tar" >/dev/null
	# Explicit limits: podman's defaults come from the host's, which a CI runner may set oddly.
	assert_exit 0 oci_podman run --rm --cidfile "$T/cid1" --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		docker.io/micat/hello:1 from podman
	assert_eq "Hello from Mica
arg 1: from
arg 2: podman" "$(tr -d '\r' <"$T/out")" "podman run output"
	assert_exit 5 oci_podman run --rm --cidfile "$T/cid2" --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		docker.io/micat/guestctl:1 status 5
	assert_eq "" "$(oci_podman ps -aq)" "containers left after --rm"
	local id
	for id in $(cat "$T"/cid*); do
		[[ ! -e /run/mica/$id ]] || { echo "error: container $id left /run/mica/$id" >&2; return 1; }
	done
	oci_assert_clean
}
