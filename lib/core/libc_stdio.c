/* The built-in libc's printf family and puts, over kprint: only when no other libc is linked. */
#include <mica/kprint.h>
#include <mica/plat.h>
#include <mica/print.h>
#include <mica/string.h>

int vprintf(const char *fmt, va_list ap)
{
	return kvprintf(fmt, ap);
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = kvprintf(fmt, ap);
	va_end(ap);
	return r;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	return kvsnprintf(buf, size, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return r;
}

int puts(const char *s)
{
	size_t n = strlen(s);

	plat_console_write(s, n);
	plat_console_write("\n", 1);
	return n < __INT_MAX__ ? (int)n + 1 : __INT_MAX__;
}

int putchar(int c)
{
	char ch = (char)c;

	plat_console_write(&ch, 1);
	return (unsigned char)ch;
}
