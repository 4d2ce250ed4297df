/*
 * The per-principal token-bucket rate limiter (ratelimit.h). Buckets count
 * thousandths of a token so that refills of a few milliseconds are not
 * lost; a chained hash table (FNV-1a with a random seed) finds them; one
 * mutex guards it all, held for a lookup and a few additions.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "vutil_error.h"
#include "vutil_str.h"
#include "ratelimit.h"

#define TABLE_SIZE 16384u         /* chains; a power of two */
#define MILLI 1000

typedef struct bucket {
    char *key;
    size_t len;
    int64_t tokens;               /* thousandths of a token */
    int64_t updated_ms;
    struct bucket *next;
} bucket;

struct vouch_ratelimit {
    pthread_mutex_t lock;
    vouch_auth_clock clock;
    int64_t rate;                 /* tokens per second = milli per ms */
    int64_t capacity;             /* burst, in thousandths */
    uint64_t seed;
    size_t count;
    bucket *table[TABLE_SIZE];
    bucket overflow;              /* shared by new keys when full */
};

int vouch_ratelimit_new(vouch_ratelimit **out, unsigned rate, unsigned burst,
                        const vouch_auth_clock *clock, vouch_error *err)
{
    vouch_ratelimit *rl;

    *out = NULL;
    if (rate == 0 || rate > 1000000u || burst > 1000000u) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "rate limit must be 1 to 1,000,000 requests "
                               "per second");
    }
    rl = calloc(1, sizeof(*rl));
    if (rl == NULL || pthread_mutex_init(&rl->lock, NULL) != 0) {
        free(rl);
        return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                               "out of memory creating the rate limiter");
    }
    if (clock != NULL) {
        rl->clock = *clock;
    }
    rl->rate = rate;
    rl->capacity = (int64_t)(burst > 0 ? burst : rate) * MILLI;
    if (RAND_bytes((unsigned char *)&rl->seed, sizeof(rl->seed)) != 1) {
        rl->seed = (uint64_t)(uintptr_t)rl; /* still a per-run value */
    }
    rl->overflow.tokens = rl->capacity;
    rl->overflow.updated_ms = vouch__clock_now_ms(&rl->clock, true);
    *out = rl;
    return 0;
}

void vouch_ratelimit_free(vouch_ratelimit *rl)
{
    size_t i;

    if (rl == NULL) {
        return;
    }
    for (i = 0; i < TABLE_SIZE; i++) {
        bucket *b = rl->table[i];

        while (b != NULL) {
            bucket *next = b->next;

            free(b->key);
            free(b);
            b = next;
        }
    }
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

static uint64_t hash(const vouch_ratelimit *rl, const char *key, size_t len)
{
    uint64_t h = 14695981039346656037ull ^ rl->seed;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Bring `b` up to `now`. */
static void refill(const vouch_ratelimit *rl, bucket *b, int64_t now)
{
    int64_t elapsed = now - b->updated_ms;

    if (elapsed > 0) {
        /* Cap first: elapsed * rate must not overflow. */
        int64_t full = (rl->capacity - b->tokens) / rl->rate + 1;

        if (elapsed > full) {
            elapsed = full;
        }
        b->tokens += elapsed * rl->rate;
        if (b->tokens > rl->capacity) {
            b->tokens = rl->capacity;
        }
    }
    if (now > b->updated_ms) {
        b->updated_ms = now;
    }
}

/* Drop every bucket that is full again (its key has been idle). */
static void sweep(vouch_ratelimit *rl, int64_t now)
{
    size_t i;

    for (i = 0; i < TABLE_SIZE; i++) {
        bucket **pp = &rl->table[i];

        while (*pp != NULL) {
            bucket *b = *pp;

            refill(rl, b, now);
            if (b->tokens >= rl->capacity) {
                *pp = b->next;
                free(b->key);
                free(b);
                rl->count--;
            } else {
                pp = &b->next;
            }
        }
    }
}

static bucket *find_or_add(vouch_ratelimit *rl, const char *key, size_t len,
                           int64_t now)
{
    size_t slot = (size_t)(hash(rl, key, len) & (TABLE_SIZE - 1));
    bucket *b;

    for (b = rl->table[slot]; b != NULL; b = b->next) {
        if (b->len == len && memcmp(b->key, key, len) == 0) {
            return b;
        }
    }
    if (rl->count >= VOUCH_RATELIMIT_MAX_KEYS) {
        sweep(rl, now);
    }
    if (rl->count >= VOUCH_RATELIMIT_MAX_KEYS) {
        return &rl->overflow;
    }
    b = calloc(1, sizeof(*b));
    if (b == NULL || (b->key = vutil_strndup(key, len)) == NULL) {
        free(b);
        return &rl->overflow; /* out of memory: still limited */
    }
    b->len = len;
    b->tokens = rl->capacity;
    b->updated_ms = now;
    b->next = rl->table[slot];
    rl->table[slot] = b;
    rl->count++;
    return b;
}

bool vouch_ratelimit_take(vouch_ratelimit *rl, const char *key, size_t len,
                          unsigned *retry_after_s)
{
    int64_t now = vouch__clock_now_ms(&rl->clock, true);
    bucket *b;
    bool ok;

    pthread_mutex_lock(&rl->lock);
    b = find_or_add(rl, key != NULL ? key : "", key != NULL ? len : 0, now);
    refill(rl, b, now);
    ok = b->tokens >= MILLI;
    if (ok) {
        b->tokens -= MILLI;
    } else if (retry_after_s != NULL) {
        int64_t wait_ms = (MILLI - b->tokens + rl->rate - 1) / rl->rate;
        int64_t s = (wait_ms + 999) / 1000;

        *retry_after_s = (unsigned)(s < 1 ? 1 : s);
    }
    pthread_mutex_unlock(&rl->lock);
    return ok;
}
