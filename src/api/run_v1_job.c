/*
 * vouchd — Cloud Run Admin v1 shapes of jobs (run_v1.h): Job in both
 * directions, the RunJobRequest overrides, Execution and Task from the
 * stored v2 execution (docs/gcloud.md). Tasks are not stored: a task is a
 * view of its execution's counts (succeeded first, then failed,
 * cancelled, running; the rest pending).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "run_v1.h"

#define TASK_SPEC "spec.template.spec.template.spec"

static const run_v1_spec_kind task_spec = {
    TASK_SPEC, "maxRetries", "maxRetries", 10, 7 * 24 * 3600,
};

/* ---- v1 -> v2 ---- */

static int task_spec_to_v2(const json_t *spec, json_t *task,
                           vouch_error *err)
{
    static const char *const fields[] = {
        "containers", "maxRetries", "timeoutSeconds", "serviceAccountName",
        "volumes", "nodeSelector", NULL,
    };
    int rc;

    rc = run_v1_fields(spec, fields, NULL, TASK_SPEC, err);
    if (rc == 0) {
        rc = run_v1_spec_to_v2(spec, &task_spec, task, err);
    }
    if (rc == 0) {
        rc = run_v1_string_map(json_object_get(spec, "nodeSelector"),
                               TASK_SPEC ".nodeSelector", err);
    }
    if (rc == 0 && json_object_size(json_object_get(spec, "nodeSelector"))) {
        rc = vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                             TASK_SPEC ".nodeSelector: not supported for "
                             "jobs");
    }
    return rc;
}

/* A template's {metadata: {labels, annotations}} into `t2`. */
static int template_meta_to_v2(const json_t *meta, const char *path,
                               json_t *t2, vouch_error *err)
{
    static const char *const fields[] = { "labels", "annotations", NULL };
    static const char *const output[] = {
        "name", "namespace", "generateName", "creationTimestamp", NULL,
    };
    char where[120];
    int rc;

    if (meta == NULL) {
        return 0;
    }
    rc = run_v1_fields(meta, fields, output, path, err);
    for (size_t i = 0; rc == 0 && fields[i] != NULL; i++) {
        snprintf(where, sizeof(where), "%s.%s", path, fields[i]);
        rc = run_v1_string_map(json_object_get(meta, fields[i]), where, err);
        if (rc == 0) {
            run_v1_set_nonempty(t2, fields[i],
                                json_deep_copy(json_object_get(meta,
                                                               fields[i])));
        }
    }
    return rc;
}

static int exec_template_to_v2(const json_t *tpl, json_t **out,
                               vouch_error *err)
{
    static const char *const spec_fields[] = {
        "parallelism", "taskCount", "template", NULL,
    };
    static const char *const task_top[] = { "metadata", "spec", NULL };
    json_t *t2 = NULL;
    json_t *task = NULL;
    json_int_t n = 0;
    int rc;

    *out = NULL;
    rc = run_v1_template_check(tpl, "an ExecutionTemplateSpec", err);
    json_t *spec = json_object_get(tpl, "spec");
    if (rc == 0) {
        rc = run_v1_fields(spec, spec_fields, NULL, "spec.template.spec",
                           err);
    }
    json_t *ttpl = json_object_get(spec, "template");
    if (rc == 0 && ttpl == NULL) {
        rc = vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                             "spec.template.spec.template: "
                             "required, a TaskTemplateSpec with containers");
    }
    if (rc == 0) {
        rc = run_v1_fields(ttpl, task_top, NULL,
                           "spec.template.spec.template", err);
    }
    if (rc < 0) {
        return rc;
    }
    t2 = json_object();
    task = json_object();
    if (t2 == NULL || task == NULL) {
        rc = vutil_enomem(err);
        goto cleanup;
    }
    rc = template_meta_to_v2(json_object_get(tpl, "metadata"),
                             "spec.template.metadata", t2, err);
    for (size_t i = 0; rc == 0 && i < 2; i++) {
        const char *f = i == 0 ? "parallelism" : "taskCount";
        char path[60];
        json_t *v = json_object_get(spec, f);
        snprintf(path, sizeof(path), "spec.template.spec.%s", f);
        rc = run_v1_int(v, path, 0, 10000, 0, &n, err);
        if (rc == 0 && v != NULL) {
            json_object_set_new(t2, f, json_integer(n));
        }
    }
    json_t *tspec = json_object_get(ttpl, "spec");
    if (rc == 0 && tspec == NULL) {
        rc = vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                             TASK_SPEC ": required, with containers");
    }
    if (rc == 0) {
        rc = task_spec_to_v2(tspec, task, err);
    }
    if (rc < 0) {
        goto cleanup;
    }
    json_object_set_new(t2, "template", task);
    task = NULL;
    *out = t2;
    t2 = NULL;

