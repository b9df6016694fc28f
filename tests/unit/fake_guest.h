/* A guest for host tests and fuzzers of the runtime's backends: RAM, a grant table, event channels and the store, used as a frontend would. */
#ifndef MICA_TESTS_FAKE_GUEST_H
#define MICA_TESTS_FAKE_GUEST_H

/*
 * The includer defines RAM (the guest's bytes), and FE (the frontend directories' prefix, each
 * device's being FE "<n>/") for fe_write. Everything is static inline: a harness that does not
 * use a helper is not warned about it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/event_channel.h>
#include "vm/guest.h"
#include "xen/evtchn.h"
#include "xen/gnttab.h"
#include "xen/xenstore.h"

#define PAGE 4096
/* Where hypercall arguments and the grant table live; rings and buffers go above. */
#define ARG_GADDR (MICA_RAM_BASE + 0x1000)
#define TABLE_GADDR (MICA_RAM_BASE + 0x2000)

static struct guest g;
static uint8_t *ram;
static shared_info_t shared;
static uint8_t store_page[PAGE];

static inline void *gp(uint64_t gaddr)
{
	return guest_ptr(&g, gaddr, PAGE);
}

static inline void grant(grant_ref_t ref, uint64_t gaddr, uint16_t flags)
{
	grant_entry_v1_t *e = guest_ptr(&g, TABLE_GADDR + ref * sizeof(*e), sizeof(*e));
	e->frame = (uint32_t)(gaddr >> MICA_PAGE_SHIFT);
	e->domid = MICA_DOMID_BACKEND;
	__atomic_store_n(&e->flags, flags, __ATOMIC_RELEASE);
}

static inline uint16_t grant_flags(grant_ref_t ref)
{
	grant_entry_v1_t *e = guest_ptr(&g, TABLE_GADDR + ref * sizeof(*e), sizeof(*e));
	return e->flags;
}

/* An event channel operation with its argument in guest RAM; out (if any) gets the argument back. */
static inline long evtchn_call(unsigned int cmd, const void *arg, size_t size, void *out)
{
	memcpy(gp(ARG_GADDR), arg, size);
	long rc = evtchn_op(&g, cmd, ARG_GADDR);
	if (out)
		memcpy(out, gp(ARG_GADDR), size);
	return rc;
}

static inline uint32_t alloc_unbound(void)
{
	evtchn_alloc_unbound_t op = {.dom = DOMID_SELF, .remote_dom = MICA_DOMID_BACKEND};
	if (evtchn_call(EVTCHNOP_alloc_unbound, &op, sizeof(op), &op) != 0)
		abort();
	return op.port;
}

static inline void notify(uint32_t port)
{
	evtchn_send_t op = {.port = port};
	evtchn_call(EVTCHNOP_send, &op, sizeof(op), NULL);
}

#ifdef FE
static inline void fe_write(unsigned int n, const char *key, const char *value)
{
	char path[128];
	snprintf(path, sizeof(path), FE "%u/%s", n, key);
	xenstore_write(&g, path, value);
}
#endif

static inline const char *store_read(const char *path)
{
	static char buf[128];
	return xenstore_read(&g, path, buf, sizeof(buf)) >= 0 ? buf : "(none)";
}

/*
 * A guest as it boots: zeroed RAM (allocated on first use), all ports masked, the grant table at
 * TABLE_GADDR and a store. The caller stops its backend and calls xenstore_destroy first.
 */
static inline void fake_guest_reset(void)
{
	if (!ram && !(ram = aligned_alloc(PAGE, RAM)))
		abort();
	memset(&g, 0, sizeof(g));
	memset(ram, 0, RAM);
	memset(&shared, 0, sizeof(shared));
	memset(store_page, 0, sizeof(store_page));
	g.ram = ram;
	g.ram_size = RAM;
	g.shared = &shared;
	g.store = (struct xenstore_domain_interface *)store_page;
	memset(shared.evtchn_mask, 0xff, sizeof(shared.evtchn_mask));
	if (gnttab_place_frame(&g, 0, TABLE_GADDR >> MICA_PAGE_SHIFT) != 0 || xenstore_setup(&g) != 0)
		abort();
}

/* A fuzzer's record field: n bytes of the input into dst, zeros past its end; returns the bytes taken. */
static inline size_t take(const uint8_t **p, const uint8_t *end, void *dst, size_t n)
{
	size_t k = (size_t)(end - *p) < n ? (size_t)(end - *p) : n;
	memset(dst, 0, n);
	memcpy(dst, *p, k);
	*p += k;
	return k;
}

#endif
