/* mica's command line: dispatches to run, inspect, version and help. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include "cli/run_args.h"
#include "fn/serve.h"
#include "image/image.h"
#include "image/inspect.h"
#include "oci/oci.h"
#include "oci/pack.h"
#include "util/log.h"
#include "vm/guest.h"
#include "vm/run.h"

static const char main_usage[] =
	"Usage: mica COMMAND [ARGS...]\n"
	"\n"
	"Runs Mica unikernel images.\n"
	"\n"
	"Commands:\n"
	"  run [OPTIONS] IMAGE [--] [ARGS...]  boot IMAGE and wait until it ends\n"
	"  inspect IMAGE                       show what IMAGE is built for and needs\n"
	"  serve [OPTIONS]                     an HTTP gateway: a fresh guest per request\n"
	"  oci pack IMAGE [FILES...] -o TAR    an OCI image of IMAGE for docker, ctr, podman\n"
	"  create, start, state, kill, delete, ps, pause, resume, features\n"
	"                                      the OCI runtime commands container engines\n"
	"                                      call, as runc's (see docs/kubernetes.md)\n"
	"  version                             show the version of mica and its ABI\n"
	"  help [COMMAND]                      show this help, or a command's\n"
	"\n"
	"'mica run --help' lists run's options (--net gives the guest a NIC on a host TAP,\n"
	"--disk a disk on a host file) and exit statuses.\n";

static const char inspect_usage[] = "Usage: mica inspect IMAGE\n\nShows the platform, ABI, devices and memory layout of IMAGE.\n";

static int main_inspect(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(inspect_usage, stdout);
		return 0;
	}
	if (argc != 2) {
		log_error("inspect takes one IMAGE (see mica inspect --help)");
		return MICA_EXIT_FAILURE;
	}
	const char *path = argv[1];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		log_error("%s: cannot read an image there", path);
		if (fd >= 0)
			close(fd);
		return MICA_EXIT_FAILURE;
	}
	void *file = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (file == MAP_FAILED) {
		log_error("%s: cannot map it", path);
		return MICA_EXIT_FAILURE;
	}
	struct image img;
	char err[256];
	int rc = 0;
	if (image_parse(file, (size_t)st.st_size, &img, err, sizeof(err)) != 0) {
		log_error("%s: %s", path, err);
		rc = MICA_EXIT_FAILURE;
	} else {
		image_print(stdout, path, &img, (uint64_t)st.st_size);
	}
	munmap(file, (size_t)st.st_size);
	return rc;
}

static int main_run(int argc, char **argv, uint64_t start_tsc, uint64_t start_ns)
{
	struct run_config cfg = {.start_ns = start_ns, .start_tsc = start_tsc};
	char err[256];
	switch (run_args_parse(argc, argv, &cfg, err, sizeof(err))) {
	case RUN_ARGS_HELP:
		fputs(run_args_usage, stdout);
		return 0;
	case RUN_ARGS_ERROR:
		log_error("run: %s (see mica run --help)", err);
		return MICA_EXIT_FAILURE;
	default:
		return run_image(&cfg);
	}
}

int main(int argc, char **argv)
{
	uint64_t start_tsc = __rdtsc(), start_ns = guest_now_ns();

	if (argc < 2) {
		fputs(main_usage, stderr);
		return MICA_EXIT_FAILURE;
	}
	const char *cmd = argv[1];
	if (oci_is_command(argc, argv))
		return oci_main(argc, argv);
	if (strcmp(cmd, "serve") == 0)
		return serve_main(argc - 1, argv + 1);
	if (strcmp(cmd, "oci") == 0 && argc > 2 && strcmp(argv[2], "pack") == 0)
		return oci_pack_main(argc - 2, argv + 2);
	if (strcmp(cmd, "run") == 0)
		return main_run(argc - 1, argv + 1, start_tsc, start_ns);
	if (strcmp(cmd, "inspect") == 0)
		return main_inspect(argc - 1, argv + 1);
	if (strcmp(cmd, "version") == 0) {
		printf("mica %s (Mica ABI %d, Xen interface 4.17 subset)\n", MICA_VERSION, MICA_ABI_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		if (argc > 2 && strcmp(argv[2], "run") == 0)
			fputs(run_args_usage, stdout);
		else if (argc > 2 && strcmp(argv[2], "inspect") == 0)
			fputs(inspect_usage, stdout);
		else
			fputs(main_usage, stdout);
		return 0;
	}
	log_error("unknown command '%s' (see mica --help)", cmd);
	return MICA_EXIT_FAILURE;
}
