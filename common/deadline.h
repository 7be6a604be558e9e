/* A point on the monotonic clock by which the whole check must be done. */
#ifndef SCNET_DEADLINE_H
#define SCNET_DEADLINE_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t monotonic_ms(void);

/* Milliseconds left before deadline_ms (0 when passed). */
long deadline_left_ms(int64_t deadline_ms);

/* The point on CLOCK_MONOTONIC share percent of the way from now to deadline_ms (deadline_ms
 * itself once it has passed). */
int64_t deadline_share(int64_t deadline_ms, int share);

/* How long a login waits for a lock another process holds: a third of what is left of its
 * own budget, then it goes on without the lock (single flight is an optimisation). */
#define DEADLINE_LOCK_WAIT_SHARE 33

#endif
