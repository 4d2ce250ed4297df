/*
 * vouch service — the service object, sessions, generic reads and lists,
 * and the helpers the service's files share (vsvc.h, vsvc_internal.h).
 */
#include "vsvc_internal.h"
#include "vsvc_k8s.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SVC_SRC "service"

/* The clusters' trust domains, checked and copied. */
static int copy_trust_domains(vsvc *svc, const vsvc_options *opts,
                              vouch_error *err)
{
    size_t n = opts->k8s_trust_domain_count;

    if (n == 0) {
        return 0;
    }
    svc->k8s_trust = calloc(n, sizeof(*svc->k8s_trust));
    if (svc->k8s_trust == NULL) {
        return vutil_enomem(err);
    }
    for (size_t i = 0; i < n; i++) {
        int rc = vsvc_k8s_trust_domain_check(opts->k8s_trust_domains[i],
                                             err);

        if (rc < 0) {
            return rc;
        }
        svc->k8s_trust[i] = vutil_strdup(opts->k8s_trust_domains[i]);
        if (svc->k8s_trust[i] == NULL) {
            return vutil_enomem(err);
        }
        svc->k8s_trust_count++;
    }
    return 0;
}

int vsvc_new(vsvc **out, const vsvc_options *opts, vouch_error *err)
{
    vsvc *svc;
    int rc;

    *out = NULL;
    if (opts == NULL || opts->version != VSVC_OPTIONS_VERSION) {
        return vutil_error_set(err, VOUCH_EINVAL, SVC_SRC, 0, 0,
                               "options: unknown version");
    }
    if (opts->store == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, SVC_SRC, 0, 0,
                               "options: a store is required");
    }
    svc = calloc(1, sizeof(*svc));
    if (svc == NULL) {
        return vutil_enomem(err);
    }
    svc->store = opts->store;
    svc->registry = opts->registry;
    svc->system_policy = opts->system_policy;
    svc->sink = opts->audit_sink;
    rc = vsvc_compiled_new(&svc->compiled, opts->compiled_entries, err);
    if (rc == 0) {
        rc = copy_trust_domains(svc, opts, err);
    }
    if (rc < 0) {
        vsvc_free(svc);
        return rc;
    }
    *out = svc;
    return 0;
}

void vsvc_free(vsvc *svc)
{
    if (svc == NULL) {
        return;
    }
    vsvc_compiled_free(svc->compiled);
    for (size_t i = 0; i < svc->k8s_trust_count; i++) {
        free(svc->k8s_trust[i]);
    }
    free(svc->k8s_trust);
    free(svc);
}

void vsvc_counts_read(vsvc *svc, vsvc_counts *out)
{
    memset(out, 0, sizeof(*out));
    vsvc_verify_cache_stats(svc->compiled, &out->verify_hits,
                            &out->verify_misses);
    vouch_store_cache_stats(svc->store, &out->store_hits,
                            &out->store_misses);
    vsvc_compiled_stats(svc->compiled, &out->compiled_hits,
                        &out->compiled_misses);
}

int vsvc_session_open(vsvc *svc, vsvc_session **out, vouch_error *err)
{
    vsvc_session *s;
    int rc;

    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return vutil_enomem(err);
    }
    s->svc = svc;
    rc = vouch_store_acquire(svc->store, &s->conn, err);
    if (rc < 0) {
        free(s);
        return vsvc__error_wrap(err, "store");
    }
    *out = s;
    return 0;
}

void vsvc_session_close(vsvc_session *s)
{
    if (s == NULL) {
        return;
    }
    vouch_store_release(s->conn);   /* rolls back if still open */
    free(s->caller_email);
    free(s->caller_subject);
    free(s);
}

int vsvc_session_set_caller(vsvc_session *s, const char *email,
                            const char *subject, vouch_error *err)
{
    char *e = email != NULL ? vutil_strdup(email) : NULL;
    char *u = subject != NULL ? vutil_strdup(subject) : NULL;

    if ((email != NULL && e == NULL) || (subject != NULL && u == NULL)) {
        free(e);
        free(u);
        return vutil_enomem(err);
    }
    free(s->caller_email);
    free(s->caller_subject);
    s->caller_email = e;
    s->caller_subject = u;
    return 0;
}

