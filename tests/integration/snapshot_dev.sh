# Snapshots of guests with devices (proc): xenstore used before the ready point, a disk read
# before it and reconnected after a restore to another file, a NIC that answers after a restore,
# and restores refused when they give another number of disks or NICs than the guest had.
# shellcheck shell=bash
source "$SRC/tests/netns.sh"

# sdev_disk FILE SIZE TEXT: a raw disk of SIZE whose sector 0 starts with the line TEXT.
sdev_disk() {
	printf '%s\n' "$3" >"$1"
	truncate -s "$2" "$1"
}

test_snapshot_dev_xenstore_used_before_ready_works_after_restore() {
	assert_exit 0 "$MICA" run --snapshot "$T/x.snap" "$(image snapdev)" -- xs </dev/null
	assert_eq "before: xs_read data/before = saved" "$(cat "$T/out")"
	assert_exit 0 "$MICA" run --restore "$T/x.snap" </dev/null
	# The restore's store is new: keys the guest wrote are gone, its watch was set again and fires.
	assert_eq $'after: restored=1\nafter: xs_read data/before: error -2\nafter: xs_read device/vbd/0/name: error -2\nafter: watch first 0 change 0' \
		"$(cat "$T/out")"
	# Twice from one file: each restore starts from the same saved client state.
	assert_exit 0 "$MICA" run --restore "$T/x.snap" </dev/null
	assert_file_contains "$T/out" "after: watch first 0 change 0"
}

test_snapshot_dev_disk_read_before_ready_reconnects_to_another_file() {
	sdev_disk "$T/a.img" 1M "disk given at the snapshot"
	sdev_disk "$T/b.img" 3M "another disk at the restore"
	cp "$T/a.img" "$T/a.orig"
	assert_exit 0 "$MICA" run --snapshot "$T/r.snap" --disk "$T/a.img" "$(image snapdev)" -- raw </dev/null
	assert_eq "before: sectors 2048 name disk0 read 0: disk given at the snapshot" "$(cat "$T/out")"
	assert_exit 0 "$MICA" run --restore "$T/r.snap" --disk "$T/b.img,name=other" </dev/null
	# Re-read at the handshake: the restore's file, its size and name.
	assert_eq $'after: restored=1\nafter: sectors 6144 name other read 0: another disk at the restore\nafter: write 0 flush 0 read back 0 same' \
		"$(cat "$T/out")"
	# The write landed in the restore's file, sector 1; the snapshot's file is untouched.
	assert_eq "snapdev wrote this after restored=1" "$(dd if="$T/b.img" bs=512 skip=1 count=1 status=none | head -n 1)"
	cmp -s "$T/a.img" "$T/a.orig" || { echo "error: the snapshot's disk file changed after the restore"; return 1; }
}

test_snapshot_dev_filesystem_writes_after_restore_land_in_the_restore_file() {
	mkdir -p "$T/site" && echo "hello from the disk" >"$T/site/hello.txt"
	mke2fs -q -F -t ext4 -d "$T/site" "$T/fs.img" 16M >/dev/null 2>&1
	assert_exit 0 "$MICA" run --snapshot "$T/f.snap" --disk "$T/fs.img" --mount /data=disk0 "$(image snapdev)" -- fs </dev/null
	assert_eq "before: /data/hello.txt: hello from the disk" "$(cat "$T/out")"
	# The disk as it was at the snapshot, under another name: what a restore must be given.
	cp "$T/fs.img" "$T/copy.img"
	cp "$T/fs.img" "$T/fs.orig"
	assert_exit 0 "$MICA" run --restore "$T/f.snap" --disk "$T/copy.img" </dev/null
	assert_eq $'after: restored=1\nafter: /data/hello.txt: hello from the disk\nafter: write ok\nafter: /data/after.txt: written after the restore' \
		"$(cat "$T/out")"
	e2fsck -fn "$T/copy.img" >"$T/fsck" 2>&1 || { echo "error: e2fsck found the restore's disk unclean:"; cat "$T/fsck"; return 1; }
	assert_eq "written after the restore" "$(debugfs -R 'cat /after.txt' "$T/copy.img" 2>/dev/null)"
	cmp -s "$T/fs.img" "$T/fs.orig" || { echo "error: the snapshot's disk file changed after the restore"; return 1; }
}

