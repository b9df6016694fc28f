/* unit-sources: runtime/image/image.c runtime/image/size.c runtime/image/inspect.c */
/* Unit tests of the image parser, fit check and inspect output on images built in memory. */
#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/elfnote.h>

#include "image/image.h"
#include "image/inspect.h"
#include "unit.h"

/*
 * The test image: ELF header, program headers, notes, a text page and a data page with bss.
 *   phdr 0  PT_NOTE  file 0x300              Mica note, then the Xen PVH entry note
 *   phdr 1  PT_LOAD  file 0x1000, 0x100000   r-x 0x100 bytes
 *   phdr 2  PT_LOAD  file 0x2000, 0x101000   rw- 0x10 bytes + bss up to 0x2000
 */
#define TEST_MAX_PH 12
#define TEST_PH_OFF 64
#define TEST_NOTE_OFF 0x300
#define TEST_TEXT_OFF 0x1000
#define TEST_DATA_OFF 0x2000
#define TEST_FILE_LEN 0x2010
#define TEST_BUF_SIZE 0x4000
#define TEST_ENTRY 0x100000
#define TEST_PVH_ENTRY 0x100010

struct test_fixture {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[TEST_MAX_PH];
	unsigned int nph;
	struct mica_note_image mica;
	uint32_t mica_type, mica_descsz;
	unsigned int mica_count;
	uint32_t xen_entry, xen_descsz;
	unsigned int xen_count;
	bool gnu_note;
};

static unsigned char test_file[TEST_BUF_SIZE];

static void test_fixture_init(struct test_fixture *f)
{
	memset(f, 0, sizeof *f);
	memcpy(f->eh.e_ident, ELFMAG, SELFMAG);
	f->eh.e_ident[EI_CLASS] = ELFCLASS64;
	f->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	f->eh.e_ident[EI_VERSION] = EV_CURRENT;
	f->eh.e_type = ET_EXEC;
	f->eh.e_machine = EM_X86_64;
	f->eh.e_version = EV_CURRENT;
	f->eh.e_entry = TEST_ENTRY;
	f->eh.e_phoff = TEST_PH_OFF;
	f->eh.e_ehsize = sizeof(Elf64_Ehdr);
	f->eh.e_phentsize = sizeof(Elf64_Phdr);
	f->eh.e_phnum = 3;
	f->nph = 3;
	f->ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = TEST_NOTE_OFF,
				 .p_vaddr = 0, .p_align = 4 };
	f->ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = TEST_TEXT_OFF,
				 .p_vaddr = 0x100000, .p_paddr = 0x100000, .p_filesz = 0x100,
				 .p_memsz = 0x100, .p_align = 0x1000 };
	f->ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = TEST_DATA_OFF,
				 .p_vaddr = 0x101000, .p_paddr = 0x101000, .p_filesz = 0x10,
				 .p_memsz = 0x2000, .p_align = 0x1000 };
	f->mica.abi_version = MICA_ABI_VERSION;
	f->mica.platform = MICA_PLAT_KVM;
	f->mica.devices = MICA_DEV_CONSOLE | MICA_DEV_ECHO;
	strcpy(f->mica.app, "testapp");
	f->mica_type = MICA_NOTE_IMAGE;
	f->mica_descsz = sizeof f->mica;
	f->mica_count = 1;
	f->xen_entry = TEST_PVH_ENTRY;
	f->xen_descsz = 4;
	f->xen_count = 1;
}

static size_t test_put_note(size_t at, const char *name, uint32_t type, const void *desc,
			    uint32_t descsz)
{
	Elf64_Nhdr nh = { .n_namesz = (uint32_t)strlen(name) + 1, .n_descsz = descsz, .n_type = type };

	memcpy(test_file + at, &nh, sizeof nh);
	at += sizeof nh;
	memcpy(test_file + at, name, nh.n_namesz);
	at += (nh.n_namesz + 3u) & ~3u;
	memcpy(test_file + at, desc, descsz);
	return at + ((descsz + 3u) & ~3u);
}

