/*
 * vouch util — clocks (vutil_time.h).
 */
#include "vutil_time.h"

#include <stdio.h>

void vutil_now_rfc3339(char *buf, size_t size)
{
    struct timespec now;
    struct tm tm;
    char base[32];

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%06ldZ", base, (long)(now.tv_nsec / 1000));
}

uint64_t vutil_elapsed_us(const struct timespec *start)
{
    struct timespec now;
    int64_t us;

    clock_gettime(CLOCK_MONOTONIC, &now);
    us = (int64_t)(now.tv_sec - start->tv_sec) * 1000000 +
         (now.tv_nsec - start->tv_nsec) / 1000;
    return us < 0 ? 0 : (uint64_t)us;
}
