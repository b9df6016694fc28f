# Assertion helpers for integration tests; tests/run sources this file before each tests/integration/*.sh.
# shellcheck shell=bash
#
# An integration file only defines functions named test_*. tests/run calls each in its own bash under
# `set -eEuo pipefail` with a 60 s timeout, so the first failing assertion (or any failing command)
# ends the test. The environment has $MICA (the runtime), $IMAGES (guest images), $SRC (the repo)
# and $T (a scratch directory, fresh for each test and removed after it). Example:
#
#   test_helloworld_greets() {
#       assert_exit 0 "$MICA" run "$(image helloworld)" -- a b
#       assert_file_contains "$T/out" "Hello from Mica"
#       assert_eq "arg 2: b" "$(tail -n 1 "$T/out")" "last line"
#       assert_not_contains "$(cat "$T/err")" "panic"
#   }
#
# Every message starts with "error: "; tests/run reports the first such line as the failure reason.
# A test must wait for every mica it starts: one still alive when the test returns fails it.

# _mica_say MESSAGE [LABEL VALUE]...: prints "error: MESSAGE" and the values, one-line ones
# inline (quoted), longer ones as indented blocks. The assertions return 1 themselves, so the
# ERR trap of tests/run names the test's line rather than one in here.
_mica_say() {
	local msg=$1 blocks=
	shift
	while (($# >= 2)); do
		if [[ $2 == *$'\n'* ]]; then
			msg+=" $1 (below)"
			blocks+="  $1:"$'\n'"$(sed 's/^/    | /' <<<"$2")"$'\n'
		else
			msg+=" $1 '$2'"
		fi
		shift 2
	done
	printf 'error: %s\n%s' "$msg" "$blocks" >&2
}

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
	[[ $1 == "$2" ]] && return 0
	_mica_say "assert_eq${3:+ ($3)}:" expected "$1" got "$2"
	return 1
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
	[[ $1 == *"$2"* ]] && return 0
	_mica_say "assert_contains${3:+ ($3)}:" missing "$2" in "$1"
	return 1
}

# assert_not_contains HAYSTACK NEEDLE [WHAT]
assert_not_contains() {
	[[ $1 != *"$2"* ]] && return 0
	_mica_say "assert_not_contains${3:+ ($3)}:" unwanted "$2" in "$1"
	return 1
}

# assert_exit CODE CMD [ARGS...]: runs CMD with stdout in $T/out and stderr in $T/err; its stdin is
# the caller's (the runner gives tests /dev/null), so `assert_exit 0 cmd <file` feeds it.
assert_exit() {
	local want=$1 rc=0
	shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	((rc == want)) && return 0
	printf 'error: assert_exit: expected status %s, got %s from: %s\n' "$want" "$rc" "$*" >&2
	printf -- '--- stdout (last 20 lines)\n' >&2
	tail -n 20 "$T/out" >&2
	printf -- '--- stderr (last 20 lines)\n' >&2
	tail -n 20 "$T/err" >&2
	return 1
}

# assert_file_contains FILE NEEDLE
assert_file_contains() {
	if [[ ! -f $1 ]]; then
		printf 'error: assert_file_contains: no file %s\n' "$1" >&2
		return 1
	fi
	grep -qF -- "$2" "$1" && return 0
	printf "error: assert_file_contains: '%s' not found in %s; its last 20 lines:\n" "$2" "$1" >&2
	tail -n 20 "$1" | sed 's/^/    | /' >&2
	return 1
}

# image_for PLAT NAME: the path of NAME's image for platform PLAT, built by tests/run from apps/NAME
# or tests/apps/NAME.
image_for() {
	local path=$IMAGES/$2/$2_$1-x86_64
	if [[ ! -f $path ]]; then
		printf 'error: image %s was not built (no %s)\n' "$2" "$path" >&2
		return 1
	fi
	printf '%s\n' "$path"
}

# image NAME: NAME's proc image. kvm_image NAME: its kvm image (a PVH guest).
image() { image_for proc "$1"; }
kvm_image() { image_for kvm "$1"; }

# qemu_plain IMAGE APPEND [QEMU OPTION]...: boots the kvm image IMAGE under plain QEMU (TCG, no Xen
# ABI: the guest uses COM1 and ACPI poweroff), with kernel command line APPEND and the silent qboot
# firmware, so stdout is exactly the guest's serial output, "\r\n" as "\n". stdin feeds the serial
# port. The status is QEMU's; after 30 s QEMU is killed (124). Meant for assert_exit.
qemu_plain() {
	local image=$1 append=$2
	shift 2
	timeout -k 5 30 qemu-system-x86_64 -accel tcg -bios qboot.rom -nodefaults -nographic \
		-serial stdio -no-reboot -m 64M -kernel "$image" -append "$append" "$@" | tr -d '\r'
	return "${PIPESTATUS[0]}"
}
