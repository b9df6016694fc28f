# mica run --snapshot / --restore on proc: same answers as a cold boot, fresh randomness per
# instance, one file restored many times, and refusal of bad snapshots and impossible requests.
# shellcheck shell=bash

SNAP_REQUESTS=$'echo hello there\nsum 4096\nsum 17\nsquare 123456\nfile\nalloc\nsquare 7\ntime\nquit'

# snap_initrd: an initrd with /snap.txt, which snaptest reads before its ready point.
snap_initrd() {
	mkdir -p "$T/root"
	printf 'warmed before ready' >"$T/root/snap.txt"
	(cd "$T/root" && find . | cpio -o -H newc 2>/dev/null) >"$T/snap.cpio"
}

# snap_take FILE [MICA RUN OPTIONS...]: snapshots snaptest (with the initrd) into FILE.
snap_take() {
	local file=$1
	shift
	snap_initrd
	assert_exit 0 "$MICA" run --snapshot "$file" --initrd "$T/snap.cpio" "$@" "$(image snaptest)" </dev/null
	assert_eq "" "$(cat "$T/out")" "output of the snapshot run (the guest is saved before it prints)"
}

test_snapshot_file_has_magic_and_stores_only_touched_pages() {
	snap_take "$T/s.snap" --mem 256M
	assert_eq "MICASNAP" "$(head -c 8 "$T/s.snap")"
	local size
	size=$(stat -c %s "$T/s.snap")
	(( size % 4096 == 0 )) || { echo "error: snapshot size $size is not page-aligned"; return 1; }
	(( size < 8 * 1024 * 1024 )) || { echo "error: a 256 MiB guest's snapshot is $size bytes: untouched pages stored"; return 1; }
	assert_eq "" "$(find "$T" -maxdepth 1 -name 's.snap.tmp.*')" "temporary files left beside the snapshot"
}

test_snapshot_restore_answers_like_a_cold_boot() {
	snap_take "$T/s.snap"
	assert_exit 0 "$MICA" run --initrd "$T/snap.cpio" "$(image snaptest)" <<<"$SNAP_REQUESTS"
	cp "$T/out" "$T/cold"
	assert_file_contains "$T/cold" "file 19: warmed before ready"
	assert_exit 0 "$MICA" run --restore "$T/s.snap" <<<"$SNAP_REQUESTS"
	assert_eq "$(cat "$T/cold")" "$(cat "$T/out")" "restored output against the cold boot's"
	assert_exit 0 "$MICA" run --restore "$T/s.snap" <<<$'restored\nquit'
	assert_eq $'ready\nrestored=1' "$(cat "$T/out")"
	assert_exit 0 "$MICA" run --initrd "$T/snap.cpio" "$(image snaptest)" <<<$'restored\nquit'
	assert_eq $'ready\nrestored=0' "$(cat "$T/out")"
}

test_snapshot_restore_stats_give_restore_to_ready() {
	snap_take "$T/s.snap"
	assert_exit 0 "$MICA" run --stats --restore "$T/s.snap" <<<$'square 3\nquit'
	assert_eq $'ready\nsquare 3 = 9' "$(cat "$T/out")"
	grep -Eq "^stats: restore to the guest's first hypercall after it: [0-9.]+ us$" "$T/err" ||
		{ _mica_say "no restore-to-ready figure:" stderr "$(cat "$T/err")"; return 1; }
	assert_exit 0 "$MICA" run --stats --initrd "$T/snap.cpio" "$(image snaptest)" <<<'quit'
	assert_not_contains "$(cat "$T/err")" "stats: restore" "a cold boot's stats"
}

test_snapshot_restore_with_the_same_image_named_works() {
	snap_take "$T/s.snap"
	assert_exit 0 "$MICA" run --restore "$T/s.snap" "$(image snaptest)" <<<$'square 9\nquit'
	assert_eq $'ready\nsquare 9 = 81' "$(cat "$T/out")"
}

test_snapshot_restored_instances_draw_different_random_bytes() {
	snap_take "$T/s.snap"
	assert_exit 0 "$MICA" run --restore "$T/s.snap" <<<$'rand\nrand'
	local a b
	a=$(sed -n 2p "$T/out")
	[[ $a =~ ^[0-9a-f]{32}$ ]] || { echo "error: no random line: '$a'"; return 1; }
	assert_exit 0 "$MICA" run --restore "$T/s.snap" <<<$'rand\nrand'
	b=$(sed -n 2p "$T/out")
	[[ $b =~ ^[0-9a-f]{32}$ ]] || { echo "error: no random line: '$b'"; return 1; }
	[[ $a != "$b" ]] || { echo "error: two restored instances drew the same bytes: $a"; return 1; }
}

test_snapshot_one_snapshot_restores_many_times_and_stays_unchanged() {
	snap_take "$T/s.snap"
	local sum
	sum=$(sha256sum <"$T/s.snap")
	for i in 1 2 3; do
		assert_exit 0 "$MICA" run --restore "$T/s.snap" <<<"square $i"
		assert_eq $'ready\nsquare '"$i = $((i * i))" "$(cat "$T/out")" "restore $i"
	done
	assert_eq "$sum" "$(sha256sum <"$T/s.snap")" "snapshot checksum after restores"
}

test_snapshot_restored_guest_sleeps_and_time_moves_on() {
	snap_take "$T/s.snap"
	assert_exit 0 "$MICA" run --restore "$T/s.snap" <<<$'time\nsleep 20\ntime'
	assert_eq $'ready\ntime ok\nslept\ntime ok' "$(cat "$T/out")"
}

