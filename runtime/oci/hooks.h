/* OCI hooks: host programs the engine asks for around a container's life, fed its state on stdin. */
#ifndef OCI_HOOKS_H
#define OCI_HOOKS_H

#include <stddef.h>
#include "oci/config.h"
#include "oci/state.h"

/*
 * Runs cfg's hooks of kind k in order, each with the container's state JSON (st, in dir) on its
 * stdin, until one fails. Returns 0, or -1 with a one-line message in err (naming the kind, the
 * hook and its output).
 */
int oci_hooks_run(const struct oci_config *cfg, enum oci_hook_kind k, const char *dir, const struct oci_state *st,
		  char *err, size_t errlen);

#endif
