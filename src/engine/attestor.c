/*
 * The Binary Authorization v1 Attestor (docs/policy.md, section 3):
 * reading, validating, printing. Public keys are parsed by key.c; this file
 * owns the resource around them and the JSON field names of the attestor.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vouch/attestor.h"

#include "vouch/jansson.h"

#include "doc.h"
#include "readers.h"
#include "internal.h"
#include "key_internal.h"
#include "resource.h"

struct vouch_attestor {
    char *name;
    char *description;
    char *update_time;
    char *etag;
    char *note_reference;
    char *delegation_email;
    vouch_public_key **keys;
    size_t key_count;
};

static bool attestor_name_ok(const char *s, size_t n)
{
    static const char *const parts[] = {"projects", "attestors", NULL};

    return vouch__resource_name_ok(s, n, parts, false);
}

static bool note_name_ok(const char *s, size_t n)
{
    static const char *const parts[] = {"projects", "notes", NULL};

    return vouch__resource_name_ok(s, n, parts, false);
}

/*
 * v1beta1 also accepts a legacy "providers/PROVIDER/notes/NOTE"
 * (docs/policy.md, section 1.4). v1 has no field for such a note, so an
 * attestor holding one is printed with the v1beta1 field name (see
 * attestor_to_json).
 */
static bool note_name_v1beta1_ok(const char *s, size_t n)
{
    static const char *const parts[] = {"providers", "notes", NULL};

    return note_name_ok(s, n) || vouch__resource_name_ok(s, n, parts, false);
}

VOUCH_API void vouch_attestor_free(vouch_attestor *attestor)
{
    size_t i;

    if (attestor == NULL) {
        return;
    }
    for (i = 0; i < attestor->key_count; i++) {
        vouch_public_key_free(attestor->keys[i]);
    }
    free(attestor->keys);
    free(attestor->name);
    free(attestor->description);
    free(attestor->update_time);
    free(attestor->etag);
    free(attestor->note_reference);
    free(attestor->delegation_email);
    free(attestor);
}

static int oom(const vouch__doc *doc, vouch_error *err)
{
    return vouch__error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,
                            "out of memory");
}

/* Re-anchor an error from key.c at the key's node and field path. */
static int key_error(const vouch__doc *doc, vouch__node *node,
                     const vouch__path *path, const vouch_error *kerr,
                     vouch_error *err)
{
    if (kerr->code == VOUCH_ENOMEM) {
        return oom(doc, err);
    }
    return vouch__doc_fail(doc, node, path, err, kerr->code, "%s",
                           kerr->message);
}

