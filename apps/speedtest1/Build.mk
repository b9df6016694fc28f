# speedtest1: the sqlite app's library build with SQLite's benchmark as main().
SQLITE_MAIN := speedtest1
include $(srctree)/apps/sqlite/upstream.mk
