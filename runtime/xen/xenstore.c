/*
 * The xenstore daemon's protocol side: requests copied whole out of the untrusted store ring,
 * answered from the node tree, watches and transactions, responses queued until the ring has room.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/io/xs_wire.h>
#include "util/log.h"
#include "xen/evtchn.h"
#include "xen/xenstore.h"
#include "xen/xenstore_tree.h"

#define XS_HDR sizeof(struct xsd_sockmsg)

struct xs_watch {
	char *path;             /* as the guest gave it: events on a relative watch are relative */
	char *abs;
	char *token;
};

/* A transaction works on its own copy of the tree; it commits only if the store has not moved since. */
struct xs_tx {
	uint32_t id;            /* 0: slot free */
	uint64_t gen;
	struct xs_tree tree;
};

struct xs_msg {
	struct xs_msg *next;
	uint32_t len, sent;
	char data[];
};

/* A runtime device's interest in a subtree; pending from the change until the request is done. */
struct xs_hook {
	char path[XS_MAX_PATH + 1];
	xenstore_change_fn fn;
	void *arg;
	bool pending;
};

struct xs_daemon {
	struct xs_tree tree;
	uint64_t gen;           /* bumped by every change to tree */
	size_t bytes;           /* nodes of every tree and watches, against XS_MAX_BYTES */
	struct xs_watch watches[XS_MAX_WATCHES];
	uint32_t nwatches;
	struct xs_tx tx[XS_MAX_TRANSACTIONS];
	uint32_t last_tx;
	struct xs_msg *out, **out_tail;
	size_t out_bytes;
	bool dead, events_dropped;
	struct xs_hook hooks[XS_MAX_HOOKS];
	uint32_t nhooks;
	bool serving, in_hooks; /* no re-entry when a hook writes the store */
	/* Our own indices: the copies in the page are the guest's to scribble on. */
	XENSTORE_RING_IDX req_cons, rsp_prod;
	char home[32];
	uint32_t in_len;
	char in[XS_HDR + XENSTORE_PAYLOAD_MAX + 1];
};

static const char *xs_errname(int err)
{
	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == err)
			return xsd_errors[i].errstring;
	return "EIO";
}

/*
 * Queues a message of the two parts a and b. Watch events beyond XS_MAX_OUT are dropped (as
 * xenstored drops them past its quota): a guest that never reads its ring cannot grow the queue.
 */
static void xs_queue(struct xs_daemon *d, uint32_t type, uint32_t req_id, uint32_t tx_id, const void *a,
		     size_t alen, const void *b, size_t blen)
{
	if (type == XS_WATCH_EVENT && d->out_bytes >= XS_MAX_OUT) {
		if (!d->events_dropped)
			log_error("guest xenstore is not reading its watch events; dropping them");
		d->events_dropped = true;
		return;
	}
	struct xs_msg *m = malloc(sizeof(*m) + XS_HDR + alen + blen);
	if (!m)
		return;
	struct xsd_sockmsg h = {type, req_id, tx_id, (uint32_t)(alen + blen)};
	memcpy(m->data, &h, XS_HDR);
	memcpy(m->data + XS_HDR, a, alen);
	if (blen)
		memcpy(m->data + XS_HDR + alen, b, blen);
	m->len = (uint32_t)(XS_HDR + alen + blen);
	m->sent = 0;
	m->next = NULL;
	*d->out_tail = m;
	d->out_tail = &m->next;
	d->out_bytes += m->len;
}

static void xs_reply(struct xs_daemon *d, const struct xsd_sockmsg *h, const void *data, size_t len)
{
	xs_queue(d, h->type, h->req_id, h->tx_id, data, len, NULL, 0);
}

static void xs_reply_str(struct xs_daemon *d, const struct xsd_sockmsg *h, const char *s)
{
	xs_reply(d, h, s, strlen(s) + 1);
}

static void xs_event(struct xs_daemon *d, const char *path, const char *token)
{
	xs_queue(d, XS_WATCH_EVENT, 0, 0, path, strlen(path) + 1, token, strlen(token) + 1);
}

