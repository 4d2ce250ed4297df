/*
 * vouch auth — the injectable clock of the auth module. Token lifetimes,
 * JWKS cache ages and rate-limit buckets all read time through it, so
 * tests can move time by hand instead of sleeping.
 */
#ifndef VOUCH_AUTH_CLOCK_H
#define VOUCH_AUTH_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/**
 * A clock: `now_ms` returns milliseconds (wall-clock milliseconds since
 * the Unix epoch where token times are compared, any steady origin for the
 * rate limiter). `now_ms` NULL means the system clock (CLOCK_REALTIME for
 * the authenticator, CLOCK_MONOTONIC for the rate limiter). `now_ms` must
 * be callable from any thread; `payload` is passed to it unchanged.
 */
typedef struct vouch_auth_clock {
    int64_t (*now_ms)(void *payload);
    void *payload;
} vouch_auth_clock;

/* The time of `clock` (may be NULL: the system clock of that kind). */
int64_t vouch__clock_now_ms(const vouch_auth_clock *clock, bool monotonic);

#endif /* VOUCH_AUTH_CLOCK_H */
