/* The PV domain builder's part: start_info, shared_info, console and xenstore pages at the top of RAM. */
#ifndef XEN_START_INFO_H
#define XEN_START_INFO_H

#include "vm/guest.h"

/* Bytes of RAM the special pages take from the top. */
#define START_INFO_RESERVED (MICA_PROC_SPECIAL_PAGES * MICA_PAGE_SIZE)

/*
 * Fills the special pages of g (g->ram and g->ram_size set) and points g's fields at them.
 * argv[0] is the program name the guest sees; env holds "NAME=VALUE" strings. Returns 0, or -1
 * with a message in err when the command line or the environment does not fit the start info.
 */
int start_info_build(struct guest *g, int argc, char *const argv[], int nenv, char *const env[],
		     uint64_t runtime_start_ns, char *err, size_t errlen);

/*
 * Places size bytes of data as the initrd just below the special pages (page-aligned) and
 * records it in start_info (mod_start: guest address, mod_len: bytes). Call after
 * start_info_build; the caller checked that it fits above the image.
 */
void start_info_initrd(struct guest *g, const void *data, uint64_t size);

/*
 * Points g's fields at special pages already in RAM (a restored snapshot's), writing nothing:
 * start_info, shared_info, the console and store rings and the Mica extension.
 */
void start_info_attach(struct guest *g);

/* Guest address of the start_info page. */
uint64_t start_info_gaddr(const struct guest *g);

#endif
