/*
 * Attestations: reading Grafeas ATTESTATION occurrences (v1 and the legacy
 * v1beta1 shapes), the gcloud signature payload, verification of one
 * occurrence against one attestor (spec §3.2–3.6), and signing.
 *
 * What is verified is always the exact stored bytes; the payload is then
 * read as JSON only to compare critical.image.docker-manifest-digest with
 * the image's digest, so every payload variant of §3.3 verifies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "vouch/attestation.h"
#include "vouch/image_ref.h"

#include "doc.h"
#include "internal.h"
#include "key_internal.h"
#include "verify_cache.h"

typedef struct att_signature {
    unsigned char *bytes;
    size_t len;
    char *key_id;                 /* publicKeyId; "" when absent */
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
    char *payload_manifest;       /* from the payload JSON, or NULL */
    char payload_problem[128];    /* why payload_manifest is NULL */
    att_signature *sigs;
    size_t sig_count;
    att_jwt *jwts;
    size_t jwt_count;
};

struct vouch_attestation_list {
    vouch_attestation **items;
    size_t count;
};

static void sha256(const void *data, size_t len, unsigned char out[32])
{
    unsigned int n = 32;

    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1) {
        memset(out, 0, 32); /* cannot happen with the default provider */
    }
}

/*
 * Read critical.image.docker-manifest-digest out of a payload. On failure
 * returns NULL and says why in `why`.
 */
static char *payload_manifest(const unsigned char *payload, size_t len,
                              char *why, size_t why_size)
{
    json_t *root = NULL;
    json_t *digest;
    json_error_t jerr;
    char *out = NULL;

    if (len > VOUCH_PAYLOAD_MAX_BYTES) {
        snprintf(why, why_size, "payload is over %u bytes",
                 VOUCH_PAYLOAD_MAX_BYTES);
        return NULL;
    }
    root = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES,
                      &jerr);
    if (root == NULL) {
        snprintf(why, why_size, "payload is not JSON (line %d: %s)",
                 jerr.line, jerr.text);
        return NULL;
    }
    digest = json_object_get(json_object_get(json_object_get(root,
                                                             "critical"),
                                             "image"),
                             "docker-manifest-digest");
    if (!json_is_string(digest)) {
        snprintf(why, why_size, "payload has no string "
                 "critical.image.docker-manifest-digest");
    } else if (json_string_length(digest) > VOUCH__DIGEST_TEXT_MAX) {
        snprintf(why, why_size, "payload's docker-manifest-digest is too "
                 "long to be a digest");
    } else {
        out = vouch__strndup(json_string_value(digest),
                             json_string_length(digest));
        if (out == NULL) {
            snprintf(why, why_size, "out of memory");
        }
    }
    json_decref(root);
    return out;
}

VOUCH_API void vouch_attestation_free(vouch_attestation *att)
{
    size_t i;

    if (att == NULL) {
        return;
    }
    free(att->name);
    free(att->note_name);
    free(att->resource_uri);
    free(att->resource_digest);
    free(att->create_time);
    free(att->update_time);
    free(att->remediation);
    free(att->payload);
    free(att->payload_manifest);
    for (i = 0; i < att->sig_count; i++) {
        free(att->sigs[i].bytes);
        free(att->sigs[i].key_id);
    }
    free(att->sigs);
    for (i = 0; i < att->jwt_count; i++) {
        free(att->jwts[i].compact);
    }
    free(att->jwts);
    free(att);
}

/* A base64 (standard or url-safe) field decoded into bytes. */
static int read_bytes(const vouch__doc *doc, struct fy_node *node,
                      const vouch__path *path, size_t max,
                      unsigned char **out, size_t *out_len, vouch_error *err)
{
    const char *text;
    size_t len;
    int rc;

    rc = vouch__doc_string(doc, node, path, &text, &len, err);
    if (rc < 0) {
        return rc;
    }
    if (len / 4 * 3 > max + 3) {
        return vouch__doc_fail(doc, node, path, err, VOUCH_ETOOBIG,
                               "over the limit of %zu bytes", max);
    }
    rc = vouch__base64_decode(text, len, out, out_len);
    if (rc == VOUCH_ENOMEM) {
        return vouch__doc_fail(doc, node, path, err, rc, "out of memory");
    }
    if (rc < 0) {
        return vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                               "not valid base64");
    }
    return VOUCH_OK;
}

static int add_signature(vouch_attestation *att, unsigned char *bytes,
                         size_t len, char *key_id)
{
    att_signature *grown;

    grown = realloc(att->sigs, (att->sig_count + 1) * sizeof(*grown));
    if (grown == NULL) {
        free(bytes);
        free(key_id);
        return VOUCH_ENOMEM;
    }
    att->sigs = grown;
    grown[att->sig_count].bytes = bytes;
    grown[att->sig_count].len = len;
    grown[att->sig_count].key_id = key_id;
    sha256(bytes, len, grown[att->sig_count].sha256);
    att->sig_count++;
    return VOUCH_OK;
}