void vsvc_session_caller(const vsvc_session *s, const char **email,
                         const char **subject)
{
    *email = s->caller_email;
    *subject = s->caller_subject;
}

void vsvc_session_set_binauthz_api(vsvc_session *s, vsvc_binauthz_api api)
{
    s->binauthz_api = api;
}

int vsvc_ping(vsvc_session *s, vouch_error *err)
{
    return vouch_store_ping(s->conn, err);
}

const char *vsvc_session_outcome(const vsvc_session *s)
{
    return s->outcome;
}

vouch_store_conn *vsvc__conn(vsvc_session *s)
{
    return s->conn;
}

vsvc *vsvc__service(vsvc_session *s)
{
    return s->svc;
}

vsvc_compiled *vsvc__compiled(vsvc *svc)
{
    return svc != NULL ? svc->compiled : NULL;
}

vouch_audit_sink *vsvc__sink(vsvc *svc)
{
    return svc != NULL ? svc->sink : NULL;
}

void vsvc__set_outcome(vsvc_session *s, const char *outcome)
{
    s->outcome = outcome;
}

int vsvc__uow_new(vsvc_session *s, vsvc_uow **out, vouch_error *err)
{
    int rc = vsvc_uow_new(out, s->conn, s->svc->registry, s->svc->sink,
                          err);

    if (rc == 0) {
        rc = vsvc_uow_set_caller(*out, s->caller_email, s->caller_subject,
                                 err);
    }
    if (rc < 0) {
        vsvc_uow_free(*out);
        *out = NULL;
    }
    return rc;
}

void vsvc_on_change(vsvc *svc, vsvc_change_fn fn, void *payload)
{
    svc->on_change = fn;
    svc->on_change_payload = payload;
}

/* The payload of the post-commit hook of a change. */
typedef struct change_note {
    vsvc_session *session;
    char project[VUTIL_ID_MAX + 1];
} change_note;

static void tell_change(void *payload)
{
    change_note *note = payload;
    vsvc *svc = note->session->svc;

    svc->on_change(note->session, note->project, svc->on_change_payload);
}

int vsvc__changed(vsvc_uow *uow, vsvc_session *s, const char *project,
                  vouch_error *err)
{
    change_note *note;

    if (s == NULL || s->svc->on_change == NULL) {
        return 0;
    }
    note = calloc(1, sizeof(*note));
    if (note == NULL) {
        return vutil_enomem(err);
    }
    note->session = s;
    snprintf(note->project, sizeof(note->project), "%s", project);
    return vsvc_uow_after_commit(uow, tell_change, free, note, err);
}

int vsvc__run(vsvc_session *s, vsvc_uow_fn fn, void *payload,
              vouch_error *err)
{
    vsvc_uow *uow = NULL;
    int rc = vsvc__uow_new(s, &uow, err);

    if (rc == 0) {
        rc = vsvc_uow_run(uow, fn, payload, err);
    }
    vsvc_uow_free(uow);
    return rc;
}

int vsvc__error_wrap(vouch_error *err, const char *what)
{
    char text[sizeof(err->message)];

    if (err == NULL) {
        return VOUCH_EIO;
    }
    vouch_error_format(err, text, sizeof(text));
    return vutil_error_set(err, err->code, what, 0, 0, "%s", text);
}

int vsvc__check_new_id(const char *id, const char *param,
                       const char *project, const char *collection,
                       vouch_error *err)
{
    if (id == NULL || id[0] == '\0') {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "%s: required (POST /v1/projects/%s/%s?%s=ID)",
                               param, project, collection, param);
    }
    if (!vutil_id_valid(id)) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "%s: '%.200s' is not a valid id: use 1 to %u "
                               "of A-Z a-z 0-9 - _ . ~",
                               param, id, VUTIL_ID_MAX);
    }
    return 0;
}

int vsvc__stamp_write(char etag[VUTIL_ETAG_SIZE],
                      char now[VUTIL_RFC3339_SIZE], vouch_error *err)
{
    vutil_now_rfc3339(now, VUTIL_RFC3339_SIZE);
    return vutil_new_etag(etag, VUTIL_ETAG_SIZE, err);
}

