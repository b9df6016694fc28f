/* Wall-clock time without Xen: the CMOS RTC, read once when first asked, then advanced by the TSC. */
#include <arch/cpu.h>
#include <arch/io.h>
#include "kvm.h"

#define KVM_CMOS_INDEX 0x70
#define KVM_CMOS_DATA 0x71
#define KVM_RTC_SECONDS 0x00
#define KVM_RTC_MINUTES 0x02
#define KVM_RTC_HOURS 0x04
#define KVM_RTC_DAY 0x07
#define KVM_RTC_MONTH 0x08
#define KVM_RTC_YEAR 0x09
#define KVM_RTC_STATUS_A 0x0a
#define KVM_RTC_A_UPDATING 0x80
#define KVM_RTC_STATUS_B 0x0b
#define KVM_RTC_B_24H 0x02
#define KVM_RTC_B_BINARY 0x04
#define KVM_RTC_PM 0x80
/* An update takes under 2 ms; a port that floats high (no RTC, Firecracker) must not hang us. */
#define KVM_RTC_WAIT_READS 100000

static bool kvm_rtc_read;
static uint64_t kvm_rtc_epoch_ns; /* wall-clock time at system time 0 */

static uint8_t kvm_cmos(uint8_t reg)
{
	cpu_outb(KVM_CMOS_INDEX, reg);
	return cpu_inb(KVM_CMOS_DATA);
}

static unsigned int kvm_rtc_field(uint8_t v, bool binary)
{
	return binary ? v : (v >> 4) * 10 + (v & 15);
}

static bool kvm_rtc_leap(unsigned int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Seconds since 1970 of the RTC's reading; 0 when there is no RTC. */
static uint64_t kvm_rtc_seconds(void)
{
	static const uint16_t days_before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

	for (int i = 0; i < KVM_RTC_WAIT_READS && (kvm_cmos(KVM_RTC_STATUS_A) & KVM_RTC_A_UPDATING); i++)
		cpu_relax();
	uint8_t b = kvm_cmos(KVM_RTC_STATUS_B);
	bool binary = b & KVM_RTC_B_BINARY;
	uint8_t hour = kvm_cmos(KVM_RTC_HOURS);
	unsigned int h = kvm_rtc_field(hour & ~KVM_RTC_PM, binary);
	unsigned int min = kvm_rtc_field(kvm_cmos(KVM_RTC_MINUTES), binary);
	unsigned int sec = kvm_rtc_field(kvm_cmos(KVM_RTC_SECONDS), binary);
	unsigned int day = kvm_rtc_field(kvm_cmos(KVM_RTC_DAY), binary);
	unsigned int month = kvm_rtc_field(kvm_cmos(KVM_RTC_MONTH), binary);
	unsigned int year = 2000 + kvm_rtc_field(kvm_cmos(KVM_RTC_YEAR), binary);

	if (!(b & KVM_RTC_B_24H))
		h = h % 12 + (hour & KVM_RTC_PM ? 12 : 0);
	if (month < 1 || month > 12 || day < 1 || day > 31 || h > 23 || min > 59 || sec > 60)
		return 0;
	uint64_t days = (year - 1970) * 365ULL + days_before_month[month - 1] + day - 1;
	for (unsigned int y = 1970; y < year; y++)
		days += kvm_rtc_leap(y);
	if (month > 2 && kvm_rtc_leap(year))
		days++;
	return ((days * 24 + h) * 60 + min) * 60 + sec;
}

uint64_t kvm_rtc_wallclock_ns(void)
{
	if (!kvm_rtc_read) {
		kvm_rtc_read = true;
		uint64_t now = kvm_tsc_time_ns();
		kvm_rtc_epoch_ns = kvm_rtc_seconds() * 1000000000ULL - now;
	}
	return kvm_rtc_epoch_ns + kvm_tsc_time_ns();
}
