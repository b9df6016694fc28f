# Mica top-level build: kconfig front end, guest images per (app, platform), the mica runtime, tests.
#
#   make defconfig APP=apps/helloworld    configure (O=dir for an out-of-tree build)
#   make menuconfig | olddefconfig | savedefconfig
#   make                                  build $(O)/mica and $(O)/<app>_<plat>-x86_64
#   make run | test | bench | fuzz        see `make help`

srctree := $(CURDIR)
O ?= build
objtree := $(abspath $(O))
APP ?=
V ?= 0

ifeq ($(V),1)
Q :=
msg = @:
else
Q := @
msg = @printf '  %-8s %s\n'
endif

MAKEFLAGS += --no-print-directory -r -R
SHELL := /bin/bash

KCONF := kconfig-conf
KMCONF := kconfig-mconf
CONFIG := $(objtree)/.config
AUTOCONF := $(objtree)/include/config/auto.conf
AUTOHEADER := $(objtree)/include/generated/autoconf.h
KCONFIG_FILES := $(shell find $(srctree) -name Kconfig -not -path '$(objtree)/*' 2>/dev/null)
kconfig_env := srctree=$(srctree) KCONFIG_CONFIG=$(CONFIG)

# Targets that must not read (or create) a configuration.
noconfig_targets := defconfig menuconfig olddefconfig savedefconfig clean distclean help deps \
	mica test bench fuzz run
ifneq ($(filter-out $(noconfig_targets),$(or $(MAKECMDGOALS),all)),)
need_config := 1
endif

.PHONY: all
all: mica images

# ---------------------------------------------------------------------------------------- kconfig

# An app is named by its directory; its Kconfig symbol is APP_<DIRNAME IN CAPITALS>.
app_symbol = APP_$(shell echo '$(notdir $(patsubst %/,%,$(1)))' | tr 'a-z-' 'A-Z_')

.PHONY: defconfig
defconfig:
	$(Q)app='$(or $(APP),apps/helloworld)'; app="$${app%/}"; \
	if [ ! -f "$(srctree)/$$app/Kconfig" ]; then \
		echo "make: no application at $$app (expected $$app/Kconfig); see 'ls apps tests/apps'" >&2; exit 2; fi; \
	mkdir -p $(objtree); \
	if [ -f "$(srctree)/$$app/defconfig" ]; then cp "$(srctree)/$$app/defconfig" $(objtree)/.defconfig.in; \
	else echo "CONFIG_$$(basename $$app | tr 'a-z-' 'A-Z_' | sed 's/^/APP_/')=y" > $(objtree)/.defconfig.in; fi; \
	$(kconfig_env) $(KCONF) -s --defconfig=$(objtree)/.defconfig.in $(srctree)/Kconfig >/dev/null && \
	grep -q "^CONFIG_$$(basename $$app | tr 'a-z-' 'A-Z_' | sed 's/^/APP_/')=y" $(CONFIG) || \
		{ echo "make: $$app/Kconfig does not define the app symbol it is named after" >&2; exit 2; }; \
	rm -f $(objtree)/.defconfig.in; echo "  CONFIG   $(O)/.config for $$app"

.PHONY: menuconfig
menuconfig:
	$(Q)mkdir -p $(objtree)
	$(Q)$(kconfig_env) $(KMCONF) $(srctree)/Kconfig

.PHONY: olddefconfig
olddefconfig:
	$(Q)mkdir -p $(objtree)
	$(Q)$(kconfig_env) $(KCONF) -s --olddefconfig $(srctree)/Kconfig

.PHONY: savedefconfig
savedefconfig:
	$(Q)$(kconfig_env) $(KCONF) -s --savedefconfig=$(objtree)/defconfig $(srctree)/Kconfig
	$(msg) GEN $(O)/defconfig

ifdef need_config
$(CONFIG):
	@echo "  CONFIG   no $(O)/.config yet: using apps/helloworld (make defconfig APP=... to choose)"
	$(Q)$(MAKE) -f $(srctree)/Makefile O=$(O) defconfig APP=apps/helloworld

# olddefconfig first so a .config from an older tree never stops for questions.
$(AUTOCONF) $(AUTOHEADER): $(CONFIG) $(KCONFIG_FILES)
	$(Q)mkdir -p $(objtree)/include/config $(objtree)/include/generated
	$(Q)$(kconfig_env) $(KCONF) -s --olddefconfig $(srctree)/Kconfig
	$(Q)cd $(objtree) && srctree=$(srctree) KCONFIG_CONFIG=.config $(KCONF) -s --silentoldconfig $(srctree)/Kconfig
	$(Q)touch $(AUTOCONF) $(AUTOHEADER)

-include $(AUTOCONF)
endif

# ----------------------------------------------------------------------------------- guest images

