/* Parsing and checksumming of snapshot files; everything in them is treated as hostile. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "snapshot/format.h"

_Static_assert(sizeof(struct snapshot_header) % 8 == 0, "snapshot header alignment");
_Static_assert(__builtin_offsetof(struct snapshot_header, checksum) == SNAPSHOT_CHECKSUM_OFFSET,
	       "snapshot checksum offset");
_Static_assert(sizeof(struct snapshot_port) == 16 && sizeof(struct snapshot_extent) == 16, "snapshot layout");
_Static_assert(sizeof(struct snapshot_state) % 8 == 0 && sizeof(struct snapshot_kvm) == 1000,
	       "the kvm section: 8-byte aligned, 1000 bytes (the kernel's kvm_regs, kvm_sregs, kvm_fpu)");

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

uint64_t snapshot_pages_base(uint32_t platform)
{
	return platform == MICA_PLAT_KVM ? 0 : MICA_RAM_BASE;
}

/* [addr, addr + len) within [base, MICA_RAM_BASE + ram). */
static bool snap_in_mem(uint64_t addr, uint64_t len, uint64_t base, uint64_t ram)
{
	uint64_t end = MICA_RAM_BASE + ram;
	return addr >= base && addr <= end && len <= end - addr;
}

/* A 64-bit virtual address the CPU accepts (bits 63..47 all equal). */
static bool snap_canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

static bool snap_segment_ok(const struct kvm_segment *s)
{
	return s->type < 16 && s->present <= 1 && s->dpl < 4 && s->db <= 1 && s->s <= 1 && s->l <= 1 &&
	       s->g <= 1 && s->avl <= 1 && s->unusable <= 1 && s->padding == 0 && snap_canonical(s->base);
}

/*
 * The vCPU of a kvm snapshot: a 64-bit guest at a call boundary. KVM checks the architectural
 * rules again when the state is set; these bound what a crafted file can hand it.
 */
static int snap_check_kvm(const struct snapshot_kvm *k, uint64_t ram, char *err, size_t errlen)
{
	static const uint32_t msr_list[SNAPSHOT_KVM_MSRS] = {SNAPSHOT_KVM_MSR_LIST};
	const struct kvm_sregs *s = &k->sregs;
	const struct kvm_segment *segs[] = {&s->cs, &s->ds, &s->es, &s->fs, &s->gs, &s->ss, &s->tr, &s->ldt};
	uint64_t special = MICA_RAM_BASE + ram - MICA_KVM_SPECIAL_PAGES * MICA_PAGE_SIZE;

	if (k->size != sizeof(*k) || k->reserved)
		return snap_fail(err, errlen, "malformed snapshot: the kvm vCPU section has the wrong size");
	if (k->shared_info % MICA_PAGE_SIZE || k->shared_info < MICA_RAM_BASE || k->shared_info >= special)
		return snap_fail(err, errlen, "malformed snapshot: the shared_info page is outside RAM");
	if (k->callback_via && (k->callback_via >> 56 != 2 || (k->callback_via & ~0xff00000000000000ULL) < 32 ||
				(k->callback_via & ~0xff00000000000000ULL) > 0xff))
		return snap_fail(err, errlen, "malformed snapshot: the upcall callback is not a vector");
	/* x87 always; AVX state only with SSE's; nothing past AVX-512 (bit 7) and PKRU (bit 9). */
	if (!(k->xcr0 & 1) || ((k->xcr0 & 4) && !(k->xcr0 & 2)) || (k->xcr0 & ~0x2ffULL))
		return snap_fail(err, errlen, "malformed snapshot: XCR0 is not a valid feature set");
	if ((k->regs.rflags & ~0x3f7fd7ULL) || !(k->regs.rflags & 2) || (k->regs.rflags & (1u << 17)) ||
	    !snap_canonical(k->regs.rip) || !snap_canonical(k->regs.rsp))
		return snap_fail(err, errlen, "malformed snapshot: the vCPU registers are not a 64-bit guest's");
	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
		if (!snap_segment_ok(segs[i]))
			return snap_fail(err, errlen, "malformed snapshot: a vCPU segment register is invalid");
	if (!(s->cr0 & 1) || !(s->cr0 & (1u << 31)) || !(s->cr4 & (1u << 5)) || (s->efer & 0x500) != 0x500 ||
	    !s->cs.l || s->cs.db || s->cr8 > 15 || (s->apic_base & 0x2ffULL) || !snap_canonical(s->gdt.base) ||
	    !snap_canonical(s->idt.base) || s->gdt.padding[0] || s->gdt.padding[1] || s->gdt.padding[2] ||
	    s->idt.padding[0] || s->idt.padding[1] || s->idt.padding[2])
		return snap_fail(err, errlen, "malformed snapshot: the vCPU is not in 64-bit long mode");
	for (size_t i = 0; i < sizeof(s->interrupt_bitmap) / sizeof(s->interrupt_bitmap[0]); i++)
		if (s->interrupt_bitmap[i])
			return snap_fail(err, errlen, "malformed snapshot: the vCPU has an interrupt pending");
	if ((k->fpu.mxcsr & ~0xffffu) || k->fpu.pad1 || k->fpu.pad2)
		return snap_fail(err, errlen, "malformed snapshot: the vCPU's FPU state is invalid");
	for (int i = 0; i < SNAPSHOT_KVM_MSRS; i++) {
		uint64_t v = k->msrs[i].data;
		bool ok = k->msrs[i].index == msr_list[i] && !k->msrs[i].reserved;
		if (msr_list[i] == 0x277u) {
			/* Each byte a memory type: UC, WC, WT, WP, WB or UC-. */
			for (int b = 0; b < 8; b++) {
				uint8_t t = (uint8_t)(v >> (8 * b));
				ok = ok && (t == 0 || t == 1 || (t >= 4 && t <= 7));
			}
		} else if (msr_list[i] == 0xc0000084u) {
			ok = ok && v <= UINT32_MAX;
		} else if (msr_list[i] != 0xc0000081u) {
			ok = ok && snap_canonical(v);
		}
		if (!ok)
			return snap_fail(err, errlen, "malformed snapshot: a vCPU MSR is unknown or out of range");
	}
	return 0;
}