test_snapshot_dev_restore_needs_as_many_disks_and_nics() {
	sdev_disk "$T/a.img" 1M "a"
	assert_exit 0 "$MICA" run --snapshot "$T/r.snap" --disk "$T/a.img" "$(image snapdev)" -- raw </dev/null
	assert_exit 125 "$MICA" run --restore "$T/r.snap" </dev/null
	assert_eq "mica: $T/r.snap: the guest was saved with 1 --disk and 0 --net, this restore gives 0 and 0; give as many as it had" \
		"$(cat "$T/err")"
	# A function instance gets no devices: the gateway refuses such a snapshot before it listens.
	assert_exit 125 "$MICA" serve --listen 127.0.0.1:0 --function "d=$T/r.snap" </dev/null
	assert_eq "mica: --function d: $T/r.snap was saved with a disk or a NIC; mica serve runs snapshots of guests without devices" \
		"$(cat "$T/err")"
	assert_exit 125 "$MICA" run --restore "$T/r.snap" --disk "$T/a.img" --disk "$T/a.img,name=b" </dev/null
	assert_contains "$(cat "$T/err")" "this restore gives 2 and 0"
	assert_exit 125 "$MICA" run --restore "$T/r.snap" --disk "$T/a.img" --net tap=r2nosuch0 </dev/null
	assert_contains "$(cat "$T/err")" "this restore gives 1 and 1"
	assert_exit 125 "$MICA" run --restore "$T/r.snap" --disk "$T/missing.img" </dev/null
	assert_eq "mica: --disk $T/missing.img: cannot open read-write: No such file or directory" "$(cat "$T/err")"
	# A guest saved without devices takes none either.
	assert_exit 0 "$MICA" run --snapshot "$T/x.snap" "$(image snapdev)" -- xs </dev/null
	assert_exit 125 "$MICA" run --restore "$T/x.snap" --disk "$T/a.img" </dev/null
	assert_contains "$(cat "$T/err")" "saved with 0 --disk and 0 --net, this restore gives 1 and 0"
}

# sdev_udp NS MESSAGE: sends MESSAGE to the guest's UDP port 7007 from NS, prints the answer.
sdev_udp() {
	netns_exec "$1" "$netns_python" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.sendto(sys.argv[1].encode(), ("10.0.0.2", 7007))
if sys.argv[1] != "quit":
    print(s.recvfrom(512)[0].decode())
' "$2"
}

test_snapshot_dev_nic_answers_after_restore() {
	local ns guest
	netns_new ns
	netns_tap "$ns" mtap0 10.0.0.1/24
	assert_exit 0 netns_exec "$ns" "$MICA" run --snapshot "$T/n.snap" --net tap=mtap0,ip=10.0.0.2/24 \
		"$(image snapdev)" -- net </dev/null
	assert_eq "before: bound" "$(cat "$T/out")"
	netns_start "$ns" "$T/guest.out" timeout 120 "$MICA" run --restore "$T/n.snap" --net tap=mtap0,ip=10.0.0.2/24
	guest=$netns_pid
	netns_wait_for "$T/guest.out" "after: restored=1" 30 "$guest"
	netns_exec "$ns" ping -c 1 -W 10 10.0.0.2 >"$T/ping" 2>&1 ||
		{ echo "error: the restored guest does not answer ping:"; cat "$T/ping"; return 1; }
	assert_eq "echo: over the new ring" "$(sdev_udp "$ns" "over the new ring")"
	sdev_udp "$ns" quit
	wait "$guest" || { echo "error: the restored guest exited with $?"; cat "$T/guest.out"; return 1; }
	assert_eq $'after: restored=1\nafter: served 1' "$(cat "$T/guest.out")"
}

test_snapshot_dev_restored_guest_that_never_connects_its_disk_ends_normally() {
	sdev_disk "$T/a.img" 1M "never opened"
	# xs mode never opens disk 0: its backend waits in InitWait through the whole run, twice.
	assert_exit 0 "$MICA" run --snapshot "$T/x.snap" --disk "$T/a.img" "$(image snapdev)" -- xs </dev/null
	assert_exit 0 "$MICA" run --stats --restore "$T/x.snap" --disk "$T/a.img,name=spare" </dev/null
	assert_file_contains "$T/out" "after: xs_read device/vbd/0/name = spare"
	assert_file_contains "$T/err" "stats: disk0: 0 reads (0 bytes), 0 writes (0 bytes)"
	assert_exit 0 "$MICA" run --restore "$T/x.snap" --disk "$T/a.img" </dev/null
	assert_file_contains "$T/out" "after: xs_read device/vbd/0/name = disk0"
}
