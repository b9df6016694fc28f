/* fuzz-sources: runtime/image/size.c */
/* libFuzzer harness: arbitrary strings through size_parse, accepted sizes through size_format. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char buf[SIZE_FORMAT_MAX];
	uint64_t v;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (size_parse(s, &v) == 0) {
		if (v == 0)
			abort();
		size_format(v, buf, sizeof buf);
		/* An exact format must fit: a truncated one would misstate the size. */
		if (strlen(buf) + 1 >= sizeof buf)
			abort();
	}
	free(s);
	return 0;
}
