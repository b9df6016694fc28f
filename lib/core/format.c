/* printf-style formatting into any sink, and snprintf on top of it. */
#include <stdbool.h>
#include <stdint.h>
#include <arch/string.h>
#include <mica/kprint.h>
#include "format.h"

/* Length of s, at most max: the library may sit under any libc, so it has its own. */
static size_t fmt_strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

enum {
	FMT_LEFT = 1 << 0,
	FMT_ZERO = 1 << 1,
	FMT_PLUS = 1 << 2,
	FMT_SPACE = 1 << 3,
	FMT_ALT = 1 << 4,
};

enum fmt_length { FMT_INT, FMT_CHAR, FMT_SHORT, FMT_LONG, FMT_LLONG, FMT_SIZE, FMT_MAX, FMT_PTRDIFF };

struct fmt_spec {
	unsigned int flags;
	size_t width;
	long prec; /* -1: none given */
	enum fmt_length length;
	char conv;
};

struct fmt_out {
	core_emit_t emit;
	void *ctx;
	size_t total;
	bool overflow;
};

/* Output past INT_MAX cannot be counted in the result, so it is not produced at all. */
static void fmt_put(struct fmt_out *o, const char *s, size_t n)
{
	if (n == 0 || o->overflow)
		return;
	if (n > (size_t)__INT_MAX__ - o->total) {
		o->overflow = true;
		return;
	}
	o->emit(o->ctx, s, n);
	o->total += n;
}

/* Padding goes out in runs so that a wide field costs a few emits, not one per character. */
static void fmt_pad(struct fmt_out *o, char c, size_t n)
{
	static const char spaces[] = "                ";
	static const char zeros[] = "0000000000000000";
	const size_t run = sizeof(spaces) - 1;

	while (n > 0 && !o->overflow) {
		size_t k = n < run ? n : run;
		fmt_put(o, c == '0' ? zeros : spaces, k);
		n -= k;
	}
}

/* Emits s with the field width applied; the 0 flag does not apply to text. */
static void fmt_text(struct fmt_out *o, const struct fmt_spec *sp, const char *s, size_t len)
{
	size_t pad = sp->width > len ? sp->width - len : 0;

	if (!(sp->flags & FMT_LEFT))
		fmt_pad(o, ' ', pad);
	fmt_put(o, s, len);
	if (sp->flags & FMT_LEFT)
		fmt_pad(o, ' ', pad);
}

