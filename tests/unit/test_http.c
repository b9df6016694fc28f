/* unit-sources: apps/httpd/http_parse.c */
/*
 * Host test of apps/httpd's request parser: well-formed heads and their framing (keep-alive,
 * bodies, pipelining, partial input), then each kind of malformed or oversized request and the
 * status it earns, then the target-to-path mapping that keeps clients inside the docroot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../apps/httpd/http_parse.h"
#include "unit.h"

#define BODY_MAX 65536

static int parse(const char *s, struct http_request *r)
{
	memset(r, 0xa5, sizeof(*r));
	return http_parse_request(s, strlen(s), BODY_MAX, r);
}

/* The status a request earns, or -1 for a complete, valid one. */
static int status_of(const char *s)
{
	struct http_request r;
	int rc = parse(s, &r);

	return rc == HTTP_PARSE_DONE ? -1 : rc;
}

static void expect_status(const char *name, const char *request, int want)
{
	int got = status_of(request);

	unit_check(got == want, name, "expected %d, got %d", want, got);
}

static void test_valid(void)
{
	static const char get[] = "GET /index.html?q=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: t\r\n\r\n";
	struct http_request r;
	int rc = parse(get, &r);

	unit_check(rc == HTTP_PARSE_DONE && r.method == HTTP_GET && r.minor == 1 && r.keep_alive &&
		   !r.has_body && r.head_len == strlen(get) && r.target_len == 15 &&
		   memcmp(r.target, "/index.html?q=1", 15) == 0,
		   "a GET parses: method, target, version, keep-alive by default, head length", "rc %d", rc);

	rc = parse("HEAD / HTTP/1.0\r\n\r\n", &r);
	unit_check(rc == HTTP_PARSE_DONE && r.method == HTTP_HEAD && r.minor == 0 && !r.keep_alive,
		   "HTTP/1.0 closes by default and needs no Host", "rc %d keep %d", rc, r.keep_alive);
	rc = parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r);
	unit_check(rc == HTTP_PARSE_DONE && r.keep_alive, "HTTP/1.0 keeps the connection when asked", NULL);
	rc = parse("GET / HTTP/1.1\r\nHost: a\r\nconnection: upgrade, CLOSE\r\n\r\n", &r);
	unit_check(rc == HTTP_PARSE_DONE && !r.keep_alive,
		   "Connection: close is found in a token list, in any case", NULL);
	rc = parse("GET / HTTP/1.3\r\nHost: a\r\n\r\n", &r);
	unit_check(rc == HTTP_PARSE_DONE && r.minor == 1, "a later HTTP/1.x is served as 1.1", NULL);
	rc = parse("\r\n\r\nGET / HTTP/1.1\nHost: a\n\n", &r);
	unit_check(rc == HTTP_PARSE_DONE && r.head_len == 4 + 24 && r.target[0] == '/',
		   "leading empty lines are skipped and bare LF line ends accepted", "rc %d", rc);
	rc = parse("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello", &r);
	unit_check(rc == HTTP_PARSE_DONE && r.method == HTTP_POST && r.has_body && r.content_length == 5,
		   "Content-Length gives the body size; an equal repeat is accepted", "rc %d", rc);
	rc = parse("DELETE / HTTP/1.1\r\nHost: a\r\n\r\n", &r);
	unit_check(rc == HTTP_PARSE_DONE && r.method == HTTP_OTHER, "an unserved method still parses (for 405)", NULL);
	rc = parse("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n", &r);
	unit_check(rc == HTTP_PARSE_DONE && r.head_len == 28 && r.target[1] == 'a',
		   "pipelined requests: the first head ends where the second starts", "head_len %zu", r.head_len);
	rc = parse("GET / HTTP/1.1\r\nX-Empty:\r\nX-Tab:\tv \t\r\nHost: a\r\n\r\n", &r);
	unit_check(rc == HTTP_PARSE_DONE, "empty header values and surrounding whitespace are fine", NULL);
}

static void test_partial(void)
{
	static const char req[] = "GET /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n";
	struct http_request r;
	size_t n, bad = 0;
	int rc, wrong = -2;

	for (n = 0; n < strlen(req); n++) {
		rc = http_parse_request(req, n, BODY_MAX, &r);
		if (rc != HTTP_PARSE_MORE && bad == 0) {
			bad = n;
			wrong = rc;
		}
	}
	unit_check(bad == 0 && wrong == -2, "every proper prefix of a valid request asks for more",
		   "prefix of %zu bytes gave %d", bad, wrong);
	expect_status("a partial version that cannot become valid is refused at once", "GET / HTTX", 400);
}

