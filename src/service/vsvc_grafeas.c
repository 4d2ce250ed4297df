/*
 * vouch service — Container Analysis v1, the part Binary Authorization
 * needs (docs/api.md): notes of kind ATTESTATION and their occurrences
 * (attestations). Occurrences are parsed, validated and printed by
 * libvouch; notes are a small fixed shape validated here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsvc_internal.h"
#include "vsvc_pager.h"
#include "vutil_yaml.h"

#define BODY VSVC_BODY

/* ---- notes ---- */

/* Note kinds other than ATTESTATION, by their payload field. */
static const char *const other_kinds[] = {
    "vulnerability", "build", "image", "package", "deployment",
    "discovery", "upgrade", "compliance", "dsseAttestation",
    "vulnerabilityAssessment", "sbomReference",
};

static int bad(vouch_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int bad(vouch_error *err, const char *fmt, ...)
{
    char msg[sizeof(err->message)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0, "%s", msg);
}

/* attestation: {hint: {humanReadableName: string}}, all optional. */
static int check_note_attestation(const json_t *value, vouch_error *err)
{
    const char *k;
    json_t *v;
    json_t *hint;

    if (!json_is_object(value)) {
        return bad(err, "attestation: expected an object");
    }
    json_object_foreach((json_t *)value, k, v) {
        if (strcmp(k, "hint") != 0) {
            return bad(err, "attestation.%.100s: unknown field (expected "
                       "hint)", k);
        }
    }
    hint = json_object_get(value, "hint");
    if (hint == NULL) {
        return 0;
    }
    if (!json_is_object(hint)) {
        return bad(err, "attestation.hint: expected an object");
    }
    json_object_foreach(hint, k, v) {
        if (strcmp(k, "humanReadableName") != 0) {
            return bad(err, "attestation.hint.%.100s: unknown field "
                       "(expected humanReadableName)", k);
        }
        if (!json_is_string(v)) {
            return bad(err, "attestation.hint.humanReadableName: expected "
                       "a string");
        }
    }
    return 0;
}

/* The kind: absent or ATTESTATION, and no other kind's payload. */
static int check_note_kind(const json_t *body, vouch_error *err)
{
    json_t *kind = json_object_get(body, "kind");

    if (kind != NULL &&
        (!json_is_string(kind) ||
         strcmp(json_string_value(kind), "ATTESTATION") != 0)) {
        return bad(err, "kind: only ATTESTATION notes are supported");
    }
    for (size_t i = 0; i < sizeof(other_kinds) / sizeof(other_kinds[0]);
         i++) {
        if (json_object_get(body, other_kinds[i]) != NULL) {
            return bad(err, "%s: only ATTESTATION notes are supported",
                       other_kinds[i]);
        }
    }
    return 0;
}

/* Copy the accepted fields of `body` into `note`. */
static int copy_note_fields(const json_t *body, json_t *note,
                            vouch_error *err)
{
    const char *key;
    json_t *value;
    int rc;

    json_object_foreach((json_t *)body, key, value) {
        if (strcmp(key, "name") == 0 || strcmp(key, "kind") == 0 ||
            strcmp(key, "createTime") == 0 ||
            strcmp(key, "updateTime") == 0) {
            continue;   /* output-only, or checked above */
        }
        if (strcmp(key, "shortDescription") == 0 ||
            strcmp(key, "longDescription") == 0) {
            if (!json_is_string(value)) {
                return bad(err, "%s: expected a string", key);
            }
        } else if (strcmp(key, "attestation") == 0) {
            rc = check_note_attestation(value, err);
            if (rc < 0) {
                return rc;
            }
        } else {
            return bad(err, "%.100s: unknown field of an ATTESTATION note "
                       "(expected attestation, shortDescription, "
                       "longDescription)", key);
        }
        if (json_object_set(note, key, value) < 0) {
            return vutil_enomem(err);
        }
    }
    if (json_object_get(note, "attestation") == NULL &&
        json_object_set_new(note, "attestation", json_object()) < 0) {
        return vutil_enomem(err);
    }
    return 0;
}

/* Validate a note body and build the stored note. */
static int build_note(const char *body, size_t len, const char *name,
                      const char *now, json_t **out, vouch_error *err)
{
    json_error_t jerr;
    json_t *req = NULL;
    json_t *note = NULL;
    int rc;

    *out = NULL;
    req = json_loadb(body != NULL ? body : "", len, JSON_REJECT_DUPLICATES,
                     &jerr);
    if (req == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, BODY, jerr.line,
                               jerr.column, "%s", jerr.text);
    }
    if (!json_is_object(req)) {
        rc = vutil_error_set(err, VOUCH_EINVAL, BODY, 0, 0,
                             "expected a Note object");
        goto cleanup;
    }
    rc = check_note_kind(req, err);
    if (rc < 0) {
        goto cleanup;
    }
    note = json_pack("{s:s,s:s,s:s,s:s}", "name", name, "kind",
                     "ATTESTATION", "createTime", now, "updateTime", now);
    rc = note != NULL ? copy_note_fields(req, note, err) : vutil_enomem(err);
    if (rc == 0) {
        *out = note;
        note = NULL;
    }

cleanup:
    json_decref(note);
    json_decref(req);
    return rc;
}

