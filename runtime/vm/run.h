/* Running one guest image: what `mica run` asks for, and the backends that can do it. */
#ifndef VM_RUN_H
#define VM_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include "image/image.h"
#include "vm/guest.h"

struct snapshot;

enum run_backend { RUN_BACKEND_AUTO, RUN_BACKEND_PROC, RUN_BACKEND_KVM };

/* One --net NIC: the guest's vif <its index>. */
struct run_nic {
	char tap[16];              /* host interface name (IFNAMSIZ) */
	uint8_t mac[6];
	bool mac_given;            /* else run_image picks a random locally administered one */
	char ip[19];               /* "A.B.C.D/N", "" for DHCP */
	char gw[16];               /* "A.B.C.D", "" for none */
	int fd;                    /* the TAP, opened by run_image */
};

#define RUN_MAX_DISKS 4

/* One --disk: the guest's disk <its index> (xvda, xvdb, ...). */
struct run_disk {
	const char *path;
	char name[64];             /* the name the guest reads in xenstore: name=, or diskN */
	bool ro;
	char mount[64];            /* --mount: where the guest mounts its file system, "" for none */
	int fd;                    /* the file, opened by run_image (O_RDONLY when ro) */
	uint64_t size;             /* bytes, a multiple of 512 */
};

struct run_config {
	const char *image_path;
	const char *initrd_path;   /* NULL: none */
	uint64_t mem;              /* guest RAM bytes */
	uint64_t timeout_ns;       /* 0: none */
	enum run_backend backend;
	bool stats;                /* print boot and hypercall figures to stderr at exit */
	int nenv;                  /* guest environment: "K=V" strings */
	char **env;
	int argc;                  /* guest argv, argv[0] being the program name */
	char **argv;
	int nnics;
	struct run_nic nics[GUEST_MAX_NICS];
	int ndisks;
	struct run_disk disks[RUN_MAX_DISKS];
	const char *snapshot_path; /* --snapshot: save the guest at its ready point there, then exit */
	const char *restore_path;  /* --restore: resume a guest from this snapshot instead of booting */
	/*
	 * An opened snapshot (snapshot/snapshot.h) to restore instead of reading restore_path: a
	 * caller that restores one snapshot many times opens it once. run_image sets it for
	 * --restore; NULL otherwise.
	 */
	const struct snapshot *restore_snapshot;
	uint64_t start_ns;         /* monotonic time at which mica started */
	uint64_t start_tsc;        /* TSC at the same moment: pvclock calibrates from it */
};

/* Boots the image and waits for it to end; returns mica's exit status (util/log.h). */
int run_image(const struct run_config *cfg);

/* A file handed to the guest whole (the initrd), mapped read-only. */
struct run_blob {
	const uint8_t *data;
	uint64_t size;
};

/*
 * The proc backend; img and file (the mapped image, file_len bytes) are validated and stay
 * mapped. With cfg->restore_snapshot, img, file and initrd are not used (may be NULL).
 */
int proc_run(const struct run_config *cfg, const struct image *img, const uint8_t *file, size_t file_len,
	     const struct run_blob *initrd);

/* The kvm backend; the image has a PVH entry point. */
int kvm_run(const struct run_config *cfg, const struct image *img, const uint8_t *file,
	    const struct run_blob *initrd);

#endif
