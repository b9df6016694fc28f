# Network namespaces, TAPs and veths for network tests; sourced by tests that need them.
# shellcheck shell=bash
#
# Everything lives in namespaces named "micat-<process group>-<n>": deleting a namespace deletes
# the TAPs and veth ends inside it, so netns_cleanup (registered on EXIT by netns_new) and
# tests/run's leak check after each test leave nothing behind. The process group is the test's
# (tests/run runs each test in its own), so the check knows which namespaces a test made even
# while other suites run beside it, and can tell a stale one by its group having no process left.
# No address used here is routed outside its namespace.

_netns_list=()

# The python3 that clients and host-side servers run: Debian's, which scripts/setup-deps.sh
# installs; one found first in PATH may be a version manager's shim that takes seconds to start.
netns_python=/usr/bin/python3
[[ -x $netns_python ]] || netns_python=python3

# netns_group: the process group that names this shell's namespaces.
netns_group() { ps -o pgid= -p $$ | tr -d ' '; }

# netns_new VAR: makes a namespace with its loopback up and stores its name in VAR.
netns_new() {
	local name
	name=micat-$(netns_group)-${#_netns_list[@]}
	ip netns add "$name"
	_netns_list+=("$name")
	((${#_netns_list[@]} > 1)) || trap netns_cleanup EXIT
	ip -n "$name" link set lo up
	printf -v "$1" %s "$name"
}

# netns_tap NS TAP ADDR/PREFIX: a persistent TAP in NS with the host side's address, up; mica
# attaches to it with --net tap=TAP.
netns_tap() {
	ip -n "$1" tuntap add dev "$2" mode tap
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$1" link set "$2" up
}

# netns_veth NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair between two namespaces, both ends up; an
# empty ADDR leaves that end without an address (to join a bridge).
netns_veth() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	[[ -z $3 ]] || ip -n "$1" addr add "$3" dev "$2"
	[[ -z $6 ]] || ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# netns_bridge NS BRIDGE ADDR/PREFIX IF...: a bridge in NS with the host side's address, joining
# the interfaces IF (already in NS), everything up.
netns_bridge() {
	local ns=$1 br=$2 addr=$3 dev
	shift 3
	ip -n "$ns" link add "$br" type bridge
	ip -n "$ns" addr add "$addr" dev "$br"
	for dev in "$@"; do
		ip -n "$ns" link set "$dev" master "$br"
		ip -n "$ns" link set "$dev" up
	done
	ip -n "$ns" link set "$br" up
}

# netns_exec NS CMD...: runs CMD inside NS. Not for the background: `netns_exec … &` would put a
# subshell between $! and CMD; use netns_start.
netns_exec() { ip netns exec "$@"; }

# netns_start NS OUT CMD...: starts CMD inside NS in the background, stdin /dev/null, stdout and
# stderr in OUT; netns_pid is CMD's own pid (ip netns exec execs it), for netns_stop and wait.
netns_pid=
# shellcheck disable=SC2034 # netns_pid is read by the callers
netns_start() {
	local ns=$1 out=$2
	shift 2
	ip netns exec "$ns" "$@" >"$out" 2>&1 </dev/null &
	netns_pid=$!
}

# netns_wait_for FILE TEXT SECONDS PID: waits until FILE has a line containing TEXT; fails with one
# line saying why if PID exits first or SECONDS pass (the output's tail follows, on stderr).
netns_wait_for() {
	local deadline=$((SECONDS + $3))
	until grep -qF -- "$2" "$1" 2>/dev/null; do
		if ! kill -0 "$4" 2>/dev/null; then
			printf "error: '%s' never appeared in %s: the process exited first\n" "$2" "$1" >&2
			tail -n 20 "$1" >&2 2>/dev/null || true
			return 1
		fi
		if ((SECONDS >= deadline)); then
			printf "error: '%s' did not appear in %s within %s s\n" "$2" "$1" "$3" >&2
			tail -n 20 "$1" >&2 2>/dev/null || true
			return 1
		fi
		sleep 0.05
	done
}

# netns_stop PID: ends a background process (SIGTERM, SIGKILL after 5 s) and reaps it.
netns_stop() {
	kill -TERM "$1" 2>/dev/null || return 0
	local deadline=$((SECONDS + 5))
	while kill -0 "$1" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

netns_cleanup() {
	local ns
	for ns in "${_netns_list[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	_netns_list=()
}
