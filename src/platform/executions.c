/*
 * vouch run platform — executions: POST …/jobs/J:run evaluates the job's
 * containers against the CURRENT policy when the execution starts
 * (docs/run.md); denied executions fail with the reason, and
 * admitted ones are handed to the runtime driver (runtime.c). Cancel and
 * delete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Record the admission's outcome on the new execution `ex`: failed
 * (with the message in `msg`), running (the exec runtime) or succeeded
 * (admission only). */
static int set_outcome(json_t *ex, const plat_admission *a,
                       const char *exec_id, bool runs, const char *now,
                       char *msg, size_t msg_size)
{
    json_int_t tasks = json_integer_value(json_object_get(ex, "taskCount"));
    const char *reason = plat_verdict_reason(a->verdict);
    json_t *conds = json_array();

    if (conds == NULL || json_object_set_new(ex, "conditions", conds) < 0) {
        return VOUCH_ENOMEM;
    }
    if (a->verdict != PLAT_ADMIT) {
        snprintf(msg, msg_size, "Execution '%s' %s %s", exec_id,
                 a->verdict == PLAT_DENY
                     ? "uses an unauthorized container image."
                 : a->verdict == PLAT_CHECK_FAILED
                     ? "could not be checked against the Binary "
                       "Authorization policy."
                     : "cannot run.",
                 a->why);
        json_array_append_new(conds,
                              plat_condition("ResourcesAvailable",
                                             "CONDITION_FAILED", "reason",
                                             reason, msg, "ERROR", now));
        json_array_append_new(conds,
                              plat_condition("Completed", "CONDITION_FAILED",
                                             "reason", reason, msg, "ERROR",
                                             now));
        json_object_set_new(ex, "failedCount", json_integer(tasks));
        json_object_set_new(ex, "completionTime", json_string(now));
        return 0;
    }
    json_array_append_new(conds,
                          plat_condition("ResourcesAvailable",
                                         "CONDITION_SUCCEEDED", "reason",
                                         NULL, NULL, NULL, now));
    json_array_append_new(conds,
                          plat_condition("Started", "CONDITION_SUCCEEDED",
                                         "reason", NULL, NULL, NULL, now));
    json_object_set_new(ex, runs ? "runningCount" : "succeededCount",
                        json_integer(tasks));
    if (!runs) {
        json_object_set_new(ex, "completionTime", json_string(now));
    }
    json_array_append_new(conds,
                          plat_condition("Completed",
                                         runs ? "CONDITION_PENDING"
                                              : "CONDITION_SUCCEEDED",
                                         "reason", NULL, NULL, NULL, now));
    return 0;
}

/* A run of a job: its request, and what the unit decided. */
typedef struct run_call {
    plat_names n;
    json_t *req;
    char exec_id[80];
    char exec_name[600];
    char opname[600];
    bool start_failed;      /* set by the post-commit hook */
} run_call;

/* The post-commit start of an admitted execution's process. */
typedef struct start_hook {
    vouch_runtime *runtime;
    run_call *call;
    char *image;
} start_hook;

static void start_after_commit(void *payload)
{
    start_hook *h = payload;
    run_call *c = h->call;
    vouch_error serr = VOUCH_ERROR_INIT;

    if (vouch_runtime_start(h->runtime, c->exec_name, c->n.id, c->exec_id,
                            h->image, c->opname, &serr) < 0) {
        c->start_failed = true;
    }
}

static void start_hook_free(void *payload)
{
    start_hook *h = payload;

    free(h->image);
    free(h);
}

/* Start the process once the execution is committed (never before: a
 * rolled-back execution must not run). */
static int start_after(vouch_platform_ctx *ctx, run_call *c,
                       const char *image, vouch_error *err)
{
    start_hook *h = calloc(1, sizeof(*h));

    if (h == NULL || (h->image = vutil_strdup(image)) == NULL) {
        free(h);
        return plat_enomem(err);
    }
    h->runtime = ctx->platform->runtime;
    h->call = c;
    return vsvc_uow_after_commit(ctx->uow, start_after_commit,
                                 start_hook_free, h, err);
}

