/*
 * Benchmark of the decision core (src/engine/evaluate.c, attestation.c,
 * verify_cache.c).
 *
 * Set-up, in-process: an ECDSA P-256 key made with OpenSSL EVP, an
 * attestor holding its public half, one attestation signed with it
 * (vouch_attestation_sign), and a REQUIRE_ATTESTATION policy naming the
 * attestor. Every decision below is an ALLOW of one image by digest.
 *
 * 1. cold_decision: mean µs per vouch_evaluate() with no cache, so every
 *    decision verifies the ECDSA signature; cold_decision_cpu the same in
 *    CPU time (see 3).
 * 2. evp_verify_p256: in-run reference, mean µs of one EVP_DigestVerify of
 *    the same payload and signature (what a cold decision cannot avoid).
 * 3. warm_decisions: decisions per second on one thread with a warm
 *    vouch_verify_cache (no signature is verified), by the wall clock; and
 *    warm_decisions_cpu, the same loop divided by the CPU time the process
 *    used, which is how `openssl speed` counts its reference by default
 *    (user CPU time, not wall time: on a busy machine its figure holds
 *    while a wall-clock one falls, so only CPU time against CPU time is a
 *    ratio that does not depend on what else the machine runs).
 *
 * Output: "bench_decision: <name> <value> <unit>" lines.
 * Run: build/bench/bench_decision (about 4 s); bench/run.sh compares the
 * figures with `openssl speed ecdsap256`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "vouch/vouch.h"

#define MIN_SECONDS 1.5
#define DIGEST \
    "sha256:527584eb3a3ee27717e6cced437e86c83cee6c6be183a8d109fbddf9b875faf7"
#define IMAGE "us-docker.pkg.dev/bench-proj/repo/app@" DIGEST
#define NOTE "projects/bench-proj/notes/built"
#define ATTESTOR "projects/bench-proj/attestors/built"

typedef struct bench {
    vouch_policy *policy;
    vouch_attestor *attestor;
    vouch_attestation *attestation;
    EVP_PKEY *pkey;
} bench;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds used by this process (user and system). */
static double cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const vouch_error *err)
{
    fprintf(stderr, "bench_decision: %s: %s\n", what,
            err != NULL ? err->message : "failed");
    exit(1);
}

/* PEM of `pkey` (private or public half) as a malloc'd string. */
static char *pem_of(EVP_PKEY *pkey, int private_half)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    char *out;
    long len;

    if (bio == NULL ||
        (private_half ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0,
                                                 NULL, NULL)
                      : PEM_write_bio_PUBKEY(bio, pkey)) != 1) {
        die("PEM", NULL);
    }
    len = BIO_get_mem_data(bio, &data);
    out = malloc((size_t)len + 1);
    if (out == NULL) {
        die("malloc", NULL);
    }
    memcpy(out, data, (size_t)len);
    out[len] = '\0';
    BIO_free(bio);
    return out;
}

static void set_up(bench *b)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_private_key *key = NULL;
    char *priv;
    char *pub;
    char *occurrence = NULL;
    char doc[2048];
    char escaped[1024];
    size_t i;
    size_t n = 0;
    static const char policy[] =
        "{\"defaultAdmissionRule\": {\"evaluationMode\": "
        "\"REQUIRE_ATTESTATION\", \"enforcementMode\": "
        "\"ENFORCED_BLOCK_AND_AUDIT_LOG\", \"requireAttestationsBy\": [\""
        ATTESTOR "\"]}, \"admissionWhitelistPatterns\": [{\"namePattern\": "
        "\"gcr.io/google_containers/*\"}]}";

    b->pkey = EVP_EC_gen("P-256");
    if (b->pkey == NULL) {
        die("EVP_EC_gen", NULL);
    }
    priv = pem_of(b->pkey, 1);
    pub = pem_of(b->pkey, 0);
    for (i = 0; pub[i] != '\0' && n + 3 < sizeof(escaped); i++) {
        if (pub[i] == '\n') {
            escaped[n++] = '\\';
            escaped[n++] = 'n';
        } else {
            escaped[n++] = pub[i];
        }
    }
    escaped[n] = '\0';
    snprintf(doc, sizeof(doc),
             "{\"name\": \"" ATTESTOR "\", \"userOwnedGrafeasNote\": "
             "{\"noteReference\": \"" NOTE "\", \"publicKeys\": "
             "[{\"pkixPublicKey\": {\"publicKeyPem\": \"%s\", "
             "\"signatureAlgorithm\": \"ECDSA_P256_SHA256\"}}]}}", escaped);
    if (vouch_attestor_parse(&b->attestor, doc, strlen(doc),
                             VOUCH_FORMAT_JSON, "attestor", &err) != 0) {
        die("attestor", &err);
    }
    if (vouch_private_key_new(&key, priv, strlen(priv),
                              VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED,
                              &err) != 0) {
        die("private key", &err);
    }
    if (vouch_attestation_sign(key, IMAGE, NOTE, NULL, &occurrence,
                               &err) != 0) {
        die("sign", &err);
    }
    if (vouch_attestation_parse(&b->attestation, occurrence,
                                strlen(occurrence), VOUCH_FORMAT_JSON,
                                "occurrence", &err) != 0) {
        die("occurrence", &err);
    }
    if (vouch_policy_parse(&b->policy, policy, sizeof(policy) - 1,
                           VOUCH_FORMAT_JSON, "policy", &err) != 0) {
        die("policy", &err);
    }
    vouch_free(occurrence);
    vouch_private_key_free(key);
    free(priv);
    free(pub);
}

