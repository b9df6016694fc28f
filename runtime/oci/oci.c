/* mica as an OCI runtime: the runc-compatible command line container engines call. */
#include <stdio.h>
#include <string.h>
#include <mica/abi.h>
#include "oci/args.h"
#include "oci/commands.h"
#include "oci/log.h"
#include "oci/oci.h"
#include "oci/state.h"
#include "util/log.h"

static const char *const oci_commands[] = {"create", "start", "state", "kill", "delete", "features", "ps",
					    "pause", "resume", "exec", "list", "events", "update", "spec",
					    "checkpoint", "restore", NULL};

bool oci_is_command(int argc, char **argv)
{
	if (argc < 2)
		return false;
	if (argv[1][0] == '-')
		return strcmp(argv[1], "-h") != 0 && strcmp(argv[1], "--help") != 0;
	for (const char *const *c = oci_commands; *c; c++)
		if (strcmp(argv[1], *c) == 0)
			return true;
	return false;
}

static const char oci_usage[] =
	"Usage: mica [GLOBAL OPTIONS] COMMAND [OPTIONS] ID\n"
	"\n"
	"mica as an OCI runtime, driven by containerd, dockerd and podman as they drive runc. The\n"
	"container's root file system holds a Mica image (annotation org.mica.image, else\n"
	"process.args[0]); its other files become the guest's initrd.\n"
	"\n"
	"Global options:\n"
	"  --root DIR            where container state lives (default " OCI_DEFAULT_ROOT ")\n"
	"  --log FILE            also write errors there, for the engine to show\n"
	"  --log-format text|json  the --log lines' format (default text)\n"
	"  --debug               log warnings and debug lines too\n"
	"  --systemd-cgroup, --rootless, --criu  accepted, ignored\n"
	"  --version, -v         show the version\n"
	"\n"
	"Commands:\n"
	"  create   prepare a container: its VMM waits for start\n"
	"  start    run the guest of a created container\n"
	"  state    print a container's OCI state as JSON\n"
	"  kill     send a signal to a container (default SIGTERM)\n"
	"  delete   remove a stopped container's state\n"
	"  ps       list a container's processes\n"
	"  pause    stop a running container's guest\n"
	"  resume   continue a paused container's guest\n"
	"  list     list the containers under --root\n"
	"  features print what this runtime supports as JSON\n"
	"  exec     refused: a Mica container runs one unikernel and nothing else\n"
	"\n"
	"'mica COMMAND --help' describes each; 'mica run --help' runs an image without an engine.\n";

static const struct {
	enum oci_cmd cmd;
	const char *text;
} oci_cmd_usage[] = {
	{OCI_CMD_CREATE,
	 "Usage: mica [GLOBAL OPTIONS] create [OPTIONS] ID\n\n"
	 "Reads BUNDLE/config.json, checks the image and builds the initrd, then leaves the container's\n"
	 "process (the VMM, holding the container's stdio) waiting for 'mica start ID'.\n\n"
	 "  --bundle DIR, -b DIR   the bundle (default: the current directory)\n"
	 "  --pid-file FILE        write the VMM's pid there\n"
	 "  --console-socket SOCK  with process.terminal: send the pty's master over this unix socket\n"
	 "  --no-pivot, --no-new-keyring, --preserve-fds N, --pidfd-socket S  accepted, ignored\n"},
	{OCI_CMD_START, "Usage: mica [GLOBAL OPTIONS] start ID\n\nBoots the guest of the created container ID.\n"},
	{OCI_CMD_STATE,
	 "Usage: mica [GLOBAL OPTIONS] state ID\n\n"
	 "Prints the OCI state of ID as JSON: status created, running, paused or stopped.\n"},
	{OCI_CMD_KILL,
	 "Usage: mica [GLOBAL OPTIONS] kill [--all] ID [SIGNAL]\n\n"
	 "Sends SIGNAL (a number or a name, with or without SIG; default SIGTERM) to the container's VMM,\n"
	 "which stops the guest on SIGTERM and SIGINT. --all, -a: to the guest process as well.\n"},
	{OCI_CMD_DELETE,
	 "Usage: mica [GLOBAL OPTIONS] delete [--force] ID\n\n"
	 "Removes the state of a stopped (or never started) container.\n"
	 "  --force, -f   kill it first if it runs; succeed if it does not exist\n"},
	{OCI_CMD_PS,
	 "Usage: mica [GLOBAL OPTIONS] ps [--format table|json] ID\n\n"
	 "Lists the container's processes: the VMM and, with the proc backend, the guest.\n"},
	{OCI_CMD_PAUSE, "Usage: mica [GLOBAL OPTIONS] pause ID\n\nStops the container's VMM and guest (SIGSTOP).\n"},
	{OCI_CMD_RESUME, "Usage: mica [GLOBAL OPTIONS] resume ID\n\nContinues a paused container (SIGCONT).\n"},
	{OCI_CMD_LIST,
	 "Usage: mica [GLOBAL OPTIONS] list [--format table|json]\n\nLists the containers under --root.\n"},
	{OCI_CMD_FEATURES,
	 "Usage: mica [GLOBAL OPTIONS] features\n\nPrints what this runtime supports, as `runc features` does.\n"},
	{OCI_CMD_EXEC,
	 "Usage: mica exec ...\n\nAlways fails: a Mica container runs one unikernel, with no other process to start.\n"},
};

static int oci_help(enum oci_cmd cmd)
{
	for (size_t i = 0; i < sizeof(oci_cmd_usage) / sizeof(oci_cmd_usage[0]); i++)
		if (oci_cmd_usage[i].cmd == cmd) {
			fputs(oci_cmd_usage[i].text, stdout);
			return 0;
		}
	fputs(oci_usage, stdout);
	return 0;
}

int oci_main(int argc, char **argv)
{
	struct oci_args a;
	char err[256];
	if (oci_args_parse(argc, argv, &a, err, sizeof(err)) != 0) {
		/* --log may have been parsed before the mistake: the engine sees the error too. */
		oci_log_setup(a.log, a.log_format, a.debug);
		oci_error("%s (see mica --help)", err);
		return 1;
	}
	oci_log_setup(a.log, a.log_format, a.debug);
	if (a.cmd != OCI_CMD_NONE)
		oci_debug("%s %s, --root %s", a.cmd_name, a.id ? a.id : "", a.root);
	if (a.help)
		return oci_help(a.cmd);
	if (a.version && a.cmd == OCI_CMD_NONE) {
		printf("mica version %s\nspec: %s\nabi: Mica ABI %d\n", MICA_VERSION, OCI_VERSION, MICA_ABI_VERSION);
		return 0;
	}
	switch (a.cmd) {
	case OCI_CMD_CREATE: return oci_cmd_create(&a);
	case OCI_CMD_START: return oci_cmd_start(&a);
	case OCI_CMD_STATE: return oci_cmd_state(&a);
	case OCI_CMD_KILL: return oci_cmd_kill(&a);
	case OCI_CMD_DELETE: return oci_cmd_delete(&a);
	case OCI_CMD_PS: return oci_cmd_ps(&a);
	case OCI_CMD_PAUSE: return oci_cmd_pause(&a, true);
	case OCI_CMD_RESUME: return oci_cmd_pause(&a, false);
	case OCI_CMD_LIST: return oci_cmd_list(&a);
	case OCI_CMD_FEATURES: return oci_cmd_features();
	case OCI_CMD_EXEC:
		oci_error("exec: a Mica container runs one unikernel and nothing else: exec is not supported");
		return 1;
	default:
		oci_error("%s: not supported by mica", a.cmd_name);
		return 1;
	}
}
