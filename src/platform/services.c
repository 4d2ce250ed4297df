/*
 * vouch run platform — services (Cloud Run Admin v2, docs/run.md):
 * create, update, delete; each template change deploys a new
 * revision, checked against the current policy; traffic goes to the
 * latest ready revision unless traffic targets say otherwise, and a
 * traffic change re-checks each older revision that gains traffic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform_internal.h"

#define MSG_MAX 1400
#define LATEST "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
#define REVISION "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"

static const char *const service_fields[] = {
    "name", "description", "labels", "annotations", "client",
    "clientVersion", "ingress", "launchStage", "binaryAuthorization",
    "template", "traffic", "scaling", "defaultUriDisabled",
    "invokerIamDisabled", "customAudiences", "etag", NULL,
};
static const char *const service_output[] = {
    "uid", "generation", "createTime", "updateTime", "deleteTime",
    "expireTime", "creator", "lastModifier", "observedGeneration",
    "terminalCondition", "conditions", "latestReadyRevision",
    "latestCreatedRevision", "trafficStatuses", "uri", "urls",
    "reconciling", "satisfiesPzs", NULL,
};
static const char *const template_fields[] = {
    "revision", "labels", "annotations", "scaling", "vpcAccess", "timeout",
    "serviceAccount", "containers", "volumes", "executionEnvironment",
    "encryptionKey", "maxInstanceRequestConcurrency", "sessionAffinity",
    "healthCheckDisabled", "nodeSelector", NULL,
};
static const char *const no_fields[] = { NULL };

int plat_fields_check(const json_t *obj, const char *const *allowed,
                      const char *const *output, const char *path,
                      vouch_error *err)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)obj, key, v) {
        if (!vutil_listed(allowed, key) && !vutil_listed(output, key)) {
            return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                                   "%s%s%.100s: unknown field", path,
                                   path[0] != '\0' ? "." : "", key);
        }
    }
    return 0;
}

int plat_names_set(plat_names *n, const char *project, const char *location,
                   const char *collection, const char *id, const char *what,
                   vouch_error *err)
{
    memset(n, 0, sizeof(*n));
    if (!plat_valid_segment(project) || !plat_valid_segment(location)) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "project and location: 1 to 128 of "
                               "A-Z a-z 0-9 - _ . ~");
    }
    if (id == NULL || id[0] == '\0') {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "%s: required", what);
    }
    if (!plat_valid_id(id)) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "%s: '%.60s' is not valid: 1 to %u of "
                               "a-z 0-9 -, starting with a letter, not "
                               "ending with '-'",
                               what, id, VOUCH_PLATFORM_ID_MAX);
    }
    n->project = project;
    n->location = location;
    n->id = id;
    snprintf(n->parent, sizeof(n->parent), "projects/%s/locations/%s",
             project, location);
    snprintf(n->name, sizeof(n->name), "%s/%s/%s", n->parent, collection,
             id);
    return 0;
}

int plat_body_check(const json_t *body, const plat_names *n,
                    const char *const *fields, const char *const *output,
                    const char *const *template_fields,
                    const char *template_what, const json_t **tpl,
                    vouch_error *err)
{
    static const char *const no_output[] = { NULL };
    int rc;

    *tpl = NULL;
    rc = plat_fields_check(body, fields, output, "", err);
    if (rc == 0) {
        rc = plat_name_check(body, n, err);
    }
    if (rc < 0) {
        return rc;
    }
    *tpl = json_object_get(body, "template");
    if (!json_is_object(*tpl)) {
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                               "template: required, %s", template_what);
    }
    return plat_fields_check(*tpl, template_fields, no_output, "template",
                             err);
}

int plat_name_check(const json_t *body, const plat_names *n,
                    vouch_error *err)
{
    const json_t *v = json_object_get(body, "name");
    const char *name = json_string_value(v);

    if (v == NULL || (name != NULL && (name[0] == '\0' ||
                                       strcmp(name, n->name) == 0 ||
                                       strcmp(name, n->id) == 0))) {
        return 0;
    }
    return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                           "name: '%.200s' does not match the URL (%s)",
                           name != NULL ? name : "(not a string)", n->name);
}

/* Validate a Service body; fills `ba`. */
static int check_service(const json_t *body, const plat_names *n,
                         plat_binauthz *ba, vouch_error *err)
{
    int rc;

    const json_t *tpl = NULL;

    rc = plat_body_check(body, n, service_fields, service_output,
                         template_fields, "a RevisionTemplate with containers",
                         &tpl, err);
    if (rc < 0) {
        return rc;
    }
    const char *rev = json_string_value(json_object_get(tpl, "revision"));
    if (json_object_get(tpl, "revision") != NULL &&
        (rev == NULL || (rev[0] != '\0' &&
                         (strncmp(rev, n->id, strlen(n->id)) != 0 ||
                          rev[strlen(n->id)] != '-' ||
                          !plat_valid_id(rev))))) {
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                               "template.revision: must be '%s-' followed "
                               "by a-z 0-9 -",
                               n->id);
    }
    return plat_containers_binauthz_check(body,
                                          json_object_get(tpl, "containers"),
                                          "template.containers", n->project,
                                          ba, err);
}

