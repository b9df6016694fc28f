# mica run --disk: parsing, file errors, images without block storage, and read-only opening.
# shellcheck shell=bash

test_disk_help_mentions_disk() {
	assert_exit 0 "$MICA" run --help
	assert_file_contains "$T/out" "--disk FILE[,ro][,name=NAME]"
	assert_file_contains "$T/out" "come from an app that selects block storage"
}

# disk_refused VALUE MESSAGE: --disk VALUE is refused before any image is read, with MESSAGE.
disk_refused() {
	assert_exit 125 "$MICA" run --disk "$1" /nonexistent
	assert_contains "$(cat "$T/err")" "mica: run: --disk '$1': $2"
}

test_disk_parse_errors_name_the_bad_part() {
	disk_refused "" "no file name"
	disk_refused ",ro" "no file name"
	disk_refused "d.img,rw" "'rw' is not ro or name=NAME, or is given twice"
	disk_refused "d.img,ro,ro" "'ro' is not ro or name=NAME, or is given twice"
	disk_refused "d.img,name=a,name=b" "'name=b' is not ro or name=NAME, or is given twice"
	disk_refused "d.img,name=" "name '' is not 1-63 of A-Z a-z 0-9 _ . -"
	disk_refused "d.img,name=a/b" "name 'a/b' is not 1-63 of A-Z a-z 0-9 _ . -"
	local long
	long=$(printf 'x%.0s' {1..64})
	disk_refused "d.img,name=$long" "name '$long' is not 1-63 of A-Z a-z 0-9 _ . -"
	disk_refused "d.img," "'' is not ro or name=NAME"
	assert_exit 125 "$MICA" run --disk a.img --disk b.img,name=disk0 /nonexistent
	assert_contains "$(cat "$T/err")" "name disk0 is already disk0's"
	assert_exit 125 "$MICA" run --disk a --disk b --disk c --disk d --disk e /nonexistent
	assert_contains "$(cat "$T/err")" "more than 4 --disk disks"
	assert_exit 125 "$MICA" run --disk
	assert_contains "$(cat "$T/err")" "--disk needs a value"
}

test_disk_file_errors_come_before_the_boot() {
	local hello
	hello=$(image helloworld)
	assert_exit 125 "$MICA" run --disk "$T/missing.img" "$hello"
	assert_eq "mica: --disk $T/missing.img: cannot open read-write: No such file or directory" "$(cat "$T/err")"
	head -c 1000 /dev/zero >"$T/odd.img"
	assert_exit 125 "$MICA" run --disk "$T/odd.img,ro" "$hello"
	assert_eq "mica: --disk $T/odd.img: size 1000 is not a non-zero multiple of 512 bytes" "$(cat "$T/err")"
	: >"$T/empty.img"
	assert_exit 125 "$MICA" run --disk "$T/empty.img" "$hello"
	assert_contains "$(cat "$T/err")" "size 0 is not a non-zero multiple of 512 bytes"
	assert_exit 125 "$MICA" run --disk "$T" "$hello"
	assert_contains "$(cat "$T/err")" "cannot open read-write: Is a directory"
	assert_exit 125 "$MICA" run --disk "$T,ro" "$hello"
	assert_eq "mica: --disk $T: not a regular file" "$(cat "$T/err")"
	assert_not_contains "$(cat "$T/out")" "Hello" "the guest's output"
}

test_disk_refused_for_an_image_without_block_storage() {
	local hello
	hello=$(image helloworld)
	head -c 4096 /dev/zero >"$T/d.img"
	assert_exit 125 "$MICA" run --disk "$T/d.img" "$hello"
	assert_eq "mica: $hello has no block device: build it from an app that selects block storage" "$(cat "$T/err")"
}

test_disk_ro_opens_the_file_read_only() {
	local hello
	hello=$(image helloworld)
	head -c 4096 /dev/zero >"$T/ro.img"
	chmod 0444 "$T/ro.img"
	chmod 0755 "$T"
	# Without privilege over the file (an unprivileged user namespace), only a read-only open works.
	assert_exit 125 unshare --user --map-user=65534 "$MICA" run --disk "$T/ro.img" "$hello"
	assert_eq "mica: --disk $T/ro.img: cannot open read-write: Permission denied" "$(cat "$T/err")"
	assert_exit 125 unshare --user --map-user=65534 "$MICA" run --disk "$T/ro.img,ro,name=data" "$hello"
	assert_contains "$(cat "$T/err")" "has no block device"
}

test_disk_mount_errors_name_the_bad_part() {
	assert_exit 125 "$MICA" run --disk a.img --mount /data=disk1 /nonexistent
	assert_contains "$(cat "$T/err")" "--mount '/data=disk1': no --disk is named 'disk1'"
	assert_exit 125 "$MICA" run --mount /data=disk0 /nonexistent
	assert_contains "$(cat "$T/err")" "--mount '/data=disk0': no --disk is named 'disk0'"
	assert_exit 125 "$MICA" run --disk a.img --mount data=disk0 /nonexistent
	assert_contains "$(cat "$T/err")" "is not PATH=DISK with PATH absolute"
	assert_exit 125 "$MICA" run --disk a.img --mount /a/../b=disk0 /nonexistent
	assert_contains "$(cat "$T/err")" "is not PATH=DISK with PATH absolute"
	assert_exit 125 "$MICA" run --disk a.img --mount /a=disk0 --mount /b=disk0 /nonexistent
	assert_contains "$(cat "$T/err")" "disk disk0 is already mounted at /a"
}
