/* The HTTP side of the gateway: libmicrohttpd's daemon, routing /NAME to a function, and the mapping of outcomes to statuses. */
#ifndef FN_HTTP_H
#define FN_HTTP_H

#include <stdbool.h>
#include "fn/instance.h"

/* Request bodies are read whole before an instance starts; larger ones get 413. */
#define FN_MAX_REQUEST_BODY (1u << 20)

struct fn_server {
	struct fn_pool *pools;
	int npools;
	bool verbose;
	struct MHD_Daemon *daemon;
};

/* Serves on listen_fd (bound and listening) from threads of its own; -1 after one log line. */
int fn_http_start(struct fn_server *s, int listen_fd);

/* Closes every connection and waits for their threads (instances must have been stopped first). */
void fn_http_stop(struct fn_server *s);

#endif
