/* What mica takes from an OCI bundle's config.json: the guest's command line, files, memory, backend. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "oci/config.h"

struct oci_config_parser {
	void (*warn)(void *ctx, const char *msg);
	void *ctx;
	char *err;
	size_t errlen;
};

/* Messages quote the config's own text: control characters become '?' so each stays one line. */
static char *oci_config_one_line(char *msg)
{
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return msg;
}

__attribute__((format(printf, 2, 3)))
static int oci_config_fail(struct oci_config_parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	oci_config_one_line(p->err);
	return -1;
}

static void oci_config_ignored(struct oci_config_parser *p, const char *where, const char *key)
{
	if (!p->warn)
		return;
	char msg[256];
	snprintf(msg, sizeof(msg), "config.json: %s%.64s is not supported by mica: ignored", where, key);
	p->warn(p->ctx, oci_config_one_line(msg));
}

/* Reports every member of obj whose name is not in known (a NULL-terminated list). */
static void oci_config_report_unknown(struct oci_config_parser *p, json_t *obj, const char *where,
				      const char *const *known)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		bool found = false;
		for (const char *const *k = known; *k && !found; k++)
			found = strcmp(*k, key) == 0;
		/* An empty object or array, null or false asks for nothing. */
		bool asks = !json_is_null(v) && !json_is_false(v) &&
			    !(json_is_object(v) && json_object_size(v) == 0) &&
			    !(json_is_array(v) && json_array_size(v) == 0);
		if (!found && asks)
			oci_config_ignored(p, where, key);
	}
}

/* obj[key] if it is an object, NULL if absent or null; -1 (with err) if it is something else. */
static int oci_config_object(struct oci_config_parser *p, json_t *obj, const char *key, const char *where,
			     json_t **out)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return oci_config_fail(p, "config.json: %s%s must be an object", where, key);
	*out = v;
	return 0;
}

/* A copy of obj[key] if it is a string; NULL if absent; -1 if not a string. */
static int oci_config_string(struct oci_config_parser *p, json_t *obj, const char *key, const char *where,
			     char **out)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return oci_config_fail(p, "config.json: %s%s must be a string", where, key);
	*out = strdup(json_string_value(v));
	return *out ? 0 : oci_config_fail(p, "out of memory");
}

/* obj[key] as a NULL-terminated copy of an array of strings (at most max); -1 on a wrong type. */
static int oci_config_strings(struct oci_config_parser *p, json_t *obj, const char *key, const char *where,
			      int max, int extra, char ***out, int *count)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	*count = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return oci_config_fail(p, "config.json: %s%s must be an array of strings", where, key);
	size_t n = json_array_size(v);
	if (n > (size_t)max)
		return oci_config_fail(p, "config.json: %s%s has %zu entries, more than mica's limit of %d", where,
				       key, n, max);
	char **list = calloc(n + (size_t)extra + 1, sizeof(*list));
	if (!list)
		return oci_config_fail(p, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(v, i);
		/* Strings hold no NUL: json_loadb refuses "\u0000" without JSON_ALLOW_NUL. */
		const char *problem = NULL;
		if (!json_is_string(s))
			problem = "must be a string";
		else if (!(list[i] = strdup(json_string_value(s))))
			problem = "cannot be copied: out of memory";
		if (problem) {
			for (size_t j = 0; j < i; j++)
				free(list[j]);
			free(list);
			return oci_config_fail(p, "config.json: %s%s[%zu] %s", where, key, i, problem);
		}
	}
	*out = list;
	*count = (int)n;
	return 0;
}