static void test_malformed(void)
{
	expect_status("a method with a non-token character is 400", "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_status("an empty method is 400", " / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_status("an empty target (two spaces) is 400", "GET  HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_status("a missing version is 400", "GET /\r\nHost: a\r\n\r\n", 400);
	expect_status("a lower-case version is 400", "GET / http/1.1\r\nHost: a\r\n\r\n", 400);
	expect_status("a version with trailing junk is 400", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400);
	expect_status("HTTP/2.0 is 505", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
	expect_status("HTTP/0.9 is 505", "GET / HTTP/0.9\r\n\r\n", 505);
	expect_status("a 1.1 request without Host is 400", "GET / HTTP/1.1\r\n\r\n", 400);
	expect_status("two Host headers are 400", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
	expect_status("an obs-fold continuation line is 400", "GET / HTTP/1.1\r\nHost: a\r\n  more\r\n\r\n", 400);
	expect_status("space before a header's colon is 400", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
	expect_status("a header line without a colon is 400", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 400);
	expect_status("a bare CR inside a line is 400", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400);
	expect_status("a control character in a value is 400", "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400);
	expect_status("a non-numeric Content-Length is 400",
		      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", 400);
	expect_status("a negative Content-Length is 400",
		      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400);
	expect_status("an empty Content-Length is 400", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400);
	expect_status("conflicting Content-Lengths are 400",
		      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400);
	expect_status("a body over the limit is 413",
		      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65537\r\n\r\n", 413);
	expect_status("a Content-Length that overflows is 413",
		      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 413);
	expect_status("Transfer-Encoding is 501", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 501);

	/* A NUL is not a token character: the parser must not treat it as the end of the input. */
	static const char nul[] = "GET / HTTP/1.1\r\nHo\0st: a\r\n\r\n";
	struct http_request r;
	int rc = http_parse_request(nul, sizeof(nul) - 1, BODY_MAX, &r);
	unit_check(rc == 400, "a NUL inside a header name is 400", "got %d", rc);
}

static void test_limits(void)
{
	size_t len = HTTP_HEADER_MAX + 100;
	char *buf = malloc(len + 1);
	struct http_request r;
	int rc;

	if (buf == NULL)
		abort();

	/* A target one byte over the limit, with the line not even finished. */
	memset(buf, 'a', len);
	memcpy(buf, "GET /", 5);
	rc = http_parse_request(buf, 5 + HTTP_TARGET_MAX, BODY_MAX, &r);
	unit_check(rc == 414, "a target longer than the limit is 414 before the line ends", "got %d", rc);
	rc = http_parse_request(buf, 4 + HTTP_TARGET_MAX, BODY_MAX, &r);
	unit_check(rc == HTTP_PARSE_MORE, "a target exactly at the limit is still acceptable", "got %d", rc);

	/* Headers that never end: 413 once the limit is reached, not before. */
	snprintf(buf, len + 1, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	memset(buf + strlen(buf), 'v', len - strlen(buf));
	rc = http_parse_request(buf, HTTP_HEADER_MAX - 1, BODY_MAX, &r);
	unit_check(rc == HTTP_PARSE_MORE, "a head under the limit may still grow", "got %d", rc);
	rc = http_parse_request(buf, len, BODY_MAX, &r);
	unit_check(rc == 413, "a head over 8 KiB is 413", "got %d", rc);

	/* A head of exactly 8192 bytes is the largest accepted. */
	snprintf(buf, len + 1, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	size_t start = strlen(buf);
	memset(buf + start, 'v', HTTP_HEADER_MAX - 4 - start);
	memcpy(buf + HTTP_HEADER_MAX - 4, "\r\n\r\n", 4);
	rc = http_parse_request(buf, HTTP_HEADER_MAX, BODY_MAX, &r);
	unit_check(rc == HTTP_PARSE_DONE && r.head_len == HTTP_HEADER_MAX, "a head of exactly 8 KiB is accepted",
		   "got %d", rc);
	memcpy(buf + HTTP_HEADER_MAX - 4, "v\r\n\r\n", 5);
	rc = http_parse_request(buf, HTTP_HEADER_MAX + 1, BODY_MAX, &r);
	unit_check(rc == 413, "a head one byte over 8 KiB is 413", "got %d", rc);
	free(buf);
}

static void expect_path(const char *target, const char *want)
{
	char out[64], name[160];
	int rc = http_target_to_path(target, strlen(target), out, sizeof(out));

	snprintf(name, sizeof(name), "target %s maps to %s", target, want != NULL ? want : "a refusal");
	if (want == NULL)
		unit_check(rc == -1, name, "got \"%s\"", out);
	else
		unit_check(rc == 0 && strcmp(out, want) == 0, name, "rc %d, \"%s\"", rc, rc == 0 ? out : "");
}

static void test_paths(void)
{
	expect_path("/", "");
	expect_path("/a/b.html?x=/../y", "a/b.html");
	expect_path("/a#frag", "a");
	expect_path("//etc/passwd", "etc/passwd");
	expect_path("/%41%62c", "Abc");
	expect_path("/a/..b/c..", "a/..b/c..");
	expect_path("/../etc/passwd", NULL);
	expect_path("/a/../../b", NULL);
	expect_path("/..", NULL);
	expect_path("/a/%2e%2E/b", NULL);
	expect_path("/%2f..%2fx", NULL);
	expect_path("/a%00b", NULL);
	expect_path("/a%4", NULL);
	expect_path("/a%zz", NULL);
	expect_path("a", NULL);
	expect_path("http://host/a", NULL);
	expect_path("/0123456789012345678901234567890123456789012345678901234567890123", NULL);
}

static void test_types(void)
{
	unit_check(strcmp(http_content_type("www/index.HTML"), "text/html; charset=utf-8") == 0 &&
		   strcmp(http_content_type("a/b.css"), "text/css") == 0 &&
		   strcmp(http_content_type("a.d/noext"), "application/octet-stream") == 0 &&
		   strcmp(http_content_type("x.bin"), "application/octet-stream") == 0,
		   "Content-Type comes from the extension of the last path element", NULL);
}

int main(void)
{
	test_valid();
	test_partial();
	test_malformed();
	test_limits();
	test_paths();
	test_types();
	return unit_exit_status();
}
