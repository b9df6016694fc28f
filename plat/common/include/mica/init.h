/* Ordered boot-time initialisation: each library declares its init function and class. */
#ifndef MICA_INIT_H
#define MICA_INIT_H

typedef int (*mica_initcall_t)(void);

/*
 * Classes run in this order before main(); within a class, order is link order. An initcall
 * returning non-zero stops the boot with a crash naming the function.
 */
#define MICA_INIT_PLAT 1  /* console, time, event channels */
#define MICA_INIT_MEM 2   /* page and heap allocators */
#define MICA_INIT_LIB 3   /* schedulers and other libraries */
#define MICA_INIT_APP 4   /* late, app-specific */

struct mica_initcall {
	mica_initcall_t fn;
	const char *name;
};

#define MICA_INIT__STR(x) #x
#define MICA_INIT__SECTION(cls) ".mica_init." MICA_INIT__STR(cls)

#define MICA_INITCALL(fn, cls)                                                                  \
	static const struct mica_initcall __mica_initcall_##fn                                  \
		__attribute__((used, section(MICA_INIT__SECTION(cls)), aligned(8))) = {fn, #fn}

#endif
