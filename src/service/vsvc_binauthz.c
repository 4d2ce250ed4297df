/*
 * vouch service — Binary Authorization v1 resources (docs/api.md): the
 * project policy, the system policy and attestors. Bodies are parsed,
 * validated and printed by libvouch; this file adds the server's rules:
 * names, etags, the references between resources (a policy's attestors
 * must exist, an attestor's note must exist, a required attestor cannot
 * be deleted) and the admin-activity audit entry of every change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsvc_internal.h"

#define BODY VSVC_BODY

/* A write of one stored object: what the unit writes, and its result. */
typedef struct write_job {
    vsvc_session *session;   /* told of the change after the commit */
    const char *project;
    const char *name;
    const char *body;        /* the request, for the audit entry */
    size_t body_len;
    char *sent_etag;         /* the request's etag, or NULL */
    bool validate_only;      /* check, answer, write nothing */
    vouch_policy *policy;
    vouch_attestor *attestor;
    char *text;              /* out: as stored (vouch_free) */
    size_t text_len;
} write_job;

static void write_job_clear(write_job *w)
{
    free(w->sent_etag);
    vouch_policy_free(w->policy);
    vouch_attestor_free(w->attestor);
    vouch_free(w->text);
}

/*
 * Run the unit `fn` on `w` unless preparing it failed (`rc`), hand the
 * stored text to the caller, and clear `w` in every case.
 */
static int finish_write(vsvc_session *s, vsvc_uow_fn fn, write_job *w,
                        int rc, char **out, size_t *out_len,
                        vouch_error *err)
{
    if (rc == 0) {
        rc = vsvc__run(s, fn, w, err);
    }
    if (rc == 0) {
        *out = w->text;
        if (out_len != NULL) {
            *out_len = w->text_len;
        }
        w->text = NULL;
    }
    write_job_clear(w);
    return rc;
}

/* After a change is written: its admin-activity entry (the request and
 * the stored text, when there are), then the listeners told. `method` is
 * a VOUCH_AUDIT_METHOD_* of v1; a request through v1beta1 is entered
 * under v1beta1's name of the same method. */
static int record_write(vsvc_uow *uow, const write_job *w,
                        const char *method, vouch_error *err)
{
    char beta[128];

    if (w->session->binauthz_api == VSVC_BINAUTHZ_V1BETA1) {
        snprintf(beta, sizeof(beta), "%s%s", VOUCH_AUDIT_BINAUTHZ_V1BETA1,
                 method + strlen(VOUCH_AUDIT_BINAUTHZ_V1));
        method = beta;
    }
    int rc = vsvc__audit_admin(uow, w->project, NULL, method, w->name,
                               w->body, w->body_len, w->text, err);

    return rc == 0 ? vsvc__changed(uow, w->session, w->project, err) : rc;
}

/* ---- the policy ---- */

int vsvc_policy_get(vsvc_session *s, const char *project, char **out,
                    size_t *out_len, vouch_error *err)
{
    vouch_policy *policy = NULL;
    char name[VSVC_NAME_MAX];
    int rc;

    *out = NULL;
    vsvc_policy_name(name, sizeof(name), project);
    rc = vsvc__get_text(s->conn, VSVC_KIND_POLICY, name, out, err);
    if (rc == 0 && out_len != NULL) {
        *out_len = strlen(*out);
    }
    if (rc != VOUCH_ENOTFOUND) {
        return rc;
    }
    /* Never written: the default policy (docs/api.md). */
    rc = vouch_policy_new_default(&policy, project, err);
    if (rc == 0) {
        rc = vouch_policy_print(policy, VOUCH_FORMAT_JSON, out, out_len,
                                err);
    }
    if (rc < 0) {
        vutil_error_prefix(err, "default policy");
    }
    vouch_policy_free(policy);
    return rc;
}

/* The attestors found missing so far, as "PATH[i] NAME, ...". */
typedef struct missing_list {
    char text[900];
    size_t used;
    size_t count;
} missing_list;

/* Look up each attestor `rule` requires; add the missing ones to `m`,
 * each named by its field path (`path` is the rule's). */
