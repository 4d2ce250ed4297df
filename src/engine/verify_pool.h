/*
 * Library-internal: verification contexts kept with a PKIX key, so that a
 * verification need not look up the algorithm and set up a context anew
 * (in OpenSSL 3 that setup costs about a tenth of an ECDSA P-256
 * verification). OpenSSL lets one EVP_PKEY_CTX, once initialised, verify
 * again and again with the same parameters; each context is used by one
 * thread at a time, taken from the pool and given back.
 *
 * Thread-safety: take, give and the prehashed verify may run on many
 * threads at once on one pool; clear only when no other thread uses it
 * (the key is being freed).
 */
#ifndef VOUCH_VERIFY_POOL_H
#define VOUCH_VERIFY_POOL_H

#include <stdatomic.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "crypto.h"

#define VOUCH__VERIFY_SPARES 4

typedef struct vouch__verify_pool {
    _Atomic(EVP_PKEY_CTX *) spare[VOUCH__VERIFY_SPARES];
} vouch__verify_pool;

/* The digest `info` signs with, fetched once per process; NULL when the
 * provider does not have it. Never freed by the caller. */
EVP_MD *vouch__verify_digest(const vouch__alg_info *info);

/* A context ready for EVP_PKEY_verify with `pkey` over digest `md`
 * (vouch__verify_digest's): a spare one of `pool`, or a new one; NULL
 * when OpenSSL cannot make it. */
EVP_PKEY_CTX *vouch__verify_pool_take(vouch__verify_pool *pool,
                                      const EVP_PKEY *pkey, EVP_MD *md);

/* Give `ctx` back to `pool` (freed when the pool is full). */
void vouch__verify_pool_give(vouch__verify_pool *pool, EVP_PKEY_CTX *ctx);

/* Free every spare context. */
void vouch__verify_pool_clear(vouch__verify_pool *pool);

#endif /* VOUCH_VERIFY_POOL_H */
