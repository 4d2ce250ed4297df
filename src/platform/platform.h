/*
 * vouch run platform — the Cloud Run part of the service layer: Cloud Run
 * Admin API v2 resources (services, revisions, jobs, executions,
 * long-running operations), Binary Authorization enforcement at deploy
 * and execution time, the org-policy constraint
 * run.allowedBinaryAuthorizationPolicies, and runtime drivers
 * (docs/run.md). JSON bodies in, JSON operations out, in the v2 shape.
 *
 * Transactions: every mutating call is one unit of work (src/service/
 * vsvc_uow.h) on the caller's connection, which must have no transaction
 * open: images are resolved through the registry first, outside any
 * transaction; then one write transaction decides and writes (the
 * resources, the operation returned and the audit entries of its
 * decisions commit or roll back together); after the commit only, audit
 * lines go to the file sink and an admitted execution's runtime process
 * starts. Reading calls make single reads without a transaction.
 *
 * Store kinds and names: src/service/vsvc_names.h.
 *
 * Errors: the mutating calls return 0 with an Operation also when the
 * change itself failed (a denied revision or execution: done, with
 * `error` FAILED_PRECONDITION). They return a negative code when the
 * request is refused before anything is written:
 *   VOUCH_EINVAL / VOUCH_EPARSE  INVALID_ARGUMENT (the message names the
 *                                field path, e.g. "template.containers[1]
 *                                .image: ...")
 *   VOUCH_ENOTFOUND              NOT_FOUND
 *   VOUCH_ECONFLICT        ALREADY_EXISTS
 *   VOUCH_EABORTED         ABORTED (etag mismatch)
 *   VOUCH_EPRECONDITION FAILED_PRECONDITION (org-policy
 *                                violation, cancelling a finished
 *                                execution)
 *   VOUCH_ETOOBIG                the body is over VOUCH_PLATFORM_BODY_MAX
 *   VOUCH_EIO, VOUCH_ENOMEM      store or memory
 *
 * Thread safety: a vouch_platform may be shared by every request thread;
 * each call uses the caller's connection, which is not thread-safe.
 */
#ifndef VOUCH_PLATFORM_H
#define VOUCH_PLATFORM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "registry.h"
#include "store.h"
#include "vouch/vouch.h"
#include "vsvc.h"
#include "vsvc_names.h"

struct vsvc_uow;

/* Largest request body the platform parses (a Service, Job, org policy). */
#define VOUCH_PLATFORM_BODY_MAX (1024u * 1024u)
/* Most containers in one template (Cloud Run allows 10). */
#define VOUCH_PLATFORM_MAX_CONTAINERS 10u
/* Longest service or job id (Cloud Run: 49, lower-case, digits, '-'). */
#define VOUCH_PLATFORM_ID_MAX 49u
/* Longest exec runtime command template. */
#define VOUCH_PLATFORM_COMMAND_MAX 4096u

/* Store kinds (defined once, in vsvc_names.h). */
#define VOUCH_PLATFORM_KIND_SERVICE   VSVC_KIND_SERVICE
#define VOUCH_PLATFORM_KIND_REVISION  VSVC_KIND_REVISION
#define VOUCH_PLATFORM_KIND_JOB       VSVC_KIND_JOB
#define VOUCH_PLATFORM_KIND_EXECUTION VSVC_KIND_EXECUTION
#define VOUCH_PLATFORM_KIND_OPERATION VSVC_KIND_OPERATION
#define VOUCH_PLATFORM_KIND_ORGPOLICY VSVC_KIND_ORGPOLICY

/* The one org-policy constraint served, and the annotation it names. */
#define VOUCH_PLATFORM_CONSTRAINT VSVC_CONSTRAINT
#define VOUCH_PLATFORM_BINAUTHZ_ANNOTATION \
    "run.googleapis.com/binary-authorization"
/* Where a revision or execution records its decision (compact JSON). */
#define VOUCH_PLATFORM_DECISION_ANNOTATION \
    "run.googleapis.com/binary-authorization-decision"

