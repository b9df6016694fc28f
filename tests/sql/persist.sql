-- The database as a file: reopen it, dump it, copy it with VACUUM INTO and .backup, integrity checks.
CREATE TABLE note(id INTEGER PRIMARY KEY, title TEXT, body TEXT, score REAL);
CREATE INDEX note_title ON note(title);
CREATE TRIGGER note_touch AFTER UPDATE OF body ON note BEGIN
  UPDATE note SET score = score + 1 WHERE id = new.id;
END;
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
INSERT INTO note(title, body, score) SELECT 'title ' || (x % 97), printf('%.*c', x % 300 + 1, 'z'), x / 8.0 FROM n;
UPDATE note SET body = 'edited' WHERE id % 500 = 0;
DELETE FROM note WHERE id % 3 = 0;

-- Closing and opening the file again: everything came back from the file system.
.open t.db
SELECT count(*), sum(length(body)), sum(score), max(id) FROM note;
SELECT id, title, body, score FROM note WHERE id % 500 = 0 ORDER BY id;
PRAGMA integrity_check;
.tables
.schema note
.indexes note

VACUUM INTO 'copy.db';
.backup backup.db
.open copy.db
SELECT count(*), sum(score) FROM note;
PRAGMA integrity_check;
.open backup.db
SELECT title, count(*) AS n, round(avg(score), 3) FROM note GROUP BY title ORDER BY n DESC, title LIMIT 3;

.open dumpme.db
CREATE TABLE small(k TEXT PRIMARY KEY, v, blob BLOB) WITHOUT ROWID;
INSERT INTO small VALUES ('a', 1, x'00ff'), ('b', 2.5, NULL), ('c', 'it''s', x''), ('d', NULL, zeroblob(3));
CREATE VIEW small_v AS SELECT k, v FROM small WHERE v IS NOT NULL;
.dump
DROP TABLE small;
.open t.db
DROP TABLE note;
VACUUM;
PRAGMA page_count;
SELECT name FROM sqlite_schema;
