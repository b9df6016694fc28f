/* unit-sources: lib/core/format.c lib/core/console.c lib/core/libc_stdio.c lib/core/string.c */
/* unit-cflags: -Dprintf=mica_printf -Dvprintf=mica_vprintf -Dsnprintf=mica_snprintf -Dvsnprintf=mica_vsnprintf -Dputs=mica_puts -Dputchar=mica_putchar -Dstrlen=mica_strlen -Dstrnlen=mica_strnlen -Dstrcmp=mica_strcmp -Dstrncmp=mica_strncmp -Dstrchr=mica_strchr -Dmemchr=mica_memchr */
/*
 * Host test of lib/core's formatting: vsnprintf against the host C library over a table of
 * formats and buffer sizes, then printf/puts/putchar through a console stub. The library's names
 * are renamed to mica_* by the cflags above, so the host's own snprintf stays reachable through
 * __builtin_vsnprintf.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <mica/plat.h>
#include <mica/print.h>
#include "unit.h"

/* Console stub: records what the library writes and in how many calls. */
static char console[8192];
static size_t console_len;
static int console_calls;

void plat_console_write(const char *buf, size_t len)
{
	if (console_len + len <= sizeof(console))
		memcpy(console + console_len, buf, len);
	console_len += len;
	console_calls++;
}

static void console_reset(void)
{
	console_len = 0;
	console_calls = 0;
}

/* Shows bytes with NULs visible, for failure details. */
static const char *show(const char *s, int n)
{
	static char out[2][600];
	static int which;
	char *o = out[which ^= 1];
	int j = 0;

	for (int i = 0; i < n && j < (int)sizeof(out[0]) - 3; i++)
		j += s[i] == '\0' ? (o[j] = '\\', o[j + 1] = '0', 2) : (o[j] = s[i], 1);
	o[j] = '\0';
	return o;
}

/* Compares the library with the host for fmt at several buffer sizes, including truncation. */
static void compare(const char *name, const char *fmt, va_list ap)
{
	char want[1024], got[1024];
	va_list a1, a2;
	int w, g;

	va_copy(a1, ap);
	w = __builtin_vsnprintf(want, sizeof(want), fmt, a1);
	va_end(a1);

	size_t sizes[] = {0, 1, 2, 7, (size_t)w, (size_t)w + 1, sizeof(got) - 16};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		memset(got, 0xaa, sizeof(got));
		memset(want, 0xaa, sizeof(want));
		va_copy(a1, ap);
		va_copy(a2, ap);
		w = __builtin_vsnprintf(n == 0 ? NULL : want, n, fmt, a1);
		g = vsnprintf(n == 0 ? NULL : got, n, fmt, a2);
		va_end(a1);
		va_end(a2);
		/* The bytes past size must be untouched, so compare a few beyond it too. */
		size_t cmp = n + 8 < sizeof(got) ? n + 8 : sizeof(got);
		if (w != g || memcmp(want, got, cmp) != 0) {
			int shown = (int)(n < (size_t)w + 1 ? n : (size_t)w + 1);
			unit_check(0, name, "size %zu: want %d \"%s\", got %d \"%s\"", n, w, show(want, shown), g,
				   show(got, shown));
			return;
		}
	}
	unit_check(1, name, NULL);
}

/* Numbered, because a format may appear with several arguments. */
static int ncases;

static void __attribute__((format(__printf__, 1, 2))) check(const char *fmt, ...)
{
	va_list ap;
	char name[128];

	va_start(ap, fmt);
	snprintf(name, sizeof(name), "format %d \"%s\"", ++ncases, fmt);
	compare(name, fmt, ap);
	va_end(ap);
}

/*
 * check, for formats whose meaning C defines but GCC warns about (flags that another flag or a
 * precision makes ignored): GCC checks a call's format against the type it calls through, and
 * this pointer's type lacks the format attribute, so they compile under -Werror.
 */
static void (*const check_flags)(const char *fmt, ...) = check;

/* Cases where the library deliberately differs from, or goes beyond, the host. */
static void expect(const char *name, int ret, const char *buf, int want_ret, const char *want)
{
	unit_check(ret == want_ret && strcmp(buf, want) == 0, name, "want %d \"%s\", got %d \"%s\"", want_ret,
		   want, ret, buf);
}

/*
 * Without the format attribute: reaches the library with what GCC would flag at compile time. Not
 * a pointer like check_flags, since GCC's overflow checks would see through that to snprintf.
 */