/* A created resource: stored as `r`, answered with its text. */
typedef struct create_job {
    const char *project;
    const char *body;
    size_t len;
    vouch_resource r;
    const json_t *items;     /* batchCreate: the occurrences */
    json_t *created;         /* out: batchCreate */
    char *text;              /* out: one (malloc'd) */
} create_job;

static int store_create(vsvc_uow *uow, void *payload, vouch_error *err)
{
    create_job *job = payload;
    int rc = vouch_store_create(vsvc_uow_conn(uow), &job->r, err);

    if (rc == VOUCH_ECONFLICT) {
        return vutil_error_set(err, VOUCH_ECONFLICT, NULL, 0, 0,
                               "%s %s already exists", job->r.kind,
                               job->r.name);
    }
    return rc < 0 ? vsvc__error_wrap(err, "store") : 0;
}

int vsvc_note_create(vsvc_session *s, const char *project, const char *id,
                     const char *body, size_t len, char **out,
                     vouch_error *err)
{
    char name[VSVC_NAME_MAX];
    char parent[VSVC_NAME_MAX];
    char etag[VUTIL_ETAG_SIZE];
    char now[VUTIL_RFC3339_SIZE];
    json_t *note = NULL;
    create_job job;
    int rc;

    *out = NULL;
    memset(&job, 0, sizeof(job));
    rc = vsvc__check_new_id(id, "noteId", project, "notes", err);
    if (rc < 0) {
        return rc;
    }
    vsvc_child_name(name, sizeof(name), VSVC_NOTE, project, id);
    vsvc_project_name(parent, sizeof(parent), project);
    rc = vsvc__stamp_write(etag, now, err);
    if (rc == 0) {
        rc = build_note(body, len, name, now, &note, err);
    }
    if (rc < 0) {
        return rc;
    }
    /* Stored and answered as printed: keys sorted, 2-space indent, a
     * trailing newline. */
    rc = vutil_json_print(note, &job.text, NULL, NULL);
    json_decref(note);
    if (rc < 0) {
        return vutil_enomem(err);
    }
    job.r = vsvc__resource(VSVC_KIND_NOTE, name, parent, job.text, etag,
                           now, now);
    rc = vsvc__run(s, store_create, &job, err);
    if (rc == 0) {
        *out = job.text;
        job.text = NULL;
    }
    free(job.text);
    return rc;
}

static int delete_note(vsvc_uow *uow, void *payload, vouch_error *err)
{
    vouch_store_conn *conn = vsvc_uow_conn(uow);
    const char *name = payload;
    vouch_resource r;
    uint64_t count = 0;
    int rc;

    rc = vsvc__get(conn, VSVC_KIND_NOTE, name, &r, err);
    vouch_resource_clear(&r);
    if (rc < 0) {
        return rc;
    }
    rc = vouch_store_count(conn, VSVC_KIND_OCCURRENCE, name, &count, err);
    if (rc < 0) {
        return vsvc__error_wrap(err, "store");
    }
    if (count > 0) {
        return vutil_error_set(err, VOUCH_EPRECONDITION, NULL, 0, 0,
                               "note %s has %llu occurrence%s; delete them "
                               "first",
                               name, (unsigned long long)count,
                               count == 1 ? "" : "s");
    }
    rc = vouch_store_delete(conn, VSVC_KIND_NOTE, name, NULL, err);
    if (rc < 0) {
        return vsvc__error_wrap(err, "store");
    }
    return vsvc__iam_forget(conn, name, err);
}

int vsvc_note_delete(vsvc_session *s, const char *project, const char *id,
                     vouch_error *err)
{
    char name[VSVC_NAME_MAX];

    vsvc_child_name(name, sizeof(name), VSVC_NOTE, project, id);
    return vsvc__run(s, delete_note, name, err);
}

/* ---- occurrences ---- */

/* A batch element's error: positions would not match the request body
 * (it was re-serialised), so they are left out; "PREFIX: " leads. */
static int batch_error(vouch_error *err, const char *prefix)
{
    char text[sizeof(err->message)];

    if (err == NULL || prefix == NULL) {
        return err != NULL ? (int)err->code : VOUCH_EINVAL;
    }
    err->line = 0;
    err->column = 0;
    vouch_error_format(err, text, sizeof(text));
    return vutil_error_set(err, err->code, prefix, 0, 0, "%s", text);
}

