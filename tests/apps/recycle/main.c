/*
 * Recycled-process test guest (mica serve, proc): right after its ready point it records the state
 * a previous instance in the same guest process could have left (memory, vector, x87 and mask
 * registers, MXCSR, the x87 control word, RFLAGS, segment selectors), answers the request with it,
 * then marks all of it and powers off straight from the marked state. A request whose line holds
 * "crash" makes it crash instead (an invalid instruction), after the marks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cpuid.h>
#include <xen/xen.h>
#include <xen/sched.h>
#include <mica/abi.h>
#include <mica/hypercall.h>
#include <mica/ready.h>

#define RC_HEAP (1u << 20)

static volatile uint64_t rc_data = 1;                       /* a stored page: reads 1 */
static uint8_t rc_bss[4096] __attribute__((aligned(4096))); /* untouched before ready: not stored */
static struct sched_shutdown rc_off;

struct rc_state {
	uint64_t xmm15, ymm15_hi, zmm31_hi, k7, rflags;
	uint32_t mxcsr;
	uint16_t fcw, gs, ds, es, fs;
	int x87_dirty; /* a non-zero byte among the eight x87 registers' contents, or a tag in use */
	uint8_t fx[512] __attribute__((aligned(64)));
};

static int rc_avx, rc_avx512;

static void rc_features(void)
{
	unsigned int a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return;
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	rc_avx = (c & bit_AVX) && (lo & 6) == 6;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d))
		rc_avx512 = rc_avx && (b & bit_AVX512F) && (lo & 0xe0) == 0xe0;
}

/* Reads the registers first, before any C code of the request could use them. */
static __attribute__((noinline)) void rc_probe(struct rc_state *s)
{
	uint8_t v[64] __attribute__((aligned(64)));
	__asm__ volatile("movq %%xmm15, %0" : "=r"(s->xmm15));
	if (rc_avx) {
		__asm__ volatile("vextracti128 $1, %%ymm15, %%xmm14\n\tmovq %%xmm14, %0" : "=r"(s->ymm15_hi) : : "xmm14");
	}
	if (rc_avx512) {
		__asm__ volatile("vmovdqu64 %%zmm31, (%0)" : : "r"(v) : "memory");
		memcpy(&s->zmm31_hi, v + 32, 8);
		__asm__ volatile("kmovw %%k7, %%eax\n\tmovq %%rax, %0" : "=r"(s->k7) : : "rax");
	}
	__asm__ volatile("pushfq\n\tpopq %0" : "=r"(s->rflags));
	__asm__ volatile("stmxcsr %0" : "=m"(s->mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(s->fcw));
	__asm__ volatile("mov %%gs, %0" : "=r"(s->gs));
	__asm__ volatile("mov %%ds, %0" : "=r"(s->ds));
	__asm__ volatile("mov %%es, %0" : "=r"(s->es));
	__asm__ volatile("mov %%fs, %0" : "=r"(s->fs));
	__asm__ volatile("fxsave64 %0" : "=m"(s->fx));
	s->x87_dirty = s->fx[4] != 0; /* abridged tag word: a register in use */
	for (int r = 0; r < 8; r++)
		for (int i = 0; i < 10; i++)
			s->x87_dirty |= s->fx[32 + 16 * r + i] != 0;
}

/*
 * Leaves a mark in every register the probe reads and powers off from the sched_op hypercall slot
 * directly: the C library's exit path would not run with DF and AC set.
 */
static _Noreturn void rc_mark_and_poweroff(void)
{
	static const uint64_t pat[8] __attribute__((aligned(64))) = {
		0x1111111111111111, 0x2222222222222222, 0x3333333333333333, 0x4444444444444444,
		0x5555555555555555, 0x6666666666666666, 0x7777777777777777, 0x8888888888888888};
	static const uint32_t mxcsr = 0x9fc0;
	static const uint16_t fcw = 0x27f;
	rc_off.reason = MICA_SHUTDOWN_REASON(SHUTDOWN_poweroff, 0);
	if (rc_avx)
		__asm__ volatile("vmovdqu (%0), %%ymm15" : : "r"(pat) : "xmm15");
	else
		__asm__ volatile("movdqu (%0), %%xmm15" : : "r"(pat) : "xmm15");
	if (rc_avx512)
		__asm__ volatile("vmovdqu64 (%0), %%zmm31\n\tmov $0xa5a5, %%eax\n\tkmovw %%eax, %%k7" : : "r"(pat) : "rax");
	__asm__ volatile("ldmxcsr %0\n\t"
			 "fldcw %1\n\t"
			 "fld1\n\tfldpi\n\tfldl2t\n\t"
			 "mov $0x2b, %%eax\n\tmov %%eax, %%gs\n\tmov %%eax, %%ds\n\tmov %%eax, %%es\n\t"
			 "pushfq\n\torq $0x40000, (%%rsp)\n\tpopfq\n\t"
			 "std\n\t"
			 "mov %2, %%edi\n\t"
			 "mov %3, %%rsi\n\t"
			 "call hypercall_page + %c4\n\t"
			 "ud2"
			 :
			 : "m"(mxcsr), "m"(fcw), "i"(SCHEDOP_shutdown), "r"(&rc_off),
			   "i"(__HYPERVISOR_sched_op * MICA_HC_SLOT_SIZE)
			 : "rax", "rdi", "rsi", "memory");
	__builtin_unreachable();
}

int main(void)
{
	static struct rc_state s;
	rc_features();
	mica_ready();
	rc_probe(&s);

	char buf[4096];
	int crash = fgets(buf, sizeof(buf), stdin) && strstr(buf, "crash");
	while (fread(buf, 1, sizeof(buf), stdin) > 0)
		;
	int bss = 0;
	for (size_t i = 0; i < sizeof(rc_bss); i++)
		bss |= rc_bss[i];
	uint8_t *heap = malloc(RC_HEAP);
	int heap_dirty = heap == NULL;
	for (size_t i = 0; heap && i < RC_HEAP; i += 512)
		heap_dirty |= heap[i];
	printf("\ndata=%llu bss=%d heap=%d\n", (unsigned long long)rc_data, bss, heap_dirty);
	printf("xmm15=%llx ymm15hi=%llx zmm31hi=%llx k7=%llx x87=%d\n", (unsigned long long)s.xmm15,
	       (unsigned long long)s.ymm15_hi, (unsigned long long)s.zmm31_hi, (unsigned long long)s.k7,
	       s.x87_dirty);
	printf("mxcsr=%x fcw=%x df=%d ac=%d\n", s.mxcsr, s.fcw, (int)(s.rflags >> 10 & 1),
	       (int)(s.rflags >> 18 & 1));
	printf("gs=%x ds=%x es=%x fs=%x\n", s.gs, s.ds, s.es, s.fs);
	fflush(stdout);

	rc_data = 0xdead;
	memset(rc_bss, 0xa5, sizeof(rc_bss));
	if (heap)
		memset(heap, 0x5a, RC_HEAP);
	if (crash)
		__builtin_trap();
	rc_mark_and_poweroff();
}
