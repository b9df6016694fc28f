/* printf, puts and putchar on the platform console, written in chunks rather than per character. */
#include <mica/plat.h>
#include <mica/print.h>
#include <mica/string.h>
#include "format.h"

struct console_buf {
	size_t len;
	char buf[256];
};

static void console_emit(void *ctx, const char *s, size_t n)
{
	struct console_buf *c = ctx;

	if (c->len + n > sizeof(c->buf)) {
		plat_console_write(c->buf, c->len);
		c->len = 0;
	}
	/* A piece that would fill the buffer by itself is not worth copying. */
	if (n >= sizeof(c->buf)) {
		plat_console_write(s, n);
		return;
	}
	memcpy(c->buf + c->len, s, n);
	c->len += n;
}

int vprintf(const char *fmt, va_list ap)
{
	struct console_buf c;
	int r;

	c.len = 0;
	r = core_vformat(console_emit, &c, fmt, ap);
	if (c.len > 0)
		plat_console_write(c.buf, c.len);
	return r;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vprintf(fmt, ap);
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
