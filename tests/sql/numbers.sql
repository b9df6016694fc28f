-- Integer and real arithmetic and how the shell prints it: limits, overflow, rounding, casts, math functions.
.headers on
.mode line
SELECT 9223372036854775807 AS imax, -9223372036854775808 AS imin, 9223372036854775807 + 1 AS overflow,
       0x7fffffffffffffff AS hexmax, 0xffffffffffffffff AS hexneg, 2 * 4611686018427387904 AS times,
       7 / 2 AS idiv, -7 / 2 AS ineg, 7 % 3 AS imod, -7 % 3 AS inegmod, 7.0 / 2 AS rdiv, 1 / 0 AS divzero,
       5 & 3 AS band, 5 | 3 AS bor, ~5 AS bnot, 1 << 62 AS shl, -16 >> 2 AS shr, abs(-9223372036854775807) AS absv;

.mode list
SELECT 0.1 + 0.2, 1.0 / 3, 2.0 / 3, 1e15 + 0.3, 1e16, 1e100, 1.5e-10, 123456789012345678.0;
SELECT 1e308 * 10, -1e308 * 10, -0.0, 0.0 * -1, 100.0, 1e3, 3.0e0, 2.5e-1;
SELECT round(2.5), round(-2.5), round(1.005, 2), round(1234.5678, -2), round(0.5), round(1.4999999, 0);
SELECT CAST('42' AS INTEGER), CAST('  42abc' AS INTEGER), CAST(3.99 AS INTEGER), CAST(-3.99 AS INTEGER),
       CAST('1e3' AS REAL), CAST(12 AS TEXT) || 'x', CAST(1e19 AS INTEGER), CAST('0x10' AS INTEGER);
SELECT 10 = 10.0, '10' = 10, 1 < 'a', x'41' > 'Z', NULL = NULL, NULL IS NULL, 3 BETWEEN 1 AND 5, 2 IN (1, 2, 3);
SELECT max(1, 2.5, -3), min('b', 'a', 'c'), coalesce(NULL, NULL, 7), ifnull(NULL, 'dflt'), nullif(5, 5), iif(1 > 2, 'y', 'n');
SELECT sqrt(2), pow(2, 10), power(2.0, 0.5), exp(1), ln(10), log(1000), log2(1024), log(2, 8), pi();
SELECT floor(-2.5), ceil(-2.5), trunc(2.7), sign(-4), mod(10, 3), degrees(pi()), radians(180), sin(0), cos(0);
SELECT sum(x), total(x), avg(x), count(x), count(*) FROM (SELECT 1 AS x UNION ALL SELECT 2.5 UNION ALL SELECT NULL);
SELECT sum(x) FROM (SELECT 9223372036854775807 AS x UNION ALL SELECT 1);
SELECT total(x) FROM (SELECT 9223372036854775807 AS x UNION ALL SELECT 1);

.mode column
CREATE TABLE m(i INTEGER, r REAL, n NUMERIC, t TEXT, b BLOB, a);
INSERT INTO m VALUES ('12', '12', '12.0', 12, 12, '12'), (3.0, 3, '3.5', 3.5, 3.5, 3.5), ('x', 'x', '1e2', 1e2, NULL, 1e2);
SELECT i, typeof(i), r, typeof(r), n, typeof(n), t, typeof(t), b, typeof(b), a, typeof(a) FROM m;
.mode quote
SELECT * FROM m;
.mode csv
SELECT i * 2, r / 4, n + 0.5, t || '', a * a FROM m;
