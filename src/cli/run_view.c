/*
 * `vouch run services|revisions|jobs|executions list|describe`: one
 * resource in --format, or a table of them (run.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* --service of a revision, --job of an execution; --show-conformance. */
typedef struct parent_opts {
    const char *parent;
    bool conformance;
} parent_opts;

static const cli_flag conformance_flag[] = {
    CLI_SWITCH("--show-conformance", parent_opts, conformance,
               "check against the current policy now; add a CONFORMS "
               "column"),
    CLI_END,
};

static const cli_flag service_flag[] = {
    CLI_STRING("--service", "SERVICE", parent_opts, parent, 0,
               "the revisions' service"),
    CLI_END,
};

static const cli_flag job_flag[] = {
    CLI_STRING("--job", "JOB", parent_opts, parent, 0,
               "the executions' job"),
    CLI_END,
};

static const cli_spec describe_specs[] = {
    {"vouch run services describe", "SERVICE", 1, 1, false, NULL,
     "Print the service (default YAML; --format json)."},
    {"vouch run revisions describe", "REVISION", 1, 1, false, service_flag,
     "Print the revision (default YAML; --format json). Its service is "
     "taken from its id (SERVICE-00002-abc) unless --service is given."},
    {"vouch run jobs describe", "JOB", 1, 1, false, NULL,
     "Print the job (default YAML; --format json)."},
    {"vouch run executions describe", "EXECUTION", 1, 1, false, job_flag,
     "Print the execution (default YAML; --format json). Its job is taken "
     "from its id (JOB-x7k2p) unless --job is given."},
};

static const cli_spec list_specs[] = {
    {"vouch run services list", NULL, 0, 0, false, conformance_flag,
     "List the services of the region (a table; --format json|yaml prints "
     "the resources). --show-conformance first checks every serving "
     "revision against the current policy (continuous validation: "
     "docs/run.md) and shows whether each service's do conform; a "
     "service that does not keeps running."},
    {"vouch run revisions list", NULL, 0, 0, false, service_flag,
     "List the revisions of --service, else of every service (a table; "
     "--format json|yaml prints the resources)."},
    {"vouch run jobs list", NULL, 0, 0, false, conformance_flag,
     "List the jobs of the region (a table; --format json|yaml prints the "
     "resources). --show-conformance first checks every job's template "
     "against the current policy and shows whether it conforms."},
    {"vouch run executions list", NULL, 0, 0, false, job_flag,
     "List the executions of --job, else of every job (a table; --format "
     "json|yaml prints the resources)."},
};

int run_describe(int argc, char **argv, cli_globals *g)
{
    run_kind kind = (run_kind)g->variant;
    parent_opts o = {NULL, false};
    cli_list id;
    run_loc loc;
    char name[RUN_NAME_MAX];
    char path[RUN_NAME_MAX + 8];
    client *c = NULL;
    json_t *res = NULL;
    int rc;

    rc = cli_parse(&describe_specs[kind], argc, argv, g, &o, &id);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if ((rc = run_loc_init(g, &loc)) != CLI_OK ||
        (rc = run_kind_name(kind, &loc, id.items[0], o.parent, name,
                            sizeof(name))) != CLI_OK ||
        (rc = client_new(&c, g)) != CLI_OK) {
        return rc;
    }
    snprintf(path, sizeof(path), "/v2/%s", name);
    rc = client_call(c, "GET", path, NULL, NULL, &res);
    if (rc == CLI_OK) {
        rc = client_print(g, res, VOUCH_FORMAT_YAML, CLIENT_GENERIC);
    }
    json_decref(res);
    client_free(c);
    return rc;
}

/* ---- the tables ---- */

static const char *state_word(const json_t *cond)
{
    const char *state = run_str(cond, "state", "");

    if (strcmp(state, "CONDITION_SUCCEEDED") == 0) {
        return "True";
    }
    if (strcmp(state, "CONDITION_FAILED") == 0) {
        return "False";
    }
    return "Unknown";
}

