-- Window functions and common table expressions, recursive ones included.
CREATE TABLE sales(region TEXT, month INTEGER, amount INTEGER);
WITH RECURSIVE m(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM m WHERE x < 6)
INSERT INTO sales SELECT r.name, m.x, (m.x * 37 + r.k * 11) % 50 + 10
  FROM m, (SELECT 'north' AS name, 1 AS k UNION ALL SELECT 'south', 2 UNION ALL SELECT 'east', 3) r;

.headers on
.mode column
SELECT region, month, amount,
       sum(amount) OVER (PARTITION BY region ORDER BY month) AS running,
       rank() OVER (PARTITION BY region ORDER BY amount DESC) AS rnk,
       dense_rank() OVER (ORDER BY amount DESC) AS drnk,
       row_number() OVER (ORDER BY region, month) AS rn
  FROM sales ORDER BY region, month;

SELECT region, month, amount,
       lag(amount) OVER w AS prev, lead(amount, 2, -1) OVER w AS next2,
       first_value(amount) OVER w AS first, last_value(amount) OVER w AS last,
       nth_value(amount, 3) OVER w AS third
  FROM sales WHERE region = 'east'
  WINDOW w AS (ORDER BY month ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
  ORDER BY month;

SELECT month, region, amount,
       avg(amount) OVER (PARTITION BY region ORDER BY month ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS smooth,
       ntile(3) OVER (PARTITION BY region ORDER BY month) AS tile,
       round(percent_rank() OVER (ORDER BY amount), 4) AS pr,
       round(cume_dist() OVER (ORDER BY amount), 4) AS cd
  FROM sales WHERE month <= 3 ORDER BY month, region;

SELECT region, group_concat(amount, ',') OVER (PARTITION BY region ORDER BY month
         RANGE BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE CURRENT ROW) AS neighbours, month
  FROM sales WHERE region = 'north' ORDER BY month;

SELECT region, amount, count(*) FILTER (WHERE amount > 30) OVER (PARTITION BY region) AS big
  FROM sales WHERE month = 6 ORDER BY region;

-- Recursive CTEs: a sequence, Fibonacci, a tree walk, and the Collatz sequence of 27 summarized.
WITH RECURSIVE fib(n, a, b) AS (SELECT 1, 0, 1 UNION ALL SELECT n + 1, b, a + b FROM fib WHERE n < 90)
SELECT n, a FROM fib WHERE n % 15 = 0 OR n = 90;

CREATE TABLE tree(id INTEGER PRIMARY KEY, parent INTEGER, label TEXT);
INSERT INTO tree VALUES (1, NULL, 'root'), (2, 1, 'usr'), (3, 1, 'etc'), (4, 2, 'bin'), (5, 2, 'lib'),
  (6, 4, 'sqlite3'), (7, 3, 'passwd'), (8, 5, 'libc.a');
.mode list
WITH RECURSIVE walk(id, path, depth) AS (
  SELECT id, label, 0 FROM tree WHERE parent IS NULL
  UNION ALL
  SELECT t.id, w.path || '/' || t.label, w.depth + 1 FROM tree t JOIN walk w ON t.parent = w.id
  ORDER BY 3 DESC, 2
)
SELECT depth, path FROM walk;

WITH RECURSIVE c(step, n) AS (SELECT 0, 27 UNION ALL
  SELECT step + 1, CASE WHEN n % 2 THEN 3 * n + 1 ELSE n / 2 END FROM c WHERE n > 1)
SELECT max(step) AS steps, max(n) AS peak, sum(n) AS total FROM c;

WITH totals AS (SELECT region, sum(amount) AS t FROM sales GROUP BY region),
     best AS (SELECT max(t) AS t FROM totals)
SELECT totals.region, totals.t FROM totals JOIN best USING (t);

WITH RECURSIVE digits(d) AS (SELECT 0 UNION ALL SELECT d + 1 FROM digits LIMIT 10)
SELECT group_concat(d * d, ' ') FROM digits;
