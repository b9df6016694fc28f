/* The OCI runtime commands, each given its parsed command line; each returns the exit status. */
#ifndef OCI_COMMANDS_H
#define OCI_COMMANDS_H

#include "oci/args.h"

int oci_cmd_create(const struct oci_args *a);
int oci_cmd_start(const struct oci_args *a);
int oci_cmd_state(const struct oci_args *a);
int oci_cmd_kill(const struct oci_args *a);
int oci_cmd_delete(const struct oci_args *a);
int oci_cmd_ps(const struct oci_args *a);
int oci_cmd_pause(const struct oci_args *a, bool pause);
int oci_cmd_list(const struct oci_args *a);
int oci_cmd_features(void);

#endif
