/*
 * vouch run platform — jobs (Cloud Run Admin v2, docs/run.md):
 * create, update and delete succeed whatever the images (the org-policy
 * constraint still applies); every execution is checked when it starts
 * (executions.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform_internal.h"

static const char *const job_fields[] = {
    "name", "labels", "annotations", "client", "clientVersion",
    "launchStage", "binaryAuthorization", "template", "etag",
    "startExecutionToken", "runExecutionToken", NULL,
};
static const char *const job_output[] = {
    "uid", "generation", "createTime", "updateTime", "deleteTime",
    "expireTime", "creator", "lastModifier", "observedGeneration",
    "terminalCondition", "conditions", "executionCount",
    "latestCreatedExecution", "reconciling", "satisfiesPzs", NULL,
};
static const char *const exec_template_fields[] = {
    "labels", "annotations", "parallelism", "taskCount", "template", NULL,
};
static const char *const task_template_fields[] = {
    "containers", "volumes", "maxRetries", "timeout", "serviceAccount",
    "executionEnvironment", "encryptionKey", "vpcAccess", "nodeSelector",
    NULL,
};
static const char *const none[] = { NULL };

static int check_count(const json_t *v, const char *path, vouch_error *err)
{
    if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0 ||
                      json_integer_value(v) > 10000)) {
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                               "%s: expected an integer from 0 to 10000",
                               path);
    }
    return 0;
}

static int check_job(const json_t *body, const plat_names *n,
                     plat_binauthz *ba, vouch_error *err)
{
    int rc;

    const json_t *tpl = NULL;

    rc = plat_body_check(body, n, job_fields, job_output,
                         exec_template_fields,
                         "an ExecutionTemplate with template.containers",
                         &tpl, err);
    if (rc == 0) {
        rc = check_count(json_object_get(tpl, "taskCount"),
                         "template.taskCount", err);
    }
    if (rc == 0) {
        rc = check_count(json_object_get(tpl, "parallelism"),
                         "template.parallelism", err);
    }
    if (rc < 0) {
        return rc;
    }
    json_t *task = json_object_get(tpl, "template");
    if (!json_is_object(task)) {
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                               "template.template: required, a "
                               "TaskTemplate with containers");
    }
    rc = plat_fields_check(task, task_template_fields, none,
                           "template.template", err);
    if (rc == 0) {
        rc = check_count(json_object_get(task, "maxRetries"),
                         "template.template.maxRetries", err);
    }
    if (rc < 0) {
        return rc;
    }
    return plat_containers_binauthz_check(
        body, json_object_get(task, "containers"),
        "template.template.containers", n->project, ba, err);
}

static int save_job(vouch_platform_ctx *ctx, const plat_names *n,
                    const json_t *body, const json_t *old,
                    bool validate_only, json_t **out, vouch_error *err)
{
    plat_binauthz ba;
    json_t *job = NULL;
    char uid[40];
    char now[40];
    int rc;

    memset(&ba, 0, sizeof(ba));
    rc = check_job(body, n, &ba, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = plat_orgpolicy_check(ctx, n->project, &ba,
                              plat_method(ctx,
                                          old == NULL ? "CreateJob"
                                                      : "UpdateJob",
                                          false),
                              err);
    if (rc < 0) {
        goto cleanup;
    }
    const char *sent = json_string_value(json_object_get(body, "etag"));
    rc = old != NULL ? plat_etag_check(sent, old, "job", n->name, err) : 0;
    if (rc < 0) {
        goto cleanup;
    }
    job = json_deep_copy(body);
    if (job == NULL) {
        rc = plat_enomem(err);
        goto cleanup;
    }
    for (size_t i = 0; job_output[i] != NULL; i++) {
        json_object_del(job, job_output[i]);
    }
    json_object_del(job, "etag");
    rc = vutil_new_uuid(uid, sizeof(uid), err);
    if (rc < 0) {
        goto cleanup;
    }
    vutil_now_rfc3339(now, sizeof(now));
    json_object_set_new(job, "name", json_string(n->name));
    if (old != NULL) {
        static const char *const kept[] = {
            "uid", "createTime", "executionCount", "latestCreatedExecution",
        };
        for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
            json_t *v = json_object_get(old, kept[i]);
            if (v != NULL) {
                json_object_set(job, kept[i], v);
            }
        }
        json_object_set_new(job, "generation",
                            json_integer(json_integer_value(json_object_get(
                                             old, "generation")) +
                                         1));
    } else {
        json_object_set_new(job, "uid", json_string(uid));
        json_object_set_new(job, "createTime", json_string(now));
        json_object_set_new(job, "generation", json_integer(1));
    }
    rc = plat_authors_set(ctx, job, old, true, err);
    if (rc < 0) {
        goto cleanup;
    }
    json_object_set(job, "observedGeneration",
                    json_object_get(job, "generation"));
    json_object_set_new(job, "terminalCondition",
                        plat_condition("Ready", "CONDITION_SUCCEEDED",
                                       "reason", NULL, NULL, NULL, now));
    json_object_set_new(job, "reconciling", json_false());
    if (!validate_only) {
        rc = plat_put_named(ctx->conn, VOUCH_PLATFORM_KIND_JOB, "job", n,
                            job, old == NULL, err);
        if (rc < 0) {
            goto cleanup;
        }
    }
    rc = plat_operation(ctx->conn, n->project, n->location, "Job", job, true,
                        VOUCH_OK, NULL, !validate_only, out, err);

cleanup:
    plat_binauthz_clear(&ba);
    json_decref(job);
    return rc;
}

/* Kill, after the commit, what runs for the job's executions. */
static int cancel_running(vouch_platform_ctx *ctx, const char *job_name,
                          vouch_error *err)
{
    vouch_resource_query q;
    vouch_resource_page page;
    int rc;

    if (!vouch_runtime_runs(ctx->platform->runtime)) {
        return 0;
    }
    memset(&q, 0, sizeof(q));
    memset(&page, 0, sizeof(page));
    q.kind = VOUCH_PLATFORM_KIND_EXECUTION;
    q.parent = job_name;
    q.page_size = VSVC_PAGE_MAX;
    rc = vouch_store_list(ctx->conn, &q, &page, err);
    for (size_t i = 0; rc == 0 && i < page.count; i++) {
        rc = plat_cancel_after_commit(ctx, page.items[i].name, err);
    }
    vouch_resource_page_clear(&page);
    return rc;
}

