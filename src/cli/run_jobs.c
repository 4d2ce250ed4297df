/*
 * `vouch run jobs create|update|execute` and `vouch run executions
 * cancel`: jobs, whose every execution is checked against the policy when
 * it starts (run.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* The flags of jobs create and jobs update. */
static const cli_flag job_flags[] = {
    RUN_IMAGE_FLAG("one container each (create needs one; update replaces "
                   "the job's images)"),
    CLI_NUMBER("--tasks", "N", run_spec, tasks, 1, 10000,
               "tasks of each execution"),
    RUN_BINAUTHZ_FLAGS,
    CLI_END,
};

#define JOB_WRITE_ABOUT \
    " Creating and updating succeed whatever the images; each execution " \
    "is checked against the policy when it starts ('vouch run jobs " \
    "execute'). --breakglass TEXT lets the executions of this version of " \
    "the job run whatever the policy says (audited); it is removed by the " \
    "next update that does not repeat it."

static const cli_spec create_spec = {
    "vouch run jobs create", "JOB", 1, 1, false, job_flags,
    "Create a job." JOB_WRITE_ABOUT,
};

static const cli_spec update_spec = {
    "vouch run jobs update", "JOB", 1, 1, false, job_flags,
    "Update a job." JOB_WRITE_ABOUT,
};

/* The job to send: a new one, or the stored one, with the flags. */
static int job_body(const run_spec *spec, json_t *job)
{
    json_t *exec_tpl = job != NULL ? run_child_object(job, "template")
                                   : NULL;
    json_t *task_tpl = exec_tpl != NULL
                           ? run_child_object(exec_tpl, "template")
                           : NULL;

    if (task_tpl == NULL ||
        (spec->tasks > 0 &&
         json_object_set_new(exec_tpl, "taskCount",
                             json_integer(spec->tasks)) != 0)) {
        return cli_fail("out of memory");
    }
    return run_spec_apply(spec, job, task_tpl);
}

static int job_write(int argc, char **argv, cli_globals *g, bool create)
{
    run_spec spec = RUN_SPEC_INIT;
    cli_list id;
    run_loc loc;
    char path[RUN_NAME_MAX + 80];
    client *c = NULL;
    json_t *job = NULL;
    json_t *op = NULL;
    int rc;

    rc = cli_parse(create ? &create_spec : &update_spec, argc, argv, g,
                   &spec, &id);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if ((rc = run_check_id("JOB", id.items[0])) != CLI_OK ||
        (rc = run_spec_check(&spec)) != CLI_OK) {
        return rc;
    }
    if (create && spec.images.count == 0) {
        return cli_fail("jobs create needs --image");
    }
    if ((rc = run_loc_init(g, &loc)) != CLI_OK ||
        (rc = client_new(&c, g)) != CLI_OK) {
        return rc;
    }
    if (create) {
        snprintf(path, sizeof(path), "/v2/%s/jobs", loc.prefix);
        job = json_object();
    } else {
        snprintf(path, sizeof(path), "/v2/%s/jobs/%s", loc.prefix,
                 id.items[0]);
        rc = client_call(c, "GET", path, NULL, NULL, &job);
    }
    if (rc == CLI_OK) {
        rc = job_body(&spec, job);
    }
    if (rc == CLI_OK) {
        rc = run_change(c, "PATCH", path, create ? "jobId" : NULL,
                        id.items[0], job, &op);
    }
    if (rc == CLI_OK) {
        cli_note("Job [%s] has been %s.", id.items[0],
                 create ? "created" : "updated");
        rc = run_print_if_asked(g, json_object_get(op, "response"));
    }
    json_decref(job);
    json_decref(op);
    client_free(c);
    return rc;
}

int run_jobs_create(int argc, char **argv, cli_globals *g)
{
    return job_write(argc, argv, g, true);
}

int run_jobs_update(int argc, char **argv, cli_globals *g)
{
    return job_write(argc, argv, g, false);
}

/* ---- jobs execute ---- */

