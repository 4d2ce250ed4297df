/*
 * Reading Grafeas ATTESTATION occurrences: the v1 shape
 * (attestation.serializedPayload, signatures[], jwts[]), the legacy
 * v1beta1 shapes, and files holding a list of them (docs/semantics.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/image_ref.h"

#include "attestation_internal.h"
#include "vouch/jansson.h"

#include "doc.h"
#include "readers.h"
#include "resource.h"
#include "internal.h"

/* A base64 (standard or url-safe) field decoded into bytes. */
static int read_bytes(const vouch__doc *doc, vouch__node *node,
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

typedef int (*member_reader)(vouch_attestation *att, const vouch__doc *doc,
                             vouch__node *node, vouch__path *path,
                             vouch_error *err);

/*
 * Each item of the sequence `list`, a mapping of `fields`, read by `reader`
 * under its index; more than VOUCH_SIGNATURES_MAX fail ("more than N
 * WHAT"). signatures[] and jwts[] are bounded and walked alike.
 */
static int read_items(vouch_attestation *att, const vouch__doc *doc,
                      vouch__node *list, vouch__path *path,
                      const char *const *fields, const char *what,
                      member_reader reader, vouch_error *err)
{
    vouch__node *item;
    vouch__iter iter = VOUCH__ITER_INIT;
    size_t index = 0;
    int rc;

    rc = vouch__doc_expect_sequence(doc, list, path, err);
    if (rc < 0) {
        return rc;
    }
    while ((item = vouch__doc_next(doc, list, &iter)) != NULL) {
        size_t saved = vouch__path_push_index(path, index);

        if (index >= VOUCH_SIGNATURES_MAX) {
            return vouch__doc_fail(doc, item, path, err, VOUCH_ETOOBIG,
                                   "more than %u %s", VOUCH_SIGNATURES_MAX,
                                   what);
        }
        rc = vouch__doc_expect_mapping(doc, item, path, fields, err);
        if (rc == 0) {
            rc = reader(att, doc, item, path, err);
        }
        if (rc < 0) {
            return rc;
        }
        vouch__path_pop(path, saved);
        index++;
    }
    return VOUCH_OK;
}

/*
 * The optional key id `field` of `parent` into `*out`: a copy of its string
 * (`field` stays pushed on `path` for the caller's errors), or "" when it is
 * absent.
 */
static int read_key_id(const vouch__doc *doc, vouch__node *parent,
                       vouch__path *path, const char *field, char **out,
                       vouch_error *err)
{
    vouch__node *node = vouch__doc_get(doc, parent, field);

    if (node != NULL) {
        vouch__path_push_key(path, field);
        return vouch__doc_string_dup(doc, node, path, out, err);
    }
    *out = vouch__strdup("");
    if (*out == NULL) {
        return vouch__error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,
                                "out of memory");
    }
    return VOUCH_OK;
}

/* One item of signatures[]: signature (base64) and publicKeyId. */
static int read_signature(vouch_attestation *att, const vouch__doc *doc,
                          vouch__node *item, vouch__path *path,
                          vouch_error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    char *key_id = NULL;
    vouch__node *node;
    size_t saved;
    int rc;

    rc = vouch__doc_required(doc, item, path, "signature", &node, err);
    if (rc < 0) {
        return rc;
    }
    saved = vouch__path_push_key(path, "signature");
    rc = read_bytes(doc, node, path, VOUCH_SIGNATURE_MAX_BYTES, &bytes, &len,
                    err);
    vouch__path_pop(path, saved);
    if (rc < 0) {
        return rc;
    }
    rc = read_key_id(doc, item, path, "publicKeyId", &key_id, err);
    if (rc < 0) {
        free(bytes);
        return rc;
    }
    rc = vouch__attestation_add_signature(att, bytes, len, key_id);
    if (rc < 0) {
        return vouch__error_set(err, rc, doc->source, 0, 0, "out of memory");
    }
    return VOUCH_OK;
}

static int read_signatures(vouch_attestation *att, const vouch__doc *doc,
                           vouch__node *list, vouch__path *path,
                           vouch_error *err)
{
    static const char *const fields[] = {"signature", "publicKeyId", NULL};

    return read_items(att, doc, list, path, fields, "signatures",
                      read_signature, err);
}

