# The sqlite3 shell inside Mica against the host's sqlite3 (the same Debian source): the same command
# line on a fresh database file, and byte-identical output and exit status. Also speedtest1.

# The guest's root: the scripts, and an /etc/passwd, since the guest has no environment and the
# shell looks for ~/.sqliterc in the passwd entry's home then (none there: no warning either).
sqlite_initrd() {
	mkdir -p "$T/root/etc" "$T/host"
	cp "$SRC"/tests/sql/*.sql "$T/root/"
	cp "$SRC"/tests/sql/*.sql "$T/host/"
	printf 'root:x:0:0:root:/:/bin/sh\n' >"$T/root/etc/passwd"
	(cd "$T/root" && find . -mindepth 1 | sed 's|^\./||' | cpio -o -H newc --quiet) >"$T/scripts.cpio"
}

# sqlite_compare NAME: `sqlite3 -batch t.db ".read NAME"` in the guest's / and in a host directory
# holding the same scripts. The guest's one console carries stdout and stderr; the shell flushes
# stdout before each statement, so the host's 2>&1 interleaves its error messages the same way.
sqlite_compare() {
	local name=$1 host_rc=0 rc=0
	sqlite_initrd
	(cd "$T/host" && HOME=$T/host sqlite3 -batch t.db ".read $name") >"$T/host.out" 2>&1 || host_rc=$?
	"$MICA" run --initrd "$T/scripts.cpio" "$(image sqlite)" -- -batch t.db ".read $name" \
		>"$T/mica.out" 2>"$T/mica.err" </dev/null || rc=$?
	if ! diff -u "$T/host.out" "$T/mica.out" >"$T/diff"; then
		echo "error: tests/sql/$name prints differently inside Mica (status $rc)" >&2
		head -n 40 "$T/diff" >&2
		cat "$T/mica.err" >&2
		return 1
	fi
	assert_eq "$host_rc" "$rc" "exit status of sqlite3 $name"
}

test_sqlite_schema_matches_host() { sqlite_compare schema.sql; }
test_sqlite_window_matches_host() { sqlite_compare window.sql; }
test_sqlite_strings_match_host() { sqlite_compare strings.sql; }
test_sqlite_transactions_match_host() { sqlite_compare transactions.sql; }
test_sqlite_numbers_match_host() { sqlite_compare numbers.sql; }
test_sqlite_persist_matches_host() { sqlite_compare persist.sql; }

# speedtest1 at a small size on a ramfs file: every phase runs, through integrity_check, to the total.
test_sqlite_speedtest1_completes() {
	assert_exit 0 "$MICA" run "$(image speedtest1)" -- --size 5 /t.db
	assert_file_contains "$T/out" "TOTAL"
	assert_file_contains "$T/out" "PRAGMA integrity_check"
}
