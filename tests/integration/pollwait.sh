# poll, select and epoll_wait inside a guest: a waiting thread lets the others run and wakes on their write.

test_pollwait_waiting_for_readiness_lets_other_threads_run() {
	assert_exit 0 "$MICA" run "$(image pollwait)"
	assert_file_contains "$T/out" "pollwait: 7 checks, 0 failed"
	assert_not_contains "$(cat "$T/out")" "not ok -"
}

test_pollwait_on_a_silent_console_lets_other_threads_run() {
	# A FIFO held open read-write: the guest's stdin stays open and never has input.
	mkfifo "$T/in"
	exec {silent}<>"$T/in"
	assert_exit 0 "$MICA" run "$(image pollwait)" -- console <&"$silent"
	exec {silent}<&-
	assert_file_contains "$T/out" "pollwait: 2 checks, 0 failed"
}

# Where the console has its event, a 300 ms poll of it sleeps to its deadline: a handful of
# hypercalls in all. The 20 ms re-arm plain QEMU's polled console needs would add 30 (40 in all).
test_pollwait_on_an_evented_console_sleeps_without_rearming_the_timer() {
	mkfifo "$T/in"
	exec {silent}<>"$T/in"
	assert_exit 0 "$MICA" run --stats "$(image pollwait)" -- console <&"$silent"
	exec {silent}<&-
	assert_file_contains "$T/out" "pollwait: 2 checks, 0 failed"
	local n
	n=$(sed -n 's/^stats: hypercalls: \([0-9]*\)$/\1/p' "$T/err")
	[[ -n $n ]] || { echo "error: no hypercall count in --stats" >&2; return 1; }
	((n < 25)) || { echo "error: $n hypercalls for a 300 ms console poll: the wait was re-armed" >&2; return 1; }
}

test_pollwait_console_read_with_threads_gets_its_input() {
	assert_exit 0 "$MICA" run "$(image pollwait)" -- read <<<"hello"
	assert_file_contains "$T/out" "pollwait: read 'hello'; the other thread counted 1000"
}

# kvm without Xen has no console event: input that comes while the guest waits in read must still
# end the wait (it hung until the timeout when the vfs relied on the event alone).
test_pollwait_console_read_under_plain_qemu_gets_late_input() {
	assert_exit 0 qemu_plain "$(kvm_image pollwait)" "read" < <(sleep 1; echo hello)
	# A serial port hands over bytes as they come: the read may end after the first of them.
	assert_file_contains "$T/out" "pollwait: read 'h"
	assert_file_contains "$T/out" "; the other thread counted 1000"
}