static int oci_config_process(struct oci_config_parser *p, json_t *root, struct oci_config *cfg)
{
	static const char *const known[] = {"args", "env", "cwd", "terminal", "consoleSize", "user", NULL};
	json_t *proc;
	if (oci_config_object(p, root, "process", "", &proc) != 0)
		return -1;
	if (!proc)
		return oci_config_fail(p, "config.json: no process object: mica needs process.args to know what to run");
	if (oci_config_strings(p, proc, "args", "process.", OCI_CONFIG_MAX_ARGS, 0, &cfg->args, &cfg->nargs) != 0)
		return -1;
	if (cfg->nargs == 0 || !cfg->args[0][0])
		return oci_config_fail(p, "config.json: process.args is empty: it must name the image to run");
	if (oci_config_strings(p, proc, "env", "process.", OCI_CONFIG_MAX_ENV, 1, &cfg->env, &cfg->nenv) != 0 ||
	    oci_config_string(p, proc, "cwd", "process.", &cfg->cwd) != 0)
		return -1;
	if (!cfg->cwd && !(cfg->cwd = strdup("/")))
		return oci_config_fail(p, "out of memory");
	if (cfg->cwd[0] != '/')
		return oci_config_fail(p, "config.json: process.cwd '%.64s' is not an absolute path", cfg->cwd);
	if (!cfg->env && !(cfg->env = calloc(2, sizeof(*cfg->env))))
		return oci_config_fail(p, "out of memory");
	/* The guest starts in "/": a cwd elsewhere reaches it the way a shell would say it. */
	bool has_pwd = false;
	for (int i = 0; i < cfg->nenv; i++)
		has_pwd |= strncmp(cfg->env[i], "PWD=", 4) == 0;
	if (strcmp(cfg->cwd, "/") != 0 && !has_pwd) {
		size_t n = strlen(cfg->cwd) + 5;
		if (!(cfg->env[cfg->nenv] = malloc(n)))
			return oci_config_fail(p, "out of memory");
		snprintf(cfg->env[cfg->nenv++], n, "PWD=%s", cfg->cwd);
	}
	json_t *t = json_object_get(proc, "terminal");
	if (t && !json_is_boolean(t) && !json_is_null(t))
		return oci_config_fail(p, "config.json: process.terminal must be true or false");
	cfg->terminal = json_is_true(t);
	oci_config_report_unknown(p, proc, "process.", known);
	return 0;
}

