# Files on an ext4 disk (lib/ext2fs): the host makes the image, the guest (tests/apps/fstest) works on
# it at /data, and the host's e2fsck and debugfs check what it left.
# shellcheck shell=bash

# fs_image FILE: an 8 MiB ext4 image holding hello.txt and dir/sub/nested.txt, made without root.
fs_image() {
	mkdir -p "$T/src/dir/sub"
	printf 'hello from the host\n' >"$T/src/hello.txt"
	printf 'nested\n' >"$T/src/dir/sub/nested.txt"
	rm -f "$1"
	mke2fs -q -t ext4 -d "$T/src" "$1" 8M >"$T/mke2fs.log" 2>&1 || { cat "$T/mke2fs.log" >&2; return 1; }
}

# fs_cat IMAGE PATH: the file's contents as debugfs reads them on the host.
fs_cat() { debugfs -R "cat $2" "$1" 2>/dev/null; }

test_disk_fs_guest_works_on_host_files() {
	fs_image "$T/d.img"
	assert_exit 0 "$MICA" run --disk "$T/d.img" --mount /data=disk0 "$(image fstest)"
	assert_not_contains "$(cat "$T/out")" "not ok"
	assert_eq 36 "$(grep -c '^ok ' "$T/out")" "checks passed"
	assert_file_contains "$T/out" "fstest: passed"
	assert_eq "" "$(cat "$T/err")" "stderr"
	# Clean after the guest's exit wrote everything back, and the guest's files are there.
	assert_exit 0 e2fsck -fn "$T/d.img"
	assert_eq "written by the guest" "$(fs_cat "$T/d.img" /result.txt)" "result.txt"
	assert_eq "in d2" "$(fs_cat "$T/d.img" /d1/other)" "the file renamed over another"
	assert_eq "hello from the host" "$(fs_cat "$T/d.img" /hello.txt)" "the host's file"
	assert_eq 1048576 "$(fs_cat "$T/d.img" /big.bin | wc -c)" "the 1 MiB file"
	assert_eq 150 "$(debugfs -R 'ls -p /many' "$T/d.img" 2>/dev/null | grep -c 'file-with-a-longish-name')" \
		"files left in /many"
	assert_not_contains "$(debugfs -R 'ls -p /' "$T/d.img" 2>/dev/null)" "/new.txt/"
	# The same disk again: what the first run made is read back, and the first checks pass again.
	assert_exit 1 "$MICA" run --disk "$T/d.img" --mount /data=disk0 "$(image fstest)"
	assert_file_contains "$T/out" "ok 1 - reads a file the host put on the disk"
	assert_file_contains "$T/out" "not ok 23 - mkdir, nested"
	assert_exit 0 e2fsck -fn "$T/d.img"
}

test_disk_fs_readonly_disk_refuses_writes() {
	local before
	fs_image "$T/r.img"
	before=$(md5sum <"$T/r.img")
	assert_exit 0 "$MICA" run --disk "$T/r.img,ro" --mount /data=disk0 "$(image fstest)" ro
	assert_eq 10 "$(grep -c '^ok ' "$T/out")" "checks passed"
	assert_file_contains "$T/out" "ok 5 - opening to write on a read-only disk: EROFS"
	assert_file_contains "$T/out" "fstest: passed"
	assert_eq "$before" "$(md5sum <"$T/r.img")" "the read-only image is unchanged"
}

test_disk_fs_not_ext_is_skipped_with_one_line() {
	truncate -s 4M "$T/z.img"
	assert_exit 0 "$MICA" run --disk "$T/z.img" --mount /data=disk0 "$(image fstest)" none
	assert_eq 1 "$(grep -c '^mica: ext2fs:' "$T/out")" "one console line"
	assert_file_contains "$T/out" \
		"mica: ext2fs: disk0: not an ext2/3/4 filesystem libext2fs can open (Bad magic number in super-block); not mounted at /data"
	assert_file_contains "$T/out" "ok 1 - no /data: the disk was not mounted"
	assert_eq 0 "$(tr -d '\0' <"$T/z.img" | wc -c)" "the disk is untouched"
}

test_disk_fs_journal_needing_recovery_is_refused() {
	fs_image "$T/j.img"
	debugfs -w -R 'feature needs_recovery' "$T/j.img" >/dev/null 2>&1
	assert_contains "$(dumpe2fs -h "$T/j.img" 2>/dev/null)" "needs_recovery"
	assert_exit 0 "$MICA" run --disk "$T/j.img" --mount /data=disk0 "$(image fstest)" none
	assert_file_contains "$T/out" \
		"mica: ext2fs: disk0: its journal needs recovery (run e2fsck on it first); not mounted at /data"
	assert_file_contains "$T/out" "fstest: passed"
}

test_disk_fs_unmounted_disk_stays_raw() {
	fs_image "$T/d.img"
	assert_exit 0 "$MICA" run --disk "$T/d.img" "$(image fstest)" none
	assert_not_contains "$(cat "$T/out")" "mica: ext2fs"
	assert_file_contains "$T/out" "fstest: passed"
}