/* Writes the fixture to test_file (PT_NOTE 0 sized to the notes written) and returns its length. */
static size_t test_build(struct test_fixture *f)
{
	unsigned char mica_desc[64] = { 0 };
	unsigned char xen_desc[8] = { 0 };
	static const unsigned char build_id[20] = { 1, 2, 3 };
	size_t at = TEST_NOTE_OFF;
	unsigned int i;

	memset(test_file, 0, sizeof test_file);
	memcpy(mica_desc, &f->mica, sizeof f->mica);
	memcpy(xen_desc, &f->xen_entry, sizeof f->xen_entry);
	if (f->gnu_note)
		at = test_put_note(at, "GNU", NT_GNU_BUILD_ID, build_id, sizeof build_id);
	for (i = 0; i < f->mica_count; i++)
		at = test_put_note(at, MICA_NOTE_NAME, f->mica_type, mica_desc, f->mica_descsz);
	for (i = 0; i < f->xen_count; i++)
		at = test_put_note(at, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, xen_desc, f->xen_descsz);
	if (f->ph[0].p_type == PT_NOTE)
		f->ph[0].p_filesz = at - TEST_NOTE_OFF;
	memcpy(test_file, &f->eh, sizeof f->eh);
	memcpy(test_file + TEST_PH_OFF, f->ph, f->nph * sizeof f->ph[0]);
	memset(test_file + TEST_TEXT_OFF, 0x90, 0x100);
	memset(test_file + TEST_DATA_OFF, 0xaa, 0x10);
	return TEST_FILE_LEN;
}

/* Swaps the two PT_LOAD headers, so the data segment comes first. */
static void test_swap_loads(struct test_fixture *f)
{
	Elf64_Phdr t = f->ph[1];

	f->ph[1] = f->ph[2];
	f->ph[2] = t;
}

static void test_poke32(size_t at, uint32_t v)
{
	memcpy(test_file + at, &v, sizeof v);
}

static void test_poke_phdr64(unsigned int i, size_t field, uint64_t v)
{
	memcpy(test_file + TEST_PH_OFF + i * sizeof(Elf64_Phdr) + field, &v, sizeof v);
}

/* ---------------------------------------------------------------- rejections, one per case */

static size_t test_mk_short(struct test_fixture *f)
{
	test_build(f);
	return sizeof(Elf64_Ehdr) - 1;
}

static size_t test_mk_tiny(struct test_fixture *f)
{
	test_build(f);
	return 2;
}

static size_t test_mk_magic(struct test_fixture *f)
{
	size_t n = test_build(f);

	test_file[1] = 'X';
	return n;
}

static size_t test_mk_text(struct test_fixture *f)
{
	(void)f;
	memset(test_file, 0, sizeof test_file);
	strcpy((char *)test_file, "#!/bin/sh\necho hello\n");
	return strlen((char *)test_file);
}

static size_t test_mk_class(struct test_fixture *f)
{
	f->eh.e_ident[EI_CLASS] = ELFCLASS32;
	return test_build(f);
}

static size_t test_mk_data(struct test_fixture *f)
{
	f->eh.e_ident[EI_DATA] = ELFDATA2MSB;
	return test_build(f);
}

static size_t test_mk_machine(struct test_fixture *f)
{
	f->eh.e_machine = EM_386;
	return test_build(f);
}

static size_t test_mk_type(struct test_fixture *f)
{
	f->eh.e_type = ET_DYN;
	return test_build(f);
}

static size_t test_mk_phentsize(struct test_fixture *f)
{
	f->eh.e_phentsize = 32;
	return test_build(f);
}

static size_t test_mk_phoff_past(struct test_fixture *f)
{
	f->eh.e_phoff = 0x3000;
	return test_build(f);
}

static size_t test_mk_phoff_wrap(struct test_fixture *f)
{
	f->eh.e_phoff = UINT64_MAX - 8;
	return test_build(f);
}

static size_t test_mk_phnum_past(struct test_fixture *f)
{
	f->eh.e_phnum = 200;
	return test_build(f);
}

static size_t test_mk_phnum_edge(struct test_fixture *f)
{
	f->eh.e_phoff = TEST_FILE_LEN - 2 * sizeof(Elf64_Phdr) + 1;
	f->eh.e_phnum = 2;
	return test_build(f);
}

static size_t test_mk_no_load(struct test_fixture *f)
{
	f->ph[1].p_type = PT_NULL;
	f->ph[2].p_type = PT_NULL;
	return test_build(f);
}

