# libext2fs for the guest: Debian's e2fsprogs source, fetched once into $(CACHE) with the files
# configure and make would generate (prepare.sh), compiled per image with config/config.h as its
# configure result. Read from this library's Kbuild, so only when CONFIG_LIB_EXT2FS.

EXT2FS_VERSION := 1.47.0-2
EXT2FS_KEY := $(shell cat $(srctree)/lib/ext2fs/prepare.sh $(srctree)/scripts/fetch-source.sh | sha1sum | cut -c1-12)
EXT2FS_DIR := $(CACHE)/e2fsprogs-$(EXT2FS_VERSION)-$(EXT2FS_KEY)

# What the driver reaches: files, directories, extents, bitmaps, checksums; com_err for the error table.
EXT2FS_MODULES := ext2_err alloc alloc_sb alloc_stats alloc_tables badblocks bb_inode bitmaps bitops \
	blkmap64_ba blkmap64_rb blknum block bmap check_desc closefs crc16 crc32c csum dblist dblist_dir \
	dirblock dirhash dir_iterate expanddir ext_attr extent fallocate fileio freefs gen_bitmap \
	gen_bitmap64 get_num_dirs hashmap i_block icount ind_block inline inline_data inode io_manager \
	ismounted link lookup mkdir mkjournal mmp namei newdir nls_utf8 openfs orphan punch rbtree read_bb \
	res_gdt rw_bitmaps sha512 symlink unlink valid_blk version
EXT2FS_ET_MODULES := com_err error_message et_name init_et
EXT2FS_OBJS := $(patsubst %,$(objtree)/lib/ext2fs/upstream/%.o,$(EXT2FS_MODULES)) \
	$(patsubst %,$(objtree)/lib/ext2fs/upstream/et/%.o,$(EXT2FS_ET_MODULES))

# Upstream headers: -isystem keeps their warnings out of our -Werror builds.
EXT2FS_INCLUDES := -isystem $(EXT2FS_DIR)/lib

# Fetched and generated in a private scratch directory and renamed into place: an interrupted
# fetch never looks done, and of two builds fetching at once the second discards its copy.
$(EXT2FS_DIR)/.fetched:
	$(msg) FETCH "e2fsprogs $(EXT2FS_VERSION)"
	$(Q)mkdir -p $(CACHE) && tmp=$$(mktemp -d $(CACHE)/.e2fsprogs.XXXXXX) && \
	{ $(srctree)/scripts/fetch-source.sh e2fsprogs $(EXT2FS_VERSION) $$tmp/src && \
	  $(srctree)/lib/ext2fs/prepare.sh $$tmp/src >$$tmp/prepare.log 2>&1 || \
	  { cat $$tmp/prepare.log >&2 2>/dev/null; rm -rf $$tmp; exit 1; }; } && \
	touch $$tmp/src/.fetched && { mv -T $$tmp/src $(EXT2FS_DIR) 2>/dev/null || true; } && rm -rf $$tmp

$(objtree)/lib/ext2fs/upstream/%.o: $(EXT2FS_DIR)/.fetched $(GUEST_LIBC) $(AUTOHEADER) $(srctree)/lib/ext2fs/config/config.h
	$(msg) CC e2fsprogs/$*.o
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(UPSTREAM_CFLAGS) -MMD -MP -I$(srctree)/lib/ext2fs/config -I$(EXT2FS_DIR)/lib/ext2fs \
		$(EXT2FS_INCLUDES) -I$(EXT2FS_DIR) -c $(EXT2FS_DIR)/lib/ext2fs/$*.c -o $@

$(objtree)/lib/ext2fs/upstream/et/%.o: $(EXT2FS_DIR)/.fetched $(GUEST_LIBC) $(AUTOHEADER) $(srctree)/lib/ext2fs/config/config.h
	$(msg) CC e2fsprogs/et/$*.o
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(UPSTREAM_CFLAGS) -MMD -MP -I$(srctree)/lib/ext2fs/config -I$(EXT2FS_DIR)/lib/et \
		$(EXT2FS_INCLUDES) -c $(EXT2FS_DIR)/lib/et/$*.c -o $@

# Our driver includes <ext2fs/ext2fs.h>: it waits for the fetch and sees the headers.
EXT2FS_DRIVER_OBJS := $(addprefix $(objtree)/lib/ext2fs/,$(EXT2FS_DRIVER))
$(EXT2FS_DRIVER_OBJS): | $(EXT2FS_DIR)/.fetched
$(EXT2FS_DRIVER_OBJS): GUEST_INCLUDES += $(EXT2FS_INCLUDES)
