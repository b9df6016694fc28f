/* The instance protocol: the request the gateway writes to an instance's stdin, and the parser of what it writes back. */
#ifndef FN_PROTOCOL_H
#define FN_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

/* A growing byte buffer; data is NULL until the first append. */
struct fn_buf {
	char *data;
	size_t len, cap;
};

/* Appends; -1 when out of memory (the buffer is left as it was). */
int fn_buf_append(struct fn_buf *b, const void *data, size_t len);
void fn_buf_free(struct fn_buf *b);

/*
 * Request framing: "METHOD TARGET\n", then "name: value\n" per header, a blank line, the body.
 * fn_request_start writes the request line: TARGET is path, then '?' and query when query is not
 * NULL, with every byte outside '!'..'~' percent-encoded so the line stays one line.
 */
int fn_request_start(struct fn_buf *b, const char *method, const char *path, const char *query);

/*
 * One header: the name lower-cased. A header the line framing cannot carry (a name that is not an
 * HTTP token, a value with CR, LF or NUL) is dropped, as are content-length and transfer-encoding,
 * which the gateway replaces. Returns -1 only when out of memory.
 */
int fn_request_header(struct fn_buf *b, const char *name, const char *value);

/* Writes "content-length: N", the blank line and the body. */
int fn_request_finish(struct fn_buf *b, const void *body, size_t len);

#define FN_RESPONSE_MAX_HEAD 16384
#define FN_RESPONSE_MAX_HEADERS 64

struct fn_header {
	const char *name, *value;   /* NUL-terminated copies in the response's own storage */
};

/* A parsed response: pointers into storage the parser allocated (fn_response_free). */
struct fn_response {
	int status;
	int nheaders;
	struct fn_header headers[FN_RESPONSE_MAX_HEADERS];
	const char *body;           /* into the output given to the parser */
	size_t body_len;
	char *storage;
};

/*
 * Parses an instance's output: optional "Status: NNN[ reason]" (200 to 599: the gateway sends no
 * 1xx) and "Name: value" lines (LF or CRLF), a blank line, then the body to the end. Returns 0,
 * or -1 with err saying what is wrong (a reason for a 502). Content-Length, Transfer-Encoding and Connection are the gateway's: they are dropped.
 */
int fn_response_parse(const char *out, size_t len, struct fn_response *r, char *err, size_t errlen);
void fn_response_free(struct fn_response *r);

#endif