vouch_resource vsvc__resource(const char *kind, const char *name,
                              const char *parent, char *json, char *etag,
                              const char *create_time,
                              const char *update_time)
{
    vouch_resource r;

    memset(&r, 0, sizeof(r));
    r.kind = (char *)kind;
    r.name = (char *)name;
    r.parent = (char *)parent;
    r.json = json;
    r.etag = etag;
    r.create_time = (char *)create_time;
    r.update_time = (char *)update_time;
    return r;
}

void vsvc__occurrence_index(vouch_resource *r, const char *note_name,
                            const char *resource_uri)
{
    r->attr1 = (char *)note_name;
    r->attr2 = (char *)vsvc_resource_uri_normal(resource_uri);
}

void vsvc__occurrence_query(vouch_resource_query *q, const char *note_name,
                            const char *resource_uri)
{
    q->kind = VSVC_KIND_OCCURRENCE;
    q->attr1 = note_name;
    q->attr2 = vsvc_resource_uri_normal(resource_uri);
}

/* ---- reading ---- */

int vsvc__get(vouch_store_conn *conn, const char *kind, const char *name,
              vouch_resource *out, vouch_error *err)
{
    int rc = vouch_store_get(conn, kind, name, out, err);

    if (rc == VOUCH_ENOTFOUND) {
        return vutil_error_set(err, VOUCH_ENOTFOUND, NULL, 0, 0,
                               "%s %s not found", kind, name);
    }
    return rc < 0 ? vsvc__error_wrap(err, "store") : 0;
}

int vsvc__get_text(vouch_store_conn *conn, const char *kind,
                   const char *name, char **out, vouch_error *err)
{
    vouch_resource r;
    int rc;

    *out = NULL;
    rc = vsvc__get(conn, kind, name, &r, err);
    if (rc < 0) {
        return rc;
    }
    *out = r.json;
    r.json = NULL;
    vouch_resource_clear(&r);
    return 0;
}

int vsvc_get(vsvc_session *s, vsvc_kind kind, const char *const *ids,
             size_t count, char **out, vouch_error *err)
{
    char name[VSVC_NAME_MAX];
    int rc;

    *out = NULL;
    rc = vsvc_name(name, sizeof(name), kind, ids, count, err);
    if (rc < 0) {
        return rc;
    }
    return vsvc__get_text(s->conn, vsvc_kind_text(kind), name, out, err);
}

void vsvc_page_clear(vsvc_page *page)
{
    if (page == NULL) {
        return;
    }
    json_decref(page->items);
    free(page->next_page_token);
    memset(page, 0, sizeof(*page));
}

int vsvc__page_from(const vouch_resource_page *page, vsvc_page *out,
                    vouch_error *err)
{
    out->items = json_array();
    if (out->items == NULL) {
        return vutil_enomem(err);
    }
    for (size_t i = 0; i < page->count; i++) {
        json_error_t jerr;
        json_t *item = json_loads(page->items[i].json, 0, &jerr);

        if (item == NULL) {
            return vutil_error_set(err, VOUCH_EIO, "store", 0, 0,
                                   "stored %s %s is not JSON: %s",
                                   page->items[i].kind, page->items[i].name,
                                   jerr.text);
        }
        if (json_array_append_new(out->items, item) < 0) {
            return vutil_enomem(err);
        }
    }
    if (page->next_page_token != NULL && page->next_page_token[0] != '\0') {
        out->next_page_token = vutil_strdup(page->next_page_token);
        if (out->next_page_token == NULL) {
            return vutil_enomem(err);
        }
    }
    return 0;
}

int vsvc__list_page(vouch_store_conn *conn, vouch_resource_query *q,
                    const vsvc_page_request *page, vsvc_page *out,
                    vouch_error *err)
{
    vouch_resource_page got;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&got, 0, sizeof(got));
    q->page_size = page != NULL && page->size > 0 ? page->size
                                                  : VSVC_PAGE_DEFAULT;
    if (q->page_size > VSVC_PAGE_MAX) {
        q->page_size = VSVC_PAGE_MAX;
    }
    q->page_token = page != NULL ? page->token : NULL;
    rc = vouch_store_list(conn, q, &got, err);
    if (rc < 0) {
        return vsvc__error_wrap(err,
                                rc == VOUCH_EINVAL ? "pageToken" : "store");
    }
    rc = vsvc__page_from(&got, out, err);
    vouch_resource_page_clear(&got);
    if (rc < 0) {
        vsvc_page_clear(out);
    }
    return rc;
}

