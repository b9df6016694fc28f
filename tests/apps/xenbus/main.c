/* Test guest: the xenstore, xenbus and grant-table clients of plat/common against mica's daemon. */
#include <xen/errno.h>
#include <mica/abi.h>
#include <mica/gnttab.h>
#include <mica/plat.h>
#include <mica/print.h>
#include <mica/string.h>
#include <mica/xenstore.h>
#include <xen/io/xs_wire.h> /* after stdint.h */

#define XENBUS_GRANTS 600
#define XENBUS_NS 1000000ULL

static int xenbus_failed;

static void xenbus_check(int ok, const char *name, int got)
{
	if (ok) {
		printf("ok - %s\n", name);
	} else {
		printf("not ok - %s (got %d)\n", name, got);
		xenbus_failed = 1;
	}
}

static char xenbus_buf[XENSTORE_PAYLOAD_MAX + 1];
static char xenbus_big[XENSTORE_PAYLOAD_MAX + 2];
static char xenbus_page[4096] __attribute__((aligned(4096)));

static void xenbus_test_paths(void)
{
	int rc = xs_write("xbt/a", "one");
	xenbus_check(rc == 0, "write a relative path", rc);
	rc = xs_read("xbt/a", xenbus_buf, sizeof(xenbus_buf));
	xenbus_check(rc == 3 && strcmp(xenbus_buf, "one") == 0, "read it back relative", rc);
	rc = xs_read("/local/domain/1/xbt/a", xenbus_buf, sizeof(xenbus_buf));
	xenbus_check(rc == 3 && strcmp(xenbus_buf, "one") == 0, "read it back absolute", rc);
	rc = xs_write("/local/domain/1/xbt/b", "");
	xenbus_check(rc == 0, "write an absolute path, empty value", rc);
	rc = xs_read("xbt/b", xenbus_buf, sizeof(xenbus_buf));
	xenbus_check(rc == 0 && xenbus_buf[0] == '\0', "read an empty value", rc);
	rc = xs_read("xbt/a", xenbus_buf, 3);
	xenbus_check(rc == -XEN_E2BIG, "read into a buffer too small is E2BIG", rc);

	rc = xs_directory("xbt", xenbus_buf, sizeof(xenbus_buf));
	xenbus_check(rc == 4 && memcmp(xenbus_buf, "a\0b\0", 4) == 0, "directory lists a and b", rc);
	rc = xs_directory("xbt/a", xenbus_buf, sizeof(xenbus_buf));
	xenbus_check(rc == 0, "directory of a leaf is empty", rc);

	rc = xs_rm("xbt/b");
	xenbus_check(rc == 0, "rm", rc);
	rc = xs_read("xbt/b", xenbus_buf, sizeof(xenbus_buf));
	xenbus_check(rc == -XEN_ENOENT, "read after rm is ENOENT", rc);
	rc = xs_read("no/such/node", xenbus_buf, sizeof(xenbus_buf));
	xenbus_check(rc == -XEN_ENOENT, "read of a missing node is ENOENT", rc);
	rc = xs_write("/local/domain/0/x", "1");
	xenbus_check(rc == -XEN_EACCES, "write outside the home is EACCES", rc);
	rc = xs_write("bad//path", "1");
	xenbus_check(rc == -XEN_EINVAL, "write of an invalid path is EINVAL", rc);

	unsigned long v = 0;
	xs_write("xbt/n", "4096");
	rc = xs_read_uint("xbt/n", &v);
	xenbus_check(rc == 0 && v == 4096, "read_uint", rc);
	rc = xs_read_uint("xbt/a", &v);
	xenbus_check(rc == -XEN_EINVAL, "read_uint of a word is EINVAL", rc);
}

