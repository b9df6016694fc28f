/* A container's state under --root/ID: state.json (written atomically), the start FIFO, liveness. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "oci/state.h"

int oci_state_dir(const char *root, const char *id, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", root, id);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int oci_write_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	int e = errno;
	if (close(fd) != 0 || done != len || rename(tmp, path) != 0) {
		e = errno ? errno : e;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

int oci_state_save(const char *dir, const struct oci_state *st, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *ann = json_loads(st->annotations ? st->annotations : "{}", 0, &jerr);
	json_t *o = json_pack("{s:s, s:i, s:I, s:s, s:s, s:s, s:o, s:b}", "id", st->id, "pid", (int)st->pid,
			      "start_time", (json_int_t)st->start_time, "bundle", st->bundle, "rootfs", st->rootfs,
			      "created", st->created, "annotations", ann ? ann : json_object(), "paused", st->paused);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	char path[4200];
	if (!text || snprintf(path, sizeof(path), "%s/%s", dir, OCI_STATE_FILE) >= (int)sizeof(path)) {
		free(text);
		snprintf(err, errlen, "cannot encode the state of container %s (a name is not UTF-8?)", st->id);
		return -1;
	}
	int rc = oci_write_atomic(path, text, strlen(text), 0600);
	free(text);
	if (rc != 0)
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	return rc;
}

static char *oci_strdup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

int oci_state_load(const char *dir, struct oci_state *st, char *err, size_t errlen)
{
	char path[4200];
	*st = (struct oci_state){0};
	snprintf(path, sizeof(path), "%s/%s", dir, OCI_STATE_FILE);
	json_error_t jerr;
	json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!o) {
		int e = access(path, F_OK) == 0 ? EINVAL : ENOENT;
		snprintf(err, errlen, "%s: %s", path, e == ENOENT ? "no such file" : jerr.text);
		errno = e;
		return -1;
	}
	json_t *pid = json_object_get(o, "pid"), *start = json_object_get(o, "start_time");
	json_t *ann = json_object_get(o, "annotations");
	if (!json_is_string(json_object_get(o, "id")) || !json_is_integer(pid) || !json_is_integer(start) ||
	    json_integer_value(pid) <= 0 || json_integer_value(pid) > 1 << 22 || !json_is_object(ann)) {
		json_decref(o);
		snprintf(err, errlen, "%s: not a state mica wrote", path);
		errno = EINVAL;
		return -1;
	}
	st->pid = (pid_t)json_integer_value(pid);
	st->start_time = (uint64_t)json_integer_value(start);
	st->id = oci_strdup_or_empty(json_string_value(json_object_get(o, "id")));
	st->bundle = oci_strdup_or_empty(json_string_value(json_object_get(o, "bundle")));
	st->rootfs = oci_strdup_or_empty(json_string_value(json_object_get(o, "rootfs")));
	st->created = oci_strdup_or_empty(json_string_value(json_object_get(o, "created")));
	st->annotations = json_dumps(ann, JSON_COMPACT);
	st->paused = json_is_true(json_object_get(o, "paused"));
	json_decref(o);
	if (!st->id || !st->bundle || !st->rootfs || !st->created || !st->annotations) {
		oci_state_free(st);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void oci_state_free(struct oci_state *st)
{
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->annotations);
	*st = (struct oci_state){0};
}

uint64_t oci_proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "pid (comm) S ppid ...": comm may hold anything, so fields count from the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	p += 2;
	/* starttime is field 22 overall, the 20th after the comm. */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return 0;
		p++;
	}
	return strtoull(p, NULL, 10);
}

bool oci_state_alive(const struct oci_state *st)
{
	uint64_t t = oci_proc_start_time(st->pid);
	return t != 0 && t == st->start_time;
}

enum oci_status oci_state_status(const char *dir, const struct oci_state *st)
{
	if (!oci_state_alive(st))
		return OCI_STATUS_STOPPED;
	if (st->paused)
		return OCI_STATUS_PAUSED;
	char fifo[4200];
	snprintf(fifo, sizeof(fifo), "%s/%s", dir, OCI_FIFO_FILE);
	return access(fifo, F_OK) == 0 ? OCI_STATUS_CREATED : OCI_STATUS_RUNNING;
}

const char *oci_status_name(enum oci_status s)
{
	static const char *const names[] = {"created", "running", "paused", "stopped"};
	return names[s];
}

char *oci_state_json(const char *dir, const struct oci_state *st, bool pretty)
{
	enum oci_status s = oci_state_status(dir, st);
	json_error_t jerr;
	json_t *ann = json_loads(st->annotations, 0, &jerr);
	/* A stopped container has no process: pid 0, as runc reports it. */
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:o}", "ociVersion", OCI_VERSION, "id",
			      st->id, "status", oci_status_name(s), "pid", s == OCI_STATUS_STOPPED ? 0 : (int)st->pid,
			      "bundle", st->bundle, "rootfs", st->rootfs, "created", st->created, "owner", "",
			      "annotations", ann ? ann : json_object());
	char *text = o ? json_dumps(o, pretty ? JSON_INDENT(2) : JSON_COMPACT) : NULL;
	json_decref(o);
	return text;
}

int oci_proc_children(pid_t pid, pid_t *out, int max)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.')
			continue;
		char file[128], buf[4096];
		snprintf(file, sizeof(file), "%s/%.32s/children", path, e->d_name);
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		for (char *p = buf, *end; n < max; p = end) {
			long v = strtol(p, &end, 10);
			if (end == p)
				break;
			if (v > 0)
				out[n++] = (pid_t)v;
		}
	}
	closedir(d);
	return n;
}

void oci_state_remove(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(dir);
}
