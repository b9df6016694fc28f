/* Guest self-test of lib/core, lib/alloc and lib/sched: prints each check, ends with a verdict. */
#include <stdbool.h>
#include <stdint.h>
#include <mica/alloc.h>
#include <mica/panic.h>
#include <mica/plat.h>
#include <mica/print.h>
#include <mica/sched.h>
#include <mica/string.h>

static int checks, failures;

static void check(bool ok, const char *what)
{
	checks++;
	if (!ok) {
		failures++;
		printf("libtest: FAIL %s\n", what);
	}
}

static void test_print(void)
{
	char buf[64];
	int n;

	n = snprintf(buf, sizeof(buf), "%d|%5s|%-4x|%#o|%lld|%c", -42, "ab", 0xbeefu, 8u, -9000000000LL, 'z');
	check(n == 32 && strcmp(buf, "-42|   ab|beef|010|-9000000000|z") == 0, "snprintf formats");
	n = snprintf(buf, 6, "%s", "truncated");
	check(n == 9 && strcmp(buf, "trunc") == 0, "snprintf truncates and counts");
	check(snprintf(NULL, 0, "%zu", (size_t)123456) == 6, "snprintf(NULL, 0) counts");

	n = printf("libtest: printf %s %d %#x %p\n", "works", 7, 255u, (void *)0x1000);
	check(n == 36, "printf returns its length");
	check(puts("libtest: puts works") == 20, "puts returns its length");

	int evaluated = 0;
	assert(++evaluated == 1);
	check(evaluated == 1, "assert evaluates its argument once");
}

static bool filled_with(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != v)
			return false;
	}
	return true;
}

/* Takes 1 MiB blocks until malloc says no, frees them all, and returns how many there were. */
static size_t fill_memory(void)
{
	static void *list[8192];
	size_t n = 0;

	while (n < sizeof(list) / sizeof(list[0]) && (list[n] = malloc(1024 * 1024)) != NULL)
		n++;
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	return n;
}

static void test_alloc(void)
{
	static const size_t sizes[] = {1, 8, 16, 17, 48, 100, 255, 512, 1000, 2048, 2049, 4096, 10000, 100000};
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	unsigned char *p[N];
	bool ok = true;

	for (int i = 0; i < N; i++) {
		p[i] = malloc(sizes[i]);
		ok = ok && p[i] != NULL && (uintptr_t)p[i] % 16 == 0;
		if (p[i] != NULL)
			memset(p[i], i + 1, sizes[i]);
	}
	for (int i = 0; i < N; i++)
		ok = ok && p[i] != NULL && filled_with(p[i], sizes[i], (unsigned char)(i + 1));
	check(ok, "malloc blocks are aligned and keep their contents");
	/* Every other one first, so that frees meet both freed and live neighbours. */
	for (int i = 0; i < N; i += 2)
		free(p[i]);
	for (int i = 1; i < N; i += 2)
		free(p[i]);

	unsigned char *z = calloc(300, 7);
	check(z != NULL && filled_with(z, 2100, 0), "calloc zeroes");
	unsigned char *r = realloc(z, 50000);
	check(r != NULL && filled_with(r, 2100, 0), "realloc keeps contents");
	free(r);
	check(calloc(SIZE_MAX / 4, 8) == NULL, "calloc overflow is NULL");

	void *a = aligned_alloc(4096, 100);
	check(a != NULL && (uintptr_t)a % 4096 == 0, "aligned_alloc aligns");
	free(a);

	size_t first = fill_memory();
	size_t again = fill_memory();
	printf("libtest: memory held %zu blocks of 1 MiB, and again %zu\n", first, again);
	check(first > 0 && first == again, "exhaustion is NULL and freeing gives all memory back");
	check(malloc(SIZE_MAX / 2) == NULL, "an impossible malloc is NULL");
}

/* Three threads pass a turn around through one wait queue. */
static struct sched_waitq turn_q, done_q;
static int turn, finished, order[30], norder;

static void pingpong(void *arg)
{
	int me = (int)(intptr_t)arg;

	for (int round = 0; round < 10; round++) {
		while (turn % 3 != me)
			sched_wait(&turn_q);
		order[norder++] = me;
		turn++;
		sched_wake_all(&turn_q);
		sched_thread_yield();
	}
	finished++;
	sched_wake_one(&done_q);
}

static void test_threads(void)
{
	sched_waitq_init(&turn_q);
	sched_waitq_init(&done_q);
	for (intptr_t i = 2; i >= 0; i--)
		check(sched_thread_create("pingpong", pingpong, (void *)i, 0) != NULL, "thread create");
	while (finished < 3)
		sched_wait(&done_q);
	bool ok = norder == 30;
	for (int i = 0; i < norder; i++)
		ok = ok && order[i] == i % 3;
	check(ok, "three threads ping-pong in turn through a wait queue");
	check(strcmp(sched_thread_name(sched_current()), "main") == 0, "the boot context is thread main");
}

static uint64_t woke_at;

static void early_sleeper(void *arg)
{
	(void)arg;
	sched_sleep_ns(1000000);
	woke_at = plat_time_ns();
}

static void test_sleep(void)
{
	uint64_t t0 = plat_time_ns();
	sched_sleep_ns(2000000);
	uint64_t dt = plat_time_ns() - t0;

	printf("libtest: sched_sleep_ns(2 ms) took %llu.%03llu ms\n", (unsigned long long)(dt / 1000000),
	       (unsigned long long)(dt / 1000 % 1000));
	check(dt >= 2000000 && dt < 1000000000, "sleep lasts at least its time, and not absurdly long");

	woke_at = 0;
	t0 = plat_time_ns();
	sched_thread_create("sleeper", early_sleeper, NULL, 0);
	sched_sleep_ns(3000000);
	check(woke_at >= t0 + 1000000 && woke_at < plat_time_ns(), "a shorter sleeper wakes first");
}

static int churned;

static void churn(void *arg)
{
	(void)arg;
	churned++;
}

static void test_reaping(void)
{
	bool ok = true;

	/* 256 stacks of 1 MiB in turn: more than the guest has unless exited stacks are freed. */
	for (int i = 0; i < 256 && ok; i++) {
		ok = sched_thread_create("churn", churn, NULL, 1024 * 1024) != NULL;
		sched_thread_yield();
	}
	check(ok && churned == 256, "exited threads' stacks are freed");
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	test_print();
	test_alloc();
	test_threads();
	test_sleep();
	test_reaping();
	if (failures == 0) {
		printf("libtest: all %d checks passed\n", checks);
		return 0;
	}
	printf("libtest: FAILED %d of %d checks\n", failures, checks);
	return 1;
}
