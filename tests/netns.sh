# Network namespaces, TAPs and veths for network tests; sourced by tests that need them.
# shellcheck shell=bash
#
# Everything lives in namespaces named "micat-<test pid>-<n>": deleting a namespace deletes the
# TAPs and veth ends inside it, so netns_cleanup (registered on EXIT by netns_new) and tests/run's
# leak check after each test (any micat-* namespace left is removed and fails the test) leave
# nothing behind. No address used here is routed outside its namespace.

_netns_list=()

# netns_new VAR: makes a namespace with its loopback up and stores its name in VAR.
netns_new() {
	local name=micat-$$-${#_netns_list[@]}
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

# netns_veth NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair between two namespaces, both ends up.
netns_veth() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# netns_exec NS CMD...: runs CMD inside NS.
netns_exec() { ip netns exec "$@"; }

netns_cleanup() {
	local ns
	for ns in "${_netns_list[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	_netns_list=()
}
