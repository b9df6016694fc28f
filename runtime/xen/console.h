/* Console backend: guest console ring to host stdout, host stdin to the guest. */
#ifndef XEN_CONSOLE_H
#define XEN_CONSOLE_H

#include "vm/guest.h"

/* Binds the console event channel; returns 0, or -1 when no port is free. */
int console_setup(struct guest *g);

/* The console port's service: drains the output ring and raises the port (snapshots rebind it). */
void console_notify(struct guest *g, uint32_t port);

/* Copies what the guest wrote to stdout. Safe to call at any time (e.g. after a crash). */
void console_drain(struct guest *g);

/* Moves up to what fits of buf into the guest's input ring; returns bytes taken. */
size_t console_input(struct guest *g, const char *buf, size_t len);

/* Room left in the guest's input ring. */
size_t console_input_space(struct guest *g);

/* True when mica may read host stdin for the guest (open, and not a terminal we are behind). */
bool console_stdin_usable(void);

/*
 * Moves what host stdin has (it polled readable) into the guest's input ring. Returns false once
 * stdin has ended: then the guest has been told (MICA_START_EXT_CONSOLE_EOF and an event).
 */
bool console_feed_stdin(struct guest *g);

#endif