typedef enum vouch_runtime_kind {
    VOUCH_RUNTIME_NONE = 0,   /* admission only: executions succeed at once */
    VOUCH_RUNTIME_EXEC = 1    /* run a command per execution */
} vouch_runtime_kind;

typedef struct vouch_platform vouch_platform;

typedef struct vouch_platform_options {
    unsigned version;                   /* VOUCH_PLATFORM_OPTIONS_VERSION */
    vouch_store *store;                 /* required; borrowed; used by the
                                           exec runtime's own transactions */
    vouch_registry *registry;           /* borrowed; NULL: a tag cannot be
                                           resolved (the deploy fails) */
    const vouch_policy *system_policy;  /* borrowed; NULL = none */
    vouch_verify_cache *cache;          /* borrowed; NULL = the service's,
                                           or none */
    vouch_runtime_kind runtime;
    const char *runtime_command;        /* exec: "podman run --rm {image}";
                                           copied */
    vsvc *service;                      /* borrowed; NULL = none: no audit
                                           file sink, policies and
                                           attestors compiled per call */
} vouch_platform_options;

#define VOUCH_PLATFORM_OPTIONS_VERSION 1
#define VOUCH_PLATFORM_OPTIONS_INIT \
    { VOUCH_PLATFORM_OPTIONS_VERSION, NULL, NULL, NULL, NULL, \
      VOUCH_RUNTIME_NONE, NULL, NULL }

/**
 * Create the platform. Every borrowed object must outlive it.
 *
 * @param[out] out  Caller owns it; free with vouch_platform_free().
 * @return 0; VOUCH_EINVAL (no store, wrong version, exec without a
 *         command, or a command with an unknown {placeholder});
 *         VOUCH_ETOOBIG (command over VOUCH_PLATFORM_COMMAND_MAX);
 *         VOUCH_ENOMEM.
 */
int vouch_platform_new(vouch_platform **out,
                       const vouch_platform_options *opts, vouch_error *err);

/**
 * Free the platform: running executions of the exec runtime are killed
 * (process group) and their threads joined (they record the execution as
 * cancelled). NULL is a no-op.
 */
void vouch_platform_free(vouch_platform *platform);

/*
 * Which API shape made a call. It names the methods in audit entries and
 * org-policy messages: v2 UpdateService is v1 ReplaceService
 * ("google.cloud.run.v1.Services.ReplaceService").
 */
typedef enum vouch_platform_api {
    VOUCH_PLATFORM_API_V2 = 0,
    VOUCH_PLATFORM_API_V1 = 1     /* Cloud Run Admin v1 (Knative shape) */
} vouch_platform_api;

/** Where a call runs. */
typedef struct vouch_platform_ctx {
    vouch_platform *platform;
    vouch_store_conn *conn;     /* a connection with no transaction open;
                                   each mutating call opens its own */
    vouch_verify_cache *cache;  /* this call's verify cache; NULL: the
                                   service's (or options.cache) */
    const char *outcome;        /* out: the outcome name of the last
                                   decision the call made ("DENY"...), or
                                   NULL when it made none; static */
    vouch_platform_api api;     /* 0 (v2) unless a v1 adapter calls */
    const vsvc_session *session;  /* whose request (its caller signs the
                                     audit entries); may be NULL */
    struct vsvc_uow *uow;       /* internal: the unit of work while a
                                   mutating call runs; NULL otherwise */
} vouch_platform_ctx;

/**
 * A context for calls on the connection of `session` (an adapter's
 * request). Sets every field.
 */
void vouch_platform_ctx_init(vouch_platform_ctx *ctx,
                             vouch_platform *platform,
                             vsvc_session *session);

/* ---- services (services.c) ---- */

/**
 * Create a service (POST …/services?serviceId=). `body` is a Service
 * (JSON, `len` bytes). The template's first revision is evaluated against
 * the project's current policy.
 *
 * @param[out] out  The Operation (done; `response` the Service, or
 *                  `error` when the revision was refused). Caller owns it
 *                  (json_decref). With `validate_only` nothing is stored
 *                  and the operation is not stored either.
 */