static int find_missing(vouch_store_conn *conn,
                        const vouch_admission_rule *rule, const char *path,
                        missing_list *m, vouch_error *err)
{
    size_t n = rule != NULL ? vouch_admission_rule_attestor_count(rule) : 0;

    for (size_t i = 0; i < n; i++) {
        const char *name = vouch_admission_rule_attestor(rule, i);
        vouch_resource r;
        int rc;

        rc = vouch_store_get(conn, VSVC_KIND_ATTESTOR, name, &r, err);
        vouch_resource_clear(&r);
        if (rc == VOUCH_ENOTFOUND) {
            int w = snprintf(m->text + m->used, sizeof(m->text) - m->used,
                             "%s%s.requireAttestationsBy[%zu] %s",
                             m->count > 0 ? ", " : "", path, i, name);
            if (w > 0 && (size_t)w < sizeof(m->text) - m->used) {
                m->used += (size_t)w;
            }
            m->count++;
        } else if (rc < 0) {
            return vsvc__error_wrap(err, "store");
        }
    }
    return 0;
}

/*
 * Every attestor a rule requires must exist: the default rule's and those
 * of the GKE-only maps, which are stored even though Cloud Run never
 * consults them. VOUCH_EINVAL names each missing one by field path.
 */
static int check_policy_attestors(vouch_store_conn *conn,
                                  const vouch_policy *policy,
                                  vouch_error *err)
{
    missing_list m;
    char path[400];
    int rc;

    memset(&m, 0, sizeof(m));
    rc = find_missing(conn, vouch_policy_default_rule(policy),
                      "defaultAdmissionRule", &m, err);
    for (int map = 0; rc == 0 && map < VOUCH_RULE_MAP_COUNT; map++) {
        vouch_rule_map rm = (vouch_rule_map)map;
        size_t n = vouch_policy_rule_map_count(policy, rm);

        for (size_t i = 0; rc == 0 && i < n; i++) {
            snprintf(path, sizeof(path), "%s[\"%s\"]",
                     vouch_rule_map_field(rm),
                     vouch_policy_rule_map_key(policy, rm, i));
            rc = find_missing(conn, vouch_policy_rule_map_rule(policy, rm,
                                                               i),
                              path, &m, err);
        }
    }
    if (rc == 0 && m.count > 0) {
        rc = vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                             "requireAttestationsBy: %s %s not exist: %s",
                             m.count == 1 ? "this attestor"
                                          : "these attestors",
                             m.count == 1 ? "does" : "do", m.text);
    }
    return rc;
}

/* An etag given and not current: ABORTED, nothing changes. */
static int etag_check(const char *sent, const vouch_resource *old,
                      const char *what, const char *name, vouch_error *err)
{
    if (sent == NULL || sent[0] == '\0' ||
        (old != NULL && strcmp(sent, old->etag) == 0)) {
        return 0;
    }
    return vutil_error_set(err, VOUCH_EABORTED, NULL, 0, 0,
                           "etag: '%s' does not match the current %s %s "
                           "(%s); read it again and retry",
                           sent, what, name,
                           old != NULL ? "it has changed"
                                       : "it was never written");
}

/* Store `w->text` as `kind` `name`: created, or replacing `old`. */
static int store_write(vouch_store_conn *conn, const char *kind,
                       const write_job *w, const vouch_resource *old,
                       char *etag, const char *now, vouch_error *err)
{
    char parent[VSVC_NAME_MAX];
    vouch_resource r;
    int rc;

    vsvc_project_name(parent, sizeof(parent), w->project);
    r = vsvc__resource(kind, w->name, parent, w->text, etag,
                       old != NULL ? old->create_time : now, now);
    if (old != NULL) {
        rc = vouch_store_replace(conn, &r, old->etag, false, err);
    } else {
        rc = vouch_store_create(conn, &r, err);
    }
    if (rc == VOUCH_EABORTED || (rc == VOUCH_ECONFLICT && old == NULL &&
                                 strcmp(kind, VSVC_KIND_POLICY) == 0)) {
        return vutil_error_set(err, VOUCH_EABORTED, NULL, 0, 0,
                               "%s %s changed while it was being written; "
                               "read it again and retry",
                               kind, w->name);
    }
    if (rc == VOUCH_ECONFLICT) {
        return vutil_error_set(err, VOUCH_ECONFLICT, NULL, 0, 0,
                               "%s %s already exists", kind, w->name);
    }
    return rc < 0 ? vsvc__error_wrap(err, "store") : 0;
}

