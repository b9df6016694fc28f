# BSD sockets on lwIP inside a guest (loopback, no NIC): every check passes, and a native musl
# build of the same program, run on the host, reaches the same verdicts (the checks are Linux's).

# _sockets_verdicts FILE: the "ok - NAME" / "not ok - NAME" lines without their details.
_sockets_verdicts() { grep -E '^(not )?ok - ' "$1" | sed 's/^\(not ok - [^:]*\):.*/\1/'; }

test_sockets_checks_pass_in_the_guest() {
	assert_exit 0 "$MICA" run "$(image sockets)"
	assert_not_contains "$(cat "$T/out")" "not ok -"
	assert_file_contains "$T/out" "sockets: $(grep -c '^ok - ' "$T/out") checks, 0 failed"
	assert_file_contains "$T/out" "ok - 8 MiB through loopback TCP, checksum matches"
}

test_sockets_guest_and_linux_agree() {
	musl-gcc -static -O2 -Wall -Wextra -Werror "$SRC/tests/apps/sockets/main.c" -o "$T/native" -lpthread
	assert_exit 0 "$T/native"
	mv "$T/out" "$T/native.out"
	assert_exit 0 "$MICA" run "$(image sockets)"
	assert_eq "$(_sockets_verdicts "$T/native.out")" "$(_sockets_verdicts "$T/out")" "verdicts, Linux vs the guest"
}

test_sockets_image_has_no_network_code_without_want_net() {
	# lwIP and the socket calls come only with WANT_NET: the posix test image has neither.
	assert_exit 0 nm "$(image posix).dbg"
	assert_not_contains "$(cat "$T/out")" "tcpip_init"
	assert_not_contains "$(cat "$T/out")" "socket_sys_socket"
	assert_exit 0 nm "$(image sockets).dbg"
	assert_file_contains "$T/out" "tcpip_init"
	assert_file_contains "$T/out" "socket_sys_socket"
}
