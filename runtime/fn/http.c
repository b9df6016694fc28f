/* The HTTP side of the gateway: libmicrohttpd's daemon, routing /NAME to a function, and the mapping of outcomes to statuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include "fn/http.h"
#include "util/log.h"

/*
 * A thread per connection: a request's thread simply blocks while its instance runs. Log lines go
 * out with dprintf, one write each, so lines of concurrent requests and instances never interleave.
 */
#define FN_HTTP_IDLE_TIMEOUT_S 60

struct fn_request {
	struct fn_pool *pool;
	struct fn_buf body;
	bool too_big;
	uint64_t start_ns;
};

static uint64_t fn_http_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* /NAME or /NAME/...: the function's pool, or NULL. */
static struct fn_pool *fn_http_route(struct fn_server *s, const char *url)
{
	if (url[0] != '/')
		return NULL;
	const char *name = url + 1;
	size_t len = strcspn(name, "/");
	for (int i = 0; i < s->npools; i++) {
		const char *fname = s->pools[i].fn->name;
		if (strlen(fname) == len && memcmp(fname, name, len) == 0)
			return &s->pools[i];
	}
	return NULL;
}

static enum MHD_Result fn_http_reply(struct MHD_Connection *c, unsigned int status, const char *text)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
								    MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
	enum MHD_Result r = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* Keeps URLs and query arguments as the client wrote them: the instance gets them raw. */
static size_t fn_http_no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

struct fn_http_query {
	struct fn_buf buf;
	bool failed;
};

static enum MHD_Result fn_http_query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct fn_http_query *q = cls;
	(void)kind;
	if ((q->buf.len && fn_buf_append(&q->buf, "&", 1)) || fn_buf_append(&q->buf, key, strlen(key)) ||
	    (value && (fn_buf_append(&q->buf, "=", 1) || fn_buf_append(&q->buf, value, strlen(value)))))
		q->failed = true;
	return q->failed ? MHD_NO : MHD_YES;
}

static enum MHD_Result fn_http_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	return fn_request_header(cls, key, value ? value : "") == 0 ? MHD_YES : MHD_NO;
}

/* The framed request for the instance; -1 when out of memory. */
static int fn_http_frame(struct MHD_Connection *c, const char *url, const char *method, struct fn_request *r,
			 struct fn_buf *req)
{
	struct fn_http_query q = {0};
	int nargs = MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, fn_http_query_arg, &q);
	if (q.failed || (nargs > 0 && fn_buf_append(&q.buf, "", 1))) {
		fn_buf_free(&q.buf);
		return -1;
	}
	int rc = fn_request_start(req, method, url, nargs > 0 ? q.buf.data : NULL);
	fn_buf_free(&q.buf);
	if (rc != 0)
		return -1;
	MHD_get_connection_values(c, MHD_HEADER_KIND, fn_http_header, req);
	return fn_request_finish(req, r->body.data, r->body.len);
}

