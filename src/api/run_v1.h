/*
 * vouchd — the Cloud Run Admin API v1 (the Knative shape gcloud speaks)
 * as an adapter over the run platform (docs/gcloud.md): a v1 request is
 * converted to the v2 shape, the same platform function as the v2
 * handler (run.c) does the work, and the stored v2 resource is converted
 * back. One model, two shapes: a service deployed through v1 is the same
 * stored service through v2.
 *
 *   run_v1_request.c   where a request points (project from the
 *                      namespace, location from the Host), bodies,
 *                      platform calls, responses, lists, and the get,
 *                      list and delete every kind's handlers share
 *   run_v1_common.c    conditions, metadata, field checks, the spec
 *                      fields revisions and tasks share, containers,
 *                      annotations
 *   run_v1_service.c   Service, Revision, Configuration, Route shapes
 *   run_v1_services.c  their handlers (declared in handlers.h)
 *   run_v1_job.c       Job, Execution, Task shapes
 *   run_v1_jobs.c      their handlers (declared in handlers.h)
 *
 * Conversions take untrusted JSON and name the v1 field path of every
 * fault ("spec.template.spec.containers[0].image: ..."); they never
 * retain their arguments. Thread safety: reentrant.
 */
#ifndef VOUCH_API_RUN_V1_H
#define VOUCH_API_RUN_V1_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "platform.h"
#include "vouch/common.h"
#include "vsvc_names.h"

struct api_request;

/* Knative groups and the labels vouchd sets on v1 objects. */
#define RUN_V1_SERVING "serving.knative.dev/v1"
#define RUN_V1_RUN "run.googleapis.com/v1"
#define RUN_V1_LABEL_LOCATION "cloud.googleapis.com/location"
#define RUN_V1_LABEL_SERVICE "serving.knative.dev/service"
#define RUN_V1_LABEL_CONFIGURATION "serving.knative.dev/configuration"
#define RUN_V1_LABEL_ROUTE "serving.knative.dev/route"
#define RUN_V1_LABEL_JOB "run.googleapis.com/job"
#define RUN_V1_LABEL_EXECUTION "run.googleapis.com/execution"
#define RUN_V1_LABEL_TASK_STATE "run.googleapis.com/runningState"
#define RUN_V1_ANN_BINAUTHZ "run.googleapis.com/binary-authorization"
#define RUN_V1_ANN_BREAKGLASS \
    "run.googleapis.com/binary-authorization-breakglass"
#define RUN_V1_ANN_CLIENT "run.googleapis.com/client-name"
#define RUN_V1_ANN_CLIENT_VERSION "run.googleapis.com/client-version"
#define RUN_V1_ANN_LAUNCH_STAGE "run.googleapis.com/launch-stage"
#define RUN_V1_LABEL_LAST_UPDATED "run.googleapis.com/lastUpdatedTime"
/* The groups of the creator and lastModifier annotations: Knative's for
 * services and revisions, Cloud Run's for jobs, executions and tasks. */
#define RUN_V1_GROUP_SERVING "serving.knative.dev"
#define RUN_V1_GROUP_RUN "run.googleapis.com"

/* Most items one v1 list returns (its `limit`; more come by `continue`). */
#define RUN_V1_LIST_MAX 1000u

/* Where a v1 request points. */
typedef struct run_v1_where {
    char project[129];
    char location[64];
    char parent[300];      /* projects/P/locations/L */
    const char *id;        /* the resource id in the path, NULL for a
                              collection; borrowed from the request */
} run_v1_where;

/* ---- run_v1_request.c and run_v1_common.c ---- */

/*
 * Fill `w` for a request: on the Knative paths (/apis/...) the project is
 * the namespace (params[0]) and the location comes from the Host header
 * ("L-run.HOST[:PORT]" names L; otherwise the server's default location);
 * on /v1/projects/P/locations/L/... both come from the path.
 */