cleanup:
    json_decref(task);
    json_decref(t2);
    return rc;
}

int run_v1_job_to_v2(const json_t *in, const run_v1_where *w,
                     const char *url_id, char *id, size_t id_size,
                     json_t **out, vouch_error *err)
{
    static const char *const spec_fields[] = {
        "template", "runExecutionToken", "startExecutionToken", NULL,
    };
    json_t *job = NULL;
    json_t *tpl = NULL;
    int rc;

    *out = NULL;
    rc = run_v1_body_fields(in, err);
    if (rc < 0) {
        return rc;
    }
    const char *av = json_string_value(json_object_get(in, "apiVersion"));
    const char *kind = json_string_value(json_object_get(in, "kind"));
    if ((json_object_get(in, "apiVersion") != NULL &&
         (av == NULL || strcmp(av, RUN_V1_RUN) != 0)) ||
        (json_object_get(in, "kind") != NULL &&
         (kind == NULL || strcmp(kind, "Job") != 0))) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "apiVersion and kind: "
                               "expected " RUN_V1_RUN " and Job");
    }
    json_t *meta = json_object_get(in, "metadata");
    json_t *spec = json_object_get(in, "spec");
    if (!json_is_object(meta) || !json_is_object(spec)) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "metadata and spec: required");
    }
    rc = run_v1_fields(spec, spec_fields, NULL, "spec", err);
    if (rc < 0) {
        return rc;
    }
    job = json_object();
    if (job == NULL) {
        return vutil_enomem(err);
    }
    rc = run_v1_meta_to_v2(meta, w, url_id, id, id_size, job, err);
    if (rc == 0) {
        rc = exec_template_to_v2(json_object_get(spec, "template"), &tpl,
                                 err);
    }
    for (size_t i = 1; rc == 0 && spec_fields[i] != NULL; i++) {
        json_t *v = json_object_get(spec, spec_fields[i]);
        if (v != NULL && !json_is_string(v)) {
            rc = vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                 "spec.%s: expected a string",
                                 spec_fields[i]);
        } else if (json_string_length(v) > 0) {
            json_object_set(job, spec_fields[i], v);
        }
    }
    if (rc < 0) {
        json_decref(tpl);
        json_decref(job);
        return rc;
    }
    json_object_set_new(job, "template", tpl);
    *out = job;
    return 0;
}

