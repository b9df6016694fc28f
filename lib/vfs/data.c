/* Regular file contents: a table of page pointers that grows on write; missing pages read as zeros. */
#include "vfs.h"
#include <arch/string.h>

/*
 * Every byte at or past a file's size that sits in an allocated page is zero: shrinking clears the
 * tail of the last page, so a later write beyond the end leaves zeros in the gap.
 */

static int data_grow(struct vfs_inode *inode, size_t need)
{
	size_t old = inode->u.reg.slots, slots = old != 0 ? old : 4;
	uint8_t **pages;

	/* need is at most VFS_FILE_MAX / VFS_PAGE, so doubling cannot overflow. */
	while (slots < need)
		slots *= 2;
	pages = vfs_alloc(slots * sizeof(*pages));
	if (pages == NULL)
		return -ENOSPC;
	if (old != 0)
		memcpy(pages, inode->u.reg.pages, old * sizeof(*pages));
	vfs_free(inode->u.reg.pages, old * sizeof(*pages));
	inode->u.reg.pages = pages;
	inode->u.reg.slots = slots;
	return 0;
}

long vfs_data_read(const struct vfs_inode *inode, void *buf, size_t len, uint64_t off)
{
	if (off >= inode->size)
		return 0;
	if (len > inode->size - off)
		len = (size_t)(inode->size - off);
	for (size_t done = 0; done < len;) {
		uint64_t at = off + done;
		size_t i = (size_t)(at / VFS_PAGE), in = (size_t)(at % VFS_PAGE);
		size_t n = len - done < VFS_PAGE - in ? len - done : VFS_PAGE - in;
		const uint8_t *page = i < inode->u.reg.slots ? inode->u.reg.pages[i] : NULL;

		if (page != NULL)
			memcpy((char *)buf + done, page + in, n);
		else
			memset((char *)buf + done, 0, n);
		done += n;
	}
	return (long)len;
}

long vfs_data_write(struct vfs_inode *inode, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	if (off >= VFS_FILE_MAX)
		return -EFBIG;
	if (len > VFS_FILE_MAX - off)
		len = (size_t)(VFS_FILE_MAX - off);
	if (len == 0)
		return 0;
	size_t need = (size_t)((off + len + VFS_PAGE - 1) / VFS_PAGE);
	if (need > inode->u.reg.slots && data_grow(inode, need) != 0)
		return -ENOSPC;
	while (done < len) {
		uint64_t at = off + done;
		size_t i = (size_t)(at / VFS_PAGE), in = (size_t)(at % VFS_PAGE);
		size_t n = len - done < VFS_PAGE - in ? len - done : VFS_PAGE - in;

		if (inode->u.reg.pages[i] == NULL) {
			uint8_t *page = page_alloc(1);

			if (page == NULL)
				break;
			memset(page, 0, VFS_PAGE);
			inode->u.reg.pages[i] = page;
			inode->u.reg.used++;
		}
		memcpy(inode->u.reg.pages[i] + in, (const char *)buf + done, n);
		done += n;
	}
	if (done == 0)
		return -ENOSPC;
	if (off + done > inode->size)
		inode->size = off + done;
	inode->mtime_ns = inode->ctime_ns = vfs_now();
	return (long)done;
}

int vfs_data_truncate(struct vfs_inode *inode, uint64_t size)
{
	if (size > VFS_FILE_MAX)
		return -EFBIG;
	if (size < inode->size) {
		size_t keep = (size_t)((size + VFS_PAGE - 1) / VFS_PAGE);
		size_t tail = (size_t)(size % VFS_PAGE);

		for (size_t i = keep; i < inode->u.reg.slots; i++) {
			if (inode->u.reg.pages[i] != NULL) {
				page_free(inode->u.reg.pages[i], 1);
				inode->u.reg.pages[i] = NULL;
				inode->u.reg.used--;
			}
		}
		if (tail != 0 && keep <= inode->u.reg.slots && inode->u.reg.pages[keep - 1] != NULL)
			memset(inode->u.reg.pages[keep - 1] + tail, 0, VFS_PAGE - tail);
	}
	inode->size = size;
	inode->mtime_ns = inode->ctime_ns = vfs_now();
	return 0;
}

void vfs_data_free(struct vfs_inode *inode)
{
	for (size_t i = 0; i < inode->u.reg.slots; i++)
		if (inode->u.reg.pages[i] != NULL)
			page_free(inode->u.reg.pages[i], 1);
	vfs_free(inode->u.reg.pages, inode->u.reg.slots * sizeof(*inode->u.reg.pages));
}
