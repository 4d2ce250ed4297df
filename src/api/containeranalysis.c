/*
 * vouchd — Container Analysis v1, the part Binary Authorization needs:
 * notes of kind ATTESTATION and their occurrences (attestations).
 * Occurrences are parsed, validated and printed by libvouch; notes are a
 * small fixed shape validated here. Occurrences are stored with attr1 =
 * noteName and attr2 = the resource URI without "https://", so the list
 * filter is an indexed lookup.
 */
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "server.h"

#define BODY "request body"

static bool valid_id(const char *id)
{
    size_t n = 0;

    for (; id[n] != '\0'; n++) {
        char c = id[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
              c == '~') ||
            n >= API_ID_MAX) {
            return false;
        }
    }
    return n > 0;
}

/* ---- notes ---- */

/* Note kinds other than ATTESTATION, by their payload field. */
static const char *const other_kinds[] = {
    "vulnerability", "build", "image", "package", "deployment",
    "discovery", "upgrade", "compliance", "dsseAttestation",
    "vulnerabilityAssessment", "sbomReference",
};

/*
 * Validate a note body and build the stored note. Responds and returns 1
 * when the body is not acceptable.
 */
static int build_note(api_request *req, const char *name, const char *now,
                      json_t **out)
{
    json_error_t jerr;
    json_t *body = NULL;
    json_t *note = NULL;
    const char *key;
    json_t *value;
    int rc = 1;

    *out = NULL;
    body = json_loadb(req->body != NULL ? req->body : "", req->body_len,
                      JSON_REJECT_DUPLICATES, &jerr);
    if (body == NULL) {
        api_respond_error(req, VOUCH_EINVAL, BODY ":%d:%d: %s",
                          jerr.line, jerr.column, jerr.text);
        goto cleanup;
    }
    if (!json_is_object(body)) {
        api_respond_error(req, VOUCH_EINVAL,
                          BODY ": expected a Note object");
        goto cleanup;
    }
    json_t *kind = json_object_get(body, "kind");
    if (kind != NULL && (!json_is_string(kind) ||
                         strcmp(json_string_value(kind), "ATTESTATION") != 0)) {
        api_respond_error(req, VOUCH_EINVAL,
                          "kind: only ATTESTATION notes are supported");
        goto cleanup;
    }
    for (size_t i = 0; i < sizeof(other_kinds) / sizeof(other_kinds[0]);
         i++) {
        if (json_object_get(body, other_kinds[i]) != NULL) {
            api_respond_error(req, VOUCH_EINVAL,
                              "%s: only ATTESTATION notes are supported",
                              other_kinds[i]);
            goto cleanup;
        }
    }
    note = json_pack("{s:s,s:s,s:s,s:s}", "name", name, "kind",
                     "ATTESTATION", "createTime", now, "updateTime", now);
    if (note == NULL) {
        api_respond_error(req, VOUCH_ENOMEM, "out of memory");
        goto cleanup;
    }
    json_object_foreach(body, key, value) {
        if (strcmp(key, "name") == 0 || strcmp(key, "kind") == 0 ||
            strcmp(key, "createTime") == 0 ||
            strcmp(key, "updateTime") == 0) {
            continue;   /* output-only, or checked above */
        }
        if (strcmp(key, "shortDescription") == 0 ||
            strcmp(key, "longDescription") == 0) {
            if (!json_is_string(value)) {
                api_respond_error(req, VOUCH_EINVAL,
                                  "%s: expected a string", key);
                goto cleanup;
            }
            json_object_set(note, key, value);
            continue;
        }
        if (strcmp(key, "attestation") != 0) {
            api_respond_error(req, VOUCH_EINVAL,
                              "%.100s: unknown field of an ATTESTATION note "
                              "(expected attestation, shortDescription, "
                              "longDescription)",
                              key);
            goto cleanup;
        }
        const char *k2;
        json_t *v2;
        if (!json_is_object(value)) {
            api_respond_error(req, VOUCH_EINVAL,
                              "attestation: expected an object");
            goto cleanup;
        }
        json_object_foreach(value, k2, v2) {
            if (strcmp(k2, "hint") != 0) {
                api_respond_error(req, VOUCH_EINVAL,
                                  "attestation.%.100s: unknown field "
                                  "(expected hint)",
                                  k2);
                goto cleanup;
            }
        }
        json_t *hint = json_object_get(value, "hint");
        if (hint != NULL) {
            const char *k3;
            json_t *v3;
            if (!json_is_object(hint)) {
                api_respond_error(req, VOUCH_EINVAL,
                                  "attestation.hint: expected an object");
                goto cleanup;
            }
            json_object_foreach(hint, k3, v3) {
                if (strcmp(k3, "humanReadableName") != 0) {
                    api_respond_error(req, VOUCH_EINVAL,
                                      "attestation.hint.%.100s: unknown "
                                      "field (expected humanReadableName)",
                                      k3);
                    goto cleanup;
                }
                if (!json_is_string(v3)) {
                    api_respond_error(req, VOUCH_EINVAL,
                                      "attestation.hint.humanReadableName: "
                                      "expected a string");
                    goto cleanup;
                }
            }
        }
        json_object_set(note, key, value);
    }
    if (json_object_get(note, "attestation") == NULL) {
        json_object_set_new(note, "attestation", json_object());
    }
    *out = note;
    note = NULL;
    rc = 0;

cleanup:
    json_decref(note);
    json_decref(body);
    return rc;
}

