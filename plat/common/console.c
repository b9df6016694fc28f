/* Console ring frontend (xen/io/console.h): the guest's only output path. */
#include <arch/cpu.h>
#include <arch/string.h>
#include <mica/xen_boot.h>

static struct xencons_interface *console_ring;
static evtchn_port_t console_port;
static volatile struct mica_start_ext *console_ext;
static void (*console_event_fn)(void);

static void console_event(evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	if (console_event_fn)
		console_event_fn();
}

bool plat_console_on_event(void (*fn)(void))
{
	console_event_fn = fn;
	/* Without the Xen ABI the console is a polled UART: there is no port to fire. */
	return xen_native == NULL;
}

void xen_console_init(struct xencons_interface *ring, evtchn_port_t port, struct mica_start_ext *ext)
{
	console_ring = ring;
	console_port = port;
	/* Older runtimes' extension is shorter: the EOF flag exists only if the runtime wrote it. */
	if (ext && ext->size >= sizeof(struct mica_start_ext))
		console_ext = ext;
	/*
	 * The handler also unmasks the port, so that input, or room freed in a full ring, wakes a
	 * blocked guest.
	 */
	evtchn_set_handler(port, console_event, 0);
}

size_t plat_console_read(char *buf, size_t len)
{
	if (xen_native)
		return xen_native->console_read(buf, len);
	struct xencons_interface *r = console_ring;
	XENCONS_RING_IDX cons = r->in_cons, prod = r->in_prod;
	cpu_mb();
	size_t avail = prod - cons;
	if (avail > sizeof(r->in))
		avail = 0; /* indices from a confused backend: take nothing rather than garbage */
	size_t n = len < avail ? len : avail;
	for (size_t i = 0; i < n; i++)
		buf[i] = r->in[MASK_XENCONS_IDX(cons + i, r->in)];
	cpu_mb();
	r->in_cons = cons + (XENCONS_RING_IDX)n;
	return n;
}

void plat_console_write(const char *buf, size_t len)
{
	if (xen_native) {
		xen_native->console_write(buf, len);
		return;
	}
	struct xencons_interface *r = console_ring;

	while (len) {
		XENCONS_RING_IDX cons = r->out_cons, prod = r->out_prod;
		cpu_mb();
		size_t space = sizeof(r->out) - (prod - cons);
		if (space == 0) {
			/* The backend drains on notify and signals back once it made room. */
			evtchn_notify(console_port);
			if (r->out_prod - r->out_cons >= sizeof(r->out))
				plat_block(UINT64_MAX);
			continue;
		}
		size_t n = len < space ? len : space;
		for (size_t i = 0; i < n; i++)
			r->out[MASK_XENCONS_IDX(prod + i, r->out)] = buf[i];
		cpu_mb();
		r->out_prod = prod + (XENCONS_RING_IDX)n;
		buf += n;
		len -= n;
	}
	evtchn_notify(console_port);
}

bool plat_console_eof(void)
{
	struct xencons_interface *r = console_ring;
	if (!console_ext || !(console_ext->flags & MICA_START_EXT_CONSOLE_EOF))
		return false;
	cpu_mb();
	return r->in_prod == r->in_cons;
}