typedef struct execute_opts {
    const char *args;
    const char *env;
    const char *tasks;
    const char *timeout;
    bool wait;
} execute_opts;

static const cli_flag execute_flags[] = {
    CLI_SWITCH("--wait", execute_opts, wait,
               "wait until the execution has finished (exit 1 if it "
               "failed)"),
    CLI_STRING("--args", "A,B", execute_opts, args, 0,
               "arguments of the first container, for this execution"),
    CLI_STRING("--update-env-vars", "K=V,...", execute_opts, env, 0,
               "environment variables, for this execution"),
    CLI_STRING("--tasks", "N", execute_opts, tasks, 0,
               "tasks, for this execution"),
    CLI_STRING("--task-timeout", "SECONDS", execute_opts, timeout, 0,
               "timeout of each task, for this execution"),
    CLI_END,
};

static const cli_spec execute_spec = {
    "vouch run jobs execute", "JOB", 1, 1, false, execute_flags,
    "Start an execution of the job. Its images are checked against the "
    "current policy now; a refused execution prints the reason and exits "
    "1. --args, --update-env-vars, --tasks and --task-timeout change this "
    "execution only (its first container), never the job.",
};

/* Split "a,b,c" into a JSON array of strings (empty items kept). */
static json_t *comma_list(const char *text)
{
    json_t *out = json_array();
    const char *p = text;

    while (out != NULL) {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);

        if (json_array_append_new(out, json_stringn(p, n)) < 0) {
            json_decref(out);
            return NULL;
        }
        if (comma == NULL) {
            break;
        }
        p = comma + 1;
    }
    return out;
}

/* --update-env-vars as [{"name":K,"value":V}...]; items must be K=V. */
static int env_list(const char *env, json_t **out)
{
    json_t *items = comma_list(env);
    json_t *vars = json_array();
    size_t i;
    json_t *it;
    int rc = items != NULL && vars != NULL ? CLI_OK
                                           : cli_fail("out of memory");

    json_array_foreach(items, i, it) {
        const char *kv = json_string_value(it);
        const char *eq = strchr(kv, '=');

        if (rc != CLI_OK) {
            break;
        }
        if (eq == NULL || eq == kv) {
            rc = cli_fail("--update-env-vars: '%s' is not NAME=VALUE", kv);
            break;
        }
        json_array_append_new(vars, json_pack("{s:s%,s:s}", "name", kv,
                                              (size_t)(eq - kv), "value",
                                              eq + 1));
    }
    json_decref(items);
    *out = rc == CLI_OK ? vars : NULL;
    if (rc != CLI_OK) {
        json_decref(vars);
    }
    return rc;
}

/*
 * RunJobRequest.overrides from the flags, into `body` (nothing when none
 * was given). --tasks and --task-timeout are checked by the server, which
 * names the field.
 */
static int execute_overrides(json_t *body, const execute_opts *o)
{
    json_t *ov;
    json_t *co;
    json_t *vars = NULL;
    char *end = NULL;
    int rc;

    if (o->args == NULL && o->env == NULL && o->tasks == NULL &&
        o->timeout == NULL) {
        return CLI_OK;
    }
    if (o->env != NULL && (rc = env_list(o->env, &vars)) != CLI_OK) {
        return rc;
    }
    ov = json_object();
    co = json_object();
    if (ov == NULL || co == NULL ||
        json_object_set_new(body, "overrides", ov) < 0) {
        json_decref(co);
        json_decref(vars);
        return cli_fail("out of memory");
    }
    if (o->args != NULL) {
        json_object_set_new(co, "args", comma_list(o->args));
    }
    if (vars != NULL) {
        json_object_set_new(co, "env", vars);
    }
    if (json_object_size(co) > 0) {
        json_object_set_new(ov, "containerOverrides", json_pack("[o]", co));
    } else {
        json_decref(co);
    }
    if (o->tasks != NULL) {
        long n = strtol(o->tasks, &end, 10);

        if (end == o->tasks || *end != '\0') {
            return cli_fail("--tasks: '%s' is not a number", o->tasks);
        }
        json_object_set_new(ov, "taskCount", json_integer(n));
    }
    if (o->timeout != NULL) {
        /* Seconds, with or without the "s" of a Duration. */
        size_t n = strlen(o->timeout);

        json_object_set_new(ov, "timeout",
                            n > 0 && o->timeout[n - 1] == 's'
                                ? json_string(o->timeout)
                                : json_sprintf("%ss", o->timeout));
    }
    return CLI_OK;
}

