/*
 * vouch run platform — helpers shared by the platform's files (not used
 * outside src/platform/).
 */
#ifndef VOUCH_PLATFORM_INTERNAL_H
#define VOUCH_PLATFORM_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "platform.h"
#include "runtime.h"
#include "vsvc_internal.h"
#include "vutil_error.h"
#include "vutil_random.h"
#include "vutil_str.h"
#include "vutil_time.h"

/* The non-conforming findings of one project (conformance.c). */
typedef struct plat_cv_row {
    char project[VUTIL_ID_MAX + 1];
    uint64_t revisions;
    uint64_t jobs;
} plat_cv_row;

struct vouch_platform {
    vouch_store *store;
    vouch_registry *registry;
    const vouch_policy *system_policy;
    vouch_verify_cache *cache;
    vouch_runtime *runtime;
    vsvc *service;           /* may be NULL */
    pthread_mutex_t cv_lock; /* guards cv_rows, the /metrics gauge */
    plat_cv_row *cv_rows;
    size_t cv_count;
};

/* conformance.c: the listener of policy and attestor changes
 * (vsvc_on_change; `payload` is the platform). */
void plat_conformance_on_change(vsvc_session *s, const char *project,
                                void *payload);

/* ---- operations.c: the unit of work of a call ---- */

/* Decide and write in the unit's transaction (ctx->uow, ctx->conn). */
typedef int (*plat_unit_fn)(vouch_platform_ctx *ctx, void *payload,
                            json_t **out, vouch_error *err);

/*
 * Run `fn` as one unit of work on ctx->conn (vsvc_uow.h): the images of
 * `containers` (may be NULL) are resolved before the first attempt;
 * `*out` is what the last attempt left, dropped on failure. ctx->uow is
 * set while `fn` runs.
 */
int plat_unit_run(vouch_platform_ctx *ctx, const json_t *containers,
                  plat_unit_fn fn, void *payload, json_t **out,
                  vouch_error *err);

#define PLAT_TYPE_PREFIX "type.googleapis.com/google.cloud.run.v2."

/* ---- operations.c: names, times, storing, operations ---- */

/* Is `id` a Cloud Run resource id (a-z first, a-z0-9-, no '-' last,
 * 1..VOUCH_PLATFORM_ID_MAX)? Project and location: API id characters. */
bool plat_valid_id(const char *id);
bool plat_valid_segment(const char *s);

/* Parse a request body as a JSON object (empty body: {} when
 * `empty_ok`). */
int plat_parse_body(const char *body, size_t len, bool empty_ok,
                    json_t **out, vouch_error *err);

/* Store `obj` (dumped compactly, keys sorted) as kind/name/parent,
 * creating or replacing; sets obj.etag and updateTime first when
 * `set_meta`. */
int plat_put(vouch_store_conn *conn, const char *kind, const char *name,
             const char *parent, json_t *obj, bool create,
             vouch_error *err);
/* Load a stored resource as JSON. */
int plat_load(vouch_store_conn *conn, const char *kind, const char *name,
              json_t **out, vouch_error *err);
/*
 * Check that nothing named `name` of `kind` is stored, before creating it:
 * 0 when absent; VOUCH_ECONFLICT "WHAT NAME already exists" when
 * present; the store's error otherwise.
 */
int plat_absent(vouch_store_conn *conn, const char *kind, const char *name,
                const char *what, vouch_error *err);
/*
 * An etag sent with a change must be `current`'s (NULL: nothing stored, so
 * no etag matches): VOUCH_EABORTED "etag: ... does not match the current
 * WHAT NAME" otherwise. No etag sent (NULL or "") passes.
 */
int plat_etag_check(const char *sent, const json_t *current,
                    const char *what, const char *name, vouch_error *err);

/* Set VOUCH_ENOMEM "out of memory"; returns VOUCH_ENOMEM. */
int plat_enomem(vouch_error *err);

