/* unit-sources: arch/x86_64/string.S lib/core/string.c */
/* unit-cflags: -Dmemcpy=mica_memcpy -Dmemmove=mica_memmove -Dmemset=mica_memset -Dmemcmp=mica_memcmp -Dstrlen=mica_strlen -Dstrnlen=mica_strnlen -Dstrcmp=mica_strcmp -Dstrncmp=mica_strncmp -Dstrchr=mica_strchr -Dmemchr=mica_memchr */
/*
 * Host test of the memory primitives in arch/x86_64/string.S and the string functions of
 * lib/core against the host C library (reached through __builtin_*), over every small length
 * and alignment, overlapping moves in both directions included.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <mica/string.h>
#include "unit.h"

static unsigned char src[600], a[600], b[600];

static void seed(void)
{
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)(i * 131 + 7);
}

static int sign(int x) { return (x > 0) - (x < 0); }

static void test_mem(void)
{
	char detail[128] = "";
	int ok = 1;

	seed();
	for (size_t off = 0; off < 9 && ok; off++) {
		for (size_t n = 0; n < 300 && ok; n++) {
			__builtin_memset(a, 0xee, sizeof(a));
			void *r = memcpy(a + off, src + 3, n);
			ok = r == a + off && __builtin_memcmp(a + off, src + 3, n) == 0 && a[off + n] == 0xee &&
			     (off == 0 || a[off - 1] == 0xee);
			snprintf(detail, sizeof(detail), "offset %zu length %zu", off, n);
		}
	}
	unit_check(ok, "memcpy copies exactly n bytes at any alignment", "%s", detail);

	ok = 1;
	for (int shift = -20; shift <= 20 && ok; shift++) {
		for (size_t n = 0; n < 260 && ok; n++) {
			__builtin_memcpy(a, src, sizeof(a));
			__builtin_memcpy(b, src, sizeof(b));
			void *r = memmove(a + 100 + shift, a + 100, n);
			__builtin_memmove(b + 100 + shift, b + 100, n);
			ok = r == a + 100 + shift && __builtin_memcmp(a, b, sizeof(a)) == 0;
			snprintf(detail, sizeof(detail), "shift %d length %zu", shift, n);
		}
	}
	unit_check(ok, "memmove handles overlap in both directions", "%s", detail);

	ok = 1;
	for (size_t n = 0; n < 300 && ok; n++) {
		__builtin_memset(a, 0x11, sizeof(a));
		void *r = memset(a + 5, 0x1ab, n);
		ok = r == a + 5 && a[4] == 0x11 && a[5 + n] == 0x11;
		for (size_t i = 0; i < n && ok; i++)
			ok = a[5 + i] == 0xab;
		snprintf(detail, sizeof(detail), "length %zu", n);
	}
	unit_check(ok, "memset fills n bytes with the low byte of c", "%s", detail);

	ok = memcmp(a, b, 0) == 0;
	for (size_t n = 1; n < 200 && ok; n++) {
		for (size_t pos = 0; pos < n && ok; pos += 7) {
			__builtin_memcpy(a, src, n);
			__builtin_memcpy(b, src, n);
			b[pos] = (unsigned char)(a[pos] + 0x90);
			ok = sign(memcmp(a, b, n)) == sign(__builtin_memcmp(a, b, n)) &&
			     sign(memcmp(b, a, n)) == -sign(memcmp(a, b, n)) && memcmp(a, a, n) == 0 &&
			     memcmp(a, b, pos) == 0;
			snprintf(detail, sizeof(detail), "length %zu difference at %zu", n, pos);
		}
	}
	unit_check(ok, "memcmp compares as unsigned bytes and stops at n", "%s", detail);
}

static void test_str(void)
{
	static const char *const words[] = {"", "a", "ab", "abc", "abd", "abcd", "b", "\xff", "\x01", "hello world"};
	const size_t nw = sizeof(words) / sizeof(words[0]);
	int ok = 1;

	for (size_t i = 0; i < nw; i++) {
		ok = ok && strlen(words[i]) == __builtin_strlen(words[i]);
		for (size_t m = 0; m < 6; m++)
			ok = ok && strnlen(words[i], m) == (__builtin_strlen(words[i]) < m ? __builtin_strlen(words[i]) : m);
	}
	unit_check(ok, "strlen and strnlen", "length differs");

	ok = 1;
	for (size_t i = 0; i < nw; i++) {
		for (size_t j = 0; j < nw; j++) {
			ok = ok && sign(strcmp(words[i], words[j])) == sign(__builtin_strcmp(words[i], words[j]));
			for (size_t n = 0; n < 5; n++)
				ok = ok && sign(strncmp(words[i], words[j], n)) ==
						   sign(__builtin_strncmp(words[i], words[j], n));
		}
	}
	unit_check(ok, "strcmp and strncmp order like the host, bytes unsigned", "order differs");

	const char *s = "hello world";
	ok = strchr(s, 'o') == s + 4 && strchr(s, 'z') == NULL && strchr(s, '\0') == s + 11 &&
	     strchr(s, 'h' + 256) == s;
	unit_check(ok, "strchr finds the first match, the terminator included", "wrong position");

	ok = memchr(s, 'o', 11) == s + 4 && memchr(s, 'o', 4) == NULL && memchr(s, 'd', 11) == s + 10 &&
	     memchr(s, 0, 12) == s + 11 && memchr(s, 'h', 0) == NULL && memchr("\xff", 0xff, 1) != NULL;
	unit_check(ok, "memchr stops at n and compares as unsigned char", "wrong position");
}

int main(void)
{
	test_mem();
	test_str();
	return unit_exit_status();
}
