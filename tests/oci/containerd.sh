# containerd + ctr driving mica as the runc binary: run, exit codes, kill, ps, pause/resume, errors, networking.
# shellcheck shell=bash
source "$SRC/tests/oci/engines.lib"
source "$SRC/tests/netns.sh"

# _ctr_status ID: the task's status as `ctr task ls` shows it (RUNNING, PAUSED, STOPPED), or "".
_ctr_status() { oci_ctr task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'; }

# _ctr_wait_status ID STATUS SECONDS
_ctr_wait_status() {
	local deadline=$((SECONDS + $3))
	until [[ $(_ctr_status "$1") == "$2" ]]; do
		if ((SECONDS >= deadline)); then
			echo "error: task $1 is '$(_ctr_status "$1")', not $2, after $3 s" >&2
			return 1
		fi
		sleep 0.1
	done
}

# _ctr_curl NS URL TEXT: the page at URL fetched from NS, retried for up to 20 s until it is TEXT
# (the guest boots and configures its NIC after the task is RUNNING).
_ctr_curl() {
	local got='' deadline=$((SECONDS + 20))
	until [[ $got == "$3" ]] || ((SECONDS >= deadline)); do
		got=$(netns_exec "$1" curl -s --max-time 2 "$2" || true)
		[[ $got == "$3" ]] || sleep 0.2
	done
	echo "$got"
}

# _ctr_start ID IMAGE ARGS...: an imported image as a detached task; its output in $T/ID.out.
_ctr_start() {
	local id=$1 ref=$2
	shift 2
	oci_ctr_run -d --log-uri "file://$T/$id.out" "$ref" "$id" "$@"
}

test_oci_ctr_hello_and_exit_status() {
	oci_begin
	oci_pack "$T/hello.tar" helloworld micat/hello:1
	oci_pack "$T/ctl.tar" guestctl micat/guestctl:1
	oci_containerd_start
	oci_ctr images import "$T/hello.tar" >/dev/null
	oci_ctr images import "$T/ctl.tar" >/dev/null
	assert_contains "$(oci_ctr images ls -q)" docker.io/micat/hello:1 "image imported by name"

	assert_exit 0 oci_ctr_run --rm docker.io/micat/hello:1 hello1
	assert_file_contains "$T/out" "Hello from Mica"
	# ctr replaces the whole command line, so the image's path comes first.
	assert_exit 0 oci_ctr_run --rm docker.io/micat/hello:1 hello2 /helloworld_proc-x86_64 x y
	assert_eq "Hello from Mica
arg 1: x
arg 2: y" "$(tr -d '\r' <"$T/out")" "output with arguments"
	assert_exit 42 oci_ctr_run --rm docker.io/micat/guestctl:1 st /guestctl_proc-x86_64 status 42
	assert_eq "" "$(oci_ctr containers ls -q)" "containers left after --rm"
	assert_eq "" "$(ls -A "$OCI_RUNC_ROOT/$OCI_NS")" "mica state left under its --root"
	oci_assert_clean
}

test_oci_ctr_kill_ps_pause_resume_delete() {
	oci_begin
	oci_pack "$T/ctl.tar" guestctl micat/guestctl:1
	oci_containerd_start
	oci_ctr images import "$T/ctl.tar" >/dev/null
	_ctr_start long docker.io/micat/guestctl:1 /guestctl_proc-x86_64 sleep 600000
	_ctr_wait_status long RUNNING 20

	local pid
	pid=$(oci_ctr task ls | awk '$1 == "long" { print $2 }')
	assert_contains "$(oci_ctr task ps long)" "$pid" "ctr task ps lists the task's pid"
	assert_contains "$(tr '\0' ' ' </proc/"$pid"/cmdline)" "$MICA" "the task's pid is mica's VMM"

	oci_ctr task pause long
	_ctr_wait_status long PAUSED 20
	oci_ctr task resume long
	_ctr_wait_status long RUNNING 20

	oci_ctr task kill long
	_ctr_wait_status long STOPPED 20
	oci_ctr task delete long >/dev/null
	oci_ctr containers delete long
	assert_eq "" "$(oci_ctr containers ls -q)" "containers after delete"
	assert_eq "" "$(ls -A "$OCI_RUNC_ROOT/$OCI_NS")" "mica state left under its --root"
	if kill -0 "$pid" 2>/dev/null; then
		echo "error: the VMM $pid survived ctr task kill" >&2
		return 1
	fi
	oci_assert_clean
}

test_oci_ctr_refused_config_shows_mica_error() {
	oci_begin
	oci_pack "$T/hello.tar" helloworld micat/hello:1
	oci_containerd_start
	oci_ctr images import "$T/hello.tar" >/dev/null
	# No such file in the image: mica refuses the bundle and ctr must show mica's own words.
	assert_exit 1 oci_ctr_run --rm docker.io/micat/hello:1 bad /no-such-image
	assert_contains "$(cat "$T/err")" "OCI runtime create failed" "ctr's framing"
	assert_contains "$(cat "$T/err")" "no image '/no-such-image'" "mica's message"
	# A config.json field mica refuses: the backend annotation names no backend.
	assert_exit 1 oci_ctr_run --rm --annotation org.mica.backend=warp docker.io/micat/hello:1 broken
	assert_contains "$(cat "$T/err")" "OCI runtime create failed" "ctr's framing"
	assert_contains "$(cat "$T/err")" "org.mica.backend 'warp' is not proc, kvm or auto" "mica's message"
	oci_ctr containers delete bad broken 2>/dev/null || true
	assert_eq "" "$(ls -A "$OCI_RUNC_ROOT/$OCI_NS" 2>/dev/null)" "mica state left after refusals"
	oci_assert_clean
}

test_oci_ctr_httpd_answers_through_container_netns() {
	oci_begin
	local host cont
	oci_netns host
	oci_netns cont
	# The container's namespace gets one addressed veth end and a default route, as a CNI plugin would.
	netns_veth "$host" vh0 10.213.0.1/24 "$cont" eth0 10.213.0.2/24
	ip -n "$cont" route add default via 10.213.0.1
	mkdir -p "$T/site/www"
	echo "served from a container" >"$T/site/www/index.html"
	oci_pack "$T/httpd.tar" httpd micat/httpd:1 "$T/site/www:/www"
	oci_containerd_start
	oci_ctr images import "$T/httpd.tar" >/dev/null
	oci_ctr_run -d --log-uri "file://$T/web.out" --with-ns "network:/var/run/netns/$cont" docker.io/micat/httpd:1 web
	_ctr_wait_status web RUNNING 20

	assert_eq "served from a container" "$(_ctr_curl "$host" http://10.213.0.2/index.html "served from a container")" \
		"curl from the host side of the veth"
	# The TAP mica made lives in the container's namespace, tied to eth0 by tc.
	assert_contains "$(ip -n "$cont" -o link show)" "mica0" "TAP in the container's namespace"
	assert_contains "$(netns_exec "$cont" tc filter show dev eth0 ingress)" "Egress Redirect to device mica0" "tc redirect"

	oci_ctr task kill -s SIGKILL web
	_ctr_wait_status web STOPPED 20
	oci_ctr task delete web >/dev/null
	oci_ctr containers delete web
	assert_not_contains "$(ip -n "$cont" -o link show)" "mica0" "TAP after the container ended"
	# A container restarted in the same namespace (as in a pod) is reachable again.
	oci_ctr_run -d --log-uri "file://$T/web2.out" --with-ns "network:/var/run/netns/$cont" docker.io/micat/httpd:1 web2
	_ctr_wait_status web2 RUNNING 20
	assert_eq "served from a container" "$(_ctr_curl "$host" http://10.213.0.2/index.html "served from a container")" \
		"curl to a second guest in the same namespace"
	oci_ctr task kill -s SIGKILL web2
	_ctr_wait_status web2 STOPPED 20
	oci_ctr task delete web2 >/dev/null
	oci_ctr containers delete web2
	oci_assert_clean
}
