/* Shared between the files of plat/kvm: the two modes, their setup, and the crash path. */
#ifndef KVM_H
#define KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <arch/traps.h>
#include <mica/xen_boot.h>

/* pvh.S maps the first 4 GiB: everything the boot path reads from the loader must lie below. */
#define KVM_MAPPED_END 0x100000000ULL

/* True when no Xen ABI answered at boot (a plain VMM: QEMU, Firecracker). Set once by kvm_start. */
extern bool kvm_plain;

/* Xen ABI present (xen.c): the CPUID base of the Xen leaves, or 0; then the client setup. */
uint32_t kvm_xen_cpuid_base(void);
void kvm_xen_setup(uint32_t cpuid_base, struct xen_boot *boot);

/* How many upcall vectors have arrived (Xen mode); tests read it to see upcalls being delivered. */
uint64_t kvm_upcall_count(void);

/* No Xen (plain.c): COM1, TSC time, ACPI poweroff behind the common client. */
void kvm_plain_setup(struct xen_boot *boot);
_Noreturn void kvm_plain_shutdown(unsigned int reason);

/* COM1 (uart.c). */
void kvm_uart_init(void);
void kvm_uart_write(const char *buf, size_t len);
size_t kvm_uart_read(char *buf, size_t len);
bool kvm_uart_readable(void);
void kvm_uart_flush(void);

/* Time without Xen (tsc.c, rtc.c). */
uint64_t kvm_tsc_time_ns(void);
uint64_t kvm_rtc_wallclock_ns(void);

/*
 * For reports that must get out at any point of the boot, whatever state the console ring is
 * in: COM1 without Xen, console_io with it.
 */
void kvm_report(const char *msg, size_t len);

/* Ends the guest as crashed, at any point of the boot. */
_Noreturn void kvm_die(void);

/* kvm_report(msg), then kvm_die(). */
_Noreturn void kvm_fail(const char *msg);

/* The handler of every CPU exception (traps.c). */
_Noreturn void kvm_trap(const struct arch_trap_frame *frame);

#endif
