/* Validation of Mica guest images (static ELF64 x86_64 executables) held in memory. */
#ifndef IMAGE_IMAGE_H
#define IMAGE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/abi.h>

#define IMAGE_MAX_SEGMENTS 8

struct image_segment {
	uint64_t vaddr, memsz, filesz, offset;
	uint32_t flags; /* PF_R | PF_W | PF_X */
};

struct image {
	uint64_t entry;
	unsigned int nsegments;
	struct image_segment seg[IMAGE_MAX_SEGMENTS]; /* PT_LOAD, sorted by vaddr */
	uint64_t lowest, highest;    /* [lowest, highest) spanned by PT_LOAD memsz, page-rounded outward */
	struct mica_note_image note; /* validated copy; app[] is NUL-terminated and printable */
	bool has_pvh_entry;
	uint32_t pvh_entry;          /* XEN_ELFNOTE_PHYS32_ENTRY, when has_pvh_entry */
};

/*
 * Parses and validates the image in buf[0, len). Returns 0, or -1 with a one-line description of
 * the problem in err (no trailing newline, no file name: the caller prefixes "mica: FILE: ").
 */
int image_parse(const void *buf, size_t len, struct image *out, char *err, size_t errlen);

/*
 * Checks that the image fits guest memory
 * [MICA_RAM_BASE, MICA_RAM_BASE + ram_bytes - reserved_bytes), the reserved bytes being the
 * runtime's pages at the top of RAM. Returns 0, or -1 with the smallest --mem that would do in err.
 */
int image_check_fits(const struct image *img, uint64_t ram_bytes, uint64_t reserved_bytes,
		     char *err, size_t errlen);

/* "proc", "kvm", or "unknown". */
const char *image_platform_name(uint32_t platform);

#endif
