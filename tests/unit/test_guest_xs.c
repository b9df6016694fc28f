/* unit-sources: plat/common/xs.c plat/common/xenbus.c */
/* Unit tests of the guest's xenstore client against a scripted store, honest and hostile, on a host ring. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <xen/errno.h>
#include <mica/xen_boot.h>
#include <mica/xenstore.h>
#include "unit.h"

#define HDR sizeof(struct xsd_sockmsg)

static struct xenstore_domain_interface ring;
static unsigned int notifies, blocks;
static uint64_t now_ns;

/* What the store does with each whole request: the test's script. */
static void (*store_script)(const struct xsd_sockmsg *h, const char *payload);
static char store_in[HDR + XENSTORE_PAYLOAD_MAX];
static uint32_t store_in_len;
static char store_out[65536];
static uint32_t store_out_len, store_out_sent;

/* Writes queued output into the response ring while it has room, as a store would. */
static void store_flush(void)
{
	while (store_out_sent < store_out_len && ring.rsp_prod - ring.rsp_cons < XENSTORE_RING_SIZE) {
		ring.rsp[MASK_XENSTORE_IDX(ring.rsp_prod)] = store_out[store_out_sent++];
		ring.rsp_prod++;
	}
}

static void store_send(uint32_t type, uint32_t req_id, const void *payload, uint32_t len)
{
	struct xsd_sockmsg h = {type, req_id, 0, len};
	memcpy(store_out + store_out_len, &h, HDR);
	memcpy(store_out + store_out_len + HDR, payload, len);
	store_out_len += (uint32_t)HDR + len;
}

/* The store runs inside the notify, as mica's does. */
int evtchn_notify(evtchn_port_t port)
{
	(void)port;
	notifies++;
	while (ring.req_cons != ring.req_prod) {
		store_in[store_in_len++] = ring.req[MASK_XENSTORE_IDX(ring.req_cons)];
		ring.req_cons++;
		struct xsd_sockmsg h;
		memcpy(&h, store_in, HDR);
		if (store_in_len >= HDR && store_in_len == HDR + h.len) {
			store_script(&h, store_in + HDR);
			store_in_len = 0;
		}
	}
	store_flush();
	return 0;
}

void evtchn_unmask(evtchn_port_t port) { (void)port; }

/* Nothing else would ever answer: a block jumps to the deadline, or fails the wait. */
void plat_block(uint64_t deadline_ns)
{
	blocks++;
	if (deadline_ns != UINT64_MAX)
		now_ns = deadline_ns;
}

uint64_t plat_time_ns(void) { return now_ns; }

/* A fresh ring whose indices start at base, so a test can make them wrap. */
static void reset(uint32_t base, void (*script)(const struct xsd_sockmsg *, const char *))
{
	memset(&ring, 0, sizeof(ring));
	ring.req_cons = ring.req_prod = ring.rsp_cons = ring.rsp_prod = base;
	store_script = script;
	store_in_len = store_out_len = store_out_sent = 0;
	notifies = blocks = 0;
	xen_xs_init(&ring, 5);
}

static char big[XENSTORE_PAYLOAD_MAX + 1];

/* An honest store: READ answers "hello" (or 4000 bytes for "big"), WRITE and WATCH answer OK. */
static void script_honest(const struct xsd_sockmsg *h, const char *p)
{
	if (h->type == XS_READ && strcmp(p, "big") == 0)
		store_send(XS_READ, h->req_id, big, 4000);
	else if (h->type == XS_READ)
		store_send(XS_READ, h->req_id, "hello", 5);
	else
		store_send(h->type, h->req_id, "OK", 3);
	if (h->type == XS_WATCH)
		store_send(XS_WATCH_EVENT, 0, "a/b\0tok", 8);
}

static void script_error(const struct xsd_sockmsg *h, const char *p)
{
	const char *name = strcmp(p, "unknown") == 0 ? "EWHATEVER" : "EACCES";
	store_send(XS_ERROR, h->req_id, name, (uint32_t)strlen(name) + 1);
}

/* Answers a stale request id first, then events (one without a token, one overlong), then the reply. */
static void script_noisy(const struct xsd_sockmsg *h, const char *p)
{
	(void)p;
	char ev[200] = "x/y";
	memset(ev + 4, 't', 100);
	store_send(XS_READ, h->req_id + 7, "stale", 5);
	store_send(XS_WATCH_EVENT, 0, "only-path", 10);
	store_send(XS_WATCH_EVENT, 0, ev, 105);
	for (int i = 0; i < 20; i++) {
		char e[16];
		int n = snprintf(e, sizeof(e), "e/%d", i);
		memcpy(e + n + 1, "tk", 3);
		store_send(XS_WATCH_EVENT, 0, e, (uint32_t)n + 4);
	}
	store_send(XS_READ, h->req_id, "fine", 4);
}

static void script_bad_rsp_prod(const struct xsd_sockmsg *h, const char *p)
{
	(void)h;
	(void)p;
	ring.rsp_prod = ring.rsp_cons + 5000;
}

