# Build of the mica runtime: a small static musl binary, plus the guest loader embedded in it.

HOST_CC := musl-gcc
HOST_CFLAGS := -std=c11 -D_GNU_SOURCE -Os -g -Wall -Wextra -Werror -fno-pie -fno-stack-protector \
	-ffunction-sections -fdata-sections -D__XEN_INTERFACE_VERSION__=0x00040e00 \
	-isystem $(objtree)/host-include/kernel -I$(srctree)/runtime -I$(srctree)/plat/common/include \
	-I$(objtree)/runtime
# Not PIE: self-relocation would dirty pages, and page faults are the costliest part of a boot.
HOST_LDFLAGS := -static -no-pie -Wl,--gc-sections -Wl,-z,noexecstack

MICA_VERSION := $(shell cd $(srctree) && git describe --always --dirty 2>/dev/null || echo unknown)

runtime_srcs := $(shell cd $(srctree) && find runtime -path runtime/vm/proc/loader -prune -o \( -name '*.c' -o -name '*.S' \) -print | sort)
runtime_objs := $(patsubst %,$(objtree)/%.o,$(basename $(runtime_srcs))) $(objtree)/runtime/syscall_names.o

# Upstream libraries the runtime links (built from Debian sources with musl-gcc by the fragments
# below): each appends its archive to runtime_libs and its headers' stamp to runtime_lib_stamps,
# which every runtime object waits for.
runtime_libs :=
runtime_lib_stamps :=
include $(srctree)/runtime/oci/Build.mk
include $(srctree)/runtime/fn/Build.mk

host_include := $(objtree)/host-include/kernel

$(host_include)/.stamp:
	$(Q)mkdir -p $(host_include)
	$(Q)ln -sfn /usr/include/linux $(host_include)/linux
	$(Q)ln -sfn /usr/include/x86_64-linux-gnu/asm $(host_include)/asm
	$(Q)ln -sfn /usr/include/asm-generic $(host_include)/asm-generic
	$(Q)ln -sfn /usr/include/xen $(host_include)/xen
	$(Q)touch $@

# Names for "forbidden host call" messages, from the kernel headers this host builds against.
$(objtree)/runtime/syscall_names.c: $(srctree)/scripts/gen-syscall-names.sh
	$(msg) GEN runtime/syscall_names.c
	$(Q)mkdir -p $(@D) && $(srctree)/scripts/gen-syscall-names.sh > $@.tmp && mv $@.tmp $@

$(objtree)/runtime/%.o: $(objtree)/runtime/%.c $(host_include)/.stamp
	$(msg) HOSTCC runtime/$*.o
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

$(objtree)/runtime/%.o: $(srctree)/runtime/%.c $(host_include)/.stamp | $(runtime_lib_stamps)
	$(msg) HOSTCC runtime/$*.o
	$(Q)mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -DMICA_VERSION='"$(MICA_VERSION)"' -MMD -MP -c $< -o $@

$(objtree)/runtime/%.o: $(srctree)/runtime/%.S $(host_include)/.stamp
	$(msg) HOSTAS runtime/$*.o
	$(Q)mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -D__ASSEMBLY__ -MMD -MP -c $< -o $@

$(objtree)/mica: $(runtime_objs) $(runtime_libs)
	$(msg) LD mica
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $(runtime_objs) $(runtime_libs)

# The loader is linked far above any guest RAM, since it maps RAM before it unmaps itself.
proc_loader := $(objtree)/runtime/vm/proc/loader/loader.elf
$(proc_loader): $(srctree)/runtime/vm/proc/loader/loader.S $(srctree)/runtime/vm/proc/hcpage.h $(host_include)/.stamp
	$(msg) LD runtime/vm/proc/loader/loader.elf
	$(Q)mkdir -p $(@D)
	$(Q)gcc -D__ASSEMBLY__ -nostdlib -static -no-pie -Wl,-Ttext-segment=0x10000000000 -Wl,--build-id=none \
		-Wl,-z,noexecstack -Wl,-z,max-page-size=4096 -isystem $(host_include) -I$(srctree)/runtime \
		-I$(srctree)/plat/common/include -o $@.tmp $< && strip -o $@ $@.tmp && rm -f $@.tmp

$(objtree)/runtime/vm/proc/loader_blob.o: $(proc_loader)
$(objtree)/runtime/vm/proc/loader_blob.o: HOST_CFLAGS += -DPROC_LOADER_ELF='"$(proc_loader)"'

.PHONY: mica
mica: $(objtree)/mica

-include $(shell find $(objtree)/runtime -name '*.d' 2>/dev/null)
