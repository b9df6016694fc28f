/* Common boot path after the platform entry: Xen client up, initcalls, argv, main(), poweroff. */
#include <mica/init.h>
#include <mica/plat.h>
#include <mica/xen_boot.h>

int main(int argc, char **argv);
int mica_app_start(int argc, char **argv);

/* A C library that must set itself up before main() (lib/musl) provides its own. */
__attribute__((weak)) int mica_app_start(int argc, char **argv)
{
	return main(argc, argv);
}

shared_info_t *xen_shared_info;
const struct xen_native_ops *xen_native;
static struct plat_memregion boot_free_mem, boot_initrd;
static const struct mica_start_ext *boot_ext;

/* The start info holds at most MAX_GUEST_CMDLINE bytes, so this bounds argv as well. */
#define BOOT_MAX_ARGS (MAX_GUEST_CMDLINE / 2 + 1)
static char boot_cmdline[MAX_GUEST_CMDLINE];
static char *boot_argv[BOOT_MAX_ARGS + 1];

extern const struct mica_initcall __mica_init_start[], __mica_init_end[];

struct plat_memregion plat_free_memory(void)
{
	return boot_free_mem;
}

int plat_env(const char **vars, int max)
{
	if (!boot_ext || boot_ext->size < sizeof(*boot_ext))
		return 0;
	const char *p = (const char *)boot_ext - MICA_START_EXT_OFFSET + MICA_START_ENV_OFFSET;
	uint32_t len = boot_ext->env_len < MICA_START_ENV_MAX ? boot_ext->env_len : MICA_START_ENV_MAX;
	int n = 0;
	/* Only whole NUL-terminated strings inside the area count. */
	for (uint32_t at = 0, start = 0; at < len && n < max; at++) {
		if (p[at] == '\0') {
			vars[n++] = p + start;
			start = at + 1;
		}
	}
	return n;
}

struct plat_memregion plat_initrd(void)
{
	return boot_initrd;
}

/* Splits at unescaped spaces; a backslash makes the next byte literal (the runtime escapes). */
static int boot_split_cmdline(const char *src)
{
	int argc = 0;
	size_t out = 0;
	const char *p = src;

	while (*p && argc < BOOT_MAX_ARGS && out < sizeof(boot_cmdline) - 1) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		boot_argv[argc++] = &boot_cmdline[out];
		while (*p && *p != ' ' && out < sizeof(boot_cmdline) - 1) {
			if (*p == '\\' && p[1])
				p++;
			boot_cmdline[out++] = *p++;
		}
		boot_cmdline[out++] = '\0';
	}
	boot_argv[argc] = 0;
	return argc;
}

static void boot_run_initcalls(void)
{
	for (const struct mica_initcall *c = __mica_init_start; c < __mica_init_end; c++) {
		if (c->fn() != 0) {
			plat_console_write("boot: initcall failed: ", 23);
			const char *n = c->name;
			size_t len = 0;
			while (n[len])
				len++;
			plat_console_write(n, len);
			plat_crash("\n");
		}
	}
}

void xen_boot(const struct xen_boot *boot)
{
	xen_shared_info = boot->shared_info;
	xen_native = boot->native;
	boot_free_mem = boot->free_mem;
	boot_initrd = boot->initrd;
	boot_ext = boot->ext;
	if (!xen_native) {
		xen_console_init(boot->console, boot->console_port, boot->ext);
		xen_xs_init(boot->store, boot->store_port);
	}
	boot_run_initcalls();

	int argc = boot_split_cmdline(boot->cmdline);
	if (boot->ext)
		boot->ext->guest_main_ns = plat_time_ns();
	plat_poweroff(mica_app_start(argc, boot_argv));
}