GUEST_CC := gcc
# Upstream builds (libc) are cached here, shared by every O= that points at the same CACHE.
CACHE ?= $(objtree)/cache
GUEST_LIBC :=
GUEST_LIBC_INCLUDES :=
GUEST_SYSCALL_INCLUDES :=
ifdef CONFIG_LIB_MUSL
include $(srctree)/lib/musl/Build.mk
endif
ifdef CONFIG_LIB_NEWLIB
include $(srctree)/lib/newlib/Build.mk
endif
GUEST_CFLAGS := -std=gnu11 -ffreestanding -fno-pic -fno-pie -mno-red-zone -mcmodel=small \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-common \
	-ffunction-sections -fdata-sections -Os -g -Wall -Wextra -Werror \
	-nostdinc $(GUEST_LIBC_INCLUDES) -isystem $(shell gcc -print-file-name=include) \
	-D__XEN_INTERFACE_VERSION__=0x00040e00 -include $(AUTOHEADER) -fmacro-prefix-map=$(srctree)/=
GUEST_ASFLAGS := -D__ASSEMBLY__
# The syscall layer implements Linux's ABI; a libc whose headers do not spell it out (newlib) has
# that layer compiled against musl's headers instead (GUEST_SYSCALL_INCLUDES, searched first).
ifneq ($(GUEST_SYSCALL_INCLUDES),)
$(objtree)/lib/vfs/%.o $(objtree)/lib/posix-%.o $(objtree)/lib/syscall/%.o: \
	GUEST_CFLAGS := $(patsubst -nostdinc,-nostdinc $(GUEST_SYSCALL_INCLUDES),$(GUEST_CFLAGS))
endif
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--gc-sections -Wl,--build-id=none \
	-Wl,-z,noexecstack -Wl,-z,max-page-size=4096 -Wl,-z,norelro

# The app's directory is the one whose Kconfig defines the selected APP_ symbol.
app_sym := $(patsubst CONFIG_%,%,$(firstword $(filter CONFIG_APP_%,$(.VARIABLES))))
APP_DIR := $(if $(app_sym),$(patsubst $(srctree)/%/Kconfig,%,$(shell grep -lx 'config $(app_sym)' $(srctree)/apps/*/Kconfig $(srctree)/tests/apps/*/Kconfig 2>/dev/null)))
APP_NAME := $(notdir $(APP_DIR))

