/*
 * vouch — attestations: Grafeas ATTESTATION occurrences, the signature
 * payload, verification of one attestation against one attestor, and
 * signing (docs/semantics.md, "Attestations").
 */
#ifndef VOUCH_ATTESTATION_H
#define VOUCH_ATTESTATION_H

#include "vouch/attestor.h"
#include "vouch/common.h"
#include "vouch/key.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vouch_attestation vouch_attestation;
typedef struct vouch_attestation_list vouch_attestation_list;
typedef struct vouch_verify_cache vouch_verify_cache;

/**
 * Parse one occurrence: Grafeas v1 (`attestation.serializedPayload`,
 * `attestation.signatures[]`, `attestation.jwts[]`) or the legacy v1beta1
 * shapes (`attestation.attestation.pgpSignedAttestation` /
 * `genericSignedAttestation`). `noteName` and `resourceUri` (or v1beta1
 * `resource.uri`) are required; `kind`, when present, must be ATTESTATION.
 * Other occurrence fields (`name`, `createTime`, ...) are kept for printing.
 *
 * @param[out] out  Caller owns it; free with vouch_attestation_free().
 * @param len       At most VOUCH_OCCURRENCE_MAX_BYTES.
 * @return 0; VOUCH_EPARSE; VOUCH_EINVAL (names the field path);
 *         VOUCH_ETOOBIG; VOUCH_ENOMEM.
 * Thread safety: reentrant; immutable after parsing, may be shared.
 */
VOUCH_API int vouch_attestation_parse(vouch_attestation **out,
                                      const char *data, size_t len,
                                      vouch_format format, const char *source,
                                      vouch_error *err);

/** Free an attestation. NULL is a no-op. */
VOUCH_API void vouch_attestation_free(vouch_attestation *att);

/**
 * Parse a file of attestations: one occurrence, a JSON/YAML array of them,
 * or `{"occurrences": [...]}` (a ListOccurrences response).
 *
 * @param len  At most VOUCH_OCCURRENCES_MAX_BYTES.
 * @return as vouch_attestation_parse(); the message of an error inside the
 *         list starts with the element's path ("occurrences[2].…").
 */
VOUCH_API int vouch_attestation_list_parse(vouch_attestation_list **out,
                                           const char *data, size_t len,
                                           vouch_format format,
                                           const char *source,
                                           vouch_error *err);
VOUCH_API void vouch_attestation_list_free(vouch_attestation_list *list);
VOUCH_API size_t
vouch_attestation_list_count(const vouch_attestation_list *list);
/** Borrowed; valid until the list is freed. */
VOUCH_API const vouch_attestation *
vouch_attestation_list_get(const vouch_attestation_list *list, size_t index);

/* Getters; borrowed, valid until the attestation is freed. */
VOUCH_API const char *vouch_attestation_note_name(const vouch_attestation *a);
VOUCH_API const char *
vouch_attestation_resource_uri(const vouch_attestation *a);
/** The digest ("sha256:…") named by resourceUri, or NULL if it has none. */
VOUCH_API const char *
vouch_attestation_resource_digest(const vouch_attestation *a);

/**
 * Set the server-owned output fields of an occurrence (name, createTime,
 * updateTime); NULL leaves a field as it is, "" clears it. Copied.
 *
 * @return 0; VOUCH_ENOMEM.
 * Thread safety: not thread-safe; call before the attestation is shared.
 */
VOUCH_API int vouch_attestation_set_output_fields(vouch_attestation *a,
                                                  const char *name,
                                                  const char *create_time,
                                                  const char *update_time,
                                                  vouch_error *err);

/** The occurrence's name ("projects/P/occurrences/ID"), or NULL. */
VOUCH_API const char *vouch_attestation_name(const vouch_attestation *a);

/**
 * The JSON (REST form, keys sorted) of an attestation occurrence.
 * @param[out] out  malloc'd; caller frees with vouch_free().
 */
VOUCH_API int vouch_attestation_print(const vouch_attestation *a,
                                      vouch_format format, char **out,
                                      size_t *out_len, vouch_error *err);

/**
 * The exact bytes `gcloud container binauthz create-signature-payload`
 * prints for `artifact_url` (docs/semantics.md): sorted keys, 2-space
 * indent, one trailing newline. The URL must name a digest (`name@sha256:<64 hex>`,
 * also `name:tag@sha256:…`); a scheme is stripped.
 *
 * @param[out] out  malloc'd; caller frees with vouch_free().
 * @return 0; VOUCH_EINVAL (no digest, or a bad one: gcloud's wording,
 *         "Invalid digest: …"); VOUCH_EPARSE (not a reference);
 *         VOUCH_ENOMEM. Reentrant.
 */
VOUCH_API int vouch_signature_payload_create(const char *artifact_url,
                                             size_t len, char **out,
                                             size_t *out_len,
                                             vouch_error *err);

/**
 * A bounded cache of signature verification results, keyed by key id,
 * SHA-256 of the payload and SHA-256 of the signature. Only successes are
 * cached. Least-recently-inserted entries are evicted past `capacity`.
 *
 * @return 0; VOUCH_EINVAL (capacity 0); VOUCH_ENOMEM.
 * Thread safety: every function on a cache is safe to call concurrently.
 */
VOUCH_API int vouch_verify_cache_new(vouch_verify_cache **out,
                                     size_t capacity, vouch_error *err);
VOUCH_API void vouch_verify_cache_free(vouch_verify_cache *cache);
VOUCH_API void vouch_verify_cache_stats(const vouch_verify_cache *cache,
                                        uint64_t *hits, uint64_t *misses);

/**
 * Does `att` prove, for `attestor`, the image whose digest is `digest`
 * ("sha256:<hex>")? True when the occurrence belongs to the attestor's
 * note and at least one of its signatures (or JWTs) is by a key of the
 * attestor (ids compared byte for byte), verifies over the exact stored
 * bytes, and carries a payload whose
 * `critical.image.docker-manifest-digest` equals `digest`.
 *
 * @param cache  May be NULL.
 * @param[out] err  On failure, why: every signature's fault, naming the
 *                  key id (e.g. "signature 0 by key ni:///…: does not
 *                  verify").
 * @return 0 (verified); VOUCH_ECRYPTO (not verified); VOUCH_ENOMEM.
 * Thread safety: safe to call concurrently with shared arguments.
 */
VOUCH_API int vouch_attestation_verify(const vouch_attestation *att,
                                       const vouch_attestor *attestor,
                                       const char *digest,
                                       vouch_verify_cache *cache,
                                       vouch_error *err);

/**
 * Sign the payload for `artifact_url` with a local key and build the
 * attestation occurrence (Grafeas v1 JSON: noteName, resourceUri,
 * kind ATTESTATION, attestation.serializedPayload, signatures[0]).
 *
 * @param note    "projects/P/notes/N".
 * @param key_id  The publicKeyId to record; NULL for the key's default id.
 * @param[out] out  malloc'd JSON text; caller frees with vouch_free().
 * @return 0; VOUCH_EINVAL; VOUCH_EPARSE; VOUCH_ECRYPTO; VOUCH_ENOMEM.
 */
VOUCH_API int vouch_attestation_sign(const vouch_private_key *key,
                                     const char *artifact_url,
                                     const char *note, const char *key_id,
                                     char **out, vouch_error *err);

#ifdef __cplusplus
}
#endif

#endif /* VOUCH_ATTESTATION_H */