/* A watch's event for path: relative to the home when the watch was given relative. */
static void xs_watch_event(struct xs_daemon *d, const struct xs_watch *w, const char *path)
{
	size_t n = strlen(d->home);
	if (w->path[0] != '/' && strncmp(path, d->home, n) == 0 && path[n] == '/')
		path += n + 1;
	xs_event(d, path, w->token);
}

/* As xenstored: watches on path or above it fire; with recurse (rm) also those below it. */
static void xs_fire(struct xs_daemon *d, const char *path, bool recurse)
{
	for (uint32_t i = 0; i < d->nhooks; i++)
		if (xs_is_under(path, d->hooks[i].path) || (recurse && xs_is_under(d->hooks[i].path, path)))
			d->hooks[i].pending = true;
	for (uint32_t i = 0; i < d->nwatches; i++) {
		const struct xs_watch *w = &d->watches[i];
		if (w->abs[0] != '/')
			continue;
		if (xs_is_under(path, w->abs))
			xs_watch_event(d, w, path);
		else if (recurse && xs_is_under(w->abs, path))
			xs_watch_event(d, w, w->abs);
	}
}

/* Fires for every node that differs between old and new (both sorted); true if any did. */
static bool xs_fire_diff(struct xs_daemon *d, const struct xs_tree *old, const struct xs_tree *new)
{
	uint32_t i = 0, j = 0;
	bool changed = false;
	while (i < old->n || j < new->n) {
		int c = i == old->n ? 1 : j == new->n ? -1 : strcmp(old->nodes[i].path, new->nodes[j].path);
		if (c < 0) {
			xs_fire(d, old->nodes[i++].path, false);
		} else if (c > 0) {
			xs_fire(d, new->nodes[j++].path, false);
		} else {
			const struct xs_node *a = &old->nodes[i++], *b = &new->nodes[j++];
			if (a->len == b->len && memcmp(a->value, b->value, a->len) == 0)
				continue;
			xs_fire(d, b->path, false);
		}
		changed = true;
	}
	return changed;
}

/* Splits a payload that must be exactly n NUL-terminated strings. */
static int xs_strings(char *p, uint32_t len, const char **v, int n)
{
	uint32_t at = 0;
	for (int i = 0; i < n; i++) {
		char *nul = memchr(p + at, '\0', len - at);
		if (!nul)
			return -EINVAL;
		v[i] = p + at;
		at = (uint32_t)(nul - p) + 1;
	}
	return at == len ? 0 : -EINVAL;
}

/* The absolute form of a guest path in out (XS_MAX_PATH + 1 bytes). */
static int xs_resolve(const struct xs_daemon *d, const char *in, char *out)
{
	int n = in[0] == '/' ? snprintf(out, XS_MAX_PATH + 1, "%s", in)
			     : snprintf(out, XS_MAX_PATH + 1, "%s/%s", d->home, in);
	return n > XS_MAX_PATH || !xs_path_valid(out) ? -EINVAL : 0;
}

/* The tree a request works on: the store's, or its transaction's copy. */
static struct xs_tree *xs_tree_of(struct xs_daemon *d, uint32_t tx_id)
{
	if (tx_id == 0)
		return &d->tree;
	for (int i = 0; i < XS_MAX_TRANSACTIONS; i++)
		if (d->tx[i].id == tx_id)
			return &d->tx[i].tree;
	return NULL;
}

/* A change to the store itself (not a transaction's copy) is seen by watches and transactions. */
static void xs_changed(struct xs_daemon *d, const struct xs_tree *t, const char *path, bool recurse)
{
	if (t != &d->tree)
		return;
	d->gen++;
	xs_fire(d, path, recurse);
}

static int xs_read(struct xs_daemon *d, const struct xsd_sockmsg *h, struct xs_tree *t, const char *arg,
		   bool dir)
{
	char path[XS_MAX_PATH + 1], names[XENSTORE_PAYLOAD_MAX];
	int err = xs_resolve(d, arg, path);
	if (err)
		return err;
	const struct xs_node *node = xs_tree_find(t, path);
	if (!node)
		return -ENOENT;
	if (!dir) {
		xs_reply(d, h, node->value, node->len);
		return 0;
	}
	long n = xs_tree_children(t, path, names, sizeof(names));
	if (n < 0)
		return (int)n;
	xs_reply(d, h, names, (size_t)n);
	return 0;
}

