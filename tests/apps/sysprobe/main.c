/*
 * Hostile test guest: makes one host system call with the given number and arguments, either
 * from the hypercall page (jumping to a syscall instruction there, which passes the filter's
 * address check) or straight from guest code. If the call returns, says so.
 */
#include <mica/print.h>
#include <mica/string.h>
#include <mica/hypercall.h>

/* Slot 0 is "mov $nr, %eax; syscall; ret": offset 5 is the syscall instruction. */
#define SYSPROBE_GADGET (hypercall_page + 5)

/* The same "syscall; ret" in guest code, outside the hypercall page. */
extern char sysprobe_direct_gadget[];
__asm__(".pushsection .text, \"ax\"\n"
	"sysprobe_direct_gadget:\n"
	"	syscall\n"
	"	ret\n"
	".popsection\n");

/* Calls gadget with the syscall registers set, so the syscall instruction runs where it lies. */
static long sysprobe(const char *gadget, long nr, const long *a)
{
	long ret;
	register long r10 __asm__("r10") = a[3];
	register long r8 __asm__("r8") = a[4];
	register long r9 __asm__("r9") = a[5];
	__asm__ __volatile__("call *%[gadget]"
			     : "=a"(ret)
			     : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9),
			       [gadget] "r"(gadget)
			     : "rcx", "r11", "memory");
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "page") != 0 && strcmp(argv[1], "direct") != 0) || argc > 9) {
		printf("usage: sysprobe page|direct NR [ARG...]  (up to 6 arguments)\n");
		return 2;
	}
	long nr = strtol(argv[2], 0, 0), a[6] = {0};
	for (int i = 3; i < argc; i++)
		a[i - 3] = strtol(argv[i], 0, 0);
	printf("sysprobe: calling nr %ld from %s\n", nr, argv[1]);
	long ret = sysprobe(strcmp(argv[1], "page") == 0 ? SYSPROBE_GADGET : sysprobe_direct_gadget, nr, a);
	printf("sysprobe: returned %ld\n", ret);
	return 0;
}
