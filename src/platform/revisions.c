/*
 * vouch run platform — revisions: the immutable snapshot of a service
 * template, named {service}-{5-digit sequence}-{3 random letters}, with
 * each container's image pinned to the digest it was admitted with, the
 * decision (annotation VOUCH_PLATFORM_DECISION_ANNOTATION) and the Ready
 * condition (docs/run.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform_internal.h"

/* The NNNNN of "S-NNNNN-abc" (a generated id of service `id`), or 0. */
static unsigned sequence_of(const char *rev, const char *id)
{
    size_t n = strlen(id);
    unsigned seq = 0;

    if (rev == NULL || strncmp(rev, id, n) != 0 || rev[n] != '-' ||
        strlen(rev + n) != 10 || rev[n + 6] != '-') {
        return 0;
    }
    for (size_t i = n + 1; i < n + 6; i++) {
        if (rev[i] < '0' || rev[i] > '9') {
            return 0;
        }
        seq = seq * 10 + (unsigned)(rev[i] - '0');
    }
    return seq;
}

/*
 * The sequence number of the service's newest revision: their count (one
 * indexed COUNT instead of listing every revision, which made each deploy
 * slower the more revisions a service had), or the latest created
 * revision's number when higher (older revisions may have been deleted;
 * the latest created one cannot be).
 */
static int max_sequence(vouch_store_conn *conn, const plat_names *n,
                        const char *latest, unsigned *out, vouch_error *err)
{
    uint64_t count = 0;
    unsigned seq = sequence_of(latest, n->id);
    int rc;

    *out = 0;
    rc = vouch_store_count(conn, VOUCH_PLATFORM_KIND_REVISION, n->name,
                           &count, err);
    if (rc == 0) {
        if (count < seq) {
            count = seq;
        }
        *out = count < 99999 ? (unsigned)count : 99998;
    }
    return rc;
}

static json_t *copy_field(const json_t *from, json_t *to, const char *key)
{
    json_t *v = json_object_get(from, key);

    if (v != NULL) {
        json_object_set_new(to, key, json_deep_copy(v));
    }
    return v;
}

/* The Ready condition and the failure message of an admission. */
static json_t *ready_condition(const plat_admission *a, const char *kind,
                               const char *id, const char *now, char *msg,
                               size_t msg_size)
{
    const char *reason = NULL;
    const char *state = "CONDITION_SUCCEEDED";
    const char *severity = NULL;
    vouch_outcome outcome = a->decision != NULL
                                ? vouch_decision_outcome(a->decision)
                                : VOUCH_OUTCOME_ALLOW;

    msg[0] = '\0';
    switch (a->verdict) {
    case PLAT_DENY:
        reason = "CONTAINER_IMAGE_UNAUTHORIZED";
        snprintf(msg, msg_size, "%s '%s' uses an unauthorized container "
                 "image. %s", kind, id, a->why);
        break;
    case PLAT_CHECK_FAILED:
        reason = "CONTAINER_IMAGE_AUTHORIZATION_CHECK_FAILED";
        snprintf(msg, msg_size, "%s '%s' could not be checked against the "
                 "Binary Authorization policy. %s", kind, id, a->why);
        break;
    case PLAT_MISSING:
        reason = "CONTAINER_MISSING";
        snprintf(msg, msg_size, "%s '%s' cannot run. %s", kind, id, a->why);
        break;
    case PLAT_ADMIT:
        break;
    }
    if (reason != NULL) {
        state = "CONDITION_FAILED";
        severity = "ERROR";
        return plat_condition("Ready", state, "reason", reason, msg,
                              severity, now);
    }
    char info[1200];
    info[0] = '\0';
    if (outcome == VOUCH_OUTCOME_ALLOW_DRYRUN) {
        snprintf(info, sizeof(info), "Allowed in dry run "
                 "(DRYRUN_AUDIT_LOG_ONLY); it would have been denied. %s",
                 a->why);
    } else if (outcome == VOUCH_OUTCOME_ALLOW_BREAKGLASS) {
        snprintf(info, sizeof(info), "Allowed with breakglass, bypassing "
                 "Binary Authorization.%s%s", a->why[0] != '\0' ? " " : "",
                 a->why);
    }
    return plat_condition("Ready", state, "reason", NULL, info,
                          info[0] != '\0' ? "WARNING" : NULL, now);
}

json_t *plat_containers_pinned(const json_t *containers,
                               const plat_admission *a)
{
    json_t *out = json_deep_copy(containers);
    size_t i;
    json_t *c;

    if (out == NULL) {
        return NULL;
    }
    json_array_foreach(out, i, c) {
        if (i < a->count && a->pinned[i][0] != '\0') {
            json_object_set_new(c, "image", json_string(a->pinned[i]));
        }
    }
    return out;
}