static size_t test_mk_too_many(struct test_fixture *f)
{
	unsigned int i;

	for (i = 0; i < 7; i++)
		f->ph[3 + i] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R,
					     .p_vaddr = 0x200000 + i * 0x1000, .p_memsz = 0x10 };
	f->nph = f->eh.e_phnum = 10;
	return test_build(f);
}

static size_t test_mk_filesz(struct test_fixture *f)
{
	f->ph[2].p_filesz = 0x2001;
	return test_build(f);
}

static size_t test_mk_truncated(struct test_fixture *f)
{
	test_build(f);
	return TEST_FILE_LEN - 1;
}

static size_t test_mk_offset_wrap(struct test_fixture *f)
{
	f->ph[2].p_offset = UINT64_MAX - 4;
	return test_build(f);
}

static size_t test_mk_vaddr_wrap(struct test_fixture *f)
{
	f->ph[2].p_vaddr = UINT64_MAX - 0x1000;
	return test_build(f);
}

static size_t test_mk_vaddr_round_wrap(struct test_fixture *f)
{
	/* The end itself fits in 64 bits; rounding it up to a page would not. */
	f->ph[2].p_vaddr = UINT64_MAX - 0x2fff;
	f->ph[2].p_memsz = 0x2001;
	return test_build(f);
}

static size_t test_mk_below(struct test_fixture *f)
{
	f->ph[1].p_vaddr = MICA_RAM_BASE - 0x1000;
	f->eh.e_entry = f->ph[1].p_vaddr;
	return test_build(f);
}

static size_t test_mk_overlap(struct test_fixture *f)
{
	f->ph[2].p_vaddr = 0x100080;
	return test_build(f);
}

static size_t test_mk_share_page(struct test_fixture *f)
{
	f->ph[2].p_vaddr = 0x100f00;
	return test_build(f);
}

static size_t test_mk_overlap_unsorted(struct test_fixture *f)
{
	test_swap_loads(f);
	f->ph[2].p_vaddr = 0x102800;
	f->eh.e_entry = 0x102800;
	return test_build(f);
}

static size_t test_mk_wx(struct test_fixture *f)
{
	f->ph[1].p_flags = PF_R | PF_W | PF_X;
	return test_build(f);
}

static size_t test_mk_align(struct test_fixture *f)
{
	f->ph[1].p_align = 0x1800;
	return test_build(f);
}

static size_t test_mk_entry_out(struct test_fixture *f)
{
	f->eh.e_entry = 0x200000;
	return test_build(f);
}

static size_t test_mk_entry_data(struct test_fixture *f)
{
	f->eh.e_entry = 0x101000;
	return test_build(f);
}

static size_t test_mk_entry_end(struct test_fixture *f)
{
	f->eh.e_entry = 0x100100;
	return test_build(f);
}

static size_t test_mk_note_outside(struct test_fixture *f)
{
	size_t n = test_build(f);

	test_poke_phdr64(0, offsetof(Elf64_Phdr, p_offset), 0x3000);
	return n;
}

static size_t test_mk_note_wrap(struct test_fixture *f)
{
	size_t n = test_build(f);

	test_poke_phdr64(0, offsetof(Elf64_Phdr, p_offset), UINT64_MAX - 2);
	return n;
}

static size_t test_mk_note_unaligned(struct test_fixture *f)
{
	size_t n = test_build(f);

	test_poke_phdr64(0, offsetof(Elf64_Phdr, p_offset), TEST_NOTE_OFF + 2);
	return n;
}

static size_t test_mk_namesz(struct test_fixture *f)
{
	size_t n = test_build(f);

	test_poke32(TEST_NOTE_OFF + offsetof(Elf64_Nhdr, n_namesz), UINT32_MAX);
	return n;
}

static size_t test_mk_descsz(struct test_fixture *f)
{
	size_t n = test_build(f);

	test_poke32(TEST_NOTE_OFF + offsetof(Elf64_Nhdr, n_descsz), UINT32_MAX - 2);
	return n;
}

static size_t test_mk_note_tail(struct test_fixture *f)
{
	size_t n = test_build(f);

	test_poke_phdr64(0, offsetof(Elf64_Phdr, p_filesz), f->ph[0].p_filesz + 4);
	return n;
}

