/* Guest side of xenstore (xen/io/xs_wire.h over the store ring) and the xenbus state handshake. */
#ifndef MICA_XENSTORE_H
#define MICA_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/io/xenbus.h>

/*
 * Every call sends one request and waits (plat_block) for its answer; paths are absolute or
 * relative to the guest's home (/local/domain/<id>). Failures are negative Xen errnos, the name
 * the store answered mapped back (EINVAL -> -XEN_EINVAL, ENOENT -> -XEN_ENOENT, ...); -XEN_ENODEV
 * when the runtime offers no store, -XEN_EIO when the store stopped (a broken ring). A request
 * whose payload would exceed XENSTORE_PAYLOAD_MAX is -XEN_EINVAL without reaching the store (as
 * the store would answer). One caller at a time: the client never yields to other threads.
 */

/* Reads a value into buf as a NUL-terminated string; returns its length, -XEN_E2BIG if len is too small. */
int xs_read(const char *path, char *buf, size_t len);
int xs_write(const char *path, const char *value);
int xs_rm(const char *path);
/* The children's names of path, each NUL-terminated, back to back; returns the bytes used. */
int xs_directory(const char *path, char *buf, size_t len);
/* Reads an unsigned decimal value. */
int xs_read_uint(const char *path, unsigned long *value);

/*
 * Watches: events are kept (up to a small queue; older ones are dropped when full, which only
 * means a reader re-reads the nodes) until xs_wait_watch takes them. Tokens are at most 63
 * bytes (-XEN_EINVAL otherwise), paths at most 259; at most 16 watches at a time (-XEN_ENOSPC).
 * A guest restored from a snapshot has its watches set again, each firing once.
 */
int xs_watch(const char *path, const char *token);
int xs_unwatch(const char *path, const char *token);
/*
 * Waits until an event for token arrives or the system time reaches deadline_ns (UINT64_MAX: no
 * deadline); returns 0 with the changed path in path (len bytes at most), or -XEN_ETIMEDOUT.
 */
int xs_wait_watch(const char *token, char *path, size_t len, uint64_t deadline_ns);

/* xenbus handshake: the frontend's state node and waiting for the other end's. */
int xenbus_switch_state(const char *dir, XenbusState state);
/* Reads <dir>/state; XenbusStateUnknown when absent or not a number. */
XenbusState xenbus_read_state(const char *dir);
/*
 * Waits until <dir>/state reaches at least want (or is Closing/Closed, which ends the wait too),
 * or deadline_ns passes; returns the last state read.
 */
XenbusState xenbus_wait_state(const char *dir, XenbusState want, uint64_t deadline_ns);

#endif
