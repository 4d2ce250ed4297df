/*
 * vouch run platform — executions: POST …/jobs/J:run evaluates the job's
 * containers against the CURRENT policy when the execution starts
 * (spec/binauthz.md §5.3); denied executions fail with the reason, and
 * admitted ones are handed to the runtime driver (runtime.c). Cancel and
 * delete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vutil_error.h"
#include "vutil_str.h"
#include "platform_internal.h"

#define MSG_MAX 1400

static int check_run_body(const json_t *body, vouch_error *err)
{
    static const char *const fields[] = {
        "validateOnly", "etag", "overrides", NULL,
    };
    static const char *const none[] = { NULL };
    return plat_fields_check(body, fields, none, "", err);
}

/*
 * The job as this execution runs it: a copy with the request's overrides
 * applied (overrides.c), so that the stored job stays as it is. Caller
 * owns *out.
 */
static int job_with_overrides(const json_t *job, const json_t *ov,
                              json_t **out, vouch_error *err)
{
    json_t *copy = json_deep_copy(job);
    json_t *tpl = json_object_get(copy, "template");
    json_t *count = json_object_get(tpl, "taskCount");
    json_int_t tasks = count != NULL ? json_integer_value(count) : 1;
    int rc;

    *out = NULL;
    if (copy == NULL) {
        return plat_enomem(err);
    }
    rc = plat_overrides_apply(ov, json_object_get(tpl, "template"), &tasks,
                              err);
    if (rc == 0 && ov != NULL &&
        json_object_set_new(tpl, "taskCount", json_integer(tasks)) < 0) {
        rc = plat_enomem(err);
    }
    if (rc < 0) {
        json_decref(copy);
        return rc;
    }
    *out = copy;
    return 0;
}

/* Build the execution object (not yet stored). */
static json_t *new_execution(const json_t *job, const plat_names *n,
                             const char *uid, const char *exec_name,
                             const plat_admission *a,
                             const plat_binauthz *ba, const char *now)
{
    json_t *tpl = json_object_get(job, "template");
    json_t *task = json_deep_copy(json_object_get(tpl, "template"));
    json_int_t tasks = json_object_get(tpl, "taskCount") != NULL
                           ? json_integer_value(json_object_get(tpl,
                                                                "taskCount"))
                           : 1;
    json_int_t par = json_object_get(tpl, "parallelism") != NULL
                         ? json_integer_value(json_object_get(tpl,
                                                              "parallelism"))
                         : 0;
    json_t *ex;

    if (task == NULL) {
        return NULL;
    }
    json_t *pinned = plat_containers_pinned(json_object_get(task,
                                                            "containers"),
                                            a);
    if (pinned == NULL) {
        json_decref(task);
        return NULL;
    }
    json_object_set_new(task, "containers", pinned);
    ex = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:I,s:I,s:o,s:i,s:b,"
                   "s:i,s:i,s:i,s:i,s:i}",
                   "name", exec_name, "uid", uid, "generation", 1,
                   "createTime", now, "startTime", now, "job", n->id,
                   "taskCount", tasks, "parallelism", par, "template", task,
                   "observedGeneration", 1, "reconciling", 0,
                   "runningCount", 0, "succeededCount", 0, "failedCount", 0,
                   "cancelledCount", 0, "retriedCount", 0);
    if (ex == NULL) {
        return NULL;
    }
    if (json_object_get(tpl, "labels") != NULL) {
        json_object_set(ex, "labels", json_object_get(tpl, "labels"));
    }
    if (json_object_get(tpl, "annotations") != NULL) {
        json_object_set_new(ex, "annotations",
                            json_deep_copy(json_object_get(tpl,
                                                           "annotations")));
    }
    if (plat_annotate(ex, a, ba) < 0) {
        json_decref(ex);
        return NULL;
    }
    return ex;
}

