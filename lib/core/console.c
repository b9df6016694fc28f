/* kprintf on the platform console, written in chunks rather than per character. */
#include <arch/string.h>
#include <mica/kprint.h>
#include <mica/plat.h>
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

int kvprintf(const char *fmt, va_list ap)
{
	struct console_buf c;
	int r;

	c.len = 0;
	r = core_vformat(console_emit, &c, fmt, ap);
	if (c.len > 0)
		plat_console_write(c.buf, c.len);
	return r;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = kvprintf(fmt, ap);
	va_end(ap);
	return r;
}