int run_jobs_execute(int argc, char **argv, cli_globals *g)
{
    execute_opts o = {0};
    cli_list id;
    run_loc loc;
    client *c = NULL;
    json_t *body = NULL;
    json_t *op = NULL;
    const json_t *ex;
    int rc;

    rc = cli_parse(&execute_spec, argc, argv, g, &o, &id);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if ((rc = run_check_id("JOB", id.items[0])) != CLI_OK ||
        (rc = run_loc_init(g, &loc)) != CLI_OK ||
        (rc = client_new(&c, g)) != CLI_OK) {
        return rc;
    }
    body = json_object();
    rc = body != NULL ? execute_overrides(body, &o)
                      : cli_fail("out of memory");
    if (rc == CLI_OK) {
        char path[RUN_NAME_MAX + 80];

        snprintf(path, sizeof(path), "/v2/%s/jobs/%s:run", loc.prefix,
                 id.items[0]);
        rc = client_call(c, "POST", path, NULL, body, &op);
    }
    if (rc == CLI_OK && o.wait) {
        rc = run_wait_operation(c, &op);
    }
    if (rc == CLI_OK) {
        ex = json_object_get(op, "response");
        ex = ex != NULL ? ex : json_object_get(op, "metadata");
        rc = run_operation_result(op);
    }
    if (rc == CLI_OK) {
        cli_note("Execution [%s] has %s.",
                 client_name_id(run_str(ex, "name", "?")),
                 json_is_true(json_object_get(op, "done"))
                     ? "successfully completed"
                     : "successfully started running");
        rc = run_print_if_asked(g, ex);
    }
    json_decref(body);
    json_decref(op);
    client_free(c);
    return rc;
}

/* ---- executions cancel ---- */

typedef struct cancel_opts {
    const char *job;
} cancel_opts;

static const cli_flag cancel_flags[] = {
    CLI_STRING("--job", "JOB", cancel_opts, job, 0,
               "the execution's job (default: from its id)"),
    CLI_END,
};

static const cli_spec cancel_spec = {
    "vouch run executions cancel", "EXECUTION", 1, 1, false, cancel_flags,
    "Cancel a running execution (its process group is killed).",
};

int run_executions_cancel(int argc, char **argv, cli_globals *g)
{
    cancel_opts o = {NULL};
    cli_list id;
    run_loc loc;
    char name[RUN_NAME_MAX];
    char path[RUN_NAME_MAX + 16];
    client *c = NULL;
    json_t *body = NULL;
    json_t *op = NULL;
    int rc;

    rc = cli_parse(&cancel_spec, argc, argv, g, &o, &id);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if ((rc = run_loc_init(g, &loc)) != CLI_OK ||
        (rc = run_kind_name(RUN_EXECUTION, &loc, id.items[0], o.job, name,
                            sizeof(name))) != CLI_OK ||
        (rc = client_new(&c, g)) != CLI_OK) {
        return rc;
    }
    body = json_object();
    snprintf(path, sizeof(path), "/v2/%s:cancel", name);
    rc = body != NULL ? run_change(c, "POST", path, NULL, NULL, body, &op)
                      : cli_fail("out of memory");
    if (rc == CLI_DENIED) {
        rc = CLI_USAGE;     /* a cancel the server refused */
    }
    if (rc == CLI_OK) {
        cli_note("Execution [%s] has been cancelled.", id.items[0]);
        rc = run_print_if_asked(g, json_object_get(op, "response"));
    }
    json_decref(body);
    json_decref(op);
    client_free(c);
    return rc;
}
