/*
 * The JWKS cache of an authenticator (jwks_cache.h, rules in authn.h).
 *
 * One entry per (URL, CA file). Each entry has two locks: `lock` guards
 * its fields for a few instructions at a time, and `fetch_lock` lets one
 * thread fetch while the others that also need new keys wait for it. A
 * `generation` counter, bumped by every fetch attempt, tells a waiter that
 * the fetch it was waiting for has happened, so it does not fetch again.
 * Threads whose key is already cached never touch `fetch_lock`.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authn.h"
#include "jwks_cache.h"

typedef struct jwks_entry {
    char *url;
    char *ca;                  /* NULL: the system's CAs */
    pthread_mutex_t lock;
    pthread_mutex_t fetch_lock;
    vouch_jwks *keys;          /* NULL until a fetch succeeded */
    int64_t expires_ms;
    int64_t last_attempt_ms;
    uint64_t generation;       /* fetch attempts so far */
    bool fetching;             /* a fetch is under way */
    vouch_error last_error;    /* of the last failed fetch */
    struct jwks_entry *next;
} jwks_entry;

struct vouch__jwks_cache {
    pthread_mutex_t lock;      /* guards the list */
    jwks_entry *head;
    vouch_auth_clock clock;
    long timeout_ms;
};

int vouch__jwks_cache_new(vouch__jwks_cache **out,
                          const vouch_auth_clock *clock, long timeout_ms)
{
    vouch__jwks_cache *c = calloc(1, sizeof(*c));

    *out = NULL;
    if (c == NULL) {
        return VOUCH_ENOMEM;
    }
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return VOUCH_ENOMEM;
    }
    if (clock != NULL) {
        c->clock = *clock;
    }
    c->timeout_ms = timeout_ms;
    *out = c;
    return 0;
}

static void entry_free(jwks_entry *e)
{
    vouch_jwks_free(e->keys);
    pthread_mutex_destroy(&e->lock);
    pthread_mutex_destroy(&e->fetch_lock);
    free(e->url);
    free(e->ca);
    free(e);
}