static int read_signatures(vouch_attestation *att, const vouch__doc *doc,
                           struct fy_node *list, vouch__path *path,
                           vouch_error *err)
{
    static const char *const fields[] = {"signature", "publicKeyId", NULL};
    struct fy_node *item;
    void *iter = NULL;
    size_t index = 0;
    int rc;

    rc = vouch__doc_expect_sequence(doc, list, path, err);
    if (rc < 0) {
        return rc;
    }
    while ((item = fy_node_sequence_iterate(list, &iter)) != NULL) {
        size_t saved = vouch__path_push_index(path, index);
        unsigned char *bytes = NULL;
        size_t len = 0;
        char *key_id = NULL;
        struct fy_node *node;

        if (index >= VOUCH_SIGNATURES_MAX) {
            return vouch__doc_fail(doc, item, path, err, VOUCH_ETOOBIG,
                                   "more than %u signatures",
                                   VOUCH_SIGNATURES_MAX);
        }
        rc = vouch__doc_expect_mapping(doc, item, path, fields, err);
        if (rc < 0) {
            return rc;
        }
        node = vouch__doc_get(item, "signature");
        if (node == NULL) {
            return vouch__doc_fail(doc, item, path, err, VOUCH_EINVAL,
                                   "missing required field 'signature'");
        }
        vouch__path_push_key(path, "signature");
        rc = read_bytes(doc, node, path, VOUCH_SIGNATURE_MAX_BYTES, &bytes,
                        &len, err);
        vouch__path_pop(path, saved);
        vouch__path_push_index(path, index);
        if (rc < 0) {
            return rc;
        }
        node = vouch__doc_get(item, "publicKeyId");
        if (node != NULL) {
            vouch__path_push_key(path, "publicKeyId");
            rc = vouch__doc_string_dup(doc, node, path, &key_id, err);
        } else {
            key_id = vouch__strdup("");
            rc = key_id == NULL ? VOUCH_ENOMEM : VOUCH_OK;
        }
        if (rc < 0) {
            free(bytes);
            return rc;
        }
        rc = add_signature(att, bytes, len, key_id);
        if (rc < 0) {
            return vouch__error_set(err, rc, doc->source, 0, 0,
                                    "out of memory");
        }
        vouch__path_pop(path, saved);
        index++;
    }
    return VOUCH_OK;
}

static int read_jwts(vouch_attestation *att, const vouch__doc *doc,
                     struct fy_node *list, vouch__path *path,
                     vouch_error *err)
{
    static const char *const fields[] = {"compactJwt", NULL};
    struct fy_node *item;
    void *iter = NULL;
    size_t index = 0;
    int rc;

    rc = vouch__doc_expect_sequence(doc, list, path, err);
    if (rc < 0) {
        return rc;
    }
    while ((item = fy_node_sequence_iterate(list, &iter)) != NULL) {
        size_t saved = vouch__path_push_index(path, index);
        struct fy_node *node;
        att_jwt *grown;
        char *compact = NULL;

        if (index >= VOUCH_SIGNATURES_MAX) {
            return vouch__doc_fail(doc, item, path, err, VOUCH_ETOOBIG,
                                   "more than %u JWTs", VOUCH_SIGNATURES_MAX);
        }
        rc = vouch__doc_expect_mapping(doc, item, path, fields, err);
        if (rc < 0) {
            return rc;
        }
        node = vouch__doc_get(item, "compactJwt");
        if (node == NULL) {
            return vouch__doc_fail(doc, item, path, err, VOUCH_EINVAL,
                                   "missing required field 'compactJwt'");
        }
        vouch__path_push_key(path, "compactJwt");
        rc = vouch__doc_string_dup(doc, node, path, &compact, err);
        if (rc < 0) {
            return rc;
        }
        grown = realloc(att->jwts, (att->jwt_count + 1) * sizeof(*grown));
        if (grown == NULL) {
            free(compact);
            return vouch__error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,
                                    "out of memory");
        }
        att->jwts = grown;
        grown[att->jwt_count].compact = compact;
        grown[att->jwt_count].len = strlen(compact);
        att->jwt_count++;
        vouch__path_pop(path, saved);
        index++;
    }
    return VOUCH_OK;
}

static int read_payload(vouch_attestation *att, const vouch__doc *doc,
                        struct fy_node *node, vouch__path *path,
                        vouch_error *err)
{
    int rc;

    rc = read_bytes(doc, node, path, VOUCH_PAYLOAD_MAX_BYTES, &att->payload,
                    &att->payload_len, err);
    if (rc < 0) {
        return rc;
    }
    if (att->payload_len > VOUCH_PAYLOAD_MAX_BYTES) {
        return vouch__doc_fail(doc, node, path, err, VOUCH_ETOOBIG,
                               "payload is over %u bytes",
                               VOUCH_PAYLOAD_MAX_BYTES);
    }
    return VOUCH_OK;
}

/* v1beta1: attestation.attestation.{pgpSignedAttestation|
 * genericSignedAttestation}. */
static int read_legacy(vouch_attestation *att, const vouch__doc *doc,
                       struct fy_node *inner, vouch__path *path,
                       vouch_error *err)
{
    static const char *const inner_fields[] = {
        "pgpSignedAttestation", "genericSignedAttestation", NULL};
    static const char *const pgp_fields[] = {
        "signature", "contentType", "pgpKeyId", NULL};
    static const char *const generic_fields[] = {
        "contentType", "serializedPayload", "signatures", NULL};
    struct fy_node *pgp;
    struct fy_node *generic;
    struct fy_node *node;
    size_t saved;
    int rc;

    rc = vouch__doc_expect_mapping(doc, inner, path, inner_fields, err);
    if (rc < 0) {
        return rc;
    }
    pgp = vouch__doc_get(inner, "pgpSignedAttestation");
    generic = vouch__doc_get(inner, "genericSignedAttestation");
    if ((pgp == NULL) == (generic == NULL)) {
        return vouch__doc_fail(doc, inner, path, err, VOUCH_EINVAL,
                               "exactly one of pgpSignedAttestation and "
                               "genericSignedAttestation is required");
    }
    if (pgp != NULL) {
        const char *text;
        size_t len;
        unsigned char *bytes;
        char *key_id = NULL;

        saved = vouch__path_push_key(path, "pgpSignedAttestation");
        rc = vouch__doc_expect_mapping(doc, pgp, path, pgp_fields, err);
        if (rc < 0) {
            return rc;
        }
        node = vouch__doc_get(pgp, "signature");
        if (node == NULL) {
            return vouch__doc_fail(doc, pgp, path, err, VOUCH_EINVAL,
                                   "missing required field 'signature'");
        }
        vouch__path_push_key(path, "signature");
        /* v1beta1 carries the armored message as text, not base64. */
        rc = vouch__doc_string(doc, node, path, &text, &len, err);
        if (rc < 0) {
            return rc;
        }
        if (len > VOUCH_SIGNATURE_MAX_BYTES) {
            return vouch__doc_fail(doc, node, path, err, VOUCH_ETOOBIG,
                                   "over the limit of %u bytes",
                                   VOUCH_SIGNATURE_MAX_BYTES);
        }
        vouch__path_pop(path, saved);
        vouch__path_push_key(path, "pgpSignedAttestation");
        bytes = (unsigned char *)vouch__strndup(text, len);
        node = vouch__doc_get(pgp, "pgpKeyId");
        if (node != NULL) {
            vouch__path_push_key(path, "pgpKeyId");
            rc = vouch__doc_string_dup(doc, node, path, &key_id, err);
        } else {
            key_id = vouch__strdup("");
        }
        if (rc < 0 || bytes == NULL || key_id == NULL) {
            free(bytes);
            free(key_id);
            return rc < 0 ? rc : vouch__error_set(err, VOUCH_ENOMEM,
                                                  doc->source, 0, 0,
                                                  "out of memory");
        }
        vouch__path_pop(path, saved);
        return add_signature(att, bytes, len, key_id);
    }
    saved = vouch__path_push_key(path, "genericSignedAttestation");
    rc = vouch__doc_expect_mapping(doc, generic, path, generic_fields, err);
    if (rc < 0) {
        return rc;
    }
    node = vouch__doc_get(generic, "serializedPayload");
    if (node != NULL) {
        vouch__path_push_key(path, "serializedPayload");
        rc = read_payload(att, doc, node, path, err);
        if (rc < 0) {
            return rc;
        }
        vouch__path_pop(path, saved);
        vouch__path_push_key(path, "genericSignedAttestation");
    }
    node = vouch__doc_get(generic, "signatures");
    if (node != NULL) {
        vouch__path_push_key(path, "signatures");
        rc = read_signatures(att, doc, node, path, err);
    }
    vouch__path_pop(path, saved);
    return rc;
}

