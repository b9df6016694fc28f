/* Mounting disks at boot (xenstore's mount keys, else CONFIG_LIB_EXT2FS_MOUNT) and writing them back at exit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mica/ext2fs.h>
#include <mica/kprint.h>
#include <mica/xenstore.h>
#include "ext2.h"

/* Host tests build this without a configuration. */
#ifndef CONFIG_LIB_EXT2FS_MOUNT
#define CONFIG_LIB_EXT2FS_MOUNT ""
#endif

#define MOUNT_VBDS 16
#define MOUNT_VALUE_MAX 256

static bool mount_hooked;

static void mount_exit(void)
{
	int r = vfs_unmount_all();

	if (r != 0)
		kprintf("mica: ext2fs: writing the filesystems back failed (error %d): the disk may need e2fsck\n", -r);
}

static int mount_refuse(ext2_filsys fs, const char *disk, const char *path, const char *why)
{
	kprintf("mica: ext2fs: %s: %s; not mounted at %s\n", disk, why, path);
	if (fs != NULL)
		ext2fs_close_free(&fs);
	return -EINVAL;
}

int ext2_mount_vbd(unsigned int vbd, const char *path)
{
	struct blkfront_info info;
	struct blkfront *bf = blkfront_open(vbd);
	ext2_filsys fs = NULL;
	char name[16], why[160];
	errcode_t err;
	int r;

	if (bf == NULL) {
		kprintf("mica: ext2fs: no disk vbd%u to mount at %s\n", vbd, path);
		return -ENODEV;
	}
	blkfront_get_info(bf, &info);
	if (ext2_io_name(bf, name, sizeof(name)) != 0)
		return mount_refuse(NULL, info.name, path, "too many disks");
	/* MMP (multi-mount protection) is for shared disks; mica gives a disk to one guest. */
	err = ext2fs_open2(name, NULL, EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP | (info.readonly ? 0 : EXT2_FLAG_RW), 0, 0,
			   ext2_io_manager, &fs);
	if (err != 0) {
		fs = NULL;
		snprintf(why, sizeof(why), "not an ext2/3/4 filesystem libext2fs can open (%s)", error_message(err));
		return mount_refuse(NULL, info.name, path, why);
	}
	/* libext2fs neither replays nor writes a journal: a clean one is fine, one to replay is not. */
	if (ext2fs_has_feature_journal_needs_recovery(fs->super))
		return mount_refuse(fs, info.name, path, "its journal needs recovery (run e2fsck on it first)");
	if (ext2fs_has_feature_journal_dev(fs->super))
		return mount_refuse(fs, info.name, path, "it is an external journal, not a filesystem");
	/* libext2fs trusts the group descriptors it reads bitmaps through: check them first, as e2fsck does. */
	if ((err = ext2fs_check_desc(fs)) != 0) {
		snprintf(why, sizeof(why), "its group descriptors are corrupt (%s; run e2fsck on it)", error_message(err));
		return mount_refuse(fs, info.name, path, why);
	}
	if (!info.readonly && (err = ext2fs_read_bitmaps(fs)) != 0) {
		snprintf(why, sizeof(why), "cannot read its allocation bitmaps (%s)", error_message(err));
		return mount_refuse(fs, info.name, path, why);
	}
	r = vfs_mount(path, &ext2_fs_ops, fs, EXT2_ROOT_INO, info.readonly);
	if (r != 0) {
		snprintf(why, sizeof(why), "the mount point cannot be used (error %d)", -r);
		return mount_refuse(fs, info.name, path, why);
	}
	if (!mount_hooked)
		mount_hooked = atexit(mount_exit) == 0;
	return 0;
}

/* Disk indexes in xenstore device/vbd, in order; returns how many. */
static unsigned int mount_vbds(unsigned int vbds[MOUNT_VBDS])
{
	char list[512];
	unsigned int n = 0;
	int len = xs_directory("device/vbd", list, sizeof(list));

	for (int at = 0; len > 0 && at < len && n < MOUNT_VBDS; at += (int)strlen(list + at) + 1) {
		char *end;
		unsigned long v = strtoul(list + at, &end, 10);

		if (end != list + at && *end == '\0' && v < 1024)
			vbds[n++] = (unsigned int)v;
	}
	return n;
}

static int mount_key(unsigned int vbd, const char *key, char *value, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "device/vbd/%u/%s", vbd, key);
	return xs_read(path, value, len);
}

/* CONFIG_LIB_EXT2FS_MOUNT: PATH=DISK[,PATH=DISK...], disks by their names. */
static void mount_configured(const unsigned int *vbds, unsigned int n)
{
	char spec[] = CONFIG_LIB_EXT2FS_MOUNT;
	char *save = NULL;

	for (char *item = strtok_r(spec, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		char *disk = strchr(item, '='), name[MOUNT_VALUE_MAX];
		bool found = false;

		if (disk == NULL || disk == item || disk[1] == '\0') {
			kprintf("mica: ext2fs: CONFIG_LIB_EXT2FS_MOUNT item \"%s\" is not PATH=DISK\n", item);
			continue;
		}
		*disk++ = '\0';
		for (unsigned int i = 0; i < n && !found; i++) {
			if (mount_key(vbds[i], "name", name, sizeof(name)) >= 0 && strcmp(name, disk) == 0) {
				found = true;
				ext2_mount_vbd(vbds[i], item);
			}
		}
		if (!found)
			kprintf("mica: ext2fs: no disk named %s to mount at %s (run with --disk FILE,name=%s)\n", disk,
				item, disk);
	}
}

/*
 * A constructor, not an initcall: libext2fs needs the C library set up (thread pointer, errno,
 * stdio's locale), which musl does just before constructors run, after every initcall (lib/vfs's
 * root among them). A disk that cannot be mounted is reported and skipped: the guest runs
 * without it.
 */
__attribute__((constructor)) static void mount_boot(void)
{
	unsigned int vbds[MOUNT_VBDS], n = mount_vbds(vbds);
	bool named = false;
	char value[MOUNT_VALUE_MAX];

	/* error_message's text for libext2fs's codes. */
	initialize_ext2_error_table();
	for (unsigned int i = 0; i < n; i++) {
		if (mount_key(vbds[i], "mount", value, sizeof(value)) > 0) {
			named = true;
			ext2_mount_vbd(vbds[i], value);
		}
	}
	if (!named)
		mount_configured(vbds, n);
}