/* The biggest message the store takes is 4096 payload bytes: "v\0" and a 4094-byte value. */
static void xenbus_test_sizes(void)
{
	size_t max = XENSTORE_PAYLOAD_MAX - 2;
	for (size_t i = 0; i < max; i++)
		xenbus_big[i] = (char)('a' + i % 26);
	xenbus_big[max] = '\0';
	int rc = xs_write("v", xenbus_big);
	xenbus_check(rc == 0, "write a value filling the 4096-byte payload", rc);
	memset(xenbus_buf, 0, sizeof(xenbus_buf));
	rc = xs_read("v", xenbus_buf, sizeof(xenbus_buf));
	xenbus_check(rc == (int)max && memcmp(xenbus_buf, xenbus_big, max) == 0,
		     "read back all 4094 bytes of it through the 1024-byte ring", rc);
	xenbus_big[max] = 'x';
	xenbus_big[max + 1] = '\0';
	rc = xs_write("v", xenbus_big);
	xenbus_check(rc == -XEN_EINVAL, "one byte more is EINVAL", rc);
	for (size_t i = 0; i < XENSTORE_PAYLOAD_MAX; i++)
		xenbus_big[i] = 'z';
	xenbus_big[XENSTORE_PAYLOAD_MAX] = '\0';
	rc = xs_write("v", xenbus_big);
	xenbus_check(rc == -XEN_EINVAL, "a 4096-byte value is EINVAL", rc);
	rc = xs_read("v", xenbus_buf, sizeof(xenbus_buf));
	xenbus_check(rc == (int)max, "the refused writes left the value alone", rc);
	rc = xs_read("xbt/a", xenbus_buf, sizeof(xenbus_buf));
	xenbus_check(rc == 3, "the store still answers after them", rc);
}

static void xenbus_test_watches(void)
{
	char path[300];
	int rc = xs_watch("xbt/w", "tok");
	xenbus_check(rc == 0, "watch", rc);
	rc = xs_wait_watch("tok", path, sizeof(path), plat_time_ns() + 1000 * XENBUS_NS);
	xenbus_check(rc == 0 && strcmp(path, "xbt/w") == 0, "watch fires once at registration", rc);
	rc = xs_write("xbt/w/x", "1");
	xenbus_check(rc == 0, "write under the watch", rc);
	rc = xs_wait_watch("tok", path, sizeof(path), plat_time_ns() + 1000 * XENBUS_NS);
	xenbus_check(rc == 0 && strcmp(path, "xbt/w/x") == 0, "the write fires it with the changed path", rc);
	rc = xs_watch("/local/domain/1/xbt/w", "abs");
	xs_wait_watch("abs", path, sizeof(path), plat_time_ns() + 1000 * XENBUS_NS);
	xs_write("xbt/w", "2");
	rc = xs_wait_watch("abs", path, sizeof(path), plat_time_ns() + 1000 * XENBUS_NS);
	xenbus_check(rc == 0 && strcmp(path, "/local/domain/1/xbt/w") == 0,
		     "an absolute watch gets the absolute path", rc);
	rc = xs_wait_watch("tok", path, sizeof(path), plat_time_ns() + 1000 * XENBUS_NS);
	xenbus_check(rc == 0 && strcmp(path, "xbt/w") == 0, "the other token got the same change", rc);
	rc = xs_watch("xbt/w", "tok");
	xenbus_check(rc == -XEN_EEXIST, "the same watch twice is EEXIST", rc);

	uint64_t t0 = plat_time_ns();
	rc = xs_wait_watch("tok", path, sizeof(path), t0 + 20 * XENBUS_NS);
	uint64_t waited = plat_time_ns() - t0;
	xenbus_check(rc == -XEN_ETIMEDOUT && waited >= 20 * XENBUS_NS, "wait_watch times out, not before 20 ms",
		     rc);
	rc = xs_unwatch("xbt/w", "tok");
	xenbus_check(rc == 0, "unwatch", rc);
	xs_write("xbt/w", "3");
	rc = xs_wait_watch("tok", path, sizeof(path), plat_time_ns() + 10 * XENBUS_NS);
	xenbus_check(rc == -XEN_ETIMEDOUT, "no event after unwatch", rc);
	rc = xs_unwatch("xbt/w", "tok");
	xenbus_check(rc == -XEN_ENOENT, "unwatch of an unknown watch is ENOENT", rc);
	xs_unwatch("/local/domain/1/xbt/w", "abs");
}

