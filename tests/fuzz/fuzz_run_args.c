/* fuzz-sources: runtime/cli/run_args.c runtime/image/size.c */
/* libFuzzer harness: `mica run` argument parsing on arbitrary argument vectors (NUL-separated input). */
#include <stdlib.h>
#include <string.h>
#include "cli/run_args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	char *argv[64];
	int argc = 0;
	argv[argc++] = "run";
	for (char *s = buf; s < buf + size + 1 && argc < 63; s += strlen(s) + 1)
		argv[argc++] = s;
	argv[argc] = NULL;
	struct run_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	char err[256];
	if (run_args_parse(argc, argv, &cfg, err, sizeof(err)) == RUN_ARGS_OK) {
		/*
		 * The guest's argv must stay inside ours, the image be named (unless a snapshot is
		 * restored, which needs neither), the memory sane.
		 */
		bool image_free_restore = cfg.restore_path && !cfg.image_path && cfg.argc == 0;
		if ((!image_free_restore && (cfg.argc < 1 || cfg.argv + cfg.argc != argv + argc || !cfg.image_path)) ||
		    (cfg.restore_path && cfg.argc > 1) || (cfg.snapshot_path && cfg.restore_path) ||
		    cfg.mem % 4096 || cfg.mem == 0 || cfg.mem > RUN_MAX_MEM || cfg.nnics < 0 ||
		    cfg.nnics > GUEST_MAX_NICS)
			abort();
		/* A mount names an absolute path on a disk that exists. */
		for (int i = 0; i < cfg.ndisks; i++)
			if (cfg.disks[i].mount[0] && (cfg.disks[i].mount[0] != '/' ||
						      !memchr(cfg.disks[i].mount, '\0', sizeof(cfg.disks[i].mount))))
				abort();
		/* Every NIC names a TAP, and its strings end inside their arrays. */
		for (int i = 0; i < cfg.nnics; i++) {
			const struct run_nic *n = &cfg.nics[i];
			if (!n->tap[0] || !memchr(n->tap, '\0', sizeof(n->tap)) || !memchr(n->ip, '\0', sizeof(n->ip)) ||
			    !memchr(n->gw, '\0', sizeof(n->gw)) || (n->gw[0] && !n->ip[0]) ||
			    (n->mac_given && (n->mac[0] & 1)))
				abort();
		}
	} else if (!memchr(err, '\0', sizeof(err))) {
		abort();
	}
	free(buf);
	return 0;
}
