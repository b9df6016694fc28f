# The guest's xenstore, xenbus and grant-table clients (tests/apps/xenbus) against mica's daemon.

test_xenbus_client_against_daemon() {
	assert_exit 0 "$MICA" run "$(image xenbus)"
	assert_not_contains "$(cat "$T/out")" "not ok - "
	# Every check the guest makes, so one that silently stops running fails here too.
	local want
	for want in "read it back absolute" "directory lists a and b" "read after rm is ENOENT" \
		"write outside the home is EACCES" "read back all 4094 bytes of it through the 1024-byte ring" \
		"a 4096-byte value is EINVAL" "the write fires it with the changed path" \
		"wait_watch times out, not before 20 ms" "no event after unwatch" \
		"wait_state gives up at the deadline with the last state" \
		"grant 600 refs (over two table frames)" "end them all: no ref in use" \
		"end of a ref not in use is EINVAL"; do
		assert_file_contains "$T/out" "ok - $want"
	done
	assert_eq 45 "$(grep -c '^ok - ' "$T/out")" "checks passed"
	assert_eq "" "$(cat "$T/err")" "stderr"
}

# mica's daemon answers inside the notify: a request must cost the guest exactly one hypercall.
test_xenbus_one_hypercall_per_request() {
	local base per
	assert_exit 0 "$MICA" run --stats "$(image xenbus)" reads 0
	base=$(sed -n 's/^stats: hypercalls: //p' "$T/err")
	assert_exit 0 "$MICA" run --stats "$(image xenbus)" reads 200
	assert_file_contains "$T/out" "xenbus: 200 reads"
	per=$(sed -n 's/^stats: hypercalls: //p' "$T/err")
	assert_eq 200 "$((per - base))" "hypercalls for 200 reads"
}