# Directories whose Kbuild fragments make up a guest; each contributes obj-y relative to itself.
common_dirs := arch/x86_64 plat/common $(patsubst %/Kbuild,%,$(wildcard lib/*/Kbuild)) $(APP_DIR)
plats := $(if $(CONFIG_PLAT_PROC),proc) $(if $(CONFIG_PLAT_KVM),kvm)

# Read one Kbuild fragment; obj-y lands in objs-<dir>.
define read_kbuild
obj-y :=
include $(srctree)/$(1)/Kbuild
objs-$(1) := $$(addprefix $(objtree)/$(1)/,$$(obj-y))
endef
$(foreach d,$(common_dirs) $(addprefix plat/,$(plats)),$(eval $(call read_kbuild,$(d))))

# Code built from upstream sources (an app's own Build.mk) joins the link as APP_EXTRA_OBJS.
APP_EXTRA_OBJS :=
UPSTREAM_CFLAGS = -std=gnu11 -O2 -g -fno-pic -fno-pie -mno-red-zone -mcmodel=small \
	-fno-stack-protector -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections -w \
	-nostdinc $(GUEST_LIBC_INCLUDES) -isystem $(shell gcc -print-file-name=include)
ifneq ($(APP_DIR),)
-include $(srctree)/$(APP_DIR)/Build.mk
endif
# Libraries built from upstream sources add their objects (LIB_EXTRA_OBJS) and headers.
LIB_EXTRA_OBJS :=
LWIP_INCLUDES :=
ifdef CONFIG_LIB_LWIP
include $(srctree)/lib/lwip/Build.mk
endif

common_objs := $(foreach d,$(common_dirs),$(objs-$(d))) $(LIB_EXTRA_OBJS) $(APP_EXTRA_OBJS)
GUEST_INCLUDES := -I$(srctree)/arch/x86_64/include -I$(srctree)/plat/common/include \
	$(foreach d,$(common_dirs),$(if $(wildcard $(srctree)/$(d)/include),-I$(srctree)/$(d)/include)) \
	-I$(objtree)/host-include/xen-only -I$(objtree)/include $(LWIP_INCLUDES)

IMAGES := $(foreach p,$(plats),$(objtree)/$(APP_NAME)_$(p)-x86_64)

.PHONY: images
images: $(IMAGES)

# Platform notes need to know which devices the app selected.
NOTE_DEFS = -DMICA_APP_NAME='"$(APP_NAME)"'

# Names for the guest's "unimplemented syscall" lines, from the kernel's UAPI header.
GENERATED := $(objtree)/include/generated/syscall_names.h
$(GENERATED): $(srctree)/scripts/gen-syscall-names.sh
	$(msg) GEN include/generated/syscall_names.h
	$(Q)mkdir -p $(@D) && $< --guest > $@.tmp && mv $@.tmp $@

$(objtree)/%.o: $(srctree)/%.c $(AUTOHEADER) $(GENERATED) | $(objtree)/host-include/xen-only/xen $(GUEST_LIBC)
	$(msg) CC $*.o
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_INCLUDES) $(NOTE_DEFS) -MMD -MP -c $< -o $@

$(objtree)/%.o: $(srctree)/%.S $(AUTOHEADER) | $(objtree)/host-include/xen-only/xen $(GUEST_LIBC)
	$(msg) AS $*.o
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_ASFLAGS) $(GUEST_INCLUDES) $(NOTE_DEFS) -MMD -MP -c $< -o $@

# One image per platform: common objects plus that platform's, linked by its linker script.
define image_rule
$(objtree)/$(APP_NAME)_$(1)-x86_64.dbg: $(common_objs) $(objs-plat/$(1)) $(srctree)/plat/$(1)/link.lds $(GUEST_LIBC)
	$$(msg) LD $$(notdir $$@)
	$$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -T $(srctree)/plat/$(1)/link.lds -o $$@ $(common_objs) $(objs-plat/$(1)) \
		$(GUEST_LIBC) -lgcc

$(objtree)/$(APP_NAME)_$(1)-x86_64: $(objtree)/$(APP_NAME)_$(1)-x86_64.dbg
	$$(msg) STRIP $$(notdir $$@)
	$$(Q)strip --strip-all -R .comment -o $$@.tmp $$< && mv $$@.tmp $$@
endef
$(foreach p,$(plats),$(eval $(call image_rule,$(p))))

# Only xen/ from the host's headers: the guest must not see the host libc.
$(objtree)/host-include/xen-only/xen:
	$(Q)mkdir -p $(@D) && ln -sfn /usr/include/xen $@

-include $(shell find $(objtree) -name '*.d' -not -path '$(objtree)/runtime/*' -not -path '$(objtree)/tests/*' 2>/dev/null)

# ---------------------------------------------------------------------------------------- runtime

include $(srctree)/runtime/Build.mk

# ------------------------------------------------------------------------------ deps, run, test

DEPS_STAMP := $(objtree)/.deps-ok
.PHONY: deps
deps:
	$(Q)$(srctree)/scripts/setup-deps.sh

# The deps script is idempotent but apt is slow; run it when its inputs changed.
$(DEPS_STAMP): $(srctree)/scripts/setup-deps.sh
	$(Q)$(srctree)/scripts/setup-deps.sh
	$(Q)mkdir -p $(@D) && touch $@

.PHONY: run
run: $(DEPS_STAMP)
	$(Q)[ -f $(CONFIG) ] || $(MAKE) -f $(srctree)/Makefile O=$(O) defconfig APP=apps/helloworld
	$(Q)$(MAKE) -f $(srctree)/Makefile O=$(O) all
	$(Q)img=$$(ls $(objtree)/*_proc-x86_64 2>/dev/null | head -1); \
	$(objtree)/mica run "$$img" $(if $(ARGS),-- $(ARGS))

.PHONY: test
test: $(DEPS_STAMP)
	$(Q)O=$(O) $(srctree)/tests/run

.PHONY: bench
bench: $(DEPS_STAMP)
	$(Q)O=$(O) $(srctree)/tests/bench/run

.PHONY: fuzz
fuzz: $(DEPS_STAMP)
	$(Q)O=$(O) FUZZ_SECONDS=$(or $(FUZZ_SECONDS),120) $(srctree)/tests/fuzz/run

.PHONY: clean distclean
clean:
	$(Q)rm -rf $(objtree)/arch $(objtree)/plat $(objtree)/lib $(objtree)/apps $(objtree)/tests \
		$(objtree)/runtime $(objtree)/*-x86_64 $(objtree)/*-x86_64.dbg $(objtree)/mica
distclean:
	$(Q)rm -rf $(objtree)

.PHONY: help
help:
	@echo 'Configuration:'
	@echo '  defconfig APP=apps/x  configure for one application (default apps/helloworld)'
	@echo '  menuconfig            edit the configuration'
	@echo '  olddefconfig          update an old .config, new options at their defaults'
	@echo '  savedefconfig         write the minimal configuration to $$(O)/defconfig'
	@echo 'Build:'
	@echo '  all (default)         the mica runtime and the images of the configured app'
	@echo '  mica                  only the runtime'
	@echo '  run [ARGS="a b"]      install deps if missing, build, boot the proc image'
	@echo '  test | bench | fuzz   the test suite, the benchmarks, long fuzzing runs'
	@echo '  clean | distclean     remove objects | the whole output directory'
	@echo 'Options: O=dir (output, default build)  V=1 (show commands)'

# `make -s print-VAR` prints a variable of this configuration (the bench reads upstream flags).
print-%:
	@echo '$($*)'
