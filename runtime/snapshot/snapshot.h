/*
 * Snapshots of a guest at its ready point (MICA_HC_READY): writing one, and opening one once to
 * restore it any number of times (`mica run --restore`, or a long-lived caller such as a gateway).
 */
#ifndef SNAPSHOT_SNAPSHOT_H
#define SNAPSHOT_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include "snapshot/format.h"
#include "vm/guest.h"

/*
 * An opened snapshot: the file mapped read-only and validated whole, and kept open (fd) for a kvm
 * restore, which maps its pages copy-on-write. Never changed by a restore.
 */
struct snapshot {
	const uint8_t *map;
	size_t size;
	struct snapshot_view v;
	int fd;                         /* valid while map is */
};

/*
 * Maps path and validates all of it (snapshot_parse). Returns 0, or -1 with a one-line reason
 * (without the file name) in err, having mapped nothing. Cost: one read of the file (page cache)
 * and its checksum; restoring from it afterwards reads only the stored pages.
 */
int snapshot_open(const char *path, struct snapshot *s, char *err, size_t errlen);

/* Unmaps it. */
void snapshot_close(struct snapshot *s);

/* 0 when image[0, len) is the image the snapshot was taken of; -1 with a reason in err. */
int snapshot_check_image(const struct snapshot *s, const uint8_t *image, size_t len, char *err, size_t errlen);

/* What a backend knows of the guest at its ready point, besides RAM and the runtime state. */
struct run_config;

struct snapshot_source {
	struct guest *g;
	const struct run_config *run;   /* for how many disks and NICs it has */
	int memfd;                      /* guest memory from snapshot_pages_base(platform) (holes: never touched) */
	uint32_t platform;              /* MICA_PLAT_* */
	const struct snapshot_kvm *kvm; /* MICA_PLAT_KVM: the vCPU section */
	const uint8_t *image;           /* the image file, for its digest */
	size_t image_len;
	const char *app;
	uint64_t ready_ctx;
	uint32_t nsegments;
	uint64_t seg[SNAPSHOT_MAX_SEGMENTS][3]; /* addr, len, prot (page-aligned) */
};

/*
 * Writes the snapshot of src to path atomically: a temporary file beside it, fsync, rename,
 * fsync of the directory; nothing is left at path or beside it on failure. Stores only pages
 * that are not zero. Returns 0, or -1 with a one-line reason in err.
 */
int snapshot_write(const char *path, const struct snapshot_source *src, char *err, size_t errlen);

/*
 * Fills memfd (guest RAM from offset 0, zero) with the stored pages of a proc snapshot (kvm maps
 * them from s->fd instead). Returns 0, or -1 with errno.
 */
int snapshot_fill_memfd(const struct snapshot *s, int memfd);

/*
 * Captures the runtime's device state of g: event channels, timer, grant frames, and how many
 * disks and NICs run has. Ports bound to a disk's or NIC's backend are stored free, and the
 * xenstore daemon is not stored: a restore makes both afresh. Returns 0, or -1 with a reason in
 * err when an event channel is bound to something no restore can make again.
 */
int snapshot_state_save(const struct guest *g, const struct run_config *run, struct snapshot_state *s, char *err,
			size_t errlen);

/*
 * Gives g (RAM restored, special pages attached, no port bound yet) the saved device state,
 * binding the console, store and echo services to their saved ports; empties the store ring for
 * a fresh daemon, drops the holds the old backends had on grants, and makes run's disks and NICs
 * (its --disk and --net) as a boot does. s was validated by snapshot_parse. Returns 0, or -1
 * after a log line when a device could not be made.
 */
int snapshot_state_apply(struct guest *g, const struct snapshot_state *s, const struct run_config *run);

#endif
