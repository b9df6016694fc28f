-- Schema, inserts, joins, aggregates, GROUP BY / HAVING, ORDER BY, views, and the shell's output modes.
CREATE TABLE dept(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, floor INTEGER);
CREATE TABLE emp(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  dept_id INTEGER REFERENCES dept(id),
  salary REAL,
  hired TEXT,
  manager_id INTEGER REFERENCES emp(id)
);
CREATE INDEX emp_dept ON emp(dept_id, salary DESC);
INSERT INTO dept(id, name, floor) VALUES (1, 'Engineering', 3), (2, 'Sales', 1), (3, 'Support', 1), (4, 'Research', NULL);
INSERT INTO emp VALUES
  (1, 'Ada', 1, 185000.0, '2015-03-01', NULL),
  (2, 'Grace', 1, 172500.5, '2016-07-15', 1),
  (3, 'Linus', 1, 150000, '2019-01-10', 2),
  (4, 'Margaret', 2, 98000.25, '2017-11-30', 1),
  (5, 'Ken', 2, 101000, '2020-02-29', 4),
  (6, 'Barbara', 3, 67000, '2021-06-01', 1),
  (7, 'Dennis', 3, 71500.75, '2018-09-09', 6),
  (8, 'Edsger', NULL, 120000, '2014-12-31', NULL);

.headers on
.mode column
SELECT e.name, d.name AS dept, e.salary FROM emp e JOIN dept d ON d.id = e.dept_id ORDER BY e.salary DESC;

.mode list
SELECT e.name, coalesce(d.name, '(none)') AS dept FROM emp e LEFT JOIN dept d ON d.id = e.dept_id ORDER BY e.id;
SELECT d.name, count(e.id) AS n FROM dept d LEFT JOIN emp e ON e.dept_id = d.id GROUP BY d.id ORDER BY n DESC, d.name;

.mode box
SELECT d.name, count(*) AS n, sum(e.salary) AS total, avg(e.salary) AS mean, min(e.hired) AS first, max(e.hired) AS last
  FROM emp e JOIN dept d ON d.id = e.dept_id GROUP BY d.name HAVING count(*) > 1 ORDER BY total DESC;

.mode table
SELECT e.name AS employee, m.name AS manager FROM emp e LEFT JOIN emp m ON m.id = e.manager_id ORDER BY employee;

.mode csv
SELECT floor, group_concat(name, ';') AS names FROM (SELECT * FROM dept ORDER BY name) GROUP BY floor ORDER BY floor;

.mode markdown
SELECT name FROM dept WHERE id NOT IN (SELECT dept_id FROM emp WHERE dept_id IS NOT NULL)
UNION ALL SELECT name FROM emp WHERE dept_id IS NULL ORDER BY 1;

CREATE VIEW payroll AS SELECT dept_id, sum(salary) AS total FROM emp GROUP BY dept_id;
.mode line
SELECT * FROM payroll WHERE dept_id IS NOT NULL ORDER BY dept_id LIMIT 2 OFFSET 1;

.mode insert emp_copy
SELECT id, name, salary FROM emp WHERE salary > 150000 ORDER BY id;

.mode json
SELECT id, name, floor FROM dept ORDER BY id;

.mode quote
SELECT name, salary, hired FROM emp WHERE id IN (1, 8) ORDER BY id;

.mode tabs
.headers off
SELECT d.name, e.name FROM dept d, emp e WHERE e.dept_id = d.id AND d.floor = 1 ORDER BY 1, 2;
SELECT count(*) FROM emp e1 CROSS JOIN emp e2 WHERE e1.salary < e2.salary;
SELECT name FROM emp WHERE EXISTS (SELECT 1 FROM emp r WHERE r.manager_id = emp.id) ORDER BY name;
SELECT name, CASE WHEN salary >= 150000 THEN 'high' WHEN salary >= 100000 THEN 'mid' ELSE 'base' END FROM emp ORDER BY id;
