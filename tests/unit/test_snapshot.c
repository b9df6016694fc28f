/* unit-sources: runtime/snapshot/format.c */
/* Unit tests of the snapshot file parser and checksum on snapshots built in memory. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/format.h"
#include "unit.h"

#define T_RAM (1ULL << 20)
#define T_PAGES 3

/*
 * The test snapshot: a 1 MiB guest, two extents (the first RAM page, and two pages at the top,
 * the special pages), a console on port 1, xenstore on 2, a loopback pair 3-4, the timer on 5.
 * The kvm one (version 2) stores the start info page below RAM instead of the first RAM page and
 * has a vCPU section: a 64-bit guest at a call boundary.
 */
struct t_snap {
	uint8_t *buf;
	size_t len;
	struct snapshot_header *h;
	struct snapshot_extent *e;
	struct snapshot_state *s;
	struct snapshot_kvm *k;
};

static void t_fix(struct t_snap *t)
{
	t->h->checksum = snapshot_checksum(t->buf, t->len);
}

static void t_build_kvm_vcpu(struct snapshot_kvm *k)
{
	static const uint32_t msrs[SNAPSHOT_KVM_MSRS] = {SNAPSHOT_KVM_MSR_LIST};
	k->size = sizeof(*k);
	k->shared_info = MICA_RAM_BASE + 0x2000;
	k->callback_via = (2ULL << 56) | 0xf3;
	k->xcr0 = 7;
	k->regs = (struct kvm_regs){.rax = 1, .rip = MICA_RAM_BASE + 0x123, .rsp = MICA_RAM_BASE + 0x8000, .rflags = 0x202};
	struct kvm_segment code = {.selector = 8, .type = 0xb, .present = 1, .s = 1, .l = 1, .g = 1};
	struct kvm_segment data = {.selector = 0x10, .type = 0x3, .present = 1, .s = 1, .db = 1, .g = 1};
	k->sregs = (struct kvm_sregs){.cs = code, .ds = data, .es = data, .fs = data, .gs = data, .ss = data,
				      .tr = {.selector = 0x18, .limit = 0x67, .type = 0xb, .present = 1},
				      .ldt = {.unusable = 1},
				      .gdt = {.base = MICA_RAM_BASE + 0x3000, .limit = 0x27},
				      .idt = {.base = MICA_RAM_BASE + 0x4000, .limit = 0xfff},
				      .cr0 = 0x80000033, .cr3 = MICA_RAM_BASE + 0x5000, .cr4 = 0x40620,
				      .efer = 0x500, .apic_base = 0xfee00900};
	k->fpu.fcw = 0x37f;
	k->fpu.mxcsr = 0x1f80;
	for (int i = 0; i < SNAPSHOT_KVM_MSRS; i++)
		k->msrs[i].index = msrs[i];
	k->msrs[SNAPSHOT_KVM_MSRS - 1].data = 0x0007040600070406ULL;
}

