# Lua inside Mica against the host's lua5.4 (the same Debian source): outputs must be byte-identical.

lua_initrd() {
	(cd "$SRC/tests/lua" && printf '%s\n' *.lua | cpio -o -H newc --quiet) >"$T/scripts.cpio"
}

# lua_compare NAME: runs tests/lua/NAME on both sides (the host in $T, where files.lua writes).
lua_compare() {
	local name=$1 rc=0
	(cd "$T" && lua5.4 "$SRC/tests/lua/$name") >"$T/host.out" 2>&1 || true
	"$MICA" run --initrd "$T/scripts.cpio" "$(image lua)" -- "/$name" >"$T/mica.out" 2>"$T/mica.err" </dev/null || rc=$?
	if ! diff -u "$T/host.out" "$T/mica.out" >"$T/diff"; then
		echo "error: tests/lua/$name prints differently inside Mica (status $rc)" >&2
		head -n 40 "$T/diff" >&2
		cat "$T/mica.err" >&2
		return 1
	fi
	assert_eq 0 "$rc" "exit status of lua $name"
}

test_lua_arith_matches_host() { lua_initrd; lua_compare arith.lua; }
test_lua_strings_match_host() { lua_initrd; lua_compare strings.lua; }
test_lua_tables_match_host() { lua_initrd; lua_compare tables.lua; }
test_lua_files_match_host() { lua_initrd; lua_compare files.lua; }
test_lua_scripting_matches_host() { lua_initrd; lua_compare scripting.lua; }

test_lua_error_exit_status() {
	printf 'error("deliberate")\n' >"$T/fail.lua"
	(cd "$T" && printf 'fail.lua\n' | cpio -o -H newc --quiet) >"$T/fail.cpio"
	assert_exit 1 "$MICA" run --initrd "$T/fail.cpio" "$(image lua)" -- /fail.lua
	assert_file_contains "$T/out" "deliberate"
}
