/* Writing POSIX tar archives in memory: the layer and the image tarball of `mica oci pack`. */
#ifndef OCI_TAR_H
#define OCI_TAR_H

#include <stddef.h>
#include <stdint.h>

/* An archive being built: every entry is owned by root, dated TAR_MTIME, so output is reproducible. */
struct tar {
	uint8_t *buf;
	size_t len, cap;
};

#define TAR_MTIME 0

/*
 * Appends a regular file (mode's permission bits) or a directory (name without trailing slash;
 * the entry gets one). Names longer than ustar holds get a pax "path" record. Returns 0, or -1
 * with err set (out of memory, a file over 8 GiB, an empty or absolute name).
 */
int tar_add_file(struct tar *t, const char *name, unsigned int mode, const void *data, size_t len,
		 char *err, size_t errlen);
int tar_add_dir(struct tar *t, const char *name, unsigned int mode, char *err, size_t errlen);

/* Appends the two zero blocks that end an archive; -1 with err set when out of memory. */
int tar_finish(struct tar *t, char *err, size_t errlen);

void tar_free(struct tar *t);

#endif
