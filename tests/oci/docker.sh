# dockerd (Debian's docker.io) with mica added as runtime "mica": docker run, exit codes, docker stop, docker logs.
# shellcheck shell=bash
source "$SRC/tests/oci/engines.lib"
source "$SRC/tests/netns.sh"

test_oci_docker_run_hello_and_exit_status() {
	oci_begin
	oci_pack "$T/hello.tar" helloworld micat/hello:1
	oci_pack "$T/ctl.tar" guestctl micat/guestctl:1
	oci_dockerd_start
	assert_exit 0 oci_docker load -i "$T/hello.tar"
	assert_contains "$(cat "$T/out")" "Loaded image: micat/hello:1" "docker load names the image"
	oci_docker load -i "$T/ctl.tar" >/dev/null

	assert_exit 0 oci_docker run --rm --runtime mica --network none micat/hello:1 a b
	# docker keeps the image's entrypoint and appends the arguments.
	assert_eq "Hello from Mica
arg 1: a
arg 2: b" "$(tr -d '\r' <"$T/out")" "docker run output"
	assert_exit 3 oci_docker run --rm --runtime mica --network none micat/guestctl:1 status 3
	assert_exit 200 oci_docker run --rm --runtime mica --network none micat/guestctl:1 status 200
	assert_eq "" "$(oci_docker ps -aq)" "containers left after --rm"
	oci_assert_clean
}

test_oci_docker_stop_and_logs() {
	oci_begin
	oci_pack "$T/hello.tar" helloworld micat/hello:1
	oci_pack "$T/ctl.tar" guestctl micat/guestctl:1
	oci_dockerd_start
	oci_docker load -i "$T/hello.tar" >/dev/null
	oci_docker load -i "$T/ctl.tar" >/dev/null

	# docker logs of a finished container: what the guest printed, kept by docker's log driver.
	oci_docker run --name said --runtime mica --network none micat/hello:1 logged >/dev/null
	assert_eq "Hello from Mica
arg 1: logged" "$(oci_docker logs said 2>&1 | tr -d '\r')" "docker logs"
	assert_eq "0" "$(oci_docker inspect -f '{{.State.ExitCode}}' said)" "exit code of the logged run"
	oci_docker rm said >/dev/null

	local id pid
	id=$(oci_docker run -d --runtime mica --network none micat/guestctl:1 sleep 600000)
	assert_eq "true" "$(oci_docker inspect -f '{{.State.Running}}' "$id")" "long guest running"
	pid=$(oci_docker inspect -f '{{.State.Pid}}' "$id")
	assert_contains "$(tr '\0' ' ' </proc/"$pid"/cmdline)" "$MICA" "the container's pid is mica's VMM"
	# SIGTERM first: mica stops the guest and exits 128 + 15 (docker's SIGKILL would give 137).
	oci_docker stop -t 20 "$id" >/dev/null
	assert_eq "false" "$(oci_docker inspect -f '{{.State.Running}}' "$id")" "stopped"
	assert_eq "143" "$(oci_docker inspect -f '{{.State.ExitCode}}' "$id")" "exit code after SIGTERM"
	oci_docker rm "$id" >/dev/null
	if kill -0 "$pid" 2>/dev/null; then
		echo "error: the VMM $pid survived docker stop" >&2
		return 1
	fi

	# The SIGKILL path (what docker stop ends with when SIGTERM is not enough): the guest goes too.
	id=$(oci_docker run -d --runtime mica --network none micat/guestctl:1 sleep 600000)
	oci_docker kill "$id" >/dev/null
	oci_docker wait "$id" >/dev/null
	assert_eq "137" "$(oci_docker inspect -f '{{.State.ExitCode}}' "$id")" "exit code after SIGKILL"
	oci_docker rm "$id" >/dev/null
	oci_assert_clean
}

test_oci_docker_bridge_network_reaches_httpd() {
	oci_begin
	local ns
	oci_netns ns
	mkdir -p "$T/site/www"
	echo "served on docker's bridge" >"$T/site/www/index.html"
	oci_pack "$T/httpd.tar" httpd micat/httpd:1 "$T/site/www:/www"
	# dockerd in a namespace of the test's own: its bridge and the container's veth go with it.
	oci_dockerd_start "$ns"
	oci_docker load -i "$T/httpd.tar" >/dev/null
	local id ip got='' deadline
	id=$(oci_docker run -d --runtime mica micat/httpd:1)
	ip=$(oci_docker inspect -f '{{.NetworkSettings.IPAddress}}' "$id")
	assert_contains "$ip" "10.215.0." "docker gave the container an address on its bridge"
	deadline=$((SECONDS + 30))
	until [[ $got == "served on docker's bridge" ]] || ((SECONDS >= deadline)); do
		got=$(netns_exec "$ns" curl -s --max-time 2 "http://$ip/index.html" || true)
		[[ $got == "served on docker's bridge" ]] || sleep 0.2
	done
	assert_eq "served on docker's bridge" "$got" "curl from the bridge's side to the guest"
	oci_docker stop -t 20 "$id" >/dev/null
	oci_docker rm "$id" >/dev/null
	oci_assert_clean
}