static size_t test_mk_note_cut(struct test_fixture *f)
{
	size_t n = test_build(f);

	test_poke_phdr64(0, offsetof(Elf64_Phdr, p_filesz), 40);
	return n;
}

static size_t test_mk_no_mica(struct test_fixture *f)
{
	f->mica_count = 0;
	return test_build(f);
}

static size_t test_mk_no_pt_note(struct test_fixture *f)
{
	f->ph[0].p_type = PT_NULL;
	return test_build(f);
}

static size_t test_mk_mica_type(struct test_fixture *f)
{
	f->mica_type = 2;
	return test_build(f);
}

static size_t test_mk_two_mica(struct test_fixture *f)
{
	f->mica_count = 2;
	return test_build(f);
}

static size_t test_mk_descsz_short(struct test_fixture *f)
{
	f->mica_descsz = 44;
	return test_build(f);
}

static size_t test_mk_descsz_long(struct test_fixture *f)
{
	f->mica_descsz = 52;
	return test_build(f);
}

static size_t test_mk_descsz_tiny(struct test_fixture *f)
{
	f->mica_descsz = 2;
	return test_build(f);
}

static size_t test_mk_abi(struct test_fixture *f)
{
	f->mica.abi_version = 7;
	return test_build(f);
}

static size_t test_mk_abi_grown(struct test_fixture *f)
{
	f->mica.abi_version = 2;
	f->mica_descsz = 56;
	return test_build(f);
}

static size_t test_mk_platform(struct test_fixture *f)
{
	f->mica.platform = 9;
	return test_build(f);
}

static size_t test_mk_platform0(struct test_fixture *f)
{
	f->mica.platform = 0;
	return test_build(f);
}

static size_t test_mk_devices(struct test_fixture *f)
{
	f->mica.devices |= 1u << 7;
	return test_build(f);
}

static size_t test_mk_reserved(struct test_fixture *f)
{
	f->mica.reserved = 1;
	return test_build(f);
}

static size_t test_mk_app_unterminated(struct test_fixture *f)
{
	memset(f->mica.app, 'a', sizeof f->mica.app);
	return test_build(f);
}

static size_t test_mk_app_empty(struct test_fixture *f)
{
	memset(f->mica.app, 0, sizeof f->mica.app);
	return test_build(f);
}

static size_t test_mk_app_escape(struct test_fixture *f)
{
	strcpy(f->mica.app, "a\033[2J");
	return test_build(f);
}

static size_t test_mk_xen_size(struct test_fixture *f)
{
	f->xen_descsz = 8;
	return test_build(f);
}

static size_t test_mk_two_xen(struct test_fixture *f)
{
	f->xen_count = 2;
	return test_build(f);
}

static size_t test_mk_xen_entry(struct test_fixture *f)
{
	f->xen_entry = 0x101000;
	return test_build(f);
}

