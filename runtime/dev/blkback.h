/* blkback: a guest disk (xen/io/blkif.h ring over grant tables) served on a host file. */
#ifndef DEV_BLKBACK_H
#define DEV_BLKBACK_H

#include <stdbool.h>
#include <stdint.h>
#include "vm/guest.h"
#include "vm/run.h"

/* What a hostile frontend can get refused for: each class counted, and logged once per disk. */
enum blkback_refusal {
	BLKBACK_REFUSED_OP,       /* an operation mica does not serve (barrier, unknown, indirect other than r/w) */
	BLKBACK_REFUSED_SEGMENTS, /* nr_segments 0 (but for a flush), above 11, or above 256 indirect */
	BLKBACK_REFUSED_SECTOR,   /* a segment's first_sect above its last_sect, or last_sect above 7 */
	BLKBACK_REFUSED_RANGE,    /* sectors beyond the end of the disk */
	BLKBACK_REFUSED_GRANT,    /* a grant reference (data or indirect page) mica may not use that way */
	BLKBACK_REFUSED_READONLY, /* a write or discard to a read-only disk */
	BLKBACK_REFUSED_RING,     /* ring indices no frontend can make: the disk stops */
	BLKBACK_NR_REFUSALS
};

struct blkback_stats {
	uint64_t reads, writes, flushes, discards;
	uint64_t read_bytes, written_bytes;
	uint64_t io_errors;       /* the host file refused a request mica found valid */
	uint64_t resumed;         /* notifies whose requests outran the per-notify budget */
	uint64_t host_calls;      /* preadv/pwritev calls made on the file (adjacent requests share them) */
	uint64_t direct_reads;    /* of which O_DIRECT reads (large reads of uncached ranges) */
	uint64_t refused[BLKBACK_NR_REFUSALS];
	bool connected, stopped;
};

/*
 * Makes disk idx of g on disk->fd (the caller keeps it open until blkback_destroy): publishes its
 * xenstore keys (docs/abi.md §13) and connects when the frontend's state becomes Initialised.
 * Takes one of g's host fds: the event that answers requests the disk's worker thread has done
 * and resumes requests beyond a notify's budget on the monitor loop's next turn. NULL, with one
 * log line, when there is no room for it.
 */
struct blkback *blkback_create(struct guest *g, unsigned int idx, const struct run_disk *disk);

/* blkback_create for every disk of cfg, on the files run_image opened; 0 or -1. */
int blkback_start(struct guest *g, const struct run_config *cfg);

/* Releases the ring's grant and the event channel; the file is not closed. */
void blkback_destroy(struct blkback *bb);

/* blkback_destroy for every disk of g; with stats, first one `stats: diskN: ...` line each on stderr. */
void blkback_stop(struct guest *g, bool stats);

/*
 * Waits for the host I/O in flight on g's disks (a worker thread does large reads and writes while
 * the monitor loop goes on) and answers it: before a snapshot, nothing writes into guest RAM.
 */
void blkback_quiesce(struct guest *g);

void blkback_get_stats(const struct blkback *bb, struct blkback_stats *st);

#endif