/* The guest writes only its home, /local/domain/<id> and below: nothing else there is its own. */
static int xs_writable(const struct xs_daemon *d, const char *arg, char *path)
{
	int err = xs_resolve(d, arg, path);
	if (err)
		return err;
	return xs_is_under(path, d->home) ? 0 : -EACCES;
}

static int xs_write(struct xs_daemon *d, const struct xsd_sockmsg *h, struct xs_tree *t, char *p, bool mkdir)
{
	char path[XS_MAX_PATH + 1];
	const char *arg;
	char *nul = memchr(p, '\0', h->len);
	if (!nul || (mkdir && xs_strings(p, h->len, &arg, 1) != 0))
		return -EINVAL;
	int err = xs_writable(d, p, path);
	if (err)
		return err;
	bool existed = xs_tree_find(t, path) != NULL;
	uint32_t vlen = mkdir ? 0 : h->len - (uint32_t)(nul + 1 - p);
	err = xs_tree_set(t, &d->bytes, path, nul + 1, vlen, mkdir, true);
	if (err)
		return err;
	if (!(mkdir && existed))
		xs_changed(d, t, path, false);
	xs_reply_str(d, h, "OK");
	return 0;
}

static int xs_rm(struct xs_daemon *d, const struct xsd_sockmsg *h, struct xs_tree *t, const char *arg)
{
	char path[XS_MAX_PATH + 1];
	int err = xs_writable(d, arg, path);
	if (err)
		return err;
	if (xs_tree_rm(t, &d->bytes, path) == 0) {
		xs_changed(d, t, path, true);
	} else {
		/* As xenstored: removing what is already gone succeeds if its parent is there. */
		*strrchr(path, '/') = '\0';
		if (!xs_tree_find(t, path[0] ? path : "/"))
			return -ENOENT;
	}
	xs_reply_str(d, h, "OK");
	return 0;
}

/* Watch paths are node paths or xenstored's special "@..." names, which never fire after the first. */
static int xs_watch_path(const struct xs_daemon *d, const char *arg, char *abs)
{
	if (arg[0] != '@')
		return xs_resolve(d, arg, abs);
	char probe[XS_MAX_PATH + 2];
	if (snprintf(probe, sizeof(probe), "/%s", arg + 1) > XS_MAX_PATH || !xs_path_valid(probe))
		return -EINVAL;
	strcpy(abs, arg);
	return 0;
}

static int xs_find_watch(const struct xs_daemon *d, const char *abs, const char *token)
{
	for (uint32_t i = 0; i < d->nwatches; i++)
		if (strcmp(d->watches[i].abs, abs) == 0 && strcmp(d->watches[i].token, token) == 0)
			return (int)i;
	return -1;
}

static size_t xs_watch_cost(const struct xs_watch *w)
{
	return strlen(w->path) + strlen(w->abs) + strlen(w->token) + 3;
}

static void xs_watch_free(struct xs_daemon *d, struct xs_watch *w)
{
	d->bytes -= xs_watch_cost(w);
	free(w->path);
	free(w->abs);
	free(w->token);
}

static int xs_watch(struct xs_daemon *d, const struct xsd_sockmsg *h, char *p, bool add)
{
	const char *arg[2];
	char abs[XS_MAX_PATH + 1];
	int err = xs_strings(p, h->len, arg, 2);
	if (!err)
		err = xs_watch_path(d, arg[0], abs);
	if (err)
		return err;
	int i = xs_find_watch(d, abs, arg[1]);
	if (!add) {
		if (i < 0)
			return -ENOENT;
		xs_watch_free(d, &d->watches[i]);
		memmove(&d->watches[i], &d->watches[i + 1], (d->nwatches - (uint32_t)i - 1) * sizeof(d->watches[0]));
		d->nwatches--;
		xs_reply_str(d, h, "OK");
		return 0;
	}
	if (i >= 0)
		return -EEXIST;
	if (d->nwatches == XS_MAX_WATCHES)
		return -E2BIG;
	struct xs_watch w = {strdup(arg[0]), strdup(abs), strdup(arg[1])};
	if (!w.path || !w.abs || !w.token || d->bytes + xs_watch_cost(&w) > XS_MAX_BYTES) {
		free(w.path);
		free(w.abs);
		free(w.token);
		return -ENOSPC;
	}
	d->bytes += xs_watch_cost(&w);
	d->watches[d->nwatches++] = w;
	xs_reply_str(d, h, "OK");
	/* As xenstored: one event up front, so the guest reads the current state without a race. */
	xs_event(d, w.path, w.token);
	return 0;
}

