/* Host TAP devices for netback: attaching a persistent TAP, or making a transient one. */
#ifndef DEV_TAP_H
#define DEV_TAP_H

#include <stddef.h>

/*
 * Opens TAP name (IFF_TAP | IFF_NO_PI, non-blocking, close-on-exec): an existing TAP is attached
 * as it is; a name no device has makes a transient TAP, brought up, which the kernel removes when
 * the fd closes. Returns the fd, or -1 with a one-line reason in err.
 */
int tap_open(const char *name, char *err, size_t errlen);

#endif