static void script_bad_len(const struct xsd_sockmsg *h, const char *p)
{
	(void)p;
	store_send(XS_READ, h->req_id, "", 0);
	struct xsd_sockmsg bad = {XS_READ, h->req_id, 0, XENSTORE_PAYLOAD_MAX + 1};
	memcpy(store_out, &bad, HDR);
}

static void script_bad_dir(const struct xsd_sockmsg *h, const char *p)
{
	(void)p;
	store_send(XS_DIRECTORY, h->req_id, "a\0b", 3);
}

/* A backend stuck in InitWait: reads say 2, watches fire once at registration. */
static void script_stuck(const struct xsd_sockmsg *h, const char *p)
{
	if (h->type == XS_READ) {
		store_send(XS_READ, h->req_id, "2", 1);
		return;
	}
	store_send(h->type, h->req_id, "OK", 3);
	if (h->type == XS_WATCH)
		store_send(XS_WATCH_EVENT, 0, p, (uint32_t)(strlen(p) + 1 + strlen(p + strlen(p) + 1) + 1));
}

static void test_honest(void)
{
	char buf[XENSTORE_PAYLOAD_MAX + 1];
	reset(0, script_honest);
	int rc = xs_read("x", buf, sizeof(buf));
	unit_check(rc == 5 && strcmp(buf, "hello") == 0, "read answers the value", "rc %d", rc);
	unit_check(notifies == 1 && blocks == 0, "a request synchronously answered costs one notify, no block",
		   "%u notifies, %u blocks", notifies, blocks);

	reset(UINT32_MAX - 100, script_honest);
	memset(big, 'q', sizeof(big));
	big[4000] = '\0';
	rc = xs_write("k", big);
	unit_check(rc == 0, "a 3.9 KiB write goes through the 1 KiB ring with wrapping indices", "rc %d", rc);
	rc = xs_read("big", buf, sizeof(buf));
	unit_check(rc == 4000 && buf[0] == 'q', "a 4000-byte reply comes through the 1 KiB ring",
		   "rc %d", rc);
	rc = xs_read("x", buf, 3);
	unit_check(rc == -XEN_E2BIG, "a value longer than the buffer is E2BIG", "rc %d", rc);

	reset(0, script_honest);
	unsigned long v;
	rc = xs_read_uint("x", &v);
	unit_check(rc == -XEN_EINVAL, "read_uint of a word is EINVAL", "rc %d", rc);
	rc = xs_watch("a", "tok");
	char path[64];
	int wrc = xs_wait_watch("tok", path, sizeof(path), 1000);
	unit_check(rc == 0 && wrc == 0 && strcmp(path, "a/b") == 0, "an event after the watch's reply is taken",
		   "rc %d, wait %d", rc, wrc);
	wrc = xs_wait_watch("tok", path, sizeof(path), now_ns + 1000);
	unit_check(wrc == -XEN_ETIMEDOUT, "no second event: the wait times out", "wait %d", wrc);
	memset(big, 'p', XENSTORE_PAYLOAD_MAX);
	big[XENSTORE_PAYLOAD_MAX] = '\0';
	unsigned int before = notifies;
	rc = xs_write("k", big);
	unit_check(rc == -XEN_EINVAL && notifies == before, "a payload over 4096 bytes is refused without a request",
		   "rc %d, %u notifies", rc, notifies - before);
}

static void test_errors(void)
{
	char buf[16];
	reset(0, script_error);
	int rc = xs_read("x", buf, sizeof(buf));
	unit_check(rc == -XEN_EACCES, "XS_ERROR EACCES maps to -XEN_EACCES", "rc %d", rc);
	rc = xs_read("unknown", buf, sizeof(buf));
	unit_check(rc == -XEN_EIO, "an error name Xen does not know is EIO", "rc %d", rc);
	XenbusState s = xenbus_read_state("dev");
	unit_check(s == XenbusStateUnknown, "a state that cannot be read is Unknown", "state %d", (int)s);
}

static void test_noisy(void)
{
	char buf[16], path[64];
	reset(0, script_noisy);
	int rc = xs_read("x", buf, sizeof(buf));
	unit_check(rc == 4 && strcmp(buf, "fine") == 0, "a stale reply and 22 events before the reply are skipped",
		   "rc %d", rc);
	int first = xs_wait_watch("tk", path, sizeof(path), now_ns + 1);
	unit_check(first == 0 && strcmp(path, "e/4") == 0, "a full event queue dropped the oldest events",
		   "rc %d path %s", first, path);
	int n = 1;
	while (xs_wait_watch("tk", path, sizeof(path), now_ns + 1) == 0)
		n++;
	unit_check(n == 16 && strcmp(path, "e/19") == 0, "16 events are kept, the newest last", "%d kept", n);
}

