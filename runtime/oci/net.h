/* The container's network for its guest: a TAP in the container's namespace, tied to its interface. */
#ifndef OCI_NET_H
#define OCI_NET_H

#include <stddef.h>
#include "vm/run.h"

/*
 * Called by `create` in the VMM process. If the network namespace at netns_path (config.json's
 * linux.namespaces "network" path; NULL: the process's own) has an interface with an IPv4 address,
 * gives that address to the guest: makes a TAP in the namespace, connects it to the interface and
 * fills *nic (tap, mac, ip, gw) for run_image. Returns 1 when *nic is ready, 0 when there is no
 * addressed interface (the guest runs without a NIC), -1 with err set on failure.
 */
int oci_net_attach(const char *netns_path, struct run_nic *nic, char *err, size_t errlen);

#endif