static int xs_tx_start(struct xs_daemon *d, const struct xsd_sockmsg *h, char *p)
{
	const char *arg;
	if (xs_strings(p, h->len, &arg, 1) != 0)
		return -EINVAL;
	if (h->tx_id != 0)
		return -EBUSY;
	struct xs_tx *tx = NULL;
	for (int i = 0; i < XS_MAX_TRANSACTIONS && !tx; i++)
		if (d->tx[i].id == 0)
			tx = &d->tx[i];
	if (!tx)
		return -ENOSPC;
	int err = xs_tree_copy(&tx->tree, &d->tree, &d->bytes);
	if (err)
		return err;
	do
		d->last_tx++;
	while (d->last_tx == 0 || xs_tree_of(d, d->last_tx));
	tx->id = d->last_tx;
	tx->gen = d->gen;
	char id[16];
	snprintf(id, sizeof(id), "%u", tx->id);
	xs_reply_str(d, h, id);
	return 0;
}

static int xs_tx_end(struct xs_daemon *d, const struct xsd_sockmsg *h, char *p)
{
	const char *arg;
	struct xs_tx *tx = NULL;
	for (int i = 0; i < XS_MAX_TRANSACTIONS && !tx; i++)
		if (h->tx_id != 0 && d->tx[i].id == h->tx_id)
			tx = &d->tx[i];
	if (!tx)
		return -ENOENT;
	if (xs_strings(p, h->len, &arg, 1) != 0 || (strcmp(arg, "T") != 0 && strcmp(arg, "F") != 0))
		return -EINVAL;
	int err = 0;
	if (strcmp(arg, "T") == 0 && tx->gen != d->gen) {
		err = -EAGAIN;
	} else if (strcmp(arg, "T") == 0) {
		if (xs_fire_diff(d, &d->tree, &tx->tree))
			d->gen++;
		struct xs_tree old = d->tree;
		d->tree = tx->tree;
		tx->tree = old;
	}
	xs_tree_free(&tx->tree, &d->bytes);
	tx->id = 0;
	if (!err)
		xs_reply_str(d, h, "OK");
	return err;
}

static int xs_domain_path(struct xs_daemon *d, const struct xsd_sockmsg *h, char *p)
{
	const char *arg;
	char *end, path[32];
	if (xs_strings(p, h->len, &arg, 1) != 0 || arg[0] < '0' || arg[0] > '9')
		return -EINVAL;
	unsigned long id = strtoul(arg, &end, 10);
	if (*end != '\0' || id > 0xffff)
		return -EINVAL;
	snprintf(path, sizeof(path), "/local/domain/%lu", id);
	xs_reply_str(d, h, path);
	return 0;
}

/* One whole request in private memory; p has len bytes and a NUL after them. */
static void xs_request(struct xs_daemon *d, const struct xsd_sockmsg *h, char *p)
{
	const char *arg = NULL;
	int err;
	struct xs_tree *t = xs_tree_of(d, h->tx_id);

	switch (h->type) {
	case XS_READ:
	case XS_DIRECTORY:
	case XS_RM:
		err = xs_strings(p, h->len, &arg, 1);
		if (!err && !t)
			err = -ENOENT;
		if (!err)
			err = h->type == XS_RM ? xs_rm(d, h, t, arg) : xs_read(d, h, t, arg, h->type == XS_DIRECTORY);
		break;
	case XS_WRITE:
	case XS_MKDIR:
		err = t ? xs_write(d, h, t, p, h->type == XS_MKDIR) : -ENOENT;
		break;
	case XS_WATCH:
	case XS_UNWATCH:
		err = xs_watch(d, h, p, h->type == XS_WATCH);
		break;
	case XS_TRANSACTION_START:
		err = xs_tx_start(d, h, p);
		break;
	case XS_TRANSACTION_END:
		err = xs_tx_end(d, h, p);
		break;
	case XS_GET_DOMAIN_PATH:
		err = xs_domain_path(d, h, p);
		break;
	default:
		err = h->type < XS_TYPE_COUNT ? -ENOSYS : -EINVAL;
		break;
	}
	if (err) {
		const char *name = xs_errname(-err);
		xs_queue(d, XS_ERROR, h->req_id, h->tx_id, name, strlen(name) + 1, NULL, 0);
	}
}

