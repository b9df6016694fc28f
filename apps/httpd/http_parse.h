/* The HTTP/1.x request parser of apps/httpd: pure functions over bytes a client sent, no I/O. */
#ifndef HTTPD_HTTP_PARSE_H
#define HTTPD_HTTP_PARSE_H

#include <stddef.h>

/* The request line plus headers, CRLFs included, may not exceed this (413 beyond). */
#define HTTP_HEADER_MAX 8192
/* A request target longer than this is refused with 414. */
#define HTTP_TARGET_MAX 2048

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_OTHER,  /* a well-formed method we do not serve: 405 */
};

/* A parsed request head. The target points into the caller's buffer, which must outlive it. */
struct http_request {
	enum http_method method;
	const char *target;
	size_t target_len;
	int minor;               /* HTTP/1.minor; 0 or 1 (1.x above 1 is treated as 1.1) */
	int keep_alive;          /* the connection persists after the response */
	int has_body;            /* Content-Length was given */
	size_t content_length;
	size_t head_len;         /* bytes of the request line and headers, the blank line included */
};

/* Results besides HTTP status codes. */
#define HTTP_PARSE_DONE 0
#define HTTP_PARSE_MORE 1

/*
 * Parses the request head at the start of BUF[0..LEN). Returns HTTP_PARSE_DONE with *REQ filled,
 * HTTP_PARSE_MORE when the head is incomplete but may still become valid, or the status code of
 * the error to answer with (400, 413, 414, 501 or 505); after an error the connection must close,
 * as the request's framing is unknown. A body of up to BODY_MAX bytes is allowed (413 beyond).
 */
int http_parse_request(const char *buf, size_t len, size_t body_max, struct http_request *req);

/*
 * Turns a request target into a relative file path: drops the query, decodes %XX, and refuses
 * (returns -1) a target that is not absolute, that decodes to NUL, has a ".." segment, or does not
 * fit OUT_SIZE. On success OUT holds the path without its leading slashes ("" for "/").
 */
int http_target_to_path(const char *target, size_t len, char *out, size_t out_size);

/* The Content-Type for a file name, by extension; application/octet-stream when unknown. */
const char *http_content_type(const char *path);

/* The reason phrase for a status code. */
const char *http_reason(int status);

#endif
