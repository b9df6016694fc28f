/* fuzz-sources: runtime/snapshot/format.c */
/*
 * libFuzzer harness: arbitrary bytes through snapshot_parse, once as given and once with a valid
 * checksum. Seeds: a proc snapshot (version 1), one of a guest with a disk and a NIC, and a kvm one
 * (version 2, with its vCPU section).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Everything an accepted snapshot promises its users, checked against the buffer. */
static void fuzz_check_accepted(const uint8_t *buf, size_t size, const struct snapshot_view *v)
{
	const struct snapshot_header *h = v->hdr;
	uint64_t pages = 0, ram_end = MICA_RAM_BASE + h->ram_size, base = snapshot_pages_base(h->platform);
	bool kvm = h->platform == MICA_PLAT_KVM;

	if (h->file_size != size || v->data < buf || v->data + h->data_pages * MICA_PAGE_SIZE != buf + size ||
	    (const uint8_t *)(v->state + 1) > v->data || !memchr(h->app, '\0', sizeof(h->app)))
		abort();
	/* The vCPU section exactly when the platform is kvm (version 2), between the state and the pages. */
	if (kvm != (v->kvm != NULL) || h->version != (kvm ? SNAPSHOT_VERSION_KVM : SNAPSHOT_VERSION) ||
	    (kvm && ((const uint8_t *)v->kvm != (const uint8_t *)(v->state + 1) ||
		     (const uint8_t *)(v->kvm + 1) > v->data || v->kvm->shared_info < MICA_RAM_BASE ||
		     v->kvm->shared_info + MICA_PAGE_SIZE > ram_end || !(v->kvm->sregs.efer & 0x400))))
		abort();
	for (uint32_t i = 0; i < h->nextents; i++) {
		const struct snapshot_extent *e = &v->extents[i];
		if (e->gaddr < base || e->gaddr + e->pages * MICA_PAGE_SIZE > ram_end)
			abort();
		pages += e->pages;
	}
	if (pages != h->data_pages || h->ready_ctx + sizeof(struct mica_ready_ctx) > ram_end)
		abort();
	for (uint32_t p = 0; p < SNAPSHOT_MAX_PORTS; p++)
		if (v->state->ports[p].state == SNAP_PORT_LOCAL && v->state->ports[p].peer >= SNAPSHOT_MAX_PORTS)
			abort();
	/* The device counts a restore compares with its --disk and --net. */
	if (v->state->nvbd > SNAPSHOT_MAX_VBDS || v->state->nvif > SNAPSHOT_MAX_VIFS)
		abort();
}

static void fuzz_parse(const uint8_t *buf, size_t size)
{
	struct snapshot_view v;
	char err[256];

	/* A message must be one line, so report one that is not as a crash. */
	if (snapshot_parse(buf, size, &v, err, sizeof(err)) != 0) {
		if (err[0] == '\0' || strchr(err, '\n'))
			abort();
		return;
	}
	fuzz_check_accepted(buf, size, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Files are mapped page-aligned; the parser may rely on alignment. */
	uint8_t *buf = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	fuzz_parse(buf, size);
	/* Past the checksum too: with it fixed up, the layout and state checks see the input. */
	if (size >= sizeof(struct snapshot_header)) {
		struct snapshot_header *h = (struct snapshot_header *)buf;
		memcpy(h->magic, SNAPSHOT_MAGIC, 8);
		h->file_size = size;
		h->checksum = snapshot_checksum(buf, size);
		fuzz_parse(buf, size);
	}
	free(buf);
	return 0;
}
