/*
 * vouch auth — a per-principal rate limiter (`vouchd --rate-limit N`):
 * one token bucket per key (a principal, or whatever the caller chooses for
 * anonymous requests), refilled at `rate` tokens per second up to `burst`.
 * A request past it gets 429 RESOURCE_EXHAUSTED with Retry-After.
 *
 * Memory is bounded: at most VOUCH_RATELIMIT_MAX_KEYS buckets. When the
 * table is full, buckets that have refilled completely (idle keys) are
 * dropped; if none has, new keys share one overflow bucket until room
 * returns, so a flood of new identities cannot grow memory without bound.
 */
#ifndef VOUCH_AUTH_RATELIMIT_H
#define VOUCH_AUTH_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "clock.h"
#include "vouch/common.h"

#define VOUCH_RATELIMIT_MAX_KEYS 65536u

typedef struct vouch_ratelimit vouch_ratelimit;

/**
 * @param rate   Tokens per second, at least 1.
 * @param burst  Bucket size; 0 means `rate` (one second's worth).
 * @param clock  Copied; NULL or { NULL, NULL }: CLOCK_MONOTONIC.
 * @param[out] out  Caller owns it; free with vouch_ratelimit_free().
 * @return 0; VOUCH_EINVAL (rate 0, or over 1,000,000); VOUCH_ENOMEM.
 */
int vouch_ratelimit_new(vouch_ratelimit **out, unsigned rate, unsigned burst,
                        const vouch_auth_clock *clock, vouch_error *err);

/** Free a limiter. NULL-safe. */
void vouch_ratelimit_free(vouch_ratelimit *rl);

/**
 * Take one token for `key` (`len` bytes; borrowed).
 *
 * @param[out] retry_after_s  When refused: whole seconds until a token is
 *                            there (at least 1), for Retry-After. May be
 *                            NULL.
 * @return true when the request may go ahead.
 * Thread safety: safe from any thread.
 */
bool vouch_ratelimit_take(vouch_ratelimit *rl, const char *key, size_t len,
                          unsigned *retry_after_s);

#endif /* VOUCH_AUTH_RATELIMIT_H */