/*
 * Validate traffic targets (or make the default: 100% to the latest);
 * `*out` gets the normalised array. `new_rev` is the id of a revision
 * this request may create (template.revision; may be NULL): a target may
 * name it before it exists (gcloud's deploy --tag --no-traffic).
 */
static int check_traffic(vouch_platform_ctx *ctx, const plat_names *n,
                         const json_t *traffic, const char *new_rev,
                         json_t **out, vouch_error *err)
{
    json_t *norm = NULL;
    size_t i;
    json_t *t;
    long long sum = 0;
    int rc = 0;

    *out = NULL;
    if (traffic == NULL || json_array_size(traffic) == 0) {
        *out = json_pack("[{s:s,s:i}]", "type", LATEST, "percent", 100);
        return *out != NULL ? 0
                            : vutil_error_set(err, VOUCH_ENOMEM, NULL, 0,
                                              0, "out of memory");
    }
    if (!json_is_array(traffic)) {
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                               "traffic: expected an array of "
                               "TrafficTarget");
    }
    norm = json_array();
    if (norm == NULL) {
        return plat_enomem(err);
    }
    json_array_foreach(traffic, i, t) {
        static const char *const target_fields[] = {
            "type", "revision", "percent", "tag", NULL,
        };
        char path[40];
        snprintf(path, sizeof(path), "traffic[%zu]", i);
        if (!json_is_object(t)) {
            rc = vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                                 "%s: expected an object", path);
            goto cleanup;
        }
        rc = plat_fields_check(t, target_fields, no_fields, path, err);
        if (rc < 0) {
            goto cleanup;
        }
        const char *type = json_string_value(json_object_get(t, "type"));
        const char *rev = json_string_value(json_object_get(t, "revision"));
        json_t *pct = json_object_get(t, "percent");
        if (type == NULL || strcmp(type, "") == 0 ||
            strcmp(type, "TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED") ==
                0) {
            type = rev != NULL && rev[0] != '\0' ? REVISION : LATEST;
        }
        if (strcmp(type, LATEST) != 0 && strcmp(type, REVISION) != 0) {
            rc = vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                                 "%s.type: expected " LATEST " or "
                                 REVISION,
                                 path);
            goto cleanup;
        }
        if (pct != NULL && (!json_is_integer(pct) ||
                            json_integer_value(pct) < 0 ||
                            json_integer_value(pct) > 100)) {
            rc = vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                                 "%s.percent: expected an integer from 0 "
                                 "to 100",
                                 path);
            goto cleanup;
        }
        json_t *target = json_pack("{s:s,s:I}", "type", type, "percent",
                                   pct != NULL ? json_integer_value(pct)
                                               : 0);
        if (target == NULL || json_array_append_new(norm, target) < 0) {
            rc = plat_enomem(err);
            goto cleanup;
        }
        sum += pct != NULL ? json_integer_value(pct) : 0;
        if (json_is_string(json_object_get(t, "tag"))) {
            json_object_set(target, "tag", json_object_get(t, "tag"));
        }
        if (strcmp(type, REVISION) == 0) {
            char rname[600];
            json_t *r = NULL;
            if (rev == NULL || rev[0] == '\0') {
                rc = vutil_error_set(err, VOUCH_EINVAL, "request body", 0,
                                     0, "%s.revision: required for type "
                                     REVISION,
                                     path);
                goto cleanup;
            }
            snprintf(rname, sizeof(rname), "%s/revisions/%s", n->name, rev);
            rc = plat_load(ctx->conn, VOUCH_PLATFORM_KIND_REVISION, rname,
                           &r, err);
            if (rc == VOUCH_ENOTFOUND && new_rev != NULL &&
                strcmp(rev, new_rev) == 0) {
                /* Created by this request, and checked when it is. */
                json_object_set_new(target, "revision", json_string(rev));
                rc = 0;
                continue;
            }
            if (rc == VOUCH_ENOTFOUND) {
                rc = vutil_error_set(err, VOUCH_EINVAL, "request body", 0,
                                     0, "%s.revision: revision '%.100s' "
                                     "of service %s does not exist",
                                     path, rev, n->id);
                goto cleanup;
            }
            if (rc < 0) {
                goto cleanup;
            }
            bool ready = plat_revision_ready(r);
            json_decref(r);
            if (!ready) {
                /* No source: FAILED_PRECONDITION names the field. */
                rc = vutil_error_set(err, VOUCH_EPRECONDITION, NULL, 0, 0,
                                     "%s.revision: revision '%.100s' is "
                                     "not ready and cannot serve traffic",
                                     path, rev);
                goto cleanup;
            }
            json_object_set_new(target, "revision", json_string(rev));
        }
    }
    if (sum != 100) {
        rc = vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                             "traffic: percents add up to %lld; they must "
                             "add up to 100",
                             sum);
        goto cleanup;
    }
    *out = norm;
    norm = NULL;

