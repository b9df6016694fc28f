/* tests/apps/posix, compiled against newlib: the same checks, less the ones newlib cannot make. */
#include "../posix/main.c"