static const struct {
	const char *what;
	size_t (*make)(struct test_fixture *f);
	const char *needle;
} test_rejects[] = {
	{ "rejects a file shorter than an ELF header", test_mk_short, "too short for an ELF header" },
	{ "rejects a 2-byte file", test_mk_tiny, "too short for an ELF header" },
	{ "rejects bad magic", test_mk_magic, "not an ELF file" },
	{ "rejects a shell script", test_mk_text, "not an ELF file" },
	{ "rejects ELFCLASS32", test_mk_class, "not a 64-bit ELF file" },
	{ "rejects big-endian", test_mk_data, "not a little-endian ELF file" },
	{ "rejects i386", test_mk_machine, "not x86_64" },
	{ "rejects ET_DYN", test_mk_type, "not an executable" },
	{ "rejects a bad e_phentsize", test_mk_phentsize, "e_phentsize 32" },
	{ "rejects program headers past the end", test_mk_phoff_past, "program headers" },
	{ "rejects a wrapping e_phoff", test_mk_phoff_wrap, "program headers" },
	{ "rejects too large an e_phnum", test_mk_phnum_past, "program headers" },
	{ "rejects program headers one byte past the end", test_mk_phnum_edge, "program headers" },
	{ "rejects an image without PT_LOAD", test_mk_no_load, "no loadable (PT_LOAD) segment" },
	{ "rejects more than 8 PT_LOAD", test_mk_too_many, "too many PT_LOAD segments" },
	{ "rejects filesz > memsz", test_mk_filesz, "segment 2: file size 0x2001 exceeds memory size" },
	{ "rejects a truncated file", test_mk_truncated, "truncated file" },
	{ "rejects a wrapping p_offset", test_mk_offset_wrap, "beyond the end of the file" },
	{ "rejects a wrapping vaddr+memsz", test_mk_vaddr_wrap, "overflows" },
	{ "rejects vaddr+memsz wrapping when page-rounded", test_mk_vaddr_round_wrap, "overflows" },
	{ "rejects a segment below RAM", test_mk_below, "segment 1 at 0xff000 lies below guest RAM" },
	{ "rejects overlapping segments", test_mk_overlap, "segments 1 and 2 overlap" },
	{ "rejects segments sharing a page", test_mk_share_page, "share a page" },
	{ "rejects overlap of unsorted segments", test_mk_overlap_unsorted, "segments 1 and 2 overlap" },
	{ "rejects a W+X segment", test_mk_wx, "segment 1 is writable and executable (W+X); refusing it" },
	{ "rejects a non-power-of-two alignment", test_mk_align, "not a power of two" },
	{ "rejects an entry outside every segment", test_mk_entry_out, "entry point 0x200000" },
	{ "rejects an entry in a data segment", test_mk_entry_data, "outside every executable segment" },
	{ "rejects an entry just past the text", test_mk_entry_end, "outside every executable segment" },
	{ "rejects a PT_NOTE past the end", test_mk_note_outside, "note segment 0" },
	{ "rejects a wrapping PT_NOTE offset", test_mk_note_wrap, "lies outside the file" },
	{ "rejects a misaligned PT_NOTE", test_mk_note_unaligned, "4-byte aligned" },
	{ "rejects a namesz overrunning PT_NOTE", test_mk_namesz, "overruns the segment" },
	{ "rejects a descsz overrunning PT_NOTE", test_mk_descsz, "overruns the segment" },
	{ "rejects a partial note header", test_mk_note_tail, "truncated note header" },
	{ "rejects a PT_NOTE cutting a note short", test_mk_note_cut, "overruns the segment" },
	{ "rejects an image without the Mica note", test_mk_no_mica,
	  "no Mica note: not a Mica image (build it with the Mica Makefile)" },
	{ "rejects an image without PT_NOTE", test_mk_no_pt_note, "no Mica note" },
	{ "ignores Mica notes of other types", test_mk_mica_type, "no Mica note" },
	{ "rejects two Mica notes", test_mk_two_mica, "more than one Mica image note" },
	{ "rejects a short Mica descriptor", test_mk_descsz_short,
	  "descriptor is 44 bytes (expected 48)" },
	{ "rejects a long Mica descriptor", test_mk_descsz_long, "descriptor is 52 bytes" },
	{ "rejects a 2-byte Mica descriptor", test_mk_descsz_tiny, "descriptor is 2 bytes" },
	{ "rejects another ABI", test_mk_abi, "built for Mica ABI 7, this mica speaks ABI 1" },
	{ "names the ABI before the descriptor size", test_mk_abi_grown, "built for Mica ABI 2" },
	{ "rejects an unknown platform", test_mk_platform, "unknown platform 9" },
	{ "rejects platform 0", test_mk_platform0, "unknown platform 0" },
	{ "rejects unknown devices", test_mk_devices, "unknown devices (bits 0x80)" },
	{ "rejects nonzero reserved", test_mk_reserved, "reserved" },
	{ "rejects an unterminated app name", test_mk_app_unterminated,
	  "not NUL-terminated within 32 bytes" },
	{ "rejects an empty app name", test_mk_app_empty, "app name in the Mica note is empty" },
	{ "rejects control bytes in the app name", test_mk_app_escape, "contains byte 0x1b" },
	{ "rejects an 8-byte PVH entry note", test_mk_xen_size, "PVH entry note descriptor is 8 bytes" },
	{ "rejects two PVH entry notes", test_mk_two_xen, "more than one Xen PVH entry note" },
	{ "rejects a PVH entry outside text", test_mk_xen_entry, "PVH entry point 0x101000" },
};

