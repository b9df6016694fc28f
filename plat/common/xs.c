/* Xenstore client over the store ring (xen/io/xs_wire.h): one request at a time, watch events queued. */
#include <arch/cpu.h>
#include <arch/string.h>
#include <xen/errno.h>
#include <mica/xen_boot.h>
#include <mica/xenstore.h>

#define XS_HDR sizeof(struct xsd_sockmsg)

/* Watch events kept for xs_wait_watch; an event that does not fit a slot is cut (path) or dropped (token). */
#define XS_EVENTS 16
#define XS_EVENT_PATH 260
#define XS_EVENT_TOKEN 64

struct xs_event {
	char path[XS_EVENT_PATH];
	char token[XS_EVENT_TOKEN];
};

static struct xenstore_domain_interface *xs_ring;
static evtchn_port_t xs_port;
static bool xs_broken;
static uint32_t xs_next_req_id;

/*
 * Our own copies of the indices we produce: the page is shared with the store, which could
 * rewrite them, and we never read our own back from it.
 */
static XENSTORE_RING_IDX xs_req_prod, xs_rsp_cons;

/* The request being sent. */
static const char *xs_out;
static uint32_t xs_out_len;

/* The message being received, assembled in private memory before anything looks at it. */
static char xs_in[XS_HDR + XENSTORE_PAYLOAD_MAX + 1];
static uint32_t xs_in_len;

static struct xs_event xs_events[XS_EVENTS];
static unsigned int xs_event_first, xs_event_count;

/* The watches set, registered again with the store a restore brings (xen_xs_restored). */
#define XS_WATCHES 16
static struct xs_event xs_watches[XS_WATCHES];
static unsigned int xs_nwatches;

/* XS_ERROR carries an errno's name; xen/errno.h lists every Xen errno with its name. */
static const struct {
	const char *name;
	int value;
} xs_errnos[] = {
#define XEN_ERRNO(name, value) {#name, value},
#include <xen/errno.h>
};

void xen_xs_init(struct xenstore_domain_interface *ring, evtchn_port_t port)
{
	if (!ring || !port)
		return;
	xs_ring = ring;
	xs_port = port;
	xs_broken = false;
	xs_in_len = 0;
	xs_event_count = 0;
	/* Start from where the indices are: a guest that never speaks costs no hypercall here. */
	xs_req_prod = ring->req_prod;
	xs_rsp_cons = ring->rsp_cons;
	/* Unmasked without a handler: the store's answers only need to wake plat_block. */
	evtchn_unmask(port);
}

static size_t xs_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static bool xs_streq(const char *a, const char *b, size_t blen)
{
	return xs_strlen(a) == blen && memcmp(a, b, blen) == 0;
}

static int xs_fail(void)
{
	xs_broken = true;
	return -XEN_EIO;
}

static int xs_error_value(const char *name, uint32_t len)
{
	for (size_t i = 0; i < sizeof(xs_errnos) / sizeof(xs_errnos[0]); i++)
		if (len > 0 && name[len - 1] == '\0' && xs_streq(xs_errnos[i].name, name, len - 1))
			return -xs_errnos[i].value;
	return -XEN_EIO;
}

