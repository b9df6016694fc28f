-- Transactions, savepoints and constraints: what a rollback undoes, what an error leaves behind.
PRAGMA foreign_keys = ON;
CREATE TABLE account(id INTEGER PRIMARY KEY, owner TEXT NOT NULL UNIQUE, balance INTEGER NOT NULL CHECK (balance >= 0));
CREATE TABLE transfer(id INTEGER PRIMARY KEY AUTOINCREMENT, src INTEGER REFERENCES account(id),
  dst INTEGER REFERENCES account(id), amount INTEGER);
INSERT INTO account(owner, balance) VALUES ('alice', 100), ('bob', 50), ('carol', 0);

.headers on
BEGIN;
UPDATE account SET balance = balance - 30 WHERE owner = 'alice';
UPDATE account SET balance = balance + 30 WHERE owner = 'bob';
INSERT INTO transfer(src, dst, amount) VALUES (1, 2, 30);
COMMIT;
SELECT owner, balance FROM account ORDER BY id;

BEGIN;
UPDATE account SET balance = 0;
DELETE FROM account WHERE owner = 'carol';
INSERT INTO account(owner, balance) VALUES ('mallory', 1000000);
SELECT count(*) AS inside, sum(balance) AS total FROM account;
ROLLBACK;
SELECT owner, balance FROM account ORDER BY id;

-- Savepoints: the inner one is rolled back, the outer one kept.
SAVEPOINT outer_sp;
INSERT INTO account(owner, balance) VALUES ('dave', 10);
SAVEPOINT inner_sp;
UPDATE account SET balance = 0;
ROLLBACK TO inner_sp;
RELEASE inner_sp;
RELEASE outer_sp;
SELECT owner, balance FROM account ORDER BY id;

-- Errors: each statement fails alone; the shell reports it and goes on.
INSERT INTO account(owner, balance) VALUES ('alice', 5);
INSERT INTO account(owner, balance) VALUES ('erin', -1);
INSERT INTO account(owner, balance) VALUES (NULL, 1);
INSERT INTO transfer(src, dst, amount) VALUES (1, 99, 5);
UPDATE account SET owner = 'bob' WHERE owner = 'carol';
SELECT changes() AS changed, total_changes() > 0 AS any;

-- A failing statement inside a transaction leaves the earlier ones of it in place.
BEGIN;
INSERT INTO account(owner, balance) VALUES ('frank', 7);
INSERT INTO account(owner, balance) VALUES ('frank', 8);
COMMIT;
SELECT owner, balance FROM account WHERE owner LIKE 'f%';

-- Conflict clauses and upserts.
INSERT OR IGNORE INTO account(owner, balance) VALUES ('alice', 1);
INSERT OR REPLACE INTO account(id, owner, balance) VALUES (3, 'carol', 33);
INSERT INTO account(owner, balance) VALUES ('bob', 5) ON CONFLICT(owner) DO UPDATE SET balance = balance + excluded.balance;
UPDATE OR ROLLBACK account SET balance = -5 WHERE owner = 'dave';
SELECT id, owner, balance FROM account ORDER BY id;
SELECT id, src, dst, amount FROM transfer;
SELECT name, seq FROM sqlite_sequence;
DELETE FROM account WHERE owner = 'alice';
SELECT count(*) AS accounts, sum(balance) AS total FROM account;
