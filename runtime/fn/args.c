/* Parsing of `mica serve` arguments: the listen address and the --function specifications. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fn/args.h"
#include "image/size.h"

const char fn_args_usage[] =
	"usage: mica serve --listen ADDR:PORT --function NAME=FILE[,OPTION=VALUE]... [--verbose]\n"
	"\n"
	"An HTTP gateway: each request to /NAME or /NAME/... is answered by a fresh instance of the\n"
	"function NAME, which reads the request on stdin and writes the response on stdout\n"
	"(framing: docs/functions.md). Instances never serve two requests.\n"
	"\n"
	"  --listen ADDR:PORT      IPv4 address and port to listen on; port 0 picks a free one\n"
	"                          (the address is printed on stderr at startup)\n"
	"  --function NAME=FILE    FILE is a mica image, a snapshot made by `mica run --snapshot`,\n"
	"                          or exec:PROGRAM for a host program (a native baseline); repeatable.\n"
	"                          NAME: letters, digits, '-' and '_'. Options, comma-separated:\n"
	"      initrd=FILE         the instance's initrd (images only: a snapshot holds its own)\n"
	"      mem=SIZE            guest RAM (default 64M)\n"
	"      timeout=SECS        wall time per request, then 504 and the instance is killed (default 10)\n"
	"      max=N               instances running at once (default 8)\n"
	"      queue=N             requests waiting for an instance beyond those, then 503 (default 64)\n"
	"      warm=N              instances started ahead of requests, each still used for one\n"
	"                          request only (default 2; 0 starts each when its request comes); a\n"
	"                          snapshot's are guest processes, parked again after a clean instance\n"
	"                          with RAM and registers reset (docs/abi.md §14)\n"
	"      response=SIZE       most bytes an instance may write, then 502 and it is killed (default 1M)\n"
	"  --verbose               one line per request on stderr\n"
	"  -h, --help              this text\n"
	"\n"
	"Statuses: 404 unknown function, 413 request body over 1 MiB, 502 the function failed (crashed,\n"
	"exited non-zero, wrote a malformed or oversize response), 503 queue full, 504 timeout.\n"
	"SIGTERM or SIGINT stops accepting, kills running instances and exits 0; startup errors exit 125.\n";

static bool fn_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_';
}

/* A decimal count in [lo, hi]: digits only. */
static int fn_parse_count(const char *s, unsigned int lo, unsigned int hi, unsigned int *out)
{
	if (*s == '\0' || strlen(s) > 9)
		return -1;
	unsigned long v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/* Seconds, decimals allowed, above 0 and at most FN_MAX_TIMEOUT_S. */
static int fn_parse_seconds(const char *s, uint64_t *ns)
{
	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v <= 0 || v > FN_MAX_TIMEOUT_S)
		return -1;
	uint64_t n = (uint64_t)(v * 1e9);
	*ns = n ? n : 1;
	return 0;
}

