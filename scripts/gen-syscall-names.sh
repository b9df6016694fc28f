#!/usr/bin/env bash
# Emits a C table of x86_64 system call names indexed by number, from the kernel UAPI header:
# a lookup function for the runtime, or with --guest a header for the guest's syscall layer.
set -euo pipefail
hdr=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
[ -r "$hdr" ] || { echo "gen-syscall-names: $hdr missing (install linux-libc-dev)" >&2; exit 1; }
table() {
	awk '$1 == "#define" && $2 ~ /^__NR_/ && $3 ~ /^[0-9]+$/ { sub(/^__NR_/, "", $2); printf "\t[%d] = \"%s\",\n", $3, $2 }' "$hdr"
}
echo '/* Generated from '"$hdr"' by scripts/gen-syscall-names.sh. */'
if [ "${1:-}" = --guest ]; then
	echo 'static const char *const syscall_names[] = {'
	table
	echo '};'
	exit 0
fi
echo '#include "util/syscall_names.h"'
echo 'static const char *const syscall_name_table[] = {'
table
echo '};'
cat <<'C'
const char *syscall_name(long nr)
{
	if (nr < 0 || (unsigned long)nr >= sizeof(syscall_name_table) / sizeof(syscall_name_table[0]))
		return 0;
	return syscall_name_table[nr];
}
C
