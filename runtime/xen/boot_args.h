/* What the guest is started with, in the forms both PV start_info and PVH hvm_start_info carry. */
#ifndef XEN_BOOT_ARGS_H
#define XEN_BOOT_ARGS_H

#include <stddef.h>
#include "vm/guest.h"

/*
 * Joins argv with spaces into dst (cap bytes, NUL included), escaping space and backslash so the
 * guest splits it back exactly. Returns 0, or -1 with a message in err when it does not fit.
 */
int boot_args_cmdline(char *dst, size_t cap, int argc, char *const argv[], char *err, size_t errlen);

/*
 * Writes the Mica extension and the environment into a start info page (offsets of
 * mica/abi.h) and points g->ext at it. Returns 0, or -1 with a message in err.
 */
int boot_args_ext(struct guest *g, void *start_page, int nenv, char *const env[],
		  uint64_t runtime_start_ns, char *err, size_t errlen);

#endif