/* The condition of `type` in conditions[], or NULL. */
static const json_t *condition(const json_t *resource, const char *type)
{
    const json_t *conds = json_object_get(resource, "conditions");
    size_t i;
    json_t *c;

    json_array_foreach(conds, i, c) {
        if (strcmp(run_str(c, "type", ""), type) == 0) {
            return c;
        }
    }
    return NULL;
}

/* The image of the first container of a template. */
static const char *first_image(const json_t *tpl)
{
    return run_str(json_array_get(json_object_get(tpl, "containers"), 0),
                   "image", "");
}

static const char *execution_status(const json_t *ex)
{
    const char *state = run_str(condition(ex, "Completed"), "state", "");

    if (json_integer_value(json_object_get(ex, "cancelledCount")) > 0) {
        return "Cancelled";
    }
    if (strcmp(state, "CONDITION_SUCCEEDED") == 0) {
        return "Succeeded";
    }
    if (strcmp(state, "CONDITION_FAILED") == 0) {
        return "Failed";
    }
    return "Running";
}

static void service_cells(const json_t *it, const char **cols, char *scratch,
                          size_t size)
{
    (void)scratch;
    (void)size;
    cols[0] = client_name_id(run_str(it, "name", "?"));
    cols[1] = state_word(json_object_get(it, "terminalCondition"));
    cols[2] = client_name_id(run_str(it, "latestReadyRevision", "-"));
    cols[3] = run_str(it, "uri", "");
}

static void revision_cells(const json_t *it, const char **cols,
                           char *scratch, size_t size)
{
    (void)scratch;
    (void)size;
    cols[0] = client_name_id(run_str(it, "name", "?"));
    cols[1] = state_word(condition(it, "Ready"));
    cols[2] = run_str(it, "service", "");
    cols[3] = first_image(it);
    cols[4] = run_str(it, "creator", "-");
}

static void job_cells(const json_t *it, const char **cols, char *scratch,
                      size_t size)
{
    (void)scratch;
    (void)size;
    cols[0] = client_name_id(run_str(it, "name", "?"));
    cols[1] = state_word(json_object_get(it, "terminalCondition"));
    cols[2] = client_name_id(
        run_str(json_object_get(it, "latestCreatedExecution"), "name", "-"));
    cols[3] = first_image(
        json_object_get(json_object_get(it, "template"), "template"));
}

static void execution_cells(const json_t *it, const char **cols,
                            char *scratch, size_t size)
{
    (void)scratch;
    (void)size;
    cols[0] = client_name_id(run_str(it, "name", "?"));
    cols[1] = run_str(it, "job", "");
    cols[2] = execution_status(it);
    cols[3] = first_image(json_object_get(it, "template"));
    cols[4] = run_str(it, "creator", "-");
}

/* The CONFORMS column: True, False (with how many revisions), or "-"
 * for a resource continuous validation does not check (Binary
 * Authorization off). */
static const char *conforms(const json_t *it, char *scratch, size_t size)
{
    const json_t *conf = json_object_get(it, "conformance");
    size_t bad = json_array_size(json_object_get(conf,
                                                 "nonConformingRevisions"));

    if (conf == NULL) {
        return "-";
    }
    if (json_is_true(json_object_get(conf, "conforming"))) {
        return "True";
    }
    if (bad == 0) {
        return "False";
    }
    snprintf(scratch, size, "False (%zu revision%s)", bad,
             bad == 1 ? "" : "s");
    return scratch;
}

static void service_conformance_cells(const json_t *it, const char **cols,
                                      char *scratch, size_t size)
{
    service_cells(it, cols, scratch, size);
    cols[4] = conforms(it, scratch, size);
}

static void job_conformance_cells(const json_t *it, const char **cols,
                                  char *scratch, size_t size)
{
    job_cells(it, cols, scratch, size);
    cols[4] = conforms(it, scratch, size);
}

