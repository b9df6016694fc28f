/* Boot-time setup: the root directory, fds 0, 1 and 2 on the console, and the initrd unpacked into the root. */
#include "vfs.h"
#include <mica/init.h>

int vfs_init(void)
{
	struct plat_memregion initrd = plat_initrd();
	struct vfs_file *console;

	vfs_root = vfs_inode_new(S_IFDIR | 0755);
	if (vfs_root == NULL)
		return -1;
	/* The root is its own parent, and its "." and ".." are its two links. */
	vfs_root->nlink = 2;
	vfs_root->u.dir.parent = vfs_root;
	vfs_cwd = vfs_root;
	vfs_inode_get(vfs_cwd);
	vfs_wait_init();

	console = vfs_file_new(&vfs_console, O_RDWR);
	if (console == NULL)
		return -1;
	for (int fd = 0; fd < 3; fd++)
		vfs_fd_install(console, fd, false);
	console->refs = 3;

	/* Nothing keeps pointing into the archive: its memory is free once this returns. */
	if (initrd.end > initrd.start)
		cpio_unpack(vfs_root, (const void *)initrd.start, initrd.end - initrd.start);
	return 0;
}
MICA_INITCALL(vfs_init, MICA_INIT_LIB);
