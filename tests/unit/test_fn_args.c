/* unit-sources: runtime/fn/args.c runtime/image/size.c */
/* unit-cflags: -D_GNU_SOURCE */
/* Unit tests of `mica serve` argument parsing: --listen, --function specifications and their limits. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "fn/args.h"
#include "unit.h"

static struct fn_args args;

static enum fn_args_result parse(char *err, size_t errlen, int argc, ...)
{
	char *argv[16] = {"serve"};
	va_list ap;
	va_start(ap, argc);
	for (int i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	return fn_args_parse(argc, argv, &args, err, errlen);
}

static void test_defaults(void)
{
	char err[256] = "";
	enum fn_args_result r = parse(err, sizeof(err), 5, "--listen", "127.0.0.1:8080", "--function", "hello=/x/img");
	const struct fn_function *f = &args.functions[0];
	unit_check(r == FN_ARGS_OK && args.nfunctions == 1 && strcmp(f->name, "hello") == 0 &&
			   strcmp(f->path, "/x/img") == 0 && f->kind == FN_KIND_IMAGE && !f->initrd &&
			   f->mem == FN_DEFAULT_MEM && f->timeout_ns == FN_DEFAULT_TIMEOUT_NS &&
			   f->max == FN_DEFAULT_MAX && f->queue == FN_DEFAULT_QUEUE && f->warm == FN_DEFAULT_WARM &&
			   f->response_max == FN_DEFAULT_RESPONSE && !args.verbose,
		   "a bare --function gets the documented defaults", "result %d err '%s'", r, err);
	unit_check(args.listen.sin_family == AF_INET && ntohs(args.listen.sin_port) == 8080 &&
			   args.listen.sin_addr.s_addr == htonl(0x7f000001),
		   "--listen 127.0.0.1:8080 is parsed", NULL);
}

static void test_options(void)
{
	char err[256] = "";
	enum fn_args_result r = parse(err, sizeof(err), 6, "--listen=0.0.0.0:0", "--verbose", "--function",
				      "f-1_x=/img,initrd=/i.cpio,mem=16M,timeout=2.5,max=3,queue=0,warm=0,response=4K",
				      "--function=b=exec:/bin/prog");
	const struct fn_function *f = &args.functions[0], *b = &args.functions[1];
	unit_check(r == FN_ARGS_OK && args.nfunctions == 2 && args.verbose && strcmp(f->name, "f-1_x") == 0 &&
			   strcmp(f->initrd, "/i.cpio") == 0 && f->mem == 16ULL << 20 &&
			   f->timeout_ns == 2500000000ULL && f->max == 3 && f->queue == 0 && f->warm == 0 &&
			   f->response_max == 4096,
		   "every option is parsed", "result %d err '%s'", r, err);
	unit_check(r == FN_ARGS_OK && b->kind == FN_KIND_EXEC && strcmp(b->path, "/bin/prog") == 0,
		   "exec:PROGRAM makes a host-program function", NULL);
	unit_check(r == FN_ARGS_OK && ntohs(args.listen.sin_port) == 0, "port 0 is accepted (any free port)", NULL);
}

static void test_help(void)
{
	char err[256] = "";
	unit_check(parse(err, sizeof(err), 2, "--help") == FN_ARGS_HELP && parse(err, sizeof(err), 2, "-h") == FN_ARGS_HELP,
		   "--help and -h ask for help", NULL);
}

/* Each bad command line is refused with a message naming what is wrong. */
static void test_bad(const char *what, const char *want, int argc, char *a1, char *a2, char *a3, char *a4)
{
	char err[256] = "", name[160];
	enum fn_args_result r = parse(err, sizeof(err), argc, a1, a2, a3, a4);
	snprintf(name, sizeof(name), "refuses %s", what);
	unit_check(r == FN_ARGS_ERROR && strstr(err, want) != NULL, name, "result %d err '%s' (want '%s')", r, err, want);
}

static void test_function_spec(const char *spec, const char *want)
{
	char err[256] = "", name[160];
	struct fn_function f;
	int r = fn_args_function(spec, &f, err, sizeof(err));
	snprintf(name, sizeof(name), "refuses --function %s", spec);
	unit_check(r == -1 && strstr(err, want) != NULL, name, "result %d err '%s' (want '%s')", r, err, want);
}

int main(void)
{
	test_defaults();
	test_options();
	test_help();
	test_bad("no --listen", "--listen ADDR:PORT is required", 3, "--function", "a=/x", NULL, NULL);
	test_bad("no --function", "at least one --function", 3, "--listen", "127.0.0.1:1", NULL, NULL);
	test_bad("a missing value", "needs a value", 2, "--listen", NULL, NULL, NULL);
	test_bad("an unknown argument", "unknown argument '--bogus'", 2, "--bogus", NULL, NULL, NULL);
	test_bad("a duplicate name", "given twice", 5, "--function", "a=/x", "--function", "a=/y");
	test_bad("a host name", "is not an IPv4 address", 3, "--listen", "localhost:80", "--function", "a=/x");
	test_bad("a port over 65535", "expected IPv4ADDR:PORT", 3, "--listen", "127.0.0.1:65536", NULL, NULL);
	test_bad("a listen without a port", "expected IPv4ADDR:PORT", 3, "--listen", "127.0.0.1", NULL, NULL);
	test_bad("a signed port", "expected IPv4ADDR:PORT", 3, "--listen", "127.0.0.1:-1", NULL, NULL);
	test_function_spec("noequals", "expected NAME=FILE");
	test_function_spec("=/img", "name must be 1 to");
	test_function_spec("a/b=/img", "only letters, digits");
	test_function_spec("a=", "no file after '='");
	test_function_spec("a=exec:", "no file after '='");
	test_function_spec("a=/img,mem=0", "mem=0: expected a size");
	test_function_spec("a=/img,mem=65G", "mem=65G: expected a size");
	test_function_spec("a=/img,timeout=0", "timeout=0: expected seconds");
	test_function_spec("a=/img,timeout=-1", "timeout=-1: expected seconds");
	test_function_spec("a=/img,timeout=1e3", "timeout=1e3: expected seconds");
	test_function_spec("a=/img,timeout=86401", "timeout=86401: expected seconds");
	test_function_spec("a=/img,max=0", "max=0: expected a count from 1");
	test_function_spec("a=/img,max=1025", "max=1025: expected a count from 1");
	test_function_spec("a=/img,queue=65537", "queue=65537: expected a count from 0");
	test_function_spec("a=/img,queue=1x", "queue=1x: expected a count");
	test_function_spec("a=/img,warm=65", "warm=65: expected a count from 0 to 64");
	test_function_spec("a=/img,response=2G", "response=2G: expected a size");
	test_function_spec("a=/img,colour=red", "unknown option 'colour'");
	test_function_spec("a=/img,mem", "option 'mem' is not KEY=VALUE");
	test_function_spec("a=/img,mem=", "option 'mem=' is not KEY=VALUE");
	test_function_spec("a=/img,,", "option '' is not KEY=VALUE");
	test_function_spec("a=exec:/bin/x,initrd=/i", "initrd= is for mica images");
	char long_name[80];
	memset(long_name, 'n', 64);
	strcpy(long_name + 64, "=/img");
	test_function_spec(long_name, "name must be 1 to 63");
	return unit_exit_status();
}
