/* Parsing and checksumming of snapshot files; everything in them is treated as hostile. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "snapshot/format.h"

_Static_assert(sizeof(struct snapshot_header) % 8 == 0, "snapshot header alignment");
_Static_assert(__builtin_offsetof(struct snapshot_header, checksum) == SNAPSHOT_CHECKSUM_OFFSET,
	       "snapshot checksum offset");
_Static_assert(sizeof(struct snapshot_port) == 16 && sizeof(struct snapshot_extent) == 16, "snapshot layout");

#define SNAP_K1 0x9e3779b97f4a7c15ULL
#define SNAP_K2 0xc2b2ae3d27d4eb4fULL
#define SNAP_NR_VIRQS 24 /* NR_VIRQS of xen/xen.h */

/* (acc ^ w) * odd, then an xorshift: a bijection of acc for each w, and of w for each acc. */
static inline uint64_t snap_mix(uint64_t acc, uint64_t w)
{
	acc = (acc ^ w) * SNAP_K1;
	return acc ^ (acc >> 29);
}

static inline uint64_t snap_word(const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof(w));
	return w;
}

void snapshot_hash_init(struct snapshot_hash *h)
{
	*h = (struct snapshot_hash){{SNAP_K2, SNAP_K2 + 1, SNAP_K2 + 2, SNAP_K2 + 3}, 0};
}

void snapshot_hash_update(struct snapshot_hash *h, const uint8_t *buf, size_t len)
{
	uint64_t a = h->lane[0], b = h->lane[1], c = h->lane[2], d = h->lane[3];
	for (size_t i = 0; i + 32 <= len; i += 32) {
		a = snap_mix(a, snap_word(buf + i));
		b = snap_mix(b, snap_word(buf + i + 8));
		c = snap_mix(c, snap_word(buf + i + 16));
		d = snap_mix(d, snap_word(buf + i + 24));
	}
	h->lane[0] = a;
	h->lane[1] = b;
	h->lane[2] = c;
	h->lane[3] = d;
	h->len += len & ~(size_t)31;
}

uint64_t snapshot_hash_final(struct snapshot_hash *h, const uint8_t *tail, size_t len)
{
	snapshot_hash_update(h, tail, len);
	size_t done = len & ~(size_t)31;
	uint8_t last[32] = {0};
	if (len > done)
		memcpy(last, tail + done, len - done);
	uint64_t r = snap_mix(SNAP_K1, h->len + (len - done));
	for (int i = 0; i < 4; i++)
		r = snap_mix(snap_mix(r, h->lane[i]), snap_word(last + 8 * i));
	return snap_mix(r, r >> 31);
}

uint64_t snapshot_checksum(const uint8_t *buf, size_t len)
{
	struct snapshot_hash h;
	uint8_t first[64] = {0};
	size_t n = len < sizeof(first) ? len : sizeof(first);

	/* The first 64 bytes through a copy with the checksum field cleared. */
	memcpy(first, buf, n);
	if (n >= SNAPSHOT_CHECKSUM_OFFSET)
		memset(first + SNAPSHOT_CHECKSUM_OFFSET, 0, n - SNAPSHOT_CHECKSUM_OFFSET < 8 ? n - SNAPSHOT_CHECKSUM_OFFSET : 8);
	snapshot_hash_init(&h);
	if (len < sizeof(first))
		return snapshot_hash_final(&h, first, n);
	snapshot_hash_update(&h, first, sizeof(first));
	return snapshot_hash_final(&h, buf + sizeof(first), len - sizeof(first));
}

static int snap_fail(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return -1;
}

static bool snap_in_ram(uint64_t addr, uint64_t len, uint64_t ram)
{
	return addr >= MICA_RAM_BASE && addr - MICA_RAM_BASE <= ram && len <= ram - (addr - MICA_RAM_BASE);
}

