# newlib for the guest: Debian's newlib-source tarball, built once per (package version, this file,
# patches) into $(CACHE) and shared by every image; the app links its libc.a and libm.a.

NEWLIB_TARBALL := $(firstword $(wildcard /usr/src/newlib/newlib-*.tar.xz))
NEWLIB_VERSION := $(shell dpkg-query -W -f='$${Version}' newlib-source 2>/dev/null)
NEWLIB_PATCHES := $(sort $(wildcard $(srctree)/lib/newlib/patches/*.patch))
# No sys/ directory fits, so the target is bare x86_64-elf. The reentrant system calls
# (_read_r, ...) are lib/newlib's, called by name: configure.host's MISSING_SYSCALL_NAMES (newlib
# would call read() itself) is undone here, CFLAGS coming last on newlib's command lines.
NEWLIB_CFLAGS := -Os -g -fno-pic -fno-pie -mno-red-zone -fno-stack-protector -ffunction-sections \
	-fdata-sections -fno-asynchronous-unwind-tables -DREENTRANT_SYSCALLS_PROVIDED \
	-UMISSING_SYSCALL_NAMES
NEWLIB_KEY := $(shell echo '$(NEWLIB_VERSION)' | cat - $(NEWLIB_PATCHES) $(srctree)/lib/newlib/Build.mk | \
	sha1sum | cut -c1-12)
NEWLIB_DIR := $(CACHE)/newlib-$(NEWLIB_KEY)
NEWLIB_LIBC := $(NEWLIB_DIR)/lib/libc.a
NEWLIB_LIBM := $(NEWLIB_DIR)/lib/libm.a

# Built in a scratch directory and renamed into place, so an interrupted build never looks done.
$(NEWLIB_LIBC): $(NEWLIB_PATCHES) $(srctree)/lib/newlib/Build.mk $(NEWLIB_TARBALL)
	$(Q)[ -n "$(NEWLIB_TARBALL)" ] || \
		{ echo "newlib: no /usr/src/newlib/newlib-*.tar.xz (package newlib-source): run scripts/setup-deps.sh" >&2; exit 1; }
	$(msg) UNPACK "newlib $(NEWLIB_VERSION)"
	$(Q)rm -rf $(NEWLIB_DIR).tmp && mkdir -p $(NEWLIB_DIR).tmp/src $(NEWLIB_DIR).tmp/build
	$(Q)tar -xf $(NEWLIB_TARBALL) -C $(NEWLIB_DIR).tmp/src --strip-components=1
	$(Q)for p in $(NEWLIB_PATCHES); do \
		patch -s -E -d $(NEWLIB_DIR).tmp/src -p1 < $$p || { echo "newlib: $$p does not apply" >&2; exit 1; }; done
	$(msg) BUILD "newlib $(NEWLIB_VERSION) (once per cache: $(CACHE))"
	$(Q)cd $(NEWLIB_DIR).tmp/build && ../src/configure --target=x86_64-elf --prefix=/ --disable-multilib \
		--enable-newlib-io-long-long --enable-newlib-io-c99-formats \
		CC_FOR_TARGET=gcc AR_FOR_TARGET=ar AS_FOR_TARGET=as LD_FOR_TARGET=ld NM_FOR_TARGET=nm \
		RANLIB_FOR_TARGET=ranlib CFLAGS_FOR_TARGET="$(NEWLIB_CFLAGS)" > ../configure.log 2>&1 || \
		{ tail -n 20 ../configure.log >&2; exit 1; }
	$(Q)$(MAKE) -C $(NEWLIB_DIR).tmp/build -j$(shell nproc) all-target-newlib > $(NEWLIB_DIR).tmp/build.log 2>&1 || \
		{ grep -m5 -B2 -A3 'error' $(NEWLIB_DIR).tmp/build.log >&2; tail -n 20 $(NEWLIB_DIR).tmp/build.log >&2; exit 1; }
	$(Q)$(MAKE) -C $(NEWLIB_DIR).tmp/build install-target-newlib DESTDIR=$(NEWLIB_DIR).tmp/inst \
		> $(NEWLIB_DIR).tmp/install.log 2>&1 || { tail -n 20 $(NEWLIB_DIR).tmp/install.log >&2; exit 1; }
	$(Q)mv $(NEWLIB_DIR).tmp/inst/x86_64-elf/include $(NEWLIB_DIR).tmp/inst/x86_64-elf/lib $(NEWLIB_DIR).tmp/
	$(Q)rm -rf $(NEWLIB_DIR).tmp/src $(NEWLIB_DIR).tmp/build $(NEWLIB_DIR).tmp/inst && rm -rf $(NEWLIB_DIR) && \
		mv $(NEWLIB_DIR).tmp $(NEWLIB_DIR)

# The app and lib/newlib see newlib's headers. The syscall layer implements Linux's ABI, whose
# types and numbers musl's headers spell out and newlib's do not: it keeps musl's, from the same
# cached musl build musl images use. Every object waits for both libraries (order-only on libm).
include $(srctree)/lib/musl/Build.mk
$(NEWLIB_LIBM): $(NEWLIB_LIBC) | $(MUSL_LIBC)
GUEST_SYSCALL_INCLUDES := -isystem $(MUSL_DIR)/include
# What a port's sys/features.h would say: lib/newlib provides clock_gettime and nanosleep.
GUEST_LIBC_INCLUDES := -isystem $(NEWLIB_DIR)/include -D_POSIX_TIMERS=1 -D_POSIX_MONOTONIC_CLOCK=200112L
GUEST_LIBC := $(NEWLIB_LIBC) $(NEWLIB_LIBM)
