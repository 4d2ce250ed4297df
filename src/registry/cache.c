/*
 * A small bounded map key -> value with an expiry, behind one mutex: the
 * tag -> digest cache and the bearer-token cache of the registry client.
 * The caller supplies the clock (`now_ms`), so the cache itself is pure.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "vutil_error.h"
#include "vutil_str.h"
#include "registry_internal.h"

typedef struct cache_entry {
    char *key;
    char *value;
    int64_t expires_ms;
    uint64_t seq;              /* insertion order, for eviction */
    struct cache_entry *next;  /* bucket chain */
} cache_entry;

struct vouch__registry_cache {
    pthread_mutex_t lock;
    cache_entry **buckets;
    size_t nbuckets;           /* power of two */
    size_t count;
    size_t max_entries;
    uint64_t next_seq;
};

static uint64_t hash_key(const char *key)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */

    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    return h;
}

static void entry_free(cache_entry *e)
{
    if (e == NULL) {
        return;
    }
    if (e->value != NULL) {
        OPENSSL_cleanse(e->value, strlen(e->value));
    }
    free(e->value);
    free(e->key);
    free(e);
}

int vouch__registry_cache_new(vouch__registry_cache **out,
                              size_t max_entries)
{
    vouch__registry_cache *cache = NULL;
    size_t n = 16;

    *out = NULL;
    if (max_entries > ((size_t)1 << 24)) {
        max_entries = (size_t)1 << 24;
    }
    while (n < max_entries * 2) {
        n *= 2;
    }
    cache = calloc(1, sizeof(*cache));
    if (cache == NULL) {
        return VOUCH_ENOMEM;
    }
    cache->buckets = calloc(n, sizeof(*cache->buckets));
    if (cache->buckets == NULL) {
        free(cache);
        return VOUCH_ENOMEM;
    }
    if (pthread_mutex_init(&cache->lock, NULL) != 0) {
        free(cache->buckets);
        free(cache);
        return VOUCH_ENOMEM;
    }
    cache->nbuckets = n;
    cache->max_entries = max_entries;
    *out = cache;
    return 0;
}

void vouch__registry_cache_free(vouch__registry_cache *cache)
{
    if (cache == NULL) {
        return;
    }
    for (size_t i = 0; i < cache->nbuckets; i++) {
        cache_entry *e = cache->buckets[i];
        while (e != NULL) {
            cache_entry *next = e->next;
            entry_free(e);
            e = next;
        }
    }
    pthread_mutex_destroy(&cache->lock);
    free(cache->buckets);
    free(cache);
}

/* Unlink and free the entry that `link` points at. Lock held. */
static void unlink_entry(vouch__registry_cache *cache, cache_entry **link)
{
    cache_entry *e = *link;

    *link = e->next;
    entry_free(e);
    cache->count--;
}

/* Make room for one entry: drop expired ones, then the oldest. Lock held. */
static void make_room(vouch__registry_cache *cache, int64_t now_ms)
{
    cache_entry **oldest = NULL;

    for (size_t i = 0; i < cache->nbuckets; i++) {
        cache_entry **link = &cache->buckets[i];
        while (*link != NULL) {
            if ((*link)->expires_ms <= now_ms) {
                unlink_entry(cache, link);
                continue;
            }
            link = &(*link)->next;
        }
    }
    if (cache->count < cache->max_entries) {
        return;
    }
    for (size_t i = 0; i < cache->nbuckets; i++) {
        for (cache_entry **link = &cache->buckets[i]; *link != NULL;
             link = &(*link)->next) {
            if (oldest == NULL || (*link)->seq < (*oldest)->seq) {
                oldest = link;
            }
        }
    }
    if (oldest != NULL) {
        unlink_entry(cache, oldest);
    }
}

int vouch__registry_cache_get(vouch__registry_cache *cache, const char *key,
                              int64_t now_ms, char **out)
{
    cache_entry **link;
    int rc = 0;

    *out = NULL;
    if (cache->max_entries == 0) {
        return 0;
    }
    pthread_mutex_lock(&cache->lock);
    link = &cache->buckets[hash_key(key) & (cache->nbuckets - 1)];
    while (*link != NULL && strcmp((*link)->key, key) != 0) {
        link = &(*link)->next;
    }
    if (*link != NULL) {
        if ((*link)->expires_ms <= now_ms) {
            unlink_entry(cache, link);
        } else {
            *out = vutil_strdup((*link)->value);
            rc = *out != NULL ? 1 : VOUCH_ENOMEM;
        }
    }
    pthread_mutex_unlock(&cache->lock);
    return rc;
}

int vouch__registry_cache_put(vouch__registry_cache *cache, const char *key,
                              const char *value, int64_t now_ms,
                              int64_t expires_ms)
{
    cache_entry *e = NULL;
    char *v = NULL;
    size_t b;

    if (cache->max_entries == 0) {
        return 0;
    }
    v = vutil_strdup(value);
    if (v == NULL) {
        return VOUCH_ENOMEM;
    }
    pthread_mutex_lock(&cache->lock);
    b = hash_key(key) & (cache->nbuckets - 1);
    for (e = cache->buckets[b]; e != NULL; e = e->next) {
        if (strcmp(e->key, key) == 0) {
            break;
        }
    }
    if (e != NULL) {
        OPENSSL_cleanse(e->value, strlen(e->value));
        free(e->value);
        e->value = v;
        e->expires_ms = expires_ms;
        e->seq = cache->next_seq++;
        pthread_mutex_unlock(&cache->lock);
        return 0;
    }
    if (cache->count >= cache->max_entries) {
        make_room(cache, now_ms);
    }
    e = calloc(1, sizeof(*e));
    if (e != NULL) {
        e->key = vutil_strdup(key);
    }
    if (e == NULL || e->key == NULL) {
        pthread_mutex_unlock(&cache->lock);
        free(e);
        OPENSSL_cleanse(v, strlen(v));
        free(v);
        return VOUCH_ENOMEM;
    }
    e->value = v;
    e->expires_ms = expires_ms;
    e->seq = cache->next_seq++;
    e->next = cache->buckets[b];
    cache->buckets[b] = e;
    cache->count++;
    pthread_mutex_unlock(&cache->lock);
    return 0;
}

void vouch__registry_cache_remove(vouch__registry_cache *cache,
                                  const char *key)
{
    cache_entry **link;

    if (cache->max_entries == 0) {
        return;
    }
    pthread_mutex_lock(&cache->lock);
    link = &cache->buckets[hash_key(key) & (cache->nbuckets - 1)];
    while (*link != NULL && strcmp((*link)->key, key) != 0) {
        link = &(*link)->next;
    }
    if (*link != NULL) {
        unlink_entry(cache, link);
    }
    pthread_mutex_unlock(&cache->lock);
}

size_t vouch__registry_cache_count(vouch__registry_cache *cache)
{
    size_t n;

    pthread_mutex_lock(&cache->lock);
    n = cache->count;
    pthread_mutex_unlock(&cache->lock);
    return n;
}
