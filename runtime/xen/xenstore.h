/* The per-guest xenstore daemon: the store ring protocol (xen/io/xs_wire.h) and its node tree. */
#ifndef XEN_XENSTORE_H
#define XEN_XENSTORE_H

#include "vm/guest.h"

/*
 * Per-guest quotas (docs/abi.md §11): nodes in one tree, watches, open transactions, path bytes,
 * bytes of nodes and watches over all trees, and bytes of responses and events waiting for room
 * in the response ring. A value is bounded by the message size, XENSTORE_PAYLOAD_MAX.
 */
#define XS_MAX_ENTRIES 1024
#define XS_MAX_WATCHES 64
#define XS_MAX_TRANSACTIONS 8
#define XS_MAX_PATH 256
#define XS_MAX_BYTES (1024 * 1024)
#define XS_MAX_OUT (64 * 1024)
#define XS_MAX_HOOKS 8 /* runtime-internal change hooks: one per NIC's frontend state */

/*
 * Binds the store event channel to g->store_port and marks the ring at g->store (zeroed guest
 * RAM) as served. The daemon itself, its tree starting as the guest's home
 * /local/domain/<MICA_DOMID_GUEST> and its ancestors, is made when first needed. Returns 0, or
 * -1 when no event channel is left.
 */
int xenstore_setup(struct guest *g);

/*
 * A restore: the daemon of the saved run is gone and the next one starts at ring indices 0, so
 * the ring page (guest RAM from the snapshot) is emptied to match before the guest runs; the
 * guest resets its own indices to 0 when it resumes (docs/abi.md §14). No port is bound here.
 */
void xenstore_restored(struct guest *g);

/* The store port's service: xenstore_service (snapshots rebind it). */
void xenstore_notify(struct guest *g, uint32_t port);

/* Serves what the request ring holds while responses fit, then raises the store port. */
void xenstore_service(struct guest *g);

/*
 * Writes an absolute path for the runtime (backend keys), creating its parents, firing watches
 * and running change hooks (unless called from one, or while a guest request is being served:
 * then they run when it is done); not bound by the guest's permissions or node quota. Returns 0, or -1 when the path is
 * invalid or the byte quota is spent.
 */
int xenstore_write(struct guest *g, const char *path, const char *value);

/*
 * Reads an absolute path for the runtime into buf as a NUL-terminated string. Returns the value's
 * length, or -1 when the node is missing or the value (with its NUL) does not fit in len.
 */
int xenstore_read(struct guest *g, const char *path, char *buf, size_t len);

/*
 * Calls fn(g, path, arg) once a change to path or below it is complete: after the guest request
 * (a transaction's commit included) or the runtime write that made it, never in the middle of one.
 * fn may write the store. Returns 0, or -1 when the path is invalid or XS_MAX_HOOKS are taken.
 */
typedef void (*xenstore_change_fn)(struct guest *g, const char *path, void *arg);
int xenstore_on_change(struct guest *g, const char *path, xenstore_change_fn fn, void *arg);

/* Frees the daemon of g, if any. */
void xenstore_destroy(struct guest *g);

#endif
