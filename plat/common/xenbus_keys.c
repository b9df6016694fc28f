/* Reading, writing and checking the keys of a device's xenstore directory, for every frontend. */
#include <arch/string.h>
#include <xen/errno.h>
#include <mica/xenbus_keys.h>
#include <mica/xenstore.h>

/* <dir>/<key> into path; -XEN_ENAMETOOLONG when it does not fit. */
static int xenbus_key_path(char path[XENBUS_KEY_PATH_MAX], const char *dir, const char *key)
{
	size_t d = 0, k = 0;

	while (dir[d])
		d++;
	while (key[k])
		k++;
	if (d + 1 + k + 1 > XENBUS_KEY_PATH_MAX)
		return -XEN_ENAMETOOLONG;
	memcpy(path, dir, d);
	path[d] = '/';
	memcpy(path + d + 1, key, k + 1);
	return 0;
}

int xenbus_read_key(const char *dir, const char *key, char *buf, size_t len)
{
	char path[XENBUS_KEY_PATH_MAX];
	int rc = xenbus_key_path(path, dir, key);
	return rc < 0 ? rc : xs_read(path, buf, len);
}

int xenbus_write_key(const char *dir, const char *key, const char *value)
{
	char path[XENBUS_KEY_PATH_MAX];
	int rc = xenbus_key_path(path, dir, key);
	return rc < 0 ? rc : xs_write(path, value);
}

int xenbus_write_uint(const char *dir, const char *key, uint64_t v)
{
	char value[21], *p = value + sizeof(value);

	*--p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return xenbus_write_key(dir, key, p);
}

static int xenbus_parse_u64(const char *s, uint64_t *v)
{
	uint64_t n = 0;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*v = n;
	return 0;
}

int xenbus_read_u64(const char *dir, const char *key, uint64_t *v)
{
	char buf[32];
	int rc = xenbus_read_key(dir, key, buf, sizeof(buf));
	if (rc == -XEN_ENOENT || (rc >= 0 && buf[0] == '\0')) {
		*v = 0;
		return 0;
	}
	return rc < 0 ? -1 : xenbus_parse_u64(buf, v);
}

bool xenbus_path_ok(const char *p)
{
	if (p[0] != '/' || p[1] == '\0')
		return false;
	for (const char *c = p; *c; c++) {
		bool name = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			    (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '@';
		if (!name && !(*c == '/' && c[1] != '/' && c[1] != '\0'))
			return false;
	}
	return true;
}
