/* Running one guest image: what `mica run` asks for, and the backends that can do it. */
#ifndef VM_RUN_H
#define VM_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include "image/image.h"
#include "vm/guest.h"

struct snapshot;
struct proc_vm;

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

/*
 * What a caller that runs guests in threads of its own (mica serve) provides instead of the
 * process's stdin, stdout, stderr and signals, which belong to it. proc backend only.
 */
struct run_embed {
	int console_in, console_out; /* the guest's console, instead of stdin and stdout */
	int stop_fd;                 /* readable: stop the guest now, run_image returns 128+SIGKILL; -1: none */
	bool verbose;                /* mica's lines for this run go to stderr; else nowhere */
	/*
	 * A guest proc_park started for restore_snapshot: run_image restores into it and owns it
	 * from then on, whatever happens (it sets this NULL). NULL: a guest process is made here.
	 */
	struct proc_vm *parked;
	uint64_t restore_ns;         /* set by a restore: ns from its start to the guest's first hypercall after it */
	unsigned int uses;           /* set by a restore into parked: its process's runs, this one included */
	/*
	 * recycle: a guest from proc_park that powers off cleanly is not ended but left in recycled,
	 * for the caller to hand to proc_recycle (or proc_park_discard) once it has the guest's output.
	 */
	bool recycle;
	struct proc_vm *recycled;
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
	/*
	 * NULL for `mica run`: the console on stdin/stdout, SIGINT/TERM/HUP/QUIT stop the guest. Set:
	 * the caller's fds, no signal changes, and everything the run opened is released when it ends.
	 */
	struct run_embed *embed;
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

/*
 * For a caller that restores one snapshot many times (mica serve): a proc guest process started
 * ahead of its request for snap (loader exec'd, RAM mapped and faulted in, sandbox armed), parked
 * until run_image restores into it (run_embed.parked). NULL after one log line.
 */
struct proc_vm *proc_park(const struct snapshot *snap);

/* Kills, reaps and frees a parked guest that will not be used. */
void proc_park_discard(struct proc_vm *vm);

/*
 * Parks again a guest process a run left in run_embed.recycled, for another restore of snap (the
 * snapshot it served): its RAM gets the snapshot's content, and on its way out of the park call it
 * resets its CPU state (docs/abi.md §14). 0, or -1 with the guest discarded.
 */
int proc_recycle(struct proc_vm *vm, const struct snapshot *snap);

/*
 * The kvm backend; the image has a PVH entry point (file_len bytes at file, for --snapshot). With
 * cfg->restore_snapshot (a kvm snapshot), img, file and initrd are not used (may be NULL).
 */
int kvm_run(const struct run_config *cfg, const struct image *img, const uint8_t *file, size_t file_len,
	    const struct run_blob *initrd);

#endif
