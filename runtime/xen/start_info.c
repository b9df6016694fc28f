/* Builds the PV start_info (with the guest's command line), shared_info and console pages. */
#include <stdio.h>
#include <string.h>
#include "xen/console.h"
#include "xen/start_info.h"

static uint64_t start_info_page(const struct guest *g, unsigned int from_top)
{
	return MICA_RAM_BASE + g->ram_size - (uint64_t)from_top * MICA_PAGE_SIZE;
}

uint64_t start_info_gaddr(const struct guest *g)
{
	return start_info_page(g, 1);
}

/* Joins argv with spaces, escaping space and backslash so the guest can split it back exactly. */
static int start_info_cmdline(char *dst, size_t cap, int argc, char *const argv[])
{
	size_t n = 0;
	for (int i = 0; i < argc; i++) {
		if (i) {
			if (n + 1 > cap)
				return -1;
			dst[n++] = ' ';
		}
		for (const char *p = argv[i]; *p; p++) {
			size_t escape = *p == ' ' || *p == '\\';
			if (n + 1 + escape > cap)
				return -1;
			if (escape)
				dst[n++] = '\\';
			dst[n++] = *p;
		}
	}
	dst[n] = '\0';
	return 0;
}

int start_info_build(struct guest *g, int argc, char *const argv[], int nenv, char *const env[],
		     uint64_t runtime_start_ns, char *err, size_t errlen)
{
	uint64_t si_addr = start_info_page(g, 1), shared_addr = start_info_page(g, 2),
		 console_addr = start_info_page(g, 3);

	g->start_info = guest_ptr(g, si_addr, MICA_PAGE_SIZE);
	g->shared = guest_ptr(g, shared_addr, MICA_PAGE_SIZE);
	g->console = guest_ptr(g, console_addr, MICA_PAGE_SIZE);
	g->ext = (struct mica_start_ext *)((uint8_t *)g->start_info + MICA_START_EXT_OFFSET);

	start_info_t *si = g->start_info;
	if (start_info_cmdline((char *)si->cmd_line, MAX_GUEST_CMDLINE - 1, argc, argv) != 0) {
		snprintf(err, errlen, "the guest command line is longer than the %d bytes the start info holds",
			 MAX_GUEST_CMDLINE - 1);
		return -1;
	}
	snprintf(si->magic, sizeof(si->magic), "xen-3.0-x86_64");
	si->nr_pages = (g->ram_size + MICA_RAM_BASE) >> MICA_PAGE_SHIFT;
	si->shared_info = shared_addr;
	si->console.domU.mfn = console_addr >> MICA_PAGE_SHIFT;

	/* Every port starts masked; the guest unmasks what it handles. */
	memset(g->shared->evtchn_mask, 0xff, sizeof(g->shared->evtchn_mask));
	g->shared->vcpu_info[0].evtchn_upcall_mask = 1;

	if (console_setup(g) != 0) {
		snprintf(err, errlen, "no event channel left for the console");
		return -1;
	}
	si->console.domU.evtchn = g->console_port;

	char *envp = (char *)g->start_info + MICA_START_ENV_OFFSET;
	size_t env_len = 0;
	for (int i = 0; i < nenv; i++) {
		size_t n = strlen(env[i]) + 1;
		if (n > MICA_START_ENV_MAX - env_len) {
			snprintf(err, errlen, "the --env variables are longer than the %d bytes the start info holds",
				 MICA_START_ENV_MAX);
			return -1;
		}
		memcpy(envp + env_len, env[i], n);
		env_len += n;
	}
	*g->ext = (struct mica_start_ext){
		.magic = MICA_START_EXT_MAGIC,
		.size = sizeof(struct mica_start_ext),
		.runtime_start_ns = runtime_start_ns,
		.env_len = (uint32_t)env_len,
	};
	return 0;
}

void start_info_initrd(struct guest *g, const void *data, uint64_t size)
{
	uint64_t pages = (size + MICA_PAGE_SIZE - 1) & ~(MICA_PAGE_SIZE - 1);
	uint64_t gaddr = MICA_RAM_BASE + g->ram_size - START_INFO_RESERVED - pages;
	memcpy(guest_ptr(g, gaddr, size), data, size);
	g->start_info->mod_start = gaddr;
	g->start_info->mod_len = size;
}
