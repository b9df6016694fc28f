# mica run --snapshot / --restore on the kvm backend inside the test VM: a restored guest answers like a cold boot, draws fresh randomness, and bad or mismatched snapshots are refused.
# shellcheck shell=bash

KSNAP_REQUESTS=$'echo hello there\nsum 4096\nsum 17\nsquare 123456\nfile\nalloc\nsquare 7\ntime\nquit'

# ksnap_take FILE [MICA RUN OPTIONS...]: snapshots kvm snaptest (with an initrd holding /snap.txt) into FILE.
ksnap_take() {
	local file=$1
	shift
	mkdir -p "$T/root"
	printf 'warmed before ready' >"$T/root/snap.txt"
	(cd "$T/root" && find . | cpio -o -H newc 2>/dev/null) >"$T/snap.cpio"
	assert_exit 0 "$MICA" run --snapshot "$file" --initrd "$T/snap.cpio" "$@" "$(kvm_image snaptest)" </dev/null
	assert_eq "" "$(cat "$T/out")" "output of the snapshot run (the guest is saved before it prints)"
}

# ksnap_refused FILE MESSAGE [MICA RUN OPTIONS...]: --restore FILE fails with status 125 and one line containing MESSAGE.
ksnap_refused() {
	local file=$1 message=$2
	shift 2
	assert_exit 125 "$MICA" run --restore "$file" "$@" <<<"quit"
	assert_contains "$(cat "$T/err")" "$message"
	assert_eq 1 "$(wc -l <"$T/err")" "lines of error"
	assert_eq "" "$(cat "$T/out")" "guest output"
}

test_kvm_snapshot_restore_answers_like_a_cold_boot() {
	ksnap_take "$T/s.snap"
	assert_eq "MICASNAP" "$(head -c 8 "$T/s.snap")"
	assert_eq 2 "$(od -An -tu4 -j8 -N4 "$T/s.snap" | tr -d ' ')" "format version of a kvm snapshot"
	assert_exit 0 "$MICA" run --initrd "$T/snap.cpio" "$(kvm_image snaptest)" <<<"$KSNAP_REQUESTS"
	cp "$T/out" "$T/cold"
	assert_file_contains "$T/cold" "file 19: warmed before ready"
	assert_exit 0 "$MICA" run --restore "$T/s.snap" <<<"$KSNAP_REQUESTS"
	assert_eq "$(cat "$T/cold")" "$(cat "$T/out")" "restored output against the cold boot's"
	assert_exit 0 "$MICA" run --restore "$T/s.snap" "$(kvm_image snaptest)" <<<$'restored\nquit'
	assert_eq $'ready\nrestored=1' "$(cat "$T/out")"
}

test_kvm_snapshot_restored_instances_draw_different_random_bytes() {
	ksnap_take "$T/s.snap"
	local a b
	assert_exit 0 "$MICA" run --restore "$T/s.snap" <<<$'rand\nquit'
	a=$(sed -n 2p "$T/out")
	[[ $a =~ ^[0-9a-f]{32}$ ]] || { echo "error: no random line: '$a'" >&2; return 1; }
	assert_exit 0 "$MICA" run --restore "$T/s.snap" <<<$'rand\nquit'
	b=$(sed -n 2p "$T/out")
	[[ $b =~ ^[0-9a-f]{32}$ ]] || { echo "error: no random line: '$b'" >&2; return 1; }
	[[ $a != "$b" ]] || { echo "error: two restored instances drew the same bytes $a" >&2; return 1; }
}

# The 256 MiB guest's file holds only its touched pages, and a restore maps them: fresh memory reads as zero.
test_kvm_snapshot_of_a_256m_guest_restores() {
	ksnap_take "$T/big.snap" --mem 256M
	local size
	size=$(stat -c %s "$T/big.snap")
	((size % 4096 == 0 && size < 8 * 1024 * 1024)) ||
		{ echo "error: a 256 MiB guest's snapshot is $size bytes: untouched pages stored" >&2; return 1; }
	local before
	before=$(md5sum <"$T/big.snap")
	assert_exit 0 "$MICA" run --restore "$T/big.snap" <<<$'alloc\nsquare 9\nfile\nquit'
	assert_eq $'ready\nalloc ok\nsquare 9 = 81\nfile 19: warmed before ready' "$(cat "$T/out")"
	# The guest's writes were copies of its pages: the file is unchanged, and a second restore starts from it.
	assert_eq "$before" "$(md5sum <"$T/big.snap")" "the snapshot file after a restore that wrote guest memory"
	assert_exit 0 "$MICA" run --restore "$T/big.snap" <<<$'square 3\nquit'
	assert_eq $'ready\nsquare 3 = 9' "$(cat "$T/out")"
}