cleanup:
    json_decref(norm);
    return rc;
}

/* trafficStatuses from the traffic spec and the latest ready revision. */
static json_t *traffic_statuses(const json_t *traffic,
                                const char *latest_ready)
{
    json_t *out = json_array();
    size_t i;
    json_t *t;

    if (out == NULL) {
        return NULL;
    }
    json_array_foreach(traffic, i, t) {
        json_t *s = json_deep_copy(t);
        if (s == NULL) {
            json_decref(out);
            return NULL;
        }
        if (strcmp(json_string_value(json_object_get(t, "type")), LATEST) ==
                0 &&
            latest_ready != NULL) {
            json_object_set_new(s, "revision", json_string(latest_ready));
        }
        json_array_append_new(out, s);
    }
    return out;
}

/* Did `rev` serve traffic under `statuses`? */
static bool had_traffic(const json_t *statuses, const char *rev)
{
    size_t i;
    json_t *s;

    json_array_foreach(statuses, i, s) {
        const char *r = json_string_value(json_object_get(s, "revision"));
        if (r != NULL && strcmp(r, rev) == 0 &&
            json_integer_value(json_object_get(s, "percent")) > 0) {
            return true;
        }
    }
    return false;
}

/* The id at the end of a resource name; a bare id as it is (services
 * stored by older builds hold bare ids in latest*Revision). */
static const char *short_id(const char *name)
{
    const char *slash = name != NULL ? strrchr(name, '/') : NULL;

    return slash != NULL ? slash + 1 : name;
}

/*
 * Re-check every revision that gains traffic under `traffic` (not before
 * in `old_statuses`). `*denied` with the message when one is refused.
 */
