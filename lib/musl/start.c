/* Starts a musl program as Linux's exec would leave it: argv, envp and auxv for __libc_start_main. */
#include <elf.h>
#include <sys/syscall.h>
#include <mica/plat.h>
#include <mica/syscall.h>

int main(int argc, char **argv, char **envp);
int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv, void (*init)(void),
		      void (*fini)(void), void (*ldso)(void));
int mica_app_start(int argc, char **argv);

/* The image's own ELF header: the linker script loads it, so TLS setup can find PT_TLS. */
extern const Elf64_Ehdr __ehdr_start;

/* argv, NULL, envp, NULL, then the auxv pairs musl reads, then AT_NULL. */
#define START_AUXV 9
#define START_ARGS_MAX 520
#define START_ENV_MAX 128
static unsigned long start_vec[START_ARGS_MAX + 1 + START_ENV_MAX + 1 + 2 * START_AUXV + 2];
static unsigned char start_random[16];

int mica_app_start(int argc, char **argv)
{
	unsigned long *v = start_vec;

	if (argc > START_ARGS_MAX)
		argc = START_ARGS_MAX;
	for (int i = 0; i < argc; i++)
		*v++ = (unsigned long)argv[i];
	*v++ = 0; /* end of argv */
	v += plat_env((const char **)v, START_ENV_MAX);
	*v++ = 0; /* end of envp */

	/* Stack-protector and pointer-guard seeds, which musl takes from AT_RANDOM: the initcalls
	 * have run, so the syscall layer's generator is seeded. */
	mica_syscall(SYS_getrandom, (long)start_random, sizeof(start_random), 0, 0, 0, 0);
	const unsigned long aux[START_AUXV][2] = {
		{AT_PHDR, (unsigned long)&__ehdr_start + __ehdr_start.e_phoff},
		{AT_PHENT, __ehdr_start.e_phentsize},
		{AT_PHNUM, __ehdr_start.e_phnum},
		{AT_PAGESZ, 4096},
		{AT_ENTRY, __ehdr_start.e_entry},
		{AT_UID, 0},
		{AT_EUID, 0},
		{AT_SECURE, 0},
		{AT_RANDOM, (unsigned long)start_random},
	};
	for (int i = 0; i < START_AUXV; i++) {
		*v++ = aux[i][0];
		*v++ = aux[i][1];
	}
	*v++ = AT_NULL;
	*v = 0;
	/* Runs the constructors and main, then exit(): stdio is flushed, exit_group ends the guest. */
	return __libc_start_main(main, argc, (char **)start_vec, 0, 0, 0);
}
