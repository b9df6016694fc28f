/* Memory size parsing and formatting shared by the command line, error messages and inspect. */
#include "size.h"

#include <inttypes.h>
#include <stdio.h>

static int size_unit_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	default: return -1;
	}
}

int size_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	int shift;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (*p != '\0') {
		shift = size_unit_shift(*p++);
		if (shift < 0)
			return -1;
		/* "iB" must be whole: "64Mi" is more likely a typo than a size. */
		if (*p == 'i' || *p == 'I') {
			p++;
			if (*p != 'b' && *p != 'B')
				return -1;
			p++;
		} else if (*p == 'b' || *p == 'B') {
			p++;
		}
		if (*p != '\0' || v > UINT64_MAX >> shift)
			return -1;
		v <<= shift;
	}
	if (v == 0)
		return -1;
	*out = v;
	return 0;
}

void size_format(uint64_t bytes, char *buf, size_t len)
{
	static const struct {
		int shift;
		const char *name;
	} units[] = { { 30, "GiB" }, { 20, "MiB" }, { 10, "KiB" } };
	size_t i;

	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		uint64_t unit = UINT64_C(1) << units[i].shift;

		if (bytes != 0 && bytes % unit == 0) {
			snprintf(buf, len, "%" PRIu64 " %s", bytes >> units[i].shift, units[i].name);
			return;
		}
	}
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		uint64_t unit = UINT64_C(1) << units[i].shift;

		/* Truncating, not rounding, so that 1023.96 KiB never shows as a misleading "1024.0". */
		if (bytes >= unit) {
			snprintf(buf, len, "%" PRIu64 ".%" PRIu64 " %s", bytes >> units[i].shift,
				 (bytes & (unit - 1)) * 10 >> units[i].shift, units[i].name);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64 " %s", bytes, bytes == 1 ? "byte" : "bytes");
}
