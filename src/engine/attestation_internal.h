/*
 * Library-internal: the attestation model shared by the files that read
 * (attestation_occurrence.c), print (attestation.c), verify
 * (attestation_verify.c) and sign (attestation_sign.c) it, and the payload
 * reader of attestation_payload.c.
 */
#ifndef VOUCH_ATTESTATION_INTERNAL_H
#define VOUCH_ATTESTATION_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vouch/attestation.h"

typedef struct att_signature {
    unsigned char *bytes;
    size_t len;
    char *key_id;                 /* publicKeyId; "" when absent */
    size_t key_id_len;
    uint64_t key_hash;            /* vouch__verify_cache_key_hash(key_id) */
    unsigned char sha256[32];
} att_signature;

typedef struct att_jwt {
    char *compact;
    size_t len;
} att_jwt;

struct vouch_attestation {
    char *name;
    char *note_name;
    char *resource_uri;
    char *resource_digest;
    char *create_time;
    char *update_time;
    char *remediation;
    unsigned char *payload;       /* serializedPayload; NULL when absent */
    size_t payload_len;
    unsigned char payload_sha256[32];
    att_signature *sigs;
    size_t sig_count;
    att_jwt *jwts;
    size_t jwt_count;
};

struct vouch_attestation_list {
    vouch_attestation **items;
    size_t count;
};

/* SHA-256 of `len` bytes into `out`. */
void vouch__sha256(const void *data, size_t len, unsigned char out[32]);

/*
 * Append a signature to `att`, taking ownership of `bytes` and `key_id`
 * (both freed on failure) and hashing `bytes` for the verification cache.
 * Returns 0 or VOUCH_ENOMEM.
 */
int vouch__attestation_add_signature(vouch_attestation *att,
                                     unsigned char *bytes, size_t len,
                                     char *key_id);

/* True for a Grafeas note name "projects/P/notes/N" (NUL-terminated). */
bool vouch__note_name_ok(const char *s);

/*
 * Read critical.image.docker-manifest-digest out of a signature payload.
 * Returns a malloc'd copy, or NULL with the reason written to `why`.
 */
char *vouch__payload_manifest(const unsigned char *payload, size_t len,
                              char *why, size_t why_size);

#endif /* VOUCH_ATTESTATION_INTERNAL_H */