/* How a job is written (writes.c): its executions are cancelled when it
 * is deleted; its images are checked at each run, not here. */
static const plat_write job_write = {
    "jobs", VOUCH_PLATFORM_KIND_JOB, "job", "jobId", "Job",
    VOUCH_PLATFORM_KIND_EXECUTION, save_job, cancel_running, false,
};

int vouch_platform_job_create(vouch_platform_ctx *ctx, const char *project,
                              const char *location, const char *job_id,
                              const char *body, size_t len,
                              bool validate_only, json_t **out,
                              vouch_error *err)
{
    plat_write_call c = { project, location, job_id, body, len, NULL, true,
                          validate_only, false };

    return plat_write_run(ctx, &job_write, &c, out, err);
}

int vouch_platform_job_update(vouch_platform_ctx *ctx, const char *project,
                              const char *location, const char *job_id,
                              const char *body, size_t len,
                              bool validate_only, bool allow_missing,
                              json_t **out, vouch_error *err)
{
    plat_write_call c = { project, location, job_id, body, len, NULL, false,
                          validate_only, allow_missing };

    return plat_write_run(ctx, &job_write, &c, out, err);
}

int vouch_platform_job_delete(vouch_platform_ctx *ctx, const char *project,
                              const char *location, const char *job_id,
                              const char *etag, json_t **out,
                              vouch_error *err)
{
    plat_write_call c = { project, location, job_id, NULL, 0, etag, false,
                          false, false };

    return plat_delete_run(ctx, &job_write, &c, out, err);
}
