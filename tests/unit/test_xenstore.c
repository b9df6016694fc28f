/* unit-sources: runtime/vm/guest.c runtime/xen/evtchn.c runtime/xen/xenstore.c runtime/xen/xenstore_tree.c runtime/util/log.c */
/* unit-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/* Unit tests of the xenstore daemon through its real ring, with requests written as a guest writes them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>
#include "vm/guest.h"
#include "xen/xenstore.h"
#include "unit.h"

static struct guest g;
static shared_info_t shared;
static struct xenstore_domain_interface *ring;
static uint32_t last_req;
static int auto_drain = 1;

/* Everything the daemon answered, as the guest read it off the response ring. */
static char rx[1 << 20];
static size_t rx_len, rx_at;

struct reply {
	struct xsd_sockmsg h;
	char data[XENSTORE_PAYLOAD_MAX + 1];
};

static struct {
	char path[XS_MAX_PATH + 1], token[64];
} events[256];
static int nevents;

static void fresh(void)
{
	xenstore_destroy(&g);
	free(ring);
	memset(&g, 0, sizeof(g));
	memset(&shared, 0, sizeof(shared));
	ring = calloc(1, MICA_PAGE_SIZE);
	g.shared = &shared;
	g.store = ring;
	rx_len = rx_at = 0;
	nevents = 0;
	auto_drain = 1;
	if (xenstore_setup(&g) != 0)
		abort();
}

/* Reads what the response ring holds, letting the daemon refill it, until it stays empty. */
static void drain(void)
{
	while (ring->rsp_prod != ring->rsp_cons) {
		for (XENSTORE_RING_IDX i = ring->rsp_cons; i != ring->rsp_prod; i++)
			if (rx_len < sizeof(rx))
				rx[rx_len++] = ring->rsp[MASK_XENSTORE_IDX(i)];
		ring->rsp_cons = ring->rsp_prod;
		xenstore_service(&g);
	}
}

/* Pours bytes into the request ring as room allows, notifying after each piece. */
static void pour(const void *data, size_t len)
{
	const char *p = data;
	int stuck = 0;
	while (len && stuck < 3) {
		size_t room = XENSTORE_RING_SIZE - (ring->req_prod - ring->req_cons), n = len < room ? len : room;
		for (size_t i = 0; i < n; i++)
			ring->req[MASK_XENSTORE_IDX(ring->req_prod + i)] = p[i];
		ring->req_prod += (XENSTORE_RING_IDX)n;
		p += n;
		len -= n;
		stuck = n ? 0 : stuck + 1;
		xenstore_service(&g);
		if (auto_drain)
			drain();
	}
}

static void send_msg(uint32_t type, uint32_t tx, const void *payload, uint32_t len)
{
	struct xsd_sockmsg h = {type, ++last_req, tx, len};
	static char buf[sizeof(h) + 2 * XENSTORE_PAYLOAD_MAX];
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, len);
	pour(buf, sizeof(h) + len);
}

/* The next whole message received, events set aside; false when none is complete. */
static int next_reply(struct reply *r)
{
	while (rx_len - rx_at >= sizeof(r->h)) {
		memcpy(&r->h, rx + rx_at, sizeof(r->h));
		if (r->h.len > XENSTORE_PAYLOAD_MAX || rx_len - rx_at - sizeof(r->h) < r->h.len)
			return 0;
		memcpy(r->data, rx + rx_at + sizeof(r->h), r->h.len);
		r->data[r->h.len] = '\0';
		rx_at += sizeof(r->h) + r->h.len;
		if (r->h.type != XS_WATCH_EVENT)
			return 1;
		if (nevents < 256) {
			const char *token = r->data + strlen(r->data) + 1;
			events[nevents].path[0] = events[nevents].token[0] = '\0';
			strncat(events[nevents].path, r->data, sizeof(events[0].path) - 1);
			strncat(events[nevents].token, token, sizeof(events[0].token) - 1);
			nevents++;
		}
	}
	return 0;
}