void run_v1_where_of(struct api_request *req, run_v1_where *w);

/* Is `n` bytes of `s` a Cloud Run region id (a-z first, then a-z 0-9 -,
 * 1 to 63)? Also vouchd's --default-location check. */
bool run_v1_region_ok(const char *s, size_t n);

/* The location a Host header names ("us-central1-run.localhost:8080" ->
 * "us-central1"), or `fallback`. Exposed for the unit test. */
void run_v1_location_of_host(const char *host, const char *fallback,
                             char *out, size_t size);

/* A platform context for the request's session, of the v1 shape (audit
 * entries name v1 methods). */
void run_v1_ctx(struct api_request *req, struct vouch_platform_ctx *ctx);

/*
 * One v1 request's call of the platform: where the request points, the
 * platform context of its session (run_v1_ctx), the error and the
 * Operation the platform answers (the caller's; json_decref).
 */
typedef struct run_v1_call {
    run_v1_where w;
    struct vouch_platform_ctx ctx;
    vouch_error err;
    json_t *op;
} run_v1_call;

/* Start `c` for the request: where it points and its context; no error
 * and no Operation yet. */
void run_v1_call_begin(struct api_request *req, run_v1_call *c);

/* "CONTAINER_IMAGE_UNAUTHORIZED" -> "ContainerImageUnauthorized" into
 * `out`. */
void run_v1_reason(const char *v2, char *out, size_t size);

/* A Knative condition from a v2 Condition, typed `type` (NULL: its own
 * type). New reference; NULL when out of memory. */
json_t *run_v1_condition(const json_t *c2, const char *type);

/* The v2 condition of `type` in the array `conds`, or NULL. Borrowed. */
const json_t *run_v1_find_condition(const json_t *conds, const char *type);

/*
 * ObjectMeta of a stored v2 resource `r2`: name `id`, namespace, uid,
 * generation, resourceVersion (the etag), creationTimestamp, labels
 * (`r2`'s and the location label) and annotations (`r2`'s). New
 * reference; NULL when out of memory.
 */
json_t *run_v1_meta(const json_t *r2, const char *id, const run_v1_where *w);

/* The id at the end of a resource name ("…/revisions/web-00001-abc" ->
 * "web-00001-abc"); NULL stays NULL. Borrowed. */
const char *run_v1_short(const char *name);

/*
 * Check that every key of `obj` is in `allowed` or `ignored` (NULL-ended
 * lists; NULL lists are empty); `path` names it ("metadata"). VOUCH_EINVAL
 * "PATH.KEY: unknown field" otherwise.
 */
int run_v1_fields(const json_t *obj, const char *const *allowed,
                  const char *const *ignored, const char *path,
                  vouch_error *err);

/* The top of a v1 Service or Job body: no field but apiVersion, kind,
 * metadata and spec, and status (output only, ignored). */
int run_v1_body_fields(const json_t *in, vouch_error *err);

/* The spec.template of a v1 Service or Job: required (VOUCH_EINVAL
 * "spec.template: required, WHAT" when NULL), with no field but metadata
 * and spec. */
int run_v1_template_check(const json_t *tpl, const char *what,
                          vouch_error *err);

/* `id` must be a name a URL can carry (1 to 128 of A-Z a-z 0-9 - _ . ~:
 * a revision named in traffic or a template). */
int run_v1_id_check(const char *id, const char *path, vouch_error *err);

/* `v` (may be NULL) must be an object whose values are strings. */
int run_v1_string_map(const json_t *v, const char *path, vouch_error *err);

/* An integer given as a JSON integer or a decimal string (int64 in proto3
 * JSON), within [min, max]. Absent (NULL) is *out = dflt. */
int run_v1_int(const json_t *v, const char *path, json_int_t min,
               json_int_t max, json_int_t dflt, json_int_t *out,
               vouch_error *err);