static int read_attestation_body(vouch_attestation *att,
                                 const vouch__doc *doc, struct fy_node *body,
                                 vouch__path *path, vouch_error *err)
{
    static const char *const fields[] = {
        "serializedPayload", "signatures", "jwts", "attestation", NULL};
    struct fy_node *node;
    size_t saved;
    int rc;

    rc = vouch__doc_expect_mapping(doc, body, path, fields, err);
    if (rc < 0) {
        return rc;
    }
    node = vouch__doc_get(body, "attestation");
    if (node != NULL) {
        if (vouch__doc_get(body, "serializedPayload") != NULL ||
            vouch__doc_get(body, "signatures") != NULL ||
            vouch__doc_get(body, "jwts") != NULL) {
            return vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                                   "mixes the v1 fields with the v1beta1 "
                                   "'attestation' field");
        }
        saved = vouch__path_push_key(path, "attestation");
        rc = read_legacy(att, doc, node, path, err);
        if (rc == 0 && att->sig_count == 0) {
            /* The same rule as v1: an occurrence without a signature
             * proves nothing, and would not read back once printed. */
            rc = vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                                 "has no signatures");
        }
        vouch__path_pop(path, saved);
        return rc;
    }
    node = vouch__doc_get(body, "serializedPayload");
    if (node != NULL) {
        saved = vouch__path_push_key(path, "serializedPayload");
        rc = read_payload(att, doc, node, path, err);
        vouch__path_pop(path, saved);
        if (rc < 0) {
            return rc;
        }
    }
    node = vouch__doc_get(body, "signatures");
    if (node != NULL) {
        saved = vouch__path_push_key(path, "signatures");
        rc = read_signatures(att, doc, node, path, err);
        vouch__path_pop(path, saved);
        if (rc < 0) {
            return rc;
        }
    }
    node = vouch__doc_get(body, "jwts");
    if (node != NULL) {
        saved = vouch__path_push_key(path, "jwts");
        rc = read_jwts(att, doc, node, path, err);
        vouch__path_pop(path, saved);
        if (rc < 0) {
            return rc;
        }
    }
    if (att->sig_count == 0 && att->jwt_count == 0) {
        return vouch__doc_fail(doc, body, path, err, VOUCH_EINVAL,
                               "has neither signatures nor jwts");
    }
    return VOUCH_OK;
}

/* Optional string field into *out (left NULL when absent). */
static int read_optional(const vouch__doc *doc, struct fy_node *map,
                         const char *key, vouch__path *path, char **out,
                         vouch_error *err)
{
    struct fy_node *node = vouch__doc_get(map, key);
    size_t saved;
    int rc;

    if (node == NULL) {
        return VOUCH_OK;
    }
    saved = vouch__path_push_key(path, key);
    rc = vouch__doc_string_dup(doc, node, path, out, err);
    vouch__path_pop(path, saved);
    return rc;
}

static bool note_name_ok(const char *s)
{
    const char *project;
    const char *note;

    if (strncmp(s, "projects/", 9) != 0) {
        return false;
    }
    project = s + 9;
    note = strstr(project, "/notes/");
    if (note == NULL || note == project) {
        return false;
    }
    note += 7;
    return note[0] != '\0' && strchr(note, '/') == NULL &&
           memchr(project, '/', (size_t)(note - 7 - project)) == NULL;
}

