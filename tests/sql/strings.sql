-- String, date and JSON functions, on fixed inputs only (no 'now', no localtime).
.headers on
.mode line
SELECT upper('mixed Case') AS up, lower('MiXeD') AS low, length('héllo wörld') AS chars,
       length(CAST('héllo wörld' AS BLOB)) AS bytes, substr('unikernel', 4, 3) AS sub,
       substr('unikernel', -6) AS tail, replace('a-b-c-d', '-', '+') AS repl,
       instr('microvm', 'vm') AS pos, trim('  padded  ') || '|' AS trimmed,
       ltrim('xxyyz', 'xy') AS ltr, rtrim('file.txt...', '.') AS rtr,
       hex('Mica') AS hx, quote('it''s') AS q,
       char(77, 105, 99, 97) AS ch, unicode('é') AS cp, 'abc' || 123 || 4.5 AS concat;

.mode list
SELECT printf('%5d|%-5d|%05d|%x|%X|%o', 42, 42, 42, 255, 255, 8);
SELECT printf('%.3f|%10.2f|%-10.1f|%e|%g|%g', 3.14159265, 2.5, -0.05, 12345.678, 0.0001, 1e20);
SELECT printf('%s|%10s|%-10s|%.3s|%q|%Q|%w', 'str', 'right', 'left', 'truncate', 'O''Reilly', NULL, 'a"b');
SELECT printf('%c%c%c|%%|%,d|%!.20g', 'x', 'y', 'z', 1234567890, 0.1);
SELECT format('%d items at %.2f', 3, 9.999);
SELECT 'Mica' LIKE 'mi%', 'Mica' GLOB 'mi*', 'Mica' GLOB 'M?c[a-z]', 'a_c' LIKE 'a\_c' ESCAPE '\';
SELECT group_concat(value, ' ') FROM (SELECT 'z' AS value UNION ALL SELECT 'y' UNION ALL SELECT 'x' ORDER BY 1);
SELECT typeof('1'), typeof(1), typeof(1.0), typeof(x'01'), typeof(NULL), '10' + 5, '3.5abc' + 0;
SELECT 'b' > 'a', 'B' < 'a', 'abc' = 'ABC' COLLATE NOCASE, 'x ' = 'x' COLLATE RTRIM;
SELECT hex(zeroblob(4)), length(zeroblob(1000)), hex(x'00ff10');

-- Dates: fixed instants, modifiers, leap years, formatting.
.headers on
.mode column
SELECT date('2024-02-28', '+1 day') AS leap, date('2023-02-28', '+1 day') AS plain,
       date('2024-01-31', '+1 month') AS overflow, date('2024-03-15', 'start of month', '-1 day') AS eom,
       date('2024-07-04', 'weekday 0') AS next_sunday, time('12:34:56', '+90 minutes') AS later;
SELECT datetime('2000-01-01 00:00:00', '+1000000000 seconds') AS gigasecond,
       datetime(1700000000, 'unixepoch') AS from_epoch, unixepoch('2038-01-19 03:14:07') AS y2038,
       julianday('2000-01-01 12:00:00') AS jd, julianday('2024-12-25') - julianday('2024-01-01') AS days;
SELECT strftime('%Y/%m/%d %H:%M:%S', '1969-07-20 20:17:40') AS moon, strftime('%j %w %W %s', '2024-12-31') AS parts,
       strftime('%f', '2024-01-01 10:00:00.250') AS frac, date('2024-06-15', 'start of year', '+6 months', '-1 day') AS mid;
SELECT d, strftime('%w', d) AS dow FROM (SELECT date('2024-01-01', '+' || value || ' days') AS d
  FROM (SELECT 0 AS value UNION ALL SELECT 59 UNION ALL SELECT 365)) ORDER BY d;
SELECT date('not a date') IS NULL AS bad, date('2024-02-30') AS feb30, datetime('2024-06-01T08:30') AS iso;

-- JSON, built into the library since 3.38.
.mode list
.headers off
SELECT json_object('name', 'mica', 'tags', json_array('vm', 'unikernel'), 'size', 1.5);
SELECT json_extract('{"a":{"b":[10,20,30]}}', '$.a.b[1]'), '{"k":"v"}' -> '$.k', '{"k":"v"}' ->> '$.k';
SELECT key, value, type FROM json_each('{"x":1,"y":[2,3],"z":null}') ORDER BY key;
SELECT json_group_array(n) FROM (SELECT 3 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 ORDER BY n);
SELECT json_set('{"a":1}', '$.b', 2, '$.a', 'one'), json_remove('[1,2,3]', '$[1]'), json_valid('{bad'), json('  [1, 2] ');
