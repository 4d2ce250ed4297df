/*
 * vouch service — IAM policies of resources (vsvc.h "IAM policies";
 * docs/security.md "IAM"): stored as kind "iampolicy" under the name of
 * the resource they are set on, read for every permission check, written
 * by setIamPolicy in one unit of work with its admin-activity entry.
 *
 * Reads go to the store every time (no cache of ours, and the store's
 * read cache holds only policies and attestors), so a change committed by
 * any vouchd on the database is enforced by the next request of every
 * other: an IAM policy is never served stale.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iam.h"
#include "vsvc_internal.h"

#define IAM_SRC "IAM policy"
/* attr1 of a project's own policy (vsvc_names.h). */
#define ATTR_PROJECT "project"

typedef struct target_row {
    const char *kind;      /* store kind of the resource; NULL: always
                              exists */
    const char *service;   /* audit serviceName */
    const char *method;    /* audit methodName of setIamPolicy */
} target_row;

static const target_row targets[] = {
    [VSVC_IAM_PROJECT] = { NULL, "cloudresourcemanager.googleapis.com",
                           "SetIamPolicy" },
    [VSVC_IAM_POLICY] = { NULL, VOUCH_AUDIT_SERVICE_BINAUTHZ,
                          "google.iam.v1.IAMPolicy.SetIamPolicy" },
    [VSVC_IAM_ATTESTOR] = { VSVC_KIND_ATTESTOR, VOUCH_AUDIT_SERVICE_BINAUTHZ,
                            "google.iam.v1.IAMPolicy.SetIamPolicy" },
    [VSVC_IAM_NOTE] = { VSVC_KIND_NOTE, "containeranalysis.googleapis.com",
                        "google.iam.v1.IAMPolicy.SetIamPolicy" },
    [VSVC_IAM_SERVICE] = { VSVC_KIND_SERVICE, VOUCH_AUDIT_SERVICE_RUN,
                           "google.cloud.run.v2.Services.SetIamPolicy" },
    [VSVC_IAM_JOB] = { VSVC_KIND_JOB, VOUCH_AUDIT_SERVICE_RUN,
                       "google.cloud.run.v2.Jobs.SetIamPolicy" },
};

/* The names of a resource's IAM policy (vsvc_names.h). */
typedef struct iam_names {
    char project[VSVC_NAME_MAX];   /* the project id */
    char name[VSVC_NAME_MAX];      /* the iampolicy's */
    char parent[VSVC_NAME_MAX];    /* the iampolicy's parent */
} iam_names;

/*
 * "projects/P[/REST]" → the project id P and the iampolicy name and
 * parent into `out`. VOUCH_EINVAL for anything else.
 */
static int names_of(const char *resource, iam_names *out, vouch_error *err)
{
    const char *p = vutil_has_prefix(resource, "projects/")
                        ? resource + 9
                        : NULL;
    size_t n = p != NULL ? strcspn(p, "/") : 0;
    const char *ids[2];

    if (n == 0 || n >= sizeof(out->project)) {
        return vutil_error_set(err, VOUCH_EINVAL, IAM_SRC, 0, 0,
                               "'%.200s' is not a resource of a project",
                               resource);
    }
    memcpy(out->project, p, n);
    out->project[n] = '\0';
    ids[0] = out->project;
    ids[1] = p + n;
    if (vsvc_name(out->name, sizeof(out->name), VSVC_IAMPOLICY, ids, 2,
                  err) < 0 ||
        vsvc_parent(out->parent, sizeof(out->parent), VSVC_IAMPOLICY, ids, 2,
                    err) < 0) {
        return VOUCH_EINVAL;
    }
    return 0;
}

/* The stored policy `name` read on `conn` (in a transaction or not), or
 * NULL when none is stored. */