int run_v1_run_to_v2(const json_t *in, json_t **out, vouch_error *err)
{
    static const char *const top[] = { "overrides", NULL };
    static const char *const ov_fields[] = {
        "containerOverrides", "taskCount", "timeoutSeconds", NULL,
    };
    json_t *body = NULL;
    json_t *ov2 = NULL;
    json_int_t n = 0;
    int rc;

    *out = NULL;
    rc = run_v1_fields(in, top, NULL, "", err);
    const json_t *ov = json_object_get(in, "overrides");
    if (rc == 0 && ov != NULL) {
        rc = run_v1_fields(ov, ov_fields, NULL, "overrides", err);
    }
    if (rc < 0) {
        return rc;
    }
    body = json_object();
    if (body == NULL) {
        return vutil_enomem(err);
    }
    if (ov != NULL) {
        ov2 = json_object();
        json_object_set_new(body, "overrides", ov2);
        json_t *co = json_object_get(ov, "containerOverrides");
        if (co != NULL) {
            json_object_set(ov2, "containerOverrides", co);
        }
        json_t *v = json_object_get(ov, "taskCount");
        rc = run_v1_int(v, "overrides.taskCount", 1, 10000, 0, &n, err);
        if (rc == 0 && v != NULL) {
            json_object_set_new(ov2, "taskCount", json_integer(n));
        }
        v = json_object_get(ov, "timeoutSeconds");
        if (rc == 0) {
            rc = run_v1_int(v, "overrides.timeoutSeconds", 0,
                            7 * 24 * 3600, 0, &n, err);
        }
        if (rc == 0 && v != NULL) {
            json_object_set_new(ov2, "timeout", json_sprintf("%llds",
                                                             (long long)n));
        }
    }
    if (rc < 0) {
        json_decref(body);
        return rc;
    }
    *out = body;
    return 0;
}

/* ---- v2 -> v1 ---- */

json_t *run_v1_job_of(const json_t *job, const run_v1_where *w)
{
    const char *id = run_v1_short(json_string_value(json_object_get(job,
                                                                    "name")));
    const json_t *t2 = json_object_get(job, "template");
    json_t *meta = run_v1_meta(job, id != NULL ? id : "", w);
    json_t *tmeta = json_object();
    json_t *espec = json_pack("{s:{s:o}}", "template", "spec",
                              run_v1_spec_of(json_object_get(t2, "template"),
                                             &task_spec));
    json_t *status = json_object();

    if (meta == NULL || tmeta == NULL || espec == NULL || status == NULL) {
        json_decref(meta);
        json_decref(tmeta);
        json_decref(espec);
        json_decref(status);
        return NULL;
    }
    json_object_set_new(meta, "annotations", run_v1_annotations_of(job));
    run_v1_authors_of(meta, job, RUN_V1_GROUP_RUN);
    /* gcloud's "Last updated on" of a job reads this label. */
    json_t *updated = json_object_get(job, "updateTime");
    json_object_set(json_object_get(meta, "labels"),
                    RUN_V1_LABEL_LAST_UPDATED,
                    updated != NULL ? updated
                                    : json_object_get(job, "createTime"));
    run_v1_set_nonempty(tmeta, "labels",
                        json_deep_copy(json_object_get(t2, "labels")));
    run_v1_set_nonempty(tmeta, "annotations",
                        json_deep_copy(json_object_get(t2, "annotations")));
    for (size_t i = 0; i < 2; i++) {
        const char *f = i == 0 ? "parallelism" : "taskCount";
        if (json_is_integer(json_object_get(t2, f))) {
            json_object_set(espec, f, json_object_get(t2, f));
        }
    }
    json_object_set(status, "observedGeneration",
                    json_object_get(job, "observedGeneration"));
    const json_t *tc = json_object_get(job, "terminalCondition");
    json_object_set_new(status, "conditions",
                        json_pack("[o]", tc != NULL
                                             ? run_v1_condition(tc, "Ready")
                                             : json_pack("{s:s,s:s}", "type",
                                                         "Ready", "status",
                                                         "Unknown")));
    json_object_set_new(status, "executionCount",
                        json_integer(json_integer_value(json_object_get(
                            job, "executionCount"))));
    const json_t *lce = json_object_get(job, "latestCreatedExecution");
    if (lce != NULL) {
        json_t *ref = json_pack("{s:s*,s:O*,s:O*,s:O*}", "name",
                                run_v1_short(json_string_value(
                                    json_object_get(lce, "name"))),
                                "creationTimestamp",
                                json_object_get(lce, "createTime"),
                                "completionTimestamp",
                                json_object_get(lce, "completionTime"),
                                "completionStatus",
                                json_object_get(lce, "completionStatus"));
        run_v1_set_nonempty(status, "latestCreatedExecution", ref);
    }
    return json_pack("{s:s,s:s,s:o,s:{s:{s:o,s:o}},s:o}", "apiVersion",
                     RUN_V1_RUN, "kind", "Job", "metadata", meta, "spec",
                     "template", "metadata", tmeta, "spec", espec, "status",
                     status);
}

