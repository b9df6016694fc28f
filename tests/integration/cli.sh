# mica's command line: help, version, inspect.

test_help_lists_commands() {
	assert_exit 0 "$MICA" --help
	assert_file_contains "$T/out" "run [OPTIONS] IMAGE [--] [ARGS...]"
	assert_file_contains "$T/out" "inspect IMAGE"
	assert_exit 0 "$MICA" run --help
	assert_file_contains "$T/out" "--mem SIZE"
	assert_file_contains "$T/out" "124 --timeout expired"
}

test_no_arguments_prints_usage_and_fails() {
	assert_exit 125 "$MICA"
	assert_file_contains "$T/err" "Usage: mica COMMAND"
}

test_version() {
	assert_exit 0 "$MICA" version
	assert_file_contains "$T/out" "Mica ABI 1"
}

test_inspect_shows_notes_and_layout() {
	assert_exit 0 "$MICA" inspect "$(image pingpong)"
	assert_file_contains "$T/out" "app:        pingpong"
	assert_file_contains "$T/out" "platform:   proc"
	assert_file_contains "$T/out" "abi:        1"
	assert_file_contains "$T/out" "devices:    console, echo"
	assert_file_contains "$T/out" "span:       0x100000-"
}

test_inspect_rejects_non_image() {
	assert_exit 125 "$MICA" inspect /bin/true
	assert_contains "$(cat "$T/err")" "/bin/true: not an executable"
}
