/* unit-sources: runtime/oci/args.c */
/* Unit tests of the OCI runtime's command line: runc's global options, commands and flags in any order. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "oci/args.h"
#include "unit.h"

/* Parses a command line given as one string of space-separated words. */
static int parse(const char *line, struct oci_args *a, char *err, size_t errlen)
{
	static char buf[1024];
	static char *argv[64];
	int argc = 0;
	snprintf(buf, sizeof(buf), "mica %s", line);
	for (char *save, *w = strtok_r(buf, " ", &save); w && argc < 63; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	return oci_args_parse(argc, argv, a, err, errlen);
}

static void test_ok(const char *line, const char *what, bool ok)
{
	char name[200];
	snprintf(name, sizeof(name), "'%s': %s", line, what);
	unit_check(ok, name, NULL);
}

static void test_engine_lines(void)
{
	struct oci_args a;
	char err[256];
	const char *l = "--root /run/containerd/runc/default --log /tmp/l.json --log-format json create --bundle /b "
			"--pid-file /p --no-pivot c1";
	int r = parse(l, &a, err, sizeof(err));
	test_ok("containerd create", "parses", r == 0 && a.cmd == OCI_CMD_CREATE);
	test_ok("containerd create", "takes every value",
		r == 0 && strcmp(a.root, "/run/containerd/runc/default") == 0 && strcmp(a.log, "/tmp/l.json") == 0 &&
			a.log_format == OCI_LOG_JSON && strcmp(a.bundle, "/b") == 0 && strcmp(a.pid_file, "/p") == 0 &&
			strcmp(a.id, "c1") == 0 && !a.console_socket);

	r = parse("--systemd-cgroup --debug create c2 --console-socket /s -b=/x --no-new-keyring", &a, err, sizeof(err));
	test_ok("flags after the id", "parse", r == 0 && strcmp(a.id, "c2") == 0 && strcmp(a.bundle, "/x") == 0 &&
						   strcmp(a.console_socket, "/s") == 0 && a.debug);

	r = parse("-root=/r state c3", &a, err, sizeof(err));
	test_ok("Go single-dash -root=", "parses", r == 0 && strcmp(a.root, "/r") == 0 && a.cmd == OCI_CMD_STATE);

	r = parse("state c3", &a, err, sizeof(err));
	test_ok("no --root", "defaults to /run/mica", r == 0 && strcmp(a.root, OCI_DEFAULT_ROOT) == 0 &&
							     a.log == NULL && a.log_format == OCI_LOG_TEXT);
	r = parse("create c3", &a, err, sizeof(err));
	test_ok("create without --bundle", "uses the current directory", r == 0 && strcmp(a.bundle, ".") == 0);
}

static void test_kill(void)
{
	struct oci_args a;
	char err[256];
	int r = parse("kill c1", &a, err, sizeof(err));
	test_ok("kill c1", "defaults to SIGTERM", r == 0 && oci_signal_parse(a.signal) == SIGTERM && !a.all);
	r = parse("kill --all c1 9", &a, err, sizeof(err));
	test_ok("kill --all c1 9", "parses", r == 0 && a.all && oci_signal_parse(a.signal) == SIGKILL);
	r = parse("kill c1 KILL -a", &a, err, sizeof(err));
	test_ok("kill c1 KILL -a", "parses", r == 0 && a.all && oci_signal_parse(a.signal) == SIGKILL);
	r = parse("kill c1 SIGBOGUS", &a, err, sizeof(err));
	test_ok("kill c1 SIGBOGUS", "is refused", r == -1 && strstr(err, "not a signal"));
	r = parse("kill c1 9 9", &a, err, sizeof(err));
	test_ok("kill c1 9 9", "is refused", r == -1 && strstr(err, "unexpected argument"));
}

static void test_signals(void)
{
	static const struct {
		const char *s;
		int sig;
	} cases[] = {
		{"9", 9}, {"15", 15}, {"64", 64}, {"TERM", SIGTERM}, {"SIGTERM", SIGTERM}, {"sigkill", SIGKILL},
		{"hup", SIGHUP}, {"SIGRTMIN", 34}, {"RTMIN+3", 37}, {"SIGRTMAX-1", 63}, {"SIGRTMAX", 64},
		{"0", 0}, {"65", -1}, {"-9", -1}, {"", -1}, {"SIG", -1}, {"KILLER", -1}, {"RTMIN+", -1},
		{"RTMIN+31", -1}, {"9x", -1}, {"00009", -1}, {"RTMAX-99999999999", -1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[96];
		int got = oci_signal_parse(cases[i].s);
		snprintf(name, sizeof(name), "signal '%s' is %d", cases[i].s, cases[i].sig);
		unit_check(got == cases[i].sig, name, "got %d", got);
	}
}

static void test_other_commands(void)
{
	struct oci_args a;
	char err[256];
	int r = parse("delete --force c1", &a, err, sizeof(err));
	test_ok("delete --force c1", "parses", r == 0 && a.force && a.cmd == OCI_CMD_DELETE);
	r = parse("delete c1 -f", &a, err, sizeof(err));
	test_ok("delete c1 -f", "parses", r == 0 && a.force);
	r = parse("ps --format json c1", &a, err, sizeof(err));
	test_ok("ps --format json c1", "parses", r == 0 && strcmp(a.format, "json") == 0);
	r = parse("ps -f xml c1", &a, err, sizeof(err));
	test_ok("ps -f xml c1", "is refused", r == -1 && strstr(err, "xml"));
	r = parse("features", &a, err, sizeof(err));
	test_ok("features", "needs no id", r == 0 && a.cmd == OCI_CMD_FEATURES && !a.id);
	r = parse("exec --tty --process /p.json c1", &a, err, sizeof(err));
	test_ok("exec with runc's flags", "parses so it can be refused clearly", r == 0 && a.cmd == OCI_CMD_EXEC);
	r = parse("--version", &a, err, sizeof(err));
	test_ok("--version", "parses", r == 0 && a.version && a.cmd == OCI_CMD_NONE);
	r = parse("kill --help", &a, err, sizeof(err));
	test_ok("kill --help", "asks for kill's help", r == 0 && a.help && a.cmd == OCI_CMD_KILL);
	r = parse("pause c1", &a, err, sizeof(err));
	test_ok("pause c1", "parses", r == 0 && a.cmd == OCI_CMD_PAUSE);
}

static void test_errors(void)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
		{"", "no command"},
		{"--root", "needs a value"},
		{"--bogus state c1", "unknown global option"},
		{"frobnicate c1", "unknown command"},
		{"start", "container id is required"},
		{"start c1 c2", "unexpected argument"},
		{"create --bundle", "needs a value"},
		{"create --what c1", "unknown option"},
		{"state ../etc", "invalid container id"},
		{"state a/b", "invalid container id"},
		{"state ..", "invalid container id"},
		{"--log-format xml state c1", "not text or json"},
		{"--debug=maybe state c1", "not true or false"},
		{"features extra", "unexpected argument"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct oci_args a;
		char err[256] = "", name[128];
		int r = parse(cases[i].line, &a, err, sizeof(err));
		snprintf(name, sizeof(name), "'%s' is refused with '%s'", cases[i].line, cases[i].want);
		unit_check(r == -1 && strstr(err, cases[i].want) && !strchr(err, '\n'), name, "returned %d, '%s'", r, err);
	}
}

int main(void)
{
	test_engine_lines();
	test_kill();
	test_signals();
	test_other_commands();
	test_errors();
	return unit_exit_status();
}