static struct reply rep;

/* Sends one request and returns its reply (type XS_INVALID when none came). */
static struct reply *call(uint32_t type, uint32_t tx, const void *payload, uint32_t len)
{
	send_msg(type, tx, payload, len);
	if (!next_reply(&rep) || rep.h.req_id != last_req)
		rep.h.type = XS_INVALID;
	return &rep;
}

static struct reply *call1(uint32_t type, uint32_t tx, const char *arg)
{
	return call(type, tx, arg, (uint32_t)strlen(arg) + 1);
}

static struct reply *call2(uint32_t type, uint32_t tx, const char *a, const char *b)
{
	char buf[2 * XENSTORE_PAYLOAD_MAX];
	size_t an = strlen(a) + 1, bn = strlen(b) + (type == XS_WRITE ? 0 : 1);
	memcpy(buf, a, an);
	memcpy(buf + an, b, bn);
	return call(type, tx, buf, (uint32_t)(an + bn));
}

static int is_ok(const struct reply *r, uint32_t type)
{
	return r->h.type == type && strcmp(r->data, "OK") == 0;
}

static int is_err(const struct reply *r, const char *name)
{
	return r->h.type == XS_ERROR && strcmp(r->data, name) == 0;
}

static int has_value(const struct reply *r, const char *value)
{
	return r->h.type == XS_READ && r->h.len == strlen(value) && memcmp(r->data, value, r->h.len) == 0;
}

static int count_events(const char *path, const char *token)
{
	int n = 0;
	for (int i = 0; i < nevents; i++)
		n += strcmp(events[i].path, path) == 0 && strcmp(events[i].token, token) == 0;
	return n;
}

static void test_read_write(void)
{
	fresh();
	unit_check(ring->server_features == XENSTORE_SERVER_FEATURE_ERROR, "advertises the error field", NULL);
	unit_check(is_ok(call2(XS_WRITE, 0, "data/x", "hello"), XS_WRITE), "write", "%s", rep.data);
	unit_check((shared.evtchn_pending[0] >> g.store_port) & 1, "store port raised", NULL);
	unit_check(has_value(call1(XS_READ, 0, "data/x"), "hello"), "read back, relative", "%s", rep.data);
	unit_check(has_value(call1(XS_READ, 0, "/local/domain/1/data/x"), "hello"), "read back, absolute", NULL);
	unit_check(has_value(call1(XS_READ, 0, "data"), ""), "parents created empty", NULL);
	unit_check(is_err(call1(XS_READ, 0, "data/missing"), "ENOENT"), "missing node: ENOENT", "%s", rep.data);
	unit_check(rep.h.req_id == last_req, "error echoes the request id", NULL);
	unit_check(is_ok(call2(XS_WRITE, 0, "data/x", ""), XS_WRITE) && has_value(call1(XS_READ, 0, "data/x"), ""),
		   "overwrite with an empty value", NULL);

	char big[3000];
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	unit_check(is_ok(call2(XS_WRITE, 0, "big", big), XS_WRITE) && has_value(call1(XS_READ, 0, "big"), big),
		   "value larger than the ring, both ways", NULL);
	unit_check(strcmp(call1(XS_GET_DOMAIN_PATH, 0, "1")->data, "/local/domain/1") == 0 &&
			   rep.h.type == XS_GET_DOMAIN_PATH,
		   "domain path", "%s", rep.data);
	unit_check(is_err(call1(XS_GET_DOMAIN_PATH, 0, "x1"), "EINVAL"), "domain path of a non-number", NULL);
}