static void xenbus_test_states(void)
{
	int rc = xenbus_switch_state("xbt/dev", XenbusStateInitialised);
	xenbus_check(rc == 0, "switch_state", rc);
	XenbusState s = xenbus_read_state("xbt/dev");
	xenbus_check(s == XenbusStateInitialised, "read_state", (int)s);
	s = xenbus_read_state("xbt/none");
	xenbus_check(s == XenbusStateUnknown, "read_state of a missing node is Unknown", (int)s);
	s = xenbus_wait_state("xbt/dev", XenbusStateInitWait, UINT64_MAX);
	xenbus_check(s == XenbusStateInitialised, "wait_state returns at once when already past", (int)s);
	uint64_t t0 = plat_time_ns();
	s = xenbus_wait_state("xbt/dev", XenbusStateConnected, t0 + 20 * XENBUS_NS);
	xenbus_check(s == XenbusStateInitialised && plat_time_ns() - t0 >= 20 * XENBUS_NS,
		     "wait_state gives up at the deadline with the last state", (int)s);
	xenbus_switch_state("xbt/dev", XenbusStateClosing);
	s = xenbus_wait_state("xbt/dev", XenbusStateConnected, UINT64_MAX);
	xenbus_check(s == XenbusStateClosing, "Closing ends a wait for Connected", (int)s);
}

static void xenbus_test_grants(void)
{
	static grant_ref_t refs[XENBUS_GRANTS];
	int rc = 0;
	unsigned int n = 0, low = 0;
	for (; n < XENBUS_GRANTS && rc == 0; n++) {
		rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)xenbus_page, n % 2, &refs[n]);
		low += refs[n] < GNTTAB_NR_RESERVED_ENTRIES;
	}
	xenbus_check(rc == 0 && gnttab_refs_in_use() == XENBUS_GRANTS, "grant 600 refs (over two table frames)", rc);
	xenbus_check(low == 0, "no reserved ref (0..7) handed out", (int)low);
	rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)xenbus_page + 1, false, &refs[0]);
	xenbus_check(rc == -XEN_EINVAL, "an unaligned page is EINVAL", rc);
	int bad = 0;
	for (unsigned int i = 0; i < XENBUS_GRANTS; i++)
		if ((rc = gnttab_end(refs[i])) != 0)
			bad++;
	xenbus_check(bad == 0 && gnttab_refs_in_use() == 0, "end them all: no ref in use", bad);
	rc = gnttab_end(refs[0]);
	xenbus_check(rc == -XEN_EINVAL, "end of a ref not in use is EINVAL", rc);
	rc = gnttab_end(3);
	xenbus_check(rc == -XEN_EINVAL, "end of a reserved ref is EINVAL", rc);
	grant_ref_t again;
	rc = gnttab_grant(MICA_DOMID_BACKEND, (uintptr_t)xenbus_page, false, &again);
	xenbus_check(rc == 0 && again >= GNTTAB_NR_RESERVED_ENTRIES && again < GNTTAB_NR_RESERVED_ENTRIES + XENBUS_GRANTS,
		     "an ended ref is reused", rc);
	gnttab_end(again);
}

/* `xenbus reads N`: N reads and nothing else, so the host can count hypercalls per request. */
static int xenbus_reads(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		int rc = xs_read("/local/domain/1", xenbus_buf, sizeof(xenbus_buf));
		if (rc < 0) {
			printf("xenbus: read %lu failed: %d\n", i, rc);
			return 1;
		}
	}
	printf("xenbus: %lu reads\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "reads") == 0)
		return xenbus_reads(strtoul(argv[2], 0, 10));
	xenbus_test_paths();
	xenbus_test_sizes();
	xenbus_test_watches();
	xenbus_test_states();
	xenbus_test_grants();
	return xenbus_failed;
}
