/* The keys of a device's xenstore directory, as frontends read and write them. */
#ifndef MICA_XENBUS_KEYS_H
#define MICA_XENBUS_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * <dir>/<key> through xs_read/xs_write, with their errors; -XEN_ENAMETOOLONG when the path would
 * exceed XENBUS_KEY_PATH_MAX bytes (the store refuses long paths anyway, docs/abi.md §11).
 */
#define XENBUS_KEY_PATH_MAX 320

/* Reads <dir>/<key>; the value is NUL-terminated in buf. */
int xenbus_read_key(const char *dir, const char *key, char *buf, size_t len);
int xenbus_write_key(const char *dir, const char *key, const char *value);
/* Writes v as a decimal. */
int xenbus_write_uint(const char *dir, const char *key, uint64_t v);
/*
 * An optional numeric key: absent or empty reads as 0; 0, or -1 when it cannot be read or is not
 * a decimal of at most 20 digits without sign or leading zeros that fits 64 bits.
 */
int xenbus_read_u64(const char *dir, const char *key, uint64_t *v);
/*
 * A backend path read from the store is used only to build further store paths, so it need only
 * be an absolute path the store itself would accept (it refuses anything else too).
 */
bool xenbus_path_ok(const char *p);

#endif