/* The instance's response, or a 502 saying why it is not one. */
static unsigned int fn_http_respond(struct MHD_Connection *c, const char *name, struct fn_run *run,
				    enum MHD_Result *result)
{
	struct fn_response parsed;
	char err[256], text[512];
	if (fn_response_parse(run->out.data ? run->out.data : "", run->out.len, &parsed, err, sizeof(err)) != 0) {
		snprintf(text, sizeof(text), "function %s wrote a malformed response: %s\n", name, err);
		*result = fn_http_reply(c, MHD_HTTP_BAD_GATEWAY, text);
		return MHD_HTTP_BAD_GATEWAY;
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(parsed.body_len, (void *)parsed.body,
								    MHD_RESPMEM_MUST_COPY);
	if (!resp) {
		fn_response_free(&parsed);
		*result = MHD_NO;
		return 0;
	}
	for (int i = 0; i < parsed.nheaders; i++) {
		if (MHD_add_response_header(resp, parsed.headers[i].name, parsed.headers[i].value) != MHD_YES) {
			MHD_destroy_response(resp);
			snprintf(text, sizeof(text), "function %s wrote a header the gateway cannot send: %.64s\n",
				 name, parsed.headers[i].name);
			fn_response_free(&parsed);
			*result = fn_http_reply(c, MHD_HTTP_BAD_GATEWAY, text);
			return MHD_HTTP_BAD_GATEWAY;
		}
	}
	unsigned int status = (unsigned int)parsed.status;
	fn_response_free(&parsed);
	*result = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return status;
}

/* Runs the request's instance and answers with what it wrote or with the gateway's verdict. */
static enum MHD_Result fn_http_run(struct fn_server *s, struct MHD_Connection *c, const char *url,
				   const char *method, struct fn_request *r)
{
	const struct fn_function *fn = r->pool->fn;
	struct fn_buf req = {0};
	struct fn_run run;
	char text[512];
	unsigned int status;
	enum MHD_Result result = MHD_NO;

	if (fn_http_frame(c, url, method, r, &req) != 0) {
		fn_buf_free(&req);
		return fn_http_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the gateway is out of memory\n");
	}
	fn_instance_run(r->pool, req.data, req.len, &run);
	fn_buf_free(&req);
	switch (run.outcome) {
	case FN_OK:
		status = fn_http_respond(c, fn->name, &run, &result);
		break;
	case FN_FAILED:
		status = MHD_HTTP_BAD_GATEWAY;
		if (run.status > 128 && run.status < 128 + 65)
			snprintf(text, sizeof(text), "function %s failed: killed by signal %d\n", fn->name, run.status - 128);
		else
			snprintf(text, sizeof(text), "function %s failed: exit status %d%s\n", fn->name, run.status,
				 run.status == 123 ? " (the guest crashed)" : run.status == 122 ?
				 " (a forbidden host call)" : run.status == 125 ? " (mica could not start it)" : "");
		break;
	case FN_TOO_BIG:
		status = MHD_HTTP_BAD_GATEWAY;
		snprintf(text, sizeof(text), "function %s wrote more than its response limit of %llu bytes: stopped\n",
			 fn->name, (unsigned long long)fn->response_max);
		break;
	case FN_TIMEOUT:
		status = MHD_HTTP_GATEWAY_TIMEOUT;
		snprintf(text, sizeof(text), "function %s ran longer than its timeout of %.3g s: stopped\n", fn->name,
			 (double)fn->timeout_ns / 1e9);
		break;
	case FN_BUSY:
		status = MHD_HTTP_SERVICE_UNAVAILABLE;
		snprintf(text, sizeof(text), "function %s is busy: %u instances running and %u requests queued\n",
			 fn->name, fn->max, fn->queue);
		break;
	case FN_STOPPING:
		status = MHD_HTTP_SERVICE_UNAVAILABLE;
		snprintf(text, sizeof(text), "the gateway is shutting down\n");
		break;
	default:
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		snprintf(text, sizeof(text), "the gateway could not run function %s\n", fn->name);
		break;
	}
	if (run.outcome != FN_OK)
		result = fn_http_reply(c, status, text);
	if (s->verbose) {
		/* The verdict's text without its newline, or the instance's own exit. */
		const char *why = run.outcome == FN_OK ? "exit 0\n" : text;
		char restore[96] = "", uses[48] = "";
		if (run.uses > 1)
			snprintf(uses, sizeof(uses), ", recycled: run %u of its process", run.uses);
		if (run.restore_ns)
			snprintf(restore, sizeof(restore), " (restore to ready %.1f us%s%s)", (double)run.restore_ns / 1e3,
				 run.parked ? ", parked" : "", uses);
		dprintf(STDERR_FILENO, "mica serve: %s %s -> %u in %.3f ms%s: %.*s\n", method, url, status,
			(double)(fn_http_now_ns() - r->start_ns) / 1e6, restore, (int)strcspn(why, "\n"), why);
	}
	fn_buf_free(&run.out);
	return result;
}

static enum MHD_Result fn_http_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				      const char *version, const char *upload, size_t *upload_size, void **ctx)
{
	struct fn_server *s = cls;
	struct fn_request *r = *ctx;
	(void)version;

	if (!r) {
		struct fn_pool *pool = fn_http_route(s, url);
		if (!pool) {
			if (s->verbose)
				dprintf(STDERR_FILENO, "mica serve: %s %s -> 404\n", method, url);
			return fn_http_reply(c, MHD_HTTP_NOT_FOUND, "no function at this path\n");
		}
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->pool = pool;
		r->start_ns = fn_http_now_ns();
		*ctx = r;
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->body.len + *upload_size > FN_MAX_REQUEST_BODY)
			r->too_big = true;
		else if (!r->too_big && fn_buf_append(&r->body, upload, *upload_size) != 0)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->too_big)
		return fn_http_reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body over 1 MiB\n");
	return fn_http_run(s, c, url, method, r);
}

static void fn_http_completed(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode why)
{
	struct fn_request *r = *ctx;
	(void)cls;
	(void)c;
	(void)why;
	if (r) {
		fn_buf_free(&r->body);
		free(r);
		*ctx = NULL;
	}
}

int fn_http_start(struct fn_server *s, int listen_fd)
{
	s->daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL,
				     0, NULL, NULL, fn_http_access, s,
				     MHD_OPTION_LISTEN_SOCKET, listen_fd,
				     MHD_OPTION_UNESCAPE_CALLBACK, fn_http_no_unescape, NULL,
				     MHD_OPTION_NOTIFY_COMPLETED, fn_http_completed, NULL,
				     MHD_OPTION_THREAD_STACK_SIZE, (size_t)FN_THREAD_STACK,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)FN_HTTP_IDLE_TIMEOUT_S,
				     MHD_OPTION_END);
	if (!s->daemon) {
		log_error("serve: cannot start the HTTP server (libmicrohttpd refused its options)");
		return -1;
	}
	return 0;
}

void fn_http_stop(struct fn_server *s)
{
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	s->daemon = NULL;
}
