# lwIP 2.1.3 for the guest: Debian's source with lib/lwip/patches/, fetched once into $(CACHE) and
# compiled per image (lwipopts.h is ours), plus Mica's port. Included only when CONFIG_LIB_LWIP.

LWIP_VERSION := 2.1.3+dfsg1-2
LWIP_PATCHES := $(sort $(wildcard $(srctree)/lib/lwip/patches/*.patch))
LWIP_KEY := $(shell cat $(LWIP_PATCHES) | sha1sum | cut -c1-12)
LWIP_DIR := $(CACHE)/lwip-$(LWIP_VERSION)-$(LWIP_KEY)

LWIP_MODULES := core/init core/def core/inet_chksum core/ip core/mem core/memp core/netif core/pbuf \
	core/stats core/sys core/tcp core/tcp_in core/tcp_out core/timeouts core/udp \
	core/ipv4/dhcp core/ipv4/etharp core/ipv4/icmp core/ipv4/ip4 core/ipv4/ip4_addr core/ipv4/ip4_frag \
	api/api_lib api/api_msg api/err api/netbuf api/sockets api/tcpip netif/ethernet
LWIP_OBJS := $(patsubst %,$(objtree)/lib/lwip/upstream/%.o,$(LWIP_MODULES))
# The port: our code, built by the ordinary rule with the guest's warnings as errors.
LWIP_PORT_OBJS := $(objtree)/lib/lwip/sys_arch.o $(objtree)/lib/lwip/netif.o

# lwIP's headers are upstream code: -isystem keeps their warnings out of our -Werror builds.
LWIP_INCLUDES := -isystem $(LWIP_DIR)/src/include

# Fetched and patched in a scratch directory, renamed into place: an interrupted fetch never looks done.
$(LWIP_DIR)/.fetched: $(LWIP_PATCHES) $(srctree)/scripts/fetch-source.sh
	$(msg) FETCH "lwip $(LWIP_VERSION)"
	$(Q)rm -rf $(LWIP_DIR).tmp && mkdir -p $(CACHE)
	$(Q)$(srctree)/scripts/fetch-source.sh lwip $(LWIP_VERSION) $(LWIP_DIR).tmp
	$(Q)for p in $(LWIP_PATCHES); do \
		patch -s -E -d $(LWIP_DIR).tmp -p1 < $$p || { echo "lwip: $$p does not apply" >&2; exit 1; }; done
	$(Q)touch $(LWIP_DIR).tmp/.fetched && rm -rf $(LWIP_DIR) && mv $(LWIP_DIR).tmp $(LWIP_DIR)

$(objtree)/lib/lwip/upstream/%.o: $(LWIP_DIR)/.fetched $(GUEST_LIBC) $(AUTOHEADER)
	$(msg) CC lwip/$*.o
	$(Q)mkdir -p $(@D)
	$(Q)$(GUEST_CC) $(UPSTREAM_CFLAGS) -MMD -MP -I$(srctree)/lib/lwip/include $(LWIP_INCLUDES) \
		-c $(LWIP_DIR)/src/$*.c -o $@

# Every guest object that includes lwIP's headers needs them fetched first.
$(LWIP_PORT_OBJS) $(objs-lib/posix-socket): | $(LWIP_DIR)/.fetched

# After the lib/<name>/Kbuild objects in the link: initcalls of one class run in link order, and
# lwIP's thread must start after lib/sched's initcall.
LIB_EXTRA_OBJS += $(LWIP_OBJS) $(LWIP_PORT_OBJS)
