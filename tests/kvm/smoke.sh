# The nested /dev/kvm itself: a guest runs, and the capabilities mica's kvm backend relies on are there.

test_kvm_device_runs_a_guest() {
	assert_exit 0 kvmcheck
	assert_file_contains "$T/out" "api version: 12"
	assert_file_contains "$T/out" "exit 1: KVM_EXIT_IO (2) out port 0x10 size 1 count 1 value 42"
	assert_file_contains "$T/out" "exit 2: KVM_EXIT_HLT (5)"
}

# The kvm backend handles MSRs in userspace, reads registers from kvm_run without ioctls, and
# kicks a vCPU out of KVM_RUN with immediate_exit; TSC scaling and offsets are only reported.
test_kvm_caps_mica_needs() {
	assert_exit 0 kvmcheck caps
	# All of them, so a failure's excerpt (or MICA_KVM_CONSOLE=1) shows what this kernel offers.
	cat "$T/out"
	assert_file_contains "$T/out" "KVM_CAP_X86_USER_SPACE_MSR: yes"
	assert_file_contains "$T/out" "KVM_CAP_SYNC_REGS: yes"
	assert_file_contains "$T/out" "KVM_CAP_IMMEDIATE_EXIT: yes"
}
