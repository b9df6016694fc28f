# The disk benchmark's guest (tests/apps/blkbench) works, timings aside: its sequential reads with one and two 1 MiB transfers in flight.
# shellcheck shell=bash

test_disk_bench_seqread_depths() {
	local depth mbs
	truncate -s 16M "$T/d.img"
	for depth in 2 1 0; do
		assert_exit 0 "$MICA" run --stats --disk "$T/d.img" "$(image blkbench)" seqread "$depth"
		mbs=$(sed -n 's/^blkbench: seqread \([0-9]*\) MB\/s$/\1/p' "$T/out")
		[[ $mbs =~ ^[1-9][0-9]*$ ]] || { _mica_say "seqread $depth printed no positive MB/s:" stdout "$(cat "$T/out")"; return 1; }
		# Every byte of the disk read once, whatever the overlap.
		assert_file_contains "$T/err" " reads (16777216 bytes), 0 writes (0 bytes)"
	done
}

test_disk_bench_seqread_refuses_bad_depths() {
	local depth
	truncate -s 1M "$T/d.img"
	for depth in 3 x -1 ""; do
		assert_exit 2 "$MICA" run --disk "$T/d.img" "$(image blkbench)" seqread "$depth"
		assert_file_contains "$T/out" "usage: blkbench seqwrite 0 | seqread DEPTH"
		assert_not_contains "$(cat "$T/out")" "blkbench: seqread"
	done
}
