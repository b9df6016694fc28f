/* fuzz-sources: runtime/fn/protocol.c */
/* fuzz-cflags: -D_GNU_SOURCE */
/* libFuzzer harness: arbitrary instance output through fn_response_parse, and arbitrary targets through the request framing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fn/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the gateway hands to libmicrohttpd must be sendable: tokens and values without line breaks. */
static void check_response(const char *out, size_t size)
{
	struct fn_response r;
	char err[256];
	if (fn_response_parse(out, size, &r, err, sizeof(err)) != 0) {
		if (r.storage || !memchr(err, '\0', sizeof(err)))
			abort();
		return;
	}
	if (r.status < 200 || r.status > 599 || r.nheaders < 0 || r.nheaders > FN_RESPONSE_MAX_HEADERS)
		abort();
	if (r.body < out || r.body + r.body_len != out + size)
		abort();
	for (int i = 0; i < r.nheaders; i++) {
		const char *n = r.headers[i].name, *v = r.headers[i].value;
		if (!*n || strpbrk(n, " \t\r\n:") || strpbrk(v, "\r\n"))
			abort();
	}
	fn_response_free(&r);
}

/* The request line stays one line whatever the path, query and headers hold. */
static void check_request(const char *s, size_t size)
{
	struct fn_buf b = {0};
	char *str = malloc(size + 1);
	if (!str)
		return;
	memcpy(str, s, size);
	str[size] = '\0';
	char *mid = str + strlen(str) / 2;
	if (fn_request_start(&b, "GET", str, mid) == 0 && fn_request_header(&b, str, mid) == 0 &&
	    fn_request_finish(&b, s, size) == 0) {
		char *nl = memchr(b.data, '\n', b.len);
		if (!nl || memchr(b.data, ' ', (size_t)(nl - b.data)) != b.data + 3 || memchr(b.data, '\0', (size_t)(nl - b.data)))
			abort();
		/* Headers end at the first blank line, which must come right before the body. */
		char *end = memmem(b.data, b.len, "\n\n", 2);
		if (!end || (size_t)(b.data + b.len - (end + 2)) != size)
			abort();
	}
	fn_buf_free(&b);
	free(str);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_response((const char *)data, size);
	check_request((const char *)data, size);
	return 0;
}
