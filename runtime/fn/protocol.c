/* The instance protocol: the request the gateway writes to an instance's stdin, and the parser of what it writes back. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fn/protocol.h"

int fn_buf_append(struct fn_buf *b, const void *data, size_t len)
{
	if (len > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap - b->len < len) {
			if (cap > SIZE_MAX / 2)
				return -1;
			cap *= 2;
		}
		char *grown = realloc(b->data, cap);
		if (!grown)
			return -1;
		b->data = grown;
		b->cap = cap;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

void fn_buf_free(struct fn_buf *b)
{
	free(b->data);
	*b = (struct fn_buf){0};
}

static int fn_buf_str(struct fn_buf *b, const char *s)
{
	return fn_buf_append(b, s, strlen(s));
}

/* Appends s with bytes outside '!'..'~' as %XX: a target never breaks the request line. */
static int fn_buf_target(struct fn_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= '!' && *p <= '~') {
			if (fn_buf_append(b, p, 1) != 0)
				return -1;
		} else {
			char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			if (fn_buf_append(b, esc, 3) != 0)
				return -1;
		}
	}
	return 0;
}

int fn_request_start(struct fn_buf *b, const char *method, const char *path, const char *query)
{
	if (fn_buf_target(b, method) || fn_buf_str(b, " ") || fn_buf_target(b, path))
		return -1;
	if (query && (fn_buf_str(b, "?") || fn_buf_target(b, query)))
		return -1;
	return fn_buf_str(b, "\n");
}

/* RFC 9110 token characters: what a header name may be made of. */
static bool fn_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

int fn_request_header(struct fn_buf *b, const char *name, const char *value)
{
	if (!*name || strcasecmp(name, "content-length") == 0 || strcasecmp(name, "transfer-encoding") == 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (!fn_tchar(*p))
			return 0;
	if (strpbrk(value, "\r\n"))
		return 0;
	size_t start = b->len;
	if (fn_buf_str(b, name) || fn_buf_str(b, ": ") || fn_buf_str(b, value) || fn_buf_str(b, "\n")) {
		b->len = start;
		return -1;
	}
	for (size_t i = start; b->data[i] != ':'; i++)
		if (b->data[i] >= 'A' && b->data[i] <= 'Z')
			b->data[i] = (char)(b->data[i] + ('a' - 'A'));
	return 0;
}

int fn_request_finish(struct fn_buf *b, const void *body, size_t len)
{
	char line[48];
	snprintf(line, sizeof(line), "content-length: %zu\n\n", len);
	if (fn_buf_str(b, line) || fn_buf_append(b, body, len))
		return -1;
	return 0;
}

/* The end of the head: the index of the body's first byte, or 0 if no blank line ends the head. */
static size_t fn_head_end(const char *out, size_t len, size_t *head_len)
{
	for (size_t i = 0; i < len; i++) {
		if (out[i] != '\n')
			continue;
		/* A line ends here; the head ends if the line was empty ("\n" or "\r\n"). */
		size_t start = i;
		while (start > 0 && out[start - 1] != '\n')
			start--;
		size_t line_len = i - start;
		if (line_len == 0 || (line_len == 1 && out[start] == '\r')) {
			*head_len = start;
			return i + 1;
		}
	}
	return 0;
}

static bool fn_gateway_header(const char *name)
{
	return strcasecmp(name, "content-length") == 0 || strcasecmp(name, "transfer-encoding") == 0 ||
	       strcasecmp(name, "connection") == 0;
}

int fn_response_parse(const char *out, size_t len, struct fn_response *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
	size_t head_len = 0;
	size_t body_at = fn_head_end(out, len < FN_RESPONSE_MAX_HEAD + 2 ? len : FN_RESPONSE_MAX_HEAD + 2, &head_len);
	if (body_at == 0) {
		if (len == 0)
			snprintf(err, errlen, "the function wrote nothing");
		else if (len > FN_RESPONSE_MAX_HEAD)
			snprintf(err, errlen, "the response's headers are longer than %d bytes or lack the blank line "
				 "that ends them", FN_RESPONSE_MAX_HEAD);
		else
			snprintf(err, errlen, "the response has no blank line after its headers");
		return -1;
	}
	r->body = out + body_at;
	r->body_len = len - body_at;
	r->storage = malloc(head_len + 1);
	if (!r->storage) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(r->storage, out, head_len);
	r->storage[head_len] = '\0';

	bool have_status = false;
	char *line = r->storage, *end = r->storage + head_len;
	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		char *next = nl ? nl + 1 : end;
		char *eol = nl ? nl : end;
		if (eol > line && eol[-1] == '\r')
			eol--;
		*eol = '\0';
		char *colon = line;
		while (colon < eol && fn_tchar((unsigned char)*colon))
			colon++;
		if (colon == line || colon == eol || *colon != ':') {
			snprintf(err, errlen, "a response header line is not 'Name: value'");
			goto bad;
		}
		*colon = '\0';
		char *value = colon + 1;
		while (*value == ' ' || *value == '\t')
			value++;
		char *vend = eol;
		while (vend > value && (vend[-1] == ' ' || vend[-1] == '\t'))
			*--vend = '\0';
		for (const unsigned char *p = (const unsigned char *)value; p < (const unsigned char *)vend; p++) {
			if ((*p < ' ' && *p != '\t') || *p == 0x7f) {
				snprintf(err, errlen, "response header '%s' has a control character in its value", line);
				goto bad;
			}
		}
		if (strcasecmp(line, "status") == 0) {
			if (have_status) {
				snprintf(err, errlen, "the response has two Status lines");
				goto bad;
			}
			have_status = true;
			if (!(value[0] >= '2' && value[0] <= '5' && value[1] >= '0' && value[1] <= '9' &&
			      value[2] >= '0' && value[2] <= '9' && (value[3] == '\0' || value[3] == ' '))) {
				snprintf(err, errlen, "the response's Status is not a code from 200 to 599");
				goto bad;
			}
			r->status = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
		} else if (!fn_gateway_header(line)) {
			if (r->nheaders == FN_RESPONSE_MAX_HEADERS) {
				snprintf(err, errlen, "the response has more than %d headers", FN_RESPONSE_MAX_HEADERS);
				goto bad;
			}
			r->headers[r->nheaders++] = (struct fn_header){line, value};
		}
		line = next;
	}
	return 0;
bad:
	fn_response_free(r);
	return -1;
}

void fn_response_free(struct fn_response *r)
{
	free(r->storage);
	r->storage = NULL;
	r->nheaders = 0;
}