void vouch__jwks_cache_free(vouch__jwks_cache *cache)
{
    jwks_entry *e;

    if (cache == NULL) {
        return;
    }
    while ((e = cache->head) != NULL) {
        cache->head = e->next;
        entry_free(e);
    }
    pthread_mutex_destroy(&cache->lock);
    free(cache);
}

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
           (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The entry of (url, ca), added when missing; NULL when out of memory.
 * Entries live as long as the cache. */
static jwks_entry *entry_for(vouch__jwks_cache *cache, const char *url,
                             const char *ca)
{
    jwks_entry *e;

    pthread_mutex_lock(&cache->lock);
    for (e = cache->head; e != NULL; e = e->next) {
        if (strcmp(e->url, url) == 0 && same(e->ca, ca)) {
            break;
        }
    }
    if (e == NULL && (e = calloc(1, sizeof(*e))) != NULL) {
        e->url = vutil_strdup(url);
        e->ca = vutil_strdup(ca);
        if (e->url == NULL || (ca != NULL && e->ca == NULL) ||
            pthread_mutex_init(&e->lock, NULL) != 0) {
            free(e->url);
            free(e->ca);
            free(e);
            e = NULL;
        } else if (pthread_mutex_init(&e->fetch_lock, NULL) != 0) {
            pthread_mutex_destroy(&e->lock);
            free(e->url);
            free(e->ca);
            free(e);
            e = NULL;
        } else {
            e->next = cache->head;
            cache->head = e;
        }
    }
    pthread_mutex_unlock(&cache->lock);
    return e;
}

/* A snapshot of an entry, taken under its lock. */
typedef struct snapshot {
    vouch_jwks *keys;          /* a reference, or NULL */
    bool fresh;
    bool may_fetch;
    bool in_flight;
    uint64_t generation;
} snapshot;

static void take_snapshot(jwks_entry *e, int64_t now, snapshot *s)
{
    pthread_mutex_lock(&e->lock);
    s->keys = vouch_jwks_ref(e->keys);
    s->fresh = e->keys != NULL && now < e->expires_ms;
    s->may_fetch = e->generation == 0 ||
                   now - e->last_attempt_ms >=
                       (int64_t)VOUCH_JWKS_REFETCH_INTERVAL_S * 1000;
    s->in_flight = e->fetching;
    s->generation = e->generation;
    pthread_mutex_unlock(&e->lock);
}

/* Wait until the fetch under way (if any) is over. */
static void wait_for_fetch(jwks_entry *e)
{
    pthread_mutex_lock(&e->fetch_lock);
    pthread_mutex_unlock(&e->fetch_lock);
}

/* Fetch under fetch_lock unless another thread did since `seen`. */
static void refresh(vouch__jwks_cache *cache, jwks_entry *e, uint64_t seen)
{
    vouch_jwks *fresh = NULL;
    vouch_error ferr = VOUCH_ERROR_INIT;
    int64_t ttl_s = 0;
    int64_t now;
    int rc;

    pthread_mutex_lock(&e->fetch_lock);
    pthread_mutex_lock(&e->lock);
    if (e->generation != seen) {
        pthread_mutex_unlock(&e->lock);
        pthread_mutex_unlock(&e->fetch_lock);
        return; /* someone fetched while this thread waited */
    }
    now = vouch__clock_now_ms(&cache->clock, false);
    e->generation++;
    e->last_attempt_ms = now;
    e->fetching = true;
    pthread_mutex_unlock(&e->lock);

    /* The network I/O, under fetch_lock only. */
    rc = vouch__jwks_fetch(e->url, e->ca, cache->timeout_ms, &fresh, &ttl_s,
                           &ferr);

    pthread_mutex_lock(&e->lock);
    if (rc == 0) {
        vouch_jwks_free(e->keys);
        e->keys = fresh;
        e->expires_ms = now + ttl_s * 1000;
    } else {
        e->last_error = ferr;
    }
    e->fetching = false;
    pthread_mutex_unlock(&e->lock);
    pthread_mutex_unlock(&e->fetch_lock);
}

int vouch__jwks_cache_get(vouch__jwks_cache *cache,
                          const vouch__auth_issuer *iss, const char *kid,
                          const char *alg, vouch_jwks **out,
                          vouch_error *err)
{
    jwks_entry *e = entry_for(cache, iss->jwks_url, iss->ca_file);
    int64_t now = vouch__clock_now_ms(&cache->clock, false);
    snapshot s;

    *out = NULL;
    if (e == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                               "out of memory in the JWKS cache");
    }
    take_snapshot(e, now, &s);
    if (s.fresh && (kid == NULL || vouch_jwks_has_key(s.keys, kid, alg))) {
        *out = s.keys;
        return 0;
    }
    if (s.in_flight) {
        vouch_jwks_free(s.keys);
        wait_for_fetch(e);
        take_snapshot(e, now, &s);
    } else if (s.may_fetch) {
        vouch_jwks_free(s.keys);
        refresh(cache, e, s.generation);
        take_snapshot(e, now, &s);
    }
    if (s.keys == NULL) {
        pthread_mutex_lock(&e->lock);
        if (e->generation == 0) {
            vutil_error_set(err, VOUCH_EIO, iss->jwks_url, 0, 0,
                            "JWKS not fetched yet");
        } else if (err != NULL) {
            *err = e->last_error;
        }
        pthread_mutex_unlock(&e->lock);
        if (err != NULL) {
            err->code = VOUCH_EIO;
        }
        return VOUCH_EIO;
    }
    *out = s.keys;
    return kid == NULL || vouch_jwks_has_key(s.keys, kid, alg)
               ? 0
               : VOUCH_ENOTFOUND;
}
