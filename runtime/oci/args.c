/* Parsing of runc-style command lines: global options, a command, its flags in any order. */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "oci/args.h"

static const char *const oci_cmd_names[] = {
	[OCI_CMD_NONE] = "", [OCI_CMD_CREATE] = "create", [OCI_CMD_START] = "start",
	[OCI_CMD_STATE] = "state", [OCI_CMD_KILL] = "kill", [OCI_CMD_DELETE] = "delete",
	[OCI_CMD_FEATURES] = "features", [OCI_CMD_PS] = "ps", [OCI_CMD_PAUSE] = "pause",
	[OCI_CMD_RESUME] = "resume", [OCI_CMD_EXEC] = "exec", [OCI_CMD_LIST] = "list",
	[OCI_CMD_EVENTS] = "events", [OCI_CMD_UPDATE] = "update", [OCI_CMD_SPEC] = "spec",
	[OCI_CMD_RUN] = "run", [OCI_CMD_CHECKPOINT] = "checkpoint", [OCI_CMD_RESTORE] = "restore",
};

const char *oci_cmd_name(enum oci_cmd cmd)
{
	return oci_cmd_names[cmd];
}

/* What a flag is, for the command it belongs to. */
enum oci_flag_kind { OCI_FLAG_BOOL, OCI_FLAG_VALUE };

struct oci_flag {
	const char *name;  /* without dashes */
	char short_name;
	enum oci_flag_kind kind;
	size_t field;      /* offset of the const char * or bool in struct oci_args; SIZE_MAX: ignored */
};

#define OCI_IGNORED ((size_t)-1)
#define OCI_FIELD(f) offsetof(struct oci_args, f)

/* runc's global options; those mica has no use for are accepted so engines can pass them. */
static const struct oci_flag oci_global_flags[] = {
	{"root", 0, OCI_FLAG_VALUE, OCI_FIELD(root)},
	{"log", 0, OCI_FLAG_VALUE, OCI_FIELD(log)},
	{"log-format", 0, OCI_FLAG_VALUE, OCI_FIELD(log_format_name)},
	{"debug", 0, OCI_FLAG_BOOL, OCI_FIELD(debug)},
	{"systemd-cgroup", 0, OCI_FLAG_BOOL, OCI_IGNORED},
	{"rootless", 0, OCI_FLAG_VALUE, OCI_IGNORED},
	{"criu", 0, OCI_FLAG_VALUE, OCI_IGNORED},
	{NULL, 0, 0, 0},
};

/* Each command's flags (runc's set; the ones a unikernel cannot honour are accepted and ignored). */
static const struct oci_flag oci_create_flags[] = {
	{"bundle", 'b', OCI_FLAG_VALUE, OCI_FIELD(bundle)},
	{"pid-file", 0, OCI_FLAG_VALUE, OCI_FIELD(pid_file)},
	{"console-socket", 0, OCI_FLAG_VALUE, OCI_FIELD(console_socket)},
	{"pidfd-socket", 0, OCI_FLAG_VALUE, OCI_IGNORED},
	{"no-pivot", 0, OCI_FLAG_BOOL, OCI_IGNORED},
	{"no-new-keyring", 0, OCI_FLAG_BOOL, OCI_IGNORED},
	{"preserve-fds", 0, OCI_FLAG_VALUE, OCI_IGNORED},
	{"notify-socket", 0, OCI_FLAG_VALUE, OCI_IGNORED},
	{NULL, 0, 0, 0},
};
static const struct oci_flag oci_kill_flags[] = {
	{"all", 'a', OCI_FLAG_BOOL, OCI_FIELD(all)},
	{NULL, 0, 0, 0},
};
static const struct oci_flag oci_delete_flags[] = {
	{"force", 'f', OCI_FLAG_BOOL, OCI_FIELD(force)},
	{NULL, 0, 0, 0},
};
static const struct oci_flag oci_format_flags[] = {
	{"format", 'f', OCI_FLAG_VALUE, OCI_FIELD(format)},
	{"quiet", 'q', OCI_FLAG_BOOL, OCI_IGNORED},
	{NULL, 0, 0, 0},
};
static const struct oci_flag oci_no_flags[] = {
	{NULL, 0, 0, 0},
};

static const struct oci_flag *oci_cmd_flags(enum oci_cmd cmd)
{
	switch (cmd) {
	case OCI_CMD_CREATE: return oci_create_flags;
	case OCI_CMD_KILL: return oci_kill_flags;
	case OCI_CMD_DELETE: return oci_delete_flags;
	case OCI_CMD_PS:
	case OCI_CMD_LIST: return oci_format_flags;
	default: return oci_no_flags;
	}
}