static void t_build_for(struct t_snap *t, uint32_t platform)
{
	bool kvm = platform == MICA_PLAT_KVM;
	size_t meta = sizeof(struct snapshot_header) + 2 * sizeof(struct snapshot_extent) + sizeof(struct snapshot_state) +
		      (kvm ? sizeof(struct snapshot_kvm) : 0);
	size_t data_off = (meta + 4095) & ~(size_t)4095;
	t->len = data_off + T_PAGES * 4096;
	t->buf = aligned_alloc(4096, t->len);
	memset(t->buf, 0, t->len);
	t->h = (struct snapshot_header *)t->buf;
	t->e = (struct snapshot_extent *)(t->buf + sizeof(*t->h));
	t->s = (struct snapshot_state *)(t->buf + sizeof(*t->h) + 2 * sizeof(*t->e));
	memcpy(t->h->magic, SNAPSHOT_MAGIC, 8);
	t->h->version = kvm ? SNAPSHOT_VERSION_KVM : SNAPSHOT_VERSION;
	t->h->abi_version = MICA_ABI_VERSION;
	t->h->platform = platform;
	t->h->header_size = sizeof(*t->h);
	t->h->file_size = t->len;
	strcpy(t->h->app, "test");
	t->h->ram_size = T_RAM;
	t->h->ready_ctx = MICA_RAM_BASE + 0x100;
	t->h->nsegments = 1;
	t->h->seg[0].addr = MICA_RAM_BASE;
	t->h->seg[0].len = 4096;
	t->h->seg[0].prot = 5;
	t->h->nextents = 2;
	t->h->extents_offset = sizeof(*t->h);
	t->h->state_offset = sizeof(*t->h) + 2 * sizeof(*t->e);
	t->h->state_size = sizeof(*t->s);
	t->h->data_offset = data_off;
	t->h->data_pages = T_PAGES;
	t->e[0] = (struct snapshot_extent){kvm ? MICA_KVM_START_INFO : MICA_RAM_BASE, 1};
	t->e[1] = (struct snapshot_extent){MICA_RAM_BASE + T_RAM - 2 * 4096, 2};
	t->s->console_port = 1;
	t->s->store_port = 2;
	t->s->timer_port = 5;
	t->s->ports[1] = (struct snapshot_port){.state = SNAP_PORT_BACKEND, .service = SNAP_SVC_CONSOLE};
	t->s->ports[2] = (struct snapshot_port){.state = SNAP_PORT_BACKEND, .service = SNAP_SVC_STORE};
	t->s->ports[3] = (struct snapshot_port){.state = SNAP_PORT_LOCAL, .peer = 4};
	t->s->ports[4] = (struct snapshot_port){.state = SNAP_PORT_LOCAL, .peer = 3};
	t->s->ports[5] = (struct snapshot_port){.state = SNAP_PORT_VIRQ, .virq = 0};
	t->k = kvm ? (struct snapshot_kvm *)(t->s + 1) : NULL;
	if (kvm)
		t_build_kvm_vcpu(t->k);
	for (size_t i = data_off; i < t->len; i++)
		t->buf[i] = (uint8_t)(i * 7);
	t_fix(t);
}

static void t_build(struct t_snap *t)
{
	t_build_for(t, MICA_PLAT_PROC);
}

/* Parses t and checks the error message contains want (NULL: must parse). */
static void t_expect(struct t_snap *t, const char *name, const char *want)
{
	struct snapshot_view v;
	char err[256] = "";
	int rc = snapshot_parse(t->buf, t->len, &v, err, sizeof(err));
	if (!want) {
		unit_check(rc == 0, name, "refused: %s", err);
		return;
	}
	unit_check(rc == -1 && strstr(err, want) && !strchr(err, '\n'), name, "rc %d, message '%s', wanted '%s'", rc,
		   err, want);
}

static void test_valid(void)
{
	struct t_snap t;
	struct snapshot_view v;
	char err[256];
	t_build(&t);
	int rc = snapshot_parse(t.buf, t.len, &v, err, sizeof(err));
	unit_check(rc == 0 && v.hdr == t.h && v.extents == t.e && v.state == t.s && v.data == t.buf + t.h->data_offset &&
			   !v.kvm,
		   "a well-formed snapshot parses and points into the buffer", "rc %d: %s", rc, err);
	free(t.buf);

	t_build_for(&t, MICA_PLAT_KVM);
	rc = snapshot_parse(t.buf, t.len, &v, err, sizeof(err));
	unit_check(rc == 0 && v.hdr == t.h && v.state == t.s && v.kvm == t.k && v.data == t.buf + t.h->data_offset &&
			   v.extents[0].gaddr == MICA_KVM_START_INFO,
		   "a well-formed kvm snapshot (version 2) parses, its vCPU section and pages below RAM too", "rc %d: %s",
		   rc, err);
	free(t.buf);
}

static void test_front_checks(void)
{
	struct t_snap t;
	t_build(&t);
	memcpy(t.h->magic, "MICASNAQ", 8);
	t_expect(&t, "wrong magic is not a snapshot", "not a snapshot (no MICASNAP magic)");
	free(t.buf);

	t_build(&t);
	t.len = 4;
	t_expect(&t, "4 bytes are too short", "not a snapshot (too short)");
	t.len = 100;
	t_expect(&t, "a cut header is truncated", "truncated snapshot (shorter than its header)");
	free(t.buf);

	t_build(&t);
	t.h->version = 3;
	t_expect(&t, "another format version is refused by number",
		 "snapshot format version 3, this mica reads version 1 (proc) and 2 (kvm)");
	free(t.buf);

	t_build(&t);
	t.h->abi_version = MICA_ABI_VERSION + 1;
	t_expect(&t, "another ABI version is refused", "this mica is version");
	free(t.buf);

	t_build(&t);
	t.len -= 4096;
	t_expect(&t, "a file shorter than its header says is truncated", "truncated snapshot");
	free(t.buf);

	t_build(&t);
	t.h->file_size -= 4096;
	t_fix(&t);
	t_expect(&t, "a file longer than its header says is refused", "oversized snapshot");
	free(t.buf);

	t_build(&t);
	t.h->header_size += 8;
	t_fix(&t);
	t_expect(&t, "an unknown header size is refused", "unexpected header size");
	free(t.buf);
}

