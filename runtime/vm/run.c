/* Opens and validates an image, checks it suits the chosen backend, and hands it over. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dev/tap.h"
#include "snapshot/snapshot.h"
#include "util/log.h"
#include "vm/run.h"
#include "xen/hvm_start_info.h"
#include "xen/start_info.h"

static const char *run_backend_name(enum run_backend b)
{
	return b == RUN_BACKEND_KVM ? "kvm" : "proc";
}

/* Maps a whole regular file read-only; what names it decides the wording of its errors. */
static int run_map_file(const char *path, const char *what, struct run_blob *blob)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_error("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_error("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_size == 0) {
		log_error("%s: empty file, not %s", path, what);
		close(fd);
		return -1;
	}
	/* Populated at once: all of it is copied into the guest, and a fault per page costs more. */
	void *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (data == MAP_FAILED) {
		log_error("%s: cannot map: %s", path, strerror(errno));
		return -1;
	}
	*blob = (struct run_blob){data, (uint64_t)st.st_size};
	return 0;
}

/*
 * Opens every --net TAP before the guest exists, so a bad one costs no boot; -1 after one log
 * line. devices: the image's MICA_DEV_* bits.
 */
static int run_open_nics(const char *path, uint32_t devices, struct run_config *cfg)
{
	if (cfg->nnics && !(devices & MICA_DEV_NET)) {
		log_error("%s has no network device: build it from an app that selects WANT_NET", path);
		return -1;
	}
	for (int i = 0; i < cfg->nnics; i++) {
		struct run_nic *nic = &cfg->nics[i];
		char err[256];
		if (!nic->mac_given) {
			/* Random, with the locally administered bit set and the multicast bit clear. */
			if (getrandom(nic->mac, sizeof(nic->mac), 0) != (ssize_t)sizeof(nic->mac)) {
				log_error("--net tap=%s: cannot pick a random mac (%s)", nic->tap, strerror(errno));
				return -1;
			}
			nic->mac[0] = (uint8_t)((nic->mac[0] & 0xfe) | 0x02);
		}
		/* Already open: the OCI runtime made it in the container's network namespace. */
		if (nic->fd >= 0)
			continue;
		nic->fd = tap_open(nic->tap, err, sizeof(err));
		if (nic->fd < 0) {
			log_error("--net tap=%s: %s", nic->tap, err);
			return -1;
		}
	}
	return 0;
}

