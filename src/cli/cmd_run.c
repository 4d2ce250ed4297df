/*
 * `vouch run …`: the command tables of the run platform's commands, with
 * gcloud's names: `run deploy`, `run services|revisions|jobs|executions
 * …` (run.h has the behaviour and the exit statuses). list and describe
 * of every kind are one function each, told the kind by the table.
 */
#include "run.h"

static const cli_command services_commands[] = {
    {"list", run_list, "list the services of the region", RUN_SERVICE},
    {"describe", run_describe, "print a service", RUN_SERVICE},
    {NULL, NULL, NULL, 0},
};

static const cli_command revisions_commands[] = {
    {"list", run_list, "list revisions (--service S)", RUN_REVISION},
    {"describe", run_describe, "print a revision", RUN_REVISION},
    {NULL, NULL, NULL, 0},
};

static const cli_command jobs_commands[] = {
    {"create", run_jobs_create, "create a job", 0},
    {"update", run_jobs_update,
     "change a job's images or Binary Authorization", 0},
    {"execute", run_jobs_execute, "start an execution (checked by policy)",
     0},
    {"list", run_list, "list the jobs of the region", RUN_JOB},
    {"describe", run_describe, "print a job", RUN_JOB},
    {NULL, NULL, NULL, 0},
};

static const cli_command executions_commands[] = {
    {"list", run_list, "list executions (--job J)", RUN_EXECUTION},
    {"describe", run_describe, "print an execution", RUN_EXECUTION},
    {"cancel", run_executions_cancel, "cancel a running execution", 0},
    {NULL, NULL, NULL, 0},
};

/* The sub-groups: their tables, told apart by the variant. */
static int run_group(int argc, char **argv, cli_globals *g)
{
    static const struct {
        const char *name;
        const cli_command *commands;
    } groups[] = {
        {"run services", services_commands},
        {"run revisions", revisions_commands},
        {"run jobs", jobs_commands},
        {"run executions", executions_commands},
    };

    return cli_dispatch(groups[g->variant].name, groups[g->variant].commands,
                        argc, argv, g);
}

static const cli_command run_commands[] = {
    {"deploy", run_deploy, "create or update a service (new revision)", 0},
    {"services", run_group, "list, describe", 0},
    {"revisions", run_group, "list, describe", 1},
    {"jobs", run_group, "create, update, execute, list, describe", 2},
    {"executions", run_group, "list, describe, cancel", 3},
    {NULL, NULL, NULL, 0},
};

int cmd_run(int argc, char **argv, cli_globals *g)
{
    return cli_dispatch("run", run_commands, argc, argv, g);
}
