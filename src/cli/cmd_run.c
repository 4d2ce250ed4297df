/*
 * `vouch run …`: the command tables of the run platform's commands, with
 * gcloud's names: `run deploy`, `run services|revisions|jobs|executions
 * …` (run.h has the behaviour and the exit statuses).
 */
#include "run.h"

static int services_list(int argc, char **argv, cli_globals *g)
{
    return run_list(argc, argv, g, RUN_SERVICE);
}

static int services_describe(int argc, char **argv, cli_globals *g)
{
    return run_describe(argc, argv, g, RUN_SERVICE);
}

static int revisions_list(int argc, char **argv, cli_globals *g)
{
    return run_list(argc, argv, g, RUN_REVISION);
}

static int revisions_describe(int argc, char **argv, cli_globals *g)
{
    return run_describe(argc, argv, g, RUN_REVISION);
}

static int jobs_list(int argc, char **argv, cli_globals *g)
{
    return run_list(argc, argv, g, RUN_JOB);
}

static int jobs_describe(int argc, char **argv, cli_globals *g)
{
    return run_describe(argc, argv, g, RUN_JOB);
}

static int executions_list(int argc, char **argv, cli_globals *g)
{
    return run_list(argc, argv, g, RUN_EXECUTION);
}

static int executions_describe(int argc, char **argv, cli_globals *g)
{
    return run_describe(argc, argv, g, RUN_EXECUTION);
}

static const cli_command services_commands[] = {
    {"list", services_list, "list the services of the region"},
    {"describe", services_describe, "print a service"},
    {NULL, NULL, NULL},
};

static const cli_command revisions_commands[] = {
    {"list", revisions_list, "list revisions (--service S)"},
    {"describe", revisions_describe, "print a revision"},
    {NULL, NULL, NULL},
};

static const cli_command jobs_commands[] = {
    {"create", run_jobs_create, "create a job"},
    {"update", run_jobs_update, "change a job's images or Binary "
                                "Authorization"},
    {"execute", run_jobs_execute, "start an execution (checked by policy)"},
    {"list", jobs_list, "list the jobs of the region"},
    {"describe", jobs_describe, "print a job"},
    {NULL, NULL, NULL},
};

static const cli_command executions_commands[] = {
    {"list", executions_list, "list executions (--job J)"},
    {"describe", executions_describe, "print an execution"},
    {"cancel", run_executions_cancel, "cancel a running execution"},
    {NULL, NULL, NULL},
};

static int run_services(int argc, char **argv, cli_globals *g)
{
    return cli_dispatch("run services", services_commands, argc, argv, g);
}

static int run_revisions(int argc, char **argv, cli_globals *g)
{
    return cli_dispatch("run revisions", revisions_commands, argc, argv, g);
}

static int run_jobs(int argc, char **argv, cli_globals *g)
{
    return cli_dispatch("run jobs", jobs_commands, argc, argv, g);
}

static int run_executions(int argc, char **argv, cli_globals *g)
{
    return cli_dispatch("run executions", executions_commands, argc, argv,
                        g);
}

static const cli_command run_commands[] = {
    {"deploy", run_deploy, "create or update a service (new revision)"},
    {"services", run_services, "list, describe"},
    {"revisions", run_revisions, "list, describe"},
    {"jobs", run_jobs, "create, update, execute, list, describe"},
    {"executions", run_executions, "list, describe, cancel"},
    {NULL, NULL, NULL},
};

int cmd_run(int argc, char **argv, cli_globals *g)
{
    return cli_dispatch("run", run_commands, argc, argv, g);
}
