/* The Mica image note for proc images. */
#include <mica/image_note.h>

MICA_IMAGE_NOTE(MICA_PLAT_PROC);
