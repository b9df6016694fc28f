/* lib/ext2fs internals: the blkfront io_manager and the vfs driver over libext2fs. */
#ifndef EXT2_INTERNAL_H
#define EXT2_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
/* ext2fs.h uses dev_t and mode_t without including their header. */
#include <sys/types.h>
#include <ext2fs/ext2fs.h>
#include <mica/blkfront.h>
#include <mica/vfs_fs.h>

/* io.c: libext2fs reaches disks through this manager; a disk is named by ext2_io_name. */
extern io_manager ext2_io_manager;
/* The name under which ext2fs_open finds bf (as "vbd<slot>"); -ENOSPC when too many disks are open. */
int ext2_io_name(struct blkfront *bf, char *name, size_t len);

/* fs.c: the driver; its fs is the ext2_filsys. */
extern const struct vfs_fs_ops ext2_fs_ops;

#endif