static int put_policy(vsvc_uow *uow, void *payload, vouch_error *err)
{
    vouch_store_conn *conn = vsvc_uow_conn(uow);
    write_job *w = payload;
    vouch_resource old;
    char etag[VUTIL_ETAG_SIZE];
    char now[VUTIL_RFC3339_SIZE];
    bool exists;
    int rc;

    memset(&old, 0, sizeof(old));
    rc = check_policy_attestors(conn, w->policy, err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch_store_get(conn, VSVC_KIND_POLICY, w->name, &old, err);
    if (rc < 0 && rc != VOUCH_ENOTFOUND) {
        return vsvc__error_wrap(err, "store");
    }
    exists = rc == 0;
    rc = etag_check(w->sent_etag, exists ? &old : NULL, "policy", w->name,
                    err);
    if (rc == 0 && w->validate_only) {
        /* Answered as it would be stored, with the stored version's etag
         * and time; nothing is written or audited. */
        snprintf(etag, sizeof(etag), "%s", exists ? old.etag : "");
        snprintf(now, sizeof(now), "%s", exists ? old.update_time : "");
    } else if (rc == 0) {
        rc = vsvc__stamp_write(etag, now, err);
    }
    if (rc == 0) {
        rc = vouch_policy_set_output_fields(w->policy, w->name, etag, now,
                                            err);
    }
    if (rc == 0) {
        vouch_free(w->text);
        w->text = NULL;
        rc = vouch_policy_print(w->policy, VOUCH_FORMAT_JSON, &w->text,
                                &w->text_len, err);
    }
    if (rc == 0 && !w->validate_only) {
        rc = store_write(conn, VSVC_KIND_POLICY, w, exists ? &old : NULL,
                         etag, now, err);
    }
    if (rc == 0 && !w->validate_only) {
        rc = record_write(uow, w, VOUCH_AUDIT_METHOD_UPDATE_POLICY, err);
    }
    vouch_resource_clear(&old);
    return rc;
}

/* The request's etag, kept before the unit sets the output fields. */
static int keep_sent_etag(write_job *w, const char *sent, vouch_error *err)
{
    if (sent == NULL || sent[0] == '\0') {
        return 0;
    }
    w->sent_etag = vutil_strdup(sent);
    return w->sent_etag != NULL ? 0 : vutil_enomem(err);
}

int vsvc_policy_put(vsvc_session *s, const char *project, const char *body,
                    size_t len, bool validate_only, char **out,
                    size_t *out_len, vouch_error *err)
{
    char name[VSVC_NAME_MAX];
    write_job w;
    int rc;

    *out = NULL;
    memset(&w, 0, sizeof(w));
    vsvc_policy_name(name, sizeof(name), project);
    w.session = s;
    w.project = project;
    w.name = name;
    w.body = body;
    w.body_len = len;
    w.validate_only = validate_only;
    rc = vouch_policy_parse(&w.policy, body != NULL ? body : "", len,
                            VOUCH_FORMAT_JSON, BODY, err);
    if (rc == 0) {
        rc = keep_sent_etag(&w, vouch_policy_etag(w.policy), err);
    }
    return finish_write(s, put_policy, &w, rc, out, out_len, err);
}

int vsvc_system_policy_get(vsvc *svc, const char *location, char **out,
                           size_t *out_len, vouch_error *err)
{
    int rc;

    *out = NULL;
    if (strcmp(location, "global") != 0 || svc->system_policy == NULL) {
        return vutil_error_set(err, VOUCH_ENOTFOUND, NULL, 0, 0,
                               "locations/%s/policy not found: the system "
                               "policy is locations/global/policy",
                               location);
    }
    rc = vouch_policy_print(svc->system_policy, VOUCH_FORMAT_JSON, out,
                            out_len, err);
    if (rc < 0) {
        vutil_error_prefix(err, "system policy");
    }
    return rc;
}

/* ---- attestors ---- */

/* The note named by an attestor must exist. */
static int check_note_exists(vouch_store_conn *conn, const char *note,
                             vouch_error *err)
{
    vouch_resource r;
    int rc;

    if (note == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "userOwnedGrafeasNote.noteReference: "
                               "required");
    }
    rc = vouch_store_get(conn, VSVC_KIND_NOTE, note, &r, err);
    vouch_resource_clear(&r);
    if (rc == VOUCH_ENOTFOUND) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "userOwnedGrafeasNote.noteReference: note %s "
                               "does not exist; create it first (POST "
                               "/v1/.../notes?noteId=...)",
                               note);
    }
    return rc < 0 ? vsvc__error_wrap(err, "store") : 0;
}