/*
 * Build (and unless `store_it` is false, store) a done operation:
 * {name, metadata {"@type", …resource}, done: true, response {...} |
 * error {code, message}}. `type` is "Service", "Job" or "Execution".
 * `error_message` NULL means success; otherwise `error_code` is the
 * vouch_code of the failure (error.code is its gRPC code, from the util
 * layer's table). With `done` false no response or error is set (a
 * running execution).
 */
int plat_operation(vouch_store_conn *conn, const char *project,
                   const char *location, const char *type,
                   const json_t *resource, bool done, int error_code,
                   const char *error_message, bool store_it, json_t **out,
                   vouch_error *err);

/*
 * The name of a Cloud Run method in the API shape of the call
 * (ctx->api). `method` is the v2 short name: "CreateService",
 * "UpdateService", "CreateJob", "UpdateJob" or "RunJob". With `full`:
 * "google.cloud.run.v1.Services.ReplaceService"; without: "ReplaceService".
 * Static strings.
 */
const char *plat_method(const vouch_platform_ctx *ctx, const char *method,
                        bool full);

/* A Condition object. `reason_field` is "reason", "revisionReason" or
 * "executionReason"; `reason` may be NULL. */
json_t *plat_condition(const char *type, const char *state,
                       const char *reason_field, const char *reason,
                       const char *message, const char *severity,
                       const char *now);

/* ---- authors.c ---- */

/* Stamp `obj` with who made it: `creator` is the caller when `old` is
 * NULL (a create), else kept from `old`; with `modifier`, `lastModifier`
 * is the caller. Fields of an anonymous caller are left out.
 * 0; VOUCH_ENOMEM. */
int plat_authors_set(const vouch_platform_ctx *ctx, json_t *obj,
                     const json_t *old, bool modifier, vouch_error *err);

/* ---- enforce.c: binaryAuthorization, admission ---- */

typedef struct plat_binauthz {
    bool enabled;            /* useDefault: true (or the project's policy) */
    bool present;            /* the field was given */
    char *breakglass;        /* justification, or NULL */
    char *value;             /* for the org policy: "default" or NULL */
} plat_binauthz;

/* Validate `ba` (may be NULL: absent) of a Service or Job. */
int plat_binauthz_parse(const json_t *ba, const char *project,
                        plat_binauthz *out, vouch_error *err);
void plat_binauthz_clear(plat_binauthz *b);

/*
 * Validate `containers` (field path `path`, e.g. "template.containers"):
 * 1..VOUCH_PLATFORM_MAX_CONTAINERS objects with an `image` that parses,
 * optional name, args (strings), env ({name, value}), command.
 */
int plat_containers_check(const json_t *containers, const char *path,
                          vouch_error *err);

/* The end of a Service's or Job's body check: its `containers` (at
 * `path`), then the body's binaryAuthorization, which fills `ba`. */
int plat_containers_binauthz_check(const json_t *body,
                                   const json_t *containers,
                                   const char *path, const char *project,
                                   plat_binauthz *ba, vouch_error *err);

typedef enum plat_verdict {
    PLAT_ADMIT = 0,           /* run it (maybe with an audit entry) */
    PLAT_DENY = 1,            /* CONTAINER_IMAGE_UNAUTHORIZED */
    PLAT_CHECK_FAILED = 2,    /* CONTAINER_IMAGE_AUTHORIZATION_CHECK_FAILED */
    PLAT_MISSING = 3          /* Binary Authorization off, image unresolved:
                                 CONTAINER_MISSING */
} plat_verdict;

/* The Cloud Run condition reason of a verdict; NULL for PLAT_ADMIT. */
const char *plat_verdict_reason(plat_verdict v);

typedef struct plat_admission {
    plat_verdict verdict;
    size_t count;
    char **pinned;            /* name@digest per container ("" unresolved) */
    vouch_decision *decision; /* NULL when off or the check failed */
    char *decision_json;      /* compact, or NULL */
    char why[1024];           /* per denied image: "Container image 'X'
                                 is not authorized by policy. <why>" or the
                                 registry failure */
    int fail_code;            /* why an image could not be resolved or the
                                 policy read (the first failure's vouch
                                 code: VOUCH_EIO registry or store
                                 unavailable); 0 when nothing failed */
} plat_admission;