/*
 * Parse one occurrence (`len` bytes of `data`), check its note exists,
 * give it a name and store it; `*out` is the printed JSON (vouch_free).
 * Errors start with `prefix` ("occurrences[3]") when not NULL.
 */
static int create_one(vouch_store_conn *conn, const char *project,
                      const char *data, size_t len, const char *prefix,
                      char **out, vouch_error *err)
{
    vouch_attestation *att = NULL;
    vouch_resource note;
    vouch_resource r;
    char name[VSVC_NAME_MAX];
    char parent[VSVC_NAME_MAX];
    char uuid[VUTIL_UUID_SIZE];
    char etag[VUTIL_ETAG_SIZE];
    char now[VUTIL_RFC3339_SIZE];
    char *text = NULL;
    size_t text_len = 0;
    int rc;

    *out = NULL;
    memset(&note, 0, sizeof(note));
    rc = vouch_attestation_parse(&att, data, len, VOUCH_FORMAT_JSON,
                                 prefix == NULL ? BODY : NULL, err);
    if (rc < 0) {
        batch_error(err, prefix);
        goto cleanup;
    }
    const char *note_name = vouch_attestation_note_name(att);
    rc = vouch_store_get(conn, VSVC_KIND_NOTE, note_name, &note, err);
    if (rc == VOUCH_ENOTFOUND) {
        rc = vutil_error_set(err, VOUCH_ENOTFOUND, NULL, 0, 0,
                             "%s%snoteName: note %s not found; create it "
                             "first",
                             prefix != NULL ? prefix : "",
                             prefix != NULL ? ": " : "", note_name);
        goto cleanup;
    }
    if (rc < 0) {
        vsvc__error_wrap(err, "store");
        goto cleanup;
    }
    rc = vutil_new_uuid(uuid, sizeof(uuid), err);
    if (rc == 0) {
        rc = vsvc__stamp_write(etag, now, err);
    }
    if (rc < 0) {
        goto cleanup;
    }
    vsvc_child_name(name, sizeof(name), VSVC_OCCURRENCE, project, uuid);
    vsvc_project_name(parent, sizeof(parent), project);
    rc = vouch_attestation_set_output_fields(att, name, now, now, err);
    if (rc == 0) {
        rc = vouch_attestation_print(att, VOUCH_FORMAT_JSON, &text,
                                     &text_len, err);
    }
    if (rc < 0) {
        batch_error(err, prefix);
        goto cleanup;
    }
    r = vsvc__resource(VSVC_KIND_OCCURRENCE, name, parent, text, etag, now,
                       now);
    vsvc__occurrence_index(&r, note_name,
                           vouch_attestation_resource_uri(att));
    rc = vouch_store_create(conn, &r, err);
    if (rc < 0) {
        vsvc__error_wrap(err, "store");
        goto cleanup;
    }
    *out = text;
    text = NULL;

cleanup:
    vouch_free(text);
    vouch_resource_clear(&note);
    vouch_attestation_free(att);
    return rc;
}

static int create_occurrence(vsvc_uow *uow, void *payload, vouch_error *err)
{
    create_job *job = payload;

    vouch_free(job->text);
    job->text = NULL;
    return create_one(vsvc_uow_conn(uow), job->project, job->body, job->len,
                      NULL, &job->text, err);
}

int vsvc_occurrence_create(vsvc_session *s, const char *project,
                           const char *body, size_t len, char **out,
                           vouch_error *err)
{
    create_job job = {
        .project = project, .body = body != NULL ? body : "", .len = len
    };

    *out = NULL;
    int rc = vsvc__run(s, create_occurrence, &job, err);
    if (rc == 0) {
        *out = job.text;
        job.text = NULL;
    }
    vouch_free(job.text);
    return rc;
}

static int create_batch(vsvc_uow *uow, void *payload, vouch_error *err)
{
    create_job *job = payload;
    int rc = 0;

    json_decref(job->created);
    job->created = json_array();
    if (job->created == NULL) {
        return vutil_enomem(err);
    }
    for (size_t i = 0; rc == 0 && i < json_array_size(job->items); i++) {
        char prefix[40];
        char *item = json_dumps(json_array_get(job->items, i),
                                JSON_ENCODE_ANY);
        char *text = NULL;
        json_t *parsed;

        if (item == NULL) {
            return vutil_enomem(err);
        }
        snprintf(prefix, sizeof(prefix), "occurrences[%zu]", i);
        rc = create_one(vsvc_uow_conn(uow), job->project, item,
                        strlen(item), prefix, &text, err);
        free(item);
        if (rc < 0) {
            break;   /* the transaction rolls back: none is created */
        }
        parsed = json_loads(text, 0, NULL);
        vouch_free(text);
        if (parsed == NULL || json_array_append_new(job->created,
                                                    parsed) < 0) {
            rc = vutil_enomem(err);
        }
    }
    return rc;
}