/* The job to run (the stored one, etag checked) and how it runs (with
 * the request's overrides). */
static int load_job(vouch_platform_ctx *ctx, run_call *c, json_t **job,
                    json_t **run_job, plat_binauthz *ba, vouch_error *err)
{
    int rc;

    rc = plat_load(ctx->conn, VOUCH_PLATFORM_KIND_JOB, c->n.name, job, err);
    if (rc == 0) {
        rc = plat_etag_check(json_string_value(json_object_get(c->req,
                                                               "etag")),
                             *job, "job", c->n.name, err);
    }
    if (rc == 0) {
        rc = job_with_overrides(*job, json_object_get(c->req, "overrides"),
                                run_job, err);
    }
    if (rc == 0) {
        rc = plat_binauthz_parse(json_object_get(*job,
                                                 "binaryAuthorization"),
                                 c->n.project, ba, err);
    }
    return rc;
}

/* Store the execution `ex`, point the job at it, store its operation. */
static int record_run(vouch_platform_ctx *ctx, run_call *c, json_t *job,
                      json_t *ex, const plat_admission *a, bool running,
                      const char *msg, json_t **out, vouch_error *err)
{
    int rc;

    rc = plat_put(ctx->conn, VOUCH_PLATFORM_KIND_EXECUTION, c->exec_name,
                  c->n.name, ex, true, err);
    if (rc == 0) {
        rc = update_job(ctx, &c->n, job, ex, err);
    }
    if (rc == 0) {
        rc = plat_operation(ctx->conn, c->n.project, c->n.location,
                            "Execution", ex, !running,
                            plat_admission_code(a),
                            a->verdict != PLAT_ADMIT ? msg : NULL, true, out,
                            err);
    }
    if (rc == 0 && running) {
        snprintf(c->opname, sizeof(c->opname), "%s",
                 json_string_value(json_object_get(*out, "name")));
        rc = start_after(ctx, c, a->pinned[0], err);
    }
    return rc;
}

/*
 * {job}-{5 random characters}, one no execution of the job has yet. With
 * 36^5 names a busy job meets a taken one within tens of thousands of runs
 * (a soak did), which must not answer ALREADY_EXISTS to a caller who named
 * nothing: draw again. The check is inside the unit's write transaction,
 * so no other writer takes the name before this one stores it.
 */
static int name_execution(vouch_platform_ctx *ctx, run_call *c,
                          vouch_error *err)
{
    char suffix[8];
    int attempt;
    int rc;

    for (attempt = 0; attempt < 8; attempt++) {
        vouch_error probe = VOUCH_ERROR_INIT;

        rc = vutil_random_text(suffix, 5,
                               "abcdefghijklmnopqrstuvwxyz0123456789", err);
        if (rc < 0) {
            return rc;
        }
        snprintf(c->exec_id, sizeof(c->exec_id), "%s-%s", c->n.id, suffix);
        snprintf(c->exec_name, sizeof(c->exec_name), "%s/executions/%s",
                 c->n.name, c->exec_id);
        rc = plat_absent(ctx->conn, VOUCH_PLATFORM_KIND_EXECUTION,
                         c->exec_name, "execution", &probe);
        if (rc == 0) {
            return 0;
        }
        if (rc != VOUCH_ECONFLICT) {
            *err = probe;
            return rc;
        }
    }
    return vutil_error_set(err, VOUCH_EEXHAUSTED, NULL, 0, 0,
                           "no free execution name for job %s after %d "
                           "draws; retry", c->n.id, attempt);
}