/*
 * The code of the operation that reports a refused admission: VOUCH_EIO
 * (UNAVAILABLE: retry once the registry is back) when the check could not
 * be made because the registry or the store was unavailable, else
 * VOUCH_EPRECONDITION.
 */
int plat_admission_code(const plat_admission *a);

/*
 * Resolve each container image of `containers` (through the registry,
 * unless `pinned` says they are already the recorded digests) and, when
 * `ba` is enabled, evaluate them against the project's current policy.
 */
int plat_admit(vouch_platform_ctx *ctx, const char *project,
               const json_t *containers, const plat_binauthz *ba,
               bool pinned, plat_admission *out, vouch_error *err);
void plat_admission_clear(plat_admission *a);

/*
 * Write the system_event audit entry of an admission when one is wanted
 * (deny, dry run, breakglass, and a check that failed: an image not
 * resolved, the policy not read). Revision events: service + revision;
 * job events: job + execution.
 */
int plat_audit_admission(vouch_platform_ctx *ctx, const plat_admission *a,
                         const plat_binauthz *ba, const char *project,
                         const char *location, const char *service,
                         const char *revision, const char *job,
                         const char *execution, const char *method,
                         vouch_error *err);

/* ---- services.c, jobs.c, revisions.c ---- */

/* The names of a service or job. */
typedef struct plat_names {
    const char *project;
    const char *location;
    const char *id;
    char parent[300];       /* projects/P/locations/L */
    char name[400];         /* …/services/S or …/jobs/J */
} plat_names;

/* Fill `n`; VOUCH_EINVAL when project, location or id is malformed. */
int plat_names_set(plat_names *n, const char *project, const char *location,
                   const char *collection, const char *id, const char *what,
                   vouch_error *err);

/* A body's `name`, when given: empty, the full name or the id of `n`. */
int plat_name_check(const json_t *body, const plat_names *n,
                    vouch_error *err);

/*
 * The top of a Service or Job body: its `fields` (and `output` ones), its
 * name, and a `template` object with `template_fields` only (the error
 * says it must be `template_what`). `*tpl` is the template, borrowed.
 */
int plat_body_check(const json_t *body, const plat_names *n,
                    const char *const *fields, const char *const *output,
                    const char *const *template_fields,
                    const char *template_what, const json_t **tpl,
                    vouch_error *err);

/*
 * Check `obj`'s fields: each must be in `allowed` or `output` (output-only
 * fields are accepted and ignored, as Google does); `path` prefixes the
 * message ("" for the top level).
 */
int plat_fields_check(const json_t *obj, const char *const *allowed,
                      const char *const *output, const char *path,
                      vouch_error *err);

/* `v` must be an array of strings; errors name "PATH[i].FIELD[k]". */
int plat_string_array_check(const json_t *v, const char *path, size_t i,
                            const char *field, vouch_error *err);
/* `env` must be an array of {name, value}; errors name "PATH[i].env[k]". */
int plat_env_check(const json_t *env, const char *path, size_t i,
                   vouch_error *err);

/*
 * Apply RunJobRequest.overrides (`ov`, may be NULL) to a copy of a job's
 * execution template: `task` (the TaskTemplate, changed in place) and
 * `*task_count`. Errors name the field path under "overrides" and are
 * VOUCH_EINVAL; nothing is changed then.
 */
int plat_overrides_apply(const json_t *ov, json_t *task,
                         json_int_t *task_count, vouch_error *err);

/* A copy of `containers` with each image replaced by its pinned digest. */
json_t *plat_containers_pinned(const json_t *containers,
                               const plat_admission *a);
/* Record the decision, breakglass and binauthz annotations on `obj`. */
int plat_annotate(json_t *obj, const plat_admission *a,
                  const plat_binauthz *ba);

/*
 * Create and store the next revision of service `n` from `template`,
 * evaluated now; writes its audit entry. *verdict says whether it is
 * ready; `msg` gets the failure message (docs/run.md) when not, and
 * *code the operation's error code (plat_admission_code). `latest`
 * is the id of the service's latest created revision (NULL for a new
 * service): the next sequence number follows it even after revisions
 * were deleted.
 */