static int snap_check_state(const struct snapshot_state *s, uint32_t platform, uint64_t ram, char *err,
			    size_t errlen)
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
	if (s->nvbd > SNAPSHOT_MAX_VBDS || s->nvif > SNAPSHOT_MAX_VIFS)
		return snap_fail(err, errlen, "malformed snapshot: more disks or NICs than a guest can have");
	if (s->gnttab_nr_frames > SNAPSHOT_MAX_GNTTAB_FRAMES)
		return snap_fail(err, errlen, "malformed snapshot: too many grant table frames");
	uint64_t nspecial = platform == MICA_PLAT_KVM ? MICA_KVM_SPECIAL_PAGES : MICA_PROC_SPECIAL_PAGES;
	uint64_t special = MICA_RAM_BASE + ram - nspecial * MICA_PAGE_SIZE;
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
	bool kvm = h->platform == MICA_PLAT_KVM;
	if (h->version != (kvm ? SNAPSHOT_VERSION_KVM : SNAPSHOT_VERSION))
		return snap_fail(err, errlen, kvm ? "malformed snapshot: a kvm snapshot must be format version 2"
						  : "malformed snapshot: a proc snapshot must be format version 1");
	uint64_t kvm_size = kvm ? sizeof(struct snapshot_kvm) : 0, base = snapshot_pages_base(h->platform);
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
	    kvm_size > len - h->state_offset - h->state_size ||
	    h->data_offset % MICA_PAGE_SIZE || h->data_offset < h->state_offset + h->state_size + kvm_size ||
	    h->data_offset > len || h->data_pages != (len - h->data_offset) / MICA_PAGE_SIZE ||
	    (len - h->data_offset) % MICA_PAGE_SIZE)
		return snap_fail(err, errlen, "malformed snapshot: inconsistent offsets");
	v->extents = (const struct snapshot_extent *)(buf + h->extents_offset);
	v->state = (const struct snapshot_state *)(buf + h->state_offset);
	v->kvm = kvm ? (const struct snapshot_kvm *)(buf + h->state_offset + h->state_size) : NULL;
	v->data = buf + h->data_offset;

	uint64_t next = base, pages = 0;
	for (uint32_t i = 0; i < h->nextents; i++) {
		const struct snapshot_extent *e = &v->extents[i];
		if (e->gaddr % MICA_PAGE_SIZE || e->gaddr < next || e->pages == 0 ||
		    e->pages > (MICA_RAM_BASE + ram) / MICA_PAGE_SIZE ||
		    !snap_in_mem(e->gaddr, e->pages * MICA_PAGE_SIZE, base, ram))
			return snap_fail(err, errlen, "malformed snapshot: the page list is out of order or outside RAM");
		next = e->gaddr + e->pages * MICA_PAGE_SIZE;
		pages += e->pages;
	}
	if (pages != h->data_pages)
		return snap_fail(err, errlen, "malformed snapshot: the page list does not match the stored pages");
	if (snap_check_state(v->state, h->platform, ram, err, errlen) != 0)
		return -1;
	return kvm ? snap_check_kvm(v->kvm, ram, err, errlen) : 0;
}

int snapshot_parse(const uint8_t *buf, size_t len, struct snapshot_view *v, char *err, size_t errlen)
{
	const struct snapshot_header *h = (const void *)buf;

	if (len < 8 || memcmp(h->magic, SNAPSHOT_MAGIC, 8) != 0)
		return snap_fail(err, errlen, len < 8 ? "not a snapshot (too short)" : "not a snapshot (no MICASNAP magic)");
	if (len < sizeof(*h))
		return snap_fail(err, errlen, "truncated snapshot (shorter than its header)");
	if (h->version != SNAPSHOT_VERSION && h->version != SNAPSHOT_VERSION_KVM) {
		snprintf(err, errlen, "snapshot format version %u, this mica reads version %u (proc) and %u (kvm): "
			 "take the snapshot again", h->version, SNAPSHOT_VERSION, SNAPSHOT_VERSION_KVM);
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