static void copy_counts(const json_t *ex, json_t *status)
{
    static const char *const fields[] = {
        "observedGeneration", "startTime", "completionTime", "runningCount",
        "succeededCount", "failedCount", "cancelledCount", "retriedCount",
    };

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        json_t *v = json_object_get(ex, fields[i]);
        if (v != NULL) {
            json_object_set(status, fields[i], v);
        }
    }
}

/* The job id of an execution: its `job` field, or its name's. */
static const char *job_of(const json_t *ex, char *buf, size_t size)
{
    const char *job = json_string_value(json_object_get(ex, "job"));
    const char *name = json_string_value(json_object_get(ex, "name"));
    const char *at = name != NULL ? strstr(name, "/jobs/") : NULL;

    if (job != NULL) {
        return run_v1_short(job);
    }
    if (at == NULL) {
        return "";
    }
    snprintf(buf, size, "%.*s", (int)strcspn(at + 6, "/"), at + 6);
    return buf;
}

json_t *run_v1_execution_of(const json_t *ex, const run_v1_where *w)
{
    const char *id = run_v1_short(json_string_value(json_object_get(ex,
                                                                    "name")));
    char jbuf[160];
    const char *job = job_of(ex, jbuf, sizeof(jbuf));
    json_t *meta = run_v1_meta(ex, id != NULL ? id : "", w);
    json_t *spec = json_pack("{s:{s:o}}", "template", "spec",
                             run_v1_spec_of(json_object_get(ex, "template"),
                                            &task_spec));
    json_t *status = json_object();
    json_t *conds = json_array();
    size_t i;
    json_t *c;

    if (meta == NULL || spec == NULL || status == NULL || conds == NULL) {
        json_decref(meta);
        json_decref(spec);
        json_decref(status);
        json_decref(conds);
        return NULL;
    }
    json_object_set_new(json_object_get(meta, "labels"), RUN_V1_LABEL_JOB,
                        json_string(job));
    run_v1_set_nonempty(meta, "annotations",
                        json_deep_copy(json_object_get(ex, "annotations")));
    run_v1_authors_of(meta, ex, RUN_V1_GROUP_RUN);
    json_object_set_new(meta, "ownerReferences",
                        json_pack("[{s:s,s:s,s:s,s:b}]", "apiVersion",
                                  RUN_V1_RUN, "kind", "Job", "name", job,
                                  "controller", 1));
    json_object_set_new(spec, "taskCount",
                        json_integer(json_object_get(ex, "taskCount")
                                         ? json_integer_value(json_object_get(
                                               ex, "taskCount"))
                                         : 1));
    if (json_integer_value(json_object_get(ex, "parallelism")) > 0) {
        json_object_set(spec, "parallelism",
                        json_object_get(ex, "parallelism"));
    }
    copy_counts(ex, status);
    json_array_foreach(json_object_get(ex, "conditions"), i, c) {
        json_array_append_new(conds, run_v1_condition(c, NULL));
    }
    json_object_set_new(status, "conditions", conds);
    return json_pack("{s:s,s:s,s:o,s:o,s:o}", "apiVersion", RUN_V1_RUN,
                     "kind", "Execution", "metadata", meta, "spec", spec,
                     "status", status);
}