int plat_revision_deploy(vouch_platform_ctx *ctx, const plat_names *n,
                         const json_t *template, const char *latest,
                         const plat_binauthz *ba,
                         const char *method, json_t **rev_out,
                         plat_verdict *verdict, int *code, char *msg,
                         size_t msg_size, vouch_error *err);
bool plat_revision_ready(const json_t *rev);
/* Re-check a stored revision's recorded digests against the current
 * policy (a traffic change); audit entry as for a deploy. */
int plat_revision_recheck(vouch_platform_ctx *ctx, const plat_names *n,
                          const json_t *rev, const plat_binauthz *ba,
                          const char *method, bool *denied, char *msg,
                          size_t msg_size, vouch_error *err);

/*
 * After the commit of the unit of `ctx`: kill the process the runtime runs
 * for `execution_name`, if any (executions.c). The caller records the
 * execution's end in the unit.
 */
int plat_cancel_after_commit(vouch_platform_ctx *ctx,
                             const char *execution_name, vouch_error *err);

/* ---- writes.c: what services and jobs share ---- */

/* Save a service or job from `body`: `old` is the stored one, NULL for a
 * create. Runs in the unit's transaction. */
typedef int (*plat_save_fn)(vouch_platform_ctx *ctx, const plat_names *n,
                            const json_t *body, const json_t *old,
                            bool validate_only, json_t **out,
                            vouch_error *err);

/* How one kind (services, jobs) is written. */
typedef struct plat_write {
    const char *collection;   /* "services", "jobs" */
    const char *kind;         /* its store kind */
    const char *what;         /* "service", "job" (messages) */
    const char *id_param;     /* "serviceId", "jobId" (a create's id) */
    const char *op_type;      /* "Service", "Job" (operations) */
    const char *child_kind;   /* deleted with it: revisions, executions */
    plat_save_fn save;
    /* Before a delete, in its unit (may be NULL). */
    int (*before_delete)(vouch_platform_ctx *ctx, const char *name,
                         vouch_error *err);
    bool prefetch;            /* resolve template.containers first */
} plat_write;

/* One create, update or delete. */
typedef struct plat_write_call {
    const char *project;
    const char *location;
    const char *id;
    const char *body;         /* create, update */
    size_t len;
    const char *etag;         /* delete; may be NULL */
    bool create;              /* create: must not exist */
    bool validate_only;
    bool allow_missing;       /* update: create when absent */
} plat_write_call;

/* Create or update, one unit of work. */
int plat_write_run(vouch_platform_ctx *ctx, const plat_write *how,
                   const plat_write_call *call, json_t **out,
                   vouch_error *err);
/* Delete with its children, one unit of work; the operation in *out. */
int plat_delete_run(vouch_platform_ctx *ctx, const plat_write *how,
                    const plat_write_call *call, json_t **out,
                    vouch_error *err);

/* plat_put of a Service or Job `obj` as `n`; a create that finds one
 * stored fails as "WHAT NAME already exists" (VOUCH_ECONFLICT). */
int plat_put_named(vouch_store_conn *conn, const char *kind,
                   const char *what, const plat_names *n, json_t *obj,
                   bool create, vouch_error *err);

/* Delete every resource of `kind` under `parent`. */
int plat_delete_children(vouch_store_conn *conn, const char *kind,
                         const char *parent, vouch_error *err);

/* ---- orgpolicy.c ---- */

/*
 * Is `ba` allowed by the project's org policy? Returns
 * VOUCH_EPRECONDITION with Cloud Run's message when not. `method`
 * is "CreateService", "UpdateService", "CreateJob" or "UpdateJob".
 */
int plat_orgpolicy_check(vouch_platform_ctx *ctx, const char *project,
                         const plat_binauthz *ba, const char *method,
                         vouch_error *err);

#endif /* VOUCH_PLATFORM_INTERNAL_H */
