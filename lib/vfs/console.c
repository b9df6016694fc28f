/* The console as a terminal: blocking reads, writes, and the termios and window-size ioctls. */
#include "vfs.h"
#include <arch/string.h>
#include <sys/ioctl.h>
#include <termios.h>

struct vfs_inode vfs_console = {
	.ino = 1,
	.mode = S_IFCHR | 0620,
	.nlink = 1,
};

/* The kernel's struct termios (TCGETS), not the C library's larger one. */
struct console_termios {
	uint32_t iflag, oflag, cflag, lflag;
	uint8_t line;
	uint8_t cc[19];
};

_Static_assert(sizeof(struct console_termios) == 36, "kernel termios is 36 bytes");

/* What a Linux tty starts with: cooked mode, echo, 8 bits, the usual control characters. */
static struct console_termios console_tio = {
	.iflag = ICRNL | IXON,
	.oflag = OPOST | ONLCR,
	.cflag = B38400 | CS8 | CREAD | HUPCL,
	.lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
	.cc = {
		[VINTR] = 003, [VQUIT] = 034, [VERASE] = 0177, [VKILL] = 025, [VEOF] = 004,
		[VMIN] = 1, [VSTART] = 021, [VSTOP] = 023, [VSUSP] = 032, [VREPRINT] = 022,
		[VDISCARD] = 017, [VWERASE] = 027, [VLNEXT] = 026,
	},
};

/*
 * plat_console_read consumes what it returns, so poll's "is there input" takes it here and
 * the next read hands it out first.
 */
static char console_buf[256];
static size_t console_head, console_len;

bool vfs_console_readable(void)
{
	if (console_len == 0) {
		console_head = 0;
		console_len = plat_console_read(console_buf, sizeof(console_buf));
	}
	return console_len != 0 || plat_console_eof();
}

long vfs_console_read(void *buf, size_t len, bool may_block)
{
	if (len == 0)
		return 0;
	for (;;) {
		uint64_t gen = vfs_poll_generation();
		size_t n = len < console_len ? len : console_len;

		memcpy(buf, console_buf + console_head, n);
		console_head += n;
		console_len -= n;
		if (n < len)
			n += plat_console_read((char *)buf + n, len - n);
		if (n != 0)
			return (long)n;
		if (plat_console_eof())
			return 0;
		if (!may_block)
			return -EAGAIN;
		/* Other threads run meanwhile; input arriving ends the wait. */
		vfs_wait(gen, UINT64_MAX, true);
	}
}

long vfs_console_write(const void *buf, size_t len)
{
	plat_console_write(buf, len);
	return (long)len;
}

long vfs_console_ioctl(unsigned int req, long arg)
{
	void *p = (void *)arg;

	switch (req) {
	case TCGETS:
		if (p == NULL)
			return -EFAULT;
		memcpy(p, &console_tio, sizeof(console_tio));
		return 0;
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		/* Kept so a program reads back what it set; the console itself has no modes. */
		if (p == NULL)
			return -EFAULT;
		memcpy(&console_tio, p, sizeof(console_tio));
		return 0;
	case TIOCGWINSZ: {
		struct winsize ws = {.ws_row = 24, .ws_col = 80};

		if (p == NULL)
			return -EFAULT;
		memcpy(p, &ws, sizeof(ws));
		return 0;
	}
	default:
		return -ENOTTY;
	}
}
