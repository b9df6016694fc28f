# SQLite from Debian's sqlite3 source package, shared by the apps sqlite (the shell) and
# speedtest1: the including Build.mk sets SQLITE_MAIN to the generated file holding main().
#
# The Debian tree is SQLite's canonical source, not the amalgamation: sqlite3.c and shell.c are
# generated on the host (configure, lemon, tclsh), once per cache, and only the generated files
# and test/speedtest1.c are kept.

SQLITE_VERSION := 3.40.1-2+deb12u2
SQLITE_DIR := $(CACHE)/sqlite3-$(SQLITE_VERSION)
SQLITE_STAMP := $(SQLITE_DIR)/.generated
SQLITE_KEEP := sqlite3.c sqlite3.h shell.c

# Built in a scratch directory and renamed into place, so an interrupted build never looks done.
# configure runs out of tree; --disable-tcl: only tclsh is needed, not the Tcl headers; $(MAKE)
# runs SQLite's own Makefile on our jobserver.
$(SQLITE_STAMP): $(srctree)/scripts/fetch-source.sh
	$(msg) FETCH "sqlite3 $(SQLITE_VERSION)"
	$(Q)rm -rf $(SQLITE_DIR).tmp && mkdir -p $(SQLITE_DIR).tmp/bld
	$(Q)$(srctree)/scripts/fetch-source.sh sqlite3 $(SQLITE_VERSION) $(SQLITE_DIR).tmp/src
	$(msg) GEN "sqlite3.c shell.c (once per cache: $(CACHE))"
	$(Q)cd $(SQLITE_DIR).tmp/bld && { ../src/configure --disable-tcl && \
		$(MAKE) $(SQLITE_KEEP); } >../gen.log 2>&1 || { tail -n 20 ../gen.log >&2; exit 1; }
	$(Q)cd $(SQLITE_DIR).tmp && mv $(addprefix bld/,$(SQLITE_KEEP)) src/test/speedtest1.c . && \
		rm -rf src bld gen.log && touch $(notdir $@)
	$(Q)rm -rf $(SQLITE_DIR) && mv $(SQLITE_DIR).tmp $(SQLITE_DIR)

# One library configuration for the library and both mains (shell.c tests some of these too):
#   THREADSAFE=0          one thread, no mutexes;
#   OMIT_LOAD_EXTENSION   a unikernel has no dlopen;
#   OMIT_WAL              WAL needs a shared-memory file mapping; the rollback journal does not;
#   DEFAULT_MEMSTATUS=0   no allocation accounting on every malloc;
#   HAVE_USLEEP           busy waits sleep in microseconds rather than whole seconds;
#   ENABLE_MATH_FUNCTIONS as Debian's configure does, so scripts run the same on the host;
#   NOHAVE_SYSTEM         no .system, .shell or .edit: there are no processes to start.
# Neither HAVE_READLINE nor HAVE_EDITLINE: the shell reads lines with fgets.
SQLITE_DEFS := -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL \
	-DSQLITE_DEFAULT_MEMSTATUS=0 -DHAVE_USLEEP=1 -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_NOHAVE_SYSTEM
SQLITE_OBJS := $(patsubst %,$(objtree)/$(APP_DIR)/upstream/%.o,sqlite3 $(SQLITE_MAIN))

$(SQLITE_OBJS): $(objtree)/$(APP_DIR)/upstream/%.o: $(SQLITE_STAMP) $(srctree)/apps/sqlite/upstream.mk \
		$(GUEST_LIBC) $(AUTOHEADER)
	$(msg) CC sqlite3/$*.o
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(UPSTREAM_CFLAGS) $(SQLITE_DEFS) -I$(SQLITE_DIR) -c $(SQLITE_DIR)/$*.c -o $@

APP_EXTRA_OBJS += $(SQLITE_OBJS)
