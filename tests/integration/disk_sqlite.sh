# SQLite with its database on an ext4 disk (apps/sqlite with lib/ext2fs): the guest's shell fills
# /data/test.db, then the host's sqlite3 opens the database taken out of the image and sees the rows.
# shellcheck shell=bash

sqlite_disk_script() {
	mkdir -p "$T/root/etc"
	printf 'root:x:0:0:root:/:/bin/sh\n' >"$T/root/etc/passwd"
	cat >"$T/root/fill.sql" <<'SQL'
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, n INTEGER);
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000)
INSERT INTO t(name, n) SELECT 'row ' || i, i * i FROM c;
COMMIT;
INSERT INTO t(name, n) VALUES ('last', -1);
UPDATE t SET n = n + 1 WHERE id % 100 = 0;
DELETE FROM t WHERE id BETWEEN 500 AND 509;
CREATE INDEX t_n ON t(n);
SELECT count(*), sum(n) FROM t;
PRAGMA integrity_check;
SQL
	(cd "$T/root" && find . -mindepth 1 | sed 's|^\./||' | cpio -o -H newc --quiet) >"$T/s.cpio"
}

test_disk_sqlite_host_reads_guest_database() {
	sqlite_disk_script
	mke2fs -q -t ext4 "$T/d.img" 8M >"$T/mke2fs.log" 2>&1 || { cat "$T/mke2fs.log" >&2; return 1; }
	assert_exit 0 "$MICA" run --initrd "$T/s.cpio" --disk "$T/d.img" --mount /data=disk0 "$(image sqlite)" \
		-- -batch /data/test.db ".read /fill.sql"
	assert_eq $'991|331288223\nok' "$(cat "$T/out")" "the guest's queries"
	assert_exit 0 e2fsck -fn "$T/d.img"
	# No journal left behind: the last transaction committed and its journal was deleted.
	assert_not_contains "$(debugfs -R 'ls -p /' "$T/d.img" 2>/dev/null)" "test.db-journal"
	debugfs -R "dump /test.db $T/test.db" "$T/d.img" 2>/dev/null
	assert_eq $'991|331288223\nok\nlast|-1' \
		"$(sqlite3 "$T/test.db" 'SELECT count(*), sum(n) FROM t; PRAGMA integrity_check; SELECT name, n FROM t WHERE id = 1001;')" \
		"the host's sqlite3 on the guest's database"
	# And back: the guest opens the database the host changed.
	sqlite3 "$T/test.db" "INSERT INTO t(name, n) VALUES ('from the host', 7);"
	assert_exit 0 debugfs -w -R "rm /test.db" "$T/d.img"
	assert_exit 0 debugfs -w -R "write $T/test.db test.db" "$T/d.img"
	assert_exit 0 "$MICA" run --initrd "$T/s.cpio" --disk "$T/d.img" --mount /data=disk0 "$(image sqlite)" \
		-- -batch /data/test.db "SELECT n FROM t WHERE name = 'from the host';"
	assert_eq 7 "$(cat "$T/out")" "the guest reads the host's row"
}
