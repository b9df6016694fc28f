# Crash durability on an ext4 disk: mica is killed with SIGKILL while the guest appends and fsyncs a
# numbered log (tests/apps/fstest log); every line the guest reported synced must be in the file.
# shellcheck shell=bash

# crash_trial N: one run killed after at least N synced lines; fails if a synced line is missing.
crash_trial() {
	local want=$1 pid synced=0 deadline=$((SECONDS + 90))
	rm -f "$T/c.img"
	mke2fs -q -t ext4 "$T/c.img" 8M >"$T/mke2fs.log" 2>&1 || { cat "$T/mke2fs.log" >&2; return 1; }
	"$MICA" run --timeout 120 --disk "$T/c.img" --mount /data=disk0 "$(image fstest)" log 0 \
		>"$T/log.out" 2>"$T/log.err" </dev/null &
	pid=$!
	# Polls the guest's progress: the kill point is a line count, reached at the machine's pace.
	while ((synced < want)); do
		if ((SECONDS > deadline)) || ! kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			echo "error: the guest stopped or stalled at $synced synced lines (wanted $want)" >&2
			cat "$T/log.err" >&2
			tail -n 5 "$T/log.out" >&2
			return 1
		fi
		sleep 0.02
		synced=$(grep -c '^synced [0-9]*$' "$T/log.out" || true)
	done
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	# Only whole lines count: the last one may have been cut by the kill.
	synced=$(grep '^synced [0-9]*$' "$T/log.out" | tail -n 1 | cut -d' ' -f2)
	debugfs -R 'cat /log' "$T/c.img" 2>/dev/null | head -n "$synced" >"$T/log.disk"
	seq -f 'line %g' 1 "$synced" >"$T/log.want"
	if ! cmp -s "$T/log.want" "$T/log.disk"; then
		echo "error: $synced lines were reported synced, but the disk's /log has only:" >&2
		diff "$T/log.want" "$T/log.disk" | head -n 5 >&2
		return 1
	fi
	echo "trial: killed after $synced synced lines, all on the disk"
}

test_disk_crash_synced_lines_survive_sigkill() {
	local trial
	for trial in 1 2 3 4 5; do
		crash_trial $((200 + RANDOM % 300)) || return 1
	done
}