/* Opens every --disk file before the guest exists, so a bad one costs no boot; -1 after one log line. */
static int run_open_disks(const char *path, uint32_t devices, struct run_config *cfg)
{
	for (int i = 0; i < cfg->ndisks; i++) {
		struct run_disk *d = &cfg->disks[i];
		d->fd = open(d->path, (d->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (d->fd < 0) {
			log_error("--disk %s: cannot open%s: %s", d->path, d->ro ? "" : " read-write", strerror(errno));
			return -1;
		}
		struct stat st;
		if (fstat(d->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			log_error("--disk %s: not a regular file", d->path);
			return -1;
		}
		if (st.st_size == 0 || st.st_size % 512 != 0) {
			log_error("--disk %s: size %lld is not a non-zero multiple of 512 bytes", d->path,
				  (long long)st.st_size);
			return -1;
		}
		d->size = (uint64_t)st.st_size;
	}
	/* After the files: a missing or misfit file is reported whichever image it was meant for. */
	if (cfg->ndisks && !(devices & MICA_DEV_BLOCK)) {
		log_error("%s has no block device: build it from an app that selects block storage", path);
		return -1;
	}
	return 0;
}

static void run_close_files(struct run_config *cfg)
{
	for (int i = 0; i < cfg->nnics; i++)
		if (cfg->nics[i].fd >= 0)
			close(cfg->nics[i].fd);
	for (int i = 0; i < cfg->ndisks; i++)
		if (cfg->disks[i].fd >= 0)
			close(cfg->disks[i].fd);
}

/* Options a restore cannot honour: the snapshot fixed them when it was taken. */
static int run_restore_options(const struct run_config *cfg)
{
	const char *bad = cfg->initrd_path ? "--initrd" : cfg->nenv ? "--env" : NULL;
	if (bad) {
		log_error("--restore: %s was fixed when the snapshot was taken; leave it out", bad);
		return -1;
	}
	return 0;
}

/*
 * The restored guest reconnects the disks and NICs it had, by index: a restore gives as many
 * (the files and TAPs may differ), and they are opened here as for a boot.
 */
static int run_restore_devices(const char *name, const struct snapshot_state *s, struct run_config *cfg)
{
	if (cfg->ndisks != s->nvbd || cfg->nnics != s->nvif) {
		log_error("%s: the guest was saved with %u --disk and %u --net, this restore gives %d and %d; "
			  "give as many as it had", name, s->nvbd, s->nvif, cfg->ndisks, cfg->nnics);
		return -1;
	}
	return run_open_nics(name, MICA_DEV_NET, cfg) != 0 || run_open_disks(name, MICA_DEV_BLOCK, cfg) != 0 ? -1 : 0;
}

/* Resumes the guest of a snapshot (opened here for --restore, or by the caller); IMAGE, if given, must match. */
static int run_restore(struct run_config *cfg)
{
	struct snapshot opened = {0};
	char err[256];
	int rc = MICA_EXIT_FAILURE;

	if (run_restore_options(cfg) != 0)
		return MICA_EXIT_FAILURE;
	if (!cfg->restore_snapshot) {
		if (snapshot_open(cfg->restore_path, &opened, err, sizeof(err)) != 0) {
			log_error("%s: %s", cfg->restore_path, err);
			return MICA_EXIT_FAILURE;
		}
		cfg->restore_snapshot = &opened;
	}
	const struct snapshot *snap = cfg->restore_snapshot;
	const char *name = cfg->restore_path ? cfg->restore_path : "snapshot";
	bool kvm = snap->v.hdr->platform == MICA_PLAT_KVM;
	if (cfg->backend != RUN_BACKEND_AUTO && kvm != (cfg->backend == RUN_BACKEND_KVM)) {
		const char *plat = image_platform_name(snap->v.hdr->platform);
		log_error("%s: snapshot of a %s guest: %s snapshots run on the %s backend only; drop --backend %s", name,
			  plat, plat, plat, run_backend_name(cfg->backend));
		goto out;
	}
	if (kvm && cfg->embed) {
		log_error("%s: a kvm snapshot cannot run inside mica serve; use a proc snapshot", name);
		goto out;
	}
	if (cfg->image_path) {
		struct run_blob image;
		if (run_map_file(cfg->image_path, "an image", &image) != 0)
			goto out;
		int same = snapshot_check_image(snap, image.data, image.size, err, sizeof(err));
		munmap((void *)image.data, image.size);
		if (same != 0) {
			log_error("%s: %s", name, err);
			goto out;
		}
	}
	if (run_restore_devices(name, snap->v.state, cfg) != 0)
		goto out;
	rc = kvm ? kvm_run(cfg, NULL, NULL, 0, NULL) : proc_run(cfg, NULL, NULL, 0, NULL);
out:
	run_close_files(cfg);
	cfg->restore_snapshot = NULL;
	snapshot_close(&opened);
	return rc;
}

static int run_image_quietly(const struct run_config *given)
{
	/* A copy: the TAPs' fds and the macs picked go with it to the backend. */
	struct run_config run = *given, *cfg = &run;
	/* A NIC's fd stays as given: -1 from `mica run --net`, an open TAP from the OCI runtime. */
	for (int i = 0; i < cfg->ndisks; i++)
		cfg->disks[i].fd = -1;
	const char *path = cfg->image_path;
	if (cfg->restore_path || cfg->restore_snapshot)
		return run_restore(cfg);
	struct run_blob image, initrd = {0};
	if (run_map_file(path, "an image", &image) != 0)
		return MICA_EXIT_FAILURE;
	if (cfg->initrd_path && run_map_file(cfg->initrd_path, "an initrd", &initrd) != 0) {
		munmap((void *)image.data, image.size);
		return MICA_EXIT_FAILURE;
	}
	const uint8_t *file = image.data;

	struct image img;
	char err[256];
	int rc = MICA_EXIT_FAILURE;
	if (image_parse(file, image.size, &img, err, sizeof(err)) != 0) {
		log_error("%s: %s", path, err);
		goto out;
	}
	enum run_backend want = img.note.platform == MICA_PLAT_KVM ? RUN_BACKEND_KVM : RUN_BACKEND_PROC;
	enum run_backend backend = cfg->backend == RUN_BACKEND_AUTO ? want : cfg->backend;
	if (backend != want) {
		log_error("%s: image was built for the %s platform, not for --backend %s (rebuild with "
			  "PLAT_%s, or drop --backend)",
			  path, image_platform_name(img.note.platform), run_backend_name(backend),
			  backend == RUN_BACKEND_KVM ? "KVM" : "PROC");
		goto out;
	}
	if (backend == RUN_BACKEND_KVM && cfg->embed) {
		log_error("%s: a kvm image cannot run inside mica serve; use a proc image", path);
		goto out;
	}
	if (backend == RUN_BACKEND_KVM && !img.has_pvh_entry) {
		log_error("%s: image has no Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), so no VM can "
			  "enter it; rebuild it with PLAT_KVM", path);
		goto out;
	}
	uint64_t initrd_pages = (initrd.size + MICA_PAGE_SIZE - 1) & ~(MICA_PAGE_SIZE - 1);
	uint64_t reserved = backend == RUN_BACKEND_KVM ? HVM_START_INFO_RESERVED : START_INFO_RESERVED;
	if (image_check_fits(&img, cfg->mem, reserved + initrd_pages, err, sizeof(err)) != 0) {
		log_error("%s: %s", path, err);
		goto out;
	}
	if (run_open_nics(path, img.note.devices, cfg) != 0 || run_open_disks(path, img.note.devices, cfg) != 0)
		goto out;
	if (backend == RUN_BACKEND_KVM)
		rc = kvm_run(cfg, &img, file, image.size, &initrd);
	else
		rc = proc_run(cfg, &img, file, image.size, &initrd);
out:
	run_close_files(cfg);
	munmap((void *)file, image.size);
	if (initrd.data)
		munmap((void *)initrd.data, initrd.size);
	return rc;
}

int run_image(const struct run_config *given)
{
	bool was = log_set_quiet(given->embed && !given->embed->verbose);
	int rc = run_image_quietly(given);
	/* A parked guest is the run's whatever happened: one refused before proc_run took it ends here. */
	if (given->embed && given->embed->parked) {
		proc_park_discard(given->embed->parked);
		given->embed->parked = NULL;
	}
	log_set_quiet(was);
	return rc;
}