static void test_directory(void)
{
	fresh();
	call2(XS_WRITE, 0, "d/b", "2");
	call2(XS_WRITE, 0, "d/a", "1");
	call2(XS_WRITE, 0, "d/c/deep", "3");
	call2(XS_WRITE, 0, "d-sibling", "4");
	call1(XS_DIRECTORY, 0, "d");
	unit_check(rep.h.type == XS_DIRECTORY && rep.h.len == 6 && memcmp(rep.data, "a\0b\0c\0", 6) == 0,
		   "directory lists children only", NULL);
	call1(XS_DIRECTORY, 0, "/local/domain");
	unit_check(rep.h.len == 2 && memcmp(rep.data, "1\0", 2) == 0, "directory outside the home is readable", NULL);
	call1(XS_DIRECTORY, 0, "d/a");
	unit_check(rep.h.type == XS_DIRECTORY && rep.h.len == 0, "leaf lists nothing", NULL);
	unit_check(is_err(call1(XS_DIRECTORY, 0, "nope"), "ENOENT"), "directory of a missing node", NULL);
}

static void test_mkdir_rm(void)
{
	fresh();
	unit_check(is_ok(call1(XS_MKDIR, 0, "m/n"), XS_MKDIR) && has_value(call1(XS_READ, 0, "m/n"), ""), "mkdir", NULL);
	call2(XS_WRITE, 0, "m/n", "keep");
	unit_check(is_ok(call1(XS_MKDIR, 0, "m/n"), XS_MKDIR) && has_value(call1(XS_READ, 0, "m/n"), "keep"),
		   "mkdir of an existing node keeps its value", NULL);
	call2(XS_WRITE, 0, "m-x", "other");
	unit_check(is_ok(call1(XS_RM, 0, "m"), XS_RM), "rm", NULL);
	unit_check(is_err(call1(XS_READ, 0, "m/n"), "ENOENT") && is_err(call1(XS_READ, 0, "m"), "ENOENT") &&
			   has_value(call1(XS_READ, 0, "m-x"), "other"),
		   "rm takes the subtree and nothing else", NULL);
	unit_check(is_ok(call1(XS_RM, 0, "gone"), XS_RM), "rm of a missing child of an existing node", NULL);
	unit_check(is_err(call1(XS_RM, 0, "gone/deeper"), "ENOENT"), "rm below a missing node: ENOENT", NULL);
}

static void test_permissions(void)
{
	fresh();
	unit_check(is_err(call2(XS_WRITE, 0, "/local/domain/0/x", "v"), "EACCES"), "write to dom0's home refused", NULL);
	unit_check(is_err(call2(XS_WRITE, 0, "/x", "v"), "EACCES"), "write at the root refused", NULL);
	unit_check(is_err(call2(XS_WRITE, 0, "/local/domain/10/x", "v"), "EACCES"), "write to a lookalike home refused",
		   NULL);
	unit_check(is_err(call1(XS_MKDIR, 0, "/local/x"), "EACCES"), "mkdir outside the home refused", NULL);
	unit_check(is_err(call1(XS_RM, 0, "/local/domain"), "EACCES"), "rm of an ancestor refused", NULL);
	unit_check(is_err(call1(XS_RM, 0, "/"), "EACCES"), "rm of the root refused", NULL);
	unit_check(xenstore_write(&g, "/local/domain/0/backend/vif/1/0/state", "1") == 0 &&
			   has_value(call1(XS_READ, 0, "/local/domain/0/backend/vif/1/0/state"), "1"),
		   "runtime writes backend keys the guest reads", NULL);
	unit_check(is_err(call2(XS_WRITE, 0, "/local/domain/0/backend/vif/1/0/state", "6"), "EACCES"),
		   "guest cannot overwrite them", NULL);
	unit_check(xenstore_write(&g, "bad//path", "1") != 0, "runtime paths are validated", NULL);
	unit_check(is_err(call2(XS_WRITE, 0, "a//b", "v"), "EINVAL") && is_err(call2(XS_WRITE, 0, "a/", "v"), "EINVAL") &&
			   is_err(call2(XS_WRITE, 0, "a b", "v"), "EINVAL") && is_err(call2(XS_WRITE, 0, "", "v"), "EINVAL"),
		   "invalid paths: EINVAL", NULL);
}

