/* unit-sources: runtime/oci/pack.c runtime/oci/tar.c runtime/util/sha256.c runtime/image/image.c runtime/image/size.c runtime/util/log.c */
/* unit-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/* unit-libs: -ljansson */
/* Tests for `mica oci pack`'s parsing of what a user gives it: destinations, image names, and its command line's refusals. */
#include <stdio.h>
#include <string.h>
#include "oci/pack.h"
#include "unit.h"
#include "util/log.h"

static void check_dest(const char *dest, const char *want)
{
	char out[64], err[256] = "", name[160];
	int rc = oci_pack_dest(dest, out, sizeof(out), err, sizeof(err));
	if (want) {
		snprintf(name, sizeof(name), "dest '%s' is '%s'", dest, want);
		unit_check(rc == 0 && strcmp(out, want) == 0, name, "rc %d out '%s' err '%s'", rc, rc == 0 ? out : "", err);
	} else {
		snprintf(name, sizeof(name), "dest '%.100s' refused", dest);
		unit_check(rc == -1 && err[0], name, "rc %d", rc);
	}
}

static void check_name(const char *ref, int valid, const char *tag)
{
	const char *got = (const char *)1;
	char name[400];
	snprintf(name, sizeof(name), "name '%.300s' %s", ref, valid ? "valid" : "refused");
	bool ok = oci_pack_name_valid(ref, &got);
	if (valid)
		unit_check(ok && (tag ? got && strcmp(got, tag) == 0 : got == NULL), name, "ok %d tag '%s'", ok,
			   got ? got : "(none)");
	else
		unit_check(!ok, name, NULL);
}

static void check_full(const char *ref, const char *want)
{
	char out[300], name[200];
	oci_pack_full_name(ref, out, sizeof(out));
	snprintf(name, sizeof(name), "full name of '%s'", ref);
	unit_check(strcmp(out, want) == 0, name, "got '%s', want '%s'", out, want);
}

int main(void)
{
	check_dest("www", "www");
	check_dest("/a//b/", "a/b");
	check_dest("etc/app.conf", "etc/app.conf");
	check_dest("a/..b/c..", "a/..b/c..");
	check_dest("../escape", NULL);
	check_dest("a/../../b", NULL);
	check_dest("a/./b", NULL);
	check_dest("", NULL);
	check_dest("///", NULL);
	check_dest("0123456789012345678901234567890123456789/0123456789012345678901234567890123456789", NULL);

	check_name("hello", 1, NULL);
	check_name("hello:1", 1, "1");
	check_name("my/hello:v1.2-rc_3", 1, "v1.2-rc_3");
	check_name("registry.example:5000/team/app:Latest", 1, "Latest");
	check_name("localhost:5000", 1, "5000");
	check_name("a_b-c.d/e", 1, NULL);
	check_name("Hello", 0, NULL);
	check_name("hello:", 0, NULL);
	check_name("hello:.x", 0, NULL);
	check_name("hello:a b", 0, NULL);
	check_name("-a", 0, NULL);
	check_name("a-", 0, NULL);
	check_name("a//b", 0, NULL);
	check_name("a/", 0, NULL);
	check_name("/a", 0, NULL);
	check_name(":tag", 0, NULL);
	check_name("", 0, NULL);
	check_name("host:50x0/b", 0, NULL);
	check_name("a/b:c/d", 0, NULL);
	check_name("../x", 0, NULL);
	char longtag[200] = "a:";
	memset(longtag + 2, 't', 129);
	check_name(longtag, 0, NULL);
	char longname[300];
	memset(longname, 'n', 256);
	longname[256] = 0;
	check_name(longname, 0, NULL);

	check_full("hello:1", "docker.io/library/hello:1");
	check_full("my/hello:1", "docker.io/my/hello:1");
	check_full("registry.example/a:1", "registry.example/a:1");
	check_full("reg:5000/a:1", "reg:5000/a:1");
	check_full("localhost/x:1", "localhost/x:1");

	char *no_output[] = {"pack", "image", NULL};
	unit_check(oci_pack_main(2, no_output) == MICA_EXIT_FAILURE, "no -o refused", NULL);
	char *no_image[] = {"pack", "-o", "x.tar", NULL};
	unit_check(oci_pack_main(3, no_image) == MICA_EXIT_FAILURE, "no IMAGE refused", NULL);
	char *bad_option[] = {"pack", "--frobnicate", NULL};
	unit_check(oci_pack_main(2, bad_option) == MICA_EXIT_FAILURE, "unknown option refused", NULL);
	char *dangling[] = {"pack", "image", "--name", NULL};
	unit_check(oci_pack_main(3, dangling) == MICA_EXIT_FAILURE, "option without its value refused", NULL);
	char *missing[] = {"pack", "/nonexistent/image", "-o", "/nonexistent/x.tar", NULL};
	unit_check(oci_pack_main(4, missing) == MICA_EXIT_FAILURE, "missing image refused", NULL);
	return unit_exit_status();
}