static void test_checksum(void)
{
	struct t_snap t;
	t_build(&t);
	size_t spots[] = {0x40, 0x60, 370, 3000, t.h->data_offset, t.len - 1};
	const char *where[] = {"header", "header", "page list", "state", "first stored page", "last byte"};
	for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		char name[96];
		snprintf(name, sizeof(name), "one flipped bit at byte %zu (%s) is a checksum mismatch", spots[i], where[i]);
		t.buf[spots[i]] ^= 0x10;
		t_expect(&t, name, "corrupt snapshot (checksum mismatch)");
		t.buf[spots[i]] ^= 0x10;
	}
	t.h->checksum ^= 1;
	t_expect(&t, "a changed checksum field is a mismatch", "checksum mismatch");
	t.h->checksum ^= 1;

	uint64_t before = t.h->checksum;
	t.h->checksum = 12345;
	unit_check(snapshot_checksum(t.buf, t.len) == before, "the checksum field does not count in the checksum", NULL);
	t.h->checksum = before;

	struct snapshot_hash h;
	uint64_t saved = t.h->checksum;
	t.h->checksum = 0;
	snapshot_hash_init(&h);
	snapshot_hash_update(&h, t.buf, 4096);
	snapshot_hash_update(&h, t.buf + 4096, t.len - 4096 - 64);
	uint64_t streamed = snapshot_hash_final(&h, t.buf + t.len - 64, 64);
	t.h->checksum = saved;
	unit_check(streamed == saved, "the streaming hash equals the one-shot checksum", "%llx vs %llx",
		   (unsigned long long)streamed, (unsigned long long)saved);

	uint8_t a[40] = {1, 2, 3}, b[41] = {1, 2, 3};
	unit_check(snapshot_checksum(a, 40) != snapshot_checksum(b, 41), "a trailing zero byte changes the checksum", NULL);
	unit_check(snapshot_checksum(a, 0) != snapshot_checksum(a, 1), "short inputs hash by length too", NULL);
	free(t.buf);
}

/* Breaks one field with fn, fixes the checksum, and expects want. */
#define T_MALFORMED(name, want, ...)        \
	do {                                \
		struct t_snap t;            \
		t_build(&t);                \
		__VA_ARGS__;                \
		t_fix(&t);                  \
		t_expect(&t, name, want);   \
		free(t.buf);                \
	} while (0)

