/* Validation of untrusted guest image bytes: ELF header, PT_LOAD layout, Mica and Xen PVH notes. */
#include "image.h"
#include "size.h"

#include <elf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <xen/elfnote.h>

#define IMAGE_PAGE_MASK ((uint64_t)MICA_PAGE_SIZE - 1)
#define IMAGE_XEN_NOTE_NAME "Xen"

/* The bytes being parsed and where to report what is wrong with them. */
struct image_input {
	const unsigned char *p;
	uint64_t len;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int image_fail(const struct image_input *in, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(in->err, in->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool image_in_file(const struct image_input *in, uint64_t offset, uint64_t size)
{
	return offset <= in->len && size <= in->len - offset;
}

static int image_check_ehdr(const struct image_input *in, Elf64_Ehdr *eh)
{
	/* Magic first: a short text file is better called "not an ELF file" than "too short". */
	if (in->len >= SELFMAG && memcmp(in->p, ELFMAG, SELFMAG) != 0)
		return image_fail(in, "not an ELF file (bad magic number)");
	if (in->len < sizeof *eh)
		return image_fail(in, "file is too short for an ELF header (%" PRIu64 " bytes, need %zu)",
				  in->len, sizeof *eh);
	memcpy(eh, in->p, sizeof *eh);
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return image_fail(in, "not a 64-bit ELF file (ELF class %u)", eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return image_fail(in, "not a little-endian ELF file (ELF data encoding %u)",
				  eh->e_ident[EI_DATA]);
	if (eh->e_machine != EM_X86_64)
		return image_fail(in, "built for ELF machine %u, not x86_64", eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return image_fail(in, "not an executable (ELF type %u, expected ET_EXEC: "
				  "a static, non-PIE link)", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return image_fail(in, "bad program header size e_phentsize %u (expected %zu)",
				  eh->e_phentsize, sizeof(Elf64_Phdr));
	if (!image_in_file(in, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return image_fail(in, "program headers (%u at offset 0x%" PRIx64 ") lie outside the file",
				  eh->e_phnum, eh->e_phoff);
	return 0;
}

static void image_read_phdr(const struct image_input *in, const Elf64_Ehdr *eh, unsigned int i,
			    Elf64_Phdr *ph)
{
	memcpy(ph, in->p + eh->e_phoff + (uint64_t)i * sizeof *ph, sizeof *ph);
}

static uint64_t image_align_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

static int image_check_mica_note(const struct image_input *in, const unsigned char *desc,
				 uint32_t descsz, struct image *img)
{
	struct mica_note_image n;
	uint32_t abi;
	size_t i;

	/* The ABI version leads the descriptor in every ABI, so a newer image whose descriptor
	 * grew is still told apart by version rather than by an obscure size mismatch. */
	if (descsz >= sizeof abi) {
		memcpy(&abi, desc, sizeof abi);
		if (abi != MICA_ABI_VERSION)
			return image_fail(in, "built for Mica ABI %" PRIu32 ", this mica speaks ABI %d",
					  abi, MICA_ABI_VERSION);
	}
	if (descsz != sizeof n)
		return image_fail(in, "Mica note descriptor is %" PRIu32 " bytes (expected %zu)",
				  descsz, sizeof n);
	memcpy(&n, desc, sizeof n);
	if (n.platform != MICA_PLAT_PROC && n.platform != MICA_PLAT_KVM)
		return image_fail(in, "unknown platform %" PRIu32 " in the Mica note", n.platform);
	if (n.devices & ~(uint32_t)MICA_DEV_KNOWN)
		return image_fail(in, "Mica note asks for unknown devices (bits 0x%" PRIx32 ")",
				  n.devices & ~(uint32_t)MICA_DEV_KNOWN);
	if (n.reserved != 0)
		return image_fail(in, "reserved field of the Mica note is 0x%" PRIx32 ", not zero",
				  n.reserved);
	if (memchr(n.app, '\0', sizeof n.app) == NULL)
		return image_fail(in, "app name in the Mica note is not NUL-terminated within %zu bytes",
				  sizeof n.app);
	if (n.app[0] == '\0')
		return image_fail(in, "app name in the Mica note is empty");
	/* The name reaches terminals and logs: no control bytes or escape sequences. */
	for (i = 0; n.app[i] != '\0'; i++) {
		unsigned char c = (unsigned char)n.app[i];

		if (c < 0x20 || c > 0x7e)
			return image_fail(in, "app name in the Mica note contains byte 0x%02x", c);
	}
	img->note = n;
	return 0;
}

static bool image_note_named(const unsigned char *name, uint32_t namesz, const char *want)
{
	return namesz == strlen(want) + 1 && memcmp(name, want, namesz) == 0;
}

/* One note; *seen_mica tells whether an earlier note already was the Mica image note. */
static int image_take_note(const struct image_input *in, const Elf64_Nhdr *nh,
			   const unsigned char *name, const unsigned char *desc, bool *seen_mica,
			   struct image *img)
{
	if (image_note_named(name, nh->n_namesz, MICA_NOTE_NAME) && nh->n_type == MICA_NOTE_IMAGE) {
		if (*seen_mica)
			return image_fail(in, "more than one Mica image note");
		*seen_mica = true;
		return image_check_mica_note(in, desc, nh->n_descsz, img);
	}
	if (image_note_named(name, nh->n_namesz, IMAGE_XEN_NOTE_NAME) &&
	    nh->n_type == XEN_ELFNOTE_PHYS32_ENTRY) {
		if (img->has_pvh_entry)
			return image_fail(in, "more than one Xen PVH entry note");
		if (nh->n_descsz != sizeof img->pvh_entry)
			return image_fail(in, "Xen PVH entry note descriptor is %" PRIu32
					  " bytes (expected %zu)", nh->n_descsz, sizeof img->pvh_entry);
		memcpy(&img->pvh_entry, desc, sizeof img->pvh_entry);
		img->has_pvh_entry = true;
	}
	/* Any other note (a build id, a GNU property) is none of the runtime's business. */
	return 0;
}

static int image_parse_notes(const struct image_input *in, const Elf64_Phdr *ph, unsigned int idx,
			     bool *seen_mica, struct image *img)
{
	/* gABI notes are 4-byte aligned; 8 is what GNU property notes use in ELF64. */
	uint64_t align = ph->p_align == 8 ? 8 : 4;
	const unsigned char *seg;
	uint64_t pos = 0;

	if (!image_in_file(in, ph->p_offset, ph->p_filesz))
		return image_fail(in, "note segment %u (0x%" PRIx64 " bytes at offset 0x%" PRIx64
				  ") lies outside the file", idx, ph->p_filesz, ph->p_offset);
	if (ph->p_offset % align != 0)
		return image_fail(in, "note segment %u at offset 0x%" PRIx64 " is not %" PRIu64
				  "-byte aligned", idx, ph->p_offset, align);
	seg = in->p + ph->p_offset;
	while (pos < ph->p_filesz) {
		uint64_t left = ph->p_filesz - pos;
		uint64_t name_room, desc_room;
		Elf64_Nhdr nh;

		if (left < sizeof nh)
			return image_fail(in, "note segment %u: truncated note header at offset 0x%" PRIx64,
					  idx, pos);
		memcpy(&nh, seg + pos, sizeof nh);
		left -= sizeof nh;
		name_room = image_align_up(nh.n_namesz, align);
		desc_room = image_align_up(nh.n_descsz, align);
		if (name_room > left || desc_room > left - name_room)
			return image_fail(in, "note segment %u: note at offset 0x%" PRIx64 " (name %" PRIu32
					  " bytes, descriptor %" PRIu32 " bytes) overruns the segment",
					  idx, pos, nh.n_namesz, nh.n_descsz);
		if (image_take_note(in, &nh, seg + pos + sizeof nh, seg + pos + sizeof nh + name_room,
				    seen_mica, img))
			return -1;
		pos += sizeof nh + name_room + desc_room;
	}
	return 0;
}

static int image_add_load(const struct image_input *in, const Elf64_Phdr *ph, unsigned int idx,
			  struct image *img, unsigned int *seg_idx)
{
	struct image_segment *s;

	if (ph->p_filesz > ph->p_memsz)
		return image_fail(in, "segment %u: file size 0x%" PRIx64 " exceeds memory size 0x%" PRIx64,
				  idx, ph->p_filesz, ph->p_memsz);
	if (!image_in_file(in, ph->p_offset, ph->p_filesz))
		return image_fail(in, "segment %u: data (0x%" PRIx64 " bytes at offset 0x%" PRIx64
				  ") lies beyond the end of the file (0x%" PRIx64 " bytes); truncated file?",
				  idx, ph->p_filesz, ph->p_offset, in->len);
	/* Leaves room to round the end up to a page without wrapping. */
	if (ph->p_vaddr > UINT64_MAX - IMAGE_PAGE_MASK ||
	    ph->p_memsz > UINT64_MAX - IMAGE_PAGE_MASK - ph->p_vaddr)
		return image_fail(in, "segment %u: address 0x%" PRIx64 " + size 0x%" PRIx64 " overflows",
				  idx, ph->p_vaddr, ph->p_memsz);
	if (ph->p_vaddr < MICA_RAM_BASE)
		return image_fail(in, "segment %u at 0x%" PRIx64 " lies below guest RAM at 0x%lx "
				  "(link the image at MICA_RAM_BASE)", idx, ph->p_vaddr, MICA_RAM_BASE);
	if ((ph->p_flags & (PF_W | PF_X)) == (PF_W | PF_X))
		return image_fail(in, "segment %u is writable and executable (W+X); refusing it", idx);
	if (ph->p_align > 1 && (ph->p_align & (ph->p_align - 1)) != 0)
		return image_fail(in, "segment %u: alignment 0x%" PRIx64 " is not a power of two",
				  idx, ph->p_align);
	/* An empty PT_LOAD (linker scripts can leave one) occupies no memory: nothing to load. */
	if (ph->p_memsz == 0)
		return 0;
	if (img->nsegments == IMAGE_MAX_SEGMENTS)
		return image_fail(in, "too many PT_LOAD segments (more than %d)", IMAGE_MAX_SEGMENTS);
	seg_idx[img->nsegments] = idx;
	s = &img->seg[img->nsegments++];
	s->vaddr = ph->p_vaddr;
	s->memsz = ph->p_memsz;
	s->filesz = ph->p_filesz;
	s->offset = ph->p_offset;
	s->flags = ph->p_flags & (PF_R | PF_W | PF_X);
	return 0;
}

/* Sorts by address, carrying the program header numbers along for the messages. */
static void image_sort_segments(struct image *img, unsigned int *seg_idx)
{
	unsigned int i, j;

	for (i = 1; i < img->nsegments; i++) {
		struct image_segment s = img->seg[i];
		unsigned int idx = seg_idx[i];

		for (j = i; j > 0 && img->seg[j - 1].vaddr > s.vaddr; j--) {
			img->seg[j] = img->seg[j - 1];
			seg_idx[j] = seg_idx[j - 1];
		}
		img->seg[j] = s;
		seg_idx[j] = idx;
	}
}

static int image_check_layout(const struct image_input *in, struct image *img,
			      const unsigned int *seg_idx)
{
	unsigned int i;

	if (img->nsegments == 0)
		return image_fail(in, "no loadable (PT_LOAD) segment");
	/* Permissions are per page, so a page shared by two segments would get only one's. */
	for (i = 1; i < img->nsegments; i++) {
		const struct image_segment *a = &img->seg[i - 1], *b = &img->seg[i];

		if (image_align_up(a->vaddr + a->memsz, MICA_PAGE_SIZE) > (b->vaddr & ~IMAGE_PAGE_MASK))
			return image_fail(in, "segments %u and %u overlap or share a page "
					  "(0x%" PRIx64 "-0x%" PRIx64 " and 0x%" PRIx64 "-0x%" PRIx64 ")",
					  seg_idx[i - 1], seg_idx[i], a->vaddr, a->vaddr + a->memsz,
					  b->vaddr, b->vaddr + b->memsz);
	}
	img->lowest = img->seg[0].vaddr & ~IMAGE_PAGE_MASK;
	img->highest = image_align_up(img->seg[i - 1].vaddr + img->seg[i - 1].memsz, MICA_PAGE_SIZE);
	return 0;
}

static bool image_executable_at(const struct image *img, uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < img->nsegments; i++) {
		const struct image_segment *s = &img->seg[i];

		if ((s->flags & PF_X) && addr >= s->vaddr && addr - s->vaddr < s->memsz)
			return true;
	}
	return false;
}

int image_parse(const void *buf, size_t len, struct image *out, char *err, size_t errlen)
{
	struct image_input in = { buf, len, err, errlen };
	unsigned int seg_idx[IMAGE_MAX_SEGMENTS];
	struct image img;
	bool seen_mica = false;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned int i;

	memset(&img, 0, sizeof img);
	if (image_check_ehdr(&in, &eh))
		return -1;
	/* Notes first: for a foreign executable "not a Mica image" says more than a layout quibble.
	 * Only program headers are consulted: stripped images have no section headers. */
	for (i = 0; i < eh.e_phnum; i++) {
		image_read_phdr(&in, &eh, i, &ph);
		if (ph.p_type == PT_NOTE && image_parse_notes(&in, &ph, i, &seen_mica, &img))
			return -1;
	}
	if (!seen_mica)
		return image_fail(&in, "no Mica note: not a Mica image (build it with the Mica Makefile)");
	for (i = 0; i < eh.e_phnum; i++) {
		image_read_phdr(&in, &eh, i, &ph);
		if (ph.p_type == PT_LOAD && image_add_load(&in, &ph, i, &img, seg_idx))
			return -1;
	}
	image_sort_segments(&img, seg_idx);
	if (image_check_layout(&in, &img, seg_idx))
		return -1;
	img.entry = eh.e_entry;
	if (!image_executable_at(&img, img.entry))
		return image_fail(&in, "entry point 0x%" PRIx64 " is outside every executable segment",
				  img.entry);
	if (img.has_pvh_entry && !image_executable_at(&img, img.pvh_entry))
		return image_fail(&in, "PVH entry point 0x%" PRIx32 " is outside every executable segment",
				  img.pvh_entry);
	*out = img;
	return 0;
}

int image_check_fits(const struct image *img, uint64_t ram_bytes, uint64_t reserved_bytes,
		     char *err, size_t errlen)
{
	struct image_input in = { NULL, 0, err, errlen };
	uint64_t span = img->highest - MICA_RAM_BASE;
	char have[SIZE_FORMAT_MAX], need_str[SIZE_FORMAT_MAX];
	uint64_t need;

	if (reserved_bytes > UINT64_MAX - IMAGE_PAGE_MASK - span)
		return image_fail(&in, "this image and 0x%" PRIx64 " reserved bytes exceed any memory size",
				  reserved_bytes);
	need = image_align_up(span + reserved_bytes, MICA_PAGE_SIZE);
	if (need <= ram_bytes)
		return 0;
	size_format(ram_bytes, have, sizeof have);
	size_format(need, need_str, sizeof need_str);
	return image_fail(&in, "--mem %s is too small for this image: it needs at least %s",
			  have, need_str);
}

const char *image_platform_name(uint32_t platform)
{
	switch (platform) {
	case MICA_PLAT_PROC: return "proc";
	case MICA_PLAT_KVM: return "kvm";
	default: return "unknown";
	}
}