int vsvc_occurrences_create(vsvc_session *s, const char *project,
                            const json_t *items, json_t **out,
                            vouch_error *err)
{
    *out = NULL;
    if (!json_is_array(items) || json_array_size(items) == 0) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "occurrences: required, a non-empty array");
    }
    if (json_array_size(items) > VSVC_BATCH_MAX) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "occurrences: %zu given; at most %u per "
                               "batch",
                               json_array_size(items), VSVC_BATCH_MAX);
    }
    create_job job = { .project = project, .items = items };
    int rc = vsvc__run(s, create_batch, &job, err);
    if (rc == 0) {
        *out = job.created;
        job.created = NULL;
    }
    json_decref(job.created);
    return rc;
}

static int delete_occurrence(vsvc_uow *uow, void *payload, vouch_error *err)
{
    const char *name = payload;
    int rc = vouch_store_delete(vsvc_uow_conn(uow), VSVC_KIND_OCCURRENCE,
                                name, NULL, err);

    if (rc == VOUCH_ENOTFOUND) {
        return vutil_error_set(err, VOUCH_ENOTFOUND, NULL, 0, 0,
                               "occurrence %s not found", name);
    }
    return rc < 0 ? vsvc__error_wrap(err, "store") : 0;
}

int vsvc_occurrence_delete(vsvc_session *s, const char *project,
                           const char *id, vouch_error *err)
{
    char name[VSVC_NAME_MAX];

    vsvc_child_name(name, sizeof(name), VSVC_OCCURRENCE, project, id);
    return vsvc__run(s, delete_occurrence, name, err);
}

/* The stored resource URI (attr2) ends with the filter's suffix. */
static int match_suffix(const vouch_resource *r, void *payload,
                        vouch_error *err)
{
    const char *suffix = payload;
    const char *uri = r->attr2 != NULL ? r->attr2 : "";
    size_t n = strlen(uri);
    size_t len = strlen(suffix);

    (void)err;
    return n >= len && memcmp(uri + n - len, suffix, len) == 0;
}

/* One page of the occurrences under `parent` (NULL: any project) of
 * `note_name` (NULL: any) that `f` selects. */
static int list_occurrences(vsvc_session *s, const char *parent,
                            const char *note_name,
                            const vsvc_occurrence_filter *f,
                            const vsvc_page_request *page, vsvc_page *out,
                            vouch_error *err)
{
    vouch_resource_query q;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((f->kind != NULL && strcmp(f->kind, "ATTESTATION") != 0) ||
        (note_name != NULL && f->note_name != NULL &&
         strcmp(f->note_name, note_name) != 0)) {
        /* Only ATTESTATION occurrences exist here, and a note filter that
         * names another note: nothing matches. */
        out->items = json_array();
        return out->items != NULL ? 0 : vutil_enomem(err);
    }
    memset(&q, 0, sizeof(q));
    vsvc__occurrence_query(&q, note_name != NULL ? note_name : f->note_name,
                           f->resource_uri);
    q.parent = parent;
    if (f->resource_uri_suffix == NULL) {
        return vsvc__list_page(s->conn, &q, page, out, err);
    }
    /* The store cannot index a suffix: page through a predicate. */
    rc = vsvc__pager_page(s->conn, &q, page, match_suffix,
                          (void *)f->resource_uri_suffix, out, err);
    return rc == VOUCH_EINVAL ? vsvc__error_wrap(err, "pageToken") : rc;
}

int vsvc_occurrence_list(vsvc_session *s, const char *project,
                         const vsvc_occurrence_filter *f,
                         const vsvc_page_request *page, vsvc_page *out,
                         vouch_error *err)
{
    static const vsvc_occurrence_filter none = { NULL, NULL, NULL, NULL };
    char parent[VSVC_NAME_MAX];

    vsvc_project_name(parent, sizeof(parent), project);
    return list_occurrences(s, parent, NULL, f != NULL ? f : &none, page,
                            out, err);
}

int vsvc_note_occurrence_list(vsvc_session *s, const char *project,
                              const char *note_id,
                              const vsvc_occurrence_filter *f,
                              const vsvc_page_request *page,
                              vsvc_page *out, vouch_error *err)
{
    static const vsvc_occurrence_filter none = { NULL, NULL, NULL, NULL };
    char note[VSVC_NAME_MAX];
    char *text = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    vsvc_child_name(note, sizeof(note), VSVC_NOTE, project, note_id);
    rc = vsvc__get_text(s->conn, VSVC_KIND_NOTE, note, &text, err);
    free(text);
    if (rc < 0) {
        return rc;
    }
    return list_occurrences(s, NULL, note, f != NULL ? f : &none, page, out,
                            err);
}
