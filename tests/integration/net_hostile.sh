# Malformed netif rings (tests/apps/netevil) on one TAP while a healthy guest (netping) answers pings on another (root).
# shellcheck shell=bash
source "$SRC/tests/netns.sh"

# One line each in mica's stderr: what netback logs the first time it refuses a class.
hostile_classes=(
	"grant:grant reference"
	"offset:crosses its page"
	"size:shorter than an Ethernet header"
	"slots:tx frame of more than 18 slots"
	"id:tx request id"
	"extra:extra-info slot of unknown type"
	"storm:an event storm"
	"ring:ring indices are corrupt"
)

test_net_hostile_frontend_is_refused_while_a_healthy_guest_answers() {
	local ns healthy evil ok=0 lost=0 class name text
	netns_new ns
	netns_tap "$ns" h1evil 10.0.1.1/24
	netns_tap "$ns" h1ok 10.0.2.1/24

	netns_exec "$ns" "$MICA" run --net tap=h1ok,ip=10.0.2.2/24,gw=10.0.2.1 "$(image netping)" \
		>"$T/ok.out" 2>"$T/ok.err" </dev/null &
	healthy=$!
	netns_wait_for "$T/ok.out" "netping: vif0 up" 10 "$healthy"
	netns_exec "$ns" ping -c 1 -W 2 10.0.2.2 >/dev/null

	netns_exec "$ns" "$MICA" run --stats --net tap=h1evil,ip=10.0.1.2/24,gw=10.0.1.1 "$(image netevil)" \
		>"$T/out" 2>"$T/err" </dev/null &
	evil=$!
	# The healthy guest must answer all the while the hostile one runs, and after it.
	while kill -0 "$evil" 2>/dev/null; do
		if netns_exec "$ns" ping -c 1 -W 1 10.0.2.2 >/dev/null; then ok=$((ok + 1)); else lost=$((lost + 1)); fi
		sleep 0.05 # pacing only: each ping waits for its own answer
	done
	local rc=0
	wait "$evil" || rc=$?
	netns_exec "$ns" ping -c 3 -i 0.2 -W 1 10.0.2.2 >/dev/null || lost=$((lost + 1))
	netns_stop "$healthy"

	assert_eq 0 "$rc" "netevil's status (its output: $(tr '\n' '|' <"$T/out"))"
	assert_not_contains "$(cat "$T/out")" "not ok - "
	assert_eq 18 "$(grep -c '^ok - ' "$T/out")" "netevil checks passed"
	assert_eq 0 "$lost" "pings the healthy guest missed ($ok answered during the attack)"
	((ok >= 1)) || { echo "error: no ping reached the healthy guest while netevil ran" >&2; return 1; }

	# Each class refused, logged once however often it was sent.
	for class in "${hostile_classes[@]}"; do
		name=${class%%:*}
		text=${class#*:}
		assert_eq 1 "$(grep -c -- "$text" "$T/err")" "log lines for refusal class $name"
	done
	assert_eq ${#hostile_classes[@]} "$(grep -c '^mica: vif0: ' "$T/err")" "mica's vif0 log lines"
	local stats
	stats=$(grep '^stats: vif0: ' "$T/err")
	# The counters saw every repeat: 40 bad grants (20 never granted, 20 after end) and more.
	[[ $stats =~ grant\ ([0-9]+) ]] && ((BASH_REMATCH[1] >= 42)) ||
		{ echo "error: grant refusals not all counted: $stats" >&2; return 1; }
	[[ $stats =~ storm\ ([0-9]+) ]] && ((BASH_REMATCH[1] >= 1)) ||
		{ echo "error: the event storm was not counted: $stats" >&2; return 1; }
	assert_contains "$stats" "offset 20" "offset refusals"
	assert_contains "$stats" "slots 5" "slot-overflow refusals"
}
