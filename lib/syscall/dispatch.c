/* Dispatches Linux system calls to the handlers libraries registered; reports each missing one once. */
#include <mica/init.h>
#include <mica/plat.h>
#include <mica/syscall.h>
#include <generated/syscall_names.h>

#define SYSCALL_MAX 512
#define SYSCALL_ENOSYS 38

extern const struct mica_syscall_entry __mica_syscall_start[], __mica_syscall_end[];

static mica_syscall_fn syscall_table[SYSCALL_MAX];
static unsigned char syscall_reported[SYSCALL_MAX / 8];

static int syscall_init(void)
{
	for (const struct mica_syscall_entry *e = __mica_syscall_start; e < __mica_syscall_end; e++) {
		if (e->nr < 0 || e->nr >= SYSCALL_MAX || syscall_table[e->nr])
			return -1; /* two libraries claim one call, or a number out of range */
		syscall_table[e->nr] = e->fn;
	}
	return 0;
}
MICA_INITCALL(syscall_init, MICA_INIT_MEM);

static void syscall_report(long n)
{
	static const char prefix[] = "mica: unimplemented syscall ";
	char num[24];
	const char *name = n >= 0 && n < (long)(sizeof(syscall_names) / sizeof(syscall_names[0])) ? syscall_names[n] : 0;
	if (!name) {
		unsigned long v = (unsigned long)n;
		int i = sizeof(num) - 1;
		num[i] = '\0';
		do
			num[--i] = (char)('0' + v % 10);
		while ((v /= 10) && i > 0);
		name = &num[i];
	}
	size_t len = 0;
	while (name[len])
		len++;
	plat_console_write(prefix, sizeof(prefix) - 1);
	plat_console_write(name, len);
	plat_console_write("\n", 1);
}

long mica_syscall(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
	if (n >= 0 && n < SYSCALL_MAX && syscall_table[n])
		return syscall_table[n](a1, a2, a3, a4, a5, a6);
	if (n >= 0 && n < SYSCALL_MAX) {
		if (syscall_reported[n / 8] & (1u << (n % 8)))
			return -SYSCALL_ENOSYS;
		syscall_reported[n / 8] |= (unsigned char)(1u << (n % 8));
	}
	syscall_report(n);
	return -SYSCALL_ENOSYS;
}
