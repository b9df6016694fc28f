/* Console backend: the guest's out ring to stdout (or a run's own fd), stdin to its in ring; untrusted ring indices. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "util/log.h"
#include "xen/console.h"
#include "xen/evtchn.h"

/* Per thread: the gateway runs each guest in a thread of its own, with the console on pipes. */
static __thread int console_in_fd = STDIN_FILENO, console_out_fd = STDOUT_FILENO;

void console_use_fds(int in, int out)
{
	console_in_fd = in;
	console_out_fd = out;
}

int console_host_input(void)
{
	return console_in_fd;
}

ssize_t console_write(const void *buf, size_t len)
{
	return write(console_out_fd, buf, len);
}

static void console_write_all(const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(console_out_fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* stdout gone: the guest's output has nowhere to go */
		buf += n;
		len -= (size_t)n;
	}
}

void console_drain(struct guest *g)
{
	struct xencons_interface *r = g->console;
	XENCONS_RING_IDX cons = __atomic_load_n(&r->out_cons, __ATOMIC_ACQUIRE);
	XENCONS_RING_IDX prod = __atomic_load_n(&r->out_prod, __ATOMIC_ACQUIRE);
	XENCONS_RING_IDX avail = prod - cons;

	if (avail == 0)
		return;
	if (avail > sizeof(r->out)) {
		/* A guest that corrupts its own ring loses its output, not ours. */
		if (!g->console_corrupt_reported)
			log_error("guest console ring is corrupt (producer %u, consumer %u); output dropped",
				  prod, cons);
		g->console_corrupt_reported = true;
		__atomic_store_n(&r->out_cons, prod, __ATOMIC_RELEASE);
		return;
	}
	char buf[sizeof(r->out)];
	for (XENCONS_RING_IDX i = 0; i < avail; i++)
		buf[i] = r->out[MASK_XENCONS_IDX(cons + i, r->out)];
	__atomic_store_n(&r->out_cons, prod, __ATOMIC_RELEASE);
	console_write_all(buf, avail);
}

void console_notify(struct guest *g, uint32_t port)
{
	console_drain(g);
	evtchn_raise(g, port);
}

size_t console_input_space(struct guest *g)
{
	struct xencons_interface *r = g->console;
	XENCONS_RING_IDX used = __atomic_load_n(&r->in_prod, __ATOMIC_ACQUIRE) -
				__atomic_load_n(&r->in_cons, __ATOMIC_ACQUIRE);
	return used > sizeof(r->in) ? 0 : sizeof(r->in) - used;
}

size_t console_input(struct guest *g, const char *buf, size_t len)
{
	struct xencons_interface *r = g->console;
	size_t space = console_input_space(g);
	if (len > space)
		len = space;
	XENCONS_RING_IDX prod = __atomic_load_n(&r->in_prod, __ATOMIC_ACQUIRE);
	for (size_t i = 0; i < len; i++)
		r->in[MASK_XENCONS_IDX(prod + i, r->in)] = buf[i];
	__atomic_store_n(&r->in_prod, prod + (XENCONS_RING_IDX)len, __ATOMIC_RELEASE);
	if (len && g->console_port)
		evtchn_raise(g, g->console_port);
	return len;
}

bool console_stdin_usable(void)
{
	if (fcntl(console_in_fd, F_GETFD) < 0)
		return false;
	if (!isatty(console_in_fd))
		return true;
	/* A terminal we are not in the foreground of would stop mica with SIGTTIN on read. */
	return tcgetpgrp(console_in_fd) == getpgrp();
}

bool console_feed_stdin(struct guest *g)
{
	char buf[1024];
	size_t space = console_input_space(g);
	ssize_t n = read(console_in_fd, buf, space < sizeof(buf) ? space : sizeof(buf));
	if (n > 0) {
		console_input(g, buf, (size_t)n);
		return true;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	/* Everything read so far is in the ring: tell the guest its input has ended. */
	__atomic_or_fetch(&g->ext->flags, MICA_START_EXT_CONSOLE_EOF, __ATOMIC_RELEASE);
	if (g->console_port)
		evtchn_raise(g, g->console_port);
	return false;
}

int console_setup(struct guest *g)
{
	g->console_port = evtchn_bind_backend(g, console_notify);
	return g->console_port ? 0 : -1;
}
