/* Console backend: guest console ring to host stdout, host stdin to the guest. */
#ifndef XEN_CONSOLE_H
#define XEN_CONSOLE_H

#include <sys/types.h>
#include "vm/guest.h"

/*
 * The host side of the calling thread's guest console: stdin and stdout unless a run that owns
 * other fds (a gateway instance's pipes) says so before its guest starts.
 */
void console_use_fds(int in, int out);

/* The host fd the console's input comes from (stdin unless console_use_fds said otherwise). */
int console_host_input(void);

/* One write of guest output to the console's host side (the console_io hypercall). */
ssize_t console_write(const void *buf, size_t len);

/* Binds the console event channel; returns 0, or -1 when no port is free. */
int console_setup(struct guest *g);

/* The console port's service: drains the output ring and raises the port (snapshots rebind it). */
void console_notify(struct guest *g, uint32_t port);

/* Copies what the guest wrote to the console's host side. Safe to call at any time (e.g. after a crash). */
void console_drain(struct guest *g);

/* Moves up to what fits of buf into the guest's input ring; returns bytes taken. */
size_t console_input(struct guest *g, const char *buf, size_t len);

/* Room left in the guest's input ring. */
size_t console_input_space(struct guest *g);

/* True when mica may read the console's host input (open, and not a terminal we are behind). */
bool console_stdin_usable(void);

/*
 * Moves what host stdin has (it polled readable) into the guest's input ring. Returns false once
 * stdin has ended: then the guest has been told (MICA_START_EXT_CONSOLE_EOF and an event).
 */
bool console_feed_stdin(struct guest *g);

#endif