/* Point the job at its newest execution. */
static int update_job(vouch_platform_ctx *ctx, const plat_names *n,
                      json_t *job, const json_t *ex, vouch_error *err)
{
    json_t *latest = json_pack("{s:O,s:O}", "name",
                               json_object_get(ex, "name"), "createTime",
                               json_object_get(ex, "createTime"));
    const char *status = "EXECUTION_RUNNING";

    if (latest == NULL) {
        return plat_enomem(err);
    }
    if (json_integer_value(json_object_get(ex, "failedCount")) > 0) {
        status = "EXECUTION_FAILED";
    } else if (json_object_get(ex, "completionTime") != NULL) {
        status = "EXECUTION_SUCCEEDED";
    }
    if (json_object_get(ex, "completionTime") != NULL) {
        json_object_set(latest, "completionTime",
                        json_object_get(ex, "completionTime"));
    }
    json_object_set_new(latest, "completionStatus", json_string(status));
    json_object_set_new(job, "latestCreatedExecution", latest);
    json_object_set_new(job, "executionCount",
                        json_integer(json_integer_value(json_object_get(
                                         job, "executionCount")) +
                                     1));
    return plat_put(ctx->conn, VOUCH_PLATFORM_KIND_JOB, n->name, n->parent,
                    job, false, err);
}