static void test_watches(void)
{
	fresh();
	unit_check(is_ok(call2(XS_WATCH, 0, "w", "t1"), XS_WATCH), "watch", NULL);
	next_reply(&rep);
	unit_check(nevents == 1 && count_events("w", "t1") == 1, "fires once on registration", NULL);
	unit_check(is_err(call2(XS_WATCH, 0, "w", "t1"), "EEXIST"), "same watch twice: EEXIST", NULL);
	call2(XS_WATCH, 0, "/local/domain/1/w", "t2");
	call2(XS_WRITE, 0, "w", "1");
	next_reply(&rep);
	unit_check(count_events("w", "t1") == 2 && count_events("/local/domain/1/w", "t2") == 2,
		   "fires on change, relative or absolute as registered", NULL);
	call2(XS_WRITE, 0, "w/child", "1");
	next_reply(&rep);
	unit_check(count_events("w/child", "t1") == 1, "fires on change of a child", NULL);
	call2(XS_WRITE, 0, "other", "1");
	next_reply(&rep);
	unit_check(nevents == 6, "unrelated change fires nothing", "%d events", nevents);
	unit_check(is_ok(call2(XS_UNWATCH, 0, "w", "t1"), XS_UNWATCH), "unwatch", NULL);
	unit_check(is_err(call2(XS_UNWATCH, 0, "w", "t1"), "ENOENT"), "unwatch twice: ENOENT", NULL);
	call2(XS_WATCH, 0, "w/child", "t3");
	next_reply(&rep);
	nevents = 0;
	call1(XS_RM, 0, "w");
	next_reply(&rep);
	unit_check(nevents == 2 && count_events("w/child", "t3") == 1 && count_events("/local/domain/1/w", "t2") == 1,
		   "rm fires watches below too; unwatched stays silent", "%d events", nevents);
	nevents = 0;
	xenstore_write(&g, "/local/domain/1/w", "back");
	drain();
	next_reply(&rep);
	unit_check(count_events("/local/domain/1/w", "t2") == 1, "runtime writes fire watches", NULL);
	unit_check(is_ok(call2(XS_WATCH, 0, "@releaseDomain", "t4"), XS_WATCH), "special watch accepted", NULL);
}

static void test_transactions(void)
{
	fresh();
	call2(XS_WATCH, 0, "t", "tok");
	call1(XS_TRANSACTION_START, 0, "");
	uint32_t tx = (uint32_t)strtoul(rep.data, NULL, 10);
	unit_check(rep.h.type == XS_TRANSACTION_START && tx != 0, "start", "%s", rep.data);
	unit_check(is_ok(call2(XS_WRITE, tx, "t/a", "1"), XS_WRITE) && rep.h.tx_id == tx, "write inside", NULL);
	unit_check(has_value(call1(XS_READ, tx, "t/a"), "1") && is_err(call1(XS_READ, 0, "t/a"), "ENOENT"),
		   "visible inside only", NULL);
	nevents = 0;
	unit_check(is_ok(call1(XS_TRANSACTION_END, tx, "T"), XS_TRANSACTION_END) &&
			   has_value(call1(XS_READ, 0, "t/a"), "1"),
		   "commit", NULL);
	unit_check(count_events("t/a", "tok") == 1, "commit fires watches", NULL);
	unit_check(is_err(call1(XS_READ, tx, "t/a"), "ENOENT"), "ended transaction is gone", NULL);

	call1(XS_TRANSACTION_START, 0, "");
	tx = (uint32_t)strtoul(rep.data, NULL, 10);
	call2(XS_WRITE, tx, "t/b", "1");
	call2(XS_WRITE, 0, "t/c", "1");
	unit_check(is_err(call1(XS_TRANSACTION_END, tx, "T"), "EAGAIN") && is_err(call1(XS_READ, 0, "t/b"), "ENOENT"),
		   "conflict: EAGAIN, nothing applied", NULL);
	call1(XS_TRANSACTION_START, 0, "");
	tx = (uint32_t)strtoul(rep.data, NULL, 10);
	call1(XS_RM, tx, "t");
	unit_check(is_ok(call1(XS_TRANSACTION_END, tx, "F"), XS_TRANSACTION_END) && has_value(call1(XS_READ, 0, "t/a"), "1"),
		   "abort", NULL);
	unit_check(is_err(call1(XS_TRANSACTION_END, 999, "T"), "ENOENT"), "unknown transaction", NULL);
	call1(XS_TRANSACTION_START, 0, "");
	tx = (uint32_t)strtoul(rep.data, NULL, 10);
	unit_check(is_err(call1(XS_TRANSACTION_END, tx, "X"), "EINVAL"), "end needs T or F", NULL);
	unit_check(is_err(call1(XS_TRANSACTION_START, tx, ""), "EBUSY"), "no nesting", NULL);
}

