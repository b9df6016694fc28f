/* The OCI runtime commands after create: start, state, kill, delete, ps, pause, resume, list, features. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "oci/commands.h"
#include "oci/config.h"
#include "oci/hooks.h"
#include "oci/log.h"
#include "oci/state.h"

/* How long start waits for the VMM to take the start signal, and delete for a killed VMM to go. */
#define OCI_WAIT_MS 10000
#define OCI_MAX_CHILDREN 64

/* Runs the poststart or poststop hooks: by then a failure can only be reported, as a warning. */
static void oci_run_late_hooks(const char *dir, const struct oci_state *st, enum oci_hook_kind k)
{
	struct oci_config cfg;
	char err[512];
	if (oci_config_load(st->bundle, &cfg, NULL, NULL, err, sizeof(err)) != 0) {
		oci_warn("%s hooks of %s not run: %s", oci_hook_kind_name(k), st->id, err);
		return;
	}
	if (oci_hooks_run(&cfg, k, dir, st, err, sizeof(err)) != 0)
		oci_warn("%s", err);
	oci_config_free(&cfg);
}

/* Loads the state of a->id into st and its directory into dir; logs and returns -1 if none. */
static int oci_load(const struct oci_args *a, char *dir, size_t dirlen, struct oci_state *st)
{
	char err[512];
	if (oci_state_dir(a->root, a->id, dir, dirlen) != 0) {
		oci_error("%s %s: --root is too long", a->cmd_name, a->id);
		return -1;
	}
	if (oci_state_load(dir, st, err, sizeof(err)) != 0) {
		if (errno == ENOENT)
			oci_error("%s %s: container does not exist", a->cmd_name, a->id);
		else
			oci_error("%s %s: %s", a->cmd_name, a->id, err);
		return -1;
	}
	return 0;
}