/* One item of jwts[]: compactJwt. */
static int read_jwt(vouch_attestation *att, const vouch__doc *doc,
                    vouch__node *item, vouch__path *path, vouch_error *err)
{
    vouch__node *node;
    att_jwt *grown;
    char *compact = NULL;
    int rc;

    rc = vouch__doc_required(doc, item, path, "compactJwt", &node, err);
    if (rc < 0) {
        return rc;
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
    return VOUCH_OK;
}

static int read_jwts(vouch_attestation *att, const vouch__doc *doc,
                     vouch__node *list, vouch__path *path,
                     vouch_error *err)
{
    static const char *const fields[] = {"compactJwt", NULL};

    return read_items(att, doc, list, path, fields, "JWTs", read_jwt, err);
}

static int read_payload(vouch_attestation *att, const vouch__doc *doc,
                        vouch__node *node, vouch__path *path,
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

/* `node`, the member `key`, read by `reader` under its path. */
static int read_node(vouch_attestation *att, const vouch__doc *doc,
                     vouch__node *node, const char *key,
                     member_reader reader, vouch__path *path,
                     vouch_error *err)
{
    size_t saved = vouch__path_push_key(path, key);
    int rc = reader(att, doc, node, path, err);

    vouch__path_pop(path, saved);
    return rc;
}

/* Member `key` of `map`, when present, read by `reader` under its path. */
static int read_member(vouch_attestation *att, const vouch__doc *doc,
                       vouch__node *map, const char *key,
                       member_reader reader, vouch__path *path,
                       vouch_error *err)
{
    vouch__node *node = vouch__doc_get(doc, map, key);

    return node == NULL ? VOUCH_OK
                        : read_node(att, doc, node, key, reader, path, err);
}

/* Member `key` of `map`, which must be present, read as read_member(). */
static int read_required(vouch_attestation *att, const vouch__doc *doc,
                         vouch__node *map, const char *key,
                         member_reader reader, vouch__path *path,
                         vouch_error *err)
{
    vouch__node *node;
    int rc = vouch__doc_required(doc, map, path, key, &node, err);

    return rc < 0 ? rc : read_node(att, doc, node, key, reader, path, err);
}

/* v1beta1: attestation.attestation.{pgpSignedAttestation|
 * genericSignedAttestation}. */
static int read_legacy(vouch_attestation *att, const vouch__doc *doc,
                       vouch__node *inner, vouch__path *path,
                       vouch_error *err)
{
    static const char *const inner_fields[] = {
        "pgpSignedAttestation", "genericSignedAttestation", NULL};
    static const char *const pgp_fields[] = {
        "signature", "contentType", "pgpKeyId", NULL};
    static const char *const generic_fields[] = {
        "contentType", "serializedPayload", "signatures", NULL};
    vouch__node *pgp;
    vouch__node *generic;
    vouch__node *node;
    size_t saved;
    int rc;

    rc = vouch__doc_expect_mapping(doc, inner, path, inner_fields, err);
    if (rc == 0) {
        rc = vouch__doc_one_of(doc, inner, path, "pgpSignedAttestation",
                               "genericSignedAttestation", &pgp, &generic,
                               err);
    }
    if (rc < 0) {
        return rc;
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
        rc = vouch__doc_required(doc, pgp, path, "signature", &node, err);
        if (rc < 0) {
            return rc;
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
        rc = read_key_id(doc, pgp, path, "pgpKeyId", &key_id, err);
        if (rc < 0 || bytes == NULL) {
            free(bytes);
            free(key_id);
            return rc < 0 ? rc : vouch__error_set(err, VOUCH_ENOMEM,
                                                  doc->source, 0, 0,
                                                  "out of memory");
        }
        vouch__path_pop(path, saved);
        return vouch__attestation_add_signature(att, bytes, len, key_id);
    }
    saved = vouch__path_push_key(path, "genericSignedAttestation");
    rc = vouch__doc_expect_mapping(doc, generic, path, generic_fields, err);
    if (rc == 0) {
        rc = read_member(att, doc, generic, "serializedPayload",
                         read_payload, path, err);
    }
    if (rc == 0) {
        rc = read_member(att, doc, generic, "signatures", read_signatures,
                         path, err);
    }
    vouch__path_pop(path, saved);
    return rc;
}

static int read_attestation_body(vouch_attestation *att,
                                 const vouch__doc *doc, vouch__node *body,
                                 vouch__path *path, vouch_error *err)
{
    static const char *const fields[] = {
        "serializedPayload", "signatures", "jwts", "attestation", NULL};
    vouch__node *node;
    size_t saved;
    int rc;

    rc = vouch__doc_expect_mapping(doc, body, path, fields, err);
    if (rc < 0) {
        return rc;
    }
    node = vouch__doc_get(doc, body, "attestation");
    if (node != NULL) {
        if (vouch__doc_get(doc, body, "serializedPayload") != NULL ||
            vouch__doc_get(doc, body, "signatures") != NULL ||
            vouch__doc_get(doc, body, "jwts") != NULL) {
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
    if ((rc = read_member(att, doc, body, "serializedPayload", read_payload,
                          path, err)) < 0 ||
        (rc = read_member(att, doc, body, "signatures", read_signatures,
                          path, err)) < 0 ||
        (rc = read_member(att, doc, body, "jwts", read_jwts, path,
                          err)) < 0) {
        return rc;
    }
    if (att->sig_count == 0 && att->jwt_count == 0) {
        return vouch__doc_fail(doc, body, path, err, VOUCH_EINVAL,
                               "has neither signatures nor jwts");
    }
    return VOUCH_OK;
}

bool vouch__note_name_ok(const char *s)
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

/* kind, when given: ATTESTATION is the only kind vouch reads. */
static int read_kind(vouch_attestation *att, const vouch__doc *doc,
                     vouch__node *node, vouch__path *path, vouch_error *err)
{
    const char *kind;
    size_t len;
    int rc = vouch__doc_string(doc, node, path, &kind, &len, err);

    (void)att;
    if (rc == 0 && !vouch__slice_eq(kind, len, "ATTESTATION")) {
        rc = vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                             "must be ATTESTATION, got '%.*s'",
                             (int)(len > 40 ? 40 : len), kind);
    }
    return rc;
}

/* noteName: the note the occurrence belongs to, projects/P/notes/N. */
static int read_note_name(vouch_attestation *att, const vouch__doc *doc,
                          vouch__node *node, vouch__path *path,
                          vouch_error *err)
{
    int rc = vouch__doc_string_dup(doc, node, path, &att->note_name, err);

    if (rc == 0 && !vouch__note_name_ok(att->note_name)) {
        rc = vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                             "'%s' is not of the form projects/*/notes/*",
                             att->note_name);
    }
    return rc;
}

/*
 * v1 resourceUri, or v1beta1 resource.uri: an image reference by digest,
 * whose digest is kept apart as the occurrence lookup key.
 */
static int read_resource_uri(vouch_attestation *att, const vouch__doc *doc,
                             vouch__node *map, vouch__path *path,
                             vouch_error *err)
{
    static const char *const resource_fields[] = {
        "uri", "name", "contentHash", NULL};
    vouch__node *node = vouch__doc_get(doc, map, "resourceUri");
    vouch_image_ref *ref = NULL;
    vouch_error ref_err = VOUCH_ERROR_INIT;
    size_t saved = vouch__path_push_key(path, "resourceUri");
    int rc = VOUCH_OK;

    if (node == NULL && vouch__doc_get(doc, map, "resource") != NULL) {
        vouch__node *res = vouch__doc_get(doc, map, "resource");

        vouch__path_pop(path, saved);
        vouch__path_push_key(path, "resource");
        rc = vouch__doc_expect_mapping(doc, res, path, resource_fields, err);
        if (rc < 0) {
            goto cleanup;
        }
        node = vouch__doc_get(doc, res, "uri");
        vouch__path_push_key(path, "uri");
    }
    if (node == NULL) {
        vouch__path_pop(path, saved);
        rc = vouch__doc_fail(doc, map, path, err, VOUCH_EINVAL,
                             "missing required field 'resourceUri'");
        goto cleanup;
    }
    rc = vouch__doc_string_dup(doc, node, path, &att->resource_uri, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = vouch_image_ref_parse(&ref, att->resource_uri,
                               strlen(att->resource_uri), &ref_err);
    if (rc < 0) {
        rc = vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                             "not an image reference: %s", ref_err.message);
        goto cleanup;
    }
    if (vouch_image_ref_digest(ref) == NULL) {
        rc = vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                             "'%s' names no digest; an attestation is "
                             "always for an image by digest "
                             "(REGISTRY/PATH@sha256:...)",
                             att->resource_uri);
        goto cleanup;
    }
    att->resource_digest = vouch__strdup(vouch_image_ref_digest(ref));
    if (att->resource_digest == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,
                              "out of memory");
    }

cleanup:
    vouch__path_pop(path, saved);
    vouch_image_ref_free(ref);
    return rc;
}

static int read_occurrence(vouch_attestation **out, const vouch__doc *doc,
                           vouch__node *map, vouch__path *path,
                           vouch_error *err)
{
    static const char *const fields[] = {
        "name", "resourceUri", "resource", "noteName", "kind",
        "remediation", "createTime", "updateTime", "attestation",
        "envelope", NULL};
    vouch_attestation *att = NULL;
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
    if ((rc = vouch__doc_field_string(doc, map, path, "name", NULL, NULL,
                                      &att->name, err)) < 0 ||
        (rc = vouch__doc_field_string(doc, map, path, "remediation", NULL,
                                      NULL, &att->remediation, err)) < 0 ||
        (rc = vouch__doc_field_string(doc, map, path, "createTime", NULL,
                                      NULL, &att->create_time, err)) < 0 ||
        (rc = vouch__doc_field_string(doc, map, path, "updateTime", NULL,
                                      NULL, &att->update_time, err)) < 0) {
        goto cleanup;
    }

    if ((rc = read_member(att, doc, map, "kind", read_kind, path, err)) <
            0 ||
        (rc = read_required(att, doc, map, "noteName", read_note_name, path,
                            err)) < 0 ||
        (rc = read_resource_uri(att, doc, map, path, err)) < 0 ||
        (rc = read_required(att, doc, map, "attestation",
                            read_attestation_body, path, err)) < 0) {
        goto cleanup;
    }

    /* The digest used as the verification cache key is computed once
     * here, not per decision. The manifest digest the payload names is
     * read only when a signature is verified (attestation_verify.c): a
     * decision the cache answers never needs it. */
    vouch__sha256(att->payload != NULL ? att->payload
                                       : (const unsigned char *)"",
                  att->payload_len, att->payload_sha256);

    *out = att;
    att = NULL;

cleanup:
    vouch_attestation_free(att);
    return rc;
}

/* The vouch__doc_reader of one occurrence: `out` is a
 * vouch_attestation **. */
int vouch__occurrence_reader(const vouch__doc *doc, void *out,
                             vouch_error *err)
{
    vouch__path path = VOUCH__PATH_INIT;

    return read_occurrence(out, doc, vouch__doc_root(doc), &path, err);
}

VOUCH__MODEL_PARSERS(attestation, VOUCH_OCCURRENCE_MAX_BYTES,
                     vouch__occurrence_reader)

static int read_occurrence_list(vouch_attestation_list *list,
                                const vouch__doc *doc, vouch__node *seq,
                                vouch__path *path, vouch_error *err)
{
    vouch__node *item;
    vouch__iter iter = VOUCH__ITER_INIT;
    size_t count;
    int rc;

    rc = vouch__doc_expect_sequence(doc, seq, path, err);
    if (rc < 0) {
        return rc;
    }
    /* A null node is an empty list, as for every sequence. */
    if (vouch__doc_count(doc, seq) == 0) {
        return VOUCH_OK;
    }
    count = vouch__doc_count(doc, seq);
    list->items = calloc(count, sizeof(*list->items));
    if (list->items == NULL) {
        return vouch__error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,
                                "out of memory");
    }
    while ((item = vouch__doc_next(doc, seq, &iter)) != NULL &&
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

/* One occurrence, a list of them, or {"occurrences": [...]}. */
static int read_list(const vouch__doc *doc, vouch_attestation_list *list,
                     vouch_error *err)
{
    static const char *const list_fields[] = {
        "occurrences", "nextPageToken", NULL};
    vouch__path path = VOUCH__PATH_INIT;
    vouch__node *root = vouch__doc_root(doc);
    vouch__node *items = vouch__doc_get(doc, root, "occurrences");
    int rc;

    if (vouch__doc_is_sequence(doc, root)) {
        return read_occurrence_list(list, doc, root, &path, err);
    }
    if (items != NULL) {
        rc = vouch__doc_expect_mapping(doc, root, &path, list_fields, err);
        if (rc < 0) {
            return rc;
        }
        vouch__path_push_key(&path, "occurrences");
        return read_occurrence_list(list, doc, items, &path, err);
    }
    list->items = calloc(1, sizeof(*list->items));
    if (list->items == NULL) {
        return vouch__error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,
                                "out of memory");
    }
    rc = read_occurrence(&list->items[0], doc, root, &path, err);
    if (rc == 0) {
        list->count = 1;
    }
    return rc;
}

VOUCH__MODEL_READER(vouch__occurrence_list_reader, attestation_list,
                    read_list)

VOUCH_API int vouch_attestation_list_parse(vouch_attestation_list **out,
                                           const char *data, size_t len,
                                           vouch_format format,
                                           const char *source,
                                           vouch_error *err)
{
    *out = NULL;
    return vouch__doc_parse(data, len, format, VOUCH_OCCURRENCES_MAX_BYTES,
                            source, vouch__occurrence_list_reader, out, err);
}