static int oci_config_annotations(struct oci_config_parser *p, json_t *root, struct oci_config *cfg)
{
	json_t *ann;
	if (oci_config_object(p, root, "annotations", "", &ann) != 0)
		return -1;
	cfg->annotations = ann ? json_dumps(ann, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
	if (!cfg->annotations)
		return oci_config_fail(p, "out of memory");
	if (!ann)
		return 0;
	const char *key;
	json_t *v;
	json_object_foreach(ann, key, v) {
		if (!json_is_string(v))
			return oci_config_fail(p, "config.json: annotations.%.64s must be a string", key);
	}
	if (oci_config_string(p, ann, "org.mica.image", "annotations.", &cfg->image) != 0)
		return -1;
	/* containerd's CRI and CRI-O mark the pod's sandbox container so; its "pause" binary is Linux's. */
	const char *cri = json_string_value(json_object_get(ann, "io.kubernetes.cri.container-type"));
	const char *crio = json_string_value(json_object_get(ann, "io.kubernetes.cri-o.ContainerType"));
	cfg->sandbox = (cri && strcmp(cri, "sandbox") == 0) || (crio && strcmp(crio, "sandbox") == 0);
	const char *backend = json_string_value(json_object_get(ann, "org.mica.backend"));
	if (!backend || strcmp(backend, "auto") == 0)
		cfg->backend = OCI_BACKEND_AUTO;
	else if (strcmp(backend, "proc") == 0)
		cfg->backend = OCI_BACKEND_PROC;
	else if (strcmp(backend, "kvm") == 0)
		cfg->backend = OCI_BACKEND_KVM;
	else
		return oci_config_fail(p, "config.json: annotation org.mica.backend '%.32s' is not proc, kvm or auto",
				       backend);
	return 0;
}

static int oci_config_memory(struct oci_config_parser *p, json_t *linux_obj, struct oci_config *cfg)
{
	static const char *const known_res[] = {"memory", "devices", NULL};
	static const char *const known_mem[] = {"limit", "swap", "reservation", NULL};
	json_t *res, *mem;
	if (oci_config_object(p, linux_obj, "resources", "linux.", &res) != 0)
		return -1;
	if (!res)
		return 0;
	if (oci_config_object(p, res, "memory", "linux.resources.", &mem) != 0)
		return -1;
	/* devices is the engines' cgroup device list: a guest opens no host device anyway. */
	oci_config_report_unknown(p, res, "linux.resources.", known_res);
	if (!mem)
		return 0;
	oci_config_report_unknown(p, mem, "linux.resources.memory.", known_mem);
	json_t *limit = json_object_get(mem, "limit");
	if (!limit || json_is_null(limit))
		return 0;
	if (!json_is_integer(limit))
		return oci_config_fail(p, "config.json: linux.resources.memory.limit must be an integer (bytes)");
	json_int_t v = json_integer_value(limit);
	/* -1 is the spec's "unlimited"; 0 is what some engines write for "not set". */
	if (v == -1 || v == 0)
		return 0;
	if (v < 0)
		return oci_config_fail(p, "config.json: linux.resources.memory.limit %lld is negative", (long long)v);
	cfg->mem_limit = (uint64_t)v;
	return 0;
}

static int oci_config_linux(struct oci_config_parser *p, json_t *root, struct oci_config *cfg)
{
	/* Namespaces, cgroups, masked paths and the like are the engines' defaults for a process
	 * container: a guest is isolated by the VMM instead, so they are not worth a line each. */
	static const char *const known[] = {"resources", "namespaces", "cgroupsPath", "maskedPaths",
					    "readonlyPaths", "seccomp", "devices", "sysctl", "uidMappings",
					    "gidMappings", "mountLabel", NULL};
	json_t *lx;
	if (oci_config_object(p, root, "linux", "", &lx) != 0)
		return -1;
	if (!lx)
		return 0;
	if (oci_config_memory(p, lx, cfg) != 0)
		return -1;
	json_t *ns = json_object_get(lx, "namespaces");
	if (ns && !json_is_null(ns) && !json_is_array(ns))
		return oci_config_fail(p, "config.json: linux.namespaces must be an array");
	size_t i;
	json_t *e;
	json_array_foreach(ns, i, e) {
		if (!json_is_object(e) || !json_is_string(json_object_get(e, "type")))
			return oci_config_fail(p, "config.json: linux.namespaces[%zu] must be an object with a type", i);
		if (strcmp(json_string_value(json_object_get(e, "type")), "network") != 0)
			continue;
		cfg->netns = true;
		free(cfg->netns_path);
		if (oci_config_string(p, e, "path", "linux.namespaces[].", &cfg->netns_path) != 0)
			return -1;
	}
	oci_config_report_unknown(p, lx, "linux.", known);
	return 0;
}

const char *oci_hook_kind_name(enum oci_hook_kind k)
{
	static const char *const names[OCI_HOOK_KINDS] = {"prestart", "createRuntime", "poststart", "poststop"};
	return names[k];
}

static int oci_config_hooks(struct oci_config_parser *p, json_t *root, struct oci_config *cfg)
{
	/* createContainer and startContainer run inside the container's namespaces: a guest has none. */
	static const char *const known[] = {"prestart", "createRuntime", "poststart", "poststop", NULL};
	json_t *hooks;
	if (oci_config_object(p, root, "hooks", "", &hooks) != 0)
		return -1;
	if (!hooks)
		return 0;
	for (int k = 0; k < OCI_HOOK_KINDS; k++) {
		const char *name = oci_hook_kind_name(k);
		json_t *list = json_object_get(hooks, name);
		if (!list || json_is_null(list))
			continue;
		if (!json_is_array(list))
			return oci_config_fail(p, "config.json: hooks.%s must be an array", name);
		size_t n = json_array_size(list);
		if (n > OCI_CONFIG_MAX_HOOKS)
			return oci_config_fail(p, "config.json: hooks.%s has more than %d hooks", name,
					       OCI_CONFIG_MAX_HOOKS);
		if (!n)
			continue;
		if (!(cfg->hooks[k] = calloc(n, sizeof(*cfg->hooks[k]))))
			return oci_config_fail(p, "out of memory");
		for (size_t i = 0; i < n; i++) {
			json_t *h = json_array_get(list, i), *timeout;
			char where[64];
			snprintf(where, sizeof(where), "hooks.%s[%zu].", name, i);
			if (!json_is_object(h))
				return oci_config_fail(p, "config.json: hooks.%s[%zu] must be an object", name, i);
			struct oci_hook *hook = &cfg->hooks[k][i];
			cfg->nhooks[k]++;
			if (oci_config_string(p, h, "path", where, &hook->path) != 0 ||
			    oci_config_strings(p, h, "args", where, OCI_CONFIG_MAX_ARGS, 0, &hook->args, &hook->nargs) != 0 ||
			    oci_config_strings(p, h, "env", where, OCI_CONFIG_MAX_ENV, 0, &hook->env, &hook->nenv) != 0)
				return -1;
			if (!hook->path || hook->path[0] != '/')
				return oci_config_fail(p, "config.json: %spath must be an absolute path", where);
			timeout = json_object_get(h, "timeout");
			if (timeout && !json_is_null(timeout) &&
			    (!json_is_integer(timeout) || json_integer_value(timeout) <= 0 ||
			     json_integer_value(timeout) > 86400))
				return oci_config_fail(p, "config.json: %stimeout must be a number of seconds (1 to 86400)",
						       where);
			hook->timeout = timeout ? (int)json_integer_value(timeout) : 0;
		}
	}
	oci_config_report_unknown(p, hooks, "hooks.", known);
	return 0;
}

int oci_config_parse(const char *text, size_t len, struct oci_config *cfg,
		     void (*warn)(void *ctx, const char *msg), void *ctx, char *err, size_t errlen)
{
	static const char *const known[] = {"ociVersion", "process", "root", "annotations", "linux",
					    "hostname", "mounts", "hooks", NULL};
	struct oci_config_parser p = {warn, ctx, err, errlen};
	*cfg = (struct oci_config){0};
	err[0] = '\0';
	if (len > OCI_CONFIG_MAX_BYTES)
		return oci_config_fail(&p, "config.json: %zu bytes, more than mica's limit of %u", len,
				       OCI_CONFIG_MAX_BYTES);
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return oci_config_fail(&p, "config.json: line %d column %d: %.160s", jerr.line, jerr.column,
				       jerr.text);
	int rc = -1;
	json_t *rootfs;
	if (!json_is_object(root)) {
		oci_config_fail(&p, "config.json: the top level must be an object");
		goto out;
	}
	if (oci_config_process(&p, root, cfg) != 0 || oci_config_annotations(&p, root, cfg) != 0 ||
	    oci_config_linux(&p, root, cfg) != 0 || oci_config_hooks(&p, root, cfg) != 0 ||
	    oci_config_object(&p, root, "root", "", &rootfs) != 0)
		goto out;
	if (!rootfs || oci_config_string(&p, rootfs, "path", "root.", &cfg->root_path) != 0 || !cfg->root_path) {
		if (!err[0])
			oci_config_fail(&p, "config.json: no root.path: mica finds the image in the root file system");
		goto out;
	}
	if (!cfg->root_path[0]) {
		oci_config_fail(&p, "config.json: root.path is empty");
		goto out;
	}
	if (!cfg->image && !(cfg->image = strdup(cfg->args[0]))) {
		oci_config_fail(&p, "out of memory");
		goto out;
	}
	/* mounts, hostname: the engines' defaults; an initrd from root.path is what the guest gets. */
	oci_config_report_unknown(&p, root, "", known);
	rc = 0;
out:
	json_decref(root);
	if (rc != 0)
		oci_config_free(cfg);
	return rc;
}

static void oci_config_free_list(char **list, int n)
{
	if (!list)
		return;
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void oci_config_free(struct oci_config *cfg)
{
	oci_config_free_list(cfg->args, cfg->nargs);
	oci_config_free_list(cfg->env, cfg->nenv);
	free(cfg->cwd);
	free(cfg->root_path);
	free(cfg->image);
	free(cfg->netns_path);
	free(cfg->annotations);
	for (int k = 0; k < OCI_HOOK_KINDS; k++) {
		for (int i = 0; cfg->hooks[k] && i < cfg->nhooks[k]; i++) {
			free(cfg->hooks[k][i].path);
			oci_config_free_list(cfg->hooks[k][i].args, cfg->hooks[k][i].nargs);
			oci_config_free_list(cfg->hooks[k][i].env, cfg->hooks[k][i].nenv);
		}
		free(cfg->hooks[k]);
	}
	*cfg = (struct oci_config){0};
}

int oci_config_load(const char *bundle, struct oci_config *cfg, void (*warn)(void *ctx, const char *msg), void *ctx,
		    char *err, size_t errlen)
{
	char path[4200];
	*cfg = (struct oci_config){0};
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%.200s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > OCI_CONFIG_MAX_BYTES) {
		snprintf(err, errlen, "%.200s: not a regular file of at most %u bytes", path, OCI_CONFIG_MAX_BYTES);
		close(fd);
		return -1;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t n = 0;
	while (buf && n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!buf || n != (size_t)st.st_size) {
		snprintf(err, errlen, "%.200s: cannot read it", path);
		free(buf);
		return -1;
	}
	int rc = oci_config_parse(buf, n, cfg, warn, ctx, err, errlen);
	free(buf);
	return rc;
}
