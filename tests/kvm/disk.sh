# mica run --backend kvm --disk inside the test VM: blkback serving a hardware-VM guest, checked against proc on one file.
# shellcheck shell=bash

test_kvm_disk_pattern_matches_the_proc_backend() {
	truncate -s 4M "$T/kvm.img" "$T/proc.img"
	assert_exit 0 "$MICA" run --stats --disk "$T/kvm.img" "$(kvm_image blktest)" write 7
	assert_file_contains "$T/out" "blktest: disk0 8192 sectors of 512, rw"
	assert_eq 5 "$(grep -c '^ok ' "$T/out")" "checks passed on kvm"
	assert_file_contains "$T/out" "blktest: passed"
	assert_file_contains "$T/err" "stats: disk0: "
	assert_file_contains "$T/err" "0 I/O errors"
	# The proc backend writes the same seed into another file: the host sees the same bytes.
	assert_exit 0 "$MICA" run --disk "$T/proc.img" "$(image blktest)" write 7
	assert_eq "$(md5sum <"$T/proc.img")" "$(md5sum <"$T/kvm.img")" "the kvm guest's file against the proc guest's"
	# And each backend reads what the other wrote; another seed's pattern is not there.
	assert_exit 0 "$MICA" run --disk "$T/kvm.img" "$(image blktest)" read 7
	assert_file_contains "$T/out" "blktest: passed"
	assert_exit 0 "$MICA" run --disk "$T/proc.img" "$(kvm_image blktest)" read 7
	assert_file_contains "$T/out" "blktest: passed"
	assert_exit 1 "$MICA" run --disk "$T/proc.img" "$(kvm_image blktest)" read 8
	assert_file_contains "$T/out" "blktest: sector 0 is not the pattern of seed 8"
}

test_kvm_disk_discard_and_readonly() {
	local before after
	truncate -s 4M "$T/d.img"
	assert_exit 0 "$MICA" run --disk "$T/d.img" "$(image blktest)" write 3
	before=$(stat -c %b "$T/d.img")
	assert_exit 0 "$MICA" run --stats --disk "$T/d.img" "$(kvm_image blktest)" discard 3
	assert_eq 6 "$(grep -c '^ok ' "$T/out")" "discard checks passed on kvm"
	assert_file_contains "$T/err" "1 discards, 0 I/O errors"
	after=$(stat -c %b "$T/d.img")
	((after < before)) || { echo "error: the discard freed no blocks ($before before, $after after)" >&2; return 1; }
	# The whole pattern again, which the read-only run reads back after its refused write.
	assert_exit 0 "$MICA" run --disk "$T/d.img" "$(image blktest)" write 3
	before=$(md5sum <"$T/d.img")
	assert_exit 0 "$MICA" run --disk "$T/d.img,ro" "$(kvm_image blktest)" write 3
	assert_file_contains "$T/out" "ok 2 - a write to the read-only disk fails"
	assert_file_contains "$T/err" "mica: disk0: write to a read-only disk; refused"
	assert_eq "$before" "$(md5sum <"$T/d.img")" "the read-only file is unchanged"
}

test_kvm_disk_hostile_frontend_is_refused() {
	truncate -s 2M "$T/rw.img" "$T/ro.img"
	# Fewer empty notifies than on proc: each is a vCPU exit under emulated SVM.
	assert_exit 0 "$MICA" run --stats --timeout 240 --disk "$T/rw.img" --disk "$T/ro.img,ro" "$(kvm_image blkevil)" 2000
	assert_not_contains "$(cat "$T/out")" "not ok - "
	assert_eq 31 "$(grep -c '^ok - ' "$T/out")" "blkevil checks passed on kvm"
	assert_file_contains "$T/err" "mica: disk0: ring indices are corrupt"
	assert_file_contains "$T/err" "mica: disk1: write to a read-only disk; refused"
	local stats
	stats=$(grep '^stats: disk0: ' "$T/err")
	if ! [[ $stats =~ ([0-9]+)\ resumptions ]] || ((BASH_REMATCH[1] < 1)); then
		echo "error: a full ring was not resumed after the budget: $stats" >&2
		return 1
	fi
}
