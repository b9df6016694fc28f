/* Parsing of runc-style command lines: global options, a command, its flags in any order. */
#ifndef OCI_ARGS_H
#define OCI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

enum oci_cmd {
	OCI_CMD_NONE, OCI_CMD_CREATE, OCI_CMD_START, OCI_CMD_STATE, OCI_CMD_KILL, OCI_CMD_DELETE,
	OCI_CMD_FEATURES, OCI_CMD_PS, OCI_CMD_PAUSE, OCI_CMD_RESUME, OCI_CMD_EXEC, OCI_CMD_LIST,
	OCI_CMD_EVENTS, OCI_CMD_UPDATE, OCI_CMD_SPEC, OCI_CMD_RUN, OCI_CMD_CHECKPOINT, OCI_CMD_RESTORE,
};

enum oci_log_format { OCI_LOG_TEXT, OCI_LOG_JSON };

struct oci_args {
	/* Global options. */
	const char *root;            /* default OCI_DEFAULT_ROOT */
	const char *log;             /* NULL: errors on stderr only */
	const char *log_format_name; /* --log-format as given */
	enum oci_log_format log_format;
	bool debug;
	bool version;                /* --version / -v: print the version, no command */
	/* The command and what follows it. */
	enum oci_cmd cmd;
	const char *cmd_name;
	bool help;                   /* --help / -h: the command's help (or the global one) */
	const char *id;
	const char *bundle;          /* create: default "." */
	const char *pid_file;
	const char *console_socket;
	bool all;                    /* kill --all */
	bool force;                  /* delete --force */
	const char *signal;          /* kill: default "SIGTERM" */
	const char *format;          /* ps, list: "table" or "json" */
};

#define OCI_DEFAULT_ROOT "/run/mica"

/* Parses argv (argv[0] the program); returns 0, or -1 with a one-line message in err. */
int oci_args_parse(int argc, char **argv, struct oci_args *a, char *err, size_t errlen);

/* The command's name as runc spells it. */
const char *oci_cmd_name(enum oci_cmd cmd);

/*
 * A signal given as a number ("9", "0" for none), a name ("KILL", "SIGKILL", any case) or "SIGRTMIN+N"; returns
 * it, or -1 if it is none of those.
 */
int oci_signal_parse(const char *s);

#endif