int vsvc_list(vsvc_session *s, vsvc_kind kind, const char *const *ids,
              size_t count, const vsvc_page_request *page, vsvc_page *out,
              vouch_error *err)
{
    vouch_resource_query q;
    char parent[VSVC_NAME_MAX];
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&q, 0, sizeof(q));
    rc = vsvc_parent(parent, sizeof(parent), kind, ids, count, err);
    if (rc < 0) {
        return rc;
    }
    q.kind = vsvc_kind_text(kind);
    q.parent = parent;
    return vsvc__list_page(s->conn, &q, page, out, err);
}

int vsvc__each(vouch_store_conn *conn, vouch_resource_query *q,
               int (*fn)(const vouch_resource *item, void *payload),
               void *payload, vouch_error *err)
{
    vouch_resource_page page;
    char *token = NULL;
    int rc = 0;

    q->page_size = VSVC_PAGE_MAX;
    do {
        memset(&page, 0, sizeof(page));
        q->page_token = token;
        rc = vouch_store_list(conn, q, &page, err);
        for (size_t i = 0; rc == 0 && i < page.count; i++) {
            rc = fn(&page.items[i], payload);
            rc = rc > 0 ? 0 : rc;
        }
        free(token);
        token = NULL;
        if (rc == 0 && page.next_page_token != NULL) {
            token = vutil_strdup(page.next_page_token);
            rc = token != NULL ? 0 : vutil_enomem(err);
        }
        vouch_resource_page_clear(&page);
    } while (rc == 0 && token != NULL);
    free(token);
    q->page_token = NULL;
    return rc;
}

/* ---- the audit log ---- */

int vsvc__audit_admin_json(vsvc_uow *uow, const char *project,
                           const char *service_name, const char *method,
                           const char *resource_name, const json_t *request,
                           const json_t *response,
                           const json_t *service_data, vouch_error *err)
{
    vouch_audit_admin_event ev;
    json_t *entry = NULL;
    int rc;

    memset(&ev, 0, sizeof(ev));
    ev.project = project;
    ev.service_name = service_name;
    ev.method_name = method;
    ev.resource_name = resource_name;
    ev.request = request;
    ev.response = response;
    ev.service_data = service_data;
    rc = vouch_audit_admin_entry(&entry, &ev, err);
    if (rc == 0) {
        rc = vsvc_uow_audit(uow, entry, err);
    }
    json_decref(entry);
    return rc;
}

int vsvc__audit_admin(vsvc_uow *uow, const char *project,
                      const char *service_name, const char *method,
                      const char *resource_name, const char *request,
                      size_t len, const char *response, vouch_error *err)
{
    json_t *req_json = NULL;
    json_t *resp_json = NULL;
    int rc;

    if (request != NULL && len > 0) {
        req_json = json_loadb(request, len, 0, NULL);
    }
    if (response != NULL) {
        resp_json = json_loads(response, 0, NULL);
    }
    rc = vsvc__audit_admin_json(uow, project, service_name, method,
                                resource_name, req_json, resp_json, NULL,
                                err);
    json_decref(req_json);
    json_decref(resp_json);
    if (rc < 0) {
        vsvc__error_wrap(err, "audit log");
    }
    return rc;
}

int vsvc_log_entries_list(vsvc_session *s, const vouch_audit_query *q,
                          json_t **out, vouch_error *err)
{
    int rc;

    *out = NULL;
    rc = vouch_store_begin(s->conn, false, err);
    if (rc < 0) {
        return vsvc__error_wrap(err, "store");
    }
    rc = vouch_audit_list(s->conn, q, out, err);
    vouch_store_rollback(s->conn);   /* read only: nothing to commit */
    if (rc < 0) {
        vsvc__error_wrap(err, "listing log entries");
    }
    return rc;
}
