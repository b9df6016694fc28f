/* `mica oci pack`: an OCI image tarball holding a Mica image, for docker/ctr/podman load. */
#include "oci/pack.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image/image.h"
#include "oci/tar.h"
#include "util/log.h"
#include "util/sha256.h"

static const char pack_usage[] =
	"Usage: mica oci pack IMAGE [FILE...] -o TAR [--name NAME[:TAG]]\n"
	"\n"
	"Writes TAR, an image that docker load, ctr images import and podman load accept: an OCI\n"
	"image layout (with docker's manifest.json) whose one layer holds IMAGE at /<its file name>\n"
	"and each FILE. The image's command is that path, so `docker run --runtime mica NAME ARGS`\n"
	"boots IMAGE with ARGS; the label org.mica.image names it too.\n"
	"\n"
	"  FILE              SRC or SRC:DEST; SRC goes to /DEST (default /<SRC's file name>), a\n"
	"                    directory with everything under it\n"
	"  -o, --output TAR  the tarball to write (replaced atomically)\n"
	"  --name NAME[:TAG] the image's name (default: the application's name, tag latest)\n"
	"  -h, --help        show this help\n"
	"\n"
	"The output does not depend on file dates, owners or the time it was made.\n";

#define PACK_MAX_FILES 64
#define PACK_MAX_DEPTH 32
#define PACK_MAX_DIRS 4096

struct pack {
	struct tar layer;
	char *dirs[PACK_MAX_DIRS];  /* directories the layer has entries for */
	int ndirs;
	const char *image_entry;    /* the image's name in the layer, without '/' */
	char err[512];
};

/* Reads a whole regular file into *out (malloc'd); -1 with p->err set. */
static int pack_read(struct pack *p, const char *path, uint8_t **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(p->err, sizeof(p->err), "%.200s: cannot read: %.200s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(p->err, sizeof(p->err), "%.200s: not a regular file or directory", path);
		close(fd);
		return -1;
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf) {
		snprintf(p->err, sizeof(p->err), "%.200s: out of memory for %zu bytes", path, n);
		close(fd);
		return -1;
	}
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(p->err, sizeof(p->err), "%.200s: read failed: %.200s", path, r < 0 ? strerror(errno) : "file shrank");
			free(buf);
			close(fd);
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	*out = buf;
	*len = n;
	return 0;
}

int oci_pack_dest(const char *dest, char *out, size_t outlen, char *err, size_t errlen)
{
	size_t o = 0;
	const char *s = dest;
	while (*s) {
		while (*s == '/')
			s++;
		const char *e = strchrnul(s, '/');
		size_t len = (size_t)(e - s);
		if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.')) {
			snprintf(err, errlen, "'%.200s': '.' and '..' are not allowed in a destination", dest);
			return -1;
		}
		if (len) {
			if (o + (o != 0) + len >= outlen) {
				snprintf(err, errlen, "'%.200s': destination too long", dest);
				return -1;
			}
			if (o)
				out[o++] = '/';
			memcpy(out + o, s, len);
			o += len;
		}
		s = e;
	}
	if (o == 0) {
		snprintf(err, errlen, "'%.200s': the destination must name a path below /", dest);
		return -1;
	}
	out[o] = 0;
	return 0;
}

/* Adds a directory entry for path and each of its parents not added yet. */
static int pack_dirs(struct pack *p, const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = buf;; s++) {
		if (*s != '/' && *s != 0)
			continue;
		char c = *s;
		*s = 0;
		bool known = false;
		for (int i = 0; i < p->ndirs && !known; i++)
			known = strcmp(p->dirs[i], buf) == 0;
		if (!known) {
			if (p->ndirs == PACK_MAX_DIRS) {
				snprintf(p->err, sizeof(p->err), "more than %d directories", PACK_MAX_DIRS);
				return -1;
			}
			if (tar_add_dir(&p->layer, buf, 0755, p->err, sizeof(p->err)) != 0)
				return -1;
			p->dirs[p->ndirs] = strdup(buf);
			if (!p->dirs[p->ndirs]) {
				snprintf(p->err, sizeof(p->err), "out of memory");
				return -1;
			}
			p->ndirs++;
		}
		if (c == 0)
			return 0;
		*s = c;
	}
}

