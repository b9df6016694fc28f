/* unit-sources: runtime/image/size.c */
/* Unit tests of the memory size parser and formatter. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "image/size.h"
#include "unit.h"

static void test_parse_ok(const char *s, uint64_t want)
{
	char name[64];
	uint64_t got = 0;
	int r = size_parse(s, &got);

	snprintf(name, sizeof name, "parses \"%s\"", s);
	unit_check(r == 0 && got == want, name, "returned %d, value %" PRIu64 ", want %" PRIu64, r, got, want);
}

static void test_parse_bad(const char *s)
{
	char name[64];
	uint64_t got = 12345;
	int r = size_parse(s, &got);

	snprintf(name, sizeof name, "rejects \"%s\"", s);
	unit_check(r == -1 && got == 12345, name, "returned %d, value %" PRIu64, r, got);
}

static void test_format(uint64_t bytes, const char *want)
{
	char name[64], buf[SIZE_FORMAT_MAX];

	size_format(bytes, buf, sizeof buf);
	snprintf(name, sizeof name, "formats %" PRIu64 " as \"%s\"", bytes, want);
	unit_check(strcmp(buf, want) == 0, name, "got \"%s\"", buf);
}

int main(void)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "1", 1 },
		{ "1048576", 1048576 },
		{ "512K", 512 << 10 },
		{ "512k", 512 << 10 },
		{ "512KiB", 512 << 10 },
		{ "512kib", 512 << 10 },
		{ "512KB", 512 << 10 },
		{ "64M", 64 << 20 },
		{ "64m", 64 << 20 },
		{ "64MiB", 64 << 20 },
		{ "64MB", 64 << 20 },
		{ "64mb", 64 << 20 },
		{ "1G", UINT64_C(1) << 30 },
		{ "1GiB", UINT64_C(1) << 30 },
		{ "1gB", UINT64_C(1) << 30 },
		{ "0064M", 64 << 20 },
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183G", UINT64_C(17179869183) << 30 },
		{ "17592186044415M", UINT64_C(17592186044415) << 20 },
	};
	static const char *const bad[] = {
		"", "0", "0K", "000", "-1", "+1", " 1", "1 ", "1K ", "1 K", "1.5M", "M", "K", "KiB",
		"1T", "1KK", "1Ki", "1iB", "1B", "1b", "1KiBB", "1KBB", "1Kib ", "0x10", "1e6",
		"18446744073709551616", "99999999999999999999999", "17179869184G", "17592186044416M",
		"18014398509481984K", "64M;",
	};
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		test_parse_ok(good[i].s, good[i].v);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		test_parse_bad(bad[i]);

	test_format(0, "0 bytes");
	test_format(1, "1 byte");
	test_format(100, "100 bytes");
	test_format(1023, "1023 bytes");
	test_format(1024, "1 KiB");
	test_format(1536, "1.5 KiB");
	test_format(6348, "6.1 KiB");
	test_format(132 << 10, "132 KiB");
	test_format((1 << 20) - 1, "1023.9 KiB");
	test_format(64 << 20, "64 MiB");
	test_format((64 << 20) + 512, "64.0 MiB");
	test_format(UINT64_C(1) << 30, "1 GiB");
	test_format(UINT64_C(3) << 30, "3 GiB");
	test_format((UINT64_C(1) << 30) + (1 << 20), "1025 MiB");
	test_format((UINT64_C(3) << 29) + 1, "1.5 GiB");
	test_format(UINT64_MAX - (UINT64_C(1) << 30) + 1, "17179869183 GiB");
	test_format(UINT64_MAX, "17179869183.9 GiB");
	{
		char small[5];

		size_format(64 << 20, small, sizeof small);
		unit_check(strcmp(small, "64 M") == 0, "truncates to a small buffer", "got \"%s\"", small);
	}
	return unit_exit_status();
}