static int snap_check_state(const struct snapshot_state *s, uint64_t ram, char *err, size_t errlen)
{
	bool seen[4] = {false};
	const struct snapshot_port *p = s->ports;

	if (p[0].state != SNAP_PORT_FREE)
		return snap_fail(err, errlen, "malformed snapshot: event channel port 0 is in use");
	for (uint32_t i = 0; i < SNAPSHOT_MAX_PORTS; i++) {
		if (p[i].reserved || p[i].state > SNAP_PORT_VIRQ || p[i].service > SNAP_SVC_ECHO ||
		    (p[i].service != SNAP_SVC_NONE) != (p[i].state == SNAP_PORT_BACKEND))
			return snap_fail(err, errlen, "malformed snapshot: an event channel port has an unknown state");
		if (p[i].state == SNAP_PORT_LOCAL &&
		    (p[i].peer == 0 || p[i].peer >= SNAPSHOT_MAX_PORTS || p[p[i].peer].state != SNAP_PORT_LOCAL ||
		     p[p[i].peer].peer != i))
			return snap_fail(err, errlen, "malformed snapshot: a loopback event channel has no matching peer");
		if (p[i].state == SNAP_PORT_VIRQ && p[i].virq >= SNAP_NR_VIRQS)
			return snap_fail(err, errlen, "malformed snapshot: a VIRQ port names an unknown VIRQ");
		if (p[i].state == SNAP_PORT_BACKEND) {
			if (seen[p[i].service])
				return snap_fail(err, errlen, "malformed snapshot: a runtime service has two ports");
			seen[p[i].service] = true;
		}
	}
	if (s->console_port == 0 || s->console_port >= SNAPSHOT_MAX_PORTS ||
	    p[s->console_port].service != SNAP_SVC_CONSOLE || s->store_port == 0 ||
	    s->store_port >= SNAPSHOT_MAX_PORTS || p[s->store_port].service != SNAP_SVC_STORE)
		return snap_fail(err, errlen, "malformed snapshot: console or xenstore port missing");
	if (s->timer_port >= SNAPSHOT_MAX_PORTS ||
	    (s->timer_port && (p[s->timer_port].state != SNAP_PORT_VIRQ || p[s->timer_port].virq != 0)))
		return snap_fail(err, errlen, "malformed snapshot: the timer port is not bound to VIRQ_TIMER");
	if (s->echo_offered > 1 || (s->echo_offered && seen[SNAP_SVC_ECHO]) || s->reserved)
		return snap_fail(err, errlen, "malformed snapshot: bad echo or reserved field");
	if (s->gnttab_nr_frames > SNAPSHOT_MAX_GNTTAB_FRAMES)
		return snap_fail(err, errlen, "malformed snapshot: too many grant table frames");
	uint64_t special = MICA_RAM_BASE + ram - MICA_PROC_SPECIAL_PAGES * MICA_PAGE_SIZE;
	for (uint32_t i = 0; i < SNAPSHOT_MAX_GNTTAB_FRAMES; i++) {
		uint64_t f = s->gnttab_frame[i];
		if (f && (f % MICA_PAGE_SIZE || f < MICA_RAM_BASE || f >= special || i >= s->gnttab_nr_frames))
			return snap_fail(err, errlen, "malformed snapshot: a grant table frame is outside RAM");
	}
	return 0;
}