static int read_policy(vouch_store_conn *conn, const char *name,
                       vouch_iam_policy **out, vouch_error *err)
{
    vouch_resource r;
    int rc;

    *out = NULL;
    rc = vouch_store_get(conn, VSVC_KIND_IAMPOLICY, name, &r, err);
    if (rc == VOUCH_ENOTFOUND) {
        return 0;
    }
    if (rc < 0) {
        return vsvc__error_wrap(err, "store");
    }
    rc = vouch_iam_policy_parse(out, r.json, strlen(r.json), name, err);
    vouch_resource_clear(&r);
    if (rc < 0) {
        /* Written by vouchd itself: unreadable means a damaged store. */
        err->code = VOUCH_EIO;
        return vutil_error_prefix(err, "stored IAM policy");
    }
    return 0;
}

int vsvc_iam_get(vsvc_session *s, const char *resource,
                 vouch_iam_policy **out, vouch_error *err)
{
    iam_names names;
    int rc;

    *out = NULL;
    rc = names_of(resource, &names, err);
    if (rc == 0) {
        rc = read_policy(s->conn, names.name, out, err);
    }
    if (rc == 0 && *out == NULL) {
        rc = vouch_iam_policy_new(out, err);
    }
    return rc;
}

int vsvc_iam_grants(vsvc_session *s, const char *resource,
                    vouch_iam_policy **own, vouch_iam_policy **project,
                    vouch_error *err)
{
    iam_names names;
    int rc;

    *own = NULL;
    *project = NULL;
    rc = names_of(resource, &names, err);
    if (rc == 0) {
        rc = read_policy(s->conn, names.parent, project, err);
    }
    if (rc == 0 && strcmp(names.name, names.parent) != 0) {
        rc = read_policy(s->conn, names.name, own, err);
    }
    if (rc < 0) {
        vouch_iam_policy_free(*project);
        *project = NULL;
    }
    return rc;
}

/* Does the resource a policy is set on exist? Projects and Binary
 * Authorization policies always do (a project without one has the
 * default policy). */
static int target_exists(vouch_store_conn *conn, vsvc_iam_target t,
                         const char *resource, vouch_error *err)
{
    vouch_resource r;
    int rc;

    if (targets[t].kind == NULL) {
        return 0;
    }
    rc = vsvc__get(conn, targets[t].kind, resource, &r, err);
    vouch_resource_clear(&r);
    return rc;
}

int vsvc_iam_target_exists(vsvc_session *s, vsvc_iam_target t,
                           const char *resource, vouch_error *err)
{
    if ((unsigned)t > VSVC_IAM_JOB) {
        return vutil_error_set(err, VOUCH_EINVAL, IAM_SRC, 0, 0,
                               "no such kind of IAM resource");
    }
    return target_exists(s->conn, t, resource, err);
}

typedef struct iam_write {
    vsvc_iam_target target;
    const char *resource;
    iam_names names;
    const vouch_iam_set_request *req;
    vouch_iam_policy *out;
} iam_write;

/* The admin-activity entry: the request and response as Google logs them,
 * and serviceData.policyDelta (docs/audit.md). */
static int audit_set(vsvc_uow *uow, const iam_write *w,
                     const json_t *policy, const vouch_iam_delta *delta,
                     vouch_error *err)
{
    json_t *request = json_pack("{s:s,s:s,s:O}", "@type",
                                "type.googleapis.com/"
                                "google.iam.v1.SetIamPolicyRequest",
                                "resource", w->resource, "policy", policy);
    json_t *response = json_deep_copy(policy);
    json_t *deltas = vouch_iam_delta_to_json(delta);
    json_t *data = deltas != NULL
                       ? json_pack("{s:s,s:O}", "@type",
                                   "type.googleapis.com/"
                                   "google.iam.v1.logging.AuditData",
                                   "policyDelta", deltas)
                       : NULL;
    int rc;

    if (request == NULL || response == NULL || data == NULL ||
        json_object_set_new(response, "@type",
                            json_string("type.googleapis.com/"
                                        "google.iam.v1.Policy")) < 0) {
        rc = vutil_enomem(err);
        goto cleanup;
    }
    rc = vsvc__audit_admin_json(uow, w->names.project,
                                targets[w->target].service,
                                targets[w->target].method, w->resource,
                                request, response, data, err);

cleanup:
    json_decref(request);
    json_decref(response);
    json_decref(deltas);
    json_decref(data);
    return rc;
}

