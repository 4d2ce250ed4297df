/*
 * vouch — the Binary Authorization v1 Attestor (docs/policy.md, section 3).
 */
#ifndef VOUCH_ATTESTOR_H
#define VOUCH_ATTESTOR_H

#include "vouch/common.h"
#include "vouch/key.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vouch_attestor vouch_attestor;

/**
 * Parse and validate an Attestor resource (REST JSON or YAML):
 * `name`, `description`, `updateTime`, `etag`, and `userOwnedGrafeasNote`
 * {`noteReference`, `publicKeys[]`, `delegationServiceAccountEmail`}.
 * Every public key is parsed (PKIX: algorithm checked against the key,
 * default id computed when blank; PGP: id set to the fingerprint). Key ids
 * must be unique within the attestor.
 *
 * @param[out] out  Caller owns it; free with vouch_attestor_free().
 * @param len       At most VOUCH_ATTESTOR_MAX_BYTES.
 * @param[out] err  Position and field path of the fault, e.g.
 *                  "userOwnedGrafeasNote.publicKeys[1].pkixPublicKey
 *                  .signatureAlgorithm: ...".
 * @return 0; VOUCH_EPARSE; VOUCH_EINVAL; VOUCH_ETOOBIG; VOUCH_ENOMEM.
 * Thread safety: reentrant; the attestor is immutable and may be shared.
 */
VOUCH_API int vouch_attestor_parse(vouch_attestor **out, const char *data,
                                   size_t len, vouch_format format,
                                   const char *source, vouch_error *err);

/** Free an attestor. NULL is a no-op. */
VOUCH_API void vouch_attestor_free(vouch_attestor *attestor);

/**
 * Print as REST JSON or YAML, keys sorted, with the computed key ids.
 * @param[out] out  malloc'd; caller frees with vouch_free().
 */
VOUCH_API int vouch_attestor_print(const vouch_attestor *attestor,
                                   vouch_format format, char **out,
                                   size_t *out_len, vouch_error *err);

/**
 * Set the server-owned output fields (name, etag, updateTime); NULL leaves
 * a field as it is, "" clears it. Copied.
 *
 * @return 0; VOUCH_ENOMEM.
 * Thread safety: not thread-safe; call before the attestor is shared.
 */
VOUCH_API int vouch_attestor_set_output_fields(vouch_attestor *attestor,
                                               const char *name,
                                               const char *etag,
                                               const char *update_time,
                                               vouch_error *err);

/*
 * Getters; strings borrowed, valid until the attestor is freed, NULL when
 * unset. Safe to call concurrently.
 */
VOUCH_API const char *vouch_attestor_name(const vouch_attestor *attestor);
VOUCH_API const char *
vouch_attestor_description(const vouch_attestor *attestor);
VOUCH_API const char *
vouch_attestor_note_reference(const vouch_attestor *attestor);
VOUCH_API const char *vouch_attestor_etag(const vouch_attestor *attestor);
VOUCH_API const char *
vouch_attestor_update_time(const vouch_attestor *attestor);
VOUCH_API size_t vouch_attestor_key_count(const vouch_attestor *attestor);
VOUCH_API const vouch_public_key *
vouch_attestor_key(const vouch_attestor *attestor, size_t index);
/** The key whose id equals `id` byte for byte, or NULL. */
VOUCH_API const vouch_public_key *
vouch_attestor_find_key(const vouch_attestor *attestor, const char *id,
                        size_t id_len);

#ifdef __cplusplus
}
#endif

#endif /* VOUCH_ATTESTOR_H */