static void test_rejections(void)
{
	size_t i;

	for (i = 0; i < sizeof test_rejects / sizeof test_rejects[0]; i++) {
		struct test_fixture f;
		struct image img;
		char err[256] = "";
		size_t len;

		test_fixture_init(&f);
		len = test_rejects[i].make(&f);
		if (image_parse(test_file, len, &img, err, sizeof err) == 0)
			unit_check(false, test_rejects[i].what, "accepted");
		else
			unit_check(strstr(err, test_rejects[i].needle) && !strchr(err, '\n'),
				   test_rejects[i].what, "message \"%s\" lacks \"%s\"", err,
				   test_rejects[i].needle);
	}
}

/* ---------------------------------------------------------------------------- acceptance */

/* Parses the len bytes test_build wrote; a refusal fails the case named what. */
static bool test_accepts(size_t len, const char *what, struct image *img)
{
	char err[256] = "";

	if (image_parse(test_file, len, img, err, sizeof err) != 0) {
		unit_check(false, what, "rejected: %s", err);
		return false;
	}
	return true;
}

static void test_valid(void)
{
	struct test_fixture f;
	struct image img;
	const char *what = "accepts a valid image with the right fields";

	test_fixture_init(&f);
	if (!test_accepts(test_build(&f), what, &img))
		return;
	unit_check(img.entry == TEST_ENTRY && img.nsegments == 2 &&
		   img.seg[0].vaddr == 0x100000 && img.seg[0].memsz == 0x100 &&
		   img.seg[0].filesz == 0x100 && img.seg[0].offset == TEST_TEXT_OFF &&
		   img.seg[0].flags == (PF_R | PF_X) &&
		   img.seg[1].vaddr == 0x101000 && img.seg[1].memsz == 0x2000 &&
		   img.seg[1].filesz == 0x10 && img.seg[1].offset == TEST_DATA_OFF &&
		   img.seg[1].flags == (PF_R | PF_W) &&
		   img.lowest == 0x100000 && img.highest == 0x103000 &&
		   img.note.abi_version == MICA_ABI_VERSION && img.note.platform == MICA_PLAT_KVM &&
		   img.note.devices == (MICA_DEV_CONSOLE | MICA_DEV_ECHO) &&
		   strcmp(img.note.app, "testapp") == 0 &&
		   img.has_pvh_entry && img.pvh_entry == TEST_PVH_ENTRY,
		   what, "fields differ (entry 0x%lx, %u segments, span 0x%lx-0x%lx)",
		   (unsigned long)img.entry, img.nsegments, (unsigned long)img.lowest,
		   (unsigned long)img.highest);
}

/* ------------------------------------------------------------- accepted variants, one per case */

static size_t test_mk_no_pvh(struct test_fixture *f)
{
	f->xen_count = 0;
	f->mica.platform = MICA_PLAT_PROC;
	return test_build(f);
}

static size_t test_mk_unsorted(struct test_fixture *f)
{
	test_swap_loads(f);
	return test_build(f);
}

static size_t test_mk_gnu_note(struct test_fixture *f)
{
	f->gnu_note = true;
	return test_build(f);
}

static size_t test_mk_empty_load(struct test_fixture *f)
{
	f->ph[3] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R, .p_vaddr = 0x100000 };
	f->nph = f->eh.e_phnum = 4;
	return test_build(f);
}

static size_t test_mk_eight_loads(struct test_fixture *f)
{
	unsigned int i;

	for (i = 0; i < 6; i++)
		f->ph[3 + i] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R,
					     .p_vaddr = 0x200000 + i * 0x1000, .p_memsz = 0x1000 };
	f->nph = f->eh.e_phnum = 9;
	return test_build(f);
}

static size_t test_mk_loose_align(struct test_fixture *f)
{
	f->ph[1].p_align = 0;
	f->ph[2].p_align = 1;
	f->ph[2].p_vaddr = 0x101800;
	return test_build(f);
}

static size_t test_mk_note_align8(struct test_fixture *f)
{
	f->ph[0].p_align = 8;
	f->xen_count = 0;
	return test_build(f);
}

/*
 * What each variant parses to: the text segment always first at 0x100000, the app name always
 * "testapp"; the rest may vary, and all of it is checked for every variant.
 */
