/* Medians, the one-line report and count parsing that the bench timers (spawntime, linetime) share. */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sorts v in place. */
static inline double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* "LABEL median_us=… min_us=… max_us=…": the format tests/bench/run parses. */
static inline void bench_report(const char *label, double *v, int n)
{
	double m = bench_median(v, n);
	printf("%s median_us=%.1f min_us=%.1f max_us=%.1f\n", label, m, v[0], v[n - 1]);
}

/* A whole decimal number in [min, max], or false. */
static inline bool bench_parse_count(const char *s, int min, int max, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < min || v > max)
		return false;
	*out = (int)v;
	return true;
}

#endif
