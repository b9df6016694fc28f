# Build of the mica runtime: a small static musl binary, linked high so guest RAM can sit low.

HOST_CC := musl-gcc
HOST_CFLAGS := -std=c11 -D_GNU_SOURCE -Os -g -Wall -Wextra -Werror -fPIE -fno-stack-protector \
	-ffunction-sections -fdata-sections -D__XEN_INTERFACE_VERSION__=0x00040e00 \
	-isystem $(objtree)/host-include/kernel -I$(srctree)/runtime -I$(srctree)/plat/common/include \
	-I$(objtree)/runtime
# Static PIE: the kernel maps mica high, so its pages never collide with guest RAM at 1 MiB.
HOST_LDFLAGS := -static-pie -nostdlib -Wl,--gc-sections -Wl,-z,noexecstack -Wl,-z,relro,-z,now
# musl-gcc's specs know no static PIE, so the link names musl's self-relocating start files itself.
MUSL_LIB := /usr/lib/x86_64-linux-musl
HOST_LINK_PRE := $(MUSL_LIB)/rcrt1.o $(MUSL_LIB)/crti.o $(shell gcc -print-file-name=crtbeginS.o)
HOST_LINK_POST := $(MUSL_LIB)/libc.a $(shell gcc -print-libgcc-file-name) \
	$(shell gcc -print-file-name=crtendS.o) $(MUSL_LIB)/crtn.o

MICA_VERSION := $(shell cd $(srctree) && git describe --always --dirty 2>/dev/null || echo unknown)

runtime_srcs := $(shell cd $(srctree) && find runtime -name '*.c' -o -name '*.S' | sort)
runtime_objs := $(patsubst %,$(objtree)/%.o,$(basename $(runtime_srcs))) $(objtree)/runtime/syscall_names.o

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

$(objtree)/runtime/%.o: $(srctree)/runtime/%.c $(host_include)/.stamp
	$(msg) HOSTCC runtime/$*.o
	$(Q)mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -DMICA_VERSION='"$(MICA_VERSION)"' -MMD -MP -c $< -o $@

$(objtree)/runtime/%.o: $(srctree)/runtime/%.S $(host_include)/.stamp
	$(msg) HOSTAS runtime/$*.o
	$(Q)mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -D__ASSEMBLY__ -MMD -MP -c $< -o $@

$(objtree)/mica: $(runtime_objs)
	$(msg) LD mica
	$(Q)gcc $(HOST_LDFLAGS) -o $@ $(HOST_LINK_PRE) $(runtime_objs) $(HOST_LINK_POST)

.PHONY: mica
mica: $(objtree)/mica

-include $(shell find $(objtree)/runtime -name '*.d' 2>/dev/null)
