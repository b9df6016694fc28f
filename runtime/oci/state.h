/* A container's state under --root/ID: state.json (written atomically), the start FIFO, liveness. */
#ifndef OCI_STATE_H
#define OCI_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define OCI_VERSION "1.0.2"
#define OCI_STATE_FILE "state.json"
#define OCI_FIFO_FILE "exec.fifo"   /* exists from create until start, as runc's */
#define OCI_EXIT_FILE "exit"        /* the VMM's exit status, written as it ends */

struct oci_state {
	char *id;
	pid_t pid;                  /* the VMM */
	uint64_t start_time;        /* its /proc start time: a reused pid has another one */
	char *bundle;               /* absolute */
	char *rootfs;               /* absolute */
	char *created;              /* RFC 3339 */
	char *annotations;          /* compact JSON object */
	bool paused;
};

enum oci_status { OCI_STATUS_CREATED, OCI_STATUS_RUNNING, OCI_STATUS_PAUSED, OCI_STATUS_STOPPED };

/* root/id into buf; -1 if it does not fit. */
int oci_state_dir(const char *root, const char *id, char *buf, size_t len);

/* Writes dir/state.json through a temporary file and rename(2); -1 with err. */
int oci_state_save(const char *dir, const struct oci_state *st, char *err, size_t errlen);

/* Reads dir/state.json; -1 with err (errno ENOENT if there is none). */
int oci_state_load(const char *dir, struct oci_state *st, char *err, size_t errlen);

void oci_state_free(struct oci_state *st);

/* The start time (clock ticks since boot) of a live, non-zombie process pid, 0 if there is none. */
uint64_t oci_proc_start_time(pid_t pid);

/* Whether the container's VMM is still the process it recorded. */
bool oci_state_alive(const struct oci_state *st);

enum oci_status oci_state_status(const char *dir, const struct oci_state *st);
const char *oci_status_name(enum oci_status s);

/* The state as `runc state` prints it (OCI state JSON plus runc's extra fields), malloc'ed; one line unless pretty. */
char *oci_state_json(const char *dir, const struct oci_state *st, bool pretty);

/* Up to max children of pid (from /proc/PID/task/TID/children); their count. */
int oci_proc_children(pid_t pid, pid_t *out, int max);

/* Removes the state directory dir and whatever is in it (files only: mica makes no subdirectories). */
void oci_state_remove(const char *dir);

/* Writes len bytes to path through a temporary file in the same directory and rename(2). */
int oci_write_atomic(const char *path, const char *data, size_t len, mode_t mode);

#endif
