/*
 * vouchd — Cloud Run Admin v1 handlers of jobs, executions and tasks
 * (docs/gcloud.md), over the platform functions the v2 handlers call.
 * POST …/jobs/J:run answers with the Execution itself (v1), not an
 * Operation; a denied execution is still a 200 whose conditions say why.
 *
 * Routes: /apis/run.googleapis.com/v1/namespaces/{p}/jobs[/{j}],
 * …/executions[/{e}], …/tasks[/{t}]; the location comes from the Host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "labelsel.h"
#include "platform.h"
#include "run_v1.h"
#include "server.h"

RUN_V1_CONV_OF(conv_job, run_v1_job_of)
RUN_V1_CONV_OF(conv_execution, run_v1_execution_of)

static const run_v1_writer job_writer = {
    run_v1_job_to_v2, vouch_platform_job_create, vouch_platform_job_update,
};

/* POST (create) or PUT (replace) of a job. */
static int write_job(api_request *req, bool replace)
{
    run_v1_call c;
    int rc;

    run_v1_call_begin(req, &c);
    rc = run_v1_write(req, &c.w, &job_writer, replace, &c.ctx, &c.op,
                      &c.err);
    rc = run_v1_finish_op(req, &c, rc, run_v1_job_of);
    json_decref(c.op);
    return rc;
}

int api_v1_create_job(api_request *req)
{
    return write_job(req, false);
}

int api_v1_replace_job(api_request *req)
{
    return write_job(req, true);
}

/* The stored job `w->id`. */
static int find_job(api_request *req, const run_v1_where *w, json_t **out,
                    vouch_error *err)
{
    char name[512];

    snprintf(name, sizeof(name), "%s/jobs/%s", w->parent, w->id);
    return run_v1_load(req, VSVC_JOB, name, out, err);
}

int api_v1_get_job(api_request *req)
{
    return run_v1_respond_get(req, find_job, conv_job, NULL);
}

static const run_v1_list_spec job_list = {
    .kind = VSVC_JOB, .conv = conv_job, .api_version = RUN_V1_RUN,
    .list_kind = "JobsList",
};

int api_v1_list_jobs(api_request *req)
{
    return run_v1_list_in(req, &job_list, NULL, NULL);
}

int api_v1_delete_job(api_request *req)
{
    return run_v1_delete(req, "jobs", vouch_platform_job_delete);
}

int api_v1_run_job(api_request *req)
{
    run_v1_call c;
    json_t *in = NULL;
    json_t *body = NULL;
    char *text = NULL;
    int rc = 0;

    run_v1_call_begin(req, &c);
    if (req->body_len > 0) {
        rc = run_v1_parse_body(req, &in, &c.err);
    } else {
        in = json_object();
    }
    if (rc == 0) {
        rc = run_v1_run_to_v2(in, &body, &c.err);
    }
    if (rc == 0) {
        text = json_dumps(body, JSON_COMPACT);
        rc = text != NULL ? 0 : vutil_enomem(&c.err);
    }
    if (rc == 0) {
        rc = vouch_platform_job_run(&c.ctx, c.w.project, c.w.location,
                                    c.w.id, text, strlen(text), &c.op,
                                    &c.err);
    }
    rc = run_v1_finish_op(req, &c, rc, run_v1_execution_of);
    free(text);
    json_decref(in);
    json_decref(body);
    json_decref(c.op);
    return rc;
}

/* ---- executions ---- */

/* Execution w->id of the location; "J-abc12" is one of job J's. */
static int find_execution(api_request *req, const run_v1_where *w,
                          json_t **out, vouch_error *err)
{
    return run_v1_find(req, w, VSVC_EXECUTION, "jobs", "executions",
                       "-?????", out, err);
}

int api_v1_get_execution(api_request *req)
{
    return run_v1_respond_get(req, find_execution, conv_execution, NULL);
}

static const run_v1_list_spec execution_list = {
    .kind = VSVC_EXECUTION, .conv = conv_execution,
    .api_version = RUN_V1_RUN, .list_kind = "ExecutionsList",
};

int api_v1_list_executions(api_request *req)
{
    return run_v1_list_in(req, &execution_list, "jobs", RUN_V1_LABEL_JOB);
}

/* Cancel (`cancel`) or delete an execution. */
static int end_execution(api_request *req, bool cancel)
{
    run_v1_call c;
    json_t *ex = NULL;
    json_t *v1 = NULL;
    char jbuf[160];
    int rc;

    run_v1_call_begin(req, &c);
    rc = find_execution(req, &c.w, &ex, &c.err);
    const char *job = json_string_value(json_object_get(ex, "job"));
    snprintf(jbuf, sizeof(jbuf), "%s", job != NULL ? job : "");
    if (rc == 0 && cancel) {
        rc = vouch_platform_execution_cancel(&c.ctx, c.w.project,
                                             c.w.location, jbuf, c.w.id,
                                             &c.op, &c.err);
    } else if (rc == 0) {
        rc = vouch_platform_execution_delete(&c.ctx, c.w.project,
                                             c.w.location, jbuf, c.w.id,
                                             &c.op, &c.err);
    }
    if (cancel) {
        rc = run_v1_finish_op(req, &c, rc, run_v1_execution_of);
    } else {
        if (rc == 0) {
            v1 = run_v1_deleted("executions", c.w.id, ex);
            rc = v1 != NULL ? 0 : VOUCH_ENOMEM;
        }
        rc = run_v1_finish(req, rc, v1, &c.ctx, &c.err);
    }
    json_decref(ex);
    json_decref(c.op);
    return rc;
}

