# Lua 5.4 from Debian's lua5.4 source package, compiled unmodified against the guest's libc.

LUA_VERSION := 5.4.4-3+deb12u1
LUA_DIR := $(CACHE)/lua5.4-$(LUA_VERSION)
LUA_MODULES := lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes lparser \
	lstate lstring ltable ltm lundump lvm lzio lauxlib lbaselib lcorolib ldblib liolib lmathlib \
	loadlib loslib lstrlib ltablib lutf8lib linit lua
LUA_OBJS := $(patsubst %,$(objtree)/apps/lua/upstream/%.o,$(LUA_MODULES))

$(LUA_DIR)/.fetched: $(srctree)/scripts/fetch-source.sh
	$(msg) FETCH lua5.4 $(LUA_VERSION)
	$(Q)mkdir -p $(CACHE) && $(srctree)/scripts/fetch-source.sh lua5.4 $(LUA_VERSION) $(LUA_DIR)
	$(Q)touch $@

# LUA_USE_POSIX: the POSIX flavour (mkstemp, popen stubs) without Linux's dlopen and readline.
$(objtree)/apps/lua/upstream/%.o: $(LUA_DIR)/.fetched $(GUEST_LIBC) $(AUTOHEADER)
	$(msg) CC lua5.4/$*.o
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(UPSTREAM_CFLAGS) -DLUA_USE_POSIX -I$(srctree)/apps/lua/include -c $(LUA_DIR)/src/$*.c -o $@

APP_EXTRA_OBJS += $(LUA_OBJS)
