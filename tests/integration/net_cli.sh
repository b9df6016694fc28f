# mica run --net: parsing, images without a NIC, TAP errors and lifetime, and the per-NIC --stats line.
# shellcheck shell=bash
source "$SRC/tests/netns.sh"
#
# Background runs use `ip netns exec` itself, not netns_exec: a backgrounded shell function is a
# subshell, so $! would be its pid and a signal would never reach mica.

test_net_help_mentions_net() {
	assert_exit 0 "$MICA" run --help
	assert_file_contains "$T/out" "--net tap=NAME[,mac=XX:XX:XX:XX:XX:XX][,ip=A.B.C.D/N][,gw=A.B.C.D]"
	assert_file_contains "$T/out" "IMAGE must come from an app that selects WANT_NET"
}

# net_refused VALUE MESSAGE: --net VALUE is refused before any image is read, with MESSAGE.
net_refused() {
	assert_exit 125 "$MICA" run --net "$1" /nonexistent
	assert_contains "$(cat "$T/err")" "mica: run: --net '$1': $2"
}

test_net_parse_errors_name_the_bad_part() {
	net_refused "" "'' is not KEY=VALUE"
	net_refused "tap=t0,foo=1" "unknown key 'foo' (keys: tap, mac, ip, gw)"
	net_refused "mac=02:00:00:00:00:01" "no tap=NAME"
	net_refused "tap=t0,tap=t1" "tap given twice"
	net_refused "tap=0123456789abcdef" "tap '0123456789abcdef' is not an interface name"
	net_refused "tap=a/b" "tap 'a/b' is not an interface name"
	net_refused "tap=t0,mac=01:00:00:00:00:01" "mac '01:00:00:00:00:01' is not a unicast address"
	net_refused "tap=t0,mac=02:00:00:00:00" "mac '02:00:00:00:00' is not a unicast address"
	net_refused "tap=t0,ip=10.0.0.256/24" "ip '10.0.0.256/24' is not A.B.C.D/N (N from 1 to 32)"
	net_refused "tap=t0,ip=10.0.0.2" "ip '10.0.0.2' is not A.B.C.D/N"
	net_refused "tap=t0,ip=10.0.0.2/33" "ip '10.0.0.2/33' is not A.B.C.D/N"
	net_refused "tap=t0,ip=10.0.0.2/24,gw=10.0.0" "gw '10.0.0' is not an address A.B.C.D"
	net_refused "tap=t0,gw=10.0.0.1" "gw needs ip (without ip the guest uses DHCP)"
	net_refused "tap=t0," "'' is not KEY=VALUE"
	assert_exit 125 "$MICA" run --net tap=t0 --net tap=t0 /nonexistent
	assert_contains "$(cat "$T/err")" "tap t0 is already vif0"
	assert_exit 125 "$MICA" run --net tap=t0 --net tap=t1 --net tap=t2 --net tap=t3 --net tap=t4 /nonexistent
	assert_contains "$(cat "$T/err")" "more than 4 --net NICs"
	assert_exit 125 "$MICA" run --net
	assert_contains "$(cat "$T/err")" "--net needs a value"
}

test_net_refused_for_an_image_without_a_nic() {
	local ns hello
	hello=$(image helloworld)
	netns_new ns
	assert_exit 125 netns_exec "$ns" "$MICA" run --net tap=h2none "$hello"
	assert_eq "mica: $hello has no network device: build it from an app that selects WANT_NET" "$(cat "$T/err")"
	# Refused before anything was opened: no TAP was made.
	assert_eq "" "$(ip -n "$ns" -o link show type tun)" "TAPs in the namespace"
}

