# Malformed blkif requests (tests/apps/blkevil) on a read-write and a read-only disk: each refused with an error status, counted, logged once; mica serves on.
# shellcheck shell=bash

# One line each in mica's stderr: what blkback logs the first time it refuses a class.
disk_hostile_classes=(
	"range:disk0: read of 8 sectors at sector 4095 beyond the disk's 4096"
	"sector:disk0: read segment of sectors 5..2"
	"segments:disk0: read of 12 segments (1 to 11 allowed)"
	"grant:disk0: write from grant reference 300, not readable by domain 0"
	"op:disk0: operation 2 (served: read, write, flush, discard, indirect)"
	"readonly:disk1: write to a read-only disk"
	"ring:disk0: ring indices are corrupt"
)

# disk_hostile_count STATS CLASS MIN: the counter of refusal CLASS in the stats line is at least MIN.
disk_hostile_count() {
	if [[ $1 =~ [\ ,]$2\ ([0-9]+) ]] && ((BASH_REMATCH[1] >= $3)); then
		return 0
	fi
	echo "error: refusals of class $2 not all counted (at least $3 sent): $1" >&2
	return 1
}

test_disk_hostile_frontend_is_refused_and_mica_serves_on() {
	local before class name text stats0 stats1
	truncate -s 2M "$T/rw.img" "$T/ro.img"
	printf 'read-only disk' | dd of="$T/ro.img" conv=notrunc status=none
	before=$(md5sum <"$T/ro.img")
	assert_exit 0 "$MICA" run --stats --timeout 120 --disk "$T/rw.img" --disk "$T/ro.img,ro" "$(image blkevil)"
	assert_not_contains "$(cat "$T/out")" "not ok - "
	assert_eq 31 "$(grep -c '^ok - ' "$T/out")" "blkevil checks passed"
	assert_file_contains "$T/out" "blkevil: passed"

	# Each class refused, logged once however often it was sent.
	for class in "${disk_hostile_classes[@]}"; do
		name=${class%%:*}
		text=${class#*:}
		assert_eq 1 "$(grep -cF -- "mica: $text" "$T/err")" "log lines for refusal class $name"
	done
	assert_eq ${#disk_hostile_classes[@]} "$(grep -c '^mica: disk[01]: ' "$T/err")" "mica's disk log lines"

	# The counters saw every repeat (5 of each malformed request, more from garbage lists).
	stats0=$(grep '^stats: disk0: ' "$T/err")
	stats1=$(grep '^stats: disk1: ' "$T/err")
	disk_hostile_count "$stats0" op 15
	disk_hostile_count "$stats0" segments 25
	disk_hostile_count "$stats0" sector 10
	disk_hostile_count "$stats0" range 20
	disk_hostile_count "$stats0" grant 20
	disk_hostile_count "$stats0" ring 1
	disk_hostile_count "$stats1" readonly 20
	# A full ring in one push outran the per-notify budget and was served on the next loop turn.
	if ! [[ $stats0 =~ ([0-9]+)\ resumptions ]] || ((BASH_REMATCH[1] < 1)); then
		echo "error: no resumption after a full ring: $stats0" >&2
		return 1
	fi
	assert_contains "$stats0" " 0 I/O errors"

	# Nothing refused reached the files: the read-only one is as it was, the other holds the one healthy write.
	assert_eq "$before" "$(md5sum <"$T/ro.img")" "the read-only file"
	assert_eq 2097152 "$(stat -c %s "$T/rw.img")" "the read-write file's size"
	assert_eq "$(python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 31 + 7) & 255 for i in range(4096)))' | md5sum)" \
		"$(head -c 4096 "$T/rw.img" | md5sum)" "the healthy write at sector 0"
	assert_eq "$(head -c $((2097152 - 4096)) /dev/zero | md5sum)" "$(tail -c +4097 "$T/rw.img" | md5sum)" \
		"the rest of the read-write file, untouched"
}
