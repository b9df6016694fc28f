# musl for the guest: Debian's source, our patches, built once per (version, patches, flags) into
# $(CACHE) and shared by every image; the app links its libc.a and sees its headers.

MUSL_VERSION := 1.2.3-1
MUSL_PATCHES := $(sort $(wildcard $(srctree)/lib/musl/patches/*.patch))
MUSL_CFLAGS := -Os -g -fno-pic -fno-pie -mno-red-zone -fno-stack-protector -ffunction-sections \
	-fdata-sections -fno-asynchronous-unwind-tables
MUSL_KEY := $(shell cat $(MUSL_PATCHES) $(srctree)/lib/musl/Build.mk | sha1sum | cut -c1-12)
MUSL_DIR := $(CACHE)/musl-$(MUSL_KEY)
MUSL_LIBC := $(MUSL_DIR)/lib/libc.a

# Built in a scratch directory and renamed into place, so an interrupted build never looks done.
$(MUSL_LIBC): $(MUSL_PATCHES) $(srctree)/lib/musl/Build.mk $(srctree)/scripts/fetch-source.sh
	$(msg) FETCH musl $(MUSL_VERSION)
	$(Q)rm -rf $(MUSL_DIR).tmp && mkdir -p $(MUSL_DIR).tmp
	$(Q)$(srctree)/scripts/fetch-source.sh musl $(MUSL_VERSION) $(MUSL_DIR).tmp/src
	$(Q)for p in $(MUSL_PATCHES); do \
		patch -s -E -d $(MUSL_DIR).tmp/src -p1 < $$p || { echo "musl: $$p does not apply" >&2; exit 1; }; done
	$(msg) BUILD musl $(MUSL_VERSION) "(once per cache: $(CACHE))"
	$(Q)cd $(MUSL_DIR).tmp/src && ./configure --prefix=/ --disable-shared CC=gcc \
		CFLAGS="$(MUSL_CFLAGS)" > ../configure.log 2>&1 || { tail -n 20 ../configure.log >&2; exit 1; }
	$(Q)$(MAKE) -C $(MUSL_DIR).tmp/src -j$(shell nproc) lib/libc.a > $(MUSL_DIR).tmp/build.log 2>&1 || \
		{ tail -n 20 $(MUSL_DIR).tmp/build.log >&2; exit 1; }
	$(Q)$(MAKE) -C $(MUSL_DIR).tmp/src install-headers DESTDIR=$(MUSL_DIR).tmp includedir=/include >/dev/null
	$(Q)mkdir -p $(MUSL_DIR).tmp/lib && cp $(MUSL_DIR).tmp/src/lib/libc.a $(MUSL_DIR).tmp/lib/
	$(Q)rm -rf $(MUSL_DIR).tmp/src && rm -rf $(MUSL_DIR) && mv $(MUSL_DIR).tmp $(MUSL_DIR)

GUEST_LIBC := $(MUSL_LIBC)
GUEST_LIBC_INCLUDES := -isystem $(MUSL_DIR)/include
