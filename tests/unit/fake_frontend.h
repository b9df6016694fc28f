/* The platform a xenbus frontend (lib/netfront, lib/blkfront) runs on in host tests: a log, a clock, pages, grants, a store, one event channel. */
#ifndef MICA_TESTS_FAKE_FRONTEND_H
#define MICA_TESTS_FAKE_FRONTEND_H

/*
 * The includer defines xs_write (where its fake backend reacts to the frontend's keys),
 * xenbus_wait_state and evtchn_notify (where its backend does its work). The store helpers and
 * grant_page are static inline: a test that does not use one is not warned about it.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/errno.h>
#include <mica/alloc.h>
#include <mica/evtchn.h>
#include <mica/gnttab.h>
#include <mica/kprint.h>
#include <mica/plat.h>
#include <mica/xenstore.h>

/* Everything the frontend printed since the test last emptied it. */
static char klog[8192];

int kprintf(const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(klog);
	va_start(ap, fmt);
	int r = vsnprintf(klog + n, sizeof(klog) - n, fmt, ap);
	va_end(ap);
	return r;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return r;
}

static uint64_t fake_now;
uint64_t plat_time_ns(void) { return fake_now; }

static size_t pages_out;
void *page_alloc(size_t npages)
{
	pages_out += npages;
	return aligned_alloc(4096, npages * 4096);
}
void page_free(void *p, size_t npages)
{
	pages_out -= npages;
	free(p);
}
void *heap_calloc(size_t n, size_t size) { return calloc(n, size); }
void heap_free(void *p) { free(p); }

/* Grants: refs from 8 up, as the guest's table hands them out. */
#define REFS 8192
static struct {
	uintptr_t page;
	bool readonly, used;
} grants[REFS];
static unsigned int grants_used;

int gnttab_grant(domid_t dom, uintptr_t page, bool readonly, grant_ref_t *ref)
{
	if (dom != 0 || page % 4096)
		return -XEN_EINVAL;
	for (grant_ref_t r = 8; r < REFS; r++) {
		if (!grants[r].used) {
			grants[r].page = page;
			grants[r].readonly = readonly;
			grants[r].used = true;
			grants_used++;
			*ref = r;
			return 0;
		}
	}
	return -XEN_ENOSPC;
}

int gnttab_end(grant_ref_t ref)
{
	if (ref >= REFS || !grants[ref].used)
		return -XEN_EINVAL;
	grants[ref].used = false;
	grants_used--;
	return 0;
}

unsigned int gnttab_refs_in_use(void) { return grants_used; }

/* The backend's only way into guest memory: a granted ref, the right access, inside the page. */
static inline uint8_t *grant_page(grant_ref_t ref, unsigned int off, unsigned int len, bool write)
{
	if (ref >= REFS || !grants[ref].used || (write && grants[ref].readonly) || off + len > 4096)
		return NULL;
	return (uint8_t *)grants[ref].page + off;
}

/* The store: paths and values, in no order. */
static struct {
	char path[256], value[256];
} store[64];
static int store_n;

static inline int store_find(const char *path)
{
	for (int i = 0; i < store_n; i++)
		if (strcmp(store[i].path, path) == 0)
			return i;
	return -1;
}

static inline const char *store_get(const char *path)
{
	int i = store_find(path);
	return i < 0 ? NULL : store[i].value;
}

static inline void store_set(const char *path, const char *value)
{
	int i = store_find(path);
	if (i < 0) {
		if (store_n == (int)(sizeof(store) / sizeof(store[0])))
			abort();
		i = store_n++;
		snprintf(store[i].path, sizeof(store[i].path), "%s", path);
	}
	snprintf(store[i].value, sizeof(store[i].value), "%s", value);
}

static inline void store_del(const char *path)
{
	int i = store_find(path);
	if (i >= 0)
		store[i] = store[--store_n];
}

int xs_read(const char *path, char *buf, size_t len)
{
	const char *v = store_get(path);
	if (!v)
		return -XEN_ENOENT;
	if (strlen(v) + 1 > len)
		return -XEN_E2BIG;
	strcpy(buf, v);
	return (int)strlen(v);
}

int xenbus_switch_state(const char *dir, XenbusState state)
{
	char path[300], v[8];
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(v, sizeof(v), "%d", (int)state);
	return xs_write(path, v);
}

XenbusState xenbus_read_state(const char *dir)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/state", dir);
	const char *v = store_get(path);
	return v ? (XenbusState)atoi(v) : XenbusStateUnknown;
}

/* Event channels: every device gets port 7; the last handler set is the one events reach. */
#define FRONT_PORT 7
static evtchn_handler_t handler;
static void *handler_arg;
static unsigned int ports_open;

int evtchn_alloc_unbound(uint16_t remote_dom, evtchn_port_t *port)
{
	if (remote_dom != 0)
		return -XEN_EINVAL;
	ports_open++;
	*port = FRONT_PORT;
	return 0;
}

int evtchn_close(evtchn_port_t port)
{
	(void)port;
	ports_open--;
	return 0;
}

int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t h, void *arg)
{
	(void)port;
	handler = h;
	handler_arg = arg;
	return 0;
}

/* Restore hooks: the last one a device registered, for a test to run as plat_ready would after a restore. */
static struct plat_restore_hook *restore_hook;

void plat_on_restore(struct plat_restore_hook *h)
{
	restore_hook = h;
}

#endif