/* The parent directories of a file entry, then the file itself. */
static int pack_add_regular(struct pack *p, const char *src, const char *dest, mode_t mode)
{
	if (strcmp(dest, p->image_entry) == 0) {
		snprintf(p->err, sizeof(p->err), "%.200s: /%.200s is where the image goes; give it another destination", src, dest);
		return -1;
	}
	const char *slash = strrchr(dest, '/');
	if (slash) {
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - dest), dest);
		if (pack_dirs(p, parent) != 0)
			return -1;
	}
	uint8_t *data;
	size_t len;
	if (pack_read(p, src, &data, &len) != 0)
		return -1;
	/* Only the execute bits of the source matter: owners and dates are not reproducible. */
	int rc = tar_add_file(&p->layer, dest, (mode & 0111) ? 0755 : 0644, data, len, p->err, sizeof(p->err));
	free(data);
	return rc;
}

static int pack_add_tree(struct pack *p, const char *src, const char *dest, int depth)
{
	struct stat st;
	if (stat(src, &st) != 0) {
		snprintf(p->err, sizeof(p->err), "%.200s: %.200s", src, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode))
		return pack_add_regular(p, src, dest, st.st_mode);
	if (!S_ISDIR(st.st_mode)) {
		snprintf(p->err, sizeof(p->err), "%.200s: not a regular file or directory", src);
		return -1;
	}
	if (strcmp(dest, p->image_entry) == 0) {
		snprintf(p->err, sizeof(p->err), "%.200s: /%.200s is where the image goes; give it another destination",
			 src, dest);
		return -1;
	}
	if (depth > PACK_MAX_DEPTH) {
		snprintf(p->err, sizeof(p->err), "%.200s: more than %d directories deep (a symlink loop?)", src,
			 PACK_MAX_DEPTH);
		return -1;
	}
	if (pack_dirs(p, dest) != 0)
		return -1;
	struct dirent **names;
	/* Sorted, so the layer's bytes do not depend on the order the file system lists them in. */
	int n = scandir(src, &names, NULL, alphasort);
	if (n < 0) {
		snprintf(p->err, sizeof(p->err), "%.200s: cannot list: %.200s", src, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		if (rc == 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
			char s[PATH_MAX], d[PATH_MAX];
			if ((size_t)snprintf(s, sizeof(s), "%s/%s", src, name) >= sizeof(s) ||
			    (size_t)snprintf(d, sizeof(d), "%s/%s", dest, name) >= sizeof(d)) {
				snprintf(p->err, sizeof(p->err), "%.200s/%.200s: path too long", src, name);
				rc = -1;
			} else {
				rc = pack_add_tree(p, s, d, depth + 1);
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* One FILE argument: SRC or SRC:DEST. */
static int pack_add_arg(struct pack *p, const char *arg)
{
	char src[PATH_MAX];
	const char *colon = strchr(arg, ':'), *dest;
	if (colon) {
		snprintf(src, sizeof(src), "%.*s", (int)(colon - arg), arg);
		dest = colon + 1;
	} else {
		snprintf(src, sizeof(src), "%s", arg);
		/* The last component that is not empty: "dir/" is "dir". */
		size_t n = strlen(src);
		while (n > 1 && src[n - 1] == '/')
			src[--n] = 0;
		const char *slash = strrchr(src, '/');
		dest = slash ? slash + 1 : src;
	}
	if (!src[0]) {
		snprintf(p->err, sizeof(p->err), "'%.200s': no source file before ':'", arg);
		return -1;
	}
	char clean[PATH_MAX];
	if (oci_pack_dest(dest, clean, sizeof(clean), p->err, sizeof(p->err)) != 0)
		return -1;
	return pack_add_tree(p, src, clean, 0);
}

static bool pack_lower_alnum(char c) { return ('a' <= c && c <= 'z') || ('0' <= c && c <= '9'); }

static bool pack_word(char c) { return pack_lower_alnum(c) || ('A' <= c && c <= 'Z') || c == '_'; }

bool oci_pack_name_valid(const char *name, const char **tag_out)
{
	const char *colon = strrchr(name, ':'), *slash = strrchr(name, '/');
	const char *end = name + strlen(name);
	*tag_out = NULL;
	if (colon && (!slash || colon > slash)) {
		/* A tag: a word character, then up to 127 of words, '.' and '-'. */
		const char *t = colon + 1;
		if (!pack_word(*t) || end - t > 128)
			return false;
		for (const char *c = t; *c; c++)
			if (!pack_word(*c) && *c != '.' && *c != '-')
				return false;
		*tag_out = t;
		end = colon;
	}
	if (end == name || end - name > 255)
		return false;
	/*
	 * Components between slashes: each starts and ends with a lowercase letter or digit, with '.',
	 * '_' and '-' inside. The first may be a registry host with a :port when more follow.
	 */
	const char *comp = name;
	while (comp < end) {
		const char *stop = memchr(comp, '/', (size_t)(end - comp));
		if (!stop)
			stop = end;
		const char *port = comp == name && stop != end ? memchr(comp, ':', (size_t)(stop - comp)) : NULL;
		const char *host_end = port ? port : stop;
		if (host_end == comp || !pack_lower_alnum(comp[0]) || !pack_lower_alnum(host_end[-1]))
			return false;
		for (const char *c = comp; c < host_end; c++)
			if (!pack_lower_alnum(*c) && *c != '.' && *c != '_' && *c != '-')
				return false;
		if (port) {
			if (port + 1 == stop)
				return false;
			for (const char *c = port + 1; c < stop; c++)
				if (*c < '0' || *c > '9')
					return false;
		}
		if (stop == end)
			break;
		comp = stop + 1;
		if (comp == end)
			return false;
	}
	return true;
}

void oci_pack_full_name(const char *ref, char *out, size_t outlen)
{
	const char *slash = strchr(ref, '/');
	bool has_domain = slash && (memchr(ref, '.', (size_t)(slash - ref)) || memchr(ref, ':', (size_t)(slash - ref)) ||
				    (slash - ref == 9 && strncmp(ref, "localhost", 9) == 0));
	if (has_domain)
		snprintf(out, outlen, "%s", ref);
	else if (slash)
		snprintf(out, outlen, "docker.io/%s", ref);
	else
		snprintf(out, outlen, "docker.io/library/%s", ref);
}

/* Compact JSON with sorted keys (so digests are stable); the reference to j is consumed. */
static char *pack_dump(struct pack *p, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (!s)
		snprintf(p->err, sizeof(p->err), "out of memory for JSON");
	return s;
}

/* A blob in blobs/sha256/; its digest ("sha256:HEX") goes to digest. */
static int pack_blob(struct pack *p, struct tar *out, const void *data, size_t len, char digest[72])
{
	char hex[SHA256_HEX_LEN + 1], path[96];
	sha256_hex(data, len, hex);
	snprintf(digest, 72, "sha256:%s", hex);
	snprintf(path, sizeof(path), "blobs/sha256/%s", hex);
	return tar_add_file(out, path, 0644, data, len, p->err, sizeof(p->err));
}

static json_t *pack_descriptor(const char *media, const char *digest, size_t size)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", media, "digest", digest, "size", (json_int_t)size);
}

/* The image tarball around the finished layer: blobs, oci-layout, index.json, manifest.json. */
static int pack_archive(struct pack *p, struct tar *out, const char *ref, const char *platform)
{
	char layer_digest[72], config_digest[72], manifest_digest[72], full[512], entry[300];
	const char *tag = strrchr(ref, ':'), *slash = strrchr(ref, '/');
	oci_pack_full_name(ref, full, sizeof(full));
	snprintf(entry, sizeof(entry), "/%s", p->image_entry);

	if (tar_add_dir(out, "blobs", 0755, p->err, sizeof(p->err)) != 0 ||
	    tar_add_dir(out, "blobs/sha256", 0755, p->err, sizeof(p->err)) != 0 ||
	    pack_blob(p, out, p->layer.buf, p->layer.len, layer_digest) != 0)
		return -1;

	char *config = pack_dump(p, json_pack(
		"{s:s, s:s, s:s, s:{s:[s], s:[s], s:s, s:{s:s, s:s}}, s:{s:s, s:[s]}, s:[{s:s, s:s}]}",
		"created", "1970-01-01T00:00:00Z", "architecture", "amd64", "os", "linux",
		"config", "Entrypoint", entry, "Env", "PATH=/", "WorkingDir", "/",
		"Labels", "org.mica.image", entry, "org.mica.platform", platform,
		"rootfs", "type", "layers", "diff_ids", layer_digest,
		"history", "created", "1970-01-01T00:00:00Z", "created_by", "mica oci pack"));
	if (!config)
		return -1;
	int rc = pack_blob(p, out, config, strlen(config), config_digest);
	size_t config_len = strlen(config);
	free(config);
	if (rc != 0)
		return -1;

	char *manifest = pack_dump(p, json_pack(
		"{s:i, s:s, s:o, s:[o], s:{s:s}}", "schemaVersion", 2,
		"mediaType", "application/vnd.oci.image.manifest.v1+json",
		"config", pack_descriptor("application/vnd.oci.image.config.v1+json", config_digest, config_len),
		"layers", pack_descriptor("application/vnd.oci.image.layer.v1.tar", layer_digest, p->layer.len),
		"annotations", "org.mica.image", entry));
	if (!manifest)
		return -1;
	rc = pack_blob(p, out, manifest, strlen(manifest), manifest_digest);
	size_t manifest_len = strlen(manifest);
	free(manifest);
	if (rc != 0)
		return -1;

	json_t *desc = pack_descriptor("application/vnd.oci.image.manifest.v1+json", manifest_digest, manifest_len);
	/* ref.name is the tag by the OCI spec; containerd reads the full name from its own key. */
	if (desc && (json_object_set_new(desc, "annotations", json_pack("{s:s, s:s}",
			"org.opencontainers.image.ref.name", tag && (!slash || tag > slash) ? tag + 1 : "latest",
			"io.containerd.image.name", full)) != 0 ||
		     json_object_set_new(desc, "platform", json_pack("{s:s, s:s}", "architecture", "amd64", "os", "linux")) != 0)) {
		json_decref(desc);
		desc = NULL;
	}
	char *index = pack_dump(p, desc ? json_pack("{s:i, s:s, s:[o]}", "schemaVersion", 2,
			"mediaType", "application/vnd.oci.image.index.v1+json", "manifests", desc) : NULL);
	if (!index)
		return -1;
	rc = tar_add_file(out, "index.json", 0644, index, strlen(index), p->err, sizeof(p->err));
	free(index);
	if (rc != 0)
		return -1;

	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	if (tar_add_file(out, "oci-layout", 0644, layout, sizeof(layout) - 1, p->err, sizeof(p->err)) != 0)
		return -1;

	/* docker load (20.10) reads only this file: paths of the config and layer in the archive. */
	char config_path[96], layer_path[96];
	snprintf(config_path, sizeof(config_path), "blobs/sha256/%s", config_digest + 7);
	snprintf(layer_path, sizeof(layer_path), "blobs/sha256/%s", layer_digest + 7);
	char *docker = pack_dump(p, json_pack("[{s:s, s:[s], s:[s]}]", "Config", config_path, "RepoTags", ref,
					       "Layers", layer_path));
	if (!docker)
		return -1;
	rc = tar_add_file(out, "manifest.json", 0644, docker, strlen(docker), p->err, sizeof(p->err));
	free(docker);
	if (rc != 0)
		return -1;
	return tar_finish(out, p->err, sizeof(p->err));
}

/* Writes buf to path through a temporary file in the same directory, renamed over it when complete. */
static int pack_write(struct pack *p, const char *path, const uint8_t *buf, size_t len)
{
	char tmp[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= sizeof(tmp)) {
		snprintf(p->err, sizeof(p->err), "%.200s: path too long", path);
		return -1;
	}
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(p->err, sizeof(p->err), "%.200s: cannot create a file beside it: %.200s", path, strerror(errno));
		return -1;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	int e = errno;
	if (done == len && (fchmod(fd, 0644) != 0 || fsync(fd) != 0))
		done = 0, e = errno;
	if (close(fd) != 0 && done == len)
		done = 0, e = errno;
	if (done != len || rename(tmp, path) != 0) {
		if (done == len)
			e = errno;
		snprintf(p->err, sizeof(p->err), "%.200s: cannot write: %.200s", path, strerror(e));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int oci_pack_main(int argc, char **argv)
{
	const char *image_path = NULL, *output = NULL, *name = NULL;
	const char *files[PACK_MAX_FILES];
	int nfiles = 0;
	bool only_operands = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!only_operands && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
			fputs(pack_usage, stdout);
			return 0;
		}
		if (!only_operands && strcmp(a, "--") == 0) {
			only_operands = true;
		} else if (!only_operands && (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 || strcmp(a, "--name") == 0)) {
			if (i + 1 == argc) {
				log_error("oci pack: %s needs a value (see mica oci pack --help)", a);
				return MICA_EXIT_FAILURE;
			}
			*(strcmp(a, "--name") == 0 ? &name : &output) = argv[++i];
		} else if (!only_operands && strncmp(a, "--output=", 9) == 0) {
			output = a + 9;
		} else if (!only_operands && strncmp(a, "--name=", 7) == 0) {
			name = a + 7;
		} else if (!only_operands && a[0] == '-' && a[1]) {
			log_error("oci pack: unknown option '%s' (see mica oci pack --help)", a);
			return MICA_EXIT_FAILURE;
		} else if (!image_path) {
			image_path = a;
		} else if (nfiles == PACK_MAX_FILES) {
			log_error("oci pack: more than %d FILE arguments; put them in a directory", PACK_MAX_FILES);
			return MICA_EXIT_FAILURE;
		} else {
			files[nfiles++] = a;
		}
	}
	if (!image_path || !output) {
		log_error("oci pack: %s (see mica oci pack --help)", !image_path ? "no IMAGE given" : "no -o TAR given");
		return MICA_EXIT_FAILURE;
	}

	/* Static: the directory list is too big for a stack frame; cleared for each call. */
	static struct pack pk;
	struct pack *p = &pk;
	memset(p, 0, sizeof(*p));
	struct tar out = {0};
	uint8_t *image = NULL;
	size_t image_len = 0;
	int rc = MICA_EXIT_FAILURE;
	struct image img;
	char why[256];
	if (pack_read(p, image_path, &image, &image_len) != 0) {
		log_error("oci pack: %s", p->err);
		return MICA_EXIT_FAILURE;
	}
	if (image_parse(image, image_len, &img, why, sizeof(why)) != 0) {
		log_error("oci pack: %s: not a Mica image: %s", image_path, why);
		goto out;
	}
	/* A valid name without a tag has at most 255 characters: room for ":latest" after it. */
	char ref[400];
	if (name && strlen(name) >= sizeof(ref) - 8) {
		log_error("oci pack: the image name is longer than image names may be");
		goto out;
	}
	if (name) {
		snprintf(ref, sizeof(ref), "%s", name);
	} else {
		/* The application's name, lowercased: image references allow no capitals. */
		size_t n = 0;
		for (const char *c = img.note.app; *c && n < sizeof(ref) - 8; c++)
			ref[n++] = ('A' <= *c && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;
		ref[n] = 0;
	}
	const char *tag;
	if (!oci_pack_name_valid(ref, &tag)) {
		log_error("oci pack: '%s' is not a valid image name: use lowercase letters, digits, '.', '_', '-' "
			  "and '/', then an optional :TAG%s", ref, name ? "" : " (give one with --name)");
		goto out;
	}
	if (!tag)
		strcat(ref, ":latest");

	const char *base = strrchr(image_path, '/');
	p->image_entry = base ? base + 1 : image_path;
	if (tar_add_file(&p->layer, p->image_entry, 0755, image, image_len, p->err, sizeof(p->err)) != 0)
		goto fail;
	free(image);
	image = NULL;
	for (int i = 0; i < nfiles; i++)
		if (pack_add_arg(p, files[i]) != 0)
			goto fail;
	if (tar_finish(&p->layer, p->err, sizeof(p->err)) != 0 ||
	    pack_archive(p, &out, ref, image_platform_name(img.note.platform)) != 0 ||
	    pack_write(p, output, out.buf, out.len) != 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	log_error("oci pack: %s", p->err);
out:
	free(image);
	tar_free(&out);
	tar_free(&p->layer);
	for (int i = 0; i < p->ndirs; i++)
		free(p->dirs[i]);
	p->ndirs = 0;
	return rc;
}
