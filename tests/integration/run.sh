# mica run: output, arguments, exit statuses, and how each way of ending a guest is reported.

test_hello_prints_greeting_and_args() {
	assert_exit 0 "$MICA" run "$(image helloworld)" -- a "b c" 'd\e' ''
	assert_eq "Hello from Mica
arg 1: a
arg 2: b c
arg 3: d\\e" "$(cat "$T/out")" "guest output"
	assert_eq "" "$(cat "$T/err")" "stderr"
}

test_args_without_separator() {
	assert_exit 0 "$MICA" run "$(image helloworld)" x --y
	assert_file_contains "$T/out" "arg 2: --y"
}

test_exit_status_0_3_255() {
	local s
	for s in 0 3 255; do
		assert_exit "$s" "$MICA" run "$(image guestctl)" status "$s"
	done
}

test_guest_crash_hypercall() {
	assert_exit 123 "$MICA" run "$(image guestctl)" crash
	assert_file_contains "$T/out" "crashing on purpose"
	assert_eq "mica: guest crashed: it reported a crash (SHUTDOWN_crash)" "$(cat "$T/err")"
}

test_guest_cpu_faults() {
	assert_exit 123 "$MICA" run "$(image guestctl)" segv
	assert_eq "mica: guest crashed: invalid memory access (SIGSEGV)" "$(cat "$T/err")"
	assert_exit 123 "$MICA" run "$(image guestctl)" ud2
	assert_eq "mica: guest crashed: invalid instruction (SIGILL)" "$(cat "$T/err")"
	assert_exit 123 "$MICA" run "$(image guestctl)" divide
	assert_eq "mica: guest crashed: arithmetic fault (SIGFPE)" "$(cat "$T/err")"
}

test_guest_reboot_is_reported() {
	assert_exit 121 "$MICA" run "$(image guestctl)" reboot
	assert_file_contains "$T/err" "guest asked to reboot"
}

test_timeout_stops_spinning_guest() {
	assert_exit 124 "$MICA" run --timeout 0.2 "$(image guestctl)" spin
	assert_file_contains "$T/out" "guestctl: spinning"
	assert_eq "mica: guest still running after 0.2 s (--timeout): stopped" "$(cat "$T/err")"
}

test_timer_never_wakes_early() {
	assert_exit 0 "$MICA" run "$(image guestctl)" sleep 30
	local us
	us=$(sed -n 's/^guestctl: slept \([0-9]*\) us.*/\1/p' "$T/out")
	[[ -n $us && $us -ge 30000 ]] || { echo "error: slept ${us:-?} us for 30 ms" >&2; return 1; }
}

test_console_carries_large_output() {
	assert_exit 0 "$MICA" run "$(image guestctl)" print 3000
	assert_eq 3000 "$(grep -c '^line [0-9]* of 3000: the console ring must carry every byte of this$' "$T/out")" "lines"
	assert_eq "line 3000 of 3000: the console ring must carry every byte of this" "$(tail -n 1 "$T/out")"
}

test_stats_report_boot_and_hypercalls() {
	assert_exit 0 "$MICA" run --stats "$(image helloworld)"
	assert_file_contains "$T/err" "stats: runtime start to guest main:"
	assert_file_contains "$T/err" "stats: hypercalls: 2"
}

test_smallest_memory_boots() {
	assert_exit 0 "$MICA" run --mem 1M "$(image helloworld)"
	assert_file_contains "$T/out" "Hello from Mica"
}

test_evtchn_pingpong_with_echo_service() {
	assert_exit 0 "$MICA" run "$(image pingpong)" 500
	assert_file_contains "$T/out" "pingpong: 500 round trips, 500 echoes"
}

test_echo_service_refused_when_not_declared() {
	# guestctl's note declares no echo device: dom0 port 1 must not be bindable (-XEN_EINVAL).
	assert_exit 0 "$MICA" run "$(image guestctl)" bindecho
	assert_file_contains "$T/out" "guestctl: bind echo: -22"
}

test_libtest_core_alloc_sched_in_guest() {
	assert_exit 0 "$MICA" run "$(image libtest)"
	assert_file_contains "$T/out" "libtest: all"
}

signal_stops_guest() {
	local sig=$1 want=$2 pid rc=0
	"$MICA" run "$(image guestctl)" spin >"$T/out" 2>"$T/err" &
	pid=$!
	for _ in $(seq 500); do grep -q spinning "$T/out" && break; sleep 0.01; done
	assert_file_contains "$T/out" "guestctl: spinning"
	kill -"$sig" "$pid"
	wait "$pid" || rc=$?
	assert_eq "$want" "$rc" "exit status after SIG$sig"
	assert_file_contains "$T/err" "interrupted by"
	assert_eq "" "$(pgrep -x mica-guest -P "$pid" || true)" "guest left behind"
}

test_sigterm_stops_guest() { signal_stops_guest TERM 143; }
test_sigint_stops_guest() { signal_stops_guest INT 130; }

test_stdin_reaches_guest_console() {
	local big
	printf 'hello' >"$T/in"
	assert_exit 0 "$MICA" run "$(image guestctl)" read 5 <"$T/in"
	assert_file_contains "$T/out" "guestctl: read 5 bytes: 'hello'"
	# More than the 1 KiB input ring: mica must wait for the guest to make room.
	big=$(head -c 3000 /dev/zero | tr '\0' z)
	printf '%s' "$big" >"$T/in"
	assert_exit 0 "$MICA" run "$(image guestctl)" read 3000 <"$T/in"
	assert_file_contains "$T/out" "guestctl: read 3000 bytes: '$big'"
}

test_boot_stack_overflow_faults_instead_of_corrupting() {
	# A page with no permissions lies under the boot stack: running into it is a crash, at once.
	assert_exit 123 "$MICA" run "$(image guestctl)" overflow
	assert_eq "mica: guest crashed: invalid memory access (SIGSEGV)" "$(cat "$T/err")"
}
