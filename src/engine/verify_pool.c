/*
 * Verification contexts kept with a PKIX key (verify_pool.h).
 */
#include "verify_pool.h"

#include <pthread.h>
#include <string.h>

#include <openssl/err.h>

/* The digests of the algorithm table, fetched once: an implicit fetch
 * (EVP_sha256() and friends) looks the provider up on every use. Kept
 * for the life of the process (still reachable at exit, so not a leak;
 * freeing them after OpenSSL's own exit handler would be unsafe). */
static const char *const digest_names[] = { "SHA256", "SHA384", "SHA512" };
#define DIGESTS (sizeof(digest_names) / sizeof(digest_names[0]))
static EVP_MD *digests[DIGESTS];
static pthread_once_t digests_once = PTHREAD_ONCE_INIT;

static void fetch_digests(void)
{
    for (size_t i = 0; i < DIGESTS; i++) {
        digests[i] = EVP_MD_fetch(NULL, digest_names[i], NULL);
    }
    ERR_clear_error();
}

EVP_MD *vouch__verify_digest(const vouch__alg_info *info)
{
    pthread_once(&digests_once, fetch_digests);
    for (size_t i = 0; i < DIGESTS; i++) {
        if (strcmp(info->digest, digest_names[i]) == 0) {
            return digests[i];
        }
    }
    return NULL;
}

EVP_PKEY_CTX *vouch__verify_pool_take(vouch__verify_pool *pool,
                                      const EVP_PKEY *pkey, EVP_MD *md)
{
    EVP_PKEY_CTX *ctx;

    for (size_t i = 0; i < VOUCH__VERIFY_SPARES; i++) {
        ctx = atomic_exchange(&pool->spare[i], NULL);
        if (ctx != NULL) {
            return ctx;
        }
    }
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, (EVP_PKEY *)pkey, NULL);
    if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx, md) != 1) {
        EVP_PKEY_CTX_free(ctx);
        ERR_clear_error();
        return NULL;
    }
    return ctx;
}

void vouch__verify_pool_give(vouch__verify_pool *pool, EVP_PKEY_CTX *ctx)
{
    for (size_t i = 0; i < VOUCH__VERIFY_SPARES; i++) {
        EVP_PKEY_CTX *none = NULL;

        if (atomic_compare_exchange_strong(&pool->spare[i], &none, ctx)) {
            return;
        }
    }
    EVP_PKEY_CTX_free(ctx);
}

void vouch__verify_pool_clear(vouch__verify_pool *pool)
{
    for (size_t i = 0; i < VOUCH__VERIFY_SPARES; i++) {
        EVP_PKEY_CTX_free(atomic_exchange(&pool->spare[i], NULL));
    }
}
