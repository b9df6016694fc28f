/* The text of a trap report: which exception, where, and every register at that moment. */
#include <arch/traps.h>

/* The SDM's mnemonics; vector 9 has none, being obsolete. */
static const char *const arch_trap_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "coprocessor segment overrun",
	"#TS", "#NP", "#SS", "#GP", "#PF", "reserved", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
	"reserved", "reserved", "reserved", "reserved", "reserved", "reserved", "#HV", "#VC", "#SX",
	"reserved",
};

/* An output buffer that drops what does not fit. */
struct arch_text {
	char *buf;
	size_t len, size;
};

static void arch_text_char(struct arch_text *t, char c)
{
	if (t->len < t->size)
		t->buf[t->len++] = c;
}

static void arch_text_str(struct arch_text *t, const char *s)
{
	while (*s)
		arch_text_char(t, *s++);
}

/* At least min_digits hex digits after "0x": registers are easier to compare at full width. */
static void arch_text_hex(struct arch_text *t, uint64_t v, int min_digits)
{
	char digits[16];
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v || n < min_digits);
	arch_text_str(t, "0x");
	while (n)
		arch_text_char(t, digits[--n]);
}

static void arch_text_dec(struct arch_text *t, uint64_t v)
{
	char digits[20];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		arch_text_char(t, digits[--n]);
}

size_t arch_trap_describe(const struct arch_trap_frame *f, char *buf, size_t size)
{
	struct arch_text t = {buf, 0, size};
	const uint64_t gprs[16] = {f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi, f->rbp, f->rsp,
				   f->r8,  f->r9,  f->r10, f->r11, f->r12, f->r13, f->r14, f->r15};
	static const char gpr_names[16][4] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
					      "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

	arch_text_str(&t, "crash: ");
	arch_text_str(&t, arch_trap_names[f->vector % 32]);
	arch_text_str(&t, " (vector ");
	arch_text_dec(&t, f->vector);
	arch_text_str(&t, "), error code ");
	arch_text_hex(&t, f->error_code, 1);
	arch_text_str(&t, ", at rip ");
	arch_text_hex(&t, f->rip, 1);
	if (f->vector == 14) {
		uint64_t cr2;
		/* Still the faulting address: nothing since the fault could have changed it. */
		__asm__ __volatile__("mov %%cr2, %0" : "=r"(cr2));
		arch_text_str(&t, ", cr2 ");
		arch_text_hex(&t, cr2, 1);
	}
	for (int i = 0; i < 16; i++) {
		arch_text_str(&t, i % 4 ? "  " : "\n  ");
		arch_text_str(&t, gpr_names[i]);
		arch_text_char(&t, ' ');
		arch_text_hex(&t, gprs[i], 16);
	}
	arch_text_str(&t, "\n  rflags ");
	arch_text_hex(&t, f->rflags, 16);
	arch_text_str(&t, "  cs ");
	arch_text_hex(&t, f->cs, 1);
	arch_text_str(&t, "  ss ");
	arch_text_hex(&t, f->ss, 1);
	arch_text_char(&t, '\n');
	return t.len;
}