int vouch_platform_service_create(vouch_platform_ctx *ctx,
                                  const char *project, const char *location,
                                  const char *service_id, const char *body,
                                  size_t len, bool validate_only,
                                  json_t **out, vouch_error *err);

/**
 * Update a service (PATCH …/services/S): the body is the whole Service.
 * A changed template makes a new revision (so does a changed
 * binaryAuthorization while the latest revision is not ready); a changed
 * traffic re-checks the images of each revision that gains traffic.
 * With `allow_missing` an absent service is created.
 */
int vouch_platform_service_update(vouch_platform_ctx *ctx,
                                  const char *project, const char *location,
                                  const char *service_id, const char *body,
                                  size_t len, bool validate_only,
                                  bool allow_missing, json_t **out,
                                  vouch_error *err);

/** Delete a service and its revisions. `etag` may be NULL. */
int vouch_platform_service_delete(vouch_platform_ctx *ctx,
                                  const char *project, const char *location,
                                  const char *service_id, const char *etag,
                                  json_t **out, vouch_error *err);

/**
 * Delete a revision of a service (revisions.c). VOUCH_EPRECONDITION when
 * it serves traffic or is the service's latest created revision (the next
 * revision's sequence number follows that one). `etag` may be NULL.
 */
int vouch_platform_revision_delete(vouch_platform_ctx *ctx,
                                   const char *project, const char *location,
                                   const char *service_id,
                                   const char *revision_id, const char *etag,
                                   json_t **out, vouch_error *err);

/* ---- jobs and executions (jobs.c, executions.c) ---- */

int vouch_platform_job_create(vouch_platform_ctx *ctx, const char *project,
                              const char *location, const char *job_id,
                              const char *body, size_t len,
                              bool validate_only, json_t **out,
                              vouch_error *err);
int vouch_platform_job_update(vouch_platform_ctx *ctx, const char *project,
                              const char *location, const char *job_id,
                              const char *body, size_t len,
                              bool validate_only, bool allow_missing,
                              json_t **out, vouch_error *err);
/** Delete a job and its executions (running ones are cancelled). */
int vouch_platform_job_delete(vouch_platform_ctx *ctx, const char *project,
                              const char *location, const char *job_id,
                              const char *etag, json_t **out,
                              vouch_error *err);

/**
 * Run a job (POST …/jobs/J:run, body {validateOnly, etag, overrides}; may
 * be empty). The execution's images are resolved and evaluated now,
 * against the current policy. The operation's metadata is the Execution;
 * it is done at once unless the exec runtime is running it.
 */
int vouch_platform_job_run(vouch_platform_ctx *ctx, const char *project,
                           const char *location, const char *job_id,
                           const char *body, size_t len, json_t **out,
                           vouch_error *err);

/** Cancel a running execution (VOUCH_EPRECONDITION when it has
 * finished). */
int vouch_platform_execution_cancel(vouch_platform_ctx *ctx,
                                    const char *project,
                                    const char *location, const char *job_id,
                                    const char *execution_id, json_t **out,
                                    vouch_error *err);
/** Delete an execution (cancelling it first when it runs). */
int vouch_platform_execution_delete(vouch_platform_ctx *ctx,
                                    const char *project,
                                    const char *location, const char *job_id,
                                    const char *execution_id, json_t **out,
                                    vouch_error *err);

/* ---- continuous validation (conformance.c) ---- */

/** What a check found. */
typedef struct vouch_platform_conformance {
    size_t revisions_checked;        /* serving revisions of enforced
                                        services */
    size_t revisions_nonconforming;
    size_t jobs_checked;             /* templates of enforced jobs */
    size_t jobs_nonconforming;
    size_t reported;                 /* new findings logged by this check */
} vouch_platform_conformance;

