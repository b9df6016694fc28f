/* fuzz-sources: apps/httpd/http_parse.c */
/*
 * libFuzzer harness: apps/httpd's request parser on hostile bytes, copied to an exact-size buffer
 * so any over-read is caught. A parsed head must lie inside the input and within the limits, parse
 * the same from its own bytes alone (no dependence on what follows), and its target must map to a
 * path without a ".." segment or a leading slash, or be refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../apps/httpd/http_parse.h"

static void fuzz_check_path(const struct http_request *r)
{
	char out[HTTP_TARGET_MAX + 1];
	size_t i, seg, n;

	if (http_target_to_path(r->target, r->target_len, out, sizeof(out)) != 0)
		return;
	n = strlen(out);
	if (n > r->target_len || (n > 0 && out[0] == '/'))
		abort();
	for (seg = 0; seg <= n; seg = i + 1) {
		for (i = seg; i < n && out[i] != '/'; i++)
			;
		if (i - seg == 2 && out[seg] == '.' && out[seg + 1] == '.')
			abort();
	}
	if (http_content_type(out) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request r, again;
	size_t body_max = size > 0 ? data[0] * 64u : 0;
	char *buf = malloc(size > 0 ? size : 1);
	int rc;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	rc = http_parse_request(buf, size, body_max, &r);
	if (rc == HTTP_PARSE_DONE) {
		if (r.head_len > size || r.head_len > HTTP_HEADER_MAX || r.target < buf ||
		    r.target + r.target_len > buf + r.head_len || r.target_len == 0 ||
		    r.target_len > HTTP_TARGET_MAX || (r.has_body && r.content_length > body_max) ||
		    r.method > HTTP_OTHER || r.minor < 0 || r.minor > 1)
			abort();
		if (http_parse_request(buf, r.head_len, body_max, &again) != HTTP_PARSE_DONE ||
		    again.head_len != r.head_len || again.keep_alive != r.keep_alive)
			abort();
		fuzz_check_path(&r);
	} else if (rc != HTTP_PARSE_MORE && rc != 400 && rc != 413 && rc != 414 && rc != 501 && rc != 505) {
		abort();
	} else if (rc == HTTP_PARSE_MORE && size >= HTTP_HEADER_MAX) {
		abort();
	}
	free(buf);
	return 0;
}