static int read_occurrence(vouch_attestation **out, const vouch__doc *doc,
                           struct fy_node *map, vouch__path *path,
                           vouch_error *err)
{
    static const char *const fields[] = {
        "name", "resourceUri", "resource", "noteName", "kind",
        "remediation", "createTime", "updateTime", "attestation",
        "envelope", NULL};
    static const char *const resource_fields[] = {
        "uri", "name", "contentHash", NULL};
    vouch_attestation *att = NULL;
    vouch_image_ref *ref = NULL;
    vouch_error ref_err = VOUCH_ERROR_INIT;
    struct fy_node *node;
    struct fy_node *uri_node = NULL;
    size_t saved;
    int rc;

    *out = NULL;
    rc = vouch__doc_expect_mapping(doc, map, path, fields, err);
    if (rc < 0) {
        goto cleanup;
    }
    att = calloc(1, sizeof(*att));
    if (att == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,
                              "out of memory");
        goto cleanup;
    }
    if ((rc = read_optional(doc, map, "name", path, &att->name, err)) < 0 ||
        (rc = read_optional(doc, map, "remediation", path, &att->remediation,
                            err)) < 0 ||
        (rc = read_optional(doc, map, "createTime", path, &att->create_time,
                            err)) < 0 ||
        (rc = read_optional(doc, map, "updateTime", path, &att->update_time,
                            err)) < 0) {
        goto cleanup;
    }

    node = vouch__doc_get(map, "kind");
    if (node != NULL) {
        const char *kind;
        size_t len;

        saved = vouch__path_push_key(path, "kind");
        rc = vouch__doc_string(doc, node, path, &kind, &len, err);
        if (rc == 0 && !vouch__slice_eq(kind, len, "ATTESTATION")) {
            rc = vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                                 "must be ATTESTATION, got '%.*s'",
                                 (int)(len > 40 ? 40 : len), kind);
        }
        vouch__path_pop(path, saved);
        if (rc < 0) {
            goto cleanup;
        }
    }

    node = vouch__doc_get(map, "noteName");
    if (node == NULL) {
        rc = vouch__doc_fail(doc, map, path, err, VOUCH_EINVAL,
                             "missing required field 'noteName'");
        goto cleanup;
    }
    saved = vouch__path_push_key(path, "noteName");
    rc = vouch__doc_string_dup(doc, node, path, &att->note_name, err);
    if (rc == 0 && !note_name_ok(att->note_name)) {
        rc = vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                             "'%s' is not of the form projects/*/notes/*",
                             att->note_name);
    }
    vouch__path_pop(path, saved);
    if (rc < 0) {
        goto cleanup;
    }

    /* v1 resourceUri, or v1beta1 resource.uri. */
    node = vouch__doc_get(map, "resourceUri");
    saved = vouch__path_push_key(path, "resourceUri");
    if (node == NULL && vouch__doc_get(map, "resource") != NULL) {
        struct fy_node *res = vouch__doc_get(map, "resource");

        vouch__path_pop(path, saved);
        vouch__path_push_key(path, "resource");
        rc = vouch__doc_expect_mapping(doc, res, path, resource_fields, err);
        if (rc < 0) {
            goto cleanup;
        }
        node = vouch__doc_get(res, "uri");
        vouch__path_push_key(path, "uri");
    }
    if (node == NULL) {
        vouch__path_pop(path, saved);
        rc = vouch__doc_fail(doc, map, path, err, VOUCH_EINVAL,
                             "missing required field 'resourceUri'");
        goto cleanup;
    }
    uri_node = node;
    rc = vouch__doc_string_dup(doc, node, path, &att->resource_uri, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = vouch_image_ref_parse(&ref, att->resource_uri,
                               strlen(att->resource_uri), &ref_err);
    if (rc < 0) {
        rc = vouch__doc_fail(doc, uri_node, path, err, VOUCH_EINVAL,
                             "not an image reference: %s", ref_err.message);
        goto cleanup;
    }
    if (vouch_image_ref_digest(ref) == NULL) {
        rc = vouch__doc_fail(doc, uri_node, path, err, VOUCH_EINVAL,
                             "'%s' names no digest; an attestation is "
                             "always for an image by digest "
                             "(REGISTRY/PATH@sha256:...)",
                             att->resource_uri);
        goto cleanup;
    }
    att->resource_digest = vouch__strdup(vouch_image_ref_digest(ref));
    vouch__path_pop(path, saved);
    if (att->resource_digest == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,
                              "out of memory");
        goto cleanup;
    }

    node = vouch__doc_get(map, "attestation");
    if (node == NULL) {
        rc = vouch__doc_fail(doc, map, path, err, VOUCH_EINVAL,
                             "missing required field 'attestation'");
        goto cleanup;
    }
    saved = vouch__path_push_key(path, "attestation");
    rc = read_attestation_body(att, doc, node, path, err);
    vouch__path_pop(path, saved);
    if (rc < 0) {
        goto cleanup;
    }

    /* Digests used as the verification cache key, and the manifest digest
     * the payload names, are computed once here, not per decision. */
    sha256(att->payload != NULL ? att->payload : (const unsigned char *)"",
           att->payload_len, att->payload_sha256);
    if (att->payload != NULL) {
        att->payload_manifest = payload_manifest(att->payload,
                                                 att->payload_len,
                                                 att->payload_problem,
                                                 sizeof(att->payload_problem));
    } else {
        snprintf(att->payload_problem, sizeof(att->payload_problem),
                 "occurrence has no serializedPayload");
    }

    *out = att;
    att = NULL;

cleanup:
    vouch_image_ref_free(ref);
    vouch_attestation_free(att);
    return rc;
}

VOUCH_API int vouch_attestation_parse(vouch_attestation **out,
                                      const char *data, size_t len,
                                      vouch_format format, const char *source,
                                      vouch_error *err)
{
    vouch__doc doc;
    vouch__path path = VOUCH__PATH_INIT;
    int rc;

    *out = NULL;
    rc = vouch__doc_load(&doc, data, len, format,
                         VOUCH_OCCURRENCE_MAX_BYTES, source, err);
    if (rc < 0) {
        return rc;
    }
    rc = read_occurrence(out, &doc, vouch__doc_root(&doc), &path, err);
    vouch__doc_close(&doc);
    return rc;
}

VOUCH_API void vouch_attestation_list_free(vouch_attestation_list *list)
{
    size_t i;

    if (list == NULL) {
        return;
    }
    for (i = 0; i < list->count; i++) {
        vouch_attestation_free(list->items[i]);
    }
    free(list->items);
    free(list);
}