static char *dump_json(const json_t *value)
{
    char *text = json_dumps(value, JSON_SORT_KEYS | JSON_INDENT(2));
    size_t len;
    char *grown;

    if (text == NULL) {
        return NULL;
    }
    len = strlen(text);
    grown = realloc(text, len + 2);
    if (grown == NULL) {
        free(text);
        return NULL;
    }
    grown[len] = '\n';
    grown[len + 1] = '\0';
    return grown;
}

int api_create_note(api_request *req)
{
    const char *project = req->params[0];
    const char *id = api_query(req, "noteId");
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *note = NULL;
    vouch_resource r;
    char name[320];
    char parent[256];
    char etag[32];
    char now[40];
    char *text = NULL;
    int rc = 0;

    if (id == NULL || id[0] == '\0') {
        return api_respond_error(req, VOUCH_EINVAL,
                                 "noteId: required (POST "
                                 "/v1/projects/%s/notes?noteId=ID)",
                                 project);
    }
    if (!valid_id(id)) {
        return api_respond_error(req, VOUCH_EINVAL,
                                 "noteId: '%.200s' is not a valid id: use 1 "
                                 "to %u of A-Z a-z 0-9 - _ . ~",
                                 id, API_ID_MAX);
    }
    snprintf(name, sizeof(name), "projects/%s/notes/%s", project, id);
    snprintf(parent, sizeof(parent), "projects/%s", project);
    api_now_rfc3339(now, sizeof(now));
    if (build_note(req, name, now, &note) != 0) {
        return 0;
    }
    text = dump_json(note);
    if (text == NULL) {
        rc = api_respond_error(req, VOUCH_ENOMEM, "out of memory");
        goto cleanup;
    }
    api_new_etag(etag, sizeof(etag));
    r = api_resource_of("note", name, parent, text, etag, now, now);
    rc = vouch_store_create(req->conn, &r, &err);
    if (rc == VOUCH_ECONFLICT) {
        rc = api_respond_error(req, VOUCH_ECONFLICT,
                               "note %s already exists", name);
        goto cleanup;
    }
    if (rc < 0) {
        rc = api_respond_vouch_error(req, &err, "store");
        goto cleanup;
    }
    rc = api_respond(req, 200, "application/json", text, strlen(text));

cleanup:
    free(text);
    json_decref(note);
    return rc;
}

int api_get_note(api_request *req)
{
    vouch_resource r;
    char name[320];
    int rc;

    snprintf(name, sizeof(name), "projects/%s/notes/%s", req->params[0],
             req->params[1]);
    if (api_get_or_respond(req, "note", name, &r) != 0) {
        return 0;
    }
    rc = api_respond_stored(req, 200, &r);
    vouch_resource_clear(&r);
    return rc;
}

static int list_kind(api_request *req, const char *kind, const char *key,
                     const char *attr1, const char *attr2)
{
    vouch_resource_query q;
    vouch_resource_page page;
    vouch_error err = VOUCH_ERROR_INIT;
    char parent[256];
    int rc;

    memset(&q, 0, sizeof(q));
    memset(&page, 0, sizeof(page));
    snprintf(parent, sizeof(parent), "projects/%s", req->params[0]);
    if (api_page_query(req, &q) < 0) {
        return 0;
    }
    q.kind = kind;
    q.parent = parent;
    q.attr1 = attr1;
    q.attr2 = attr2;
    rc = vouch_store_list(req->conn, &q, &page, &err);
    if (rc == VOUCH_EINVAL) {
        return api_respond_vouch_error(req, &err, "pageToken");
    }
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, "store");
    }
    rc = api_respond_page(req, key, &page);
    vouch_resource_page_clear(&page);
    return rc;
}

int api_list_notes(api_request *req)
{
    return list_kind(req, "note", "notes", NULL, NULL);
}