/* Moves queued output into the response ring while it has room; true if any moved. */
static bool xs_flush(struct xs_daemon *d, struct xenstore_domain_interface *r, XENSTORE_RING_IDX rsp_cons)
{
	bool moved = false;
	while (d->out) {
		struct xs_msg *m = d->out;
		uint32_t room = XENSTORE_RING_SIZE - (d->rsp_prod - rsp_cons);
		uint32_t n = m->len - m->sent < room ? m->len - m->sent : room;
		if (n == 0)
			break;
		for (uint32_t i = 0; i < n; i++)
			r->rsp[MASK_XENSTORE_IDX(d->rsp_prod + i)] = m->data[m->sent + i];
		d->rsp_prod += n;
		m->sent += n;
		moved = true;
		if (m->sent < m->len)
			break;
		d->out = m->next;
		if (!d->out)
			d->out_tail = &d->out;
		d->out_bytes -= m->len;
		free(m);
	}
	if (moved)
		__atomic_store_n(&r->rsp_prod, d->rsp_prod, __ATOMIC_RELEASE);
	return moved;
}

/* Runs the hooks a finished change marked; those their own writes mark run in the same pass. */
static void xs_run_hooks(struct guest *g, struct xs_daemon *d)
{
	if (d->in_hooks)
		return;
	d->in_hooks = true;
	for (bool again = true; again;) {
		again = false;
		for (uint32_t i = 0; i < d->nhooks; i++) {
			if (d->hooks[i].pending) {
				d->hooks[i].pending = false;
				again = true;
				d->hooks[i].fn(g, d->hooks[i].path, d->hooks[i].arg);
			}
		}
	}
	d->in_hooks = false;
}

/*
 * The daemon of g, made on first use (the guest's first notify or the runtime's first write):
 * most guests never touch the store, and making it at setup cost every boot page faults.
 */
static struct xs_daemon *xs_daemon_of(struct guest *g)
{
	if (g->xs)
		return g->xs;
	struct xs_daemon *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->out_tail = &d->out;
	snprintf(d->home, sizeof(d->home), "/local/domain/%u", MICA_DOMID_GUEST);
	g->xs = d;
	if (xs_tree_set(&d->tree, &d->bytes, "/", "", 0, false, false) != 0 ||
	    xs_tree_set(&d->tree, &d->bytes, d->home, "", 0, false, false) != 0) {
		xenstore_destroy(g);
		return NULL;
	}
	return d;
}