static int read_occurrence_list(vouch_attestation_list *list,
                                const vouch__doc *doc, struct fy_node *seq,
                                vouch__path *path, vouch_error *err)
{
    struct fy_node *item;
    void *iter = NULL;
    size_t count;
    int rc;

    rc = vouch__doc_expect_sequence(doc, seq, path, err);
    if (rc < 0) {
        return rc;
    }
    /* A null node (an empty list, as for every sequence) has no item
     * count: libfyaml returns -1 for anything that is not a sequence. */
    if (seq == NULL || !fy_node_is_sequence(seq) ||
        fy_node_sequence_item_count(seq) <= 0) {
        return VOUCH_OK;
    }
    count = (size_t)fy_node_sequence_item_count(seq);
    list->items = calloc(count, sizeof(*list->items));
    if (list->items == NULL) {
        return vouch__error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,
                                "out of memory");
    }
    while ((item = fy_node_sequence_iterate(seq, &iter)) != NULL &&
           list->count < count) {
        size_t saved = vouch__path_push_index(path, list->count);

        rc = read_occurrence(&list->items[list->count], doc, item, path,
                             err);
        if (rc < 0) {
            return rc;
        }
        vouch__path_pop(path, saved);
        list->count++;
    }
    return VOUCH_OK;
}

VOUCH_API int vouch_attestation_list_parse(vouch_attestation_list **out,
                                           const char *data, size_t len,
                                           vouch_format format,
                                           const char *source,
                                           vouch_error *err)
{
    static const char *const list_fields[] = {
        "occurrences", "nextPageToken", NULL};
    vouch_attestation_list *list = NULL;
    vouch__doc doc;
    vouch__path path = VOUCH__PATH_INIT;
    struct fy_node *root;
    int rc;

    *out = NULL;
    rc = vouch__doc_load(&doc, data, len, format,
                         VOUCH_OCCURRENCES_MAX_BYTES, source, err);
    if (rc < 0) {
        return rc;
    }
    list = calloc(1, sizeof(*list));
    if (list == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, source, 0, 0,
                              "out of memory");
        goto cleanup;
    }
    root = vouch__doc_root(&doc);
    if (fy_node_is_sequence(root)) {
        rc = read_occurrence_list(list, &doc, root, &path, err);
    } else if (fy_node_is_mapping(root) &&
               vouch__doc_get(root, "occurrences") != NULL) {
        rc = vouch__doc_expect_mapping(&doc, root, &path, list_fields, err);
        if (rc == 0) {
            vouch__path_push_key(&path, "occurrences");
            rc = read_occurrence_list(list, &doc,
                                      vouch__doc_get(root, "occurrences"),
                                      &path, err);
        }
    } else {
        list->items = calloc(1, sizeof(*list->items));
        if (list->items == NULL) {
            rc = vouch__error_set(err, VOUCH_ENOMEM, source, 0, 0,
                                  "out of memory");
            goto cleanup;
        }
        rc = read_occurrence(&list->items[0], &doc, root, &path, err);
        if (rc == 0) {
            list->count = 1;
        }
    }
    if (rc < 0) {
        goto cleanup;
    }
    *out = list;
    list = NULL;

cleanup:
    vouch_attestation_list_free(list);
    vouch__doc_close(&doc);
    return rc;
}

VOUCH_API size_t
vouch_attestation_list_count(const vouch_attestation_list *list)
{
    return list->count;
}

VOUCH_API const vouch_attestation *
vouch_attestation_list_get(const vouch_attestation_list *list, size_t index)
{
    return index < list->count ? list->items[index] : NULL;
}

VOUCH_API int vouch_attestation_set_output_fields(vouch_attestation *a,
                                                  const char *name,
                                                  const char *create_time,
                                                  const char *update_time,
                                                  vouch_error *err)
{
    if (vouch__string_replace(&a->name, name) < 0 ||
        vouch__string_replace(&a->create_time, create_time) < 0 ||
        vouch__string_replace(&a->update_time, update_time) < 0) {
        return vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                "out of memory");
    }
    return VOUCH_OK;
}

VOUCH_API const char *vouch_attestation_name(const vouch_attestation *a)
{
    return a->name;
}

VOUCH_API const char *vouch_attestation_note_name(const vouch_attestation *a)
{
    return a->note_name;
}

VOUCH_API const char *
vouch_attestation_resource_uri(const vouch_attestation *a)
{
    return a->resource_uri;
}

VOUCH_API const char *
vouch_attestation_resource_digest(const vouch_attestation *a)
{
    return a->resource_digest;
}

static int set_base64(json_t *obj, const char *key, const unsigned char *data,
                      size_t len)
{
    char *text = NULL;
    int rc;

    rc = vouch__base64_encode(data, len, false, &text);
    if (rc < 0) {
        return rc;
    }
    rc = json_object_set_new(obj, key, json_string(text)) == 0
             ? VOUCH_OK : VOUCH_ENOMEM;
    free(text);
    return rc;
}

static int set_string(json_t *obj, const char *key, const char *value)
{
    if (value == NULL) {
        return VOUCH_OK;
    }
    return json_object_set_new(obj, key, json_string(value)) == 0
               ? VOUCH_OK : VOUCH_ENOMEM;
}

/* The REST JSON of an occurrence; field names are written only here. */
static json_t *occurrence_to_json(const vouch_attestation *a)
{
    json_t *root = json_object();
    json_t *body = json_object();
    json_t *sigs = json_array();
    json_t *jwts = json_array();
    size_t i;
    int rc = VOUCH_OK;

    if (root == NULL || body == NULL || sigs == NULL || jwts == NULL) {
        goto fail;
    }
    rc |= set_string(root, "name", a->name);
    rc |= set_string(root, "resourceUri", a->resource_uri);
    rc |= set_string(root, "noteName", a->note_name);
    rc |= set_string(root, "kind", "ATTESTATION");
    rc |= set_string(root, "remediation", a->remediation);
    rc |= set_string(root, "createTime", a->create_time);
    rc |= set_string(root, "updateTime", a->update_time);
    if (a->payload != NULL) {
        rc |= set_base64(body, "serializedPayload", a->payload,
                         a->payload_len);
    }
    for (i = 0; i < a->sig_count; i++) {
        json_t *sig = json_object();

        if (sig == NULL || json_array_append_new(sigs, sig) != 0) {
            goto fail;
        }
        rc |= set_base64(sig, "signature", a->sigs[i].bytes, a->sigs[i].len);
        if (a->sigs[i].key_id[0] != '\0') {
            rc |= set_string(sig, "publicKeyId", a->sigs[i].key_id);
        }
    }
    for (i = 0; i < a->jwt_count; i++) {
        json_t *jwt = json_object();

        if (jwt == NULL || json_array_append_new(jwts, jwt) != 0) {
            goto fail;
        }
        rc |= set_string(jwt, "compactJwt", a->jwts[i].compact);
    }
    if (a->sig_count > 0) {
        rc |= json_object_set(body, "signatures", sigs);
    }
    if (a->jwt_count > 0) {
        rc |= json_object_set(body, "jwts", jwts);
    }
    rc |= json_object_set(root, "attestation", body);
    if (rc != 0) {
        goto fail;
    }
    json_decref(sigs);
    json_decref(jwts);
    json_decref(body);
    return root;

fail:
    json_decref(sigs);
    json_decref(jwts);
    json_decref(body);
    json_decref(root);
    return NULL;
}