/* Everything past the checksum: only a crafted file (with a valid checksum) gets here wrong. */
static int snap_check_layout(const uint8_t *buf, size_t len, struct snapshot_view *v, char *err, size_t errlen)
{
	const struct snapshot_header *h = v->hdr;
	uint64_t ram = h->ram_size;

	if (ram < 16 * MICA_PAGE_SIZE || ram > SNAPSHOT_MAX_RAM || ram % MICA_PAGE_SIZE)
		return snap_fail(err, errlen, "malformed snapshot: guest RAM size is out of range");
	if (!memchr(h->app, '\0', sizeof(h->app)))
		return snap_fail(err, errlen, "malformed snapshot: application name is not terminated");
	if (h->platform != MICA_PLAT_PROC && h->platform != MICA_PLAT_KVM)
		return snap_fail(err, errlen, "malformed snapshot: unknown platform");
	if (h->nsegments == 0 || h->nsegments > SNAPSHOT_MAX_SEGMENTS)
		return snap_fail(err, errlen, "malformed snapshot: bad segment count");
	for (uint32_t i = 0; i < h->nsegments; i++) {
		if (h->seg[i].addr % MICA_PAGE_SIZE || h->seg[i].len % MICA_PAGE_SIZE || !h->seg[i].len ||
		    !snap_in_ram(h->seg[i].addr, h->seg[i].len, ram) || h->seg[i].prot > 7 || h->seg[i].reserved ||
		    (h->seg[i].prot & 6) == 6)
			return snap_fail(err, errlen, "malformed snapshot: a segment is outside RAM or has bad permissions");
	}
	if (!snap_in_ram(h->ready_ctx, sizeof(struct mica_ready_ctx), ram) || h->ready_ctx % 8)
		return snap_fail(err, errlen, "malformed snapshot: the ready context is outside RAM");
	if (h->extents_offset != h->header_size ||
	    h->nextents > (len - h->extents_offset) / sizeof(struct snapshot_extent) ||
	    h->state_offset != h->extents_offset + (uint64_t)h->nextents * sizeof(struct snapshot_extent) ||
	    h->state_size != sizeof(struct snapshot_state) || h->state_size > len - h->state_offset ||
	    h->data_offset % MICA_PAGE_SIZE || h->data_offset < h->state_offset + h->state_size ||
	    h->data_offset > len || h->data_pages != (len - h->data_offset) / MICA_PAGE_SIZE ||
	    (len - h->data_offset) % MICA_PAGE_SIZE)
		return snap_fail(err, errlen, "malformed snapshot: inconsistent offsets");
	v->extents = (const struct snapshot_extent *)(buf + h->extents_offset);
	v->state = (const struct snapshot_state *)(buf + h->state_offset);
	v->data = buf + h->data_offset;

	uint64_t next = MICA_RAM_BASE, pages = 0;
	for (uint32_t i = 0; i < h->nextents; i++) {
		const struct snapshot_extent *e = &v->extents[i];
		if (e->gaddr % MICA_PAGE_SIZE || e->gaddr < next || e->pages == 0 ||
		    e->pages > ram / MICA_PAGE_SIZE || !snap_in_ram(e->gaddr, e->pages * MICA_PAGE_SIZE, ram))
			return snap_fail(err, errlen, "malformed snapshot: the page list is out of order or outside RAM");
		next = e->gaddr + e->pages * MICA_PAGE_SIZE;
		pages += e->pages;
	}
	if (pages != h->data_pages)
		return snap_fail(err, errlen, "malformed snapshot: the page list does not match the stored pages");
	return snap_check_state(v->state, ram, err, errlen);
}

int snapshot_parse(const uint8_t *buf, size_t len, struct snapshot_view *v, char *err, size_t errlen)
{
	const struct snapshot_header *h = (const void *)buf;

	if (len < 8 || memcmp(h->magic, SNAPSHOT_MAGIC, 8) != 0)
		return snap_fail(err, errlen, len < 8 ? "not a snapshot (too short)" : "not a snapshot (no MICASNAP magic)");
	if (len < sizeof(*h))
		return snap_fail(err, errlen, "truncated snapshot (shorter than its header)");
	if (h->version != SNAPSHOT_VERSION) {
		snprintf(err, errlen, "snapshot format version %u, this mica reads version %u: take the snapshot again",
			 h->version, SNAPSHOT_VERSION);
		return -1;
	}
	if (h->abi_version != MICA_ABI_VERSION) {
		snprintf(err, errlen, "snapshot of Mica ABI version %u, this mica is version %u: take the snapshot again",
			 h->abi_version, MICA_ABI_VERSION);
		return -1;
	}
	if (h->header_size != sizeof(*h))
		return snap_fail(err, errlen, "malformed snapshot: unexpected header size");
	if (h->file_size != len) {
		snprintf(err, errlen, "%s snapshot (%zu bytes, its header says %llu)",
			 len < h->file_size ? "truncated" : "oversized", len, (unsigned long long)h->file_size);
		return -1;
	}
	if (snapshot_checksum(buf, len) != h->checksum)
		return snap_fail(err, errlen, "corrupt snapshot (checksum mismatch)");
	v->hdr = h;
	return snap_check_layout(buf, len, v, err, errlen);
}
