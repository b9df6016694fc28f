# mica run --backend kvm inside the test VM: output, exit statuses, faults, events, timers, and parity with proc.

test_kvm_hello_prints_greeting_and_args() {
	assert_exit 0 "$MICA" run --backend kvm "$(kvm_image helloworld)" -- a "b c" 'd\e' ''
	assert_eq "Hello from Mica
arg 1: a
arg 2: b c
arg 3: d\\e" "$(cat "$T/out")" "guest output"
	assert_eq "" "$(cat "$T/err")" "stderr"
}

test_kvm_backend_is_chosen_from_the_image() {
	assert_exit 0 "$MICA" run "$(kvm_image helloworld)"
	assert_file_contains "$T/out" "Hello from Mica"
}

test_kvm_exit_statuses_0_3_255() {
	local s
	for s in 0 3 255; do
		assert_exit "$s" "$MICA" run "$(kvm_image guestctl)" status "$s"
	done
}

test_kvm_guest_crash_hypercall() {
	assert_exit 123 "$MICA" run "$(kvm_image guestctl)" crash
	assert_file_contains "$T/out" "crashing on purpose"
	assert_eq "mica: guest crashed: it reported a crash (SHUTDOWN_crash)" "$(cat "$T/err")"
}

# fault_dump CMD WHAT VECTOR: the guest's own exception handler names the fault and dumps registers.
fault_dump() {
	assert_exit 123 "$MICA" run "$(kvm_image guestctl)" "$1"
	assert_file_contains "$T/out" "crash: $2 (vector $3)"
	assert_file_contains "$T/out" "rip"
	assert_file_contains "$T/out" "rsp"
	assert_eq "mica: guest crashed: it reported a crash (SHUTDOWN_crash)" "$(cat "$T/err")"
}

test_kvm_page_fault_dumps_registers() {
	fault_dump segv "#PF" 14
	assert_file_contains "$T/out" "cr2 0x"
}
test_kvm_general_protection_dumps_registers() { fault_dump gp "#GP" 13; }
test_kvm_invalid_opcode_dumps_registers() { fault_dump ud2 "#UD" 6; }
test_kvm_divide_error_dumps_registers() { fault_dump divide "#DE" 0; }

test_kvm_triple_fault_is_a_crash() {
	assert_exit 123 "$MICA" run "$(kvm_image guestctl)" triple
	assert_eq "mica: guest crashed: triple fault (the CPU could not deliver an exception)" "$(cat "$T/err")"
}

test_kvm_reboot_is_reported() {
	assert_exit 121 "$MICA" run "$(kvm_image guestctl)" reboot
	assert_file_contains "$T/err" "guest asked to reboot"
}

test_kvm_timeout_stops_spinning_guest() {
	assert_exit 124 "$MICA" run --timeout 0.5 "$(kvm_image guestctl)" spin
	assert_file_contains "$T/out" "guestctl: spinning"
	assert_eq "mica: guest still running after 0.5 s (--timeout): stopped" "$(cat "$T/err")"
}

test_kvm_sigterm_stops_spinning_guest() {
	local pid rc=0
	"$MICA" run "$(kvm_image guestctl)" spin >"$T/out" 2>"$T/err" &
	pid=$!
	for _ in $(seq 1000); do grep -q spinning "$T/out" && break; sleep 0.01; done
	assert_file_contains "$T/out" "guestctl: spinning"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	assert_eq 143 "$rc" "exit status after SIGTERM"
	assert_file_contains "$T/err" "interrupted by"
}

# The singleshot timer never fires early, and under nested shadow paging still within 100 ms.
test_kvm_timer_sleep_is_accurate() {
	assert_exit 0 "$MICA" run "$(kvm_image guestctl)" sleep 50
	local us
	us=$(sed -n 's/^guestctl: slept \([0-9]*\) us.*/\1/p' "$T/out")
	[[ -n $us && $us -ge 50000 && $us -lt 150000 ]] || { echo "error: slept ${us:-?} us for 50 ms" >&2; return 1; }
}

test_kvm_evtchn_pingpong_with_echo_service() {
	assert_exit 0 "$MICA" run --stats "$(kvm_image pingpong)" 200
	assert_file_contains "$T/out" "pingpong: 200 round trips, 200 echoes"
}

