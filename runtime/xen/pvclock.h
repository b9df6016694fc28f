/* pvclock (vcpu_time_info) and wall clock for the guest, calibrated against the host clock. */
#ifndef XEN_PVCLOCK_H
#define XEN_PVCLOCK_H

#include "vm/guest.h"

/* Anchors calibration at a (TSC, ns) pair taken as early as possible in the process. */
void pvclock_start(struct guest *g, uint64_t tsc, uint64_t ns);

/* Republishes the TSC-to-ns parameters and wall clock; cheap enough for every hypercall. */
void pvclock_update(struct guest *g);

#endif