test_net_tap_errors_say_what_to_do() {
	local ns np pid
	np=$(image netping)
	netns_new ns
	ip -n "$ns" link add nveth0 type veth peer name nveth1
	assert_exit 125 netns_exec "$ns" "$MICA" run --net tap=nveth0 "$np" 0
	assert_eq "mica: --net tap=nveth0: nveth0 exists and is not a TAP device" "$(cat "$T/err")"

	ip -n "$ns" tuntap add dev ntun0 mode tun
	assert_exit 125 netns_exec "$ns" "$MICA" run --net tap=ntun0 "$np" 0
	assert_contains "$(cat "$T/err")" "ntun0 exists and is not a TAP device"

	# Without CAP_NET_ADMIN over the namespace (an unprivileged user namespace inside it).
	assert_exit 125 netns_exec "$ns" unshare --user --map-user=65534 "$MICA" run --net tap=nperm0 "$np" 0
	assert_contains "$(cat "$T/err")" "mica: --net tap=nperm0: no permission to create TAP nperm0: it needs CAP_NET_ADMIN"

	netns_tap "$ns" nbusy0 10.0.0.1/24
	ip netns exec "$ns" "$MICA" run --net tap=nbusy0,ip=10.0.0.2/24 "$np" 20 >"$T/np.out" 2>&1 &
	pid=$!
	netns_wait_for "$T/np.out" "netping: vif0 up" 10 "$pid"
	assert_exit 125 netns_exec "$ns" "$MICA" run --net tap=nbusy0,ip=10.0.0.3/24 "$np" 0
	assert_eq "mica: --net tap=nbusy0: TAP nbusy0 is busy: another process has it open" "$(cat "$T/err")"
	netns_stop "$pid"
}

test_net_transient_tap_is_up_during_the_run_and_gone_after() {
	local ns np pid
	np=$(image netping)
	netns_new ns
	ip netns exec "$ns" "$MICA" run --net tap=ntmp0,ip=10.0.0.2/24 "$np" 20 >"$T/np.out" 2>&1 &
	pid=$!
	netns_wait_for "$T/np.out" "netping: vif0 up" 10 "$pid"
	assert_contains "$(ip -n "$ns" link show ntmp0)" ",UP"
	netns_stop "$pid"
	assert_eq "" "$(ip -n "$ns" -o link show type tun)" "TAPs left in the namespace"

	# The same when mica refuses to start after making it: a second NIC on a name that is no TAP.
	ip -n "$ns" link add nveth0 type veth peer name nveth1
	assert_exit 125 netns_exec "$ns" "$MICA" run --net tap=ntmp1 --net tap=nveth0 "$np" 0
	assert_eq "" "$(ip -n "$ns" -o link show type tun)" "TAPs left after a refused start"
}

test_net_persistent_tap_stays_and_stats_count_frames() {
	local ns np
	np=$(image netping)
	netns_new ns
	netns_tap "$ns" nstat0 10.0.0.1/24
	ip netns exec "$ns" "$MICA" run --stats --net tap=nstat0,ip=10.0.0.2/24 "$np" 20 >"$T/np.out" 2>"$T/np.err" &
	local pid=$!
	netns_wait_for "$T/np.out" "netping: vif0 up" 10 "$pid"
	netns_exec "$ns" ping -n -c 3 -i 0.2 -w 10 10.0.0.2 >"$T/ping"
	assert_contains "$(cat "$T/ping")" "3 packets transmitted, 3 received"
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	assert_eq 143 "$rc" "mica's status after SIGTERM"
	# ARP and 3 echo requests in, their replies out: at least 4 frames each way, nothing refused.
	local line
	line=$(grep '^stats: vif0: ' "$T/np.err")
	[[ $line =~ tx\ ([0-9]+)\ frames.*rx\ ([0-9]+)\ frames.*refused:\ none$ ]] ||
		{ _mica_say "no vif0 stats line" stderr "$(cat "$T/np.err")"; return 1; }
	((BASH_REMATCH[1] >= 4 && BASH_REMATCH[2] >= 4)) ||
		{ _mica_say "too few frames counted" line "$line"; return 1; }
	assert_contains "$(ip -n "$ns" link show nstat0)" "nstat0" "the persistent TAP after mica"
}

# cpu_ticks PID: user plus system clock ticks PID has used.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

test_net_deleted_tap_is_dropped_not_spun_on() {
	local ns np pid before after
	np=$(image netping)
	netns_new ns
	netns_tap "$ns" ngone0 10.0.0.1/24
	ip netns exec "$ns" "$MICA" run --net tap=ngone0,ip=10.0.0.2/24 "$np" 20 >"$T/np.out" 2>"$T/np.err" &
	pid=$!
	netns_wait_for "$T/np.out" "netping: vif0 up" 10 "$pid"
	ip -n "$ns" link del ngone0
	netns_wait_for "$T/np.err" "mica: vif0: the TAP device reported an error" 10 "$pid"
	# A TAP gone stays readable-with-error: mica must stop polling it, not spin at 100% CPU.
	before=$(cpu_ticks "$pid")
	sleep 0.5
	after=$(cpu_ticks "$pid")
	((after - before < 10)) || { _mica_say "mica used $((after - before)) ticks in 0.5 s after the TAP went"; return 1; }
	netns_stop "$pid"
}
