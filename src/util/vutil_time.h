/*
 * vouch util — clocks: "now" as the RFC 3339 text every stored resource,
 * log entry and operation carries, and a monotonic microsecond count for
 * latencies.
 *
 * Thread safety: reentrant.
 */
#ifndef VUTIL_TIME_H
#define VUTIL_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Bytes of "2026-11-29T12:00:00.123456Z" with its NUL. */
#define VUTIL_RFC3339_SIZE 28u

/* The current time, UTC with microseconds, into `buf` (`size` >=
 * VUTIL_RFC3339_SIZE; shorter buffers get a cut, NUL-terminated text). */
void vutil_now_rfc3339(char *buf, size_t size);

/* Microseconds of CLOCK_MONOTONIC since `start` (0 if the clock went
 * back). */
uint64_t vutil_elapsed_us(const struct timespec *start);

/*
 * Parse an RFC 3339 date-time ("2026-11-29T12:00:00Z",
 * "2026-11-29T13:00:00.5+01:00"; 'T' and 'Z' in either case) of exactly
 * `len` bytes into seconds since 1970 and nanoseconds. True when it is a
 * valid instant.
 */
bool vutil_rfc3339_parse(const char *s, size_t len, long long *seconds,
                         long *nanos);

#endif /* VUTIL_TIME_H */
