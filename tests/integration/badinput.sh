# mica refuses bad images and bad command lines with one line naming the problem, and exit 125.

# patch FILE OFFSET HEX...: overwrites bytes in place.
patch() {
	local file=$1 off=$2
	shift 2
	printf "$(printf '\\x%s' "$@")" | dd of="$file" bs=1 seek="$off" conv=notrunc status=none
}

# refused MESSAGE-PART ARGS...: mica run ARGS must fail with 125 and one stderr line containing it.
refused() {
	local want=$1
	shift
	assert_exit 125 "$MICA" "$@"
	assert_eq 1 "$(wc -l <"$T/err")" "stderr lines"
	assert_contains "$(cat "$T/err")" "$want"
	assert_eq "" "$(cat "$T/out")" "stdout"
}

hello_copy() {
	cp "$(image helloworld)" "$T/img"
	echo "$T/img"
}

test_missing_file() {
	refused "$T/nope: cannot open: No such file or directory" run "$T/nope"
}

test_not_an_elf() {
	echo "just text" >"$T/img"
	refused "$T/img: not an ELF file" run "$T/img"
}

test_empty_file() {
	: >"$T/img"
	refused "$T/img: empty file" run "$T/img"
}

test_directory() {
	refused "$T: not a regular file" run "$T"
}

test_wrong_class() {
	patch "$(hello_copy)" 4 01
	refused "not a 64-bit ELF file" run "$T/img"
}

test_wrong_arch() {
	patch "$(hello_copy)" 18 b7 00
	refused "not x86_64" run "$T/img"
}

test_truncated_file() {
	head -c 3000 "$(image helloworld)" >"$T/img"
	refused "$T/img:" run "$T/img"
	assert_contains "$(cat "$T/err")" "outside the file"
}

test_host_binary_is_not_an_image() {
	refused "not an executable" run /bin/true
}

test_writable_executable_segment() {
	# The first program header (text) starts at 64; p_flags is its second word.
	patch "$(hello_copy)" 68 07
	refused "W+X" run "$T/img"
}

test_entry_outside_image() {
	patch "$(hello_copy)" 24 00 00 00 40 00 00 00 00
	refused "entry" run "$T/img"
}

# note_name FILE: offset of the Mica note's name, found by its header (namesz 5, descsz 48,
# type 1): the greeting in the image says "Mica" too.
note_name() {
	LC_ALL=C grep -obUaP '\x05\x00\x00\x00\x30\x00\x00\x00\x01\x00\x00\x00Mica\x00' "$1" |
		head -n 1 | cut -d: -f1 | { read -r off && echo $((off + 12)); }
}

# The descriptor follows the name, padded to 8 bytes.
note_desc() {
	echo $(($(note_name "$1") + 8))
}

test_missing_note() {
	patch "$(hello_copy)" "$(note_name "$T/img")" 4e 6f 70 65
	refused "no Mica note" run "$T/img"
}

test_newer_abi() {
	patch "$(hello_copy)" "$(note_desc "$T/img")" 07
	refused "built for Mica ABI 7, this mica speaks ABI 1" run "$T/img"
}

test_image_for_kvm_given_to_proc() {
	patch "$(hello_copy)" $(($(note_desc "$T/img") + 4)) 02
	refused "built for the kvm platform" run --backend proc "$T/img"
}

test_unknown_device() {
	patch "$(hello_copy)" $(($(note_desc "$T/img") + 8)) 00 01
	refused "device" run "$T/img"
}

test_mem_too_small() {
	refused "too small for this image" run --mem 16K "$(image helloworld)"
}

test_mem_unparsable() {
	refused "--mem '12Q' is not a size" run --mem 12Q "$(image helloworld)"
	refused "--mem '-1M' is not a size" run --mem=-1M "$(image helloworld)"
	refused "--mem '1000' must be a multiple of 4K" run --mem 1000 "$(image helloworld)"
	refused "at most 64G" run --mem 65G "$(image helloworld)"
}

test_bad_timeout() {
	refused "--timeout 'soon' is not a number" run --timeout soon "$(image helloworld)"
	refused "--timeout '0' is not a number of seconds above 0" run --timeout 0 "$(image helloworld)"
}

test_unknown_option_and_missing_values() {
	refused "unknown option '--frobnicate'" run --frobnicate "$(image helloworld)"
	refused "--mem needs a value" run --mem
	refused "no image given" run
	refused "--backend 'xen' is not one of proc, kvm" run --backend xen "$(image helloworld)"
}

test_proc_image_given_to_kvm() {
	refused "image was built for the proc platform, not for --backend kvm" run --backend kvm "$(image helloworld)"
}

# In a mount namespace whose /dev is empty, as on a host without KVM (like this one and CI).
test_kvm_without_dev_kvm_names_the_alternative() {
	local img
	img=$(kvm_image helloworld)
	# shellcheck disable=SC2016 # $0 and $1 belong to the inner sh
	assert_exit 125 unshare -m sh -c 'mount -t tmpfs none /dev && exec "$0" run "$1"' "$MICA" "$img"
	assert_eq "mica: --backend kvm: /dev/kvm does not exist: this host offers no hardware virtualization (load kvm-intel or kvm-amd), or run a proc image with --backend proc" "$(cat "$T/err")"
}

# The Xen note's type (4 bytes before its name) turned into one mica does not know: no entry point.
test_kvm_image_without_pvh_note() {
	local name
	cp "$(kvm_image helloworld)" "$T/img"
	name=$(grep -obUaP 'Xen\x00' "$T/img" | head -n 1 | cut -d: -f1)
	patch "$T/img" $((name - 4)) 7f
	refused "image has no Xen PVH entry note" run "$T/img"
}

test_command_line_too_long() {
	refused "longer than the 1023 bytes" run "$(image helloworld)" "$(head -c 1100 /dev/zero | tr '\0' x)"
}

test_unknown_command() {
	refused "unknown command 'frob'" frob
}
