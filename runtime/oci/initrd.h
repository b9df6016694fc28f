/* The container's root file system as an initrd: a cpio (newc) archive built into a memfd. */
#ifndef OCI_INITRD_H
#define OCI_INITRD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The most a container's files may add up to in the initrd (the guest holds them in RAM). */
#define OCI_INITRD_MAX_BYTES (256ull << 20)
#define OCI_INITRD_MAX_DEPTH 64

/*
 * Archives every directory, regular file and symlink under the directory rootfs_fd, except the
 * file (skip_dev, skip_ino) (the image itself) and special files, without following symlinks.
 * On success *fd is a memfd holding the archive (-1 and *size 0 if there was nothing to archive).
 * Returns 0, or -1 with a one-line message in err.
 */
int oci_initrd_build(int rootfs_fd, dev_t skip_dev, ino_t skip_ino, uint64_t max_bytes, int *fd,
		     uint64_t *size, char *err, size_t errlen);

#endif
