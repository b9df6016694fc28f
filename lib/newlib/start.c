/* Starts a newlib program: constructors, then main, then exit() so stdio is flushed. */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv, char **envp);
int mica_app_start(int argc, char **argv);

/* The constructors, as plat/proc/link.lds collects them; newlib's __libc_init_array would also
 * want .preinit_array and an _init from crti.o, which a Mica image has neither of. */
extern void (*const __init_array_start[])(void), (*const __init_array_end[])(void);

int mica_app_start(int argc, char **argv)
{
	for (void (*const *f)(void) = __init_array_start; f < __init_array_end; f++)
		(*f)();
	exit(main(argc, argv, environ));
}