VOUCH_API int vouch_attestation_print(const vouch_attestation *a,
                                      vouch_format format, char **out,
                                      size_t *out_len, vouch_error *err)
{
    return vouch__print_model(occurrence_to_json(a), format, out, out_len,
                              err, NULL);
}

/* --- the signature payload ------------------------------------------ */

VOUCH_API int vouch_signature_payload_create(const char *artifact_url,
                                             size_t len, char **out,
                                             size_t *out_len,
                                             vouch_error *err)
{
    vouch_image_ref *ref = NULL;
    json_t *root = NULL;
    const char *text = artifact_url;
    const char *at;
    const char *slash;
    const char *colon;
    size_t name_len;
    char *name = NULL;
    char *dumped = NULL;
    size_t dumped_len;
    int rc;

    *out = NULL;
    if (len > VOUCH_IMAGE_REF_MAX_BYTES) {
        return vouch__error_set(err, VOUCH_ETOOBIG, "--artifact-url", 0, 0,
                                "artifact URL is over %u bytes",
                                VOUCH_IMAGE_REF_MAX_BYTES);
    }
    /* gcloud strips the scheme and requires a digest; its wording. */
    if (len >= 8 && strncmp(text, "https://", 8) == 0) {
        text += 8;
        len -= 8;
    } else if (len >= 7 && strncmp(text, "http://", 7) == 0) {
        text += 7;
        len -= 7;
    }
    at = memchr(text, '@', len);
    if (at == NULL) {
        return vouch__error_set(err, VOUCH_EINVAL, "--artifact-url", 0, 0,
                                "'%.*s' names no digest: an attestation "
                                "is always for an image by digest "
                                "(NAME@sha256:<64 hex>)",
                                (int)(len > 200 ? 200 : len), text);
    }
    {
        size_t dlen = len - (size_t)(at + 1 - text);

        if (dlen < 7 || strncmp(at + 1, "sha256:", 7) != 0) {
            return vouch__error_set(err, VOUCH_EINVAL, "--artifact-url", 0,
                                    0, "Invalid digest: %.*s, must start "
                                    "with sha256:",
                                    (int)(dlen > 140 ? 140 : dlen), at + 1);
        }
        if (dlen != 71) {
            return vouch__error_set(err, VOUCH_EINVAL, "--artifact-url", 0,
                                    0, "Invalid digest: %.*s, must be "
                                    "sha256: followed by 64 hex digits "
                                    "(71 characters)",
                                    (int)(dlen > 140 ? 140 : dlen), at + 1);
        }
    }
    {
        /* A local error: `err` may be NULL, and its message must not be
         * both the source and the destination of one printf. */
        vouch_error ref_err = VOUCH_ERROR_INIT;

        rc = vouch_image_ref_parse(&ref, text, len, &ref_err);
        if (rc < 0) {
            vouch__error_set(err, rc, "--artifact-url", 0,
                             (int)ref_err.column, "%s", ref_err.message);
            goto cleanup;
        }
    }
    /* docker-reference is the URL's own text up to the tag or digest, not
     * the normalised name: gcloud does no Docker Hub expansion. */
    name_len = (size_t)(at - text);
    slash = NULL;
    for (colon = text; colon < at; colon++) {
        if (*colon == '/') {
            slash = colon;
        }
    }
    colon = memchr(slash != NULL ? slash : text, ':',
                   (size_t)(at - (slash != NULL ? slash : text)));
    if (colon != NULL && slash != NULL) {
        name_len = (size_t)(colon - text);
    }
    name = vouch__strndup(text, name_len);
    root = json_pack("{s:{s:{s:s},s:{s:s},s:s}}",
                     "critical",
                     "identity", "docker-reference", name,
                     "image", "docker-manifest-digest",
                     vouch_image_ref_digest(ref),
                     "type", "Google cloud binauthz container signature");
    if (name == NULL || root == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory");
        goto cleanup;
    }
    /* Python's json.dumps(indent=2, sort_keys=True, ensure_ascii=True)
     * plus one '\n' is exactly jansson's JSON_INDENT(2) output here. */
    dumped = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS |
                                  JSON_ENSURE_ASCII);
    if (dumped == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory");
        goto cleanup;
    }
    dumped_len = strlen(dumped);
    *out = malloc(dumped_len + 2);
    if (*out == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory");
        goto cleanup;
    }
    memcpy(*out, dumped, dumped_len);
    (*out)[dumped_len] = '\n';
    (*out)[dumped_len + 1] = '\0';
    if (out_len != NULL) {
        *out_len = dumped_len + 1;
    }
    rc = VOUCH_OK;

cleanup:
    free(dumped);
    free(name);
    json_decref(root);
    vouch_image_ref_free(ref);
    return rc;
}

/* --- verification ---------------------------------------------------- */

/* Outcome of one signature or JWT: 0 and the manifest digest it vouches
 * for, or an error with the reason in `why`. */