static void test_layout(void)
{
	T_MALFORMED("RAM size not a page multiple", "guest RAM size", t.h->ram_size += 1);
	T_MALFORMED("RAM size of zero", "guest RAM size", t.h->ram_size = 0);
	T_MALFORMED("RAM size above 64 GiB", "guest RAM size", t.h->ram_size = 1ULL << 40);
	T_MALFORMED("app name without NUL", "application name", memset(t.h->app, 'a', sizeof(t.h->app)));
	T_MALFORMED("unknown platform", "unknown platform", t.h->platform = 9);
	T_MALFORMED("no segments", "segment count", t.h->nsegments = 0);
	T_MALFORMED("too many segments", "segment count", t.h->nsegments = 9);
	T_MALFORMED("writable and executable segment", "bad permissions", t.h->seg[0].prot = 7);
	T_MALFORMED("segment beyond RAM", "segment", t.h->seg[0].addr = MICA_RAM_BASE + T_RAM);
	T_MALFORMED("segment below RAM", "segment", t.h->seg[0].addr = 0);
	T_MALFORMED("ready context outside RAM", "ready context", t.h->ready_ctx = MICA_RAM_BASE + T_RAM - 8);
	T_MALFORMED("ready context below RAM", "ready context", t.h->ready_ctx = 0x1000);
	T_MALFORMED("extent count past the file", "inconsistent offsets", t.h->nextents = 0x7fffffff);
	T_MALFORMED("state at the wrong place", "inconsistent offsets", t.h->state_offset += 8);
	T_MALFORMED("state size wrong", "inconsistent offsets", t.h->state_size -= 16);
	T_MALFORMED("data offset not page-aligned", "inconsistent offsets", t.h->data_offset += 8);
	T_MALFORMED("data offset past the end", "inconsistent offsets", t.h->data_offset = t.len + 4096);
	T_MALFORMED("data page count wrong", "inconsistent offsets", t.h->data_pages = 2);
	T_MALFORMED("extent not page-aligned", "page list", t.e[0].gaddr += 8);
	T_MALFORMED("extents out of order", "page list", t.e[0].gaddr = MICA_RAM_BASE + T_RAM - 4096; t.e[0].pages = 1);
	T_MALFORMED("overlapping extents", "page list", t.e[0].pages = 2; t.e[1].gaddr = MICA_RAM_BASE + 4096; t.e[1].pages = 1);
	T_MALFORMED("extent past RAM", "page list", t.e[1].gaddr = MICA_RAM_BASE + T_RAM - 4096);
	T_MALFORMED("extent of zero pages", "page list", t.e[0].pages = 0);
	T_MALFORMED("extent of 2^63 pages", "page list", t.e[1].pages = 1ULL << 63);
	T_MALFORMED("pages not matching the list", "does not match", t.e[0].pages = 2);
}

static void test_state(void)
{
	T_MALFORMED("port 0 in use", "port 0", t.s->ports[0].state = SNAP_PORT_UNBOUND);
	T_MALFORMED("unknown port state", "unknown state", t.s->ports[9].state = 9);
	T_MALFORMED("unknown service", "unknown state", t.s->ports[1].service = 7);
	T_MALFORMED("service on a non-backend port", "unknown state", t.s->ports[3].service = SNAP_SVC_ECHO);
	T_MALFORMED("backend port without service", "unknown state", t.s->ports[9].state = SNAP_PORT_BACKEND);
	T_MALFORMED("reserved port bits", "unknown state", t.s->ports[3].reserved = 1);
	T_MALFORMED("loopback peer not pointing back", "matching peer", t.s->ports[4].peer = 6);
	T_MALFORMED("loopback peer out of range", "matching peer", t.s->ports[3].peer = 300);
	T_MALFORMED("loopback peer zero", "matching peer", t.s->ports[3].peer = 0);
	T_MALFORMED("unknown VIRQ", "unknown VIRQ", t.s->ports[5].virq = 24);
	T_MALFORMED("two consoles", "two ports", t.s->ports[9] = t.s->ports[1]);
	T_MALFORMED("console port not the console", "console or xenstore", t.s->console_port = 3);
	T_MALFORMED("console port out of range", "console or xenstore", t.s->console_port = 256);
	T_MALFORMED("no store port", "console or xenstore", t.s->store_port = 0);
	T_MALFORMED("timer port not a VIRQ", "VIRQ_TIMER", t.s->timer_port = 3);
	T_MALFORMED("timer port out of range", "VIRQ_TIMER", t.s->timer_port = 1000);
	T_MALFORMED("echo offered and bound", "echo", t.s->echo_offered = 1;
		    t.s->ports[9] = (struct snapshot_port){.state = SNAP_PORT_BACKEND, .service = SNAP_SVC_ECHO});
	T_MALFORMED("echo flag not 0 or 1", "echo", t.s->echo_offered = 2);
	T_MALFORMED("too many grant frames", "grant table frames", t.s->gnttab_nr_frames = 5);
	T_MALFORMED("grant frame in the special pages", "grant table frame", t.s->gnttab_nr_frames = 1;
		    t.s->gnttab_frame[0] = MICA_RAM_BASE + T_RAM - 4096);
	T_MALFORMED("grant frame unaligned", "grant table frame", t.s->gnttab_nr_frames = 1;
		    t.s->gnttab_frame[0] = MICA_RAM_BASE + 8);
	T_MALFORMED("grant frame beyond nr_frames", "grant table frame", t.s->gnttab_frame[2] = MICA_RAM_BASE);
	T_MALFORMED("five disks", "disks or NICs", t.s->nvbd = SNAPSHOT_MAX_VBDS + 1);
	T_MALFORMED("255 disks", "disks or NICs", t.s->nvbd = 255);
	T_MALFORMED("five NICs", "disks or NICs", t.s->nvif = SNAPSHOT_MAX_VIFS + 1);
	T_MALFORMED("reserved state bits", "reserved", t.s->reserved = 1);
	T_MALFORMED("reserved state high bits", "reserved", t.s->reserved = 0x8000);

	struct t_snap t;
	t_build(&t);
	t.s->gnttab_nr_frames = 1;
	t.s->gnttab_frame[0] = MICA_RAM_BASE + 4096;
	t.s->echo_offered = 1;
	t_fix(&t);
	t_expect(&t, "a grant frame in RAM and an offered echo port are fine", NULL);
	free(t.buf);

	/* A guest saved with devices: their ports stored unbound to the backend domain, the counts at most 4. */
	t_build(&t);
	t.s->nvbd = SNAPSHOT_MAX_VBDS;
	t.s->nvif = SNAPSHOT_MAX_VIFS;
	t.s->ports[6] = (struct snapshot_port){.state = SNAP_PORT_UNBOUND, .remote_dom = MICA_DOMID_BACKEND};
	t_fix(&t);
	t_expect(&t, "four disks, four NICs and a device port stored unbound are fine", NULL);
	free(t.buf);
}

