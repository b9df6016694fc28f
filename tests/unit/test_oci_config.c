/* unit-sources: runtime/oci/config.c */
/* Unit tests of config.json parsing for the OCI runtime: what mica takes, and hostile configs refused in one line. */
/* unit-libs: -ljansson */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/config.h"
#include "unit.h"

static int warnings;
static char last_warning[256];

static void count_warning(void *ctx, const char *msg)
{
	(void)ctx;
	warnings++;
	snprintf(last_warning, sizeof(last_warning), "%s", msg);
}

static int parse(const char *text, struct oci_config *cfg, char *err, size_t errlen)
{
	warnings = 0;
	last_warning[0] = '\0';
	return oci_config_parse(text, strlen(text), cfg, count_warning, NULL, err, errlen);
}

static void test_docker_like_config(void)
{
	const char *text =
		"{\"ociVersion\":\"1.0.2\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"/hello\",\"a b\",\"c\"],"
		"\"env\":[\"PATH=/\",\"HOSTNAME=x\"],\"cwd\":\"/srv\",\"terminal\":true,\"capabilities\":{\"bounding\":"
		"[\"CAP_KILL\"]},\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],\"noNewPrivileges\":true},"
		"\"root\":{\"path\":\"rootfs\"},\"hostname\":\"x\",\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\"}],"
		"\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],\"memory\":{\"limit\":268435456}},"
		"\"cgroupsPath\":\"/docker/abc\",\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":"
		"\"/var/run/netns/x\"}],\"maskedPaths\":[\"/proc/kcore\"],\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\"}},"
		"\"annotations\":{\"org.mica.backend\":\"proc\",\"z\":\"1\"}}";
	struct oci_config cfg;
	char err[256];
	int r = parse(text, &cfg, err, sizeof(err));
	unit_check(r == 0, "a docker-like config parses", "%s", err);
	if (r != 0)
		return;
	unit_check(cfg.nargs == 3 && strcmp(cfg.args[1], "a b") == 0 && cfg.args[3] == NULL, "args are copied whole",
		   NULL);
	unit_check(cfg.nenv == 3 && strcmp(cfg.env[2], "PWD=/srv") == 0 && cfg.env[3] == NULL,
		   "env gets PWD from a cwd other than /", "nenv %d", cfg.nenv);
	unit_check(strcmp(cfg.image, "/hello") == 0, "the image is process.args[0] without the annotation", NULL);
	unit_check(cfg.terminal, "process.terminal is read", NULL);
	unit_check(cfg.mem_limit == 268435456, "the memory limit is read", NULL);
	unit_check(cfg.backend == OCI_BACKEND_PROC, "annotation org.mica.backend is read", NULL);
	unit_check(cfg.netns_path && strcmp(cfg.netns_path, "/var/run/netns/x") == 0, "the network namespace path is read",
		   NULL);
	unit_check(strcmp(cfg.annotations, "{\"org.mica.backend\":\"proc\",\"z\":\"1\"}") == 0,
		   "annotations are kept as JSON", "%s", cfg.annotations);
	unit_check(warnings == 3, "capabilities, rlimits and noNewPrivileges are logged as ignored, once each",
		   "%d warnings, the last '%s'", warnings, last_warning);
	oci_config_free(&cfg);
}