/*
 * Matches arg against flags as Go's flag package does: "-name", "--name", "--name=value", and
 * "-x" for a short name. Returns the flag or NULL; *inline_value is the text after '=' if any.
 */
static const struct oci_flag *oci_flag_match(const struct oci_flag *flags, const char *arg,
					     const char **inline_value)
{
	const char *name = arg + 1 + (arg[1] == '-');
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	*inline_value = eq ? eq + 1 : NULL;
	for (const struct oci_flag *f = flags; f->name; f++) {
		if (strlen(f->name) == len && strncmp(f->name, name, len) == 0)
			return f;
		if (f->short_name && arg[1] != '-' && len == 1 && name[0] == f->short_name)
			return f;
	}
	return NULL;
}

static bool oci_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0 || strcmp(arg, "-help") == 0;
}

/*
 * Applies the flag at argv[*i] (its value from "=" or the next argument). Returns 0, or -1 with
 * err set. Booleans accept "=true"/"=false" as Go's do.
 */
static int oci_flag_apply(const struct oci_flag *f, const char *inline_value, int argc, char **argv, int *i,
			  struct oci_args *a, char *err, size_t errlen)
{
	const char *arg = argv[*i];
	if (f->kind == OCI_FLAG_BOOL) {
		bool v = true;
		if (inline_value) {
			if (strcmp(inline_value, "true") == 0 || strcmp(inline_value, "1") == 0)
				v = true;
			else if (strcmp(inline_value, "false") == 0 || strcmp(inline_value, "0") == 0)
				v = false;
			else {
				snprintf(err, errlen, "%.64s: not true or false", arg);
				return -1;
			}
		}
		if (f->field != OCI_IGNORED)
			*(bool *)((char *)a + f->field) = v;
		return 0;
	}
	const char *v = inline_value;
	if (!v) {
		if (*i + 1 >= argc) {
			snprintf(err, errlen, "%.64s needs a value", arg);
			return -1;
		}
		v = argv[++*i];
	}
	if (f->field != OCI_IGNORED)
		*(const char **)((char *)a + f->field) = v;
	return 0;
}