static int set_policy(vsvc_uow *uow, void *payload, vouch_error *err)
{
    iam_write *w = payload;
    vouch_store_conn *conn = vsvc_uow_conn(uow);
    vouch_iam_policy *current = NULL;
    vouch_iam_delta *delta = NULL;
    json_t *json = NULL;
    char *text = NULL;
    char now[VUTIL_RFC3339_SIZE];
    vouch_resource r;
    int rc;

    vouch_iam_policy_free(w->out);     /* a previous attempt's */
    w->out = NULL;
    rc = target_exists(conn, w->target, w->resource, err);
    if (rc == 0) {
        rc = read_policy(conn, w->names.name, &current, err);
    }
    if (rc == 0) {
        rc = vouch_iam_policy_set(current, w->req, &w->out, &delta, err);
    }
    if (rc < 0) {
        goto cleanup;
    }
    json = vouch_iam_policy_to_json(w->out);
    rc = json != NULL ? vouch_iam_policy_print(w->out, &text, NULL, err)
                      : vutil_enomem(err);
    if (rc < 0) {
        goto cleanup;
    }
    vutil_now_rfc3339(now, sizeof(now));
    r = vsvc__resource(VSVC_KIND_IAMPOLICY, w->names.name, w->names.parent,
                       text, (char *)vouch_iam_policy_etag(w->out), now,
                       now);
    r.attr1 = strcmp(w->names.name, w->names.parent) == 0
                  ? (char *)ATTR_PROJECT
                  : NULL;
    rc = vouch_store_replace(conn, &r, NULL, true, err);
    if (rc < 0) {
        rc = vsvc__error_wrap(err, "store");
        goto cleanup;
    }
    rc = audit_set(uow, w, json, delta, err);

cleanup:
    free(text);
    json_decref(json);
    vouch_iam_delta_free(delta);
    vouch_iam_policy_free(current);
    return rc;
}

int vsvc_iam_set(vsvc_session *s, vsvc_iam_target t, const char *resource,
                 const vouch_iam_set_request *req, vouch_iam_policy **out,
                 vouch_error *err)
{
    *out = NULL;
    if ((unsigned)t > VSVC_IAM_JOB) {
        return vutil_error_set(err, VOUCH_EINVAL, IAM_SRC, 0, 0,
                               "no such kind of IAM resource");
    }
    iam_write w = { .target = t, .resource = resource, .req = req };
    int rc = names_of(resource, &w.names, err);
    if (rc == 0) {
        rc = vsvc__run(s, set_policy, &w, err);
    }
    if (rc < 0) {
        vouch_iam_policy_free(w.out);
        return rc;
    }
    *out = w.out;
    return 0;
}

int vsvc__iam_forget(vouch_store_conn *conn, const char *resource,
                     vouch_error *err)
{
    int rc = vouch_store_delete(conn, VSVC_KIND_IAMPOLICY, resource, NULL,
                                err);

    if (rc == VOUCH_ENOTFOUND) {
        return 0;
    }
    return rc < 0 ? vsvc__error_wrap(err, "store") : 0;
}

typedef struct each_call {
    vsvc_iam_project_fn fn;
    void *payload;
    vouch_error *err;
} each_call;

static int each_item(const vouch_resource *item, void *payload)
{
    each_call *c = payload;
    vouch_iam_policy *p = NULL;
    int rc;

    rc = vouch_iam_policy_parse(&p, item->json, strlen(item->json),
                                item->name, c->err);
    if (rc < 0) {
        c->err->code = VOUCH_EIO;
        return vutil_error_prefix(c->err, "stored IAM policy");
    }
    rc = c->fn(vsvc_short_id(item->name), p, c->payload);
    vouch_iam_policy_free(p);
    return rc;
}

int vsvc_iam_each_project(vsvc_session *s, vsvc_iam_project_fn fn,
                          void *payload, vouch_error *err)
{
    vouch_resource_query q;
    each_call c = { fn, payload, err };

    memset(&q, 0, sizeof(q));
    q.kind = VSVC_KIND_IAMPOLICY;
    q.attr1 = ATTR_PROJECT;
    return vsvc__each(s->conn, &q, each_item, &c, err);
}
