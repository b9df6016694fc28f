/* What mica takes from an OCI bundle's config.json: the guest's command line, files, memory, backend. */
#ifndef OCI_CONFIG_H
#define OCI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum oci_backend { OCI_BACKEND_AUTO, OCI_BACKEND_PROC, OCI_BACKEND_KVM };

/* config.json is small: anything larger is refused before parsing. */
#define OCI_CONFIG_MAX_BYTES (4u << 20)
#define OCI_CONFIG_MAX_ARGS 1024
#define OCI_CONFIG_MAX_ENV 1024

/* One OCI hook: a host program run with the container's state on its stdin. */
struct oci_hook {
	char *path;
	int nargs;                /* args (args[0] is the program's name), NULL-terminated */
	char **args;
	int nenv;                 /* env, NULL-terminated */
	char **env;
	int timeout;              /* seconds, 0 for none */
};

/* The hooks mica runs, all in the runtime's namespaces (the guest has no namespaces to run any in). */
enum oci_hook_kind { OCI_HOOK_PRESTART, OCI_HOOK_CREATE_RUNTIME, OCI_HOOK_POSTSTART, OCI_HOOK_POSTSTOP,
		     OCI_HOOK_KINDS };

#define OCI_CONFIG_MAX_HOOKS 64

/* The kind's name as config.json spells it ("prestart", ...). */
const char *oci_hook_kind_name(enum oci_hook_kind k);

struct oci_config {
	int nargs;                /* process.args: at least one */
	char **args;
	int nenv;                 /* process.env, plus PWD=<cwd> when cwd is not "/" and PWD is unset */
	char **env;
	char *cwd;                /* process.cwd, "/" if absent */
	bool terminal;            /* process.terminal */
	char *root_path;          /* root.path as written (relative to the bundle or absolute) */
	char *image;              /* annotation org.mica.image, else process.args[0] */
	enum oci_backend backend; /* annotation org.mica.backend */
	uint64_t mem_limit;       /* linux.resources.memory.limit in bytes, 0 if none or unlimited */
	bool netns;               /* linux.namespaces has a network entry (else: the host's network) */
	char *netns_path;         /* that entry's path, NULL for a new namespace */
	char *annotations;        /* the annotations object as compact JSON, "{}" if none */
	bool sandbox;             /* a Kubernetes pod sandbox (CRI's "pause" container): no guest */
	int nhooks[OCI_HOOK_KINDS];
	struct oci_hook *hooks[OCI_HOOK_KINDS];
};

/*
 * Parses config.json's text (len bytes, not necessarily NUL-terminated). Fields mica cannot honour
 * are ignored, each reported once through warn (may be NULL) as "config.json: <field> ...".
 * Returns 0, or -1 with a one-line message in err and nothing allocated.
 */
int oci_config_parse(const char *text, size_t len, struct oci_config *cfg,
		     void (*warn)(void *ctx, const char *msg), void *ctx, char *err, size_t errlen);

/* Reads BUNDLE/config.json and parses it as oci_config_parse does. */
int oci_config_load(const char *bundle, struct oci_config *cfg, void (*warn)(void *ctx, const char *msg), void *ctx,
		    char *err, size_t errlen);

void oci_config_free(struct oci_config *cfg);

#endif