static int run_unit(vouch_platform_ctx *ctx, void *payload, json_t **out,
                    vouch_error *err)
{
    run_call *c = payload;
    bool validate_only = json_is_true(json_object_get(c->req,
                                                      "validateOnly"));
    bool runs = vouch_runtime_runs(ctx->platform->runtime);
    plat_binauthz ba;
    plat_admission a;
    json_t *job = NULL;
    json_t *run_job = NULL;   /* the job with the request's overrides */
    json_t *ex = NULL;
    char uid[VUTIL_UUID_SIZE];
    char now[VUTIL_RFC3339_SIZE];
    char msg[MSG_MAX];
    int rc;

    memset(&ba, 0, sizeof(ba));
    memset(&a, 0, sizeof(a));
    msg[0] = '\0';
    rc = load_job(ctx, c, &job, &run_job, &ba, err);
    if (rc == 0) {
        rc = name_execution(ctx, c, err);
    }
    if (rc == 0) {
        rc = vutil_new_uuid(uid, sizeof(uid), err);
    }
    if (rc < 0) {
        goto cleanup;
    }
    rc = plat_admit(ctx, c->n.project,
                    json_object_get(json_object_get(json_object_get(
                                                        job, "template"),
                                                    "template"),
                                    "containers"),
                    &ba, false, &a, err);
    if (rc == 0 && !validate_only) {
        rc = plat_audit_admission(ctx, &a, &ba, c->n.project, c->n.location,
                                  NULL, NULL, c->n.id, c->exec_id,
                                  plat_method(ctx, "RunJob", true), err);
    }
    if (rc < 0) {
        goto cleanup;
    }
    vutil_now_rfc3339(now, sizeof(now));
    ex = new_execution(run_job, &c->n, uid, c->exec_name, &a, &ba, now);
    if (ex == NULL) {
        rc = plat_enomem(err);
    } else if (plat_authors_set(ctx, ex, NULL, false, err) < 0) {
        rc = VOUCH_ENOMEM;
    } else if (validate_only) {
        rc = plat_operation(ctx->conn, c->n.project, c->n.location,
                            "Execution", ex, true, VOUCH_OK, NULL, false,
                            out, err);
    } else if (set_outcome(ex, &a, c->exec_id, runs, now, msg,
                           sizeof(msg)) < 0) {
        rc = plat_enomem(err);
    } else {
        rc = record_run(ctx, c, job, ex, &a, a.verdict == PLAT_ADMIT && runs,
                        msg, out, err);
    }

cleanup:
    plat_binauthz_clear(&ba);
    plat_admission_clear(&a);
    json_decref(job);
    json_decref(run_job);
    json_decref(ex);
    return rc;
}

/* The process could not start: the execution fails, with why (exit
 * status 127), in a unit of its own; `*out` is its operation now. */
static int start_failed_unit(vouch_platform_ctx *ctx, void *payload,
                             json_t **out, vouch_error *err)
{
    run_call *c = payload;
    int rc;

    rc = vouch_runtime_record_end(ctx->conn, c->exec_name, c->opname, 127,
                                  err);
    return rc < 0 ? rc
                  : plat_load(ctx->conn, VOUCH_PLATFORM_KIND_OPERATION,
                              c->opname, out, err);
}