int plat_annotate(json_t *obj, const plat_admission *a,
                  const plat_binauthz *ba)
{
    json_t *ann = json_object_get(obj, "annotations");

    if (ann == NULL) {
        ann = json_object();
        if (ann == NULL || json_object_set_new(obj, "annotations", ann) < 0) {
            return VOUCH_ENOMEM;
        }
    }
    if (a->decision_json != NULL &&
        json_object_set_new(ann, VOUCH_PLATFORM_DECISION_ANNOTATION,
                            json_string(a->decision_json)) < 0) {
        return VOUCH_ENOMEM;
    }
    if (ba->breakglass != NULL &&
        json_object_set_new(ann, VOUCH_AUDIT_BREAKGLASS_ANNOTATION,
                            json_string(ba->breakglass)) < 0) {
        return VOUCH_ENOMEM;
    }
    if (ba->enabled &&
        json_object_set_new(ann, VOUCH_PLATFORM_BINAUTHZ_ANNOTATION,
                            json_string("default")) < 0) {
        return VOUCH_ENOMEM;
    }
    return 0;
}

int plat_revision_deploy(vouch_platform_ctx *ctx, const plat_names *n,
                         const json_t *template, const char *latest,
                         const plat_binauthz *ba,
                         const char *method, json_t **rev_out,
                         plat_verdict *verdict, int *code, char *msg,
                         size_t msg_size, vouch_error *err)
{
    plat_admission a;
    json_t *rev = NULL;
    json_t *cond = NULL;
    char rev_id[160];
    char rev_name[600];
    char uid[40];
    char now[40];
    unsigned seq = 0;
    int rc;

    *rev_out = NULL;
    memset(&a, 0, sizeof(a));
    const char *given = json_string_value(json_object_get(template,
                                                          "revision"));
    if (given != NULL && given[0] != '\0') {
        snprintf(rev_id, sizeof(rev_id), "%s", given);
    } else {
        char letters[4];
        rc = max_sequence(ctx->conn, n, latest, &seq, err);
        if (rc < 0) {
            return rc;
        }
        rc = vutil_random_text(letters, 3, "abcdefghijklmnopqrstuvwxyz",
                               err);
        if (rc < 0) {
            return rc;
        }
        snprintf(rev_id, sizeof(rev_id), "%s-%05u-%s", n->id, seq + 1,
                 letters);
    }
    snprintf(rev_name, sizeof(rev_name), "%s/revisions/%s", n->name, rev_id);
    rc = plat_admit(ctx, n->project, json_object_get(template, "containers"),
                    ba, false, &a, err);
    if (rc < 0) {
        return rc;
    }
    vutil_now_rfc3339(now, sizeof(now));
    rc = vutil_new_uuid(uid, sizeof(uid), err);
    if (rc < 0) {
        goto cleanup;
    }
    rev = json_pack("{s:s,s:s,s:i,s:s,s:s,s:i,s:b}", "name", rev_name, "uid",
                    uid, "generation", 1, "createTime", now, "service",
                    n->name, "observedGeneration", 1, "reconciling", 0);
    if (rev == NULL) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    static const char *const copied[] = {
        "labels", "annotations", "scaling", "timeout", "serviceAccount",
        "volumes", "executionEnvironment", "maxInstanceRequestConcurrency",
        "encryptionKey", "vpcAccess", "sessionAffinity",
    };
    for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
        copy_field(template, rev, copied[i]);
    }
    json_t *containers = plat_containers_pinned(
        json_object_get(template, "containers"), &a);
    if (containers == NULL ||
        json_object_set_new(rev, "containers", containers) < 0 ||
        plat_annotate(rev, &a, ba) < 0 ||
        plat_authors_set(ctx, rev, NULL, false, err) < 0) {
        rc = vutil_enomem(err);
        goto cleanup;
    }
    cond = ready_condition(&a, "Revision", rev_id, now, msg, msg_size);
    if (cond == NULL ||
        json_object_set_new(rev, "conditions", json_pack("[O]", cond)) < 0) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    rc = plat_put(ctx->conn, VOUCH_PLATFORM_KIND_REVISION, rev_name, n->name,
                  rev, true, err);
    if (rc == VOUCH_ECONFLICT) {
        rc = vutil_error_set(err, VOUCH_ECONFLICT, NULL, 0, 0,
                             "template.revision: revision %s already "
                             "exists; name a new one or leave it out",
                             rev_id);
    }
    if (rc < 0) {
        goto cleanup;
    }
    rc = plat_audit_admission(ctx, &a, ba, n->project, n->location, n->id,
                              rev_id, NULL, NULL, method, err);
    if (rc < 0) {
        goto cleanup;
    }
    *verdict = a.verdict;
    *code = plat_admission_code(&a);
    *rev_out = rev;
    rev = NULL;

cleanup:
    if (rc == VOUCH_ENOMEM) {
        plat_enomem(err);
    }
    json_decref(cond);
    json_decref(rev);
    plat_admission_clear(&a);
    return rc;
}

