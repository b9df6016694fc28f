/* unit-sources: runtime/oci/tar.c */
/* Tests for the tar writer: header fields and checksums, long names, and GNU tar reading it back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "oci/tar.h"
#include "unit.h"

static unsigned long octal(const uint8_t *f, size_t n)
{
	char buf[16] = {0};
	memcpy(buf, f, n);
	return strtoul(buf, NULL, 8);
}

static int checksum_ok(const uint8_t *h)
{
	unsigned long sum = 0;
	for (int i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return sum == octal(h + 148, 8);
}

/* Runs CMD and returns its whole stdout, or NULL. */
static char *run(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	if (!f)
		return NULL;
	static char out[8192];
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	return pclose(f) == 0 ? out : NULL;
}

static void build(struct tar *t, const char *longdir, const char *longest)
{
	char err[256];
	tar_add_dir(t, "www", 0755, err, sizeof(err));
	tar_add_file(t, "www/index.html", 0644, "hello\n", 6, err, sizeof(err));
	tar_add_file(t, "empty", 0755, "", 0, err, sizeof(err));
	tar_add_file(t, longdir, 0644, "split\n", 6, err, sizeof(err));
	tar_add_file(t, longest, 0644, "pax\n", 4, err, sizeof(err));
	tar_finish(t, err, sizeof(err));
}

int main(void)
{
	char longdir[200], longest[400], err[256];
	/* 120 characters with a '/' at 60: ustar's prefix/name split holds it. */
	memset(longdir, 'd', 120);
	longdir[60] = '/';
	longdir[120] = 0;
	/* 300 characters with no usable split: needs a pax path record. */
	memset(longest, 'p', 300);
	longest[0] = 'x';
	longest[1] = '/';
	longest[300] = 0;

	struct tar a = {0}, b = {0};
	build(&a, longdir, longest);
	build(&b, longdir, longest);
	unit_check(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0, "same entries give the same bytes", NULL);
	unit_check(a.len % 512 == 0, "archive is whole blocks", "length %zu", a.len);
	unit_check(a.len >= 1024 && memcmp(a.buf + a.len - 1024, (uint8_t[1024]){0}, 1024) == 0,
		   "ends with two zero blocks", NULL);

	const uint8_t *h = a.buf;
	unit_check(strcmp((const char *)h, "www/") == 0 && h[156] == '5', "directory entry ends in '/' with type 5",
		   "name '%.100s' type '%c'", h, h[156]);
	unit_check(checksum_ok(h), "directory header checksum", NULL);
	h += 512;
	unit_check(strcmp((const char *)h, "www/index.html") == 0 && h[156] == '0' && octal(h + 124, 12) == 6 &&
			   octal(h + 100, 8) == 0644 && octal(h + 136, 12) == TAR_MTIME,
		   "file header: name, type, size, mode, fixed date", NULL);
	unit_check(memcmp(h + 257, "ustar\0" "00", 8) == 0 && octal(h + 108, 8) == 0 && octal(h + 116, 8) == 0,
		   "ustar magic, root owner", NULL);
	unit_check(checksum_ok(h) && memcmp(h + 512, "hello\n", 6) == 0, "file header checksum and data", NULL);

	unit_check(tar_add_file(&b, "/etc/passwd", 0644, "x", 1, err, sizeof(err)) == -1 && strstr(err, "relative"),
		   "absolute name refused", "%s", err);
	unit_check(tar_add_dir(&b, "", 0755, err, sizeof(err)) == -1, "empty name refused", NULL);

	const char *dir = getenv("T") ? getenv("T") : "/tmp";
	char path[512], cmd[1200];
	snprintf(path, sizeof(path), "%s/test.tar", dir);
	FILE *f = fopen(path, "w");
	fwrite(a.buf, 1, a.len, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "tar -tf %s", path);
	char *list = run(cmd);
	char want[1024];
	snprintf(want, sizeof(want), "www/\nwww/index.html\nempty\n%s\n%s\n", longdir, longest);
	unit_check(list && strcmp(list, want) == 0, "GNU tar lists every name, long ones whole", "got:\n%s", list ? list : "(tar failed)");
	snprintf(cmd, sizeof(cmd), "tar -xOf %s %s", path, longest);
	char *data = run(cmd);
	unit_check(data && strcmp(data, "pax\n") == 0, "GNU tar extracts the pax-named file", NULL);
	snprintf(cmd, sizeof(cmd), "tar -tvf %s empty", path);
	data = run(cmd);
	unit_check(data && strncmp(data, "-rwxr-xr-x root/root", 20) == 0, "GNU tar sees mode and owner", "got %s", data ? data : "(tar failed)");
	tar_free(&a);
	tar_free(&b);
	return unit_exit_status();
}
