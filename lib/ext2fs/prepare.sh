#!/usr/bin/env bash
# Generates what e2fsprogs' configure and make would before lib/ext2fs compiles: the error
# table (ext2_err.h/.c, com_err's awk scripts), ext2_types.h and crc32c_table.h. Usage: prepare.sh SRC
set -euo pipefail
src=$1
cd "$src/lib/ext2fs"
version=$(sed -n 's/^#define E2FSPROGS_VERSION "\(.*\)"/\1/p' ../../version.h)
sed "s/@E2FSPROGS_VERSION@/$version/" ext2_err.et.in >ext2_err.et
awk -f ../et/et_h.awk outfile=ext2_err.h outfn=ext2_err.h ext2_err.et
awk -f ../et/et_c.awk outfile=ext2_err.c outfn=ext2_err.c ext2_err.et
# x86_64 (LP64): what configure finds there, and no asm/types.h.
sed -e 's/@ASM_TYPES_HEADER@//' -e 's/@SIZEOF_SHORT@/2/g' -e 's/@SIZEOF_INT@/4/g' \
	-e 's/@SIZEOF_LONG@/8/g' -e 's/@SIZEOF_LONG_LONG@/8/g' -e 's/@PUBLIC_CONFIG_HEADER@//' ext2_types.h.in >ext2_types.h
# A host program: the table only depends on the CRC polynomial.
${HOSTCC:-gcc} -O -o gen_crc32ctable gen_crc32ctable.c
./gen_crc32ctable >crc32c_table.h
rm -f gen_crc32ctable
