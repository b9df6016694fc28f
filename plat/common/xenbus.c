/* The xenbus handshake (xen/io/xenbus.h states) on top of the xenstore client. */
#include <arch/string.h>
#include <xen/errno.h>
#include <mica/plat.h>
#include <mica/xenstore.h>

/* The store refuses longer paths anyway (docs/abi.md §11). */
#define XENBUS_PATH_MAX 256

/* <dir>/state into buf; false when it does not fit. */
static bool xenbus_state_path(const char *dir, char buf[XENBUS_PATH_MAX + 1])
{
	static const char leaf[] = "/state";
	size_t n = 0;
	while (dir[n])
		n++;
	if (n + sizeof(leaf) > XENBUS_PATH_MAX + 1)
		return false;
	memcpy(buf, dir, n);
	memcpy(buf + n, leaf, sizeof(leaf));
	return true;
}

int xenbus_switch_state(const char *dir, XenbusState state)
{
	char path[XENBUS_PATH_MAX + 1], value[12];
	if (!xenbus_state_path(dir, path) || (unsigned int)state > 99)
		return -XEN_EINVAL;
	unsigned int v = (unsigned int)state, at = 0;
	if (v >= 10)
		value[at++] = (char)('0' + v / 10);
	value[at++] = (char)('0' + v % 10);
	value[at] = '\0';
	return xs_write(path, value);
}

static XenbusState xenbus_read_path(const char *path)
{
	unsigned long v;
	if (xs_read_uint(path, &v) != 0 || v > XenbusStateReconfigured)
		return XenbusStateUnknown;
	return (XenbusState)v;
}

XenbusState xenbus_read_state(const char *dir)
{
	char path[XENBUS_PATH_MAX + 1];
	return xenbus_state_path(dir, path) ? xenbus_read_path(path) : XenbusStateUnknown;
}

static bool xenbus_state_done(XenbusState s, XenbusState want)
{
	return s >= want || s == XenbusStateClosing || s == XenbusStateClosed;
}

XenbusState xenbus_wait_state(const char *dir, XenbusState want, uint64_t deadline_ns)
{
	static const char token[] = "xenbus-state";
	char path[XENBUS_PATH_MAX + 1];
	if (!xenbus_state_path(dir, path))
		return XenbusStateUnknown;
	/* The backend usually got there already: one read, and no watch to set up and take down. */
	XenbusState s = xenbus_read_path(path);
	if (xenbus_state_done(s, want) || xs_watch(path, token) != 0)
		return s;
	/* The watch fires once at registration, so a change between the read and it is not missed. */
	while (!xenbus_state_done(s, want)) {
		if (xs_wait_watch(token, 0, 0, deadline_ns) != 0)
			break;
		s = xenbus_read_path(path);
	}
	xs_unwatch(path, token);
	return s;
}