int oci_args_parse(int argc, char **argv, struct oci_args *a, char *err, size_t errlen)
{
	*a = (struct oci_args){.root = OCI_DEFAULT_ROOT, .bundle = ".", .signal = "SIGTERM", .format = "table"};
	int i = 1;
	/* Global options, up to the command. */
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *arg = argv[i], *inl;
		if (oci_is_help(arg)) {
			a->help = true;
			continue;
		}
		if (strcmp(arg, "-v") == 0 || strcmp(arg, "--version") == 0 || strcmp(arg, "-version") == 0) {
			a->version = true;
			continue;
		}
		const struct oci_flag *f = oci_flag_match(oci_global_flags, arg, &inl);
		if (!f) {
			snprintf(err, errlen, "unknown global option %.64s", arg);
			return -1;
		}
		if (oci_flag_apply(f, inl, argc, argv, &i, a, err, errlen) != 0)
			return -1;
	}
	if (a->log_format_name && strcmp(a->log_format_name, "json") == 0) {
		a->log_format = OCI_LOG_JSON;
	} else if (a->log_format_name && strcmp(a->log_format_name, "text") != 0) {
		snprintf(err, errlen, "--log-format '%.64s' is not text or json", a->log_format_name);
		return -1;
	}
	if (i == argc) {
		if (!a->help && !a->version) {
			snprintf(err, errlen, "no command given");
			return -1;
		}
		return 0;
	}
	a->cmd_name = argv[i];
	for (enum oci_cmd c = OCI_CMD_CREATE; c <= OCI_CMD_RESTORE; c++)
		if (strcmp(argv[i], oci_cmd_names[c]) == 0)
			a->cmd = c;
	if (a->cmd == OCI_CMD_NONE) {
		snprintf(err, errlen, "unknown command '%.64s'", argv[i]);
		return -1;
	}
	/* exec and the commands mica refuses take any arguments: only the id matters for the message. */
	bool lenient = a->cmd == OCI_CMD_EXEC || a->cmd == OCI_CMD_UPDATE || a->cmd == OCI_CMD_EVENTS ||
		       a->cmd == OCI_CMD_SPEC || a->cmd == OCI_CMD_RUN || a->cmd == OCI_CMD_CHECKPOINT ||
		       a->cmd == OCI_CMD_RESTORE;
	const struct oci_flag *flags = oci_cmd_flags(a->cmd);
	const char *pos[2] = {NULL, NULL};
	int npos = 0;
	bool flags_done = false;
	for (i++; i < argc; i++) {
		const char *arg = argv[i], *inl;
		if (!flags_done && strcmp(arg, "--") == 0) {
			flags_done = true;
			continue;
		}
		if (!flags_done && arg[0] == '-' && arg[1]) {
			if (oci_is_help(arg)) {
				a->help = true;
				continue;
			}
			const struct oci_flag *f = oci_flag_match(flags, arg, &inl);
			if (!f) {
				if (lenient)
					continue;
				snprintf(err, errlen, "%s: unknown option %.64s", a->cmd_name, arg);
				return -1;
			}
			if (oci_flag_apply(f, inl, argc, argv, &i, a, err, errlen) != 0)
				return -1;
			continue;
		}
		/* Their positional arguments mix values of unknown flags with the id: none is used. */
		if (lenient)
			continue;
		if (npos == (a->cmd == OCI_CMD_KILL ? 2 : 1) || a->cmd == OCI_CMD_FEATURES ||
		    a->cmd == OCI_CMD_LIST) {
			snprintf(err, errlen, "%s: unexpected argument '%.64s'", a->cmd_name, arg);
			return -1;
		}
		pos[npos++] = arg;
	}
	if (a->help)
		return 0;
	a->id = pos[0];
	if (a->cmd == OCI_CMD_KILL && pos[1])
		a->signal = pos[1];
	bool needs_id = a->cmd != OCI_CMD_FEATURES && a->cmd != OCI_CMD_LIST && !lenient;
	if (needs_id && !a->id) {
		snprintf(err, errlen, "%s: a container id is required", a->cmd_name);
		return -1;
	}
	if (a->id && (!a->id[0] || strlen(a->id) > 1024 || strchr(a->id, '/') || strcmp(a->id, ".") == 0 ||
		      strcmp(a->id, "..") == 0)) {
		snprintf(err, errlen, "%s: invalid container id '%.64s'", a->cmd_name, a->id);
		return -1;
	}
	if ((a->cmd == OCI_CMD_PS || a->cmd == OCI_CMD_LIST) && strcmp(a->format, "table") != 0 &&
	    strcmp(a->format, "json") != 0) {
		snprintf(err, errlen, "%s: --format '%.64s' is not table or json", a->cmd_name, a->format);
		return -1;
	}
	if (a->cmd == OCI_CMD_KILL && oci_signal_parse(a->signal) < 0) {
		snprintf(err, errlen, "kill: '%.64s' is not a signal (a number, or a name such as TERM or SIGKILL)",
			 a->signal);
		return -1;
	}
	return 0;
}

static const struct {
	const char *name;
	int sig;
} oci_signals[] = {
	{"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL}, {"TRAP", SIGTRAP},
	{"ABRT", SIGABRT}, {"IOT", SIGIOT}, {"BUS", SIGBUS}, {"FPE", SIGFPE}, {"KILL", SIGKILL},
	{"USR1", SIGUSR1}, {"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
	{"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
	{"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"URG", SIGURG}, {"XCPU", SIGXCPU},
	{"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
	{"POLL", SIGPOLL}, {"PWR", SIGPWR}, {"SYS", SIGSYS},
};

/* A decimal number in [lo, hi] filling all of s; -1 otherwise. */
static int oci_small_number(const char *s, int lo, int hi)
{
	if (!*s || strlen(s) > 3)
		return -1;
	int v = 0;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v >= lo && v <= hi ? v : -1;
}

int oci_signal_parse(const char *s)
{
	/* Kernel numbering, independent of the C library's SIGRTMIN (which reserves some). */
	const int rtmin = 34, rtmax = 64;
	/* 0 checks that the container is alive, as kill(2)'s does. */
	int n = oci_small_number(s, 0, rtmax);
	if (n >= 0)
		return n;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(oci_signals) / sizeof(oci_signals[0]); i++)
		if (strcasecmp(s, oci_signals[i].name) == 0)
			return oci_signals[i].sig;
	if (strncasecmp(s, "RTMIN", 5) == 0) {
		if (!s[5])
			return rtmin;
		n = s[5] == '+' ? oci_small_number(s + 6, 1, rtmax - rtmin) : -1;
		return n > 0 ? rtmin + n : -1;
	}
	if (strncasecmp(s, "RTMAX", 5) == 0) {
		if (!s[5])
			return rtmax;
		n = s[5] == '-' ? oci_small_number(s + 6, 1, rtmax - rtmin) : -1;
		return n > 0 ? rtmax - n : -1;
	}
	return -1;
}