int api_delete_note(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r;
    uint64_t count = 0;
    char name[320];
    int rc;

    snprintf(name, sizeof(name), "projects/%s/notes/%s", req->params[0],
             req->params[1]);
    if (api_get_or_respond(req, "note", name, &r) != 0) {
        return 0;
    }
    vouch_resource_clear(&r);
    rc = vouch_store_count(req->conn, "occurrence", name, &count, &err);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, "store");
    }
    if (count > 0) {
        return api_respond_error(req, VOUCH_EPRECONDITION,
                                 "note %s has %llu occurrence%s; delete "
                                 "them first",
                                 name, (unsigned long long)count,
                                 count == 1 ? "" : "s");
    }
    rc = vouch_store_delete(req->conn, "note", name, NULL, &err);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, "store");
    }
    return api_respond(req, 200, "application/json", "{}\n", 3);
}

/* ---- occurrences ---- */

/*
 * Parse one occurrence (`len` bytes of `data`), check its note exists,
 * give it a name and store it. On success *out is the printed JSON
 * (vouch_free()). On failure a response is set (its message starts with
 * `prefix` when not NULL) and 1 is returned.
 */
static int create_one(api_request *req, const char *data, size_t len,
                      const char *prefix, char **out)
{
    const char *project = req->params[0];
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_attestation *att = NULL;
    vouch_resource note;
    vouch_resource r;
    char name[320];
    char parent[256];
    char uuid[40];
    char etag[32];
    char now[40];
    char *text = NULL;
    size_t text_len = 0;
    int rc = 1;

    *out = NULL;
    memset(&note, 0, sizeof(note));
    if (vouch_attestation_parse(&att, data, len, VOUCH_FORMAT_JSON,
                                prefix == NULL ? BODY : NULL, &err) < 0) {
        if (prefix != NULL) {
            /* A batch element was re-serialised: its positions would
             * not match the request body, so leave them out. */
            err.line = 0;
            err.column = 0;
        }
        api_respond_vouch_error(req, &err, prefix);
        goto cleanup;
    }
    const char *note_name = vouch_attestation_note_name(att);
    int g = vouch_store_get(req->conn, "note", note_name, &note, &err);
    if (g == VOUCH_ENOTFOUND) {
        api_respond_error(req, VOUCH_ENOTFOUND,
                          "%s%snoteName: note %s not found; create it "
                          "first",
                          prefix != NULL ? prefix : "",
                          prefix != NULL ? ": " : "", note_name);
        goto cleanup;
    }
    if (g < 0) {
        api_respond_vouch_error(req, &err, "store");
        goto cleanup;
    }
    api_new_uuid(uuid, sizeof(uuid));
    api_new_etag(etag, sizeof(etag));
    api_now_rfc3339(now, sizeof(now));
    snprintf(name, sizeof(name), "projects/%s/occurrences/%s", project,
             uuid);
    snprintf(parent, sizeof(parent), "projects/%s", project);
    if (vouch_attestation_set_output_fields(att, name, now, now, &err) < 0 ||
        vouch_attestation_print(att, VOUCH_FORMAT_JSON, &text, &text_len,
                                &err) < 0) {
        api_respond_vouch_error(req, &err, prefix);
        goto cleanup;
    }
    r = api_resource_of("occurrence", name, parent, text, etag, now,
                        now);
    r.attr1 = (char *)note_name;
    r.attr2 = (char *)api_resource_uri_normal(
        vouch_attestation_resource_uri(att));
    if (vouch_store_create(req->conn, &r, &err) < 0) {
        api_respond_vouch_error(req, &err, "store");
        goto cleanup;
    }
    *out = text;
    text = NULL;
    rc = 0;

cleanup:
    vouch_free(text);
    vouch_resource_clear(&note);
    vouch_attestation_free(att);
    return rc;
}

int api_create_occurrence(api_request *req)
{
    char *text = NULL;
    int rc;

    if (create_one(req, req->body != NULL ? req->body : "", req->body_len,
                   NULL, &text) != 0) {
        return 0;
    }
    rc = api_respond(req, 200, "application/json", text, strlen(text));
    vouch_free(text);
    return rc;
}

