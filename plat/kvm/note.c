/* The Mica image note for kvm images (the Xen PVH note is in pvh.S, next to the entry it names). */
#include <mica/image_note.h>

MICA_IMAGE_NOTE(MICA_PLAT_KVM);
