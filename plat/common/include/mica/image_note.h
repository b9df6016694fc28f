/* The Mica image note every platform puts in its images: platform, ABI and the app's devices. */
#ifndef MICA_IMAGE_NOTE_H
#define MICA_IMAGE_NOTE_H

#include <mica/abi.h>

#ifdef CONFIG_DEV_ECHO
#define MICA_IMAGE_NOTE_ECHO MICA_DEV_ECHO
#else
#define MICA_IMAGE_NOTE_ECHO 0
#endif

#ifdef CONFIG_LIB_NETFRONT
#define MICA_IMAGE_NOTE_NET MICA_DEV_NET
#else
#define MICA_IMAGE_NOTE_NET 0
#endif

#ifdef CONFIG_LIB_BLKFRONT
#define MICA_IMAGE_NOTE_BLOCK MICA_DEV_BLOCK
#else
#define MICA_IMAGE_NOTE_BLOCK 0
#endif

/* Defines the note (in its own section, which each linker script places in a PT_NOTE). */
#define MICA_IMAGE_NOTE(plat)                                                                  \
	static const struct {                                                                  \
		uint32_t namesz, descsz, type;                                                 \
		char name[8];                                                                  \
		struct mica_note_image desc;                                                   \
	} mica_image_note __attribute__((used, section(".note.mica"), aligned(4))) = {         \
		.namesz = sizeof(MICA_NOTE_NAME),                                              \
		.descsz = sizeof(struct mica_note_image),                                      \
		.type = MICA_NOTE_IMAGE,                                                       \
		.name = MICA_NOTE_NAME,                                                        \
		.desc = {                                                                      \
			.abi_version = MICA_ABI_VERSION,                                       \
			.platform = (plat),                                                    \
			.devices = MICA_DEV_CONSOLE | MICA_IMAGE_NOTE_ECHO | MICA_IMAGE_NOTE_NET | MICA_IMAGE_NOTE_BLOCK,\
			.app = MICA_APP_NAME,                                                  \
		},                                                                             \
	}

#endif
