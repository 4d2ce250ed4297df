/*
 * `vouch run …`: the run platform of vouchd (Cloud Run Admin API v2,
 * docs/run.md) from the command line, with gcloud's command and flag
 * names. Shared by run_services.c (deploy), run_jobs.c (jobs, executions),
 * run_view.c (list, describe) and cmd_run.c (the command tables).
 *
 * Exit status: 0 success; 1 when the platform refused the revision or the
 * execution (Binary Authorization denied it, or it could not be checked,
 * or an execution waited for with --wait failed): the operation's message
 * is printed as "vouch: <message>"; 2 for a usage error, an error answered
 * by the server (its message is printed), or a server that cannot be
 * reached.
 */
#ifndef VOUCH_CLI_RUN_H
#define VOUCH_CLI_RUN_H

#include "client.h"

#define RUN_NAME_MAX 700
#define RUN_MAX_IMAGES 10
#define RUN_DEFAULT_REGION "us-central1"

/* Where a command works: projects/P/locations/R. */
typedef struct run_loc {
    char prefix[RUN_NAME_MAX];
    const char *region;         /* borrowed from the globals or default */
} run_loc;

typedef enum run_kind {
    RUN_SERVICE,
    RUN_REVISION,
    RUN_JOB,
    RUN_EXECUTION
} run_kind;

/* "service", "services", "SERVICE", and the parent's flag ("--service"
 * for a revision, "--job" for an execution, else NULL). */
extern const char *const run_kind_word[];
extern const char *const run_kind_collection[];
extern const char *const run_kind_arg[];
extern const char *const run_kind_parent_flag[];

/* The flags of deploy, jobs create and jobs update. */
typedef struct run_spec {
    cli_list images;            /* --image, one per container */
    const char *binauthz;       /* --binary-authorization (only default) */
    const char *breakglass;     /* --breakglass TEXT */
    long tasks;                 /* jobs: --tasks N; -1 when not given */
    bool clear_binauthz;        /* --clear-binary-authorization */
} run_spec;

#define RUN_SPEC_INIT {{NULL, 0}, NULL, NULL, -1, false}

/* Table entries for the run_spec flags. */
#define RUN_IMAGE_FLAG(help) \
    CLI_LIST("--image", "IMAGE", run_spec, images, RUN_MAX_IMAGES, help)
#define RUN_BINAUTHZ_FLAGS \
    CLI_STRING("--binary-authorization", "default", run_spec, binauthz, 0, \
               "turn Binary Authorization on"), \
    CLI_SWITCH("--clear-binary-authorization", run_spec, clear_binauthz, \
               "turn Binary Authorization off"), \
    CLI_STRING("--breakglass", "TEXT", run_spec, breakglass, 0, \
               "run whatever the policy says, audited; for this change " \
               "only")

/* SERVICE, JOB, REVISION or EXECUTION: an id safe in a URL path. */
int run_check_id(const char *what, const char *id);

/* --project, --region (default us-central1) into `loc`. */
int run_loc_init(const cli_globals *g, run_loc *loc);

/* The full name of `id` of `kind` under `loc`; `parent` is --service or
 * --job, or NULL (then it comes from the id). */
int run_kind_name(run_kind kind, const run_loc *loc, const char *id,
                  const char *parent, char *buf, size_t size);

/* The flags of a spec that cannot go together, or a bad value. */
int run_spec_check(const run_spec *s);

/*
 * Apply the flags to `owner` (a Service or a Job): binaryAuthorization
 * and the containers of `tpl` (template, or template.template of a job).
 * A breakglass justification holds for this change only: one that is not
 * given again is removed.
 */
int run_spec_apply(const run_spec *s, json_t *owner, json_t *tpl);

/* The object at `key` of `parent`, created when absent; NULL if out of
 * memory. */
json_t *run_child_object(json_t *parent, const char *key);

/*
 * Wait for a long-running operation (GET /v2/NAME every 200 ms) until it
 * is done. The deadline is VOUCH_TIMEOUT seconds, else 600.
 */
int run_wait_operation(client *c, json_t **op);

/* The end of an operation: an `error` is printed ("vouch: <message>")
 * and makes the result CLI_DENIED (a refused revision or execution). */
int run_operation_result(const json_t *op);

/* Send `body` with `method` to `path` (POST with "?ID_PARAM=ID" when
 * `id_param` is given), wait for the operation and take its result. */
int run_change(client *c, const char *method, const char *path,
               const char *id_param, const char *id, const json_t *body,
               json_t **op);

/* Print `resource` in --format when one was asked for. */
int run_print_if_asked(const cli_globals *g, const json_t *resource);

/* A string member, or `fallback`. */
const char *run_str(const json_t *object, const char *key,
                    const char *fallback);

/* list and describe of the kind in g->variant (a run_kind; run_view.c). */
int run_list(int argc, char **argv, cli_globals *g);
int run_describe(int argc, char **argv, cli_globals *g);

/* Commands (run_services.c, run_jobs.c). */
int run_deploy(int argc, char **argv, cli_globals *g);
int run_jobs_create(int argc, char **argv, cli_globals *g);
int run_jobs_update(int argc, char **argv, cli_globals *g);
int run_jobs_execute(int argc, char **argv, cli_globals *g);
int run_executions_cancel(int argc, char **argv, cli_globals *g);

#endif /* VOUCH_CLI_RUN_H */
