/* `mica oci pack`: an OCI image tarball holding a Mica image, for docker/ctr/podman load. */
#ifndef OCI_PACK_H
#define OCI_PACK_H

#include <stdbool.h>
#include <stddef.h>

/* argv[0] is "pack"; returns mica's exit status. */
int oci_pack_main(int argc, char **argv);

/*
 * A FILE's DEST as a path in the layer: relative, single slashes, no "." or ".." component (which
 * would reach outside the root where an engine unpacks it). Returns 0 with out set, or -1 with a
 * one-line reason in err (empty, such a component, longer than outlen).
 */
int oci_pack_dest(const char *dest, char *out, size_t outlen, char *err, size_t errlen);

/*
 * Whether name is an image reference the engines accept (docker's rules, in short: lowercase
 * path components, an optional registry host[:port], an optional :TAG); *tag points at the tag
 * in name, or is NULL when there is none.
 */
bool oci_pack_name_valid(const char *name, const char **tag);

/* The name engines store NAME:TAG as: docker.io/library/NAME for a bare name, docker.io/USER/NAME for USER/NAME. */
void oci_pack_full_name(const char *ref, char *out, size_t outlen);

#endif