/* Set the output fields of w->attestor, print it into w->text. */
static int print_attestor(write_job *w, const char *etag, const char *now,
                          vouch_error *err)
{
    int rc = vouch_attestor_set_output_fields(w->attestor, w->name, etag,
                                              now, err);

    if (rc == 0) {
        vouch_free(w->text);
        w->text = NULL;
        rc = vouch_attestor_print(w->attestor, VOUCH_FORMAT_JSON, &w->text,
                                  &w->text_len, err);
    }
    return rc;
}

static int create_attestor(vsvc_uow *uow, void *payload, vouch_error *err)
{
    vouch_store_conn *conn = vsvc_uow_conn(uow);
    write_job *w = payload;
    char etag[VUTIL_ETAG_SIZE];
    char now[VUTIL_RFC3339_SIZE];
    int rc;

    rc = check_note_exists(conn, vouch_attestor_note_reference(w->attestor),
                           err);
    if (rc == 0) {
        rc = vsvc__stamp_write(etag, now, err);
    }
    if (rc == 0) {
        rc = print_attestor(w, etag, now, err);
    }
    if (rc == 0) {
        rc = store_write(conn, VSVC_KIND_ATTESTOR, w, NULL, etag, now, err);
    }
    if (rc == 0) {
        rc = record_write(uow, w, VOUCH_AUDIT_METHOD_CREATE_ATTESTOR, err);
    }
    return rc;
}

/* Parse an attestor request into `w`. */
static int attestor_job(write_job *w, vsvc_session *s, const char *project,
                        const char *name, const char *body, size_t len,
                        vouch_error *err)
{
    memset(w, 0, sizeof(*w));
    w->session = s;
    w->project = project;
    w->name = name;
    w->body = body;
    w->body_len = len;
    return vouch_attestor_parse(&w->attestor, body != NULL ? body : "", len,
                                VOUCH_FORMAT_JSON, BODY, err);
}

static int update_attestor(vsvc_uow *uow, void *payload, vouch_error *err)
{
    vouch_store_conn *conn = vsvc_uow_conn(uow);
    write_job *w = payload;
    vouch_attestor *current = NULL;
    vouch_resource old;
    char etag[VUTIL_ETAG_SIZE];
    char now[VUTIL_RFC3339_SIZE];
    int rc;

    memset(&old, 0, sizeof(old));
    rc = vsvc__get(conn, VSVC_KIND_ATTESTOR, w->name, &old, err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch_attestor_parse(&current, old.json, strlen(old.json),
                              VOUCH_FORMAT_JSON, w->name, err);
    if (rc < 0) {
        vsvc__error_wrap(err, "stored attestor");
        goto cleanup;
    }
    const char *had = vouch_attestor_note_reference(current);
    const char *want = vouch_attestor_note_reference(w->attestor);
    if (!vutil_same_text(had, want)) {
        rc = vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                             "userOwnedGrafeasNote.noteReference: is "
                             "immutable: %s has %s, the request has %s",
                             w->name, had, want != NULL ? want : "none");
        goto cleanup;
    }
    rc = etag_check(w->sent_etag, &old, "attestor", w->name, err);
    if (rc == 0) {
        rc = vsvc__stamp_write(etag, now, err);
    }
    if (rc == 0) {
        rc = print_attestor(w, etag, now, err);
    }
    if (rc == 0) {
        rc = store_write(conn, VSVC_KIND_ATTESTOR, w, &old, etag, now, err);
    }
    if (rc == 0) {
        rc = record_write(uow, w, VOUCH_AUDIT_METHOD_UPDATE_ATTESTOR, err);
    }

cleanup:
    vouch_attestor_free(current);
    vouch_resource_clear(&old);
    return rc;
}

/* An attestor's create (its id must be new) or update (it keeps the
 * etag the request sent, for the check against the stored one). */
static int attestor_write(vsvc_session *s, const char *project,
                          const char *id, const char *body, size_t len,
                          bool create, char **out, vouch_error *err)
{
    char name[VSVC_NAME_MAX];
    write_job w;
    int rc;

    *out = NULL;
    if (create) {
        rc = vsvc__check_new_id(id, "attestorId", project, "attestors",
                                err);
        if (rc < 0) {
            return rc;
        }
    }
    vsvc_child_name(name, sizeof(name), VSVC_ATTESTOR, project, id);
    rc = attestor_job(&w, s, project, name, body, len, err);
    if (rc == 0 && !create) {
        rc = keep_sent_etag(&w, vouch_attestor_etag(w.attestor), err);
    }
    return finish_write(s, create ? create_attestor : update_attestor, &w,
                        rc, out, NULL, err);
}