int api_batch_create_occurrences(api_request *req)
{
    json_error_t jerr;
    json_t *body = NULL;
    json_t *result = NULL;
    json_t *created = NULL;
    const char *key;
    json_t *value;
    char parent[256];
    int rc = 0;

    snprintf(parent, sizeof(parent), "projects/%s", req->params[0]);
    body = json_loadb(req->body != NULL ? req->body : "", req->body_len,
                      JSON_REJECT_DUPLICATES, &jerr);
    if (body == NULL) {
        rc = api_respond_error(req, VOUCH_EINVAL, BODY ":%d:%d: %s",
                               jerr.line, jerr.column, jerr.text);
        goto cleanup;
    }
    if (!json_is_object(body)) {
        rc = api_respond_error(req, VOUCH_EINVAL,
                               BODY ": expected {\"parent\": ..., "
                               "\"occurrences\": [...]}");
        goto cleanup;
    }
    json_object_foreach(body, key, value) {
        if (strcmp(key, "parent") != 0 && strcmp(key, "occurrences") != 0) {
            rc = api_respond_error(req, VOUCH_EINVAL,
                                   "%.100s: unknown field (expected parent, "
                                   "occurrences)",
                                   key);
            goto cleanup;
        }
    }
    json_t *p = json_object_get(body, "parent");
    if (p != NULL && (!json_is_string(p) ||
                      strcmp(json_string_value(p), parent) != 0)) {
        rc = api_respond_error(req, VOUCH_EINVAL,
                               "parent: must be \"%s\", the project of the "
                               "URL",
                               parent);
        goto cleanup;
    }
    json_t *list = json_object_get(body, "occurrences");
    if (!json_is_array(list) || json_array_size(list) == 0) {
        rc = api_respond_error(req, VOUCH_EINVAL,
                               "occurrences: required, a non-empty array");
        goto cleanup;
    }
    if (json_array_size(list) > API_BATCH_MAX) {
        rc = api_respond_error(req, VOUCH_EINVAL,
                               "occurrences: %zu given; at most %u per "
                               "batch",
                               json_array_size(list), API_BATCH_MAX);
        goto cleanup;
    }
    created = json_array();
    if (created == NULL) {
        rc = api_respond_error(req, VOUCH_ENOMEM, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        char prefix[40];
        char *item = json_dumps(json_array_get(list, i), JSON_ENCODE_ANY);
        char *text = NULL;
        int failed;

        if (item == NULL) {
            rc = api_respond_error(req, VOUCH_ENOMEM, "out of memory");
            goto cleanup;
        }
        snprintf(prefix, sizeof(prefix), "occurrences[%zu]", i);
        failed = create_one(req, item, strlen(item), prefix, &text);
        free(item);
        if (failed != 0) {
            rc = 0;    /* the response is set; the transaction rolls back */
            goto cleanup;
        }
        json_t *parsed = json_loads(text, 0, NULL);
        vouch_free(text);
        if (parsed == NULL) {
            rc = api_respond_error(req, VOUCH_ENOMEM, "out of memory");
            goto cleanup;
        }
        json_array_append_new(created, parsed);
    }
    result = json_pack("{s:O}", "occurrences", created);
    if (result == NULL) {
        rc = api_respond_error(req, VOUCH_ENOMEM, "out of memory");
        goto cleanup;
    }
    rc = api_respond_json(req, 200, result);

cleanup:
    json_decref(result);
    json_decref(created);
    json_decref(body);
    return rc;
}

int api_get_occurrence(api_request *req)
{
    vouch_resource r;
    char name[320];
    int rc;

    snprintf(name, sizeof(name), "projects/%s/occurrences/%s",
             req->params[0], req->params[1]);
    if (api_get_or_respond(req, "occurrence", name, &r) != 0) {
        return 0;
    }
    rc = api_respond_stored(req, 200, &r);
    vouch_resource_clear(&r);
    return rc;
}

int api_list_occurrences(api_request *req)
{
    const char *text = api_query(req, "filter");
    vouch_error err = VOUCH_ERROR_INIT;
    api_filter f = { NULL, NULL, NULL };
    int rc;

    if (text != NULL &&
        api_filter_parse(text, strlen(text), &f, &err) < 0) {
        return api_respond_error(req, err.code, "filter: column %u: %s",
                                 err.column, err.message);
    }
    if (f.kind != NULL && strcmp(f.kind, "ATTESTATION") != 0) {
        /* Only ATTESTATION occurrences exist here: nothing matches. */
        api_filter_clear(&f);
        return api_respond(req, 200, "application/json", "{}\n", 3);
    }
    rc = list_kind(req, "occurrence", "occurrences", f.note_name,
                   f.resource_url);
    api_filter_clear(&f);
    return rc;
}

int api_delete_occurrence(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r;
    char name[320];
    int rc;

    snprintf(name, sizeof(name), "projects/%s/occurrences/%s",
             req->params[0], req->params[1]);
    if (api_get_or_respond(req, "occurrence", name, &r) != 0) {
        return 0;
    }
    vouch_resource_clear(&r);
    rc = vouch_store_delete(req->conn, "occurrence", name, NULL, &err);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, "store");
    }
    return api_respond(req, 200, "application/json", "{}\n", 3);
}