# Events wake a blocked vCPU through the callback vector the guest registered.
test_kvm_events_arrive_as_upcalls() {
	assert_exit 0 "$MICA" run --stats "$(kvm_image guestctl)" upcalls 20
	local n
	n=$(sed -n 's/^guestctl: upcalls \([0-9]*\)$/\1/p' "$T/out")
	[[ -n $n && $n -ge 1 ]] || { echo "error: guest counted ${n:-no} upcalls" >&2; cat "$T/out" "$T/err" >&2; return 1; }
	# Printing the count notifies the console, whose answer is one upcall more than the guest saw.
	local injected
	injected=$(sed -n 's/^stats: upcalls: \([0-9]*\)$/\1/p' "$T/err")
	[[ $injected -ge $n ]] || { echo "error: mica injected $injected upcalls, the guest counted $n" >&2; return 1; }
}

test_kvm_stats_report_boot_and_exits() {
	assert_exit 0 "$MICA" run --stats "$(kvm_image helloworld)"
	assert_file_contains "$T/err" "stats: runtime start to guest main:"
	assert_file_contains "$T/err" "stats: vm exits: "
}

test_kvm_stdin_reaches_guest_console() {
	local big
	big=$(head -c 3000 /dev/zero | tr '\0' z)
	printf '%s' "$big" >"$T/in"
	assert_exit 0 "$MICA" run "$(kvm_image guestctl)" read 3000 <"$T/in"
	assert_file_contains "$T/out" "guestctl: read 3000 bytes: '$big'"
}

test_kvm_console_carries_large_output() {
	assert_exit 0 "$MICA" run "$(kvm_image guestctl)" print 2000
	assert_eq 2000 "$(grep -c '^line [0-9]* of 2000: ' "$T/out")" "lines"
}

test_kvm_initrd_and_env_reach_the_guest() {
	printf 'print(io.open("/etc/motd"):read("a"), os.getenv("GREETING"))\n' >"$T/root.lua"
	mkdir -p "$T/root/etc" && printf 'from the initrd' >"$T/root/etc/motd" && cp "$T/root.lua" "$T/root/"
	(cd "$T/root" && find . | cpio -o -H newc 2>/dev/null) >"$T/root.cpio"
	assert_exit 0 "$MICA" run --env "GREETING=hello there" --initrd "$T/root.cpio" "$(kvm_image lua)" -- /root.lua
	assert_eq "from the initrd	hello there" "$(cat "$T/out")"
}

# same_as_proc APP ARGS...: both backends print the same and end the same.
same_as_proc() {
	local app=$1 rc_proc=0 rc_kvm=0
	shift
	"$MICA" run "$(image "$app")" "$@" >"$T/proc.out" 2>&1 </dev/null || rc_proc=$?
	"$MICA" run "$(kvm_image "$app")" "$@" >"$T/kvm.out" 2>&1 </dev/null || rc_kvm=$?
	assert_eq "$rc_proc" "$rc_kvm" "$app exit status, proc vs kvm"
	assert_eq "$(cat "$T/proc.out")" "$(cat "$T/kvm.out")" "$app output, proc vs kvm"
}

test_kvm_libtest_core_alloc_sched_in_guest() {
	assert_exit 0 "$MICA" run "$(kvm_image libtest)"
	assert_file_contains "$T/out" "libtest: all"
}

test_kvm_helloworld_same_as_proc() { same_as_proc helloworld -- x "y z"; }
test_kvm_posix_same_as_proc() { same_as_proc posix; }
test_kvm_newlib_posix_same_as_proc() { same_as_proc posix-newlib; }

test_kvm_sqlite_same_as_proc() {
	printf 'create table t(x); insert into t values (20), (22); select sum(x), count(*) from t;\n' >"$T/in.sql"
	same_as_proc sqlite -- -batch :memory: "$(cat "$T/in.sql")"
	assert_file_contains "$T/kvm.out" "42|2"
}

test_kvm_proc_image_is_refused() {
	assert_exit 125 "$MICA" run --backend kvm "$IMAGES/helloworld/helloworld_proc-x86_64"
	assert_file_contains "$T/err" "built for the proc platform, not for --backend kvm"
}

test_kvm_xenbus_client_against_daemon() {
	assert_exit 0 "$MICA" run "$(kvm_image xenbus)"
	assert_not_contains "$(cat "$T/out")" "not ok - "
	assert_eq 45 "$(grep -c '^ok - ' "$T/out")" "checks passed"
}
