/* What posix-mem tells other libraries about the memory it has handed to the program. */
#ifndef MICA_POSIX_MEM_H
#define MICA_POSIX_MEM_H

#include <stddef.h>

/* Bytes held for the program: its mappings and the whole region reserved for brk. */
size_t posix_mem_in_use(void);

#endif
