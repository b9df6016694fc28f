/* The PVH domain builder's part: hvm_start_info, memory map, command line, console and xenstore pages. */
#ifndef XEN_HVM_START_INFO_H
#define XEN_HVM_START_INFO_H

#include "vm/guest.h"

/* Bytes of RAM the special pages take from the top. */
#define HVM_START_INFO_RESERVED (MICA_KVM_SPECIAL_PAGES * MICA_PAGE_SIZE)

/*
 * Fills the start info and command line pages in low memory (low: the host mapping of
 * guest-physical 0) and the special pages at the top of RAM, points g->console, g->store and
 * g->ext at them and starts the xenstore. g->ram, g->ram_size and g->shared must be set. Returns
 * 0, or -1 with a message in err when the command line or the environment does not fit, or the
 * xenstore cannot start.
 */
int hvm_start_info_build(struct guest *g, uint8_t *low, int argc, char *const argv[], int nenv,
			 char *const env[], uint64_t runtime_start_ns, char *err, size_t errlen);

/*
 * Places size bytes of data as the initrd just below the special pages (page-aligned) and lists
 * it as the only module. Call after hvm_start_info_build; the caller checked that it fits.
 */
void hvm_start_info_initrd(struct guest *g, uint8_t *low, const void *data, uint64_t size);

#endif
