# The function gateway's upstream libraries (an HTTP server library), appended to runtime_libs and runtime_lib_stamps.
#
# libmicrohttpd 0.9.75 from Debian's source package (with Debian's patches), configured for musl-gcc
# without HTTPS, authentication, upgrade, the POST processor or gettext, and built once into
# $(CACHE) as a static archive: its configure run takes a minute, so builds share the result.

MHD_VERSION := 0.9.75-6
MHD_SRC := $(CACHE)/libmicrohttpd-$(MHD_VERSION)
MHD_CONFIGURE := --disable-https --without-gnutls --disable-curl --disable-doc --disable-examples \
	--enable-static --disable-shared --disable-nls --disable-postprocessor --disable-dauth \
	--disable-bauth --disable-httpupgrade --disable-sendfile --disable-messages
MHD_CFLAGS := -Os -g -fno-pie -fno-stack-protector -ffunction-sections -fdata-sections
MHD_KEY := $(shell echo '$(HOST_CC) $(MHD_CONFIGURE) $(MHD_CFLAGS)' | sha1sum | cut -c1-12)
MHD_DIR := $(CACHE)/libmicrohttpd-$(MHD_VERSION)-musl-$(MHD_KEY)
MHD_LIB := $(MHD_DIR)/lib/libmicrohttpd.a
MHD_INC := $(MHD_DIR)/include

# Other builds share $(CACHE) and may fetch or build concurrently: each works in a private
# directory and renames it into place; whoever finishes second discards its copy.
$(MHD_SRC)/.fetched: $(srctree)/scripts/fetch-source.sh
	$(msg) FETCH "libmicrohttpd $(MHD_VERSION)"
	$(Q)mkdir -p $(CACHE) && tmp=$$(mktemp -d $(MHD_SRC).tmp.XXXXXX) && \
	trap 'rm -rf "$$tmp"' EXIT && \
	$(srctree)/scripts/fetch-source.sh libmicrohttpd $(MHD_VERSION) $$tmp/src && \
	touch $$tmp/src/.fetched && { mv -T $$tmp/src $(MHD_SRC) 2>/dev/null || test -f $@; }

# The archive is touched last, so it is never older than the stamp that says it is complete.
$(MHD_DIR)/.built: $(MHD_SRC)/.fetched
	$(msg) BUILD "libmicrohttpd $(MHD_VERSION) (configure takes a minute)"
	$(Q)tmp=$$(mktemp -d $(MHD_DIR).tmp.XXXXXX) && trap 'rm -rf "$$tmp"' EXIT && \
	mkdir $$tmp/build $$tmp/out $$tmp/out/lib $$tmp/out/include && cd $$tmp/build && \
	{ CC='$(HOST_CC)' CFLAGS='$(MHD_CFLAGS)' LDFLAGS='-static -no-pie' $(MHD_SRC)/configure \
		$(MHD_CONFIGURE) >log 2>&1 && $(MAKE) -C src/microhttpd libmicrohttpd.la >>log 2>&1 || \
		{ echo "libmicrohttpd: build failed:" >&2; tail -n 20 log >&2; exit 1; }; } && \
	cp src/microhttpd/.libs/libmicrohttpd.a $$tmp/out/lib/ && \
	cp $(MHD_SRC)/src/include/microhttpd.h $$tmp/out/include/ && \
	touch $$tmp/out/.built && touch $$tmp/out/lib/libmicrohttpd.a && \
	{ mv -T $$tmp/out $(MHD_DIR) 2>/dev/null || test -f $@; }

$(MHD_LIB): $(MHD_DIR)/.built

runtime_libs += $(MHD_LIB)
runtime_lib_stamps += $(MHD_DIR)/.built
HOST_CFLAGS += -isystem $(MHD_INC)