/* Set `key` to `value` (taken) only when `value` is a non-empty object or
 * array, or another non-NULL value; otherwise drop `value`. */
void run_v1_set_nonempty(json_t *obj, const char *key, json_t *value);

/* v2 duration "600s" -> 600; -1 when not whole seconds. */
json_int_t run_v1_seconds(const char *duration);

/*
 * How a v1 RevisionSpec (of a service) or TaskSpec (of a job) maps to its
 * v2 template: both have containers, timeoutSeconds (v2 timeout),
 * serviceAccountName (serviceAccount) and volumes, and one integer of
 * their own (containerConcurrency, maxRetries).
 */
typedef struct run_v1_spec_kind {
    const char *path;         /* of the spec: "spec.template.spec" */
    const char *v1_int;       /* "containerConcurrency" */
    const char *v2_int;       /* "maxInstanceRequestConcurrency" */
    json_int_t int_max;       /* the integer is 0 to int_max */
    json_int_t timeout_max;   /* timeoutSeconds is 1 to timeout_max */
} run_v1_spec_kind;

/* Those fields of the v1 spec `spec` into the v2 template `t2`. */
int run_v1_spec_to_v2(const json_t *spec, const run_v1_spec_kind *k,
                      json_t *t2, vouch_error *err);
/* The reverse: the v1 spec of the v2 template `t2`. New reference; NULL
 * when out of memory. */
json_t *run_v1_spec_of(const json_t *t2, const run_v1_spec_kind *k);

/* Containers: v1 (Knative) -> v2 and back. `path` names the array. */
int run_v1_containers_to_v2(const json_t *in, const char *path,
                            json_t **out, vouch_error *err);
json_t *run_v1_containers_of(const json_t *containers2);

/*
 * Metadata.annotations of a v1 Service or Job into the v2 body `out`:
 * binaryAuthorization from the two Binary Authorization annotations,
 * client / clientVersion / launchStage from theirs, the creator and
 * lastModifier annotations dropped (vouchd sets them), every other
 * annotation kept. Replace semantics: an absent annotation is off.
 */
int run_v1_annotations_to_v2(const json_t *ann, const char *path,
                             json_t *out, vouch_error *err);
/* The reverse: the annotations of a stored v2 Service or Job. */
json_t *run_v1_annotations_of(const json_t *r2);
/* Who made the stored v2 resource `r2`, as the v1 annotations
 * GROUP/creator and GROUP/lastModifier of `meta` (RUN_V1_GROUP_*). Out of
 * memory, they are left out, like the other optional fields of a v1
 * object (the object itself then fails to build). */
void run_v1_authors_of(json_t *meta, const json_t *r2, const char *group);

/*
 * Metadata of a v1 Service or Job body: name (the URL's `url_id` on a
 * replace; the body's on a create, into `id`), namespace (the project),
 * the location label (the request's), labels and annotations into `out`,
 * resourceVersion into `out`'s etag.
 */
int run_v1_meta_to_v2(const json_t *meta, const run_v1_where *w,
                      const char *url_id, char *id, size_t id_size,
                      json_t *out, vouch_error *err);

/* Parse the request body as a JSON object (INVALID_ARGUMENT naming the
 * line and column when it is not). Caller owns *out. */
int run_v1_parse_body(struct api_request *req, json_t **out,
                      vouch_error *err);

/* Load the stored v2 resource `kind` `name` (vsvc_get_named) as JSON.
 * VOUCH_ENOTFOUND names it. Caller owns *out. */
int run_v1_load(struct api_request *req, vsvc_kind kind, const char *name,
                json_t **out, vouch_error *err);

/*
 * Find child `w->id` of kind `kind` ("revision", "execution") in the
 * location: under `collection`/PARENT ("services"/"web") when the id is
 * one generated for PARENT, i.e. PARENT followed by a tail of the shape
 * `tail` ('#' a digit, '?' any character, others themselves: "-#####-???"
 * for web-00001-abc), else by scanning the location's `child` collections
 * ("revisions"). VOUCH_ENOTFOUND names it. Caller owns *out.
 */
