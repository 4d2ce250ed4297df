/*
 * A bounded, thread-safe cache of successful signature verifications.
 *
 * Keyed by (key id, SHA-256 of the payload, SHA-256 of the signature): the
 * same bytes verified by the same trusted key give the same answer, so a
 * warm decision verifies no signature twice. Failures are not cached, so a
 * key added to an attestor later is tried at once. Entries live in a fixed
 * array used as a ring: when full, the oldest insertion is evicted. Buckets
 * chain entry indices.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "verify_cache.h"

#define NO_ENTRY SIZE_MAX

typedef struct cache_entry {
    char *key_id;
    size_t key_id_len;
    uint64_t key_hash;
    unsigned char payload[32];
    unsigned char sig[32];
    size_t manifest_len;
    char manifest[VOUCH__DIGEST_TEXT_MAX + 1];
    size_t bucket;
    size_t next;              /* next entry index in the bucket chain */
    bool used;
} cache_entry;

struct vouch_verify_cache {
    pthread_mutex_t lock;
    cache_entry *entries;
    size_t capacity;
    size_t *buckets;          /* head entry index per bucket */
    size_t bucket_count;      /* power of two */
    size_t oldest;            /* ring position of the next eviction */
    size_t used;
    uint64_t hits;
    uint64_t misses;
};

uint64_t vouch__verify_cache_key_hash(const char *key_id, size_t len)
{
    uint64_t h = 1469598103934665603ull;  /* FNV-1a */
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char)key_id[i];
        h *= 1099511628211ull;
    }
    return h;
}

static size_t cache_hash(uint64_t key_hash, const unsigned char payload[32],
                         const unsigned char sig[32])
{
    uint64_t p;
    uint64_t s;

    /* The digests are already uniformly distributed. */
    memcpy(&p, payload, sizeof(p));
    memcpy(&s, sig, sizeof(s));
    return (size_t)(key_hash ^ p ^ (s * 31));
}

VOUCH_API int vouch_verify_cache_new(vouch_verify_cache **out,
                                     size_t capacity, vouch_error *err)
{
    vouch_verify_cache *cache = NULL;
    size_t buckets = 16;
    size_t i;
    int rc = VOUCH_ENOMEM;

    *out = NULL;
    if (capacity == 0 || capacity > (SIZE_MAX / 4) / sizeof(cache_entry)) {
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "verify cache capacity must be between 1 "
                                "and %zu", (SIZE_MAX / 4) /
                                sizeof(cache_entry));
    }
    while (buckets < capacity * 2) {
        buckets *= 2;
    }
    cache = calloc(1, sizeof(*cache));
    if (cache == NULL) {
        goto cleanup;
    }
    cache->entries = calloc(capacity, sizeof(*cache->entries));
    cache->buckets = malloc(buckets * sizeof(*cache->buckets));
    if (cache->entries == NULL || cache->buckets == NULL) {
        goto cleanup;
    }
    for (i = 0; i < buckets; i++) {
        cache->buckets[i] = NO_ENTRY;
    }
    cache->capacity = capacity;
    cache->bucket_count = buckets;
    if (pthread_mutex_init(&cache->lock, NULL) != 0) {
        goto cleanup;
    }
    *out = cache;
    cache = NULL;
    rc = VOUCH_OK;

cleanup:
    if (cache != NULL) {
        free(cache->entries);
        free(cache->buckets);
        free(cache);
        vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                         "out of memory creating the verify cache");
    }
    return rc;
}

VOUCH_API void vouch_verify_cache_free(vouch_verify_cache *cache)
{
    size_t i;

    if (cache == NULL) {
        return;
    }
    for (i = 0; i < cache->capacity; i++) {
        free(cache->entries[i].key_id);
    }
    pthread_mutex_destroy(&cache->lock);
    free(cache->entries);
    free(cache->buckets);
    free(cache);
}

