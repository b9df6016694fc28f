/* kvm without Xen (plain QEMU, Firecracker): console, time, blocking, shutdown by port I/O and the TSC. */
#include <arch/cpu.h>
#include <arch/io.h>
#include <arch/string.h>
#include <xen/errno.h>
#include <xen/sched.h>
#include <mica/hypercall.h>
#include "kvm.h"

/* QEMU's isa-debug-exit: when the device is there QEMU exits with (value << 1) | 1. */
#define KVM_DEBUG_EXIT_PORT 0xf4
/* ACPI PM1a control block of QEMU's PIIX4 and ICH9; SLP_EN with sleep type 0, which is S5 there. */
#define KVM_ACPI_PM1A_CNT 0x604
#define KVM_ACPI_SLEEP_S5 0x2000
/* What mica run reports for a crashed guest: scripts see the same number under both. */
#define KVM_CRASH_STATUS 123

/* Console input is the only event there is: poll for it until the deadline. */
static void kvm_plain_block(uint64_t deadline_ns)
{
	while (!kvm_uart_readable()) {
		if (deadline_ns != UINT64_MAX && kvm_tsc_time_ns() >= deadline_ns)
			return;
		cpu_relax();
	}
}

void kvm_plain_shutdown(unsigned int reason)
{
	unsigned int status = MICA_SHUTDOWN_REASON_CODE(reason) == SHUTDOWN_poweroff
				      ? MICA_SHUTDOWN_REASON_STATUS(reason)
				      : KVM_CRASH_STATUS;

	kvm_uart_flush();
	cpu_outb(KVM_DEBUG_EXIT_PORT, (uint8_t)status);
	cpu_outw(KVM_ACPI_PM1A_CNT, KVM_ACPI_SLEEP_S5);
	cpu_stop();
}

static const struct xen_native_ops kvm_plain_ops = {
	.console_write = kvm_uart_write,
	.console_read = kvm_uart_read,
	.time_ns = kvm_tsc_time_ns,
	.wallclock_ns = kvm_rtc_wallclock_ns,
	.block = kvm_plain_block,
	.shutdown = kvm_plain_shutdown,
};

void kvm_plain_setup(struct xen_boot *boot)
{
	/* Each slot `mov $-XEN_ENOSYS, %rax; ret`: event channels and the like fail cleanly. */
	static const unsigned char enosys[] = {0x48, 0xc7, 0xc0, 0, 0, 0, 0, 0xc3};
	const int32_t rc = -XEN_ENOSYS;

	for (unsigned int nr = 0; nr < MICA_HC_SLOTS; nr++) {
		char *slot = hypercall_page + nr * MICA_HC_SLOT_SIZE;
		memcpy(slot, enosys, sizeof(enosys));
		memcpy(slot + 3, &rc, sizeof(rc));
	}
	kvm_uart_init();
	boot->native = &kvm_plain_ops;
}