static void test_quotas(void)
{
	char path[XS_MAX_PATH + 2];
	int i;
	fresh();
	for (i = 0; i < 2 * XS_MAX_ENTRIES; i++) {
		snprintf(path, sizeof(path), "n%d", i);
		if (!is_ok(call2(XS_WRITE, 0, path, ""), XS_WRITE))
			break;
	}
	unit_check(is_err(&rep, "ENOSPC") && i == XS_MAX_ENTRIES - 4, "entry quota: ENOSPC", "%d nodes", i);
	unit_check(has_value(call1(XS_READ, 0, "n0"), ""), "store still serves", NULL);

	fresh();
	for (i = 0; i < 2 * XS_MAX_WATCHES; i++) {
		snprintf(path, sizeof(path), "w%d", i);
		if (!is_ok(call2(XS_WATCH, 0, path, "t"), XS_WATCH))
			break;
	}
	unit_check(is_err(&rep, "E2BIG") && i == XS_MAX_WATCHES, "watch quota: E2BIG", "%d watches", i);

	fresh();
	for (i = 0; i < 2 * XS_MAX_TRANSACTIONS; i++)
		if (call1(XS_TRANSACTION_START, 0, "")->h.type != XS_TRANSACTION_START)
			break;
	unit_check(is_err(&rep, "ENOSPC") && i == XS_MAX_TRANSACTIONS, "transaction quota: ENOSPC", "%d", i);

	fresh();
	static char value[XENSTORE_PAYLOAD_MAX];
	memset(value, 'v', 4000);
	for (i = 0; i < XS_MAX_ENTRIES; i++) {
		snprintf(path, sizeof(path), "b%d", i);
		if (!is_ok(call2(XS_WRITE, 0, path, value), XS_WRITE))
			break;
	}
	unit_check(is_err(&rep, "ENOSPC") && i < XS_MAX_BYTES / 4000 && i > XS_MAX_BYTES / 4200,
		   "byte quota: ENOSPC", "%d values", i);
	call1(XS_TRANSACTION_START, 0, "");
	unit_check(is_err(&rep, "ENOSPC"), "a transaction's copy counts too", NULL);
	call1(XS_RM, 0, "/local/domain/1");
	unit_check(is_ok(call2(XS_WRITE, 0, "again", value), XS_WRITE), "rm gives the bytes back", NULL);

	fresh();
	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[XS_MAX_PATH] = '\0';
	unit_check(is_err(call2(XS_WRITE, 0, path, "v"), "EACCES"), "longest path is a path", NULL);
	memcpy(path, "/local/domain/1/", 16);
	unit_check(is_ok(call2(XS_WRITE, 0, path, "v"), XS_WRITE), "path of XS_MAX_PATH bytes", NULL);
	path[XS_MAX_PATH] = 'p';
	path[XS_MAX_PATH + 1] = '\0';
	unit_check(is_err(call2(XS_WRITE, 0, path, "v"), "EINVAL"), "longer path: EINVAL", NULL);
	unit_check(is_err(call2(XS_WRITE, 0, path + 16, "v"), "EINVAL"), "longer once made absolute: EINVAL", NULL);
}