test_kvm_snapshot_bad_and_mismatched_snapshots_are_refused() {
	ksnap_take "$T/k.snap"
	cp "$T/k.snap" "$T/flip.snap"
	printf '\x55' | dd of="$T/flip.snap" bs=1 seek=5000 conv=notrunc status=none
	ksnap_refused "$T/flip.snap" "corrupt snapshot (checksum mismatch)"
	head -c 12288 "$T/k.snap" >"$T/short.snap"
	ksnap_refused "$T/short.snap" "truncated snapshot"
	# Platform mismatches: a kvm snapshot on proc, a proc snapshot on kvm, a kvm snapshot with the proc image.
	ksnap_refused "$T/k.snap" "snapshot of a kvm guest: kvm snapshots run on the kvm backend only" --backend proc
	ksnap_refused "$T/k.snap" "snapshot was taken of another image" "$(image snaptest)"
	assert_exit 0 "$MICA" run --snapshot "$T/p.snap" "$(image snaptest)" </dev/null
	assert_eq 1 "$(od -An -tu4 -j8 -N4 "$T/p.snap" | tr -d ' ')" "format version of a proc snapshot"
	ksnap_refused "$T/p.snap" "snapshot of a proc guest: proc snapshots run on the proc backend only" --backend kvm
	# What cannot be saved on kvm either: a guest that never gets ready.
	assert_exit 124 "$MICA" run --timeout 5 --snapshot "$T/n.snap" "$(kvm_image snaptest)" --no-ready </dev/null
	[[ ! -e $T/n.snap ]] || { echo "error: a refused snapshot left a file" >&2; return 1; }
}

test_kvm_snapshot_disk_reconnects_to_another_file_after_restore() {
	printf 'disk given at the snapshot\n' >"$T/a.img" && truncate -s 1M "$T/a.img"
	printf 'another disk at the restore\n' >"$T/b.img" && truncate -s 3M "$T/b.img"
	assert_exit 0 "$MICA" run --snapshot "$T/d.snap" --disk "$T/a.img" "$(kvm_image snapdev)" -- raw </dev/null
	assert_eq "before: sectors 2048 name disk0 read 0: disk given at the snapshot" "$(cat "$T/out")"
	assert_exit 0 "$MICA" run --restore "$T/d.snap" --disk "$T/b.img,name=other" </dev/null
	assert_eq $'after: restored=1\nafter: sectors 6144 name other read 0: another disk at the restore\nafter: write 0 flush 0 read back 0 same' \
		"$(cat "$T/out")"
	assert_eq "snapdev wrote this after restored=1" "$(dd if="$T/b.img" bs=512 skip=1 count=1 status=none | head -n 1)"
	assert_exit 125 "$MICA" run --restore "$T/d.snap" </dev/null
	assert_contains "$(cat "$T/err")" "the guest was saved with 1 --disk and 0 --net, this restore gives 0 and 0"
}

# kfn_snapshot NAME FILE: FILE is lua-fn's kvm image with examples/NAME's handler saved at its ready point.
kfn_snapshot() {
	mkdir -p "$T/$1"
	cp "$SRC/examples/$1/handler.lua" "$T/$1/"
	(cd "$T/$1" && printf 'handler.lua\n' | cpio -o -H newc 2>/dev/null) >"$T/$1.cpio"
	assert_exit 0 "$MICA" run --snapshot "$2" --mem 16M --initrd "$T/$1.cpio" "$(kvm_image lua-fn)" </dev/null
	assert_eq "" "$(cat "$T/out")" "output of the snapshot run (saved before it reads a request)"
}

# kfn_request FILE TARGET: FILE holds a GET of TARGET framed as docs/functions.md says the gateway writes it to an instance's stdin.
kfn_request() {
	printf 'GET %s\nuser-agent: kvm-test\ncontent-length: 0\n\n' "$2" >"$1"
}

test_kvm_snapshot_lua_fn_restore_answers_like_a_cold_boot() {
	kfn_snapshot hello "$T/hello.snap"
	kfn_request "$T/req" '/hello?name=Ada%20L'
	assert_exit 0 "$MICA" run --mem 16M --initrd "$T/hello.cpio" "$(kvm_image lua-fn)" <"$T/req"
	cp "$T/out" "$T/cold"
	assert_eq $'Status: 200\n\nHello, Ada L!' "$(cat "$T/cold")" "the cold boot's response"
	assert_exit 0 "$MICA" run --restore "$T/hello.snap" <"$T/req"
	assert_eq "$(cat "$T/cold")" "$(cat "$T/out")" "the restored instance's response against the cold boot's"
	assert_eq "" "$(cat "$T/err")" "stderr of the restore"
}

test_kvm_snapshot_lua_fn_restores_roll_different_dice() {
	kfn_snapshot dice "$T/dice.snap"
	local a b
	kfn_request "$T/roll" '/dice?n=30'
	assert_exit 0 "$MICA" run --restore "$T/dice.snap" <"$T/roll"
	a=$(tail -n 1 "$T/out")
	[[ $a =~ ^\{\"dice\":\[[1-6](,[1-6]){29}\],\"sum\":[0-9]+\}$ ]] || { echo "error: no roll of 30 dice: '$a'" >&2; return 1; }
	assert_exit 0 "$MICA" run --restore "$T/dice.snap" <"$T/roll"
	b=$(tail -n 1 "$T/out")
	[[ $b =~ ^\{\"dice\":\[[1-6](,[1-6]){29}\],\"sum\":[0-9]+\}$ ]] || { echo "error: no roll of 30 dice: '$b'" >&2; return 1; }
	[[ $a != "$b" ]] || { echo "error: two restored instances rolled the same 30 dice: $a" >&2; return 1; }
}