static void test_hostile(void)
{
	char buf[16];
	reset(0, script_bad_rsp_prod);
	int rc = xs_read("x", buf, sizeof(buf));
	unit_check(rc == -XEN_EIO, "rsp_prod more than a ring ahead is EIO", "rc %d", rc);
	unsigned int before = notifies;
	rc = xs_read("x", buf, sizeof(buf));
	unit_check(rc == -XEN_EIO && notifies == before, "a broken store is not asked again", "rc %d", rc);

	reset(0, script_bad_len);
	rc = xs_read("x", buf, sizeof(buf));
	unit_check(rc == -XEN_EIO, "a reply longer than XENSTORE_PAYLOAD_MAX is EIO", "rc %d", rc);

	reset(0, script_bad_dir);
	rc = xs_directory("d", buf, sizeof(buf));
	unit_check(rc == -XEN_EIO, "a directory listing without its final NUL is EIO", "rc %d", rc);

	reset(0, script_honest);
	ring.req_cons = 3000;
	rc = xs_read("x", buf, sizeof(buf));
	unit_check(rc == -XEN_EIO, "req_cons beyond what was produced is EIO", "rc %d", rc);

	reset(0, script_honest);
	ring.error = XENSTORE_ERROR_RINGIDX;
	rc = xs_read("x", buf, sizeof(buf));
	unit_check(rc == -XEN_EIO, "a store that reported an error is EIO", "rc %d", rc);

	reset(0, script_stuck);
	now_ns = 0;
	XenbusState s = xenbus_wait_state("dev", XenbusStateConnected, 5);
	unit_check(s == XenbusStateInitWait && now_ns == 5, "wait_state on a stuck backend gives up at the deadline",
		   "state %d at %llu ns", (int)s, (unsigned long long)now_ns);
}

/* The watches a store was asked to set, "path token;" each, as script_restored saw them. */
static char watches_set[256];

static void script_restored(const struct xsd_sockmsg *h, const char *p)
{
	if (h->type == XS_WATCH) {
		size_t n = strlen(watches_set);
		snprintf(watches_set + n, sizeof(watches_set) - n, "%s %s;", p, p + strlen(p) + 1);
		script_stuck(h, p);
		return;
	}
	script_honest(h, p);
}

/*
 * After a restore the runtime has emptied the ring for a new store; the client starts over at
 * index 0, forgets events of the old store and sets its watches again, each firing once.
 */
static void test_restored(void)
{
	char buf[16], path[64];
	reset(700, script_honest);
	xs_unwatch("a", "tok"); /* test_honest's */
	int rc = xs_watch("a/b", "tok");
	rc |= xs_wait_watch("tok", path, sizeof(path), now_ns + 1);
	rc |= xs_watch("c", "gone");
	rc |= xs_unwatch("c", "gone");
	rc |= xs_watch("d", "late");
	unit_check(rc == 0, "restored: watches set and one taken away before the ready point", "rc %d", rc);

	/* An event the client queued but nobody took when the guest was saved. */
	store_send(XS_WATCH_EVENT, 0, "d\0late", 7);
	store_flush();
	xs_wait_watch("none", path, sizeof(path), now_ns + 1);
	memset(&ring, 0, sizeof(ring));
	store_script = script_restored;
	store_in_len = store_out_len = store_out_sent = 0;
	watches_set[0] = '\0';
	xen_xs_restored();
	unit_check(strcmp(watches_set, "a/b tok;d late;") == 0, "restored: the watches still set are set again",
		   "set: %s", watches_set);
	int late = xs_wait_watch("late", path, sizeof(path), now_ns + 1);
	int again = xs_wait_watch("late", path, sizeof(path), now_ns + 1);
	unit_check(late == 0 && again == -XEN_ETIMEDOUT, "restored: the old store's event is gone, the new one fires once",
		   "first %d, second %d", late, again);
	rc = xs_read("x", buf, sizeof(buf));
	unit_check(rc == 5 && ring.req_prod == ring.req_cons && ring.rsp_cons == ring.rsp_prod,
		   "restored: requests from index 0 of the emptied ring", "rc %d, req %u/%u rsp %u/%u", rc, ring.req_prod,
		   ring.req_cons, ring.rsp_cons, ring.rsp_prod);
	xs_unwatch("a/b", "tok");
	xs_unwatch("d", "late");

	/* The client keeps 16 watches to set again: a 17th is refused, never silently dropped. */
	reset(0, script_honest);
	int set = 0;
	char tok[16];
	while (set < 20) {
		snprintf(tok, sizeof(tok), "w%d", set);
		if (xs_watch("w", tok) != 0)
			break;
		set++;
	}
	snprintf(tok, sizeof(tok), "w%d", set);
	rc = xs_watch("w", tok);
	unit_check(set == 16 && rc == -XEN_ENOSPC, "restored: a 17th watch is ENOSPC", "%d set, then rc %d", set, rc);
	for (int i = 0; i < set; i++) {
		snprintf(tok, sizeof(tok), "w%d", i);
		xs_unwatch("w", tok);
	}
}

int main(void)
{
	test_honest();
	test_errors();
	test_noisy();
	test_hostile();
	test_restored();
	return unit_exit_status();
}