int vsvc_attestor_create(vsvc_session *s, const char *project,
                         const char *id, const char *body, size_t len,
                         char **out, vouch_error *err)
{
    return attestor_write(s, project, id, body, len, true, out, err);
}

int vsvc_attestor_update(vsvc_session *s, const char *project,
                         const char *id, const char *body, size_t len,
                         char **out, vouch_error *err)
{
    return attestor_write(s, project, id, body, len, false, out, err);
}

static bool rule_requires(const vouch_admission_rule *rule,
                          const char *attestor)
{
    size_t n = rule != NULL ? vouch_admission_rule_attestor_count(rule) : 0;

    for (size_t k = 0; k < n; k++) {
        if (strcmp(vouch_admission_rule_attestor(rule, k), attestor) == 0) {
            return true;
        }
    }
    return false;
}

/* Does any rule of `p` (the default one or a GKE-only map's) require
 * `attestor`? */
static bool policy_requires(const vouch_policy *p, const char *attestor)
{
    if (rule_requires(vouch_policy_default_rule(p), attestor)) {
        return true;
    }
    for (int map = 0; map < VOUCH_RULE_MAP_COUNT; map++) {
        vouch_rule_map rm = (vouch_rule_map)map;
        size_t n = vouch_policy_rule_map_count(p, rm);

        for (size_t i = 0; i < n; i++) {
            if (rule_requires(vouch_policy_rule_map_rule(p, rm, i),
                              attestor)) {
                return true;
            }
        }
    }
    return false;
}

/* The stored policies requiring an attestor, named into `text`. */
typedef struct users {
    const char *attestor;
    char text[700];
    size_t used;
} users;

static int note_user(const vouch_resource *item, void *payload)
{
    users *u = payload;
    vouch_policy *p = NULL;

    if (vouch_policy_parse(&p, item->json, strlen(item->json),
                           VOUCH_FORMAT_JSON, item->name, NULL) < 0) {
        return 0;
    }
    if (policy_requires(p, u->attestor)) {
        int w = snprintf(u->text + u->used, sizeof(u->text) - u->used,
                         "%s%s", u->used > 0 ? ", " : "", item->name);
        if (w > 0 && (size_t)w < sizeof(u->text) - u->used) {
            u->used += (size_t)w;
        }
    }
    vouch_policy_free(p);
    return 0;
}

static int delete_attestor(vsvc_uow *uow, void *payload, vouch_error *err)
{
    vouch_store_conn *conn = vsvc_uow_conn(uow);
    write_job *w = payload;
    vouch_resource_query q;
    vouch_resource old;
    users u;
    int rc;

    rc = vsvc__get(conn, VSVC_KIND_ATTESTOR, w->name, &old, err);
    vouch_resource_clear(&old);
    if (rc < 0) {
        return rc;
    }
    memset(&q, 0, sizeof(q));
    memset(&u, 0, sizeof(u));
    q.kind = VSVC_KIND_POLICY;
    u.attestor = w->name;
    rc = vsvc__each(conn, &q, note_user, &u, err);
    if (rc < 0) {
        return vsvc__error_wrap(err, "store");
    }
    if (u.used > 0) {
        return vutil_error_set(err, VOUCH_EPRECONDITION, NULL, 0, 0,
                               "attestor %s is required by the policy %s "
                               "(defaultAdmissionRule."
                               "requireAttestationsBy); remove it from the "
                               "policy first",
                               w->name, u.text);
    }
    rc = vouch_store_delete(conn, VSVC_KIND_ATTESTOR, w->name, NULL, err);
    if (rc < 0) {
        return vsvc__error_wrap(err, "store");
    }
    rc = vsvc__iam_forget(conn, w->name, err);
    return rc == 0 ? record_write(uow, w, VOUCH_AUDIT_METHOD_DELETE_ATTESTOR,
                                  err)
                   : rc;
}

int vsvc_attestor_delete(vsvc_session *s, const char *project,
                         const char *id, vouch_error *err)
{
    char name[VSVC_NAME_MAX];
    write_job w;

    memset(&w, 0, sizeof(w));
    vsvc_child_name(name, sizeof(name), VSVC_ATTESTOR, project, id);
    w.session = s;
    w.project = project;
    w.name = name;
    return vsvc__run(s, delete_attestor, &w, err);
}
