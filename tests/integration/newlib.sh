# newlib as the C library: tests/apps/posix's checks, built against newlib (tests/apps/posix-newlib).

test_newlib_posix_checks_pass() {
	assert_exit 0 "$MICA" run "$(image posix-newlib)"
	assert_file_contains "$T/out" "posix: 24 checks, 0 failed"
	assert_not_contains "$(cat "$T/out")" "not ok -"
}

test_newlib_errno_reaches_the_program() {
	assert_exit 0 "$MICA" run "$(image posix-newlib)"
	assert_file_contains "$T/out" "ok - rmdir of a non-empty directory: ENOTEMPTY"
	assert_file_contains "$T/out" "ok - O_EXCL on existing file: EEXIST"
}