static const struct {
	const char *what;
	size_t (*make)(struct test_fixture *f);
	unsigned int nsegments;
	uint64_t seg1_vaddr, highest;
	uint32_t platform;
	bool has_pvh_entry;
} test_variants[] = {
	{ "accepts an image without a PVH entry note", test_mk_no_pvh, 2, 0x101000, 0x103000, MICA_PLAT_PROC,
	  false },
	{ "sorts PT_LOAD by address", test_mk_unsorted, 2, 0x101000, 0x103000, MICA_PLAT_KVM, true },
	{ "skips foreign notes", test_mk_gnu_note, 2, 0x101000, 0x103000, MICA_PLAT_KVM, true },
	{ "ignores an empty PT_LOAD", test_mk_empty_load, 2, 0x101000, 0x103000, MICA_PLAT_KVM, true },
	{ "accepts 8 PT_LOAD segments", test_mk_eight_loads, 8, 0x101000, 0x206000, MICA_PLAT_KVM, true },
	{ "accepts p_align 0 and 1 and vaddr/offset mismatch", test_mk_loose_align, 2, 0x101800, 0x104000,
	  MICA_PLAT_KVM, true },
	{ "accepts an 8-aligned PT_NOTE", test_mk_note_align8, 2, 0x101000, 0x103000, MICA_PLAT_KVM, false },
};

static void test_valid_variants(void)
{
	size_t i;

	for (i = 0; i < sizeof test_variants / sizeof test_variants[0]; i++) {
		struct test_fixture f;
		struct image img;

		test_fixture_init(&f);
		if (!test_accepts(test_variants[i].make(&f), test_variants[i].what, &img))
			continue;
		unit_check(img.nsegments == test_variants[i].nsegments && img.seg[0].vaddr == 0x100000 &&
			   img.seg[1].vaddr == test_variants[i].seg1_vaddr &&
			   img.highest == test_variants[i].highest &&
			   img.note.platform == test_variants[i].platform &&
			   img.has_pvh_entry == test_variants[i].has_pvh_entry &&
			   strcmp(img.note.app, "testapp") == 0,
			   test_variants[i].what,
			   "%u segments at 0x%lx, 0x%lx, highest 0x%lx, platform %u, has_pvh_entry %d, app \"%s\"",
			   img.nsegments, (unsigned long)img.seg[0].vaddr, (unsigned long)img.seg[1].vaddr,
			   (unsigned long)img.highest, (unsigned)img.note.platform, img.has_pvh_entry, img.note.app);
	}
}

/* Every prefix of a valid image cuts something off: each must be refused, none may crash. */
static void test_prefixes(void)
{
	struct test_fixture f;
	struct image img;
	char err[256];
	size_t len, n, accepted = 0, silent = 0;

	test_fixture_init(&f);
	len = test_build(&f);
	for (n = 0; n < len; n++) {
		err[0] = '\0';
		if (image_parse(test_file, n, &img, err, sizeof err) == 0)
			accepted++;
		else if (err[0] == '\0')
			silent++;
	}
	unit_check(accepted == 0 && silent == 0, "rejects every truncation of a valid image",
		   "%zu prefixes accepted, %zu without a message", accepted, silent);
}

static void test_err_buffer(void)
{
	struct test_fixture f;
	struct image img;
	char err[8];

	test_fixture_init(&f);
	f.mica.abi_version = 7;
	test_build(&f);
	memset(err, 'x', sizeof err);
	unit_check(image_parse(test_file, TEST_FILE_LEN, &img, err, sizeof err) == -1 &&
		   memcmp(err, "built f", 8) == 0, "truncates the message to a small buffer",
		   "got \"%.8s\"", err);
	unit_check(image_parse(test_file, TEST_FILE_LEN, &img, NULL, 0) == -1,
		   "takes no message buffer", "accepted");
}

/* ------------------------------------------------------------------------- fits, names, print */

static void test_fits_case(const struct image *img, uint64_t ram, uint64_t reserved,
			   const char *want, const char *what)
{
	char err[256] = "";
	int r = image_check_fits(img, ram, reserved, err, sizeof err);

	if (!want)
		unit_check(r == 0, what, "refused: %s", err);
	else
		unit_check(r == -1 && strcmp(err, want) == 0, what, "got %d \"%s\"", r, err);
}

