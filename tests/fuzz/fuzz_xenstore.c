/* fuzz-sources: runtime/vm/guest.c runtime/xen/evtchn.c runtime/xen/xenstore.c runtime/xen/xenstore_tree.c runtime/util/log.c */
/* fuzz-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/*
 * libFuzzer harness: a hostile guest's xenstore ring. The input is a list of records that pour
 * bytes into the request ring (whole requests when the bytes are well formed), consume part of
 * the response ring, overwrite a ring index, or have the runtime write a node; the daemon is
 * notified after each. Out-of-bounds access, a leak or any sanitizer report is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xen/io/xs_wire.h>
#include "vm/guest.h"
#include "xen/xenstore.h"

static uint8_t fuzz_page[MICA_PAGE_SIZE];
static shared_info_t fuzz_shared;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest g;
	memset(&g, 0, sizeof(g));
	memset(fuzz_page, 0, sizeof(fuzz_page));
	memset(&fuzz_shared, 0, sizeof(fuzz_shared));
	g.shared = &fuzz_shared;
	g.store = (struct xenstore_domain_interface *)fuzz_page;
	if (xenstore_setup(&g) != 0)
		abort();
	struct xenstore_domain_interface *r = g.store;

	const uint8_t *p = data, *end = data + size;
	while (p < end) {
		uint8_t kind = *p++;
		switch (kind & 3) {
		case 0: { /* request bytes, as a guest writes them */
			size_t n = (size_t)(kind >> 2) * 8 + 1;
			for (size_t i = 0; i < n && p < end && r->req_prod - r->req_cons < XENSTORE_RING_SIZE; i++)
				r->req[MASK_XENSTORE_IDX(r->req_prod++)] = (char)*p++;
			break;
		}
		case 1: /* the guest reads part or all of its responses */
			r->rsp_cons += (r->rsp_prod - r->rsp_cons) >> (kind >> 5);
			break;
		case 2: { /* a scribbled index */
			uint32_t v = 0;
			for (int i = 0; i < 4 && p < end; i++)
				v |= (uint32_t)*p++ << (8 * i);
			XENSTORE_RING_IDX *idx[] = {&r->req_cons, &r->req_prod, &r->rsp_cons, &r->rsp_prod};
			*idx[(kind >> 2) & 3] = (kind & 0x10) ? v : *idx[(kind >> 2) & 3] + (v & 0x7ff);
			break;
		}
		default: { /* the runtime publishes a key, maybe one the guest watches */
			char path[40];
			size_t n = (kind >> 2) % 8;
			memcpy(path, "/local/domain/1/", 16);
			for (size_t i = 0; i < n && p < end; i++)
				path[16 + i] = "abcw/-_@"[*p++ % 8];
			path[16 + n] = '\0';
			xenstore_write(&g, path, "v");
			break;
		}
		}
		xenstore_service(&g);
	}
	xenstore_destroy(&g);
	return 0;
}