static int snprintf_unchecked(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

static void test_table(void)
{
	static const char long_s[] = "the quick brown fox jumps over the lazy dog, 0123456789";
	int x;

	check("plain text");
	check("%d", 0);
	check("%d", 42);
	check("%d", -42);
	check("%d", INT_MIN);
	check("%d", INT_MAX);
	check("%i", -1);
	check("%u", 0u);
	check("%u", UINT_MAX);
	check("%x", 0xdeadbeefu);
	check("%X", 0xdeadbeefu);
	check("%o", 0777u);
	check("%x", 0u);
	check("%o", 0u);
	check("%ld", LONG_MIN);
	check("%ld", LONG_MAX);
	check("%lu", ULONG_MAX);
	check("%lld", LLONG_MIN);
	check("%lld", LLONG_MAX);
	check("%llu", ULLONG_MAX);
	check("%llx", ULLONG_MAX);
	check("%llX", 0x0123456789abcdefULL);
	check("%llo", ULLONG_MAX);
	check("%#llo", ULLONG_MAX);
	check("%#llx", ULLONG_MAX);
	check("%hhd", 255);
	check("%hhd", 128);
	check("%hhu", 263);
	check("%hhx", 0x1ff);
	check("%hd", 65535);
	check("%hd", 32768);
	check("%hu", 70000);
	check("%zu", SIZE_MAX);
	check("%zx", (size_t)0x1000);
	check("%zd", (ssize_t)-5);
	check("%zd", (ssize_t)SSIZE_MAX);
	check("%jd", INTMAX_MIN);
	check("%jd", INTMAX_MAX);
	check("%ju", UINTMAX_MAX);
	check("%jx", UINTMAX_MAX);
	check("%td", (ptrdiff_t)-123);
	check("%td", PTRDIFF_MIN);
	check("%5d|", 42);
	check("%-5d|", 42);
	check("%05d", 42);
	check("%05d", -42);
	check("%+d", 42);
	check("%+d", -42);
	check("%+d", 0);
	check("% d", 42);
	check("% d", -42);
	check_flags("%+ d", 42);
	check("% 05d", 42);
	check("%+05d", 42);
	check_flags("%-05d|", 42);
	check("%-+6d|", 42);
	check("%.3d", 7);
	check("%.3d", -7);
	check("%.0d", 0);
	check("%.0d|", 1);
	check("%5.0d|", 0);
	check("%+.0d|", 0);
	check("% .0d|", 0);
	check_flags("%08.3d", 42);
	check_flags("%08.3d", -42);
	check("%-8.3d|", -42);
	check("%.10d", INT_MIN);
	check("%20d", INT_MIN);
	check("%-20d|", INT_MIN);
	check("%020d", INT_MIN);
	check("%30lld", LLONG_MIN);
	check("%030llu", ULLONG_MAX);
	check("%.25llu", ULLONG_MAX);
	check("%#x", 0u);
	check("%#x", 255u);
	check("%#X", 255u);
	check("%#o", 0u);
	check("%#o", 8u);
	check("%#.3o", 8u);
	check("%#.0o", 0u);
	check("%#.0x", 0u);
	check("%.0x", 0u);
	check("%#5x|", 255u);
	check("%#-8x|", 255u);
	check("%#08x", 255u);
	check("%#08X", 255u);
	check("%#.5x", 255u);
	check("%#10.5x|", 255u);
	check("%.5x", 0xabu);
	check("%08x", 0xabu);
	check_flags("%-08x|", 0xabu);
	check("%*d|", 6, 42);
	check("%*d|", -6, 42);
	check("%-*d|", 6, 42);
	check("%.*d", 4, 42);
	check("%.*d", -1, 42);
	check("%.*d", 0, 0);
	check("%-*.*d|", 8, 4, -42);
	check("%*.*x|", 10, 6, 0xbeefu);
	check("%0*d", 7, -3);
	check("%s", "hello");
	check("%s", "");
	check("%10s|", "hello");
	check("%-10s|", "hello");
	check("%.2s", "hello");
	check("%.0s|", "hello");
	check("%.10s", "hello");
	check("%*.*s|", 6, 2, "abc");
	check("%-*.*s|", 6, 2, "abc");
	check("%5s|", "");
	check("%s", long_s);
	check("%300s|", long_s);
	check("%-300s|", long_s);
	check("%.20s", long_s);
	check("%c", 'a');
	check("%3c|", 'a');
	check("%-3c|", 'a');
	check("%c", 0);
	check("x%cy", 0);
	check("%c%c%c", 'a', 'b', 'c');
	check("%%");
	check("100%% sure");
	check("a%%b%%c");
	check("%p", (void *)0x1234);
	check("%p", (void *)UINTPTR_MAX);
	check("%20p|", (void *)0xdeadbeef);
	check("%-20p|", (void *)0xdeadbeef);
	check("%p", NULL);
	check("%10p|", NULL);
	check("%s=%d (%#x) %c%% %lu %s", "key", -7, 0x10u, 'z', 99ul, "end");
	check("%d %d %d %d %d %d %d %d %d %d", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
	check("%lld %d %llu %s %hhd %c", LLONG_MIN, INT_MIN, ULLONG_MAX, "s", -1, '!');

	/* What the library promises beyond C99, or where it does not follow the host. */
	char buf[64];
	const char *null_s = NULL;
	x = snprintf_unchecked(buf, sizeof(buf), "%s", null_s);
	expect("%s of NULL prints (null)", x, buf, 6, "(null)");
	x = snprintf_unchecked(buf, sizeof(buf), "[%8s]", null_s);
	expect("%s of NULL takes a width", x, buf, 10, "[  (null)]");
	x = snprintf(NULL, 0, "%d", 12345);
	expect("snprintf(NULL, 0) counts", x, "", 5, "");
	x = snprintf(NULL, 0, "%s and %s", "this", "that");
	expect("snprintf(NULL, 0) counts strings", x, "", 13, "");
	x = snprintf(buf, 4, "%d", 123456);
	expect("truncation returns the full length", x, buf, 6, "123");
	x = snprintf(buf, 1, "abc");
	expect("size 1 writes only the NUL", x, buf, 3, "");
	x = snprintf_unchecked(buf, sizeof(buf), "%2147483647d", 1);
	expect("width INT_MAX still counts", x, buf, INT_MAX, "                                                               ");
	x = snprintf_unchecked(buf, sizeof(buf), "%2147483648d", 1);
	expect("width past INT_MAX reports overflow", x, buf, -1, "                                                               ");

	char fmt[8];
	/* Built at run time, so not even the format string is visible to the compiler. */
	strcpy(fmt, "a%yb");
	x = snprintf_unchecked(buf, sizeof(buf), fmt);
	expect("unknown conversion is copied", x, buf, 4, "a%yb");
	strcpy(fmt, "ab%");
	x = snprintf_unchecked(buf, sizeof(buf), fmt);
	expect("lone % at the end is copied", x, buf, 3, "ab%");
	strcpy(fmt, "ab%-5");
	x = snprintf_unchecked(buf, sizeof(buf), fmt);
	expect("unfinished spec at the end is copied", x, buf, 5, "ab%-5");
	strcpy(fmt, "%ld|%d");
	x = snprintf_unchecked(buf, sizeof(buf), fmt, -1L, 2);
	expect("arguments stay in step after a long", x, buf, 4, "-1|2");
}

static void test_console(void)
{
	int r;

	console_reset();
	r = printf("hello %s %d\n", "world", 42);
	unit_check(r == 15 && console_len == 15 && console_calls == 1 && memcmp(console, "hello world 42\n", 15) == 0,
		   "printf writes one chunk", "returned %d, wrote %zu bytes in %d calls", r, console_len,
		   console_calls);

	console_reset();
	r = printf("%s", "");
	unit_check(r == 0 && console_calls == 0, "printf of nothing writes nothing", "a write was made");

	/* Long output must go out in a few large writes, never one per character. */
	char big[3001];
	memset(big, 'q', 3000);
	big[3000] = '\0';
	console_reset();
	r = printf("<%s>%1000d<%s>", big, 7, "x");
	int content_ok = console_len == 4005 && console[0] == '<' && memcmp(console + 1, big, 3000) == 0 &&
			 console[3001] == '>' && console[3002] == ' ' && console[4001] == '7' &&
			 memcmp(console + 4002, "<x>", 3) == 0;
	unit_check(r == 4005 && content_ok && console_calls <= 8, "printf of long output is chunked",
		   "returned %d, wrote %zu bytes in %d calls", r, console_len, console_calls);

	console_reset();
	for (int i = 0; i < 300; i++)
		printf("%c", 'a' + i % 26);
	unit_check(console_len == 300 && console_calls == 300, "each printf flushes before returning",
		   "output was held back between calls");

	console_reset();
	r = puts("line");
	unit_check(r == 5 && console_len == 5 && memcmp(console, "line\n", 5) == 0, "puts adds a newline",
		   "wrong output or return");

	console_reset();
	/* Through a pointer: with optimisation, the host's stdio.h would inline its own putchar. */
	int (*volatile put)(int) = putchar;
	r = put('x');
	int r2 = put(0x1ff);
	unit_check(r == 'x' && r2 == 0xff && console_len == 2 && console[0] == 'x' && (unsigned char)console[1] == 0xff,
		   "putchar writes one byte", "wrong output or return");
}

int main(void)
{
	test_table();
	test_console();
	return unit_exit_status();
}
