/* Reports and crashes that work at any point of the boot, before and after the console ring is up. */
#include <mica/hypercall.h>
#include <xen/sched.h>
#include "kvm.h"

void kvm_report(const char *msg, size_t len)
{
	if (kvm_plain)
		kvm_uart_write(msg, len);
	else
		HYPERVISOR_console_io(CONSOLEIO_write, (int)len, msg);
}

void kvm_die(void)
{
	if (kvm_plain)
		kvm_plain_shutdown(SHUTDOWN_crash);
	plat_crash(NULL);
}

void kvm_fail(const char *msg)
{
	size_t len = 0;

	while (msg[len])
		len++;
	kvm_report(msg, len);
	kvm_die();
}
