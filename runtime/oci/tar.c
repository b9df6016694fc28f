/* POSIX (ustar + pax) tar writer: reproducible archives of root-owned entries with fixed dates. */
#include "oci/tar.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAR_BLOCK 512
/* The largest size 11 octal digits hold; bigger files would need a pax "size" record. */
#define TAR_MAX_SIZE 077777777777ULL

static int tar_reserve(struct tar *t, size_t more, char *err, size_t errlen)
{
	if (t->len + more <= t->cap)
		return 0;
	size_t cap = t->cap ? t->cap : 64 * 1024;
	while (cap < t->len + more) {
		if (cap > SIZE_MAX / 2) {
			snprintf(err, errlen, "archive too large");
			return -1;
		}
		cap *= 2;
	}
	uint8_t *b = realloc(t->buf, cap);
	if (!b) {
		snprintf(err, errlen, "out of memory for a %zu-byte archive", cap);
		return -1;
	}
	t->buf = b;
	t->cap = cap;
	return 0;
}

/* Data padded with zeros to a whole number of blocks. */
static int tar_append(struct tar *t, const void *data, size_t len, char *err, size_t errlen)
{
	size_t padded = (len + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
	if (padded < len || tar_reserve(t, padded, err, errlen) != 0) {
		if (padded < len)
			snprintf(err, errlen, "archive too large");
		return -1;
	}
	if (len)
		memcpy(t->buf + t->len, data, len);
	memset(t->buf + t->len + len, 0, padded - len);
	t->len += padded;
	return 0;
}

static void tar_octal(char *field, size_t width, unsigned long long v)
{
	/* width - 1 digits and a NUL, as GNU and BSD tar write them. */
	snprintf(field, width, "%0*llo", (int)(width - 1), v);
}

/* Fits name into ustar's prefix (155) + '/' + name (100) split; false if no '/' allows it. */
static bool tar_split(const char *name, char prefix[156], char base[101])
{
	size_t n = strlen(name);
	if (n <= 100) {
		prefix[0] = 0;
		memcpy(base, name, n + 1);
		return true;
	}
	for (size_t i = n - 1; i > 0; i--) {
		if (name[i] != '/')
			continue;
		if (n - i - 1 > 100 || n - i - 1 == 0)
			return false;
		if (i <= 155) {
			memcpy(prefix, name, i);
			prefix[i] = 0;
			memcpy(base, name + i + 1, n - i);
			return true;
		}
	}
	return false;
}

static int tar_header(struct tar *t, const char *name, char type, unsigned int mode, unsigned long long size,
		      char *err, size_t errlen)
{
	char h[TAR_BLOCK];
	memset(h, 0, sizeof(h));
	char prefix[156], base[101];
	if (!tar_split(name, prefix, base)) {
		/* A pax header whose "path" record carries the whole name; ustar gets a truncation. */
		size_t n = strlen(name);
		char rec[32 + 4096];
		if (n > 4096) {
			snprintf(err, errlen, "%.64s...: path too long for an archive", name);
			return -1;
		}
		/* The record's length counts its own digits: settle them by iterating. */
		size_t total = n + 7, prev = 0;
		while (total != prev) {
			prev = total;
			total = (size_t)snprintf(NULL, 0, "%zu path=%s\n", prev, name);
		}
		snprintf(rec, sizeof(rec), "%zu path=%s\n", total, name);
		if (tar_header(t, "PaxHeaders/path", 'x', 0644, total, err, errlen) != 0 ||
		    tar_append(t, rec, total, err, errlen) != 0)
			return -1;
		prefix[0] = 0;
		memcpy(base, name + n - 100, 101);
		if (base[0] == '/')
			base[0] = '_';
	}
	memcpy(h, base, strlen(base));
	tar_octal(h + 100, 8, mode & 07777);
	tar_octal(h + 108, 8, 0);
	tar_octal(h + 116, 8, 0);
	tar_octal(h + 124, 12, size);
	tar_octal(h + 136, 12, TAR_MTIME);
	memset(h + 148, ' ', 8);
	h[156] = type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memcpy(h + 265, "root", 4);
	memcpy(h + 297, "root", 4);
	memcpy(h + 345, prefix, strlen(prefix));
	unsigned int sum = 0;
	for (int i = 0; i < TAR_BLOCK; i++)
		sum += (uint8_t)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	return tar_append(t, h, sizeof(h), err, errlen);
}

static int tar_check_name(const char *name, char *err, size_t errlen)
{
	if (!name[0] || name[0] == '/') {
		snprintf(err, errlen, "'%s': archive entries need a relative, non-empty name", name);
		return -1;
	}
	return 0;
}

int tar_add_file(struct tar *t, const char *name, unsigned int mode, const void *data, size_t len,
		 char *err, size_t errlen)
{
	if (tar_check_name(name, err, errlen) != 0)
		return -1;
	if ((unsigned long long)len > TAR_MAX_SIZE) {
		snprintf(err, errlen, "%s: larger than 8 GiB, which this archive format does not hold", name);
		return -1;
	}
	if (tar_header(t, name, '0', mode, len, err, errlen) != 0)
		return -1;
	return tar_append(t, data, len, err, errlen);
}

int tar_add_dir(struct tar *t, const char *name, unsigned int mode, char *err, size_t errlen)
{
	if (tar_check_name(name, err, errlen) != 0)
		return -1;
	size_t n = strlen(name);
	char *slashed = malloc(n + 2);
	if (!slashed) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(slashed, name, n);
	slashed[n] = '/';
	slashed[n + 1] = 0;
	int rc = tar_header(t, slashed, '5', mode, 0, err, errlen);
	free(slashed);
	return rc;
}

int tar_finish(struct tar *t, char *err, size_t errlen)
{
	static const uint8_t zeros[2 * TAR_BLOCK];
	return tar_append(t, zeros, sizeof(zeros), err, errlen);
}

void tar_free(struct tar *t)
{
	free(t->buf);
	*t = (struct tar){0};
}
