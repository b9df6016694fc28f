# The sqlite3 shell: the library plus the generated shell.c, whose main() is the app's.
SQLITE_MAIN := shell
include $(srctree)/apps/sqlite/upstream.mk
