# The proc sandbox: which host calls a hostile guest can make, and what its process can see.

# sysprobe_outcome NR MODE ARGS...: prints "allowed" if the call returned or exited the guest
# process itself, "forbidden" if mica reported it and stopped the guest, "kernel-stopped" if the
# host kernel killed the caller before seccomp could (Linux >= 6.11 lets the uretprobe and uprobe
# calls bypass filters and answers callers outside a probe trampoline with SIGILL), else
# "other: ...".
sysprobe_outcome() {
	local nr=$1 mode=$2 rc=0
	shift 2
	"$MICA" run "$(image sysprobe)" "$mode" "$nr" "$@" >"$T/out" 2>"$T/err" || rc=$?
	if [[ $rc == 122 ]] && grep -q "^mica: guest made a forbidden host call: " "$T/err"; then
		echo forbidden
	elif [[ $rc == 123 ]] && grep -qx "mica: guest crashed: invalid instruction (SIGILL)" "$T/err"; then
		echo kernel-stopped
	elif grep -qx "sysprobe: returned -6" "$T/out" && [[ $(syscall_name "$nr") == uprobe ]]; then
		echo kernel-stopped # -ENXIO: not called from a uprobe trampoline
	elif grep -q "^sysprobe: returned" "$T/out" || grep -q "exited without a shutdown hypercall" "$T/err"; then
		echo allowed
	else
		echo "other: status $rc, $(head -c 200 "$T/err")"
	fi
}

# syscall_name NR: the kernel's name for NR, from the headers, or the kernels that added it.
syscall_name() {
	case $1 in
	335) echo uretprobe ;; # Linux 6.11; newer than the headers of Debian 12
	336) echo uprobe ;;    # Linux 6.16
	*) awk -v nr="$1" '$1 == "#define" && $3 == nr { sub(/^__NR_/, "", $2); print $2 }' \
		/usr/include/x86_64-linux-gnu/asm/unistd_64.h ;;
	esac
}

test_every_syscall_number_is_stopped_except_the_allow_list() {
	local nr max allowed=() outcome
	max=$(awk '$1 == "#define" && $2 ~ /^__NR_/ && $3 ~ /^[0-9]+$/ && $3 > m { m = $3 } END { print m }' \
		/usr/include/x86_64-linux-gnu/asm/unistd_64.h)
	# Every number the kernel knows plus a margin, x32 numbers, and garbage, all with zeroed arguments.
	for nr in $(seq 0 $((max + 8))) 1073741824 1073741825 1073742336 -1 4294967295; do
		outcome=$(sysprobe_outcome "$nr" page 0 0 0 0 0 0)
		case $outcome in
		forbidden) ;;
		kernel-stopped) [[ $(syscall_name "$nr") == uretprobe || $(syscall_name "$nr") == uprobe ]] ||
			{ echo "error: nr $nr killed by SIGILL before mica saw it" >&2; return 1; } ;;
		allowed) allowed+=("$nr") ;;
		*) echo "error: nr $nr: $outcome" >&2; return 1 ;;
		esac
	done
	# With zeroed arguments only exit_group gets through (futex op 0 is FUTEX_WAIT, code 0 no SET_FS).
	assert_eq "231" "${allowed[*]}" "calls that got through with zero arguments"
}

test_allowed_calls_only_with_allowed_arguments() {
	assert_eq allowed "$(sysprobe_outcome 202 page 0x100000 1 1)" "futex(FUTEX_WAKE)"
	assert_eq forbidden "$(sysprobe_outcome 202 page 0x100000 0 1)" "futex(FUTEX_WAIT)"
	assert_eq forbidden "$(sysprobe_outcome 202 page 0x100000 0x81 1)" "futex(FUTEX_WAKE_PRIVATE)"
	assert_eq forbidden "$(sysprobe_outcome 202 page 0x100000 0x100000001 1)" "futex(op with high bits)"
	assert_eq allowed "$(sysprobe_outcome 158 page 0x1002 0x200000)" "arch_prctl(ARCH_SET_FS)"
	assert_eq forbidden "$(sysprobe_outcome 158 page 0x1001 0x200000)" "arch_prctl(ARCH_SET_GS)"
	assert_eq forbidden "$(sysprobe_outcome 158 page 0x1003 0x200000)" "arch_prctl(ARCH_GET_FS)"
	assert_eq allowed "$(sysprobe_outcome 231 page 7)" "exit_group"
}

test_allowed_calls_are_stopped_outside_the_hypercall_page() {
	assert_eq forbidden "$(sysprobe_outcome 202 direct 0x100000 1 1)" "futex(FUTEX_WAKE) from guest code"
	assert_eq forbidden "$(sysprobe_outcome 158 direct 0x1002 0x200000)" "arch_prctl(ARCH_SET_FS) from guest code"
	assert_eq forbidden "$(sysprobe_outcome 231 direct 0)" "exit_group from guest code"
	assert_eq forbidden "$(sysprobe_outcome 4125 direct 0)" "a hypercall number from guest code"
}

test_forbidden_call_is_named() {
	assert_exit 122 "$MICA" run "$(image sysprobe)" page 257 0 0
	assert_eq "mica: guest made a forbidden host call: openat (nr 257)" "$(cat "$T/err")"
}

test_32bit_syscall_gate_kills_guest() {
	# int 0x80 is outside the x86_64 ABI: with IA32 emulation the filter kills the process
	# (SIGSYS); kernels without it fault the instruction (SIGSEGV). Either way nothing runs.
	local rc=0
	"$MICA" run "$(image guestctl)" int80 >"$T/out" 2>"$T/err" || rc=$?
	case "$rc $(cat "$T/err")" in
	"122 mica: guest made a forbidden host call: a system call outside the x86_64 ABI (SIGSYS)") ;;
	"123 mica: guest crashed: invalid memory access (SIGSEGV)") ;;
	*) echo "error: int 0x80 gave status $rc: $(cat "$T/err")" >&2; return 1 ;;
	esac
}

test_guest_walk_finds_only_ram_and_hypercall_page() {
	assert_exit 0 "$MICA" run --mem 8M "$(image addrspace)"
	assert_file_contains "$T/out" ", 0 foreign pages"
}

test_guest_process_maps_only_ram_and_hypercall_page() {
	local pid gpid maps
	"$MICA" run --mem 8M "$(image addrspace)" hold >"$T/out" 2>"$T/err" &
	pid=$!
	for _ in $(seq 1000); do grep -q holding "$T/out" && break; sleep 0.01; done
	assert_file_contains "$T/out" "addrspace: holding"
	gpid=$(pgrep -x mica-guest -P "$pid")
	maps=$(cat "/proc/$gpid/maps")
	kill -TERM "$pid"
	wait "$pid" || true
	# Every mapping is the guest RAM memfd (split by segment permissions), the hypercall page
	# (same memfd, past RAM), or the kernel's fixed vsyscall page, which no process can unmap.
	local line range start end bad=
	while read -r line; do
		range=${line%% *}
		start=$((16#${range%-*})) end=$((16#${range#*-}))
		case $line in
		*/memfd:mica-guest-ram\ \(deleted\))
			# RAM is [1 MiB, 9 MiB); the hypercall page is the page below it.
			((start >= 0xff000 && end <= 0x900000)) || bad+="$line"$'\n' ;;
		*\[vsyscall\]) ;;
		*) bad+="$line"$'\n' ;;
		esac
	done <<<"$maps"
	assert_eq "" "$bad" "mappings other than guest RAM, the hypercall page and vsyscall"
	assert_contains "$maps" "000ff000-00100000 r-xs" "hypercall page"
}
