/* The HTTP/1.x request parser of apps/httpd: every byte is client-controlled, so every step is bounded. */
#include <string.h>
#include <strings.h>

#include "http_parse.h"

/* RFC 9110 token characters: method and header names. */
static int http_is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Header values: visible characters, obs-text, space and tab. */
static int http_is_value_char(unsigned char c)
{
	return c == ' ' || c == '\t' || (c > ' ' && c != 0x7f);
}

/* What running out of bytes means: wait for more, unless the head already has its limit. */
static int http_incomplete(size_t len)
{
	return len >= HTTP_HEADER_MAX ? 413 : HTTP_PARSE_MORE;
}

static int http_token_is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

/* The fields of a head the parser cares about, gathered while walking the headers. */
struct http_fields {
	int host_seen;
	int conn_close;
	int conn_keep_alive;
	int length_seen;
	size_t length;
};

/* Connection is a comma-separated list of tokens, compared case-insensitively. */
static void http_connection(const char *v, size_t n, struct http_fields *f)
{
	size_t i = 0, start, stop;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		start = i;
		while (i < n && v[i] != ',')
			i++;
		stop = i;
		while (stop > start && (v[stop - 1] == ' ' || v[stop - 1] == '\t'))
			stop--;
		if (http_token_is(v + start, stop - start, "close"))
			f->conn_close = 1;
		else if (http_token_is(v + start, stop - start, "keep-alive"))
			f->conn_keep_alive = 1;
	}
}

/* Content-Length: digits only; a repeat must agree, since two framings are a smuggling attempt. */
static int http_content_length(const char *v, size_t n, size_t body_max, struct http_fields *f)
{
	size_t value = 0, i;

	if (n == 0)
		return 400;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 400;
		if (value > body_max / 10 || value * 10 + (size_t)(v[i] - '0') > body_max)
			return 413;
		value = value * 10 + (size_t)(v[i] - '0');
	}
	if (f->length_seen && f->length != value)
		return 400;
	f->length_seen = 1;
	f->length = value;
	return 0;
}

static int http_header(const char *name, size_t name_len, const char *v, size_t n, size_t body_max,
		       struct http_fields *f)
{
	if (http_token_is(name, name_len, "Content-Length"))
		return http_content_length(v, n, body_max, f);
	if (http_token_is(name, name_len, "Transfer-Encoding"))
		return 501;
	if (http_token_is(name, name_len, "Connection"))
		http_connection(v, n, f);
	else if (http_token_is(name, name_len, "Host")) {
		if (f->host_seen)
			return 400;
		f->host_seen = 1;
	}
	return 0;
}

static enum http_method http_method_of(const char *m, size_t n)
{
	if (n == 3 && memcmp(m, "GET", 3) == 0)
		return HTTP_GET;
	if (n == 4 && memcmp(m, "HEAD", 4) == 0)
		return HTTP_HEAD;
	if (n == 4 && memcmp(m, "POST", 4) == 0)
		return HTTP_POST;
	return HTTP_OTHER;
}

/* "HTTP/" DIGIT "." DIGIT, possibly cut short by the end of the bytes received so far. */
static int http_version(const char **pp, const char *end, size_t len, int *major, int *minor)
{
	static const char shape[] = "HTTP/0.0";
	const char *p = *pp;
	size_t i, have = (size_t)(end - p);

	for (i = 0; i < 8 && i < have; i++) {
		if (shape[i] == '0' ? (p[i] < '0' || p[i] > '9') : p[i] != shape[i])
			return 400;
	}
	if (have < 8)
		return http_incomplete(len);
	*major = p[5] - '0';
	*minor = p[7] - '0';
	*pp = p + 8;
	return 0;
}

/* A line ends in LF, optionally preceded by CR; a CR anywhere else is malformed. */
static int http_line_end(const char **pp, const char *end, size_t len)
{
	const char *p = *pp;

	if (p < end && *p == '\r')
		p++;
	if (p == end)
		return http_incomplete(len);
	if (*p != '\n')
		return 400;
	*pp = p + 1;
	return 0;
}