static int verify_signature(const vouch_attestation *att,
                            const att_signature *sig,
                            const vouch_public_key *key,
                            vouch_verify_cache *cache, char *manifest,
                            char *why, size_t why_size)
{
    vouch_error verr = VOUCH_ERROR_INIT;
    unsigned char *embedded = NULL;
    size_t embedded_len = 0;
    char *found = NULL;
    int rc;

    if (cache != NULL &&
        vouch__verify_cache_get(cache, sig->key_id, att->payload_sha256,
                                sig->sha256, manifest)) {
        return VOUCH_OK;
    }
    if (vouch_public_key_kind(key) == VOUCH_KEY_PGP) {
        /* BinAuthz's documented PGP flow signs attached (gpg --sign);
         * a detached signature over serializedPayload is accepted too. */
        rc = vouch_public_key_verify_attached(key, sig->bytes, sig->len,
                                              &embedded, &embedded_len,
                                              &verr);
        if (rc == 0) {
            if (att->payload != NULL &&
                (embedded_len != att->payload_len ||
                 memcmp(embedded, att->payload, embedded_len) != 0)) {
                snprintf(why, why_size, "the signed PGP message carries a "
                         "payload that differs from serializedPayload");
                rc = VOUCH_ECRYPTO;
                goto cleanup;
            }
            found = payload_manifest(embedded, embedded_len, why, why_size);
        } else if (att->payload != NULL) {
            rc = vouch_public_key_verify(key, att->payload, att->payload_len,
                                         sig->bytes, sig->len, &verr);
            if (rc == 0) {
                found = vouch__strdup(att->payload_manifest);
                if (found == NULL) {
                    snprintf(why, why_size, "%s", att->payload_problem);
                }
            }
        }
    } else if (att->payload == NULL) {
        snprintf(why, why_size, "the occurrence has no serializedPayload "
                 "for the signature to cover");
        rc = VOUCH_ECRYPTO;
        goto cleanup;
    } else {
        rc = vouch_public_key_verify(key, att->payload, att->payload_len,
                                     sig->bytes, sig->len, &verr);
        if (rc == 0) {
            found = vouch__strdup(att->payload_manifest);
            if (found == NULL) {
                snprintf(why, why_size, "%s", att->payload_problem);
            }
        }
    }
    if (rc < 0) {
        snprintf(why, why_size, "%s", verr.message);
        goto cleanup;
    }
    snprintf(manifest, VOUCH__DIGEST_TEXT_MAX + 1, "%s",
             found != NULL ? found : "");
    if (cache != NULL) {
        vouch__verify_cache_put(cache, sig->key_id, att->payload_sha256,
                                sig->sha256, manifest);
    }
    rc = VOUCH_OK;

cleanup:
    free(found);
    free(embedded);
    return rc;
}

/* Decode one base64url part of a compact JWS into bytes. */
static int jws_part(const char *p, size_t len, unsigned char **out,
                    size_t *out_len)
{
    if (memchr(p, '=', len) != NULL) {
        return VOUCH_EPARSE; /* RFC 7515: no padding */
    }
    return vouch__base64_decode(p, len, out, out_len);
}

static int verify_jwt(const vouch_attestor *attestor, const att_jwt *jwt,
                      vouch_verify_cache *cache, char *manifest, char *why,
                      size_t why_size)
{
    vouch_error verr = VOUCH_ERROR_INIT;
    const char *dot1 = memchr(jwt->compact, '.', jwt->len);
    const char *dot2;
    unsigned char *header = NULL;
    unsigned char *payload = NULL;
    unsigned char *sig = NULL;
    size_t header_len;
    size_t payload_len;
    size_t sig_len;
    json_t *hdr = NULL;
    json_t *field;
    const vouch_public_key *key;
    const char *kid;
    unsigned char input_sha[32];
    unsigned char sig_sha[32];
    char *found = NULL;
    int rc = VOUCH_ECRYPTO;

    dot2 = dot1 != NULL ? memchr(dot1 + 1, '.',
                                 jwt->len - (size_t)(dot1 + 1 - jwt->compact))
                        : NULL;
    if (dot1 == NULL || dot2 == NULL ||
        memchr(dot2 + 1, '.', jwt->len - (size_t)(dot2 + 1 - jwt->compact))
            != NULL) {
        snprintf(why, why_size, "compactJwt is not three base64url parts "
                 "joined by '.'");
        goto cleanup;
    }
    if (jws_part(jwt->compact, (size_t)(dot1 - jwt->compact), &header,
                 &header_len) < 0 ||
        jws_part(dot1 + 1, (size_t)(dot2 - dot1 - 1), &payload,
                 &payload_len) < 0 ||
        jws_part(dot2 + 1, jwt->len - (size_t)(dot2 + 1 - jwt->compact),
                 &sig, &sig_len) < 0) {
        snprintf(why, why_size, "compactJwt has a part that is not "
                 "unpadded base64url");
        goto cleanup;
    }
    hdr = json_loadb((const char *)header, header_len,
                     JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(hdr)) {
        snprintf(why, why_size, "JWT header is not a JSON object");
        goto cleanup;
    }
    field = json_object_get(hdr, "typ");
    if (field != NULL && !(json_is_string(field) &&
                           strcmp(json_string_value(field), "JWT") == 0)) {
        snprintf(why, why_size, "JWT header 'typ' must be \"JWT\"");
        goto cleanup;
    }
    if (json_object_get(hdr, "crit") != NULL) {
        snprintf(why, why_size, "JWT header has 'crit', which vouch does "
                 "not support");
        goto cleanup;
    }
    field = json_object_get(hdr, "kid");
    if (!json_is_string(field)) {
        snprintf(why, why_size, "JWT header has no string 'kid'");
        goto cleanup;
    }
    kid = json_string_value(field);
    key = vouch_attestor_find_key(attestor, kid, json_string_length(field));
    if (key == NULL) {
        snprintf(why, why_size, "JWT kid '%.80s' is not a key of the "
                 "attestor", kid);
        goto cleanup;
    }
    if (!json_is_string(json_object_get(hdr, "alg"))) {
        snprintf(why, why_size, "JWT header has no string 'alg'");
        goto cleanup;
    }
    sha256(jwt->compact, (size_t)(dot2 - jwt->compact), input_sha);
    sha256(sig, sig_len, sig_sha);
    if (cache != NULL &&
        vouch__verify_cache_get(cache, kid, input_sha, sig_sha, manifest)) {
        rc = VOUCH_OK;
        goto cleanup;
    }
    field = json_object_get(hdr, "alg");
    rc = vouch__public_key_verify_jws(key, json_string_value(field),
                                      json_string_length(field),
                                      (const unsigned char *)jwt->compact,
                                      (size_t)(dot2 - jwt->compact), sig,
                                      sig_len, &verr);
    if (rc < 0) {
        snprintf(why, why_size, "JWT by key %.80s: %s", kid, verr.message);
        goto cleanup;
    }
    found = payload_manifest(payload, payload_len, why, why_size);
    snprintf(manifest, VOUCH__DIGEST_TEXT_MAX + 1, "%s",
             found != NULL ? found : "");
    if (cache != NULL) {
        vouch__verify_cache_put(cache, kid, input_sha, sig_sha, manifest);
    }
    rc = VOUCH_OK;

cleanup:
    json_decref(hdr);
    free(found);
    free(header);
    free(payload);
    free(sig);
    return rc;
}

