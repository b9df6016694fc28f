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

# fs_assert_links IMAGE: the symlinks and hard links fstest made, as the host's debugfs sees them.
fs_assert_links() {
	assert_contains "$(debugfs -R 'stat /lnk' "$1" 2>/dev/null)" 'Fast link dest: "hello.txt"'
	assert_contains "$(debugfs -R 'stat /longlnk' "$1" 2>/dev/null)" "Type: symlink"
	# fstest's target: dir/sub, 137 "/.", /nested.txt (292 bytes, past the inode's 60).
	assert_eq "dir/sub$(printf '/.%.0s' {1..137})/nested.txt" "$(fs_cat "$1" /longlnk)" "the long symlink's block"
	assert_contains "$(debugfs -R 'stat /hello.link' "$1" 2>/dev/null)" "Links: 2"
	assert_eq "hello from the host" "$(fs_cat "$1" /hello.link)" "the second name's content"
	assert_eq "both names" "$(fs_cat "$1" /two.b)" "the name left of two"
	assert_not_contains "$(debugfs -R 'ls -p /' "$1" 2>/dev/null)" "/two/"
}

test_disk_fs_guest_works_on_host_files() {
	fs_image "$T/d.img"
	assert_exit 0 "$MICA" run --disk "$T/d.img" --mount /data=disk0 "$(image fstest)"
	assert_not_contains "$(cat "$T/out")" "not ok"
	assert_eq 44 "$(grep -c '^ok ' "$T/out")" "checks passed"
	assert_file_contains "$T/out" "fstest: passed"
	assert_eq "" "$(cat "$T/err")" "stderr"
	# Clean after the guest's exit wrote everything back, and the guest's files are there.
	assert_exit 0 e2fsck -fn "$T/d.img"
	assert_eq "written by the guest" "$(fs_cat "$T/d.img" /result.txt)" "result.txt"
	fs_assert_links "$T/d.img"
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
	assert_eq 12 "$(grep -c '^ok ' "$T/out")" "checks passed"
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

# fstest's defconfig sets CONFIG_LIB_EXT2FS_MOUNT="/data=disk0": without --mount that mounts it.
test_disk_fs_kconfig_default_mounts_without_mount_option() {
	fs_image "$T/d.img"
	assert_exit 0 "$MICA" run --disk "$T/d.img" "$(image fstest)"
	assert_eq 44 "$(grep -c '^ok ' "$T/out")" "checks passed"
	assert_file_contains "$T/out" "fstest: passed"
	assert_exit 0 e2fsck -fn "$T/d.img"
	assert_eq "written by the guest" "$(fs_cat "$T/d.img" /result.txt)" "result.txt"
	fs_assert_links "$T/d.img"
}

# A --mount for any disk replaces the Kconfig default: disk0 is neither mounted nor written, and
# disk1 is at /other: the file the guest wrote there is on e.img.
test_disk_fs_mount_option_overrides_kconfig_default() {
	local before
	fs_image "$T/d.img"
	fs_image "$T/e.img"
	before=$(md5sum <"$T/d.img")
	assert_exit 0 "$MICA" run --disk "$T/d.img" --disk "$T/e.img" --mount /other=disk1 "$(image fstest)" none /other
	assert_not_contains "$(cat "$T/out")" "mica: ext2fs"
	assert_file_contains "$T/out" "ok 1 - no /data: the disk was not mounted"
	assert_file_contains "$T/out" "ok 2 - reads the host's file where --mount put the disk"
	assert_file_contains "$T/out" "ok 3 - writes a file there"
	assert_file_contains "$T/out" "fstest: passed"
	assert_eq "$before" "$(md5sum <"$T/d.img")" "disk0 is untouched"
	assert_exit 0 e2fsck -fn "$T/e.img"
	assert_eq "written where --mount put the disk" "$(fs_cat "$T/e.img" /mark.txt)" "the file written at /other, on disk1"
}
