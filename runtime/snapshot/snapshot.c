/* Opening, checking and writing snapshot files, and moving guest pages in and out of them. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dev/blkback.h"
#include "dev/netback.h"
#include "snapshot/snapshot.h"
#include "vm/run.h"
#include "xen/console.h"
#include "xen/evtchn.h"
#include "xen/gnttab.h"
#include "xen/xenstore.h"

int snapshot_open(const char *path, struct snapshot *s, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		close(fd);
		return -1;
	}
	if (st.st_size == 0) {
		snprintf(err, errlen, "empty file, not a snapshot");
		close(fd);
		return -1;
	}
	/* Populated: the checksum reads all of it now, and restores read the pages again. */
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "cannot map: %s", strerror(errno));
		close(fd);
		return -1;
	}
	*s = (struct snapshot){map, (size_t)st.st_size, {0}, fd};
	if (snapshot_parse(s->map, s->size, &s->v, err, errlen) != 0) {
		snapshot_close(s);
		return -1;
	}
	return 0;
}

void snapshot_close(struct snapshot *s)
{
	if (s->map) {
		munmap((void *)s->map, s->size);
		close(s->fd);
	}
	s->map = NULL;
	s->fd = -1;
}

int snapshot_check_image(const struct snapshot *s, const uint8_t *image, size_t len, char *err, size_t errlen)
{
	struct sha256 h;
	uint8_t digest[SHA256_DIGEST_LEN];
	sha256_init(&h);
	sha256_update(&h, image, len);
	sha256_final(&h, digest);
	if (memcmp(digest, s->v.hdr->image_sha256, sizeof(digest)) != 0) {
		snprintf(err, errlen, "snapshot was taken of another image (application '%s'); leave IMAGE out or "
			 "give the one it was taken of", s->v.hdr->app);
		return -1;
	}
	return 0;
}