int vouch_platform_job_run(vouch_platform_ctx *ctx, const char *project,
                           const char *location, const char *job_id,
                           const char *body, size_t len, json_t **out,
                           vouch_error *err)
{
    json_t *failed = NULL;
    run_call c;
    int rc;

    *out = NULL;
    memset(&c, 0, sizeof(c));
    rc = plat_names_set(&c.n, project, location, "jobs", job_id, "job",
                        err);
    if (rc == 0) {
        rc = plat_parse_body(body, len, true, &c.req, err);
    }
    if (rc == 0) {
        rc = check_run_body(c.req, err);
    }
    if (rc == 0) {
        /* The job's images are known once it is read: the first attempt
         * asks for them, the unit resolves them outside the transaction
         * and runs again. */
        rc = plat_unit_run(ctx, NULL, run_unit, &c, out, err);
    }
    if (rc == 0 && c.start_failed) {
        rc = plat_unit_run(ctx, NULL, start_failed_unit, &c, &failed, err);
        if (rc == 0) {
            json_decref(*out);
            *out = failed;
        }
    }
    json_decref(c.req);
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

/* The post-commit kill of an execution's process. */
typedef struct kill_hook {
    vouch_runtime *runtime;
    char *name;
} kill_hook;

static void kill_after_commit(void *payload)
{
    kill_hook *h = payload;

    (void)vouch_runtime_cancel(h->runtime, h->name);
}

static void kill_hook_free(void *payload)
{
    kill_hook *h = payload;

    free(h->name);
    free(h);
}

int plat_cancel_after_commit(vouch_platform_ctx *ctx,
                             const char *execution_name, vouch_error *err)
{
    kill_hook *h;

    if (!vouch_runtime_runs(ctx->platform->runtime)) {
        return 0;
    }
    h = calloc(1, sizeof(*h));
    if (h == NULL || (h->name = vutil_strdup(execution_name)) == NULL) {
        free(h);
        return plat_enomem(err);
    }
    h->runtime = ctx->platform->runtime;
    return vsvc_uow_after_commit(ctx->uow, kill_after_commit, kill_hook_free,
                                 h, err);
}

/* A cancel or (`remove`) a delete of one execution. */
typedef struct exec_call {
    plat_names n;
    const char *id;
    char name[600];
    bool remove;
} exec_call;

/* A running execution ends as cancelled now (its process is killed
 * after the commit); a delete then removes it. The operation carries the
 * execution as it ends. */
static int change_unit(vouch_platform_ctx *ctx, void *payload, json_t **out,
                       vouch_error *err)
{
    exec_call *c = payload;
    json_t *ex = NULL;
    bool running;
    int rc;

    rc = plat_load(ctx->conn, VOUCH_PLATFORM_KIND_EXECUTION, c->name, &ex,
                   err);
    running = rc == 0 && json_object_get(ex, "completionTime") == NULL;
    if (rc == 0 && !running && !c->remove) {
        rc = vutil_error_set(err, VOUCH_EPRECONDITION, NULL, 0, 0,
                             "execution %s has already completed; only a "
                             "running execution can be cancelled",
                             c->id);
    }
    if (rc == 0 && running) {
        rc = vouch_runtime_record_end(ctx->conn, c->name, NULL, -1, err);
    }
    if (rc == 0 && running) {
        rc = plat_cancel_after_commit(ctx, c->name, err);
    }
    if (rc == 0 && c->remove) {
        rc = vouch_store_delete(ctx->conn, VOUCH_PLATFORM_KIND_EXECUTION,
                                c->name, NULL, err);
    } else if (rc == 0) {
        json_decref(ex);
        ex = NULL;
        rc = plat_load(ctx->conn, VOUCH_PLATFORM_KIND_EXECUTION, c->name,
                       &ex, err);
    }
    if (rc == 0) {
        rc = plat_operation(ctx->conn, c->n.project, c->n.location,
                            "Execution", ex, true, VOUCH_OK, NULL, true, out,
                            err);
    }
    json_decref(ex);
    return rc;
}

static int exec_change(vouch_platform_ctx *ctx, const char *project,
                       const char *location, const char *job_id,
                       const char *execution_id, bool remove, json_t **out,
                       vouch_error *err)
{
    exec_call c = { .id = execution_id, .remove = remove };

    *out = NULL;
    int rc = exec_names(&c.n, project, location, job_id, execution_id, c.name,
                    sizeof(c.name), err);
    return rc < 0 ? rc
                  : plat_unit_run(ctx, NULL, change_unit, &c, out, err);
}

int vouch_platform_execution_cancel(vouch_platform_ctx *ctx,
                                    const char *project,
                                    const char *location, const char *job_id,
                                    const char *execution_id, json_t **out,
                                    vouch_error *err)
{
    return exec_change(ctx, project, location, job_id, execution_id, false,
                       out, err);
}

int vouch_platform_execution_delete(vouch_platform_ctx *ctx,
                                    const char *project,
                                    const char *location, const char *job_id,
                                    const char *execution_id, json_t **out,
                                    vouch_error *err)
{
    return exec_change(ctx, project, location, job_id, execution_id, true,
                       out, err);
}
