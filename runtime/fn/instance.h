/* Instances: a fresh guest per request run by a monitor thread of the gateway, or a host program; limits. */
#ifndef FN_INSTANCE_H
#define FN_INSTANCE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "fn/args.h"
#include "fn/protocol.h"
#include "snapshot/snapshot.h"

/* Stack of libmicrohttpd's connection threads: a request's thread reads its response into a 64 KiB buffer. */
#define FN_THREAD_STACK (1u << 20)

struct fn_inst;
struct proc_vm;

/* A function at run time: its configuration and who runs or waits for it. */
struct fn_pool {
	const struct fn_function *fn;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	unsigned int running, waiting;
	struct fn_inst **slots;     /* fn->max slots: the running instances, NULL when free */
	bool verbose;               /* instances' own mica messages go to stderr, else nowhere */
	struct snapshot snap;       /* FN_KIND_SNAPSHOT: opened and validated once, restored per request */
	/*
	 * fn->warm slots, topped up by the warming thread. An image or a program: instances started
	 * ahead, waiting for a request. A snapshot: guest processes parked before their restore, which
	 * is then the request's (proc_park).
	 */
	struct fn_inst **spares;
	struct proc_vm **parked;
	unsigned int nspares, spawning;
	/*
	 * A snapshot's parked guests out serving a request: each comes back parked again once its
	 * instance has powered off cleanly (proc_recycle), else the warming thread replaces it.
	 */
	unsigned int recycling;
	unsigned int resetting;     /* of those, the ones whose instance ended: parked again in ~0.1 ms */
	pthread_cond_t recycled;    /* one of them is back, or ended */
	/*
	 * The parked guests a snapshot keeps: warm=, grown by one whenever a request finds all of them
	 * out serving, up to max= (then every concurrent request has one, each recycled); warm=0: none.
	 */
	unsigned int parked_max;
};

/* How a request's instance ended. */
enum fn_outcome {
	FN_OK,                      /* exited 0: out holds what it wrote */
	FN_FAILED,                  /* crashed or exited non-zero (502) */
	FN_TOO_BIG,                 /* wrote more than response_max: killed (502) */
	FN_TIMEOUT,                 /* still running at its timeout: killed (504) */
	FN_BUSY,                    /* queue full (503) */
	FN_STOPPING,                /* the gateway is shutting down (503) */
	FN_ERROR,                   /* the gateway could not start it (500) */
};

struct fn_run {
	enum fn_outcome outcome;
	int status;                 /* the exit status (FN_FAILED), or a signal as 128+N */
	struct fn_buf out;          /* everything the instance wrote, at most response_max bytes */
	uint64_t restore_ns;        /* a snapshot's: its restore's start to the guest's first hypercall after it */
	bool parked;                /* a snapshot's: restored into a guest process parked ahead (warm=) */
	unsigned int uses;          /* parked: the runs that guest process has had, this one included */
};

/* -1 after one log line (a snapshot that does not open, no memory). */
int fn_pool_init(struct fn_pool *p, const struct fn_function *fn, bool verbose);
/* Ends what is left of the warm instances (after fn_pools_stop) and frees the pool. */
void fn_pool_destroy(struct fn_pool *p);

/* Runs one fresh instance of p's function on the framed request; blocks until it ended. */
void fn_instance_run(struct fn_pool *p, const char *req, size_t req_len, struct fn_run *run);

/*
 * Starts the thread that keeps each pool's warm instances topped up. It starts exec: programs
 * itself, so it lives as long as they may: a program dies with the thread that made it
 * (PR_SET_PDEATHSIG), as a guest dies with its monitor thread.
 */
int fn_pools_start(struct fn_pool *pools, int n);

/*
 * Refuses new instances from now on, wakes queued requests, kills every running and warm
 * instance, and waits for the warming thread.
 */
void fn_pools_stop(struct fn_pool *pools, int n);

/* Ends the idle monitor threads once no instance is left (after fn_pool_destroy of every pool). */
void fn_monitors_stop(void);

#endif
