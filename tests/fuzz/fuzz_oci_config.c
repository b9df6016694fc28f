/* fuzz-sources: runtime/oci/config.c */
/* libFuzzer harness: config.json parsing for the OCI runtime on arbitrary bytes. */
/* fuzz-libs: -ljansson */
#include <stdlib.h>
#include <string.h>
#include "oci/config.h"

static void fuzz_warn(void *ctx, const char *msg)
{
	/* Every warning is one line. */
	(void)ctx;
	if (strchr(msg, '\n'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_config cfg;
	char err[256];
	err[0] = 'x';
	if (oci_config_parse((const char *)data, size, &cfg, fuzz_warn, NULL, err, sizeof(err)) != 0) {
		/* A refusal says why, in one line, and leaves nothing allocated. */
		if (!err[0] || strchr(err, '\n') || cfg.args || cfg.env || cfg.image || cfg.annotations)
			abort();
		return 0;
	}
	/* What create relies on: a named image, a NULL-terminated argv and env, a root, an absolute cwd. */
	if (cfg.nargs < 1 || cfg.args[cfg.nargs] || !cfg.image || !cfg.image[0] || !cfg.root_path ||
	    !cfg.root_path[0] || cfg.cwd[0] != '/' || cfg.nenv < 0 || cfg.nenv > OCI_CONFIG_MAX_ENV + 1 ||
	    cfg.env[cfg.nenv] || !cfg.annotations || cfg.backend > OCI_BACKEND_KVM)
		abort();
	for (int i = 0; i < cfg.nargs; i++)
		if (!cfg.args[i])
			abort();
	for (int i = 0; i < cfg.nenv; i++)
		if (!cfg.env[i])
			abort();
	oci_config_free(&cfg);
	return 0;
}