static void test_fits(void)
{
	struct test_fixture f;
	struct image img;
	uint64_t pages3 = 3 * MICA_PAGE_SIZE;

	test_fixture_init(&f);
	if (!test_accepts(test_build(&f), "fits: parse", &img))
		return;
	/* The image spans 12 KiB from MICA_RAM_BASE. */
	test_fits_case(&img, 24 << 10, pages3, NULL, "fits exactly with the reserved pages");
	test_fits_case(&img, 64 << 20, pages3, NULL, "fits in 64 MiB");
	test_fits_case(&img, 20 << 10, pages3,
		       "--mem 20 KiB is too small for this image: it needs at least 24 KiB",
		       "refuses a RAM 4 KiB too small");
	test_fits_case(&img, 64 << 10, 60 << 10,
		       "--mem 64 KiB is too small for this image: it needs at least 72 KiB",
		       "counts the reserved bytes");
	test_fits_case(&img, 16 << 10, 100, NULL, "fits when the reserved bytes fill a page");
	test_fits_case(&img, 15 << 10, 100,
		       "--mem 15 KiB is too small for this image: it needs at least 16 KiB",
		       "rounds the need up to a page");
	test_fits_case(&img, (12 << 10) + 100, 100,
		       "--mem 12.0 KiB is too small for this image: it needs at least 16 KiB",
		       "prints an odd RAM size");
	test_fits_case(&img, 12 << 10, 0, NULL, "fits with nothing reserved");
	{
		char err[256] = "";

		unit_check(image_check_fits(&img, UINT64_MAX, UINT64_MAX, err, sizeof err) == -1 &&
			   err[0] != '\0', "refuses a reserved size that overflows", "\"%s\"", err);
	}
}

static void test_platform_names(void)
{
	unit_check(strcmp(image_platform_name(MICA_PLAT_PROC), "proc") == 0 &&
		   strcmp(image_platform_name(MICA_PLAT_KVM), "kvm") == 0 &&
		   strcmp(image_platform_name(0), "unknown") == 0 &&
		   strcmp(image_platform_name(77), "unknown") == 0, "names the platforms", "mismatch");
}

static void test_print(void)
{
	static const char want[] =
		"image:      build/x_kvm-x86_64\n"
		"app:        testapp\n"
		"platform:   kvm\n"
		"abi:        1\n"
		"devices:    console, echo\n"
		"entry:      0x100000\n"
		"pvh entry:  0x100010\n"
		"segments:   r-x 0x100000 256 bytes, rw- 0x101000 16 bytes (+7.9 KiB bss)\n"
		"span:       0x100000-0x103000 (12 KiB)\n"
		"file size:  8.0 KiB\n";
	static const char want_bare[] =
		"devices:    none\n"
		"entry:      0x100000\n"
		"pvh entry:  none\n";
	struct test_fixture f;
	struct image img;
	char *text = NULL;
	size_t size = 0;
	FILE *mem;

	test_fixture_init(&f);
	if (!test_accepts(test_build(&f), "inspect: parse", &img))
		return;
	mem = open_memstream(&text, &size);
	if (!mem) {
		unit_check(false, "inspect prints every field", "open_memstream failed");
		return;
	}
	image_print(mem, "build/x_kvm-x86_64", &img, TEST_FILE_LEN);
	fclose(mem);
	unit_check(strcmp(text, want) == 0, "inspect prints every field", "got:\n%s", text);
	free(text);

	test_fixture_init(&f);
	f.mica.devices = 0;
	f.xen_count = 0;
	if (!test_accepts(test_build(&f), "inspect: parse bare", &img))
		return;
	text = NULL;
	mem = open_memstream(&text, &size);
	if (!mem) {
		unit_check(false, "inspect prints no devices and no PVH entry", "open_memstream failed");
		return;
	}
	image_print(mem, "x", &img, TEST_FILE_LEN);
	fclose(mem);
	unit_check(strstr(text, want_bare) != NULL, "inspect prints no devices and no PVH entry",
		   "got:\n%s", text);
	free(text);
}

int main(void)
{
	test_valid();
	test_valid_variants();
	test_rejections();
	test_prefixes();
	test_err_buffer();
	test_fits();
	test_platform_names();
	test_print();
	return unit_exit_status();
}