/**
 * Continuous validation (docs/run.md): re-evaluate every serving revision
 * (traffic percent > 0) of every service, and the template of every job,
 * of `project` (in `location` only when not NULL) whose Binary
 * Authorization is on, against the current policy, attestors and
 * attestations, as a deploy or an execution would be (breakglass aside).
 * Nothing is stopped. A resource that does not conform gets an entry in
 * the continuous_validation log (vouch_audit_cv_entry()) when it starts
 * not to conform or its reasons change; the findings are stored (store
 * kind VSVC_KIND_CONFORMANCE) and a resource no longer checked is
 * forgotten. One unit of work; job templates' tags are resolved before
 * its transaction. Also run after every policy or attestor change (a
 * post-commit hook of the service layer).
 *
 * @return 0 with `*out`; VOUCH_EINVAL (project or location); VOUCH_EIO;
 *         VOUCH_ENOMEM.
 */
int vouch_platform_conformance_check(vouch_platform_ctx *ctx,
                                     const char *project,
                                     const char *location,
                                     vouch_platform_conformance *out,
                                     vouch_error *err);

/**
 * Add the last findings to listed Services or Jobs (`items`, a JSON array
 * of them, changed in place): a Service gets "conformance": {"conforming",
 * "nonConformingRevisions": [{"revision", "reasons", "since"}]}, a Job
 * "conformance": {"conforming", "reasons", "since"}. Resources never
 * checked (Binary Authorization off) get none.
 */
int vouch_platform_conformance_attach(vouch_platform_ctx *ctx,
                                      json_t *items, vouch_error *err);

/** Non-conforming serving revisions and job templates of every project,
 *  as of each project's last check by this process (the /metrics gauge).
 *  Thread-safe. */
void vouch_platform_conformance_counts(vouch_platform *platform,
                                       uint64_t *revisions, uint64_t *jobs);

/* ---- reading (operations.c) ---- */

/**
 * Get one stored resource of a platform kind by full name.
 * @param out  Filled; clear with vouch_resource_clear().
 * @return 0; VOUCH_ENOTFOUND (message names the resource); VOUCH_EIO.
 */
int vouch_platform_get(vouch_platform_ctx *ctx, const char *kind,
                       const char *name, vouch_resource *out,
                       vouch_error *err);

/** List one page of a kind under `parent` (ordered by name). */
int vouch_platform_list(vouch_platform_ctx *ctx, const char *kind,
                        const char *parent, size_t page_size,
                        const char *page_token, vouch_resource_page *out,
                        vouch_error *err);

/* ---- org policy (orgpolicy.c) ---- */

/**
 * The project's run.allowedBinaryAuthorizationPolicies policy
 * ({"name", "spec": {"rules": [...], "etag", "updateTime"}}).
 * VOUCH_ENOTFOUND when none is set.
 */
int vouch_platform_orgpolicy_get(vouch_platform_ctx *ctx,
                                 const char *project, json_t **out,
                                 vouch_error *err);

/**
 * Set (or with "spec": {"reset": true}, reset) the policy from an Org
 * Policy v2 body. Writes an admin-activity audit entry.
 */
int vouch_platform_orgpolicy_set(vouch_platform_ctx *ctx,
                                 const char *project, const char *body,
                                 size_t len, json_t **out, vouch_error *err);

/**
 * The same as a create (POST /v2/projects/P/policies): VOUCH_ECONFLICT
 * "policy NAME already exists" when one is set, decided in the unit's
 * transaction.
 */
int vouch_platform_orgpolicy_create(vouch_platform_ctx *ctx,
                                    const char *project, const char *body,
                                    size_t len, json_t **out,
                                    vouch_error *err);

/** Reset (delete) the policy; VOUCH_ENOTFOUND when none is set. Writes an
 * admin-activity audit entry. */
int vouch_platform_orgpolicy_delete(vouch_platform_ctx *ctx,
                                    const char *project, vouch_error *err);

#endif /* VOUCH_PLATFORM_H */