static int print_table(run_kind kind, const json_t *items, bool conformance)
{
    static const char *const heads[][5] = {
        {"SERVICE", "READY", "LATEST_REVISION", "URL", "CONFORMS"},
        {"REVISION", "READY", "SERVICE", "IMAGE", "DEPLOYED_BY"},
        {"JOB", "READY", "LAST_EXECUTION", "IMAGE", "CONFORMS"},
        {"EXECUTION", "JOB", "STATUS", "IMAGE", "RUN_BY"},
    };
    static const client_cells_fn cells[] = {
        service_cells, revision_cells, job_cells, execution_cells,
    };

    if (conformance) {
        return client_table(heads[kind], 5, NULL, items,
                            kind == RUN_SERVICE ? service_conformance_cells
                                                : job_conformance_cells);
    }
    /* Revisions and executions say who made them ("-": anonymous). */
    bool by = kind == RUN_REVISION || kind == RUN_EXECUTION;
    return client_table(heads[kind], by ? 5 : 4, NULL, items, cells[kind]);
}

/* Every revision of every service, or every execution of every job. */
static int list_every_parent(client *c, const run_loc *loc, run_kind kind,
                             json_t *items)
{
    const char *pcoll = kind == RUN_REVISION ? "services" : "jobs";
    char path[RUN_NAME_MAX + 80];
    json_t *parents = NULL;
    size_t i;
    json_t *p;
    int rc;

    snprintf(path, sizeof(path), "/v2/%s/%s", loc->prefix, pcoll);
    rc = client_list_all(c, path, NULL, pcoll, &parents);
    json_array_foreach(parents, i, p) {
        const char *pname = run_str(p, "name", NULL);
        json_t *some = NULL;

        if (rc != CLI_OK || pname == NULL || strlen(pname) > RUN_NAME_MAX) {
            continue;
        }
        snprintf(path, sizeof(path), "/v2/%s/%s", pname,
                 run_kind_collection[kind]);
        rc = client_list_all(c, path, NULL, run_kind_collection[kind],
                             &some);
        if (rc == CLI_OK && json_array_size(items) + json_array_size(some) >
                                CLIENT_LIST_MAX_ITEMS) {
            rc = cli_fail("more than %u %s; stopping", CLIENT_LIST_MAX_ITEMS,
                          run_kind_collection[kind]);
        }
        if (rc == CLI_OK) {
            json_array_extend(items, some);
        }
        json_decref(some);
    }
    json_decref(parents);
    return rc;
}

int run_list(int argc, char **argv, cli_globals *g)
{
    run_kind kind = (run_kind)g->variant;
    parent_opts o = {NULL, false};
    const char *pflag = run_kind_parent_flag[kind];
    run_loc loc;
    char path[RUN_NAME_MAX + 80];
    client *c = NULL;
    json_t *items = NULL;
    int rc;

    rc = cli_parse(&list_specs[kind], argc, argv, g, &o, NULL);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if ((rc = run_loc_init(g, &loc)) != CLI_OK ||
        (o.parent != NULL &&
         (rc = run_check_id(pflag, o.parent)) != CLI_OK) ||
        (rc = client_new(&c, g)) != CLI_OK) {
        return rc;
    }
    if (pflag == NULL || o.parent != NULL) {
        if (pflag == NULL) {
            snprintf(path, sizeof(path), "/v2/%s/%s", loc.prefix,
                     run_kind_collection[kind]);
        } else {
            snprintf(path, sizeof(path), "/v2/%s/%s/%s/%s", loc.prefix,
                     kind == RUN_REVISION ? "services" : "jobs", o.parent,
                     run_kind_collection[kind]);
        }
        rc = client_list_all(c, path,
                             o.conformance ? "showConformance=true" : NULL,
                             run_kind_collection[kind], &items);
    } else {
        items = json_array();
        rc = items != NULL ? list_every_parent(c, &loc, kind, items)
                           : cli_fail("out of memory");
    }
    if (rc == CLI_OK && g->format != NULL && strcmp(g->format, "text") != 0) {
        rc = client_print(g, items, VOUCH_FORMAT_YAML, CLIENT_GENERIC);
    } else if (rc == CLI_OK) {
        rc = print_table(kind, items, o.conformance);
    }
    json_decref(items);
    client_free(c);
    return rc;
}
