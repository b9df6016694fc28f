# mica run --disk with raw blkfront I/O (tests/apps/blktest): the guest's pattern checked on the host, and the reverse.
# shellcheck shell=bash

# disk_pattern make|check FILE SEED: writes over FILE, or checks it holds, blktest's pattern of
# SEED: word k of sector s is (SEED * 0x9E3779B97F4A7C15 + s * 64 + k) * 0xBF58476D1CE4E5B9 mod
# 2^64, little-endian.
disk_pattern() {
	python3 - "$@" <<'PY'
import struct, sys
mode, path, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = (1 << 64) - 1
def sector(s):
    base = seed * 0x9E3779B97F4A7C15 + s * 64
    return struct.pack('<64Q', *[((base + k) * 0xBF58476D1CE4E5B9) & m for k in range(64)])
if mode == 'make':
    size = len(open(path, 'rb').read())
    with open(path, 'wb') as f:
        f.write(b''.join(sector(s) for s in range(size // 512)))
    sys.exit(0)
data = open(path, 'rb').read()
for s in range(len(data) // 512):
    if data[s * 512:s * 512 + 512] != sector(s):
        print('sector %d is not the pattern of seed %d' % (s, seed))
        sys.exit(1)
print('pattern ok')
PY
}

test_disk_raw_guest_writes_host_reads() {
	truncate -s 4M "$T/d.img"
	assert_exit 0 "$MICA" run --disk "$T/d.img" "$(image blktest)" write 7
	assert_file_contains "$T/out" "blktest: disk0 8192 sectors of 512, rw"
	assert_file_contains "$T/out" "blktest: disk0 is named disk0"
	local want
	for want in "a read past the end is refused" "wrote the pattern over the disk" "flushed" \
		"read back and verified in 128 KiB transfers" "read back and verified sector by sector"; do
		assert_file_contains "$T/out" "- $want"
	done
	assert_not_contains "$(cat "$T/out")" "not ok"
	assert_eq 5 "$(grep -c '^ok ' "$T/out")" "checks passed"
	assert_eq "" "$(cat "$T/err")" "stderr"
	assert_file_contains "$T/out" "blktest: passed"
	assert_eq "pattern ok" "$(disk_pattern check "$T/d.img" 7)" "host check of seed 7"
	assert_eq 4194304 "$(stat -c %s "$T/d.img")" "disk size"
	# The same file again, only read: the guest finds what it wrote, not another seed's pattern.
	assert_exit 0 "$MICA" run --disk "$T/d.img" "$(image blktest)" read 7
	assert_file_contains "$T/out" "blktest: passed"
	assert_exit 1 "$MICA" run --disk "$T/d.img" "$(image blktest)" read 8
	assert_file_contains "$T/out" "blktest: sector 0 is not the pattern of seed 8"
}

test_disk_raw_guest_reads_host_pattern() {
	truncate -s 1M "$T/h.img"
	disk_pattern make "$T/h.img" 11
	assert_exit 0 "$MICA" run --disk "$T/h.img,name=data" "$(image blktest)" read 11
	assert_file_contains "$T/out" "blktest: disk0 2048 sectors of 512, rw"
	assert_file_contains "$T/out" "blktest: disk0 is named data"
	assert_eq 3 "$(grep -c '^ok ' "$T/out")" "checks passed"
	assert_file_contains "$T/out" "blktest: passed"
}

test_disk_raw_readonly_write_fails() {
	local before
	truncate -s 2M "$T/r.img"
	disk_pattern make "$T/r.img" 5
	before=$(md5sum <"$T/r.img")
	assert_exit 0 "$MICA" run --disk "$T/r.img,ro" "$(image blktest)" write 5
	assert_file_contains "$T/out" "blktest: disk0 4096 sectors of 512, ro"
	assert_file_contains "$T/out" "ok 2 - a write to the read-only disk fails"
	assert_file_contains "$T/err" "mica: disk0: write to a read-only disk; refused"
	assert_file_contains "$T/out" "blktest: passed"
	assert_eq "$before" "$(md5sum <"$T/r.img")" "the read-only file is unchanged"
}

test_disk_raw_without_disk() {
	assert_exit 1 "$MICA" run "$(image blktest)" read 1
	assert_file_contains "$T/out" "blktest: no disk 0: run it with --disk FILE"
}

test_disk_raw_discard_punches_a_hole() {
	local before after
	truncate -s 4M "$T/d.img"
	disk_pattern make "$T/d.img" 3
	before=$(stat -c %b "$T/d.img")
	assert_exit 0 "$MICA" run --stats --disk "$T/d.img" "$(image blktest)" discard 3
	assert_file_contains "$T/out" "ok 2 - discarded sectors 1000..3002, granularity 4096"
	assert_file_contains "$T/out" "ok 3 - the whole granules read back as zeros"
	assert_eq 6 "$(grep -c '^ok ' "$T/out")" "checks passed"
	assert_file_contains "$T/out" "blktest: passed"
	assert_file_contains "$T/err" "1 discards, 0 I/O errors"
	# On the host: sectors 1000..2999 are zeros and no longer allocated; the pattern is around them.
	assert_eq "$(head -c $((2000 * 512)) /dev/zero | md5sum)" \
		"$(tail -c +$((1000 * 512 + 1)) "$T/d.img" | head -c $((2000 * 512)) | md5sum)" "the discarded sectors"
	after=$(stat -c %b "$T/d.img")
	((after <= before - 1900)) || { echo "error: $before 512-byte blocks before the discard, $after after" >&2; return 1; }
	dd if=/dev/zero of="$T/d.img" bs=512 seek=1000 count=2000 conv=notrunc status=none
	python3 - "$T/d.img" <<'PY' || return 1
import struct, sys
data = bytearray(open(sys.argv[1], 'rb').read())
m = (1 << 64) - 1
for s in list(range(0, 1000)) + list(range(3000, len(data) // 512)):
    base = 3 * 0x9E3779B97F4A7C15 + s * 64
    if data[s * 512:s * 512 + 512] != struct.pack('<64Q', *[((base + k) * 0xBF58476D1CE4E5B9) & m for k in range(64)]):
        sys.exit('sector %d lost the pattern' % s)
PY
}

test_disk_raw_discard_on_a_readonly_disk_fails() {
	local before
	truncate -s 2M "$T/r.img"
	disk_pattern make "$T/r.img" 4
	before=$(md5sum <"$T/r.img")
	assert_exit 0 "$MICA" run --disk "$T/r.img,ro" "$(image blktest)" discard 4
	assert_file_contains "$T/out" "ok 2 - a discard on the read-only disk fails, sectors 8 (rc -95)"
	assert_eq "$before" "$(md5sum <"$T/r.img")" "the read-only file is unchanged"
}