static int recheck_traffic(vouch_platform_ctx *ctx, const plat_names *n,
                           const json_t *traffic, const json_t *old_statuses,
                           const plat_binauthz *ba, bool *denied,
                           char *msg, size_t msg_size, vouch_error *err)
{
    size_t i;
    json_t *t;
    int rc = 0;

    *denied = false;
    json_array_foreach(traffic, i, t) {
        const char *rev = json_string_value(json_object_get(t, "revision"));
        char rname[600];
        json_t *r = NULL;
        if (rev == NULL ||
            json_integer_value(json_object_get(t, "percent")) == 0 ||
            had_traffic(old_statuses, rev)) {
            continue;
        }
        snprintf(rname, sizeof(rname), "%s/revisions/%s", n->name, rev);
        rc = plat_load(ctx->conn, VOUCH_PLATFORM_KIND_REVISION, rname, &r,
                       err);
        if (rc == VOUCH_ENOTFOUND) {
            /* The revision this request creates (check_traffic let it
             * through): its deploy checks it. */
            rc = 0;
            continue;
        }
        if (rc < 0) {
            return rc;
        }
        rc = plat_revision_recheck(ctx, n, r, ba,
                                   plat_method(ctx, "UpdateService", true),
                                   denied, msg, msg_size, err);
        json_decref(r);
        if (rc < 0 || *denied) {
            return rc;
        }
    }
    return 0;
}

/* "projects/P/locations/L/services/S/revisions/ID" of `svc`'s revision. */
static json_t *revision_name(const json_t *svc, const char *id)
{
    const char *service = json_string_value(json_object_get(svc, "name"));

    return json_sprintf("%s/revisions/%s", service != NULL ? service : "",
                        id);
}

/* Set the status fields of `svc` from its revisions. */
static int set_status(json_t *svc, const json_t *traffic,
                      const char *latest_ready, const char *latest_created,
                      const char *fail_reason, const char *fail_msg,
                      const char *now)
{
    json_t *statuses = traffic_statuses(traffic, latest_ready);
    json_t *cond;

    if (statuses == NULL) {
        return VOUCH_ENOMEM;
    }
    json_object_set_new(svc, "trafficStatuses", statuses);
    /* Full resource names, as Cloud Run v2 gives them (traffic statuses
     * name revisions by id). */
    if (latest_ready != NULL) {
        json_object_set_new(svc, "latestReadyRevision",
                            revision_name(svc, latest_ready));
    }
    if (latest_created != NULL) {
        json_object_set_new(svc, "latestCreatedRevision",
                            revision_name(svc, latest_created));
    }
    if (fail_msg != NULL) {
        cond = plat_condition("Ready", "CONDITION_FAILED", "reason",
                              fail_reason, fail_msg, "ERROR", now);
    } else {
        cond = plat_condition("Ready", "CONDITION_SUCCEEDED", "reason", NULL,
                              NULL, NULL, now);
    }
    if (cond == NULL) {
        return VOUCH_ENOMEM;
    }
    json_object_set_new(svc, "terminalCondition", cond);
    json_object_set_new(svc, "observedGeneration",
                        json_deep_copy(json_object_get(svc, "generation")));
    json_object_set_new(svc, "reconciling", json_false());
    return 0;
}

/* The service object to store: the request's fields plus output fields. */
static int service_from(const json_t *body, const plat_names *n,
                        const json_t *old, const json_t *traffic,
                        json_t **out, vouch_error *err)
{
    json_t *svc = NULL;
    char uid[VUTIL_UUID_SIZE];
    char now[VUTIL_RFC3339_SIZE];
    char uri[600];
    int rc;

    *out = NULL;
    rc = vutil_new_uuid(uid, sizeof(uid), err);
    if (rc < 0) {
        return rc;
    }
    svc = json_deep_copy(body);
    if (svc == NULL) {
        return plat_enomem(err);
    }
    for (size_t i = 0; service_output[i] != NULL; i++) {
        json_object_del(svc, service_output[i]);
    }
    json_object_del(svc, "etag");
    vutil_now_rfc3339(now, sizeof(now));
    snprintf(uri, sizeof(uri), "https://%s-%s.run.vouch.local", n->id,
             n->location);
    json_object_set_new(svc, "name", json_string(n->name));
    if (old != NULL) {
        json_object_set(svc, "uid", json_object_get(old, "uid"));
        json_object_set(svc, "createTime",
                        json_object_get(old, "createTime"));
        json_object_set_new(svc, "generation",
                            json_integer(json_integer_value(
                                json_object_get(old, "generation")) +
                                         1));
        json_t *lr = json_object_get(old, "latestReadyRevision");
        json_t *lc = json_object_get(old, "latestCreatedRevision");
        if (lr != NULL) {
            json_object_set(svc, "latestReadyRevision", lr);
        }
        if (lc != NULL) {
            json_object_set(svc, "latestCreatedRevision", lc);
        }
    } else {
        json_object_set_new(svc, "uid", json_string(uid));
        json_object_set_new(svc, "createTime", json_string(now));
        json_object_set_new(svc, "generation", json_integer(1));
    }
    json_object_set_new(svc, "uri", json_string(uri));
    json_object_set(svc, "traffic", (json_t *)traffic);
    *out = svc;
    return 0;
}

