/* lib/ext2fs: ext2/3/4 filesystems on blkfront disks, mounted into the vfs. */
#ifndef MICA_EXT2FS_H
#define MICA_EXT2FS_H

/*
 * Mounts the filesystem on disk vbd (xenstore device/vbd/<vbd>) at path: read-only when the disk
 * is. Returns 0, or -errno after printing one line saying why not (no such disk, not ext2/3/4,
 * a journal that needs recovery, path unusable). Boot does this for every disk mica run --mount
 * names (else CONFIG_LIB_EXT2FS_MOUNT); everything mounted is written back and closed at exit.
 */
int ext2_mount_vbd(unsigned int vbd, const char *path);

#endif
