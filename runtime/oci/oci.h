/* mica as an OCI runtime: the runc-compatible commands container engines call. */
#ifndef OCI_OCI_H
#define OCI_OCI_H

#include <stdbool.h>

/* True if argv[1] starts an OCI runtime command line (a runc global option or command). */
bool oci_is_command(int argc, char **argv);

/* Runs the OCI command line argv (argv[0] is the program); returns mica's exit status. */
int oci_main(int argc, char **argv);

#endif
