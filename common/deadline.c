/* The monotonic clock: wall-clock steps (NTP, an admin's `date`) must not stretch a login. */
#include "deadline.h"

#include <limits.h>
#include <time.h>

int64_t monotonic_ms(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC cannot fail on Linux for a valid pointer; 0 keeps callers defined. */
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long deadline_left_ms(int64_t deadline_ms)
{
    int64_t left = deadline_ms - monotonic_ms();

    if (left <= 0)
        return 0;
    /* long is 32 bits on some targets; a clamp is better than a wrap to a negative value. */
    if (left > LONG_MAX)
        return LONG_MAX;
    return (long)left;
}

int64_t deadline_share(int64_t deadline_ms, int share)
{
    int64_t now = monotonic_ms();

    if (deadline_ms <= now)
        return deadline_ms;
    return now + (deadline_ms - now) * share / 100;
}
