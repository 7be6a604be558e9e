/* A point on the monotonic clock by which the whole check must be done. */
#ifndef SCNET_DEADLINE_H
#define SCNET_DEADLINE_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t monotonic_ms(void);

/* Milliseconds left before deadline_ms (0 when passed). */
long deadline_left_ms(int64_t deadline_ms);

#endif