bool plat_revision_ready(const json_t *rev)
{
    size_t i;
    json_t *c;

    json_array_foreach(json_object_get(rev, "conditions"), i, c) {
        if (strcmp(json_string_value(json_object_get(c, "type")) != NULL
                       ? json_string_value(json_object_get(c, "type"))
                       : "",
                   "Ready") == 0) {
            const char *s = json_string_value(json_object_get(c, "state"));
            return s != NULL && strcmp(s, "CONDITION_SUCCEEDED") == 0;
        }
    }
    return false;
}

int plat_revision_recheck(vouch_platform_ctx *ctx, const plat_names *n,
                          const json_t *rev, const plat_binauthz *ba,
                          const char *method, bool *denied, char *msg,
                          size_t msg_size, vouch_error *err)
{
    plat_admission a;
    const char *slash = strrchr(json_string_value(json_object_get(rev,
                                                                  "name")),
                                '/');
    const char *rev_id = slash != NULL ? slash + 1 : "";
    int rc;

    *denied = false;
    msg[0] = '\0';
    if (!ba->enabled) {
        return 0;
    }
    rc = plat_admit(ctx, n->project, json_object_get(rev, "containers"), ba,
                    true, &a, err);
    if (rc < 0) {
        return rc;
    }
    if (a.verdict != PLAT_ADMIT) {
        *denied = true;
        snprintf(msg, msg_size, "Revision '%s' uses an unauthorized "
                 "container image. %s", rev_id, a.why);
    }
    rc = plat_audit_admission(ctx, &a, ba, n->project, n->location, n->id,
                              rev_id, NULL, NULL, method, err);
    plat_admission_clear(&a);
    return rc;
}

/* Does `svc` send traffic to revision `id` (its trafficStatuses)? */
static bool serves_traffic(const json_t *svc, const char *id)
{
    size_t i;
    json_t *s;

    json_array_foreach(json_object_get(svc, "trafficStatuses"), i, s) {
        const char *r = json_string_value(json_object_get(s, "revision"));
        const char *slash = r != NULL ? strrchr(r, '/') : NULL;
        if (slash != NULL) {
            r = slash + 1;
        }
        if (r != NULL && strcmp(r, id) == 0 &&
            json_integer_value(json_object_get(s, "percent")) > 0) {
            return true;
        }
    }
    return false;
}

/* A revision delete's names and what its unit works on. */
typedef struct revision_delete {
    plat_names n;
    const char *revision_id;
    const char *etag;
    char name[600];
} revision_delete;

static int revision_delete_unit(vouch_platform_ctx *ctx, void *payload,
                                json_t **out, vouch_error *err)
{
    revision_delete *d = payload;
    json_t *svc = NULL;
    json_t *rev = NULL;
    const char *latest;
    int rc;

    rc = plat_load(ctx->conn, VOUCH_PLATFORM_KIND_SERVICE, d->n.name, &svc,
                   err);
    if (rc == 0) {
        rc = plat_load(ctx->conn, VOUCH_PLATFORM_KIND_REVISION, d->name,
                       &rev, err);
    }
    if (rc == 0) {
        rc = plat_etag_check(d->etag, rev, "revision", d->name, err);
    }
    if (rc < 0) {
        goto cleanup;
    }
    latest = vsvc_short_id(json_string_value(
        json_object_get(svc, "latestCreatedRevision")));
    if (serves_traffic(svc, d->revision_id)) {
        rc = vutil_error_set(err, VOUCH_EPRECONDITION, NULL, 0, 0,
                             "revision %s serves traffic of service %s; "
                             "move its traffic to another revision first",
                             d->revision_id, d->n.id);
    } else if (latest != NULL && strcmp(latest, d->revision_id) == 0) {
        rc = vutil_error_set(err, VOUCH_EPRECONDITION, NULL, 0, 0,
                             "revision %s is the latest revision of "
                             "service %s and cannot be deleted; deploy a "
                             "new revision first",
                             d->revision_id, d->n.id);
    } else {
        rc = vouch_store_delete(ctx->conn, VOUCH_PLATFORM_KIND_REVISION,
                                d->name, NULL, err);
    }
    if (rc == 0) {
        rc = plat_operation(ctx->conn, d->n.project, d->n.location,
                            "Revision", rev, true, VOUCH_OK, NULL, true, out,
                            err);
    }

cleanup:
    json_decref(svc);
    json_decref(rev);
    return rc;
}

int vouch_platform_revision_delete(vouch_platform_ctx *ctx,
                                   const char *project, const char *location,
                                   const char *service_id,
                                   const char *revision_id, const char *etag,
                                   json_t **out, vouch_error *err)
{
    revision_delete d;
    int rc;

    *out = NULL;
    memset(&d, 0, sizeof(d));
    rc = plat_names_set(&d.n, project, location, "services", service_id,
                        "service", err);
    if (rc < 0) {
        return rc;
    }
    if (!plat_valid_segment(revision_id)) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "revision: not a valid id");
    }
    d.revision_id = revision_id;
    d.etag = etag;
    snprintf(d.name, sizeof(d.name), "%s/revisions/%s", d.n.name,
             revision_id);
    return plat_unit_run(ctx, NULL, revision_delete_unit, &d, out, err);
}
