/* The guest's ready point: where `mica run --snapshot` saves it and `--restore` resumes it. */
#ifndef MICA_READY_H
#define MICA_READY_H

/*
 * Tells the runtime this instance has done its warm-up (loaded its code, built its state) and is
 * ready for work. Returns 0 when it simply goes on (no snapshot was asked for), 1 when it is
 * running again from a snapshot: getrandom has been reseeded with fresh entropy and clocks read
 * the present time, so the caller only reseeds what it derived itself (e.g. a PRNG of its own).
 */
int mica_ready(void);

#endif