static void test_annotations(void)
{
	struct oci_config cfg;
	char err[256];
	int r = parse("{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"/abs\"},\"annotations\":{\"org.mica.image\":"
		      "\"/boot/app\",\"org.mica.backend\":\"kvm\"}}",
		      &cfg, err, sizeof(err));
	unit_check(r == 0 && strcmp(cfg.image, "/boot/app") == 0 && cfg.backend == OCI_BACKEND_KVM &&
			   strcmp(cfg.root_path, "/abs") == 0 && strcmp(cfg.cwd, "/") == 0 && cfg.nenv == 0 &&
			   cfg.mem_limit == 0 && !cfg.netns_path && warnings == 0,
		   "annotation org.mica.image names the image", "%s", err);
	if (r == 0)
		oci_config_free(&cfg);
	r = parse("{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":{\"memory\":"
		  "{\"limit\":-1}},\"namespaces\":[{\"type\":\"network\"}]}}",
		  &cfg, err, sizeof(err));
	unit_check(r == 0 && cfg.mem_limit == 0 && !cfg.netns_path, "limit -1 is no limit; a new netns has no path",
		   "%s", err);
	if (r == 0)
		oci_config_free(&cfg);
}

/* Each malformed config is refused with a one-line message naming what is wrong. */
static void test_malformed(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"", "config.json: line"},
		{"[]", "top level must be an object"},
		{"{\"process\":{\"args\":[\"x\"]}", "config.json: line"},
		{"{}", "no process object"},
		{"{\"process\":[]}", "process must be an object"},
		{"{\"process\":{}}", "process.args is empty"},
		{"{\"process\":{\"args\":[]},\"root\":{\"path\":\"r\"}}", "process.args is empty"},
		{"{\"process\":{\"args\":[\"\"]},\"root\":{\"path\":\"r\"}}", "process.args is empty"},
		{"{\"process\":{\"args\":\"x\"}}", "process.args must be an array of strings"},
		{"{\"process\":{\"args\":[\"x\",7]}}", "process.args[1] must be a string"},
		{"{\"process\":{\"args\":[\"x\\u0000y\"]}}", "without JSON_ALLOW_NUL"},
		{"{\"process\":{\"args\":[\"x\"],\"env\":{}}}", "process.env must be an array of strings"},
		{"{\"process\":{\"args\":[\"x\"],\"cwd\":3}}", "process.cwd must be a string"},
		{"{\"process\":{\"args\":[\"x\"],\"cwd\":\"rel\"}}", "not an absolute path"},
		{"{\"process\":{\"args\":[\"x\"],\"terminal\":\"yes\"}}", "process.terminal must be true or false"},
		{"{\"process\":{\"args\":[\"x\"]}}", "no root.path"},
		{"{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":5}}", "root.path must be a string"},
		{"{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"\"}}", "root.path is empty"},
		{"{\"process\":{\"args\":[\"x\"]},\"root\":\"r\"}", "root must be an object"},
		{"{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"annotations\":[]}", "annotations must be an object"},
		{"{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"annotations\":{\"a\":1}}", "annotations.a must be a string"},
		{"{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"annotations\":{\"org.mica.backend\":\"xen\"}}",
		 "org.mica.backend 'xen' is not proc, kvm or auto"},
		{"{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"linux\":[]}", "linux must be an object"},
		{"{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}}",
		 "memory.limit must be an integer"},
		{"{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":{\"memory\":{\"limit\":1e9}}}}",
		 "memory.limit must be an integer"},
		{"{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":{\"memory\":{\"limit\":-5}}}}",
		 "is negative"},
		{"{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":{\"memory\":"
		 "{\"limit\":99999999999999999999999}}}}",
		 "config.json: line"},
		{"{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":{}}}",
		 "linux.namespaces must be an array"},
		{"{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[3]}}",
		 "linux.namespaces[0] must be an object with a type"},
		{"{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"network\","
		 "\"path\":[]}]}}",
		 "path must be a string"},
		{"{\"process\":{\"args\":[\"x\"]},\"process\":{\"args\":[\"y\"]}}", "duplicate"},
		{"{\"process\":{\"args\":[\"\xff\xfe\"]}}", "config.json: line"},
		{"{\"process\":{\"args\":[\"\xc0\xaf\"]}}", "config.json: line"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct oci_config cfg;
		char err[256] = "", name[200];
		int r = parse(cases[i].text, &cfg, err, sizeof(err));
		snprintf(name, sizeof(name), "malformed config %zu is refused with '%s'", i, cases[i].want);
		unit_check(r == -1 && strstr(err, cases[i].want) && !strchr(err, '\n') && cfg.args == NULL, name,
			   "returned %d, '%s'", r, err);
		if (r == 0)
			oci_config_free(&cfg);
	}
}

/* Nesting far deeper than any config, and lists longer than mica takes, fail cleanly. */
static void test_huge(void)
{
	size_t depth = 100000, n = 0;
	char *text = malloc(depth * 2 + 64);
	n += (size_t)sprintf(text, "{\"process\":");
	for (size_t i = 0; i < depth; i++)
		text[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		text[n++] = ']';
	text[n++] = '}';
	text[n] = '\0';
	struct oci_config cfg;
	char err[256] = "";
	int r = parse(text, &cfg, err, sizeof(err));
	unit_check(r == -1 && strstr(err, "config.json: line"), "nesting 100000 deep is refused", "'%s'", err);
	free(text);

	size_t count = OCI_CONFIG_MAX_ARGS + 1;
	text = malloc(count * 4 + 128);
	n = (size_t)sprintf(text, "{\"process\":{\"args\":[");
	for (size_t i = 0; i < count; i++)
		n += (size_t)sprintf(text + n, "%s\"a\"", i ? "," : "");
	sprintf(text + n, "]},\"root\":{\"path\":\"r\"}}");
	r = parse(text, &cfg, err, sizeof(err));
	unit_check(r == -1 && strstr(err, "more than mica's limit"), "more args than the limit are refused", "'%s'", err);
	free(text);

	r = oci_config_parse("{}", OCI_CONFIG_MAX_BYTES + 1, &cfg, NULL, NULL, err, sizeof(err));
	unit_check(r == -1 && strstr(err, "limit"), "a config over the size limit is refused unread", "'%s'", err);
}

int main(void)
{
	test_docker_like_config();
	test_annotations();
	test_malformed();
	test_huge();
	return unit_exit_status();
}
