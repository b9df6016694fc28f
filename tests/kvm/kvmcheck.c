/* Proves a /dev/kvm works (a real-mode guest runs) and lists the KVM capabilities mica's kvm backend relies on. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_MEM 0x10000
#define CODE_ADDR 0x1000
#define OUT_PORT 0x10

static int fail(const char *what)
{
	fprintf(stderr, "kvmcheck: %s: %s\n", what, strerror(errno));
	return 1;
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_IO: return "KVM_EXIT_IO";
	case KVM_EXIT_HLT: return "KVM_EXIT_HLT";
	case KVM_EXIT_MMIO: return "KVM_EXIT_MMIO";
	case KVM_EXIT_SHUTDOWN: return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
	default: return "another exit";
	}
}

/* Opens /dev/kvm and checks the API version every KVM ioctl's layout depends on. */
static int open_kvm(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fail("open /dev/kvm");
		return -1;
	}
	int version = ioctl(kvm, KVM_GET_API_VERSION, 0);
	printf("api version: %d\n", version);
	if (version != KVM_API_VERSION) {
		fprintf(stderr, "kvmcheck: KVM_GET_API_VERSION is %d, expected %d\n", version, KVM_API_VERSION);
		close(kvm);
		return -1;
	}
	return kvm;
}

/* Runs `mov $0x2a,%al; out %al,$0x10; hlt` in real mode: one I/O exit carrying 42, then a halt. */
static int run_guest(int kvm)
{
	static const uint8_t code[] = { 0xb0, 0x2a, 0xe6, OUT_PORT, 0xf4 };

	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	uint8_t *mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap guest memory");
	memcpy(mem + CODE_ADDR, code, sizeof(code));
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = GUEST_MEM, .userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");

	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(struct kvm_run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");

	/* A vCPU resets with CS based at 0xffff0000; flat real mode puts the code where we copied it. */
	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS");
	struct kvm_regs regs = { .rip = CODE_ADDR, .rflags = 0x2 };
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");

	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail("KVM_RUN (first)");
	printf("exit 1: %s (%u)", exit_name(run->exit_reason), run->exit_reason);
	if (run->exit_reason != KVM_EXIT_IO) {
		printf("\n");
		fprintf(stderr, "kvmcheck: expected KVM_EXIT_IO first\n");
		return 1;
	}
	uint8_t value = *((uint8_t *)run + run->io.data_offset);
	printf(" %s port 0x%x size %u count %u value %u\n", run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
	       run->io.port, run->io.size, run->io.count, value);
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != OUT_PORT || run->io.size != 1 ||
	    run->io.count != 1 || value != 42) {
		fprintf(stderr, "kvmcheck: expected out of 42 (1 byte) to port 0x%x\n", OUT_PORT);
		return 1;
	}

	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail("KVM_RUN (second)");
	printf("exit 2: %s (%u)\n", exit_name(run->exit_reason), run->exit_reason);
	if (run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr, "kvmcheck: expected KVM_EXIT_HLT second\n");
		return 1;
	}
	printf("guest ran\n");
	return 0;
}

/* Prints `NAME: yes|no (value)`; asking the VM rather than /dev/kvm gives what a VM of ours would get. */
static void report_cap(int vm, const char *name, long cap)
{
	int r = ioctl(vm, KVM_CHECK_EXTENSION, cap);
	printf("%s: %s (%d)\n", name, r > 0 ? "yes" : "no", r);
}

static int list_caps(int kvm)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	report_cap(vm, "KVM_CAP_X86_USER_SPACE_MSR", KVM_CAP_X86_USER_SPACE_MSR);
	report_cap(vm, "KVM_CAP_SYNC_REGS", KVM_CAP_SYNC_REGS);
	report_cap(vm, "KVM_CAP_IMMEDIATE_EXIT", KVM_CAP_IMMEDIATE_EXIT);
	report_cap(vm, "KVM_CAP_TSC_CONTROL", KVM_CAP_TSC_CONTROL);
	report_cap(vm, "KVM_CAP_GET_TSC_KHZ", KVM_CAP_GET_TSC_KHZ);

	/* The TSC offset is a vCPU device attribute, not a capability: only a vCPU can be asked. */
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	struct kvm_device_attr attr = { .group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET };
	int r = ioctl(vcpu, KVM_HAS_DEVICE_ATTR, &attr);
	printf("KVM_VCPU_TSC_CTRL/KVM_VCPU_TSC_OFFSET: %s\n", r == 0 ? "yes" : "no");
	int khz = ioctl(vcpu, KVM_GET_TSC_KHZ, 0);
	if (khz > 0)
		printf("vcpu tsc khz: %d\n", khz);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "caps") != 0)) {
		fprintf(stderr, "usage: kvmcheck [caps]\n");
		return 2;
	}
	/* If KVM_RUN hangs and the test's timeout kills us, what was already printed must be in the log. */
	setvbuf(stdout, NULL, _IONBF, 0);
	int kvm = open_kvm();
	if (kvm < 0)
		return 1;
	return argc == 2 ? list_caps(kvm) : run_guest(kvm);
}