int run_v1_find(struct api_request *req, const run_v1_where *w,
                vsvc_kind kind, const char *collection, const char *child,
                const char *tail, json_t **out, vouch_error *err);

/* The resource an Operation carries (its metadata without "@type"). New
 * reference; NULL when absent. */
json_t *run_v1_op_resource(const json_t *op);

/* Is `dryRun=All` asked (validate only)? */
bool run_v1_dry_run(struct api_request *req);

/* How a v1 create or replace of one kind reaches the platform. */
typedef struct run_v1_writer {
    int (*to_v2)(const json_t *in, const run_v1_where *w,
                 const char *url_id, char *id, size_t id_size, json_t **out,
                 vouch_error *err);
    int (*create)(struct vouch_platform_ctx *ctx, const char *project,
                  const char *location, const char *id, const char *body,
                  size_t len, bool validate_only, json_t **out,
                  vouch_error *err);
    int (*update)(struct vouch_platform_ctx *ctx, const char *project,
                  const char *location, const char *id, const char *body,
                  size_t len, bool validate_only, bool allow_missing,
                  json_t **out, vouch_error *err);
} run_v1_writer;

/*
 * POST (create) or PUT (`replace`) of a v1 body: parse it, convert it to
 * v2 with `k->to_v2`, hand it to the platform in `ctx` (dryRun=All:
 * validate only). On success *op is the platform's Operation (caller
 * owns it).
 */
int run_v1_write(struct api_request *req, const run_v1_where *w,
                 const run_v1_writer *k, bool replace,
                 struct vouch_platform_ctx *ctx, json_t **op,
                 vouch_error *err);

/* Respond with the platform's result `v1` (taken, may be NULL on error)
 * the way run.c does (api_run_finish). */
int run_v1_finish(struct api_request *req, int rc, json_t *v1,
                  struct vouch_platform_ctx *ctx, const vouch_error *err);

/* The Kubernetes Status {"status": "Success"} a delete of `kind` `id`
 * (the stored `r2`, may be NULL) answers. New reference. */
json_t *run_v1_deleted(const char *kind, const char *id, const json_t *r2);

/*
 * A v1 list: `labelSelector`, `limit` and `continue` from the query.
 * On a bad argument the INVALID_ARGUMENT response is set and -1 returned.
 */
typedef struct run_v1_list_args {
    struct api_labelsel *selector;   /* never NULL after success */
    size_t limit;
    const char *token;               /* borrowed; may be NULL */
} run_v1_list_args;

int run_v1_list_args_of(struct api_request *req, run_v1_list_args *a);
void run_v1_list_args_clear(run_v1_list_args *a);

/* Respond 200 with {"apiVersion", "kind": KIND, "metadata": {continue?},
 * "items": [...]} (`items` taken). */
int run_v1_respond_list(struct api_request *req, const char *api_version,
                        const char *kind, json_t *items,
                        const char *next_token);

/* A v2 resource as its v1 shape; `payload` is the list's. */
typedef json_t *(*run_v1_conv)(const json_t *r2, const run_v1_where *w,
                               void *payload);

/* What one v1 list reads and how it shows it. */
typedef struct run_v1_list_spec {
    vsvc_kind kind;            /* kind of the v2 resources */
    const char *parent;        /* their parent, or NULL: any */
    const char *name_prefix;   /* names must start with it (may be NULL) */
    run_v1_conv conv;
    void *payload;
    const char *api_version;   /* of the list */
    const char *list_kind;     /* "ServiceList" ... */
} run_v1_list_spec;

/* Respond to a v1 list: the page of resources whose v1 labels match the
 * request's labelSelector, resuming at its `continue`
 * (vsvc_list_matching). */
