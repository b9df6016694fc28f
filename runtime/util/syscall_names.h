/* Host system call names, for messages about what a guest tried. */
#ifndef UTIL_SYSCALL_NAMES_H
#define UTIL_SYSCALL_NAMES_H

/* NULL when nr is not a known x86_64 system call. */
const char *syscall_name(long nr);

#endif
