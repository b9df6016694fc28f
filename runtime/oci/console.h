/* process.terminal: a pty whose master goes to the engine over --console-socket (SCM_RIGHTS). */
#ifndef OCI_CONSOLE_H
#define OCI_CONSOLE_H

#include <stddef.h>

/*
 * Opens a pty, sends its master to the unix socket at socket_path as runc does (the pty's name as
 * data, the fd as SCM_RIGHTS) and closes it here. Returns the slave's fd (for the VMM's stdio),
 * or -1 with a one-line message in err.
 */
int oci_console_setup(const char *socket_path, char *err, size_t errlen);

#endif