static void test_malformed(void)
{
	fresh();
	unit_check(is_err(call(XS_READ, 0, "abc", 3), "EINVAL"), "unterminated path: EINVAL", NULL);
	unit_check(is_err(call(XS_READ, 0, "a\0b\0", 4), "EINVAL"), "extra string: EINVAL", NULL);
	unit_check(is_err(call(XS_WATCH, 0, "a\0tok", 5), "EINVAL"), "unterminated token: EINVAL", NULL);
	unit_check(is_err(call(XS_WRITE, 0, "abc", 3), "EINVAL"), "write without a path end: EINVAL", NULL);
	unit_check(is_err(call(999, 0, "a", 2), "EINVAL"), "unknown type: EINVAL", NULL);
	unit_check(is_err(call(XS_SET_PERMS, 0, "a\0r1\0", 5), "ENOSYS"), "unsupported type: ENOSYS", NULL);
	unit_check(is_err(call(XS_READ, 0, "", 0), "EINVAL"), "empty payload: EINVAL", NULL);
	struct xsd_sockmsg h = {XS_READ, ++last_req, 0, XENSTORE_PAYLOAD_MAX + 1};
	pour(&h, sizeof(h));
	unit_check(next_reply(&rep) && is_err(&rep, "EINVAL") && rep.h.req_id == last_req, "oversized: EINVAL", NULL);
	unit_check(has_value(call1(XS_READ, 0, "/local/domain/1"), ""), "still serving", NULL);
}

static void test_corrupt_ring(void)
{
	fresh();
	FILE *log = tmpfile();
	int saved = dup(2);
	dup2(fileno(log), 2);
	ring->req_prod = ring->req_cons + XENSTORE_RING_SIZE + 1;
	xenstore_service(&g);
	xenstore_service(&g);
	ring->req_prod = ring->req_cons;
	struct xsd_sockmsg h = {XS_READ, 1, 0, 2};
	pour(&h, sizeof(h));
	pour("/", 2);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	int lines = 0, c;
	rewind(log);
	while ((c = fgetc(log)) != EOF)
		lines += c == '\n';
	fclose(log);
	unit_check(lines == 1, "corrupt ring: one log line", "%d lines", lines);
	unit_check(ring->error == XENSTORE_ERROR_RINGIDX && ring->rsp_prod == 0, "and no more service", NULL);

	fresh();
	ring->rsp_cons = 5000;
	xenstore_service(&g);
	call1(XS_READ, 0, "/");
	unit_check(ring->error == XENSTORE_ERROR_RINGIDX && rep.h.type == XS_INVALID, "corrupt response index too",
		   NULL);
}

static void test_ring_full(void)
{
	fresh();
	static char value[1001];
	memset(value, 'r', 1000);
	call2(XS_WRITE, 0, "r", value);
	auto_drain = 0;
	uint32_t first = last_req + 1;
	for (int i = 0; i < 4; i++)
		send_msg(XS_READ, 0, "r", 2);
	XENSTORE_RING_IDX cons = ring->req_cons;
	xenstore_service(&g);
	unit_check(ring->req_cons == cons && ring->req_cons != ring->req_prod, "requests wait while responses do",
		   NULL);
	drain();
	int ok = 0;
	for (uint32_t id = first; id < first + 4; id++)
		ok += next_reply(&rep) && rep.h.req_id == id && has_value(&rep, value);
	unit_check(ok == 4 && ring->req_cons == ring->req_prod, "then every response comes, in order", "%d", ok);
}

int main(void)
{
	test_read_write();
	test_directory();
	test_mkdir_rm();
	test_permissions();
	test_watches();
	test_transactions();
	test_quotas();
	test_malformed();
	test_corrupt_ring();
	test_ring_full();
	xenstore_destroy(&g);
	free(ring);
	return unit_exit_status();
}