VOUCH_API int vouch_attestation_verify(const vouch_attestation *att,
                                       const vouch_attestor *attestor,
                                       const char *digest,
                                       vouch_verify_cache *cache,
                                       vouch_error *err)
{
    const char *note = vouch_attestor_note_reference(attestor);
    char manifest[VOUCH__DIGEST_TEXT_MAX + 1];
    char why[200] = "";
    char first[200] = "";
    size_t i;

    if (note == NULL || strcmp(note, att->note_name) != 0) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "occurrence is attached to note %s, not to "
                                "the attestor's note %s", att->note_name,
                                note != NULL ? note : "(none)");
    }
    if (vouch_attestor_key_count(attestor) == 0) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "attestor has no public keys, so no "
                                "attestation can satisfy it");
    }
    for (i = 0; i < att->sig_count + att->jwt_count; i++) {
        int rc;

        manifest[0] = '\0';
        why[0] = '\0';
        if (i < att->sig_count) {
            const att_signature *sig = &att->sigs[i];
            const vouch_public_key *key =
                vouch_attestor_find_key(attestor, sig->key_id,
                                        strlen(sig->key_id));

            if (key == NULL) {
                snprintf(why, sizeof(why), "signature %zu names key id "
                         "'%.80s', which the attestor does not trust", i,
                         sig->key_id);
                rc = VOUCH_ECRYPTO;
            } else {
                rc = verify_signature(att, sig, key, cache, manifest, why,
                                      sizeof(why));
                if (rc < 0) {
                    char tmp[sizeof(why)];

                    snprintf(tmp, sizeof(tmp), "%s", why);
                    snprintf(why, sizeof(why), "signature %zu by key "
                             "%.80s: %s", i, sig->key_id, tmp);
                }
            }
        } else {
            rc = verify_jwt(attestor, &att->jwts[i - att->sig_count], cache,
                            manifest, why, sizeof(why));
        }
        if (rc == 0) {
            if (manifest[0] == '\0') {
                snprintf(why, sizeof(why), "signature %zu verifies but its "
                         "payload names no image digest", i);
            } else if (strcmp(manifest, digest) != 0) {
                snprintf(why, sizeof(why), "signature %zu verifies but is "
                         "for %.80s, not %.80s", i, manifest, digest);
            } else {
                return VOUCH_OK;
            }
        }
        if (first[0] == '\0') {
            snprintf(first, sizeof(first), "%s", why);
        }
    }
    return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0, "%s",
                            first[0] != '\0' ? first
                                             : "occurrence has no signature");
}

/* --- signing ----------------------------------------------------------- */

VOUCH_API int vouch_attestation_sign(const vouch_private_key *key,
                                     const char *artifact_url,
                                     const char *note, const char *key_id,
                                     char **out, vouch_error *err)
{
    char *payload = NULL;
    size_t payload_len = 0;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    char *default_id = NULL;
    vouch_attestation *att = NULL;
    const char *url = artifact_url;
    int rc;

    *out = NULL;
    if (note == NULL || !note_name_ok(note)) {
        return vouch__error_set(err, VOUCH_EINVAL, "--note", 0, 0,
                                "'%s' is not a note name of the form "
                                "projects/*/notes/*",
                                note != NULL ? note : "");
    }
    rc = vouch_signature_payload_create(artifact_url, strlen(artifact_url),
                                        &payload, &payload_len, err);
    if (rc < 0) {
        goto cleanup;
    }
    if (key_id == NULL || key_id[0] == '\0') {
        rc = vouch_private_key_public_id(key, &default_id, err);
        if (rc < 0) {
            goto cleanup;
        }
        key_id = default_id;
    }
    rc = vouch_private_key_sign(key, (const unsigned char *)payload,
                                payload_len, &sig, &sig_len, err);
    if (rc < 0) {
        goto cleanup;
    }
    att = calloc(1, sizeof(*att));
    if (att == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    if (strncmp(url, "https://", 8) == 0) {
        url += 8;
    } else if (strncmp(url, "http://", 7) == 0) {
        url += 7;
    }
    att->note_name = vouch__strdup(note);
    att->resource_uri = vouch__strdup(url);
    att->payload = (unsigned char *)payload;
    att->payload_len = payload_len;
    payload = NULL;
    if (att->note_name == NULL || att->resource_uri == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    {
        char *id_copy = vouch__strdup(key_id);

        rc = id_copy == NULL ? VOUCH_ENOMEM
                             : add_signature(att, sig, sig_len, id_copy);
        if (id_copy == NULL) {
            free(sig);
        }
    }
    sig = NULL;
    if (rc < 0) {
        rc = vouch__error_set(err, rc, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    rc = vouch_attestation_print(att, VOUCH_FORMAT_JSON, out, NULL, err);

cleanup:
    vouch_attestation_free(att);
    free(default_id);
    free(sig);
    free(payload);
    return rc;
}