static void xs_copy_cut(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Queues the event in xs_in (path\0token\0); when the queue is full the oldest goes. */
static void xs_queue_event(uint32_t len)
{
	const char *p = xs_in + XS_HDR;
	size_t plen = 0;
	while (plen < len && p[plen])
		plen++;
	if (plen + 1 >= len)
		return; /* no token: nobody could be waiting for it */
	const char *tok = p + plen + 1;
	size_t tlen = 0;
	while (plen + 1 + tlen < len && tok[tlen])
		tlen++;
	if (tlen >= XS_EVENT_TOKEN)
		return; /* longer than any token xs_watch accepts */
	if (xs_event_count == XS_EVENTS) {
		xs_event_first = (xs_event_first + 1) % XS_EVENTS;
		xs_event_count--;
	}
	struct xs_event *e = &xs_events[(xs_event_first + xs_event_count++) % XS_EVENTS];
	xs_copy_cut(e->path, sizeof(e->path), p, plen);
	xs_copy_cut(e->token, sizeof(e->token), tok, tlen);
}

/*
 * Moves what it can of the request into the request ring and what the response ring holds into
 * xs_in, queueing watch events; notifies the store when it gave it something to do (request
 * bytes, or room in a response ring it had filled). Returns 1 when xs_in holds a whole reply,
 * 0 when nothing more can happen until the store raises its port, or -XEN_EIO.
 */
static int xs_poll(bool *notified)
{
	struct xenstore_domain_interface *r = xs_ring;
	bool notify = false;
	int done = 0;

	*notified = false;
	if (xs_broken || r->error != XENSTORE_ERROR_NONE)
		return xs_fail();
	if (xs_out_len) {
		XENSTORE_RING_IDX cons = __atomic_load_n(&r->req_cons, __ATOMIC_ACQUIRE);
		XENSTORE_RING_IDX used = xs_req_prod - cons;
		if (used > XENSTORE_RING_SIZE)
			return xs_fail();
		uint32_t n = XENSTORE_RING_SIZE - used;
		if (n > xs_out_len)
			n = xs_out_len;
		for (uint32_t i = 0; i < n; i++)
			r->req[MASK_XENSTORE_IDX(xs_req_prod + i)] = xs_out[i];
		xs_out += n;
		xs_out_len -= n;
		xs_req_prod += n;
		__atomic_store_n(&r->req_prod, xs_req_prod, __ATOMIC_RELEASE);
		notify |= n > 0;
	}

	XENSTORE_RING_IDX prod = __atomic_load_n(&r->rsp_prod, __ATOMIC_ACQUIRE);
	XENSTORE_RING_IDX avail = prod - xs_rsp_cons;
	if (avail > XENSTORE_RING_SIZE)
		return xs_fail();
	/* The store stops writing when the ring is full and goes on only when told there is room. */
	bool was_full = avail == XENSTORE_RING_SIZE;
	XENSTORE_RING_IDX cons = xs_rsp_cons;
	while (cons != prod && !done) {
		struct xsd_sockmsg h;
		uint32_t want = XS_HDR;
		if (xs_in_len >= XS_HDR) { /* a header already checked below */
			memcpy(&h, xs_in, XS_HDR);
			want += h.len;
		}
		uint32_t n = want - xs_in_len;
		if (n > prod - cons)
			n = prod - cons;
		for (uint32_t i = 0; i < n; i++)
			xs_in[xs_in_len + i] = r->rsp[MASK_XENSTORE_IDX(cons + i)];
		xs_in_len += n;
		cons += n;
		if (xs_in_len < XS_HDR)
			break;
		memcpy(&h, xs_in, XS_HDR);
		if (h.len > XENSTORE_PAYLOAD_MAX)
			return xs_fail();
		if (xs_in_len < XS_HDR + h.len)
			continue;
		xs_in[xs_in_len] = '\0';
		if (h.type == XS_WATCH_EVENT) {
			xs_queue_event(h.len);
			xs_in_len = 0;
		} else if (xs_out && h.req_id == xs_next_req_id - 1) {
			done = 1;
		} else {
			xs_in_len = 0; /* an answer to nothing we asked: the store is confused, not us */
		}
	}
	if (cons != xs_rsp_cons) {
		__atomic_store_n(&r->rsp_cons, cons, __ATOMIC_RELEASE);
		notify |= was_full;
		xs_rsp_cons = cons;
	}
	if (notify) {
		evtchn_notify(xs_port);
		*notified = true;
	}
	return done;
}

/* Runs xs_poll until a reply is in xs_in, blocking when the store owes us an event. */
static int xs_wait_reply(void)
{
	for (;;) {
		bool notified;
		int rc = xs_poll(&notified);
		if (rc != 0)
			return rc;
		/* mica answers inside the notify: look again before sleeping. */
		if (!notified)
			plat_block(UINT64_MAX);
	}
}

/*
 * Sends type with the given strings as its payload (each with its NUL unless it is the last of a
 * write's value), waits for the reply and leaves it in xs_in. Returns the reply's payload length
 * or a negative Xen errno.
 */
static int xs_talk(uint32_t type, const char *const *parts, const size_t *lens, unsigned int nparts)
{
	static char msg[XS_HDR + XENSTORE_PAYLOAD_MAX];

	if (!xs_ring)
		return -XEN_ENODEV;
	if (xs_broken)
		return -XEN_EIO;
	size_t len = 0;
	for (unsigned int i = 0; i < nparts; i++) {
		if (lens[i] > XENSTORE_PAYLOAD_MAX - len)
			return -XEN_EINVAL; /* as the store answers a payload over its limit */
		memcpy(msg + XS_HDR + len, parts[i], lens[i]);
		len += lens[i];
	}
	struct xsd_sockmsg h = {.type = type, .req_id = xs_next_req_id++, .tx_id = 0, .len = (uint32_t)len};
	memcpy(msg, &h, XS_HDR);
	xs_out = msg;
	xs_out_len = (uint32_t)(XS_HDR + len);
	int rc = xs_wait_reply();
	xs_out = 0;
	xs_out_len = 0;
	if (rc < 0)
		return rc;
	struct xsd_sockmsg reply;
	memcpy(&reply, xs_in, XS_HDR);
	xs_in_len = 0;
	if (reply.type == XS_ERROR)
		return xs_error_value(xs_in + XS_HDR, reply.len);
	if (reply.type != type)
		return xs_fail();
	return (int)reply.len;
}

/* A request whose payload is one path, with its NUL. */
static int xs_talk_path(uint32_t type, const char *path)
{
	size_t len = xs_strlen(path) + 1;
	return xs_talk(type, &path, &len, 1);
}

int xs_read(const char *path, char *buf, size_t len)
{
	int n = xs_talk_path(XS_READ, path);
	if (n < 0)
		return n;
	if ((size_t)n + 1 > len)
		return -XEN_E2BIG;
	memcpy(buf, xs_in + XS_HDR, (size_t)n);
	buf[n] = '\0';
	return n;
}

int xs_write(const char *path, const char *value)
{
	const char *parts[2] = {path, value};
	size_t lens[2] = {xs_strlen(path) + 1, xs_strlen(value)};
	int n = xs_talk(XS_WRITE, parts, lens, 2);
	return n < 0 ? n : 0;
}

int xs_rm(const char *path)
{
	int n = xs_talk_path(XS_RM, path);
	return n < 0 ? n : 0;
}

int xs_directory(const char *path, char *buf, size_t len)
{
	int n = xs_talk_path(XS_DIRECTORY, path);
	if (n < 0)
		return n;
	/* Each name must end with its NUL, so a caller can walk them without running off. */
	if (n > 0 && xs_in[XS_HDR + n - 1] != '\0')
		return xs_fail();
	if ((size_t)n > len)
		return -XEN_E2BIG;
	memcpy(buf, xs_in + XS_HDR, (size_t)n);
	return n;
}

int xs_read_uint(const char *path, unsigned long *value)
{
	char buf[24];
	int n = xs_read(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	unsigned long v = 0;
	if (n == 0)
		return -XEN_EINVAL;
	for (int i = 0; i < n; i++) {
		if (buf[i] < '0' || buf[i] > '9' || v > (~0UL - 9) / 10)
			return -XEN_EINVAL;
		v = v * 10 + (unsigned long)(buf[i] - '0');
	}
	*value = v;
	return 0;
}

static int xs_talk_watch(uint32_t type, const char *path, const char *token)
{
	const char *parts[2] = {path, token};
	size_t lens[2] = {xs_strlen(path) + 1, xs_strlen(token) + 1};
	if (lens[1] > XS_EVENT_TOKEN)
		return -XEN_EINVAL;
	int n = xs_talk(type, parts, lens, 2);
	return n < 0 ? n : 0;
}

int xs_watch(const char *path, const char *token)
{
	size_t plen = xs_strlen(path), tlen = xs_strlen(token);
	if (plen >= XS_EVENT_PATH || tlen >= XS_EVENT_TOKEN)
		return -XEN_EINVAL;
	if (xs_nwatches == XS_WATCHES)
		return -XEN_ENOSPC;
	int rc = xs_talk_watch(XS_WATCH, path, token);
	if (rc == 0) {
		xs_copy_cut(xs_watches[xs_nwatches].path, XS_EVENT_PATH, path, plen);
		xs_copy_cut(xs_watches[xs_nwatches++].token, XS_EVENT_TOKEN, token, tlen);
	}
	return rc;
}

int xs_unwatch(const char *path, const char *token)
{
	for (unsigned int i = 0; i < xs_nwatches; i++) {
		struct xs_event *w = &xs_watches[i];
		if (xs_streq(path, w->path, xs_strlen(w->path)) && xs_streq(token, w->token, xs_strlen(w->token))) {
			xs_watches[i] = xs_watches[--xs_nwatches];
			break;
		}
	}
	int rc = xs_talk_watch(XS_UNWATCH, path, token);
	/* Events still queued for it would only confuse a later watch with the same token. */
	unsigned int kept = 0;
	for (unsigned int i = 0; i < xs_event_count; i++) {
		struct xs_event *e = &xs_events[(xs_event_first + i) % XS_EVENTS];
		if (xs_streq(token, e->token, xs_strlen(e->token)))
			continue;
		if (kept != i)
			xs_events[(xs_event_first + kept) % XS_EVENTS] = *e;
		kept++;
	}
	xs_event_count = kept;
	return rc;
}

/* Takes the oldest queued event for token into path; false if there is none. */
static bool xs_take_event(const char *token, char *path, size_t len)
{
	for (unsigned int i = 0; i < xs_event_count; i++) {
		unsigned int at = (xs_event_first + i) % XS_EVENTS;
		struct xs_event *e = &xs_events[at];
		if (!xs_streq(token, e->token, xs_strlen(e->token)))
			continue;
		if (len)
			xs_copy_cut(path, len, e->path, xs_strlen(e->path));
		for (unsigned int j = i; j + 1 < xs_event_count; j++)
			xs_events[(xs_event_first + j) % XS_EVENTS] = xs_events[(xs_event_first + j + 1) % XS_EVENTS];
		xs_event_count--;
		return true;
	}
	return false;
}

int xs_wait_watch(const char *token, char *path, size_t len, uint64_t deadline_ns)
{
	if (!xs_ring)
		return -XEN_ENODEV;
	for (;;) {
		if (xs_take_event(token, path, len))
			return 0;
		bool notified;
		int rc = xs_poll(&notified);
		if (rc < 0)
			return rc;
		if (xs_take_event(token, path, len))
			return 0;
		if (notified)
			continue;
		if (deadline_ns != UINT64_MAX && plat_time_ns() >= deadline_ns)
			return -XEN_ETIMEDOUT;
		plat_block(deadline_ns);
	}
}

void xen_xs_restored(void)
{
	if (!xs_ring)
		return;
	/*
	 * The runtime emptied the ring for its new daemon (indices 0) before we ran, and no request
	 * was in flight at the ready point (each call waits for its answer). Events of the saved
	 * run's store are stale: each watch set again fires once, as when it was first set.
	 */
	xs_req_prod = xs_rsp_cons = 0;
	xs_in_len = 0;
	xs_broken = false;
	xs_event_count = 0;
	unsigned int kept = 0;
	for (unsigned int i = 0; i < xs_nwatches; i++)
		if (xs_talk_watch(XS_WATCH, xs_watches[i].path, xs_watches[i].token) == 0)
			xs_watches[kept++] = xs_watches[i];
	xs_nwatches = kept;
}
