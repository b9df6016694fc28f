/* Parsing of `mica serve` arguments: the listen address and the --function specifications. */
#ifndef FN_ARGS_H
#define FN_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define FN_MAX_FUNCTIONS 32
#define FN_NAME_MAX 64
#define FN_SPEC_MAX 4096
#define FN_DEFAULT_MEM (64ULL << 20)
#define FN_DEFAULT_TIMEOUT_NS (10ULL * 1000000000ULL)
#define FN_DEFAULT_MAX 8
#define FN_MAX_MAX 1024
#define FN_DEFAULT_QUEUE 64
#define FN_DEFAULT_WARM 2
#define FN_MAX_WARM 64
#define FN_MAX_QUEUE 65536
#define FN_DEFAULT_RESPONSE (1ULL << 20)
#define FN_MAX_RESPONSE (1ULL << 30)
#define FN_MAX_TIMEOUT_S 86400.0

/* What runs per request: a mica image, a snapshot of one (decided by reading the file), or a host program. */
enum fn_kind { FN_KIND_IMAGE, FN_KIND_SNAPSHOT, FN_KIND_EXEC };

/* One --function NAME=PATH[,key=value]...; path and initrd point into spec. */
struct fn_function {
	char name[FN_NAME_MAX];
	enum fn_kind kind;          /* FN_KIND_EXEC when given as exec:PATH, else settled at startup */
	const char *path;
	const char *initrd;         /* NULL: none */
	uint64_t mem;               /* guest RAM bytes */
	uint64_t timeout_ns;        /* wall time per request, queueing excluded */
	unsigned int max;           /* instances running at once */
	unsigned int queue;         /* requests waiting for an instance beyond those */
	unsigned int warm;          /* instances started ahead, each waiting for its one request */
	uint64_t response_max;      /* bytes an instance may write (head and body) */
	char spec[FN_SPEC_MAX];
};

struct fn_args {
	struct sockaddr_in listen;
	bool verbose;
	int nfunctions;
	struct fn_function functions[FN_MAX_FUNCTIONS];
};

enum fn_args_result { FN_ARGS_OK, FN_ARGS_HELP, FN_ARGS_ERROR };

/* argv[0] is "serve". On error, err holds a one-line message. */
enum fn_args_result fn_args_parse(int argc, char **argv, struct fn_args *a, char *err, size_t errlen);

/* Parses one NAME=PATH[,key=value]... into f; -1 with a message in err. */
int fn_args_function(const char *spec, struct fn_function *f, char *err, size_t errlen);

/* Parses "A.B.C.D:PORT" (PORT 0: any free port); -1 with a message in err. */
int fn_args_listen(const char *s, struct sockaddr_in *sa, char *err, size_t errlen);

extern const char fn_args_usage[];

#endif
