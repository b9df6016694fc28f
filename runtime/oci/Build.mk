# The OCI runtime's upstream libraries (a JSON library), appended to runtime_libs and runtime_lib_stamps.
#
# jansson 2.14 from Debian's source package: fetched once into $(CACHE), compiled with musl-gcc per
# build directory into a static archive, with configuration headers of our own (runtime/oci/jansson/)
# instead of a configure run.

JANSSON_VERSION := 2.14-2
JANSSON_SRC := $(CACHE)/jansson-$(JANSSON_VERSION)
JANSSON_MODULES := dump error hashtable hashtable_seed load memory pack_unpack strbuffer strconv utf value version
JANSSON_OUT := $(objtree)/runtime/oci/jansson
JANSSON_OBJS := $(patsubst %,$(JANSSON_OUT)/%.o,$(JANSSON_MODULES))
JANSSON_LIB := $(JANSSON_OUT)/libjansson.a
JANSSON_INC := $(JANSSON_OUT)/include
JANSSON_CONF := $(srctree)/runtime/oci/jansson
# Upstream code: its own warnings are not ours to fix, so no -Werror here.
JANSSON_CFLAGS := -std=gnu99 -Os -g -fno-pie -fno-stack-protector -ffunction-sections -fdata-sections \
	-DHAVE_CONFIG_H -I$(JANSSON_CONF) -I$(JANSSON_SRC)/src -w

# Other builds share $(CACHE) and may fetch concurrently: each fetches into a private directory
# and renames it into place; whoever finishes second discards its copy.
$(JANSSON_SRC)/.fetched: $(srctree)/scripts/fetch-source.sh
	$(msg) FETCH "jansson $(JANSSON_VERSION)"
	$(Q)mkdir -p $(CACHE) && tmp=$$(mktemp -d $(JANSSON_SRC).tmp.XXXXXX) && \
	trap 'rm -rf "$$tmp"' EXIT && \
	$(srctree)/scripts/fetch-source.sh jansson $(JANSSON_VERSION) $$tmp/src && \
	touch $$tmp/src/.fetched && { mv -T $$tmp/src $(JANSSON_SRC) 2>/dev/null || test -f $@; }

$(JANSSON_OUT)/%.o: $(JANSSON_SRC)/.fetched $(JANSSON_CONF)/jansson_config.h $(JANSSON_CONF)/jansson_private_config.h
	$(msg) HOSTCC jansson/$*.o
	$(Q)mkdir -p $(@D)
	$(Q)$(HOST_CC) $(JANSSON_CFLAGS) -c $(JANSSON_SRC)/src/$*.c -o $@

$(JANSSON_LIB): $(JANSSON_OBJS)
	$(msg) AR jansson/libjansson.a
	$(Q)rm -f $@.tmp && ar rcs $@.tmp $^ && mv $@.tmp $@

# Our objects see only the public headers, next to our jansson_config.h.
$(JANSSON_INC)/.stamp: $(JANSSON_SRC)/.fetched $(JANSSON_CONF)/jansson_config.h
	$(Q)mkdir -p $(@D)
	$(Q)cp $(JANSSON_SRC)/src/jansson.h $(JANSSON_CONF)/jansson_config.h $(@D)/ && touch $@

runtime_libs += $(JANSSON_LIB)
runtime_lib_stamps += $(JANSSON_INC)/.stamp
HOST_CFLAGS += -isystem $(JANSSON_INC)
