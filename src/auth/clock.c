/*
 * The injectable clock (clock.h).
 */
#include <time.h>

#include "clock.h"

int64_t vouch__clock_now_ms(const vouch_auth_clock *clock, bool monotonic)
{
    struct timespec ts;

    if (clock != NULL && clock->now_ms != NULL) {
        return clock->now_ms(clock->payload);
    }
    clock_gettime(monotonic ? CLOCK_MONOTONIC : CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
