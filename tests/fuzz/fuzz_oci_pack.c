/* fuzz-sources: runtime/oci/pack.c runtime/oci/tar.c runtime/util/sha256.c runtime/image/image.c runtime/image/size.c runtime/util/log.c */
/* fuzz-cflags: -D__XEN_INTERFACE_VERSION__=0x00040e00 */
/* fuzz-libs: -ljansson */
/*
 * libFuzzer harness: `mica oci pack`'s user-given strings. The input, NUL-terminated, is a FILE
 * destination and an image name: a destination that passes must stay inside the layer's root,
 * and a name that passes must give a full name ending with it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "oci/pack.h"

static void fuzz_dest(const char *s)
{
	char out[128], err[256];
	if (oci_pack_dest(s, out, sizeof(out), err, sizeof(err)) != 0) {
		if (!memchr(err, '\0', sizeof(err)) || !err[0])
			abort();
		return;
	}
	/* Relative, single slashes, no "." or ".." component, and no longer than the buffer. */
	size_t n = strlen(out);
	if (n == 0 || n >= sizeof(out) || out[0] == '/' || out[n - 1] == '/' || strstr(out, "//"))
		abort();
	for (const char *c = out; c;) {
		const char *e = strchr(c, '/');
		size_t len = e ? (size_t)(e - c) : strlen(c);
		if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			abort();
		c = e ? e + 1 : NULL;
	}
}

static void fuzz_name(const char *s)
{
	const char *tag;
	if (!oci_pack_name_valid(s, &tag))
		return;
	if (tag && (tag <= s || tag > s + strlen(s) || tag[-1] != ':' || !tag[0]))
		abort();
	/* Upper case only in a tag, no space or slash-slash anywhere. */
	for (const char *c = s; *c && (!tag || c < tag); c++)
		if ((*c >= 'A' && *c <= 'Z') || *c == ' ')
			abort();
	if (strstr(s, "//") || s[0] == '/')
		abort();
	char full[600];
	oci_pack_full_name(s, full, sizeof(full));
	size_t n = strlen(s), f = strlen(full);
	if (f < n || strcmp(full + f - n, s) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 512)
		return 0;
	char *buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	fuzz_dest(buf);
	fuzz_name(buf);
	free(buf);
	return 0;
}
