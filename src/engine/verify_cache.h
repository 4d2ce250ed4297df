/*
 * Library-internal: the verification cache used by attestation.c.
 * The public constructor, destructor and stats are in attestation.h.
 */
#ifndef VOUCH_VERIFY_CACHE_INTERNAL_H
#define VOUCH_VERIFY_CACHE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vouch/attestation.h"

/* Longest manifest digest a cache entry records: "sha512:" + 128 hex. */
#define VOUCH__DIGEST_TEXT_MAX 136

/*
 * The hash of a key id under which the cache files its entries; computed
 * once per signature when the occurrence is read, not per lookup.
 */
uint64_t vouch__verify_cache_key_hash(const char *key_id, size_t len);

/*
 * Look up a verified (key id, payload, signature) triple; `key_hash` is
 * vouch__verify_cache_key_hash() of the `key_id_len` bytes of `key_id`. On
 * a hit, copies the manifest digest the verified payload named (may be "")
 * into `manifest_out` (VOUCH__DIGEST_TEXT_MAX + 1 bytes) and returns true.
 * Thread-safe.
 */
bool vouch__verify_cache_get(vouch_verify_cache *cache, const char *key_id,
                             size_t key_id_len, uint64_t key_hash,
                             const unsigned char payload_sha256[32],
                             const unsigned char sig_sha256[32],
                             char *manifest_out);

/* Record a verified triple (copies everything). Thread-safe. */
void vouch__verify_cache_put(vouch_verify_cache *cache, const char *key_id,
                             size_t key_id_len, uint64_t key_hash,
                             const unsigned char payload_sha256[32],
                             const unsigned char sig_sha256[32],
                             const char *manifest);

#endif /* VOUCH_VERIFY_CACHE_INTERNAL_H */
