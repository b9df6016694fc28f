/* plat_ready: the snapshot point, where the runtime saves the guest and later resumes it. */
#include <stddef.h>
#include <mica/abi.h>
#include <mica/plat.h>
#include <mica/xen_boot.h>

_Static_assert(sizeof(struct mica_ready_ctx) == MICA_READY_CTX_SIZE, "mica_ready_ctx layout");
_Static_assert(offsetof(struct mica_ready_ctx, mxcsr) == 72 && offsetof(struct mica_ready_ctx, fpu_cw) == 76,
	       "mica_ready_ctx layout (ready_call.S)");

uintptr_t xen_tls_base;

long xen_ready_call(struct mica_ready_ctx *ctx);

/* In RAM the snapshot holds, where the runtime writes the entropy of a restored instance. */
static struct mica_ready_ctx ready_ctx;

static struct plat_restore_hook *ready_hooks, **ready_hooks_tail = &ready_hooks;

void plat_on_restore(struct plat_restore_hook *h)
{
	h->next = NULL;
	*ready_hooks_tail = h;
	ready_hooks_tail = &h->next;
}

int plat_ready(uint8_t seed[32])
{
	ready_ctx = (struct mica_ready_ctx){.fs_base = xen_tls_base};
	/* Runtimes without snapshots answer -ENOSYS: the guest just goes on. */
	if (xen_native || xen_ready_call(&ready_ctx) != 1)
		return 0;
	for (size_t i = 0; i < sizeof(ready_ctx.entropy); i++) {
		seed[i] = ready_ctx.entropy[i];
		ready_ctx.entropy[i] = 0;
	}
	xen_time_restored();
	xen_xs_restored();
	for (struct plat_restore_hook *h = ready_hooks; h; h = h->next)
		h->fn(h->arg);
	return 1;
}