int snapshot_fill_memfd(const struct snapshot *s, int memfd)
{
	const uint8_t *data = s->v.data;
	for (uint32_t i = 0; i < s->v.hdr->nextents; i++) {
		const struct snapshot_extent *e = &s->v.extents[i];
		size_t len = (size_t)e->pages * MICA_PAGE_SIZE;
		off_t off = (off_t)(e->gaddr - MICA_RAM_BASE);
		/* pwrite fills the page cache directly: no page faults on mica's side. */
		for (size_t done = 0; done < len;) {
			ssize_t n = pwrite(memfd, data + done, len - done, off + (off_t)done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return -1;
			done += (size_t)n;
		}
		data += len;
	}
	return 0;
}

int snapshot_state_save(const struct guest *g, const struct run_config *run, struct snapshot_state *s, char *err,
			size_t errlen)
{
	memset(s, 0, sizeof(*s));
	for (uint32_t p = 0; p < GUEST_MAX_PORTS; p++) {
		const struct evtchn *e = &g->ports[p];
		struct snapshot_port *o = &s->ports[p];
		o->state = (uint8_t)e->state;
		o->remote_dom = e->remote_dom;
		o->peer = e->state == EVS_LOCAL ? e->peer : 0;
		o->virq = e->state == EVS_VIRQ ? e->virq : 0;
		if (e->state != EVS_BACKEND)
			continue;
		if (e->backend_arg) {
			/*
			 * A device's: unbound again, so the port stays the guest's until its frontend
			 * closes it (a port another frontend allocated meanwhile is never closed by mistake).
			 */
			o->state = SNAP_PORT_UNBOUND;
			o->remote_dom = MICA_DOMID_BACKEND;
		} else if (p == g->console_port && e->backend == console_notify) {
			o->service = SNAP_SVC_CONSOLE;
		} else if (p == g->store_port && e->backend == xenstore_notify) {
			o->service = SNAP_SVC_STORE;
		} else if (e->backend == evtchn_echo) {
			o->service = SNAP_SVC_ECHO;
		} else {
			snprintf(err, errlen, "event channel %u is bound to a service snapshots cannot hold", p);
			return -1;
		}
	}
	s->console_port = g->console_port;
	s->store_port = g->store_port;
	s->timer_port = g->timer_port;
	s->echo_offered = g->echo_offered;
	s->timer_deadline = g->timer_deadline;
	for (int i = 0; i < GNTTAB_MAX_FRAMES; i++)
		s->gnttab_frame[i] = g->gnttab.frame_gaddr[i];
	s->gnttab_nr_frames = g->gnttab.nr_frames;
	s->nvbd = (uint8_t)run->ndisks;
	s->nvif = (uint8_t)run->nnics;
	return 0;
}

int snapshot_state_apply(struct guest *g, const struct snapshot_state *s, const struct run_config *run)
{
	static const backend_notify_fn services[] = {
		[SNAP_SVC_CONSOLE] = console_notify, [SNAP_SVC_STORE] = xenstore_notify, [SNAP_SVC_ECHO] = evtchn_echo};
	for (uint32_t p = 0; p < GUEST_MAX_PORTS; p++) {
		const struct snapshot_port *i = &s->ports[p];
		g->ports[p] = (struct evtchn){.state = (enum evtchn_state)i->state, .remote_dom = i->remote_dom,
					      .peer = i->peer, .virq = i->virq};
		if (i->state == SNAP_PORT_BACKEND)
			g->ports[p].backend = services[i->service];
	}
	g->console_port = s->console_port;
	g->store_port = s->store_port;
	g->timer_port = s->timer_port;
	g->echo_offered = s->echo_offered != 0;
	g->timer_deadline = s->timer_deadline;
	for (int i = 0; i < GNTTAB_MAX_FRAMES; i++)
		g->gnttab.frame_gaddr[i] = s->gnttab_frame[i];
	g->gnttab.nr_frames = s->gnttab_nr_frames;
	xenstore_restored(g);
	gnttab_drop_holds(g);
	if (netback_start(g, run) != 0 || blkback_start(g, run) != 0)
		return -1;
	return 0;
}

/* Appends page pfn (from RAM offset 0) to the list, extending the last run when adjacent. */
static int snap_add_page(struct snapshot_extent **list, uint32_t *n, uint32_t *cap, uint64_t gaddr)
{
	if (*n && (*list)[*n - 1].gaddr + (*list)[*n - 1].pages * MICA_PAGE_SIZE == gaddr) {
		(*list)[*n - 1].pages++;
		return 0;
	}
	if (*n == *cap) {
		uint32_t ncap = *cap ? *cap * 2 : 64;
		struct snapshot_extent *l = realloc(*list, ncap * sizeof(*l));
		if (!l)
			return -1;
		*list = l;
		*cap = ncap;
	}
	(*list)[(*n)++] = (struct snapshot_extent){gaddr, 1};
	return 0;
}

static bool snap_page_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)p;
	for (size_t i = 0; i < MICA_PAGE_SIZE / 8; i++)
		if (w[i])
			return false;
	return true;
}

