/* Parsing of `mica run` arguments: options, the image, and the guest's own arguments. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/run_args.h"
#include "image/size.h"

const char run_args_usage[] =
	"Usage: mica run [OPTIONS] IMAGE [--] [ARGS...]\n"
	"\n"
	"Boots IMAGE with ARGS as its command line and waits until it ends.\n"
	"\n"
	"Options:\n"
	"  --mem SIZE          guest RAM: bytes or K, M, G (default 64M, at most 64G)\n"
	"  --timeout SECS      stop the guest after SECS seconds (decimals allowed)\n"
	"  --initrd FILE       hand FILE (a cpio newc archive) to the guest as its initrd\n"
	"  --env NAME=VALUE    add a variable to the guest's environment (repeatable)\n"
	"  --backend proc|kvm  how to run it (default: the platform IMAGE was built for)\n"
	"  --stats             print boot time and hypercall count to stderr at the end\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit status: the guest's own status when it powers off; 121 it asked to reboot,\n"
	"122 it made a forbidden host call, 123 it crashed, 124 --timeout expired,\n"
	"125 mica could not run it, 128+N mica was stopped by signal N.\n";

/* "--opt VALUE" or "--opt=VALUE"; returns the value, or NULL if this argument is not opt. */
static const char *run_args_value(int argc, char **argv, int *i, const char *opt, bool *missing)
{
	size_t len = strlen(opt);
	if (strncmp(argv[*i], opt, len) != 0)
		return NULL;
	if (argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (argv[*i][len] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

static int run_args_timeout(const char *s, uint64_t *ns)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(v) || v <= 0 || v > RUN_MAX_TIMEOUT_S)
		return -1;
	*ns = (uint64_t)(v * 1e9);
	return *ns ? 0 : -1;
}

enum run_args_result run_args_parse(int argc, char **argv, struct run_config *cfg, char *err,
				    size_t errlen)
{
	static char *env[RUN_MAX_ENV];
	cfg->env = env;
	cfg->mem = RUN_DEFAULT_MEM;
	cfg->backend = RUN_BACKEND_AUTO;
	int i;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *a = argv[i], *v;
		bool missing = false;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return RUN_ARGS_HELP;
		if (strcmp(a, "--stats") == 0) {
			cfg->stats = true;
		} else if ((v = run_args_value(argc, argv, &i, "--mem", &missing))) {
			if (size_parse(v, &cfg->mem) != 0) {
				snprintf(err, errlen, "--mem '%s' is not a size (examples: 512K, 64M, 1G)", v);
				return RUN_ARGS_ERROR;
			}
			if (cfg->mem % 4096 != 0 || cfg->mem > RUN_MAX_MEM) {
				snprintf(err, errlen, "--mem '%s' must be a multiple of 4K and at most 64G", v);
				return RUN_ARGS_ERROR;
			}
		} else if ((v = run_args_value(argc, argv, &i, "--timeout", &missing))) {
			if (run_args_timeout(v, &cfg->timeout_ns) != 0) {
				snprintf(err, errlen, "--timeout '%s' is not a number of seconds above 0", v);
				return RUN_ARGS_ERROR;
			}
		} else if ((v = run_args_value(argc, argv, &i, "--env", &missing))) {
			const char *eq = strchr(v, '=');
			if (!eq || eq == v) {
				snprintf(err, errlen, "--env '%s' is not NAME=VALUE", v);
				return RUN_ARGS_ERROR;
			}
			if (cfg->nenv == RUN_MAX_ENV) {
				snprintf(err, errlen, "more than %d --env variables", RUN_MAX_ENV);
				return RUN_ARGS_ERROR;
			}
			env[cfg->nenv++] = (char *)v;
		} else if ((v = run_args_value(argc, argv, &i, "--initrd", &missing))) {
			if (!*v) {
				snprintf(err, errlen, "--initrd needs a file name");
				return RUN_ARGS_ERROR;
			}
			cfg->initrd_path = v;
		} else if ((v = run_args_value(argc, argv, &i, "--backend", &missing))) {
			if (strcmp(v, "proc") == 0)
				cfg->backend = RUN_BACKEND_PROC;
			else if (strcmp(v, "kvm") == 0)
				cfg->backend = RUN_BACKEND_KVM;
			else {
				snprintf(err, errlen, "--backend '%s' is not one of proc, kvm", v);
				return RUN_ARGS_ERROR;
			}
		} else if (strcmp(a, "--") == 0) {
			break;
		} else {
			if (missing)
				snprintf(err, errlen, "%s needs a value", a);
			else
				snprintf(err, errlen, "unknown option '%s'", a);
			return RUN_ARGS_ERROR;
		}
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc) {
		snprintf(err, errlen, "no image given");
		return RUN_ARGS_ERROR;
	}
	cfg->image_path = argv[i];
	if (i + 1 < argc && strcmp(argv[i + 1], "--") == 0) {
		/* Drop the separator by moving the program name onto it. */
		i++;
	}
	const char *slash = strrchr(cfg->image_path, '/');
	argv[i] = (char *)(slash ? slash + 1 : cfg->image_path);
	cfg->argc = argc - i;
	cfg->argv = argv + i;
	return RUN_ARGS_OK;
}