static int read_key(const vouch__doc *doc, vouch__node *item,
                    vouch__path *path, vouch_public_key **out,
                    vouch_error *err)
{
    static const char *const fields[] = {
        "id", "comment", "asciiArmoredPgpPublicKey", "pkixPublicKey", NULL};
    static const char *const pkix_fields[] = {
        "publicKeyPem", "signatureAlgorithm", NULL};
    vouch_error kerr = VOUCH_ERROR_INIT;
    vouch__node *pgp;
    vouch__node *pkix;
    char *id = NULL;
    char *comment = NULL;
    const char *text;
    size_t len;
    size_t saved;
    int rc;

    *out = NULL;
    rc = vouch__doc_expect_mapping(doc, item, path, fields, err);
    if (rc == 0) {
        rc = vouch__doc_one_of(doc, item, path, "asciiArmoredPgpPublicKey",
                               "pkixPublicKey", &pgp, &pkix, err);
    }
    if (rc < 0) {
        return rc;
    }
    rc = vouch__doc_field_string(doc, item, path, "id", NULL, NULL, &id,
                                 err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = vouch__doc_field_string(doc, item, path, "comment", NULL, NULL,
                                 &comment, err);
    if (rc < 0) {
        goto cleanup;
    }
    if (pgp != NULL) {
        /* The API overwrites any id the caller gave a PGP key with its
         * fingerprint; so does vouch. */
        saved = vouch__path_push_key(path, "asciiArmoredPgpPublicKey");
        rc = vouch__doc_string(doc, pgp, path, &text, &len, err);
        if (rc == 0 && vouch_public_key_new_pgp(out, text, len, comment,
                                                &kerr) < 0) {
            rc = key_error(doc, pgp, path, &kerr, err);
        }
        vouch__path_pop(path, saved);
        goto cleanup;
    }

    saved = vouch__path_push_key(path, "pkixPublicKey");
    rc = vouch__doc_expect_mapping(doc, pkix, path, pkix_fields, err);
    if (rc == 0) {
        vouch__node *pem = vouch__doc_get(doc, pkix, "publicKeyPem");
        vouch__node *alg_node = vouch__doc_get(doc, pkix,
                                                  "signatureAlgorithm");
        vouch_signature_algorithm alg =
            VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED;

        if (pem == NULL || alg_node == NULL) {
            rc = vouch__doc_fail(doc, pkix, path, err, VOUCH_EINVAL,
                                 "publicKeyPem and signatureAlgorithm are "
                                 "both required");
        } else {
            size_t inner = vouch__path_push_key(path, "signatureAlgorithm");

            rc = vouch__doc_string(doc, alg_node, path, &text, &len, err);
            if (rc == 0 && vouch_signature_algorithm_parse(text, len, &alg,
                                                           &kerr) < 0) {
                rc = key_error(doc, alg_node, path, &kerr, err);
            }
            vouch__path_pop(path, inner);
            if (rc == 0) {
                vouch__path_push_key(path, "publicKeyPem");
                rc = vouch__doc_string(doc, pem, path, &text, &len, err);
                vouch__path_pop(path, inner);
            }
            if (rc == 0 &&
                vouch_public_key_new_pkix(out, text, len, alg, id, comment,
                                          &kerr) < 0) {
                /* A bad id is the id's fault; the rest is the key's.
                 * key.c starts every message about the id "key id". */
                if (id != NULL &&
                    strncmp(kerr.message, "key id ", 7) == 0) {
                    vouch__path_pop(path, saved);
                    vouch__path_push_key(path, "id");
                    rc = key_error(doc, vouch__doc_get(doc, item, "id"), path,
                                   &kerr, err);
                } else {
                    rc = key_error(doc, pkix, path, &kerr, err);
                }
            }
        }
    }
    vouch__path_pop(path, saved);

cleanup:
    free(id);
    free(comment);
    return rc;
}

static int read_keys(const vouch__doc *doc, vouch__node *list,
                     vouch__path *path, vouch_attestor *attestor,
                     vouch_error *err)
{
    vouch__node *item;
    vouch__iter iter = VOUCH__ITER_INIT;
    size_t count;
    size_t i;
    int rc;

    rc = vouch__doc_expect_sequence(doc, list, path, err);
    if (rc < 0) {
        return rc;
    }
    if (!vouch__doc_is_sequence(doc, list)) {
        return VOUCH_OK; /* null: no keys */
    }
    count = vouch__doc_count(doc, list);
    if (count > VOUCH_ATTESTOR_MAX_KEYS) {
        return vouch__doc_fail(doc, list, path, err, VOUCH_ETOOBIG,
                               "%zu keys; an attestor holds at most %u",
                               count, VOUCH_ATTESTOR_MAX_KEYS);
    }
    if (count == 0) {
        return VOUCH_OK;
    }
    attestor->keys = calloc(count, sizeof(*attestor->keys));
    if (attestor->keys == NULL) {
        return oom(doc, err);
    }
    while ((item = vouch__doc_next(doc, list, &iter)) != NULL &&
           attestor->key_count < count) {
        size_t saved = vouch__path_push_index(path, attestor->key_count);
        vouch_public_key *key = NULL;
        const char *id;

        rc = read_key(doc, item, path, &key, err);
        if (rc < 0) {
            return rc;
        }
        id = vouch_public_key_id(key);
        for (i = 0; i < attestor->key_count; i++) {
            if (strcmp(vouch_public_key_id(attestor->keys[i]), id) == 0) {
                /* `id` belongs to `key`: report before freeing it. */
                rc = vouch__doc_fail(doc, item, path, err, VOUCH_EINVAL,
                                     "key id '%s' is already used by "
                                     "publicKeys[%zu]; ids must be unique",
                                     id, i);
                vouch_public_key_free(key);
                return rc;
            }
        }
        attestor->keys[attestor->key_count++] = key;
        vouch__path_pop(path, saved);
    }
    return VOUCH_OK;
}

static int read_note(const vouch__doc *doc, vouch__node *note,
                     vouch__path *path, vouch_attestor *attestor,
                     bool v1beta1, vouch_error *err)
{
    static const char *const fields[] = {
        "noteReference", "publicKeys", "delegationServiceAccountEmail",
        NULL};
    int rc;

    rc = vouch__doc_expect_mapping(doc, note, path, fields, err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch__doc_field_string(doc, note, path, "noteReference",
                                 v1beta1 ? note_name_v1beta1_ok
                                         : note_name_ok,
                                 v1beta1 ? "a note name "
                                           "(projects/PROJECT/notes/NOTE or "
                                           "providers/PROVIDER/notes/NOTE)"
                                         : "a note name "
                                           "(projects/PROJECT/notes/NOTE)",
                                 &attestor->note_reference, err);
    if (rc < 0) {
        return rc;
    }
    if (attestor->note_reference == NULL) {
        size_t saved = vouch__path_push_key(path, "noteReference");

        rc = vouch__doc_fail(doc, note, path, err, VOUCH_EINVAL,
                             "required field is missing");
        vouch__path_pop(path, saved);
        return rc;
    }
    rc = vouch__doc_field_string(doc, note, path,
                                 "delegationServiceAccountEmail", NULL, NULL,
                                 &attestor->delegation_email, err);
    if (rc < 0) {
        return rc;
    }
    vouch__node *node = vouch__doc_get(doc, note, "publicKeys");
    if (node != NULL) {
        size_t saved = vouch__path_push_key(path, "publicKeys");

        rc = read_keys(doc, node, path, attestor, err);
        vouch__path_pop(path, saved);
    }
    return rc;
}

static int read_attestor(const vouch__doc *doc, vouch_attestor *attestor,
                         vouch_error *err)
{
    static const char *const fields[] = {
        "name", "description", "updateTime", "etag", "userOwnedGrafeasNote",
        "userOwnedDrydockNote", NULL};
    vouch__node *root = vouch__doc_root(doc);
    vouch__path path = VOUCH__PATH_INIT;
    int rc;

    rc = vouch__doc_expect_root_mapping(doc, "an attestor", fields, err);
    if (rc < 0) {
        return rc;
    }
    if ((rc = vouch__doc_field_string(doc, root, &path, "name",
                                      attestor_name_ok,
                                      "an attestor name "
                                      "(projects/PROJECT/attestors/ID)",
                                      &attestor->name, err)) < 0 ||
        (rc = vouch__doc_field_string(doc, root, &path, "description", NULL,
                                      NULL, &attestor->description,
                                      err)) < 0 ||
        (rc = vouch__doc_field_string(doc, root, &path, "etag", NULL, NULL,
                                      &attestor->etag, err)) < 0 ||
        (rc = vouch__doc_field_string(doc, root, &path, "updateTime",
                                      vouch__timestamp_ok,
                                      "an RFC 3339 UTC timestamp",
                                      &attestor->update_time, err)) < 0) {
        return rc;
    }
    vouch__node *v1 = vouch__doc_get(doc, root, "userOwnedGrafeasNote");
    vouch__node *v1beta1 = vouch__doc_get(doc, root, "userOwnedDrydockNote");
    if (v1 != NULL && v1beta1 != NULL) {
        return vouch__doc_fail(doc, v1beta1, &path, err, VOUCH_EINVAL,
                               "give userOwnedGrafeasNote or its v1beta1 "
                               "name userOwnedDrydockNote, not both");
    }
    if (v1 == NULL && v1beta1 == NULL) {
        size_t saved = vouch__path_push_key(&path, "userOwnedGrafeasNote");

        rc = vouch__doc_fail(doc, root, &path, err, VOUCH_EINVAL,
                             "required field is missing");
        vouch__path_pop(&path, saved);
        return rc;
    }
    size_t saved = vouch__path_push_key(
        &path, v1 != NULL ? "userOwnedGrafeasNote" : "userOwnedDrydockNote");
    rc = read_note(doc, v1 != NULL ? v1 : v1beta1, &path, attestor,
                   v1 == NULL, err);
    vouch__path_pop(&path, saved);
    return rc;
}

VOUCH__MODEL_READER(vouch__attestor_reader, attestor, read_attestor)
VOUCH__MODEL_PARSERS(attestor, VOUCH_ATTESTOR_MAX_BYTES, vouch__attestor_reader)

/* ---- printing ------------------------------------------------------- */

static json_t *key_to_json(const vouch_public_key *key)
{
    json_t *obj = json_object();
    int bad = 0;

    if (obj == NULL) {
        return NULL;
    }
    bad |= vouch__json_set_string(obj, "id", vouch_public_key_id(key));
    bad |= vouch__json_set_string(obj, "comment",
                                  vouch_public_key_comment(key));
    if (vouch_public_key_kind(key) == VOUCH_KEY_PGP) {
        bad |= vouch__json_set_string(obj, "asciiArmoredPgpPublicKey",
                                      vouch_public_key_text(key));
    } else {
        json_t *pkix = json_object();

        bad |= pkix == NULL;
        bad |= json_object_set_new(obj, "pkixPublicKey", pkix);
        bad |= vouch__json_set_string(pkix, "publicKeyPem",
                                      vouch_public_key_text(key));
        bad |= vouch__json_set_string(pkix, "signatureAlgorithm",
                                      vouch_signature_algorithm_name(
                                          vouch_public_key_algorithm(key)));
    }
    if (bad) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* The REST JSON of an attestor; its field names are written only here. */
static json_t *attestor_to_json(const vouch_attestor *attestor)
{
    json_t *root = json_object();
    json_t *note = json_object();
    json_t *keys = json_array();
    size_t i;
    int bad = root == NULL || note == NULL || keys == NULL;

    bad |= vouch__json_set_string(root, "name", attestor->name);
    bad |= vouch__json_set_string(root, "description", attestor->description);
    bad |= vouch__json_set_string(root, "updateTime", attestor->update_time);
    bad |= vouch__json_set_string(root, "etag", attestor->etag);
    bad |= vouch__json_set_string(note, "noteReference",
                                  attestor->note_reference);
    bad |= vouch__json_set_string(note, "delegationServiceAccountEmail",
                                  attestor->delegation_email);
    for (i = 0; i < attestor->key_count && !bad; i++) {
        bad |= json_array_append_new(keys, key_to_json(attestor->keys[i]));
    }
    if (attestor->key_count > 0) {
        bad |= json_object_set(note, "publicKeys", keys);
    }
    bad |= json_object_set(root,
                           attestor->note_reference != NULL &&
                                   strncmp(attestor->note_reference,
                                           "providers/", 10) == 0
                               ? "userOwnedDrydockNote"
                               : "userOwnedGrafeasNote",
                           note);
    json_decref(keys);
    json_decref(note);
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

VOUCH__MODEL_PRINT(attestor, attestor_to_json, "attestor")
VOUCH__MODEL_OUTPUT_FIELDS(attestor, etag)

/* ---- getters -------------------------------------------------------- */

VOUCH__GETTER(const char *, attestor, name)
VOUCH__GETTER(const char *, attestor, description)
VOUCH__GETTER(const char *, attestor, note_reference)
VOUCH__GETTER(const char *, attestor, etag)
VOUCH__GETTER(const char *, attestor, update_time)
VOUCH__ARRAY_GETTERS(const vouch_public_key *, attestor, key, keys)

VOUCH_API const vouch_public_key *
vouch_attestor_find_key(const vouch_attestor *attestor, const char *id,
                        size_t id_len)
{
    size_t i;

    for (i = 0; i < attestor->key_count; i++) {
        const char *candidate = vouch_public_key_id(attestor->keys[i]);

        if (vouch__public_key_id_len(attestor->keys[i]) == id_len &&
            memcmp(candidate, id, id_len) == 0) {
            return attestor->keys[i];
        }
    }
    return NULL;
}
