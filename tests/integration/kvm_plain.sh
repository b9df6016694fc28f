# kvm images as PVH guests of plain QEMU (TCG: no /dev/kvm, no Xen ABI): COM1 console, ACPI and
# isa-debug-exit poweroff, exit statuses, CPU fault reports, TSC time, initrd. With isa-debug-exit
# QEMU exits with (status << 1) | 1, and a crash writes status 123: 247.

test_kvm_plain_hello_as_documented() {
	# The command line of the README, default firmware included: QEMU must end by itself.
	assert_exit 0 timeout -k 5 30 qemu-system-x86_64 -kernel "$(kvm_image helloworld)" -nographic \
		-append "a b"
	tr -d '\r' <"$T/out" >"$T/serial"
	assert_file_contains "$T/serial" "Hello from Mica"
	assert_eq "arg 1: a
arg 2: b" "$(tail -n 2 "$T/serial")" "last lines"
}

test_kvm_plain_hello_output_is_exact() {
	assert_exit 0 qemu_plain "$(kvm_image helloworld)" 'a b c\ d'
	assert_eq "Hello from Mica
arg 1: a
arg 2: b
arg 3: c d" "$(cat "$T/out")" "serial output"
}

test_kvm_plain_exit_status_reaches_qemu() {
	assert_exit 15 qemu_plain "$(kvm_image guestctl)" "status 7" -device isa-debug-exit,iobase=0xf4,iosize=0x04
	assert_exit 1 qemu_plain "$(kvm_image guestctl)" "status 0" -device isa-debug-exit,iobase=0xf4,iosize=0x04
	assert_eq "" "$(cat "$T/out")" "output"
}

test_kvm_plain_cpu_faults_report_vector_and_registers() {
	local img cmd name rip text_start text_size
	local -A names=([ud2]="#UD (vector 6)" [segv]="#PF (vector 14)" [divide]="#DE (vector 0)"
		[gp]="#GP (vector 13)")
	img=$(kvm_image guestctl)
	read -r text_start text_size < <(readelf -lW "$img" | awk '$1 == "LOAD" && $7 $8 == "RE" { print $3, $6 }')
	for cmd in ud2 segv divide gp; do
		name=${names[$cmd]}
		assert_exit 247 qemu_plain "$img" "$cmd" -device isa-debug-exit,iobase=0xf4,iosize=0x04
		rip=$(sed -n "1s/^crash: ${name//[()]/.}, error code 0x[0-9a-f]*, at rip \(0x[0-9a-f]*\).*/\1/p" "$T/out")
		[[ -n $rip ]] || { echo "error: no '$name' report for guestctl $cmd: $(head -n 1 "$T/out")" >&2; return 1; }
		((rip >= text_start && rip < text_start + text_size)) ||
			{ echo "error: guestctl $cmd: rip $rip is outside the image's code" >&2; return 1; }
		assert_eq 6 "$(wc -l <"$T/out")" "report lines for $cmd"
		assert_file_contains "$T/out" "  r12 0x"
		assert_file_contains "$T/out" "  cs 0x8  ss 0x10"
	done
	# The last report, gp: the non-canonical address it dereferenced is in a register.
	assert_file_contains "$T/out" "rax 0x8000000000000000"
	assert_exit 247 qemu_plain "$(kvm_image guestctl)" segv -device isa-debug-exit,iobase=0xf4,iosize=0x04
	assert_contains "$(head -n 1 "$T/out")" ", cr2 0x8" "page fault report"
}

test_kvm_plain_stack_overflow_hits_the_guard() {
	assert_exit 247 qemu_plain "$(kvm_image guestctl)" overflow -device isa-debug-exit,iobase=0xf4,iosize=0x04
	assert_contains "$(head -n 1 "$T/out")" "crash: #DF (vector 8)"
	assert_file_contains "$T/out" "rflags 0x"
}

test_kvm_plain_crash_call_ends_with_crash_status() {
	assert_exit 247 qemu_plain "$(kvm_image guestctl)" crash -device isa-debug-exit,iobase=0xf4,iosize=0x04
	assert_eq "guestctl: crashing on purpose" "$(cat "$T/out")"
}

test_kvm_plain_sleep_follows_real_time() {
	local t0 t1 t2 us base slept
	t0=$(date +%s%N)
	assert_exit 0 qemu_plain "$(kvm_image guestctl)" "sleep 0"
	t1=$(date +%s%N)
	assert_exit 0 qemu_plain "$(kvm_image guestctl)" "sleep 1000"
	t2=$(date +%s%N)
	us=$(sed -n 's/^guestctl: slept \([0-9]*\) us for 1000 ms$/\1/p' "$T/out")
	[[ -n $us && $us -ge 1000000 ]] || { echo "error: slept ${us:-?} us for 1000 ms" >&2; return 1; }
	# Against the host's clock, with QEMU's own start-up (the 0 ms run) taken out.
	base=$(((t1 - t0) / 1000000))
	slept=$(((t2 - t1) / 1000000 - base))
	((slept >= 800 && slept <= 1600)) ||
		{ echo "error: a 1000 ms guest sleep took $slept ms of host time (start-up $base ms)" >&2; return 1; }
}

test_kvm_plain_console_input() {
	assert_exit 0 qemu_plain "$(kvm_image guestctl)" "read 5" <<<"hello"
	assert_eq "guestctl: read 5 bytes: 'hello'" "$(cat "$T/out")"
}

test_kvm_plain_has_no_event_channels_or_upcalls() {
	assert_exit 0 qemu_plain "$(kvm_image guestctl)" bindecho
	assert_eq "guestctl: bind echo: -38" "$(cat "$T/out")" "an event channel hypercall (-XEN_ENOSYS)"
	assert_exit 0 qemu_plain "$(kvm_image guestctl)" "upcalls 5"
	assert_eq "guestctl: upcalls 0" "$(cat "$T/out")"
}

test_kvm_plain_posix_suite_passes() {
	assert_exit 0 qemu_plain "$(kvm_image posix)" ""
	grep -qE '^posix: [0-9]+ checks, 0 failed$' "$T/out" ||
		{ echo "error: posix suite: $(tail -n 1 "$T/out")" >&2; return 1; }
	assert_not_contains "$(cat "$T/out")" "not ok -"
}

test_kvm_plain_initrd_reaches_the_guest() {
	mkdir -p "$T/root/etc" && printf 'from the initrd' >"$T/root/etc/motd"
	printf 'print(io.open("/etc/motd"):read("a"))\n' >"$T/root/motd.lua"
	(cd "$T/root" && find . | cpio -o -H newc --quiet) >"$T/root.cpio"
	assert_exit 0 qemu_plain "$(kvm_image lua)" /motd.lua -initrd "$T/root.cpio"
	assert_eq "from the initrd" "$(cat "$T/out")"
}

test_kvm_plain_image_notes_and_size() {
	local img entry size
	img=$(kvm_image helloworld)
	assert_exit 0 "$MICA" inspect "$img"
	assert_file_contains "$T/out" "platform:   kvm"
	entry=$(sed -n 's/^entry: *//p' "$T/out")
	assert_file_contains "$T/out" "pvh entry:  $entry"
	# QEMU finds the PVH entry at the note name rounded up to the segment's alignment.
	assert_eq 0x4 "$(readelf -lW "$img" | awk '$1 == "NOTE" { print $NF }')" "PT_NOTE alignment"
	size=$(stat -c %s "$img")
	((size <= 32768)) || { echo "error: $img is $size bytes, over 32 KiB" >&2; return 1; }
}