/* The non-zero pages of guest memory, found among the memfd's allocated ranges (holes were never touched). */
static int snap_collect(const struct snapshot_source *src, struct snapshot_extent **list, uint32_t *n)
{
	uint32_t cap = 0;
	uint64_t base = snapshot_pages_base(src->platform);
	/* The host address of memfd offset 0: below g->ram by the memory under RAM that kvm maps. */
	const uint8_t *mem = src->g->ram - (MICA_RAM_BASE - base);
	off_t end = (off_t)(MICA_RAM_BASE - base + src->g->ram_size), at = 0;
	*list = NULL;
	*n = 0;
	while (at < end) {
		off_t data = lseek(src->memfd, at, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break;
		if (data < 0)
			return -1;
		if (data >= end)
			break;
		off_t hole = lseek(src->memfd, data, SEEK_HOLE);
		if (hole < 0)
			return -1;
		if (hole > end)
			hole = end;
		for (off_t off = data & ~(off_t)(MICA_PAGE_SIZE - 1); off < hole; off += MICA_PAGE_SIZE)
			if (!snap_page_zero(mem + off) && snap_add_page(list, n, &cap, base + (uint64_t)off) != 0)
				return -1;
		at = hole;
	}
	return 0;
}

static int snap_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes header, list, state (and kvm section) and pages to fd, the checksum last. Returns 0, or -1 with errno. */
static int snap_emit(int fd, const struct snapshot_source *src, const struct snapshot_extent *list, uint32_t n,
		     const struct snapshot_state *state)
{
	bool kvm = src->platform == MICA_PLAT_KVM;
	const uint8_t *mem = src->g->ram - (MICA_RAM_BASE - snapshot_pages_base(src->platform));
	size_t kvm_size = kvm ? sizeof(*src->kvm) : 0;
	struct snapshot_header h = {
		.version = kvm ? SNAPSHOT_VERSION_KVM : SNAPSHOT_VERSION,
		.abi_version = MICA_ABI_VERSION,
		.platform = src->platform,
		.header_size = sizeof(h),
		.ram_size = src->g->ram_size,
		.ready_ctx = src->ready_ctx,
		.nsegments = src->nsegments,
		.nextents = n,
	};
	memcpy(h.magic, SNAPSHOT_MAGIC, sizeof(h.magic));
	snprintf(h.app, sizeof(h.app), "%s", src->app);
	struct sha256 sha;
	sha256_init(&sha);
	sha256_update(&sha, src->image, src->image_len);
	sha256_final(&sha, h.image_sha256);
	for (uint32_t i = 0; i < src->nsegments; i++) {
		h.seg[i].addr = src->seg[i][0];
		h.seg[i].len = src->seg[i][1];
		h.seg[i].prot = (uint32_t)src->seg[i][2];
	}
	h.extents_offset = sizeof(h);
	h.state_offset = h.extents_offset + (uint64_t)n * sizeof(*list);
	h.state_size = sizeof(*state);
	h.data_offset = (h.state_offset + h.state_size + kvm_size + MICA_PAGE_SIZE - 1) & ~(MICA_PAGE_SIZE - 1);
	for (uint32_t i = 0; i < n; i++)
		h.data_pages += list[i].pages;
	h.file_size = h.data_offset + h.data_pages * MICA_PAGE_SIZE;

	/* The metadata as one zero-padded block, hashed before the pages that follow it. */
	uint8_t *meta = calloc(1, h.data_offset);
	if (!meta)
		return -1;
	memcpy(meta, &h, sizeof(h));
	memcpy(meta + h.extents_offset, list, (size_t)n * sizeof(*list));
	memcpy(meta + h.state_offset, state, sizeof(*state));
	if (kvm)
		memcpy(meta + h.state_offset + h.state_size, src->kvm, kvm_size);
	struct snapshot_hash hash;
	snapshot_hash_init(&hash);
	snapshot_hash_update(&hash, meta, h.data_offset);
	int rc = snap_write_all(fd, meta, h.data_offset);
	free(meta);
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		const uint8_t *p = mem + (list[i].gaddr - snapshot_pages_base(src->platform));
		size_t len = (size_t)list[i].pages * MICA_PAGE_SIZE;
		snapshot_hash_update(&hash, p, len);
		rc = snap_write_all(fd, p, len);
	}
	if (rc != 0)
		return -1;
	h.checksum = snapshot_hash_final(&hash, NULL, 0);
	if (pwrite(fd, &h.checksum, sizeof(h.checksum), SNAPSHOT_CHECKSUM_OFFSET) != (ssize_t)sizeof(h.checksum))
		return -1;
	return fsync(fd);
}

int snapshot_write(const char *path, const struct snapshot_source *src, char *err, size_t errlen)
{
	struct snapshot_state state;
	if (snapshot_state_save(src->g, src->run, &state, err, errlen) != 0)
		return -1;
	struct snapshot_extent *list;
	uint32_t n;
	if (snap_collect(src, &list, &n) != 0) {
		snprintf(err, errlen, "cannot read guest memory: %s", strerror(errno));
		free(list);
		return -1;
	}
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16), *dir = malloc(plen + 1);
	if (!tmp || !dir) {
		snprintf(err, errlen, "out of memory");
		free(list);
		free(tmp);
		free(dir);
		return -1;
	}
	snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	int rc = -1;
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a file beside it: %s", strerror(errno));
	} else if (snap_emit(fd, src, list, n, &state) != 0 || fchmod(fd, 0644) != 0) {
		snprintf(err, errlen, "cannot write: %s", strerror(errno));
	} else if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot rename into place: %s", strerror(errno));
	} else {
		rc = 0;
		/* The rename itself is durable only once the directory is synced. */
		memcpy(dir, path, plen + 1);
		int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	if (fd >= 0) {
		close(fd);
		if (rc != 0)
			unlink(tmp);
	}
	free(list);
	free(tmp);
	free(dir);
	return rc;
}
