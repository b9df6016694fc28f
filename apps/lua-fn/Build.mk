# lua-fn links the Lua 5.4 core that apps/lua builds from Debian's source, minus its standalone
# interpreter (lua.c, which has its own main).
include $(srctree)/apps/lua/Build.mk
APP_EXTRA_OBJS := $(filter-out $(objtree)/apps/lua/upstream/lua.o,$(APP_EXTRA_OBJS))

# Lua's headers are upstream code: -isystem keeps their warnings out of our -Werror build.
$(objtree)/apps/lua-fn/main.o: GUEST_CFLAGS += -isystem $(LUA_DIR)/src -I$(srctree)/apps/lua/include
$(objtree)/apps/lua-fn/main.o: | $(LUA_DIR)/.fetched
