# The syscall layer under musl, from inside a guest: files, memory, time, threads, process odds.

test_posix_syscall_layer_checks_pass() {
	assert_exit 0 "$MICA" run "$(image posix)"
	assert_file_contains "$T/out" "posix: 38 checks, 0 failed"
	assert_not_contains "$(cat "$T/out")" "not ok -"
}

test_unimplemented_syscall_is_named_once_and_fails_with_enosys() {
	assert_exit 0 "$MICA" run "$(image posix)"
	assert_eq 1 "$(grep -c '^mica: unimplemented syscall io_setup$' "$T/out")" "console lines naming io_setup"
	assert_file_contains "$T/out" "ok - an unimplemented call fails with ENOSYS"
}

test_initrd_files_are_visible_to_the_guest() {
	printf 'print(io.open("/etc/motd"):read("a"))\n' >"$T/motd.lua"
	mkdir -p "$T/root/etc" && printf 'from the initrd' >"$T/root/etc/motd" && cp "$T/motd.lua" "$T/root/"
	(cd "$T/root" && find . | cpio -o -H newc --quiet) >"$T/root.cpio"
	assert_exit 0 "$MICA" run --initrd "$T/root.cpio" "$(image lua)" -- /motd.lua
	assert_eq "from the initrd" "$(cat "$T/out")"
}

test_malformed_initrd_is_reported_and_boot_continues() {
	printf '070701garbage' >"$T/bad.cpio"
	assert_exit 0 "$MICA" run --initrd "$T/bad.cpio" "$(image posix)"
	assert_file_contains "$T/out" "mica: initrd:"
	assert_file_contains "$T/out" "posix: 38 checks, 0 failed"
}

test_stdin_end_is_end_of_file_in_the_guest() {
	printf 'io.write(io.read("a"))\n' >"$T/cat.lua"
	(cd "$T" && printf 'cat.lua\n' | cpio -o -H newc --quiet) >"$T/cat.cpio"
	head -c 3000 /dev/zero | tr '\0' q >"$T/in"
	assert_exit 0 "$MICA" run --initrd "$T/cat.cpio" "$(image lua)" -- /cat.lua <"$T/in"
	assert_eq "$(cat "$T/in")" "$(cat "$T/out")" "what came back through stdin"
	assert_exit 0 "$MICA" run --initrd "$T/cat.cpio" "$(image lua)" -- /cat.lua </dev/null
	assert_eq "" "$(cat "$T/out")" "output for an empty stdin"
}

test_sqlite_reads_its_script_from_stdin() {
	printf 'create table t(x); insert into t values (20), (22); select sum(x) from t;\n' >"$T/in.sql"
	assert_exit 0 "$MICA" run "$(image sqlite)" -- -batch :memory: <"$T/in.sql"
	assert_file_contains "$T/out" "42"
}

test_env_reaches_the_guest() {
	printf 'print(os.getenv("GREETING"), os.getenv("EMPTY"), os.getenv("UNSET"))\n' >"$T/env.lua"
	(cd "$T" && printf 'env.lua\n' | cpio -o -H newc --quiet) >"$T/env.cpio"
	assert_exit 0 "$MICA" run --env "GREETING=hello there" --env EMPTY= --initrd "$T/env.cpio" "$(image lua)" -- /env.lua
	assert_eq "hello there		nil" "$(cat "$T/out")"
}

test_env_must_be_name_value_and_fit() {
	assert_exit 125 "$MICA" run --env =x "$(image lua)"
	assert_file_contains "$T/err" "--env '=x' is not NAME=VALUE"
	assert_exit 125 "$MICA" run --env "BIG=$(head -c 2000 /dev/zero | tr '\0' v)" "$(image lua)"
	assert_file_contains "$T/err" "longer than the 1976 bytes"
}
