# netfront end to end: tests/apps/netping on proc behind mica's netback and a TAP, in a namespace of its own.
# shellcheck shell=bash
source "$SRC/tests/netns.sh"

# np_wait_up NICS: waits (at most 10 s) until netping says its NICS NICs are up.
np_wait_up() {
	local i up
	for ((i = 0; i < 1000; i++)); do
		up=$(grep -c '^netping: vif[0-9] up ' "$T/np.out" || true)
		((up < $1)) || return 0
		kill -0 "$np_pid" 2>/dev/null || break
		sleep 0.01
	done
	_mica_say "netping did not bring up $1 NIC(s)" stdout "$(cat "$T/np.out")" stderr "$(cat "$T/np.err")"
	return 1
}

# np_start NS NICS MICA-OPTION... [-- NETPING-ARG]: starts netping in NS and waits for its NICs.
# $np_pid is mica's pid: `ip netns exec` execs mica, whereas the netns_exec function in the
# background would be a subshell of its own, and a SIGTERM would reach that instead of mica.
np_start() {
	local ns=$1 nics=$2
	shift 2
	local opts=() args=()
	while (($#)) && [[ $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	(($# == 0)) || { shift; args=("$@"); }
	ip netns exec "$ns" "$MICA" run "${opts[@]}" "$(image netping)" "${args[@]}" >"$T/np.out" 2>"$T/np.err" &
	np_pid=$!
	np_wait_up "$nics"
}

# np_stop: SIGTERM to mica, which stops the guest and exits 128 + 15.
np_stop() {
	local rc=0
	kill -TERM "$np_pid"
	wait "$np_pid" || rc=$?
	assert_eq 143 "$rc" "mica's status after SIGTERM"
}

# np_ping NS ARGS...: ping from NS with a deadline, its output in $T/ping.
np_ping() {
	local ns=$1
	shift
	netns_exec "$ns" ping -n -w 20 "$@" >"$T/ping" 2>&1 || {
		_mica_say "ping $* failed" output "$(cat "$T/ping")" netping "$(cat "$T/np.out" "$T/np.err")"
		return 1
	}
}

test_net_ping_guest_answers_with_its_mac() {
	local ns
	netns_new ns
	netns_tap "$ns" nptap0 10.0.0.1/24
	np_start "$ns" 1 --net tap=nptap0,ip=10.0.0.2/24,gw=10.0.0.1,mac=02:00:00:aa:bb:01
	assert_file_contains "$T/np.out" "netping: vif0 up 10.0.0.2 mac 02:00:00:aa:bb:01 mtu 1500"
	np_ping "$ns" -c 3 -i 0.2 10.0.0.2
	assert_contains "$(cat "$T/ping")" "3 packets transmitted, 3 received"
	# The host learnt the guest's address from the guest's own ARP reply.
	assert_contains "$(ip -n "$ns" neigh show 10.0.0.2)" "lladdr 02:00:00:aa:bb:01"
	np_stop
}

# 1472 bytes of ICMP payload make a 1500-byte IP packet: a full MTU, sent unfragmented (-M do).
test_net_ping_full_mtu() {
	local ns
	netns_new ns
	netns_tap "$ns" nptap0 10.0.0.1/24
	np_start "$ns" 1 --net tap=nptap0,ip=10.0.0.2/24
	np_ping "$ns" -c 3 -i 0.2 -s 1472 -M do 10.0.0.2
	assert_contains "$(cat "$T/ping")" "1480 bytes from 10.0.0.2"
	assert_contains "$(cat "$T/ping")" "3 packets transmitted, 3 received"
	np_stop
}

test_net_ping_500_quick_pings_all_answered() {
	local ns
	netns_new ns
	netns_tap "$ns" nptap0 10.0.0.1/24
	np_start "$ns" 1 --net tap=nptap0,ip=10.0.0.2/24
	np_ping "$ns" -q -c 500 -i 0.002 10.0.0.2
	assert_contains "$(cat "$T/ping")" "500 packets transmitted, 500 received, 0% packet loss"
	np_stop
}

# The payload goes out in one datagram (printf's one write) and comes back whole (dd's one read).
test_net_ping_udp_echo_1400_bytes() {
	local ns payload
	netns_new ns
	netns_tap "$ns" nptap0 10.0.0.1/24
	np_start "$ns" 1 --net tap=nptap0,ip=10.0.0.2/24
	payload=$(head -c 1050 /dev/urandom | base64 -w0)
	assert_eq 1400 "${#payload}" "payload length"
	netns_exec "$ns" timeout 5 bash -c 'exec 3<>/dev/udp/10.0.0.2/7 && printf %s "$1" >&3 &&
		dd bs=65536 count=1 status=none <&3' _ "$payload" >"$T/udp"
	assert_eq "$payload" "$(cat "$T/udp")" "UDP echo"
	np_stop
}

test_net_ping_two_nics_both_answer() {
	local ns
	netns_new ns
	netns_tap "$ns" nptap0 10.0.0.1/24
	netns_tap "$ns" nptap1 10.0.1.1/24
	np_start "$ns" 2 --net tap=nptap0,ip=10.0.0.2/24,mac=02:00:00:00:00:10 \
		--net tap=nptap1,ip=10.0.1.2/24,mac=02:00:00:00:00:11
	assert_file_contains "$T/np.out" "netping: vif0 up 10.0.0.2 mac 02:00:00:00:00:10"
	assert_file_contains "$T/np.out" "netping: vif1 up 10.0.1.2 mac 02:00:00:00:00:11"
	np_ping "$ns" -c 3 -i 0.1 10.0.0.2
	assert_contains "$(cat "$T/ping")" "3 received"
	np_ping "$ns" -c 3 -i 0.1 10.0.1.2
	assert_contains "$(cat "$T/ping")" "3 received"
	# Each answer came through its own NIC.
	assert_contains "$(ip -n "$ns" neigh show dev nptap1)" "02:00:00:00:00:11"
	assert_not_contains "$(ip -n "$ns" neigh show dev nptap0)" "02:00:00:00:00:11"
	np_stop
}

test_net_ping_needs_a_static_address() {
	local ns
	netns_new ns
	netns_tap "$ns" nptap0 10.0.0.1/24
	assert_exit 1 netns_exec "$ns" "$MICA" run --net tap=nptap0 "$(image netping)"
	assert_file_contains "$T/out" "netping: vif0 has no address: give one with --net ...,ip=A.B.C.D/N (netping does no DHCP)"
	assert_exit 1 "$MICA" run "$(image netping)"
	assert_file_contains "$T/out" "netping: no NIC: run it with --net tap=NAME,ip=A.B.C.D/N"
}

# The counters after a timed run: answers counted, nothing dropped or refused on either side.
test_net_ping_timed_run_reports_counters() {
	local ns
	netns_new ns
	netns_tap "$ns" nptap0 10.0.0.1/24
	np_start "$ns" 1 --stats --net tap=nptap0,ip=10.0.0.2/24 -- 2
	np_ping "$ns" -c 5 -i 0.05 10.0.0.2
	local rc=0
	wait "$np_pid" || rc=$?
	assert_eq 0 "$rc" "netping's status after its 2 s"
	# The host may ask for the address more than once, but it pinged exactly 5 times.
	if ! grep -qE '^netping: vif0 rx [0-9]+ tx [0-9]+ arp [1-9][0-9]* icmp 5 udp 0 bad-checksum 0 ' "$T/np.out"; then
		_mica_say "netping did not count 5 echoes and no bad checksum" stdout "$(cat "$T/np.out")"
		return 1
	fi
	assert_file_contains "$T/np.out" "rx-errors 0 rx-dropped 0 tx-dropped 0"
	assert_file_contains "$T/np.err" "refused: none"
}

# A TAP mica made itself goes with it; and the namespaces this test made go with the test.
test_net_ping_transient_tap_and_namespace_removed() {
	local ns
	netns_new ns
	np_start "$ns" 1 --net tap=nptap9,ip=10.0.0.2/24
	ip -n "$ns" addr add 10.0.0.1/24 dev nptap9
	ip -n "$ns" link set nptap9 up
	np_ping "$ns" -c 2 -i 0.2 10.0.0.2
	assert_contains "$(cat "$T/ping")" "2 received"
	np_stop
	assert_not_contains "$(ip -n "$ns" -o link show)" "nptap9"
	netns_cleanup
	assert_not_contains "$(ip netns list)" "$ns"
}