static void fmt_integer(struct fmt_out *o, const struct fmt_spec *sp, uintmax_t v, bool neg)
{
	const char *set = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned int base = sp->conv == 'o' ? 8 : (sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p') ? 16 : 10;
	bool is_signed = sp->conv == 'd' || sp->conv == 'i';
	char digits[24];
	char *end = digits + sizeof(digits), *d = end;
	const char *prefix = "";
	size_t nd, zeros, len, pad;

	for (uintmax_t x = v; x != 0; x /= base)
		*--d = set[x % base];
	nd = (size_t)(end - d);

	/* The precision is a minimum digit count; with none given, zero still prints one digit. */
	size_t min = sp->prec < 0 ? 1 : (size_t)sp->prec;
	zeros = nd < min ? min - nd : 0;

	if (neg)
		prefix = "-";
	else if (is_signed && (sp->flags & FMT_PLUS))
		prefix = "+";
	else if (is_signed && (sp->flags & FMT_SPACE))
		prefix = " ";
	else if (sp->conv == 'p' || ((sp->flags & FMT_ALT) && v != 0 && base == 16))
		prefix = sp->conv == 'X' ? "0X" : "0x";
	else if ((sp->flags & FMT_ALT) && base == 8 && zeros == 0)
		zeros = 1; /* # on octal forces a leading zero, but never adds a second one */

	size_t plen = fmt_strnlen(prefix, (size_t)-1);
	len = plen + zeros + nd;
	pad = sp->width > len ? sp->width - len : 0;

	if (sp->flags & FMT_LEFT) {
		fmt_put(o, prefix, plen);
		fmt_pad(o, '0', zeros);
		fmt_put(o, d, nd);
		fmt_pad(o, ' ', pad);
	} else if ((sp->flags & FMT_ZERO) && sp->prec < 0) {
		fmt_put(o, prefix, plen);
		fmt_pad(o, '0', zeros + pad);
		fmt_put(o, d, nd);
	} else {
		fmt_pad(o, ' ', pad);
		fmt_put(o, prefix, plen);
		fmt_pad(o, '0', zeros);
		fmt_put(o, d, nd);
	}
}

static intmax_t fmt_arg_signed(enum fmt_length length, va_list *ap)
{
	switch (length) {
	case FMT_CHAR:
		return (signed char)va_arg(*ap, int);
	case FMT_SHORT:
		return (short)va_arg(*ap, int);
	case FMT_LONG:
		return va_arg(*ap, long);
	case FMT_LLONG:
		return va_arg(*ap, long long);
	case FMT_SIZE:
		/* The signed type of size_t's width; GCC converts modulo 2^n. */
		return (ptrdiff_t)va_arg(*ap, size_t);
	case FMT_MAX:
		return va_arg(*ap, intmax_t);
	case FMT_PTRDIFF:
		return va_arg(*ap, ptrdiff_t);
	case FMT_INT:
		break;
	}
	return va_arg(*ap, int);
}

static uintmax_t fmt_arg_unsigned(enum fmt_length length, va_list *ap)
{
	switch (length) {
	case FMT_CHAR:
		return (unsigned char)va_arg(*ap, unsigned int);
	case FMT_SHORT:
		return (unsigned short)va_arg(*ap, unsigned int);
	case FMT_LONG:
		return va_arg(*ap, unsigned long);
	case FMT_LLONG:
		return va_arg(*ap, unsigned long long);
	case FMT_SIZE:
		return va_arg(*ap, size_t);
	case FMT_MAX:
		return va_arg(*ap, uintmax_t);
	case FMT_PTRDIFF:
		return (size_t)va_arg(*ap, ptrdiff_t);
	case FMT_INT:
		break;
	}
	return va_arg(*ap, unsigned int);
}

/* Parses a decimal field, saturating just past INT_MAX: enough to overflow, never to wrap. */
static long fmt_number(const char **p)
{
	const long limit = (long)__INT_MAX__ + 1;
	long n = 0;

	while (**p >= '0' && **p <= '9') {
		n = n * 10 + (*(*p)++ - '0');
		if (n > limit)
			n = limit;
	}
	return n;
}

static const char *fmt_parse(const char *p, struct fmt_spec *sp, va_list *ap)
{
	for (;; p++) {
		if (*p == '-')
			sp->flags |= FMT_LEFT;
		else if (*p == '0')
			sp->flags |= FMT_ZERO;
		else if (*p == '+')
			sp->flags |= FMT_PLUS;
		else if (*p == ' ')
			sp->flags |= FMT_SPACE;
		else if (*p == '#')
			sp->flags |= FMT_ALT;
		else
			break;
	}

	if (*p == '*') {
		int w = va_arg(*ap, int);
		p++;
		/* A negative width argument is a - flag and a positive width. */
		if (w < 0) {
			sp->flags |= FMT_LEFT;
			sp->width = -(size_t)w;
		} else {
			sp->width = (size_t)w;
		}
	} else {
		sp->width = (size_t)fmt_number(&p);
	}

	sp->prec = -1;
	if (*p == '.') {
		p++;
		if (*p == '*') {
			long pr = va_arg(*ap, int);
			p++;
			sp->prec = pr < 0 ? -1 : pr;
		} else {
			sp->prec = fmt_number(&p);
		}
	}

	sp->length = FMT_INT;
	switch (*p) {
	case 'h':
		sp->length = FMT_SHORT;
		if (*++p == 'h') {
			sp->length = FMT_CHAR;
			p++;
		}
		break;
	case 'l':
		sp->length = FMT_LONG;
		if (*++p == 'l') {
			sp->length = FMT_LLONG;
			p++;
		}
		break;
	case 'z':
		sp->length = FMT_SIZE;
		p++;
		break;
	case 'j':
		sp->length = FMT_MAX;
		p++;
		break;
	case 't':
		sp->length = FMT_PTRDIFF;
		p++;
		break;
	}
	sp->conv = *p;
	return p;
}

int core_vformat(core_emit_t emit, void *ctx, const char *fmt, va_list ap)
{
	struct fmt_out o = {emit, ctx, 0, false};
	va_list args;

	/* A copy, so that helpers can take its address whatever va_list's type is. */
	va_copy(args, ap);
	for (;;) {
		const char *lit = fmt;
		while (*fmt != '\0' && *fmt != '%')
			fmt++;
		fmt_put(&o, lit, (size_t)(fmt - lit));
		if (*fmt == '\0')
			break;

		const char *start = fmt;
		struct fmt_spec sp = {0};
		fmt = fmt_parse(fmt + 1, &sp, &args);

		switch (sp.conv) {
		case 'd':
		case 'i': {
			intmax_t v = fmt_arg_signed(sp.length, &args);
			fmt_integer(&o, &sp, v < 0 ? -(uintmax_t)v : (uintmax_t)v, v < 0);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			fmt_integer(&o, &sp, fmt_arg_unsigned(sp.length, &args), false);
			break;
		case 'p': {
			void *ptr = va_arg(args, void *);
			if (ptr == NULL)
				fmt_text(&o, &sp, "(nil)", 5);
			else
				fmt_integer(&o, &sp, (uintptr_t)ptr, false);
			break;
		}
		case 's': {
			const char *s = va_arg(args, const char *);
			if (s == NULL)
				s = "(null)";
			fmt_text(&o, &sp, s, fmt_strnlen(s, sp.prec < 0 ? (size_t)-1 : (size_t)sp.prec));
			break;
		}
		case 'c': {
			char c = (char)va_arg(args, int);
			fmt_text(&o, &sp, &c, 1);
			break;
		}
		case '%':
			fmt_put(&o, "%", 1);
			break;
		case '\0':
			/* A lone % at the end: show what was there rather than read past the string. */
			fmt_put(&o, start, (size_t)(fmt - start));
			break;
		default:
			fmt_put(&o, start, (size_t)(fmt - start) + 1);
			break;
		}
		if (*fmt == '\0')
			break;
		fmt++;
	}
	va_end(args);
	return o.overflow ? -1 : (int)o.total;
}

struct fmt_buf {
	char *buf;
	size_t size;
	size_t len;
};

static void fmt_buf_emit(void *ctx, const char *s, size_t n)
{
	struct fmt_buf *b = ctx;

	if (b->len + 1 < b->size) {
		size_t room = b->size - 1 - b->len;
		memcpy(b->buf + b->len, s, n < room ? n : room);
	}
	b->len += n;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_buf b = {buf, size, 0};
	int r = core_vformat(fmt_buf_emit, &b, fmt, ap);

	if (size > 0)
		buf[b.len < size - 1 ? b.len : size - 1] = '\0';
	return r;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return r;
}