int api_v1_delete_execution(api_request *req)
{
    return end_execution(req, false);
}

int api_v1_cancel_execution(api_request *req)
{
    return end_execution(req, true);
}

/* ---- tasks: views of their execution ---- */

/* "E-task3" -> E and 3. */
static bool parse_task_id(const char *id, char *exec, size_t size,
                          json_int_t *index)
{
    const char *at = strstr(id, "-task");
    const char *last = at;
    json_int_t n = 0;

    while (at != NULL) {
        last = at;
        at = strstr(at + 1, "-task");
    }
    if (last == NULL || last[5] == '\0' || (size_t)(last - id) >= size) {
        return false;
    }
    for (const char *p = last + 5; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || n > 100000) {
            return false;
        }
        n = n * 10 + (*p - '0');
    }
    memcpy(exec, id, (size_t)(last - id));
    exec[last - id] = '\0';
    *index = n;
    return true;
}

int api_v1_get_task(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    run_v1_where w;
    char exec[160];
    json_int_t index = 0;
    json_t *ex = NULL;
    json_t *v1;
    int rc;

    run_v1_where_of(req, &w);
    if (!parse_task_id(w.id, exec, sizeof(exec), &index)) {
        return api_respond_error(req, VOUCH_ENOTFOUND, "task %s not found in "
                                 "%s", w.id, w.parent);
    }
    const char *task_id = w.id;
    w.id = exec;
    rc = find_execution(req, &w, &ex, &err);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, NULL);
    }
    json_int_t count = json_object_get(ex, "taskCount") != NULL
                           ? json_integer_value(json_object_get(ex,
                                                                "taskCount"))
                           : 1;
    if (index >= count) {
        json_decref(ex);
        return api_respond_error(req, VOUCH_ENOTFOUND, "task %s not found in "
                                 "%s", task_id, w.parent);
    }
    v1 = run_v1_task_of(ex, index, &w);
    json_decref(ex);
    return api_respond_built(req, v1);
}

/* The tasks of one execution (the labelSelector must name it), paged by
 * index. */
int api_v1_list_tasks(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    run_v1_where w;
    run_v1_list_args args;
    json_t *ex = NULL;
    json_t *items = NULL;
    json_int_t from = 0;
    json_int_t i;
    char next[32];
    int rc;

    run_v1_where_of(req, &w);
    if (run_v1_list_args_of(req, &args) < 0) {
        return 0;
    }
    const char *exec = api_labelsel_pinned(args.selector,
                                           RUN_V1_LABEL_EXECUTION);
    if (exec == NULL) {
        rc = api_respond_error(req, VOUCH_EINVAL, "labelSelector: "
                               "name the execution ("
                               RUN_V1_LABEL_EXECUTION " = E)");
        goto cleanup;
    }
    if (args.token != NULL && args.token[0] != '\0') {
        json_t *t = json_string(args.token);
        rc = run_v1_int(t, "continue", 0, 100000, 0, &from, &err);
        json_decref(t);
        if (rc < 0) {
            rc = api_respond_error(req, VOUCH_EINVAL, "%s",
                                   err.message);
            goto cleanup;
        }
    }
    w.id = exec;
    rc = find_execution(req, &w, &ex, &err);
    if (rc < 0) {
        rc = api_respond_vouch_error(req, &err, NULL);
        goto cleanup;
    }
    json_int_t count = json_object_get(ex, "taskCount") != NULL
                           ? json_integer_value(json_object_get(ex,
                                                                "taskCount"))
                           : 1;
    items = json_array();
    next[0] = '\0';
    for (i = from; items != NULL && i < count; i++) {
        if (json_array_size(items) == args.limit) {
            snprintf(next, sizeof(next), "%lld", (long long)i);
            break;
        }
        json_t *task = run_v1_task_of(ex, i, &w);
        if (task == NULL) {
            json_decref(items);
            items = NULL;
            break;
        }
        if (api_labelsel_match(args.selector,
                               json_object_get(json_object_get(task,
                                                               "metadata"),
                                               "labels"))) {
            json_array_append_new(items, task);
        } else {
            json_decref(task);
        }
    }
    rc = items != NULL
             ? run_v1_respond_list(req, RUN_V1_RUN, "TasksList", items,
                                   next[0] != '\0' ? next : NULL)
             : VOUCH_ENOMEM;

cleanup:
    json_decref(ex);
    run_v1_list_args_clear(&args);
    return rc;
}