test_snapshot_restore_needs_no_more_memory_than_touched() {
	snap_take "$T/s.snap" --mem 16M
	assert_exit 0 "$MICA" run --restore "$T/s.snap" <<<$'alloc\nquit'
	assert_eq $'ready\nalloc ok' "$(cat "$T/out")"
}

# snap_refused FILE MESSAGE: --restore FILE fails with 125 and one line naming MESSAGE, leaving no guest.
snap_refused() {
	assert_exit 125 "$MICA" run --restore "$1" <<<"quit"
	assert_contains "$(cat "$T/err")" "$2"
	assert_eq 1 "$(wc -l <"$T/err")" "lines of error"
	assert_eq "" "$(cat "$T/out")" "guest output"
}

test_snapshot_corrupt_snapshots_are_refused() {
	snap_take "$T/s.snap"
	local size
	size=$(stat -c %s "$T/s.snap")
	cp "$T/s.snap" "$T/flip.snap"
	# One byte flipped in the last stored page.
	printf '\x5a' | dd of="$T/flip.snap" bs=1 seek=$((size - 100)) conv=notrunc status=none
	snap_refused "$T/flip.snap" "mica: $T/flip.snap: corrupt snapshot (checksum mismatch)"
	cp "$T/s.snap" "$T/flip2.snap"
	printf '\x01' | dd of="$T/flip2.snap" bs=1 seek=200 conv=notrunc status=none
	snap_refused "$T/flip2.snap" "corrupt snapshot (checksum mismatch)"
	head -c $((size - 4096)) "$T/s.snap" >"$T/short.snap"
	snap_refused "$T/short.snap" "truncated snapshot ($((size - 4096)) bytes, its header says $size)"
	head -c 100 "$T/s.snap" >"$T/tiny.snap"
	snap_refused "$T/tiny.snap" "truncated snapshot (shorter than its header)"
	cp "$T/s.snap" "$T/version.snap"
	printf '\x07' | dd of="$T/version.snap" bs=1 seek=8 conv=notrunc status=none
	snap_refused "$T/version.snap" "snapshot format version 7, this mica reads version 1"
	cp "$T/s.snap" "$T/abi.snap"
	printf '\x09' | dd of="$T/abi.snap" bs=1 seek=12 conv=notrunc status=none
	snap_refused "$T/abi.snap" "snapshot of Mica ABI version 9, this mica is version 1"
	snap_refused "$(image snaptest)" "not a snapshot (no MICASNAP magic)"
	: >"$T/empty.snap"
	snap_refused "$T/empty.snap" "empty file, not a snapshot"
	snap_refused "$T/missing.snap" "cannot open: No such file or directory"
	snap_refused "$T" "not a regular file"
}

test_snapshot_of_another_image_is_refused() {
	snap_take "$T/s.snap"
	assert_exit 125 "$MICA" run --restore "$T/s.snap" "$(image helloworld)" </dev/null
	assert_eq "mica: $T/s.snap: snapshot was taken of another image (application 'snaptest'); leave IMAGE out or give the one it was taken of" "$(cat "$T/err")"
}

test_snapshot_needs_a_ready_guest() {
	assert_exit 124 "$MICA" run --timeout 1 --snapshot "$T/never.snap" "$(image snaptest)" -- --no-ready </dev/null
	assert_contains "$(cat "$T/err")" "--timeout"
	assert_exit 125 "$MICA" run --snapshot "$T/hello.snap" "$(image helloworld)" </dev/null
	assert_contains "$(cat "$T/err")" "guest powered off (status 0) without signalling ready (mica_ready): no snapshot written"
	assert_eq "" "$(find "$T" -name '*.snap*')" "files left by failed snapshots"
}

test_snapshot_write_errors_leave_nothing() {
	assert_exit 125 "$MICA" run --snapshot "$T/no/such/dir/s.snap" "$(image snaptest)" </dev/null
	assert_contains "$(cat "$T/err")" "mica: $T/no/such/dir/s.snap: cannot create a file beside it: No such file or directory"
	mkdir "$T/ro" && chmod 555 "$T/ro"
	if [[ $(id -u) != 0 ]]; then
		assert_exit 125 "$MICA" run --snapshot "$T/ro/s.snap" "$(image snaptest)" </dev/null
		assert_eq "" "$(ls -A "$T/ro")" "files in the read-only directory"
	fi
}

test_snapshot_restore_refuses_boot_options() {
	snap_take "$T/s.snap"
	assert_exit 125 "$MICA" run --restore "$T/s.snap" --initrd "$T/snap.cpio"
	assert_eq "mica: --restore: --initrd was fixed when the snapshot was taken; leave it out" "$(cat "$T/err")"
	assert_exit 125 "$MICA" run --restore "$T/s.snap" --env A=b
	assert_contains "$(cat "$T/err")" "--env was fixed when the snapshot was taken"
	assert_exit 125 "$MICA" run --restore "$T/s.snap" --backend kvm
	assert_contains "$(cat "$T/err")" "snapshots run on the proc backend only"
}

test_snapshot_cli_errors() {
	assert_exit 0 "$MICA" run --help
	assert_file_contains "$T/out" "--snapshot FILE"
	assert_file_contains "$T/out" "--restore FILE"
	assert_exit 125 "$MICA" run --snapshot a --restore b "$(image snaptest)"
	assert_contains "$(cat "$T/err")" "--snapshot and --restore cannot be combined"
	assert_exit 125 "$MICA" run --restore
	assert_contains "$(cat "$T/err")" "--restore needs a value"
	assert_exit 125 "$MICA" run --snapshot= "$(image snaptest)"
	assert_contains "$(cat "$T/err")" "--snapshot needs a file name"
	assert_exit 125 "$MICA" run --restore s.snap "$(image snaptest)" extra-arg
	assert_contains "$(cat "$T/err")" "takes no guest ARGS"
}
