/* The guest's command line and environment, encoded once for every kind of start info. */
#include <stdio.h>
#include <string.h>
#include "xen/boot_args.h"

int boot_args_cmdline(char *dst, size_t cap, int argc, char *const argv[], char *err, size_t errlen)
{
	size_t n = 0, room = cap - 1;
	for (int i = 0; i < argc; i++) {
		if (i) {
			if (n + 1 > room)
				goto too_long;
			dst[n++] = ' ';
		}
		for (const char *p = argv[i]; *p; p++) {
			size_t escape = *p == ' ' || *p == '\\';
			if (n + 1 + escape > room)
				goto too_long;
			if (escape)
				dst[n++] = '\\';
			dst[n++] = *p;
		}
	}
	dst[n] = '\0';
	return 0;
too_long:
	snprintf(err, errlen, "the guest command line is longer than the %zu bytes the start info holds", room);
	return -1;
}

int boot_args_ext(struct guest *g, void *start_page, int nenv, char *const env[],
		  uint64_t runtime_start_ns, char *err, size_t errlen)
{
	char *envp = (char *)start_page + MICA_START_ENV_OFFSET;
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
	g->ext = (struct mica_start_ext *)((char *)start_page + MICA_START_EXT_OFFSET);
	*g->ext = (struct mica_start_ext){
		.magic = MICA_START_EXT_MAGIC,
		.size = sizeof(struct mica_start_ext),
		.runtime_start_ns = runtime_start_ns,
		.env_len = (uint32_t)env_len,
	};
	return 0;
}