int run_v1_list(struct api_request *req, const run_v1_where *w,
                const run_v1_list_args *args, const run_v1_list_spec *spec);

/*
 * Respond to the v1 list request `req` in its location: `what` says the
 * kind, the conversion and the list's kind; its parent and name prefix
 * are set here. With `parents` NULL the resources are the location's own
 * (services, jobs); otherwise they are children in the `parents`
 * collection ("services"): of the one parent the labelSelector pins with
 * the label `pin`, else of every parent.
 */
int run_v1_list_in(struct api_request *req, const run_v1_list_spec *what,
                   const char *parents, const char *pin);

/* Find the stored v2 resource that `w->id` names (run_v1_load,
 * run_v1_find). Caller owns *out. */
typedef int (*run_v1_finder)(struct api_request *req, const run_v1_where *w,
                             json_t **out, vouch_error *err);

/* Respond with the stored v2 resource `find` finds for the request, as
 * `conv` shows it with `payload`. */
int run_v1_respond_get(struct api_request *req, run_v1_finder find,
                       run_v1_conv conv, void *payload);

/* A v2 resource as its v1 shape (run_v1_service_of ...). */
typedef json_t *(*run_v1_shape)(const json_t *r2, const run_v1_where *w);

/* Define NAME, the run_v1_conv of a v1 shape that needs no payload:
 * it shows a resource with SHAPE (a run_v1_shape). */
#define RUN_V1_CONV_OF(NAME, SHAPE)                                         \
    static json_t *NAME(const json_t *r2, const run_v1_where *w,            \
                        void *payload)                                      \
    {                                                                       \
        (void)payload;                                                      \
        return SHAPE(r2, w);                                                \
    }

/* Respond to the platform call `c` the way run_v1_finish does, with the
 * resource of its Operation in the v1 shape `shape`. */
int run_v1_finish_op(struct api_request *req, run_v1_call *c, int rc,
                     run_v1_shape shape);

/* The platform's delete of a service or a job. */
typedef int (*run_v1_delete_fn)(struct vouch_platform_ctx *ctx,
                                const char *project, const char *location,
                                const char *id, const char *etag,
                                json_t **out, vouch_error *err);

/* DELETE of the service or job the request names, answered with the
 * Kubernetes Status of `collection` ("services"). */
int run_v1_delete(struct api_request *req, const char *collection,
                  run_v1_delete_fn fn);

/* ---- run_v1_service.c ---- */

int run_v1_service_to_v2(const json_t *in, const run_v1_where *w,
                         const char *url_id, char *id, size_t id_size,
                         json_t **out, vouch_error *err);
json_t *run_v1_service_of(const json_t *svc, const run_v1_where *w);
/* `svc` (may be NULL) gives the revision's owner uid and its Active
 * condition (does it serve traffic). */
json_t *run_v1_revision_of(const json_t *rev, const json_t *svc,
                           const run_v1_where *w);
json_t *run_v1_configuration_of(const json_t *svc, const run_v1_where *w);
json_t *run_v1_route_of(const json_t *svc, const run_v1_where *w);

/* ---- run_v1_job.c ---- */

int run_v1_job_to_v2(const json_t *in, const run_v1_where *w,
                     const char *url_id, char *id, size_t id_size,
                     json_t **out, vouch_error *err);
/* The body of POST …/jobs/J:run (RunJobRequest with v1 overrides) as the
 * v2 body. */
int run_v1_run_to_v2(const json_t *in, json_t **out, vouch_error *err);
json_t *run_v1_job_of(const json_t *job, const run_v1_where *w);
json_t *run_v1_execution_of(const json_t *ex, const run_v1_where *w);
/* Task `index` of execution `ex` (tasks are views of their execution). */
json_t *run_v1_task_of(const json_t *ex, json_int_t index,
                       const run_v1_where *w);

#endif /* VOUCH_API_RUN_V1_H */