int http_parse_request(const char *buf, size_t len, size_t body_max, struct http_request *req)
{
	const char *p = buf, *end = buf + (len < HTTP_HEADER_MAX ? len : HTTP_HEADER_MAX);
	const char *method, *target, *name, *value, *value_end;
	struct http_fields f = { 0 };
	int major, minor, rc;
	size_t name_len;

	/* Robustness (RFC 9112 2.2): empty lines before a request, as after a body, are skipped. */
	while (p < end && (*p == '\r' || *p == '\n')) {
		if ((rc = http_line_end(&p, end, len)) != 0)
			return rc;
	}

	method = p;
	while (p < end && http_is_tchar((unsigned char)*p))
		p++;
	if (p == end)
		return http_incomplete(len);
	if (*p != ' ' || p == method)
		return 400;
	req->method = http_method_of(method, (size_t)(p - method));
	p++;

	target = p;
	while (p < end && (unsigned char)*p > ' ' && *p != 0x7f) {
		if ((size_t)(++p - target) > HTTP_TARGET_MAX)
			return 414;
	}
	if (p == end)
		return http_incomplete(len);
	if (*p != ' ' || p == target)
		return 400;
	req->target = target;
	req->target_len = (size_t)(p - target);
	p++;

	if ((rc = http_version(&p, end, len, &major, &minor)) != 0 ||
	    (rc = http_line_end(&p, end, len)) != 0)
		return rc;
	if (major != 1)
		return 505;

	for (;;) {
		if (p == end)
			return http_incomplete(len);
		if (*p == '\r' || *p == '\n') {
			if ((rc = http_line_end(&p, end, len)) != 0)
				return rc;
			break;
		}
		name = p;
		while (p < end && http_is_tchar((unsigned char)*p))
			p++;
		if (p == end)
			return http_incomplete(len);
		/* No name (which includes obs-fold continuation lines) or space before the colon. */
		if (*p != ':' || p == name)
			return 400;
		name_len = (size_t)(p - name);
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		value = p;
		while (p < end && *p != '\r' && *p != '\n') {
			if (!http_is_value_char((unsigned char)*p))
				return 400;
			p++;
		}
		value_end = p;
		while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t'))
			value_end--;
		if ((rc = http_line_end(&p, end, len)) != 0)
			return rc;
		rc = http_header(name, name_len, value, (size_t)(value_end - value), body_max, &f);
		if (rc != 0)
			return rc;
	}

	/* RFC 9112 3.2: a 1.1 request without Host is answered with 400. */
	if (minor >= 1 && !f.host_seen)
		return 400;
	req->minor = minor > 1 ? 1 : minor;
	req->keep_alive = !f.conn_close && (minor >= 1 || f.conn_keep_alive);
	req->has_body = f.length_seen;
	req->content_length = f.length;
	req->head_len = (size_t)(p - buf);
	return HTTP_PARSE_DONE;
}

static int http_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int http_target_to_path(const char *target, size_t len, char *out, size_t out_size)
{
	size_t i = 0, n = 0, seg;
	int hi, lo;
	char c;

	if (len == 0 || target[0] != '/' || out_size == 0)
		return -1;
	while (i < len && target[i] != '?' && target[i] != '#') {
		c = target[i++];
		if (c == '%') {
			if (len - i < 2 || (hi = http_hex((unsigned char)target[i])) < 0 ||
			    (lo = http_hex((unsigned char)target[i + 1])) < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
			if (c == '\0')
				return -1;
		}
		/* Leading slashes would make the path absolute outside the docroot. */
		if (c == '/' && n == 0)
			continue;
		if (n + 1 >= out_size)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';

	/* Checked after decoding so "%2e%2e" is caught too. */
	for (seg = 0; seg < n; seg = i + 1) {
		for (i = seg; i < n && out[i] != '/'; i++)
			;
		if (i - seg == 2 && out[seg] == '.' && out[seg + 1] == '.')
			return -1;
	}
	return 0;
}

const char *http_content_type(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ "html", "text/html; charset=utf-8" },
		{ "htm", "text/html; charset=utf-8" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "css", "text/css" },
		{ "js", "text/javascript" },
		{ "json", "application/json" },
		{ "svg", "image/svg+xml" },
		{ "png", "image/png" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "gif", "image/gif" },
		{ "ico", "image/x-icon" },
		{ "wasm", "application/wasm" },
		{ "pdf", "application/pdf" },
	};
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
	size_t i;

	if (dot != NULL && (slash == NULL || dot > slash)) {
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
		}
	}
	return "application/octet-stream";
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}
