/* fuzz-sources: runtime/vm/guest.c runtime/xen/hvm.c runtime/xen/gnttab.c runtime/util/log.c */
/* fuzz-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/*
 * libFuzzer harness: a hostile guest's grant table against the backend's access layer. The input
 * is a list of records that write bytes into RAM (mostly into table frames: flags, domids, frame
 * numbers), place table frames, or make the backend copy to and from, map and unmap grant refs
 * (grant_table_op itself is fuzz_hypercall's). Half the guests are PV, half HVM. Any sanitizer
 * report is a finding, and so is a mapping outside ordinary RAM or a refusal left uncounted.
 */
#include <stdlib.h>
#include <string.h>
#include "vm/guest.h"
#include "xen/gnttab.h"
#include "xen/hvm_start_info.h"
#include "xen/start_info.h"

#define FUZZ_RAM (64 * 1024)
#define FUZZ_MAPS 4

static uint8_t fuzz_ram[FUZZ_RAM];

static uint64_t fuzz_u64(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	for (int i = 0; i < 8 && *p < end; i++)
		v |= (uint64_t)*(*p)++ << (8 * i);
	return v;
}

/* Refs mostly inside the largest table, where entries can be valid; sometimes anything. */
static grant_ref_t fuzz_ref(uint64_t v)
{
	return v & 1 ? (grant_ref_t)(v >> 1) : (grant_ref_t)((v >> 1) % (GNTTAB_MAX_FRAMES * 512 + 8));
}

/* A granted page must be whole, page-aligned and ordinary RAM below the special pages. */
static void fuzz_check_page(struct guest *g, const uint8_t *page)
{
	uint64_t reserved = g->hvm ? HVM_START_INFO_RESERVED : START_INFO_RESERVED;
	if (page < fuzz_ram || page >= fuzz_ram + FUZZ_RAM - reserved || (page - fuzz_ram) % MICA_PAGE_SIZE)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest g;
	memset(&g, 0, sizeof(g));
	memset(fuzz_ram, 0, sizeof(fuzz_ram));
	g.ram = fuzz_ram;
	g.ram_size = FUZZ_RAM;
	g.hvm = size & 1; /* the special pages differ */
	/* Frame 0 starts placed, so most inputs reach the entries at once. */
	if (gnttab_place_frame(&g, 0, (MICA_RAM_BASE >> MICA_PAGE_SHIFT) + 1) != 0)
		abort();

	struct gnttab_mapping maps[FUZZ_MAPS] = {0};
	uint8_t buf[MICA_PAGE_SIZE + 16];
	const uint8_t *p = data, *end = data + size;
	while (p < end) {
		uint8_t kind = *p++;
		uint64_t a = fuzz_u64(&p, end), b = fuzz_u64(&p, end);
		uint64_t refused = g.gnttab.refused;
		int rc = 0;
		switch (kind % 8) {
		case 0: { /* guest writes up to 8 bytes of b at offset a of a table frame, or anywhere */
			uint64_t idx = (a >> 32) % GNTTAB_MAX_FRAMES;
			uint64_t off = g.gnttab.frame_gaddr[idx] && !(a & 1)
					       ? g.gnttab.frame_gaddr[idx] - MICA_RAM_BASE + (a >> 1) % MICA_PAGE_SIZE
					       : (a >> 1) % FUZZ_RAM;
			for (int i = 0; i < 8 && off + i < FUZZ_RAM; i++)
				fuzz_ram[off + i] = (uint8_t)(b >> (8 * i));
			continue;
		}
		case 1: /* a whole entry: flags, domid, frame near RAM */
		case 2: {
			grant_ref_t ref = fuzz_ref(a);
			uint64_t idx = ref / 512;
			if (idx >= GNTTAB_MAX_FRAMES || !g.gnttab.frame_gaddr[idx])
				continue;
			uint64_t frame_gaddr = MICA_RAM_BASE + (b >> 32) % (FUZZ_RAM + 8192);
			uint16_t flags = b & 0x8000 ? (uint16_t)b : GTF_permit_access | (b & (GTF_readonly | GTF_reading));
			grant_entry_v1_t e = {.flags = flags, .domid = (b >> 16) & 1 ? (uint16_t)(b >> 17) : 0,
					      .frame = (uint32_t)(frame_gaddr >> MICA_PAGE_SHIFT)};
			memcpy(guest_ptr(&g, g.gnttab.frame_gaddr[idx] + ref % 512 * sizeof(e), sizeof(e)), &e, sizeof(e));
			continue;
		}
		case 3: /* mostly pages in and around RAM, some anywhere */
			gnttab_place_frame(&g, a % (GNTTAB_MAX_FRAMES + 1),
					   b & 1 ? b >> 1 : (MICA_RAM_BASE >> MICA_PAGE_SHIFT) - 1 + (b >> 1) % 20);
			continue;
		case 4:
			rc = gnttab_copy_from_guest(&g, fuzz_ref(a), (uint32_t)b, buf,
						    (uint32_t)(b >> 32) % sizeof(buf));
			break;
		case 5:
			/* An over-long len must be refused before buf is read. */
			rc = gnttab_copy_to_guest(&g, fuzz_ref(a), (uint32_t)b, buf,
						  b >> 63 ? (uint32_t)(b >> 32) : (uint32_t)(b >> 32) % sizeof(buf));
			break;
		case 6: {
			struct gnttab_mapping *m = &maps[b % FUZZ_MAPS];
			gnttab_unmap(m);
			uint8_t *page = gnttab_map(&g, fuzz_ref(a), (b >> 8) & 1, m);
			rc = page ? 0 : -1;
			if (page) {
				fuzz_check_page(&g, page);
				memset(page + (b >> 16) % MICA_PAGE_SIZE, 0x5a, 1);
			} else if (m->held) {
				abort();
			}
			break;
		}
		default:
			gnttab_unmap(&maps[b % FUZZ_MAPS]);
			continue;
		}
		if ((rc != 0) != (g.gnttab.refused == refused + 1) || g.gnttab.refused < refused)
			abort();
	}
	for (int i = 0; i < FUZZ_MAPS; i++)
		gnttab_unmap(&maps[i]);
	return 0;
}