/*
 * The shared create/update path. `old` is NULL for a create.
 */
static int deploy(vouch_platform_ctx *ctx, const plat_names *n,
                  const json_t *body, const json_t *old, bool validate_only,
                  json_t **out, vouch_error *err)
{
    plat_binauthz ba;
    json_t *traffic = NULL;
    json_t *svc = NULL;
    json_t *rev = NULL;
    char msg[MSG_MAX];
    char now[40];
    const char *method = old == NULL ? "CreateService" : "UpdateService";
    plat_verdict verdict = PLAT_ADMIT;
    int code = VOUCH_EPRECONDITION;
    int rc;

    memset(&ba, 0, sizeof(ba));
    msg[0] = '\0';
    const char *full_method = plat_method(ctx, method, true);
    rc = check_service(body, n, &ba, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = plat_orgpolicy_check(ctx, n->project, &ba,
                              plat_method(ctx, method, false), err);
    if (rc < 0) {
        goto cleanup;
    }
    const char *sent = json_string_value(json_object_get(body, "etag"));
    rc = old != NULL ? plat_etag_check(sent, old, "service", n->name, err)
                     : 0;
    if (rc < 0) {
        goto cleanup;
    }
    rc = check_traffic(ctx, n, json_object_get(body, "traffic"),
                       json_string_value(json_object_get(
                           json_object_get(body, "template"), "revision")),
                       &traffic, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = service_from(body, n, old, traffic, &svc, err);
    if (rc == 0) {
        rc = plat_authors_set(ctx, svc, old, true, err);
    }
    if (rc < 0) {
        goto cleanup;
    }
    if (validate_only) {
        rc = plat_operation(ctx->conn, n->project, n->location, "Service",
                            svc, true, VOUCH_OK, NULL, false, out, err);
        goto cleanup;
    }
    vutil_now_rfc3339(now, sizeof(now));

    /* What changes. */
    const json_t *old_tpl = old != NULL ? json_object_get(old, "template")
                                        : NULL;
    const char *old_ready = old != NULL
                                ? short_id(json_string_value(
                                      json_object_get(old,
                                                      "latestReadyRevision")))
                                : NULL;
    const char *old_created = old != NULL
                                  ? short_id(json_string_value(
                                        json_object_get(
                                            old, "latestCreatedRevision")))
                                  : NULL;
    bool tpl_changed = old == NULL ||
                       !json_equal((json_t *)old_tpl,
                                   json_object_get(body, "template"));
    bool ba_changed = old != NULL &&
                      !json_equal(json_object_get(old,
                                                  "binaryAuthorization"),
                                  json_object_get(body,
                                                  "binaryAuthorization")) &&
                      !(json_object_get(old, "binaryAuthorization") ==
                            NULL &&
                        json_object_get(body, "binaryAuthorization") ==
                            NULL);
    bool last_failed = old != NULL &&
                       (old_ready == NULL || old_created == NULL ||
                        strcmp(old_ready, old_created) != 0);
    bool new_revision = tpl_changed || (ba_changed && last_failed);
    bool traffic_changed = old != NULL &&
                           !json_equal(json_object_get(old, "traffic"),
                                       traffic);

    /* A traffic change re-checks the older revisions that gain traffic. */
    if (traffic_changed) {
        bool denied = false;
        rc = recheck_traffic(ctx, n, traffic,
                             json_object_get(old, "trafficStatuses"), &ba,
                             &denied, msg, sizeof(msg), err);
        if (rc < 0) {
            goto cleanup;
        }
        if (denied) {
            /* Nothing changes; the operation carries the refusal. */
            rc = plat_operation(ctx->conn, n->project, n->location,
                                "Service", old, true, VOUCH_EPRECONDITION,
                                msg, true, out, err);
            goto cleanup;
        }
    }
    const char *latest_ready = old_ready;
    const char *latest_created = old_created;
    if (new_revision) {
        rc = plat_revision_deploy(ctx, n, json_object_get(body, "template"),
                                  old_created, &ba, full_method, &rev,
                                  &verdict, &code, msg,
                                  sizeof(msg), err);
        if (rc < 0) {
            goto cleanup;
        }
        latest_created = short_id(json_string_value(json_object_get(rev,
                                                                    "name")));
        if (verdict == PLAT_ADMIT) {
            latest_ready = latest_created;
        }
    }
    if (verdict != PLAT_ADMIT && old != NULL) {
        /* Traffic stays where it was. */
        json_object_set(svc, "traffic", json_object_get(old, "traffic"));
    }
    rc = set_status(svc, json_object_get(svc, "traffic"), latest_ready,
                    latest_created,
                    verdict != PLAT_ADMIT ? plat_verdict_reason(verdict)
                                          : NULL,
                    verdict != PLAT_ADMIT ? msg : NULL, now);
    if (rc < 0) {
        rc = plat_enomem(err);
        goto cleanup;
    }
    if (latest_ready == NULL) {
        json_object_del(svc, "latestReadyRevision");
    }
    rc = plat_put_named(ctx->conn, VOUCH_PLATFORM_KIND_SERVICE, "service", n,
                        svc, old == NULL, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = plat_operation(ctx->conn, n->project, n->location, "Service", svc,
                        true, code, verdict != PLAT_ADMIT ? msg : NULL, true,
                        out, err);

cleanup:
    plat_binauthz_clear(&ba);
    json_decref(traffic);
    json_decref(svc);
    json_decref(rev);
    return rc;
}

/* How a service is written: a deploy, the template's images resolved
 * first (writes.c). */
static const plat_write service_write = {
    "services", VOUCH_PLATFORM_KIND_SERVICE, "service", "serviceId",
    "Service", VOUCH_PLATFORM_KIND_REVISION, deploy, NULL, true,
};

int vouch_platform_service_create(vouch_platform_ctx *ctx,
                                  const char *project, const char *location,
                                  const char *service_id, const char *body,
                                  size_t len, bool validate_only,
                                  json_t **out, vouch_error *err)
{
    plat_write_call c = { project, location, service_id, body, len, NULL,
                          true, validate_only, false };

    return plat_write_run(ctx, &service_write, &c, out, err);
}

int vouch_platform_service_update(vouch_platform_ctx *ctx,
                                  const char *project, const char *location,
                                  const char *service_id, const char *body,
                                  size_t len, bool validate_only,
                                  bool allow_missing, json_t **out,
                                  vouch_error *err)
{
    plat_write_call c = { project, location, service_id, body, len, NULL,
                          false, validate_only, allow_missing };

    return plat_write_run(ctx, &service_write, &c, out, err);
}

int vouch_platform_service_delete(vouch_platform_ctx *ctx,
                                  const char *project, const char *location,
                                  const char *service_id, const char *etag,
                                  json_t **out, vouch_error *err)
{
    plat_write_call c = { project, location, service_id, NULL, 0, etag,
                          false, false, false };

    return plat_delete_run(ctx, &service_write, &c, out, err);
}