static void decide(const bench *b, vouch_verify_cache *cache)
{
    static const char *const images[] = {IMAGE};
    const vouch_attestor *attestors[1];
    const vouch_attestation *attestations[1];
    vouch_evaluation_input in = VOUCH_EVALUATION_INPUT_INIT;
    vouch_decision *d = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    attestors[0] = b->attestor;
    attestations[0] = b->attestation;
    in.policy = b->policy;
    in.images = images;
    in.image_count = 1;
    in.attestors = attestors;
    in.attestor_count = 1;
    in.attestations = attestations;
    in.attestation_count = 1;
    in.cache = cache;
    if (vouch_evaluate(&d, &in, &err) != 0) {
        die("evaluate", &err);
    }
    if (vouch_decision_outcome(d) != VOUCH_OUTCOME_ALLOW) {
        fprintf(stderr, "bench_decision: not allowed: %s\n",
                vouch_decision_message(d));
        exit(1);
    }
    vouch_decision_free(d);
}

/* Mean µs of one EVP verification of a fresh signature over the payload. */
static double evp_verify_us(const bench *b)
{
    char *payload = NULL;
    size_t payload_len = 0;
    unsigned char sig[128];
    size_t sig_len = sizeof(sig);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    double start;
    double elapsed;
    long count = 0;

    if (ctx == NULL ||
        vouch_signature_payload_create(IMAGE, strlen(IMAGE), &payload,
                                       &payload_len, NULL) != 0 ||
        EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, b->pkey) != 1 ||
        EVP_DigestSign(ctx, sig, &sig_len, (unsigned char *)payload,
                       payload_len) != 1) {
        die("EVP sign", NULL);
    }
    start = now();
    do {
        EVP_MD_CTX_reset(ctx);
        if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
                                 b->pkey) != 1 ||
            EVP_DigestVerify(ctx, sig, sig_len, (unsigned char *)payload,
                             payload_len) != 1) {
            die("EVP verify", NULL);
        }
        count++;
        elapsed = now() - start;
    } while (elapsed < MIN_SECONDS);
    EVP_MD_CTX_free(ctx);
    vouch_free(payload);
    return elapsed * 1e6 / (double)count;
}

int main(void)
{
    bench b = {NULL, NULL, NULL, NULL};
    vouch_verify_cache *cache = NULL;
    double start;
    double elapsed;
    double cpu_start;
    double cpu;
    long count;
    uint64_t hits = 0;
    uint64_t misses = 0;

    set_up(&b);

    /* 1. cold: no cache, every decision verifies the signature. */
    decide(&b, NULL);
    count = 0;
    start = now();
    cpu_start = cpu_now();
    do {
        decide(&b, NULL);
        count++;
        elapsed = now() - start;
    } while (elapsed < MIN_SECONDS);
    cpu = cpu_now() - cpu_start;
    printf("bench_decision: cold_decision %.2f us\n",
           elapsed * 1e6 / (double)count);
    printf("bench_decision: cold_decision_cpu %.2f us\n",
           cpu * 1e6 / (double)count);

    /* 2. the in-run reference. */
    printf("bench_decision: evp_verify_p256 %.2f us\n", evp_verify_us(&b));

    /* 3. warm: one verification, then every decision is a cache hit. */
    if (vouch_verify_cache_new(&cache, 1024, NULL) != 0) {
        die("cache", NULL);
    }
    decide(&b, cache);
    count = 0;
    start = now();
    cpu_start = cpu_now();
    do {
        int i;

        for (i = 0; i < 1000; i++) {
            decide(&b, cache);
        }
        count += 1000;
        elapsed = now() - start;
    } while (elapsed < MIN_SECONDS);
    cpu = cpu_now() - cpu_start;
    vouch_verify_cache_stats(cache, &hits, &misses);
    if (misses != 1) {
        fprintf(stderr, "bench_decision: %llu cache misses, expected 1\n",
                (unsigned long long)misses);
        return 1;
    }
    printf("bench_decision: warm_decisions %.0f decisions/s\n",
           (double)count / elapsed);
    printf("bench_decision: warm_decision %.3f us\n",
           elapsed * 1e6 / (double)count);
    printf("bench_decision: warm_decisions_cpu %.0f decisions/s\n",
           (double)count / cpu);

    vouch_verify_cache_free(cache);
    vouch_attestation_free(b.attestation);
    vouch_attestor_free(b.attestor);
    vouch_policy_free(b.policy);
    EVP_PKEY_free(b.pkey);
    return 0;
}