/* The running state of task `index` from the execution's counts. */
static const char *task_state(const json_t *ex, json_int_t index)
{
    static const struct {
        const char *count;
        const char *state;
    } order[] = {
        { "succeededCount", "Succeeded" },
        { "failedCount", "Failed" },
        { "cancelledCount", "Cancelled" },
        { "runningCount", "Running" },
    };
    json_int_t seen = 0;

    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        seen += json_integer_value(json_object_get(ex, order[i].count));
        if (index < seen) {
            return order[i].state;
        }
    }
    return json_object_get(ex, "completionTime") != NULL ? "Abandoned"
                                                         : "Pending";
}

json_t *run_v1_task_of(const json_t *ex, json_int_t index,
                       const run_v1_where *w)
{
    const char *eid = run_v1_short(json_string_value(json_object_get(ex,
                                                                     "name")));
    const char *state = task_state(ex, index);
    bool started = strcmp(state, "Pending") != 0;
    bool done = strcmp(state, "Running") != 0 && started;
    char id[200];
    char jbuf[160];
    json_t *status;
    json_t *meta;

    snprintf(id, sizeof(id), "%s-task%lld", eid != NULL ? eid : "",
             (long long)index);
    meta = run_v1_meta(ex, id, w);
    json_object_del(meta, "uid");
    status = json_pack("{s:I,s:i,s:[{s:s,s:s}]}", "index",
                       (json_int_t)index, "retried", 0, "conditions", "type",
                       "Started", "status", started ? "True" : "Unknown");
    if (meta == NULL || status == NULL) {
        json_decref(meta);
        json_decref(status);
        return NULL;
    }
    json_t *labels = json_object_get(meta, "labels");
    json_object_set_new(labels, RUN_V1_LABEL_JOB,
                        json_string(job_of(ex, jbuf, sizeof(jbuf))));
    json_object_set_new(labels, RUN_V1_LABEL_EXECUTION,
                        json_string(eid != NULL ? eid : ""));
    json_object_set_new(labels, RUN_V1_LABEL_TASK_STATE,
                        json_string(state));
    json_object_set_new(labels, "run.googleapis.com/taskIndex",
                        json_sprintf("%lld", (long long)index));
    run_v1_authors_of(meta, ex, RUN_V1_GROUP_RUN);
    if (started && json_object_get(ex, "startTime") != NULL) {
        json_object_set(status, "startTime",
                        json_object_get(ex, "startTime"));
    }
    json_t *completed = json_pack("{s:s,s:s}", "type", "Completed", "status",
                                  !done ? "Unknown"
                                  : strcmp(state, "Succeeded") == 0 ? "True"
                                                                    : "False");
    const json_t *ex_done = run_v1_find_condition(
        json_object_get(ex, "conditions"), "Completed");
    if (done && strcmp(state, "Succeeded") != 0 && ex_done != NULL) {
        json_t *c = run_v1_condition(ex_done, "Completed");
        json_decref(completed);
        completed = c;
    }
    json_array_append_new(json_object_get(status, "conditions"), completed);
    if (done && json_object_get(ex, "completionTime") != NULL) {
        json_object_set(status, "completionTime",
                        json_object_get(ex, "completionTime"));
        bool ok = strcmp(state, "Succeeded") == 0;
        const char *why = json_string_value(json_object_get(ex_done,
                                                            "message"));
        json_object_set_new(status, "lastAttemptResult",
                            json_pack("{s:i,s:{s:i,s:s}}", "exitCode",
                                      ok ? 0 : 1, "status", "code",
                                      ok ? 0 : 9, "message",
                                      ok || why == NULL ? "" : why));
    }
    return json_pack("{s:s,s:s,s:o,s:o,s:o}", "apiVersion", RUN_V1_RUN,
                     "kind", "Task", "metadata", meta, "spec",
                     run_v1_spec_of(json_object_get(ex, "template"),
                                    &task_spec),
                     "status", status);
}