int fn_args_function(const char *spec, struct fn_function *f, char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	f->mem = FN_DEFAULT_MEM;
	f->timeout_ns = FN_DEFAULT_TIMEOUT_NS;
	f->max = FN_DEFAULT_MAX;
	f->queue = FN_DEFAULT_QUEUE;
	f->warm = FN_DEFAULT_WARM;
	f->response_max = FN_DEFAULT_RESPONSE;
	f->kind = FN_KIND_IMAGE;

	if (strlen(spec) >= sizeof(f->spec)) {
		snprintf(err, errlen, "--function: longer than %zu bytes", sizeof(f->spec) - 1);
		return -1;
	}
	memcpy(f->spec, spec, strlen(spec) + 1);
	char *eq = strchr(f->spec, '=');
	if (!eq) {
		snprintf(err, errlen, "--function %s: expected NAME=FILE[,OPTION=VALUE]...", spec);
		return -1;
	}
	size_t nlen = (size_t)(eq - f->spec);
	if (nlen == 0 || nlen >= sizeof(f->name)) {
		snprintf(err, errlen, "--function %s: the name must be 1 to %zu characters", spec,
			 sizeof(f->name) - 1);
		return -1;
	}
	for (size_t i = 0; i < nlen; i++) {
		if (!fn_name_char(f->spec[i])) {
			snprintf(err, errlen, "--function %s: the name may hold only letters, digits, '-' and '_'",
				 spec);
			return -1;
		}
	}
	memcpy(f->name, f->spec, nlen);
	f->name[nlen] = '\0';

	char *path = eq + 1, *next = strchr(path, ',');
	if (next)
		*next++ = '\0';
	if (strncmp(path, "exec:", 5) == 0) {
		f->kind = FN_KIND_EXEC;
		path += 5;
	}
	if (*path == '\0') {
		snprintf(err, errlen, "--function %s: no file after '='", spec);
		return -1;
	}
	f->path = path;

	while (next) {
		char *opt = next;
		next = strchr(opt, ',');
		if (next)
			*next++ = '\0';
		char *val = strchr(opt, '=');
		if (!val || val == opt || val[1] == '\0') {
			snprintf(err, errlen, "--function %s: option '%s' is not KEY=VALUE", f->name, opt);
			return -1;
		}
		*val++ = '\0';
		int bad = 0;
		if (strcmp(opt, "initrd") == 0)
			f->initrd = val;
		else if (strcmp(opt, "mem") == 0)
			bad = size_parse(val, &f->mem) != 0 || f->mem > (64ULL << 30);
		else if (strcmp(opt, "timeout") == 0)
			bad = fn_parse_seconds(val, &f->timeout_ns) != 0;
		else if (strcmp(opt, "max") == 0)
			bad = fn_parse_count(val, 1, FN_MAX_MAX, &f->max) != 0;
		else if (strcmp(opt, "queue") == 0)
			bad = fn_parse_count(val, 0, FN_MAX_QUEUE, &f->queue) != 0;
		else if (strcmp(opt, "warm") == 0)
			bad = fn_parse_count(val, 0, FN_MAX_WARM, &f->warm) != 0;
		else if (strcmp(opt, "response") == 0)
			bad = size_parse(val, &f->response_max) != 0 || f->response_max > FN_MAX_RESPONSE;
		else {
			snprintf(err, errlen,
				 "--function %s: unknown option '%s' (initrd, mem, timeout, max, queue, warm, response)",
				 f->name, opt);
			return -1;
		}
		if (bad) {
			static const struct {
				const char *key, *want;
			} wants[] = {
				{"mem", "a size up to 64G such as 64M"},
				{"timeout", "seconds above 0, at most 86400, such as 2.5"},
				{"max", "a count from 1 to 1024"},
				{"queue", "a count from 0 to 65536"},
				{"warm", "a count from 0 to 64"},
				{"response", "a size up to 1G such as 1M"},
			};
			const char *want = "";
			for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++)
				if (strcmp(wants[i].key, opt) == 0)
					want = wants[i].want;
			snprintf(err, errlen, "--function %s: %s=%s: expected %s", f->name, opt, val, want);
			return -1;
		}
	}
	if (f->kind == FN_KIND_EXEC && f->initrd) {
		snprintf(err, errlen, "--function %s: initrd= is for mica images, not exec: programs", f->name);
		return -1;
	}
	return 0;
}

int fn_args_listen(const char *s, struct sockaddr_in *sa, char *err, size_t errlen)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	unsigned int port;
	if (!colon || (size_t)(colon - s) >= sizeof(host) || fn_parse_count(colon + 1, 0, 65535, &port) != 0) {
		snprintf(err, errlen, "--listen %s: expected IPv4ADDR:PORT such as 127.0.0.1:8080", s);
		return -1;
	}
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		snprintf(err, errlen, "--listen %s: '%s' is not an IPv4 address such as 127.0.0.1", s, host);
		return -1;
	}
	return 0;
}

enum fn_args_result fn_args_parse(int argc, char **argv, struct fn_args *a, char *err, size_t errlen)
{
	bool listening = false;
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
			return FN_ARGS_HELP;
		if (strcmp(arg, "--verbose") == 0 || strcmp(arg, "-v") == 0) {
			a->verbose = true;
			continue;
		}
		const char *val = NULL;
		size_t olen = 0;
		if (strncmp(arg, "--listen", 8) == 0)
			olen = 8;
		else if (strncmp(arg, "--function", 10) == 0)
			olen = 10;
		if (olen && arg[olen] == '=')
			val = arg + olen + 1;
		else if (olen && arg[olen] == '\0') {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "%s needs a value (see mica serve --help)", arg);
				return FN_ARGS_ERROR;
			}
			val = argv[++i];
		} else {
			snprintf(err, errlen, "unknown argument '%s' (see mica serve --help)", arg);
			return FN_ARGS_ERROR;
		}
		if (olen == 8) {
			if (fn_args_listen(val, &a->listen, err, errlen) != 0)
				return FN_ARGS_ERROR;
			listening = true;
			continue;
		}
		if (a->nfunctions == FN_MAX_FUNCTIONS) {
			snprintf(err, errlen, "--function: at most %d functions", FN_MAX_FUNCTIONS);
			return FN_ARGS_ERROR;
		}
		struct fn_function *f = &a->functions[a->nfunctions];
		if (fn_args_function(val, f, err, errlen) != 0)
			return FN_ARGS_ERROR;
		for (int k = 0; k < a->nfunctions; k++) {
			if (strcmp(a->functions[k].name, f->name) == 0) {
				snprintf(err, errlen, "--function %s: given twice", f->name);
				return FN_ARGS_ERROR;
			}
		}
		a->nfunctions++;
	}
	if (!listening) {
		snprintf(err, errlen, "--listen ADDR:PORT is required (see mica serve --help)");
		return FN_ARGS_ERROR;
	}
	if (a->nfunctions == 0) {
		snprintf(err, errlen, "at least one --function NAME=FILE is required (see mica serve --help)");
		return FN_ARGS_ERROR;
	}
	return FN_ARGS_OK;
}
