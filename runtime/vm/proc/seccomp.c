/* Builds the proc guest's seccomp filter as classic BPF over struct seccomp_data. */
#include <linux/audit.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <asm/prctl.h>
#include <stddef.h>
#include <sys/syscall.h>
#include "vm/proc/seccomp.h"

#define SD_NR offsetof(struct seccomp_data, nr)
#define SD_ARCH offsetof(struct seccomp_data, arch)
#define SD_IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define SD_IP_HI (SD_IP_LO + 4)
#define SD_ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define SD_ARG_HI(i) (SD_ARG_LO(i) + 4)

#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define JGE(k, t, f) BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (k), (t), (f))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))

size_t seccomp_build_filter(struct sock_filter *prog, size_t cap, uint64_t hcpage)
{
	/* Jump offsets count from the next instruction; the three exits are the last three. */
	enum { ALLOW = 19, NOTIFY = 20, KILL = 21, LEN = 22 };
#define TO(target, at) ((target) - (at) - 1)
	const struct sock_filter f[LEN] = {
		/* 0 */ LD(SD_ARCH),
		/* 1 */ JEQ(AUDIT_ARCH_X86_64, 0, TO(KILL, 1)),
		/* 2 */ LD(SD_IP_HI),
		/* 3 */ JEQ((uint32_t)(hcpage >> 32), 0, TO(NOTIFY, 3)),
		/* 4 */ LD(SD_IP_LO),
		/* 5 */ JGE((uint32_t)hcpage, 0, TO(NOTIFY, 5)),
		/* 6 */ JGE((uint32_t)hcpage + 4096, TO(NOTIFY, 6), 0),
		/* 7 */ LD(SD_NR),
		/* 8 */ JEQ(__NR_exit_group, TO(ALLOW, 8), 0),
		/* 9 */ JEQ(__NR_arch_prctl, 0, TO(14, 9)),
		/* 10 */ LD(SD_ARG_LO(0)),
		/* 11 */ JEQ(ARCH_SET_FS, 0, TO(NOTIFY, 11)),
		/* 12 */ LD(SD_ARG_HI(0)),
		/* 13 */ JEQ(0, TO(ALLOW, 13), TO(NOTIFY, 13)),
		/* 14 */ JEQ(__NR_futex, 0, TO(NOTIFY, 14)),
		/* 15 */ LD(SD_ARG_LO(1)),
		/* 16 */ JEQ(FUTEX_WAKE, 0, TO(NOTIFY, 16)),
		/* 17 */ LD(SD_ARG_HI(1)),
		/* 18 */ JEQ(0, TO(ALLOW, 18), TO(NOTIFY, 18)),
		/* 19 */ RET(SECCOMP_RET_ALLOW),
		/* 20 */ RET(SECCOMP_RET_USER_NOTIF),
		/* 21 */ RET(SECCOMP_RET_KILL_PROCESS),
	};
#undef TO
	if (cap < LEN)
		return 0;
	for (size_t i = 0; i < LEN; i++)
		prog[i] = f[i];
	return LEN;
}