VOUCH_API void vouch_verify_cache_stats(const vouch_verify_cache *cache,
                                        uint64_t *hits, uint64_t *misses)
{
    vouch_verify_cache *c = (vouch_verify_cache *)cache;

    pthread_mutex_lock(&c->lock);
    if (hits != NULL) {
        *hits = c->hits;
    }
    if (misses != NULL) {
        *misses = c->misses;
    }
    pthread_mutex_unlock(&c->lock);
}

static size_t find_locked(const vouch_verify_cache *cache, size_t bucket,
                          const char *key_id, size_t key_id_len,
                          uint64_t key_hash,
                          const unsigned char payload[32],
                          const unsigned char sig[32])
{
    size_t i = cache->buckets[bucket];

    while (i != NO_ENTRY) {
        const cache_entry *e = &cache->entries[i];

        if (e->key_hash == key_hash && e->key_id_len == key_id_len &&
            memcmp(e->sig, sig, 32) == 0 &&
            memcmp(e->payload, payload, 32) == 0 &&
            memcmp(e->key_id, key_id, key_id_len) == 0) {
            return i;
        }
        i = e->next;
    }
    return NO_ENTRY;
}

bool vouch__verify_cache_get(vouch_verify_cache *cache, const char *key_id,
                             size_t key_id_len, uint64_t key_hash,
                             const unsigned char payload_sha256[32],
                             const unsigned char sig_sha256[32],
                             char *manifest_out)
{
    size_t bucket = cache_hash(key_hash, payload_sha256, sig_sha256) &
                    (cache->bucket_count - 1);
    size_t i;
    bool hit = false;

    pthread_mutex_lock(&cache->lock);
    i = find_locked(cache, bucket, key_id, key_id_len, key_hash,
                    payload_sha256, sig_sha256);
    if (i != NO_ENTRY) {
        memcpy(manifest_out, cache->entries[i].manifest,
               cache->entries[i].manifest_len + 1);
        cache->hits++;
        hit = true;
    } else {
        cache->misses++;
    }
    pthread_mutex_unlock(&cache->lock);
    return hit;
}

static void unlink_locked(vouch_verify_cache *cache, size_t index)
{
    cache_entry *e = &cache->entries[index];
    size_t *link = &cache->buckets[e->bucket];

    while (*link != NO_ENTRY && *link != index) {
        link = &cache->entries[*link].next;
    }
    if (*link == index) {
        *link = e->next;
    }
    free(e->key_id);
    e->key_id = NULL;
    e->used = false;
}

void vouch__verify_cache_put(vouch_verify_cache *cache, const char *key_id,
                             size_t key_id_len, uint64_t key_hash,
                             const unsigned char payload_sha256[32],
                             const unsigned char sig_sha256[32],
                             const char *manifest)
{
    size_t bucket = cache_hash(key_hash, payload_sha256, sig_sha256) &
                    (cache->bucket_count - 1);
    char *id_copy = vouch__strndup(key_id, key_id_len);
    cache_entry *e;
    size_t slot;

    if (id_copy == NULL) {
        return; /* a cache that cannot grow just misses next time */
    }
    pthread_mutex_lock(&cache->lock);
    if (find_locked(cache, bucket, key_id, key_id_len, key_hash,
                    payload_sha256, sig_sha256) != NO_ENTRY) {
        pthread_mutex_unlock(&cache->lock);
        free(id_copy);
        return;
    }
    slot = cache->oldest;
    cache->oldest = (cache->oldest + 1) % cache->capacity;
    if (cache->entries[slot].used) {
        unlink_locked(cache, slot);
    } else {
        cache->used++;
    }
    e = &cache->entries[slot];
    e->key_id = id_copy;
    e->key_id_len = key_id_len;
    e->key_hash = key_hash;
    memcpy(e->payload, payload_sha256, 32);
    memcpy(e->sig, sig_sha256, 32);
    snprintf(e->manifest, sizeof(e->manifest), "%s",
             manifest != NULL ? manifest : "");
    e->manifest_len = strlen(e->manifest);
    e->bucket = bucket;
    e->next = cache->buckets[bucket];
    e->used = true;
    cache->buckets[bucket] = slot;
    pthread_mutex_unlock(&cache->lock);
}