/* As T_MALFORMED, on the kvm snapshot. */
#define T_KVM_MALFORMED(name, want, ...)                  \
	do {                                              \
		struct t_snap t;                          \
		t_build_for(&t, MICA_PLAT_KVM);           \
		__VA_ARGS__;                              \
		t_fix(&t);                                \
		t_expect(&t, "kvm: " name, want);         \
		free(t.buf);                              \
	} while (0)

static void test_kvm(void)
{
	T_MALFORMED("a proc snapshot of version 2", "must be format version 1", t.h->version = SNAPSHOT_VERSION_KVM);
	T_MALFORMED("a proc extent below RAM", "page list", t.e[0].gaddr = MICA_KVM_START_INFO);
	T_KVM_MALFORMED("version 1", "must be format version 2", t.h->version = SNAPSHOT_VERSION);
	T_KVM_MALFORMED("section size", "wrong size", t.k->size -= 8);
	T_KVM_MALFORMED("section reserved", "wrong size", t.k->reserved = 1);
	/* 200 extents push the state to end at 7720: the pages at 8192 leave it room, not the section. */
	T_KVM_MALFORMED("no room for the section before the pages", "inconsistent offsets", t.h->nextents = 200;
			t.h->state_offset = sizeof(*t.h) + 200 * sizeof(*t.e));
	T_KVM_MALFORMED("extent past the top of memory", "page list", t.e[1].gaddr = MICA_RAM_BASE + T_RAM - 4096);
	T_KVM_MALFORMED("shared_info unaligned", "shared_info", t.k->shared_info += 8);
	T_KVM_MALFORMED("shared_info below RAM", "shared_info", t.k->shared_info = MICA_KVM_START_INFO);
	T_KVM_MALFORMED("shared_info in the special pages", "shared_info", t.k->shared_info = MICA_RAM_BASE + T_RAM - 4096);
	T_KVM_MALFORMED("callback of another type", "callback", t.k->callback_via = (1ULL << 56) | 0xf3);
	T_KVM_MALFORMED("callback on an exception vector", "callback", t.k->callback_via = (2ULL << 56) | 14);
	T_KVM_MALFORMED("callback with stray bits", "callback", t.k->callback_via = (2ULL << 56) | 0x1f3);
	T_KVM_MALFORMED("XCR0 without x87", "XCR0", t.k->xcr0 = 6);
	T_KVM_MALFORMED("XCR0 with AVX without SSE", "XCR0", t.k->xcr0 = 5);
	T_KVM_MALFORMED("XCR0 with unknown bits", "XCR0", t.k->xcr0 = 7 | (1ULL << 40));
	T_KVM_MALFORMED("rflags without bit 1", "registers", t.k->regs.rflags = 0x200);
	T_KVM_MALFORMED("rflags reserved bit", "registers", t.k->regs.rflags |= 1ULL << 40);
	T_KVM_MALFORMED("rflags VM", "registers", t.k->regs.rflags |= 1ULL << 17);
	T_KVM_MALFORMED("rip not canonical", "registers", t.k->regs.rip = 0x0000800000000000ULL);
	T_KVM_MALFORMED("rsp not canonical", "registers", t.k->regs.rsp = 0x8000000000000000ULL);
	T_KVM_MALFORMED("segment type", "segment register", t.k->sregs.ds.type = 16);
	T_KVM_MALFORMED("segment dpl", "segment register", t.k->sregs.ss.dpl = 4);
	T_KVM_MALFORMED("segment flag not 0/1", "segment register", t.k->sregs.tr.present = 2);
	T_KVM_MALFORMED("segment padding", "segment register", t.k->sregs.ldt.padding = 1);
	T_KVM_MALFORMED("segment base not canonical", "segment register", t.k->sregs.fs.base = 1ULL << 50);
	T_KVM_MALFORMED("paging off", "long mode", t.k->sregs.cr0 &= ~0x80000000ULL);
	T_KVM_MALFORMED("protection off", "long mode", t.k->sregs.cr0 &= ~1ULL);
	T_KVM_MALFORMED("no PAE", "long mode", t.k->sregs.cr4 &= ~0x20ULL);
	T_KVM_MALFORMED("EFER without LMA", "long mode", t.k->sregs.efer = 0x100);
	T_KVM_MALFORMED("32-bit code segment", "long mode", t.k->sregs.cs.l = 0);
	T_KVM_MALFORMED("code segment both L and D", "long mode", t.k->sregs.cs.db = 1);
	T_KVM_MALFORMED("CR8 out of range", "long mode", t.k->sregs.cr8 = 16);
	T_KVM_MALFORMED("APIC base reserved bits", "long mode", t.k->sregs.apic_base |= 1);
	T_KVM_MALFORMED("GDT base not canonical", "long mode", t.k->sregs.gdt.base = 1ULL << 60);
	T_KVM_MALFORMED("IDT padding", "long mode", t.k->sregs.idt.padding[1] = 1);
	T_KVM_MALFORMED("interrupt pending", "interrupt pending", t.k->sregs.interrupt_bitmap[3] = 1);
	T_KVM_MALFORMED("MXCSR reserved bits", "FPU", t.k->fpu.mxcsr = 0x10000);
	T_KVM_MALFORMED("FPU padding", "FPU", t.k->fpu.pad2 = 1);
	T_KVM_MALFORMED("MSR list order", "MSR", t.k->msrs[0].index = 0xc0000100);
	T_KVM_MALFORMED("MSR reserved", "MSR", t.k->msrs[2].reserved = 1);
	T_KVM_MALFORMED("PAT with a reserved memory type", "MSR", t.k->msrs[SNAPSHOT_KVM_MSRS - 1].data = 0x0002040600070406ULL);
	T_KVM_MALFORMED("LSTAR not canonical", "MSR", t.k->msrs[2].data = 1ULL << 48);
	T_KVM_MALFORMED("SFMASK above 32 bits", "MSR", t.k->msrs[4].data = 1ULL << 32);
	T_KVM_MALFORMED("grant frame in the kvm special pages", "grant table frame", t.s->gnttab_nr_frames = 1;
			t.s->gnttab_frame[0] = MICA_RAM_BASE + T_RAM - 2 * 4096);

	/* kvm has two special pages, proc four: the third page from the top is RAM on kvm only. */
	struct t_snap t;
	t_build_for(&t, MICA_PLAT_KVM);
	t.s->gnttab_nr_frames = 1;
	t.s->gnttab_frame[0] = MICA_RAM_BASE + T_RAM - 3 * 4096;
	t.k->callback_via = 0;
	t.k->xcr0 = 1;
	t.k->msrs[1].data = UINT64_MAX; /* STAR: any selectors */
	t_fix(&t);
	t_expect(&t, "kvm: a grant frame below the two special pages, no callback, x87 only, any STAR are fine", NULL);
	free(t.buf);
	T_MALFORMED("proc: a grant frame in the third page from the top", "grant table frame", t.s->gnttab_nr_frames = 1;
		    t.s->gnttab_frame[0] = MICA_RAM_BASE + T_RAM - 3 * 4096);
}

int main(void)
{
	test_valid();
	test_front_checks();
	test_checksum();
	test_layout();
	test_state();
	test_kvm();
	return unit_exit_status();
}