int vouch_platform_job_run(vouch_platform_ctx *ctx, const char *project,
                           const char *location, const char *job_id,
                           const char *body, size_t len, json_t **out,
                           vouch_error *err)
{
    plat_names n;
    plat_binauthz ba;
    plat_admission a;
    json_t *req = NULL;
    json_t *job = NULL;
    json_t *run_job = NULL;   /* the job with the request's overrides */
    json_t *ex = NULL;
    json_t *op = NULL;
    char exec_id[80];
    char exec_name[600];
    char suffix[8];
    char uid[VUTIL_UUID_SIZE];
    char now[VUTIL_RFC3339_SIZE];
    char msg[MSG_MAX];
    int rc;

    *out = NULL;
    memset(&ba, 0, sizeof(ba));
    memset(&a, 0, sizeof(a));
    msg[0] = '\0';
    rc = plat_names_set(&n, project, location, "jobs", job_id, "job", err);
    if (rc < 0) {
        return rc;
    }
    rc = plat_parse_body(body, len, true, &req, err);
    if (rc < 0) {
        return rc;
    }
    rc = check_run_body(req, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = plat_load(ctx->conn, VOUCH_PLATFORM_KIND_JOB, n.name, &job, err);
    if (rc < 0) {
        goto cleanup;
    }
    const char *sent = json_string_value(json_object_get(req, "etag"));
    if (sent != NULL && sent[0] != '\0' &&
        strcmp(sent, json_string_value(json_object_get(job, "etag"))) != 0) {
        rc = vutil_error_set(err, VOUCH_EABORTED, NULL, 0, 0,
                             "etag: '%.64s' does not match the current "
                             "job %s; read it again and retry",
                             sent, n.name);
        goto cleanup;
    }
    rc = job_with_overrides(job, json_object_get(req, "overrides"),
                            &run_job, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = plat_binauthz_parse(json_object_get(job, "binaryAuthorization"),
                             n.project, &ba, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = vutil_random_text(suffix, 5, "abcdefghijklmnopqrstuvwxyz0123456789",
                           err);
    if (rc == 0) {
        rc = vutil_new_uuid(uid, sizeof(uid), err);
    }
    if (rc < 0) {
        goto cleanup;
    }
    snprintf(exec_id, sizeof(exec_id), "%s-%s", n.id, suffix);
    snprintf(exec_name, sizeof(exec_name), "%s/executions/%s", n.name,
             exec_id);
    json_t *containers = json_object_get(
        json_object_get(json_object_get(job, "template"), "template"),
        "containers");
    rc = plat_admit(ctx, n.project, containers, &ba, false, &a, err);
    if (rc < 0) {
        goto cleanup;
    }
    if (json_is_true(json_object_get(req, "validateOnly"))) {
        vutil_now_rfc3339(now, sizeof(now));
        ex = new_execution(run_job, &n, uid, exec_name, &a, &ba, now);
        rc = ex != NULL ? plat_operation(ctx->conn, n.project, n.location,
                                         "Execution", ex, true, VOUCH_OK, NULL,
                                         false, out, err)
                        : plat_enomem(err);
        goto cleanup;
    }
    rc = plat_audit_admission(ctx, &a, &ba, n.project, n.location, NULL,
                              NULL, n.id, exec_id,
                              "google.cloud.run.v2.Jobs.RunJob", err);
    if (rc < 0) {
        goto cleanup;
    }
    vutil_now_rfc3339(now, sizeof(now));
    ex = new_execution(run_job, &n, uid, exec_name, &a, &ba, now);
    if (ex == NULL) {
        rc = plat_enomem(err);
        goto cleanup;
    }
    json_int_t tasks = json_integer_value(json_object_get(ex, "taskCount"));
    json_t *conds = json_array();
    if (conds == NULL || json_object_set_new(ex, "conditions", conds) < 0) {
        rc = plat_enomem(err);
        goto cleanup;
    }
    bool runs = vouch_runtime_runs(ctx->platform->runtime);
    if (a.verdict != PLAT_ADMIT) {
        snprintf(msg, sizeof(msg), "Execution '%s' %s %s", exec_id,
                 a.verdict == PLAT_DENY
                     ? "uses an unauthorized container image."
                     : a.verdict == PLAT_CHECK_FAILED
                           ? "could not be checked against the Binary "
                             "Authorization policy."
                           : "cannot run.",
                 a.why);
        json_array_append_new(conds,
                              plat_condition("ResourcesAvailable",
                                             "CONDITION_FAILED", "reason",
                                             plat_verdict_reason(a.verdict),
                                             msg, "ERROR", now));
        json_array_append_new(conds,
                              plat_condition("Completed", "CONDITION_FAILED",
                                             "reason",
                                             plat_verdict_reason(a.verdict),
                                             msg, "ERROR", now));
        json_object_set_new(ex, "failedCount", json_integer(tasks));
        json_object_set_new(ex, "completionTime", json_string(now));
    } else {
        json_array_append_new(conds,
                              plat_condition("ResourcesAvailable",
                                             "CONDITION_SUCCEEDED", "reason",
                                             NULL, NULL, NULL, now));
        json_array_append_new(conds,
                              plat_condition("Started",
                                             "CONDITION_SUCCEEDED", "reason",
                                             NULL, NULL, NULL, now));
        if (runs) {
            json_object_set_new(ex, "runningCount", json_integer(tasks));
            json_array_append_new(conds,
                                  plat_condition("Completed",
                                                 "CONDITION_PENDING",
                                                 "reason", NULL, NULL, NULL,
                                                 now));
        } else {
            json_object_set_new(ex, "succeededCount", json_integer(tasks));
            json_object_set_new(ex, "completionTime", json_string(now));
            json_array_append_new(conds,
                                  plat_condition("Completed",
                                                 "CONDITION_SUCCEEDED",
                                                 "reason", NULL, NULL, NULL,
                                                 now));
        }
    }
    rc = plat_put(ctx->conn, VOUCH_PLATFORM_KIND_EXECUTION, exec_name,
                  n.name, ex, true, err);
    if (rc == 0) {
        rc = update_job(ctx, &n, job, ex, err);
    }
    if (rc < 0) {
        goto cleanup;
    }
    bool running = a.verdict == PLAT_ADMIT && runs;
    rc = plat_operation(ctx->conn, n.project, n.location, "Execution", ex,
                        !running, VOUCH_EPRECONDITION,
                        a.verdict != PLAT_ADMIT ? msg : NULL,
                        true, &op, err);
    if (rc < 0) {
        goto cleanup;
    }
    if (running) {
        vouch_error serr = VOUCH_ERROR_INIT;
        const char *opname = json_string_value(json_object_get(op, "name"));
        if (vouch_runtime_start(ctx->platform->runtime, exec_name, n.id,
                                exec_id, a.pinned[0], opname, &serr) < 0) {
            /* Could not start: the execution fails, with why. */
            rc = vouch_runtime_record_end(ctx->conn, exec_name, opname, 127,
                                          err);
            if (rc < 0) {
                goto cleanup;
            }
            json_decref(op);
            op = NULL;
            rc = plat_load(ctx->conn, VOUCH_PLATFORM_KIND_OPERATION, opname,
                           &op, err);
            if (rc < 0) {
                goto cleanup;
            }
        }
    }
    *out = op;
    op = NULL;

cleanup:
    plat_binauthz_clear(&ba);
    plat_admission_clear(&a);
    json_decref(req);
    json_decref(job);
    json_decref(run_job);
    json_decref(ex);
    json_decref(op);
    return rc;
}

static int exec_names(plat_names *n, const char *project,
                      const char *location, const char *job_id,
                      const char *execution_id, char *name, size_t size,
                      vouch_error *err)
{
    int rc = plat_names_set(n, project, location, "jobs", job_id, "job",
                            err);

    if (rc < 0) {
        return rc;
    }
    if (!plat_valid_segment(execution_id)) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "execution: not a valid id");
    }
    snprintf(name, size, "%s/executions/%s", n->name, execution_id);
    return 0;
}

int vouch_platform_execution_cancel(vouch_platform_ctx *ctx,
                                    const char *project,
                                    const char *location, const char *job_id,
                                    const char *execution_id, json_t **out,
                                    vouch_error *err)
{
    plat_names n;
    json_t *ex = NULL;
    char name[600];
    int rc;

    *out = NULL;
    rc = exec_names(&n, project, location, job_id, execution_id, name,
                    sizeof(name), err);
    if (rc < 0) {
        return rc;
    }
    rc = plat_load(ctx->conn, VOUCH_PLATFORM_KIND_EXECUTION, name, &ex, err);
    if (rc < 0) {
        return rc;
    }
    if (json_object_get(ex, "completionTime") != NULL) {
        rc = vutil_error_set(err, VOUCH_EPRECONDITION, NULL, 0, 0,
                             "execution %s has already completed; only a "
                             "running execution can be cancelled",
                             execution_id);
        goto cleanup;
    }
    vouch_runtime_cancel(ctx->platform->runtime, name);
    rc = vouch_runtime_record_end(ctx->conn, name, NULL, -1, err);
    if (rc < 0) {
        goto cleanup;
    }
    json_decref(ex);
    ex = NULL;
    rc = plat_load(ctx->conn, VOUCH_PLATFORM_KIND_EXECUTION, name, &ex, err);
    if (rc == 0) {
        rc = plat_operation(ctx->conn, n.project, n.location, "Execution",
                            ex, true, VOUCH_OK, NULL, true, out, err);
    }

cleanup:
    json_decref(ex);
    return rc;
}

int vouch_platform_execution_delete(vouch_platform_ctx *ctx,
                                    const char *project,
                                    const char *location, const char *job_id,
                                    const char *execution_id, json_t **out,
                                    vouch_error *err)
{
    plat_names n;
    json_t *ex = NULL;
    char name[600];
    int rc;

    *out = NULL;
    rc = exec_names(&n, project, location, job_id, execution_id, name,
                    sizeof(name), err);
    if (rc < 0) {
        return rc;
    }
    rc = plat_load(ctx->conn, VOUCH_PLATFORM_KIND_EXECUTION, name, &ex, err);
    if (rc < 0) {
        return rc;
    }
    if (json_object_get(ex, "completionTime") == NULL) {
        vouch_runtime_cancel(ctx->platform->runtime, name);
        rc = vouch_runtime_record_end(ctx->conn, name, NULL, -1, err);
        if (rc < 0) {
            goto cleanup;
        }
    }
    rc = vouch_store_delete(ctx->conn, VOUCH_PLATFORM_KIND_EXECUTION, name,
                            NULL, err);
    if (rc == 0) {
        rc = plat_operation(ctx->conn, n.project, n.location, "Execution",
                            ex, true, VOUCH_OK, NULL, true, out, err);
    }

cleanup:
    json_decref(ex);
    return rc;
}