void xenstore_service(struct guest *g)
{
	struct xs_daemon *d = xs_daemon_of(g);
	struct xenstore_domain_interface *r = g->store;
	bool moved = false;
	if (!d || d->dead || d->serving)
		return;
	d->serving = true;
	for (;;) {
		XENSTORE_RING_IDX req_prod = __atomic_load_n(&r->req_prod, __ATOMIC_ACQUIRE);
		XENSTORE_RING_IDX rsp_cons = __atomic_load_n(&r->rsp_cons, __ATOMIC_ACQUIRE);
		if (req_prod - d->req_cons > XENSTORE_RING_SIZE || d->rsp_prod - rsp_cons > XENSTORE_RING_SIZE) {
			/* Nothing can be trusted past this point: the guest loses its store, never mica. */
			log_error("guest xenstore ring is corrupt (requests %u..%u, responses %u..%u); store stopped",
				  d->req_cons, req_prod, rsp_cons, d->rsp_prod);
			d->dead = true;
			r->error = XENSTORE_ERROR_RINGIDX;
			break;
		}
		moved |= xs_flush(d, r, rsp_cons);
		/* One request at a time while output waits: a guest not reading cannot make us queue more. */
		if (d->out || req_prod == d->req_cons)
			break;
		struct xsd_sockmsg h;
		uint32_t want = d->in_len < XS_HDR ? (uint32_t)XS_HDR : 0;
		if (!want) {
			memcpy(&h, d->in, XS_HDR);
			want = (uint32_t)XS_HDR + h.len;
		}
		uint32_t n = want - d->in_len < req_prod - d->req_cons ? want - d->in_len : req_prod - d->req_cons;
		for (uint32_t i = 0; i < n; i++)
			d->in[d->in_len + i] = r->req[MASK_XENSTORE_IDX(d->req_cons + i)];
		d->in_len += n;
		d->req_cons += n;
		__atomic_store_n(&r->req_cons, d->req_cons, __ATOMIC_RELEASE);
		moved = true;
		if (d->in_len < XS_HDR)
			continue;
		memcpy(&h, d->in, XS_HDR);
		if (h.len > XENSTORE_PAYLOAD_MAX) {
			d->in_len = 0;
			xs_queue(d, XS_ERROR, h.req_id, h.tx_id, "EINVAL", sizeof("EINVAL"), NULL, 0);
		} else if (d->in_len == XS_HDR + h.len) {
			d->in_len = 0;
			d->in[XS_HDR + h.len] = '\0';
			xs_request(d, &h, d->in + XS_HDR);
			xs_run_hooks(g, d);
		}
	}
	d->serving = false;
	if (moved)
		evtchn_raise(g, g->store_port);
}

void xenstore_notify(struct guest *g, uint32_t port)
{
	(void)port;
	xenstore_service(g);
}

int xenstore_write(struct guest *g, const char *path, const char *value)
{
	struct xs_daemon *d = xs_daemon_of(g);
	if (!d || !xs_path_valid(path) ||
	    xs_tree_set(&d->tree, &d->bytes, path, value, (uint32_t)strlen(value), false, false) != 0)
		return -1;
	xs_changed(d, &d->tree, path, false);
	if (!d->serving) {
		xs_run_hooks(g, d);
		xenstore_service(g);
	}
	return 0;
}

int xenstore_read(struct guest *g, const char *path, char *buf, size_t len)
{
	struct xs_daemon *d = xs_daemon_of(g);
	const struct xs_node *node = d && xs_path_valid(path) ? xs_tree_find(&d->tree, path) : NULL;
	if (!node || node->len >= len)
		return -1;
	memcpy(buf, node->value, node->len);
	buf[node->len] = '\0';
	return (int)node->len;
}

int xenstore_on_change(struct guest *g, const char *path, xenstore_change_fn fn, void *arg)
{
	struct xs_daemon *d = xs_daemon_of(g);
	if (!d || !xs_path_valid(path) || strlen(path) > XS_MAX_PATH || d->nhooks == XS_MAX_HOOKS)
		return -1;
	struct xs_hook *h = &d->hooks[d->nhooks++];
	strcpy(h->path, path);
	h->fn = fn;
	h->arg = arg;
	h->pending = false;
	return 0;
}

int xenstore_setup(struct guest *g)
{
	g->store->server_features = XENSTORE_SERVER_FEATURE_ERROR;
	g->store_port = evtchn_bind_backend(g, xenstore_notify);
	return g->store_port ? 0 : -1;
}

void xenstore_restored(struct guest *g)
{
	memset(g->store, 0, sizeof(*g->store));
	g->store->server_features = XENSTORE_SERVER_FEATURE_ERROR;
}

void xenstore_destroy(struct guest *g)
{
	struct xs_daemon *d = g->xs;
	if (!d)
		return;
	xs_tree_free(&d->tree, &d->bytes);
	for (int i = 0; i < XS_MAX_TRANSACTIONS; i++)
		xs_tree_free(&d->tx[i].tree, &d->bytes);
	for (uint32_t i = 0; i < d->nwatches; i++)
		xs_watch_free(d, &d->watches[i]);
	while (d->out) {
		struct xs_msg *m = d->out;
		d->out = m->next;
		free(m);
	}
	free(d);
	g->xs = NULL;
}
