/* unit-sources: runtime/fn/protocol.c */
/* unit-cflags: -D_GNU_SOURCE */
/* Unit tests of the gateway's instance protocol: request framing, and the hostile-input parser of responses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn/protocol.h"
#include "unit.h"

static void test_request(void)
{
	struct fn_buf b = {0};
	int rc = fn_request_start(&b, "POST", "/echo/a b\n", "x=1&y");
	rc |= fn_request_header(&b, "X-Mixed-Case", "Value: with colon");
	rc |= fn_request_header(&b, "Content-Length", "999");
	rc |= fn_request_header(&b, "Transfer-Encoding", "chunked");
	rc |= fn_request_header(&b, "bad name", "v");
	rc |= fn_request_header(&b, "x-split", "a\r\nx-injected: 1");
	rc |= fn_request_finish(&b, "a\0\nb", 4);
	static const char want[] = "POST /echo/a%20b%0A?x=1&y\n"
				   "x-mixed-case: Value: with colon\n"
				   "content-length: 4\n\n"
				   "a\0\nb";
	unit_check(rc == 0 && b.len == sizeof(want) - 1 && memcmp(b.data, want, b.len) == 0,
		   "a request is framed: target escaped, names lower-cased, unframeable headers dropped",
		   "got %zu bytes: '%.*s'", b.len, (int)b.len, b.data);
	fn_buf_free(&b);

	rc = fn_request_start(&b, "GET", "/f", NULL) | fn_request_finish(&b, NULL, 0);
	unit_check(rc == 0 && b.len == strlen("GET /f\ncontent-length: 0\n\n") &&
			   memcmp(b.data, "GET /f\ncontent-length: 0\n\n", b.len) == 0,
		   "a request without query or body", NULL);
	fn_buf_free(&b);
}

static void test_response_ok(void)
{
	static const char out[] = "Status: 201 Created\r\nContent-Type: text/plain\r\nX-A:\tspaced  \r\n"
				  "Content-Length: 12\r\nConnection: close\r\n\r\nbody\n\n\0tail";
	struct fn_response r;
	char err[256] = "";
	int rc = fn_response_parse(out, sizeof(out) - 1, &r, err, sizeof(err));
	unit_check(rc == 0 && r.status == 201 && r.nheaders == 2 && strcmp(r.headers[0].name, "Content-Type") == 0 &&
			   strcmp(r.headers[0].value, "text/plain") == 0 && strcmp(r.headers[1].name, "X-A") == 0 &&
			   strcmp(r.headers[1].value, "spaced") == 0 && r.body_len == 11 &&
			   memcmp(r.body, "body\n\n\0tail", 11) == 0,
		   "a CRLF response with status, headers and a binary body; gateway headers dropped", "rc %d err '%s'",
		   rc, err);
	if (rc == 0)
		fn_response_free(&r);

	rc = fn_response_parse("\nonly body", 10, &r, err, sizeof(err));
	unit_check(rc == 0 && r.status == 200 && r.nheaders == 0 && r.body_len == 9, "no headers: status 200",
		   "rc %d err '%s'", rc, err);
	if (rc == 0)
		fn_response_free(&r);

	rc = fn_response_parse("status: 404\n\n", 13, &r, err, sizeof(err));
	unit_check(rc == 0 && r.status == 404 && r.body_len == 0, "status is case-insensitive; empty body",
		   "rc %d err '%s'", rc, err);
	if (rc == 0)
		fn_response_free(&r);

	char *many = malloc(FN_RESPONSE_MAX_HEAD);
	size_t n = 0;
	for (int i = 0; i < FN_RESPONSE_MAX_HEADERS; i++)
		n += (size_t)sprintf(many + n, "H%d: v\n", i);
	many[n++] = '\n';
	rc = fn_response_parse(many, n, &r, err, sizeof(err));
	unit_check(rc == 0 && r.nheaders == FN_RESPONSE_MAX_HEADERS, "exactly the most headers allowed",
		   "rc %d err '%s'", rc, err);
	if (rc == 0)
		fn_response_free(&r);
	free(many);
}

static void test_response_bad(const char *what, const char *out, size_t len, const char *want)
{
	struct fn_response r;
	char err[256] = "", name[160];
	int rc = fn_response_parse(out, len, &r, err, sizeof(err));
	snprintf(name, sizeof(name), "refuses %s", what);
	unit_check(rc == -1 && strstr(err, want) != NULL && r.storage == NULL, name, "rc %d err '%s' (want '%s')", rc,
		   err, want);
	if (rc == 0)
		fn_response_free(&r);
}

#define BAD(what, lit, want) test_response_bad(what, lit, sizeof(lit) - 1, want)

int main(void)
{
	test_request();
	test_response_ok();
	BAD("empty output", "", "wrote nothing");
	BAD("headers without the blank line", "Status: 200\nX: y\n", "no blank line");
	BAD("a body without headers or blank line", "hello world", "no blank line");
	BAD("a line without a colon", "Status: 200\nnot a header\n\n", "not 'Name: value'");
	BAD("an empty name", ": v\n\n", "not 'Name: value'");
	BAD("a space in a name", "X Y: v\n\n", "not 'Name: value'");
	BAD("a NUL in a name", "X\0Y: v\n\n", "not 'Name: value'");
	BAD("a control character in a value", "X: a\033b\n\n", "control character");
	BAD("a NUL in a value", "X: a\0b\n\n", "control character");
	BAD("a bare CR inside a value", "X: a\rb\n\n", "control character");
	BAD("two statuses", "Status: 200\nStatus: 500\n\n", "two Status");
	BAD("a status below 200", "Status: 101\n\n", "not a code from 200 to 599");
	BAD("a status above 599", "Status: 600\n\n", "not a code from 200 to 599");
	BAD("a two-digit status", "Status: 20\n\n", "not a code");
	BAD("a four-digit status", "Status: 2000\n\n", "not a code");
	BAD("a non-numeric status", "Status: abc\n\n", "not a code");
	BAD("an empty status", "Status:\n\n", "not a code");

	char *big = malloc(FN_RESPONSE_MAX_HEAD + 64);
	memset(big, 'a', FN_RESPONSE_MAX_HEAD + 64);
	memcpy(big, "X: ", 3);
	memcpy(big + FN_RESPONSE_MAX_HEAD + 60, "\n\nb", 3);
	test_response_bad("a head over the limit", big, FN_RESPONSE_MAX_HEAD + 63, "longer than");
	free(big);

	char *many = malloc(FN_RESPONSE_MAX_HEAD);
	size_t n = 0;
	for (int i = 0; i <= FN_RESPONSE_MAX_HEADERS; i++)
		n += (size_t)sprintf(many + n, "H%d: v\n", i);
	many[n++] = '\n';
	test_response_bad("too many headers", many, n, "more than 64 headers");
	free(many);
	return unit_exit_status();
}
