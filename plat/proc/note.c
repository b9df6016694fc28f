/* The Mica image note for proc images: platform, ABI and the devices the app selected. */
#include <mica/abi.h>

#ifdef CONFIG_DEV_ECHO
#define NOTE_DEV_ECHO MICA_DEV_ECHO
#else
#define NOTE_DEV_ECHO 0
#endif

static const struct {
	uint32_t namesz, descsz, type;
	char name[8];
	struct mica_note_image desc;
} proc_note __attribute__((used, section(".note.mica"), aligned(4))) = {
	.namesz = sizeof(MICA_NOTE_NAME),
	.descsz = sizeof(struct mica_note_image),
	.type = MICA_NOTE_IMAGE,
	.name = MICA_NOTE_NAME,
	.desc = {
		.abi_version = MICA_ABI_VERSION,
		.platform = MICA_PLAT_PROC,
		.devices = MICA_DEV_CONSOLE | NOTE_DEV_ECHO,
		.app = MICA_APP_NAME,
	},
};