int oci_cmd_start(const struct oci_args *a)
{
	char dir[4096], fifo_path[4200];
	struct oci_state st;
	if (oci_load(a, dir, sizeof(dir), &st) != 0)
		return 1;
	enum oci_status s = oci_state_status(dir, &st);
	if (s != OCI_STATUS_CREATED) {
		oci_error("start %s: cannot start a container that is %s", a->id, oci_status_name(s));
		oci_state_free(&st);
		return 1;
	}
	snprintf(fifo_path, sizeof(fifo_path), "%s/%s", dir, OCI_FIFO_FILE);
	/* Non-blocking, so a VMM that died cannot leave start waiting for a writer forever. */
	int fifo = open(fifo_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int rc = 1;
	if (fifo < 0) {
		oci_error("start %s: cannot open %s: %s", a->id, fifo_path, strerror(errno));
		goto out;
	}
	for (int waited = 0; waited < OCI_WAIT_MS; waited += 50) {
		struct pollfd pfd = {.fd = fifo, .events = POLLIN};
		char byte;
		if (poll(&pfd, 1, 50) > 0 && read(fifo, &byte, 1) == 1) {
			unlink(fifo_path);
			oci_run_late_hooks(dir, &st, OCI_HOOK_POSTSTART);
			rc = 0;
			break;
		}
		if (!oci_state_alive(&st)) {
			oci_error("start %s: the container's VMM has exited", a->id);
			break;
		}
	}
	if (rc != 0 && oci_state_alive(&st))
		oci_error("start %s: the container's VMM did not take the start signal in %d s", a->id, OCI_WAIT_MS / 1000);
	close(fifo);
out:
	oci_state_free(&st);
	return rc;
}

int oci_cmd_state(const struct oci_args *a)
{
	char dir[4096];
	struct oci_state st;
	if (oci_load(a, dir, sizeof(dir), &st) != 0)
		return 1;
	char *json = oci_state_json(dir, &st, true);
	oci_state_free(&st);
	if (!json) {
		oci_error("state %s: out of memory", a->id);
		return 1;
	}
	printf("%s\n", json);
	free(json);
	return 0;
}

/* Sends sig to the VMM and, with children, to its child processes (the proc backend's guest). */
static void oci_signal(pid_t pid, int sig, bool children)
{
	pid_t kids[OCI_MAX_CHILDREN];
	int n = children ? oci_proc_children(pid, kids, OCI_MAX_CHILDREN) : 0;
	kill(pid, sig);
	for (int i = 0; i < n; i++)
		kill(kids[i], sig);
}

int oci_cmd_kill(const struct oci_args *a)
{
	char dir[4096];
	struct oci_state st;
	if (oci_load(a, dir, sizeof(dir), &st) != 0)
		return 1;
	int sig = oci_signal_parse(a->signal), rc = 0;
	if (oci_state_status(dir, &st) == OCI_STATUS_STOPPED) {
		/* The wording containerd recognises as "already gone". */
		oci_error("kill %s: container not running", a->id);
		rc = 1;
	} else {
		oci_signal(st.pid, sig, a->all);
	}
	oci_state_free(&st);
	return rc;
}

/* Waits until the VMM is gone (a zombie counts as gone); false after OCI_WAIT_MS. */
static bool oci_wait_gone(const struct oci_state *st)
{
	for (int waited = 0; waited < OCI_WAIT_MS; waited += 10) {
		if (!oci_state_alive(st))
			return true;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return !oci_state_alive(st);
}

int oci_cmd_delete(const struct oci_args *a)
{
	char dir[4096], err[512];
	struct oci_state st;
	if (oci_state_dir(a->root, a->id, dir, sizeof(dir)) != 0) {
		oci_error("delete %s: --root is too long", a->id);
		return 1;
	}
	if (oci_state_load(dir, &st, err, sizeof(err)) != 0) {
		if (a->force) {
			/* Whatever a crashed create left is removed all the same. */
			oci_state_remove(dir);
			return 0;
		}
		oci_error("delete %s: %s", a->id, errno == ENOENT ? "container does not exist" : err);
		return 1;
	}
	enum oci_status s = oci_state_status(dir, &st);
	/* A container never started has nothing to lose: runc deletes it without --force too. */
	if (s != OCI_STATUS_STOPPED && s != OCI_STATUS_CREATED && !a->force) {
		oci_error("delete %s: cannot delete a container that is %s: stop it first, or use --force", a->id,
			  oci_status_name(s));
		oci_state_free(&st);
		return 1;
	}
	if (s != OCI_STATUS_STOPPED) {
		oci_signal(st.pid, SIGKILL, true);
		if (!oci_wait_gone(&st)) {
			oci_error("delete %s: its VMM (pid %d) did not die after SIGKILL", a->id, (int)st.pid);
			oci_state_free(&st);
			return 1;
		}
	}
	oci_state_remove(dir);
	oci_run_late_hooks(dir, &st, OCI_HOOK_POSTSTOP);
	oci_state_free(&st);
	return 0;
}

int oci_cmd_ps(const struct oci_args *a)
{
	char dir[4096];
	struct oci_state st;
	if (oci_load(a, dir, sizeof(dir), &st) != 0)
		return 1;
	pid_t pids[OCI_MAX_CHILDREN + 1];
	int n = 0;
	if (oci_state_status(dir, &st) != OCI_STATUS_STOPPED) {
		pids[n++] = st.pid;
		n += oci_proc_children(st.pid, pids + 1, OCI_MAX_CHILDREN);
	}
	oci_state_free(&st);
	if (strcmp(a->format, "json") == 0) {
		fputs("[", stdout);
		for (int i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		fputs("]\n", stdout);
		return 0;
	}
	printf("%-8s %s\n", "PID", "CMD");
	for (int i = 0; i < n; i++) {
		char path[64], comm[64] = "?";
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pids[i]);
		FILE *f = fopen(path, "re");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		printf("%-8d %s\n", (int)pids[i], comm);
	}
	return 0;
}

int oci_cmd_pause(const struct oci_args *a, bool pause)
{
	char dir[4096], err[512];
	struct oci_state st;
	if (oci_load(a, dir, sizeof(dir), &st) != 0)
		return 1;
	enum oci_status s = oci_state_status(dir, &st), want = pause ? OCI_STATUS_RUNNING : OCI_STATUS_PAUSED;
	int rc = 1;
	if (s != want) {
		oci_error("%s %s: container is %s, not %s", a->cmd_name, a->id, oci_status_name(s), oci_status_name(want));
		goto out;
	}
	/* The guest too: the proc backend's guest is a process of its own. */
	oci_signal(st.pid, pause ? SIGSTOP : SIGCONT, true);
	st.paused = pause;
	if (oci_state_save(dir, &st, err, sizeof(err)) != 0) {
		oci_error("%s %s: %s", a->cmd_name, a->id, err);
		goto out;
	}
	rc = 0;
out:
	oci_state_free(&st);
	return rc;
}

static int oci_id_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

int oci_cmd_list(const struct oci_args *a)
{
	DIR *d = opendir(a->root);
	json_t *list = json_array();
	bool json = strcmp(a->format, "json") == 0;
	if (!json)
		printf("%-24s %-8s %-8s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
	char *ids[1024];
	size_t n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) && n < sizeof(ids) / sizeof(ids[0]))
		if (e->d_name[0] != '.' && (ids[n] = strdup(e->d_name)))
			n++;
	if (d)
		closedir(d);
	qsort(ids, n, sizeof(ids[0]), oci_id_cmp);
	for (size_t i = 0; i < n; i++) {
		char dir[4096], err[512];
		struct oci_state st;
		if (oci_state_dir(a->root, ids[i], dir, sizeof(dir)) == 0 && oci_state_load(dir, &st, err, sizeof(err)) == 0) {
			enum oci_status s = oci_state_status(dir, &st);
			int pid = s == OCI_STATUS_STOPPED ? 0 : (int)st.pid;
			if (json)
				json_array_append_new(list, json_pack("{s:s, s:i, s:s, s:s, s:s, s:s}", "id", st.id, "pid", pid,
								      "status", oci_status_name(s), "bundle", st.bundle,
								      "rootfs", st.rootfs, "created", st.created));
			else
				printf("%-24s %-8d %-8s %-40s %s\n", st.id, pid, oci_status_name(s), st.bundle, st.created);
			oci_state_free(&st);
		}
		free(ids[i]);
	}
	if (json) {
		char *text = json_dumps(list, JSON_COMPACT);
		printf("%s\n", text ? text : "[]");
		free(text);
	}
	json_decref(list);
	return 0;
}

int oci_cmd_features(void)
{
	/* What a Mica container honours, in the shape of `runc features`. */
	static const char features[] =
		"{\n"
		"  \"ociVersionMin\": \"1.0.0\",\n"
		"  \"ociVersionMax\": \"" OCI_VERSION "\",\n"
		"  \"hooks\": [],\n"
		"  \"mountOptions\": [],\n"
		"  \"linux\": {\n"
		"    \"namespaces\": [\"network\"],\n"
		"    \"capabilities\": [],\n"
		"    \"cgroup\": {\"v1\": false, \"v2\": false, \"systemd\": false, \"systemdUser\": false},\n"
		"    \"seccomp\": {\"enabled\": false},\n"
		"    \"apparmor\": {\"enabled\": false},\n"
		"    \"selinux\": {\"enabled\": false}\n"
		"  },\n"
		"  \"annotations\": {\n"
		"    \"org.mica.image\": \"the image's path in the root file system (default: process.args[0])\",\n"
		"    \"org.mica.backend\": \"proc, kvm or auto (default: the image's platform)\"\n"
		"  }\n"
		"}\n";
	fputs(features, stdout);
	return 0;
}
