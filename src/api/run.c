/*
 * vouchd — Cloud Run Admin API v2 (docs/run.md): services, revisions,
 * jobs, executions and operations. An adapter: the run platform
 * (src/platform/platform.h) does the work, each change one unit of work
 * of its own; this file maps URLs, query arguments and results to HTTP.
 */
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "platform.h"
#include "run.h"
#include "server.h"

static bool query_true(api_request *req, const char *name)
{
    const char *v = api_query(req, name);

    return v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

void api_platform_ctx(api_request *req, vouch_platform_ctx *ctx)
{
    vouch_platform_ctx_init(ctx, req->server->platform, req->session);
}

int api_run_finish(api_request *req, int rc, json_t *value,
                   vouch_platform_ctx *ctx, const vouch_error *err)
{
    int out;

    if (ctx->outcome != NULL) {
        api_metrics_decision(req->server->metrics, ctx->outcome);
    }
    out = rc < 0 ? api_respond_vouch_error(req, err, NULL)
                 : api_respond_json(req, 200, value);
    json_decref(value);
    return out;
}

void api_platform_call_begin(api_request *req, api_platform_call *c)
{
    api_platform_ctx(req, &c->ctx);
    c->err = (vouch_error)VOUCH_ERROR_INIT;
    c->out = NULL;
}

int api_platform_call_finish(api_request *req, api_platform_call *c, int rc)
{
    return api_run_finish(req, rc, c->out, &c->ctx, &c->err);
}

/* The platform's create, update and delete of a service or a job. */
typedef int (*create_fn)(vouch_platform_ctx *ctx, const char *project,
                         const char *location, const char *id,
                         const char *body, size_t len, bool validate_only,
                         json_t **out, vouch_error *err);
typedef int (*update_fn)(vouch_platform_ctx *ctx, const char *project,
                         const char *location, const char *id,
                         const char *body, size_t len, bool validate_only,
                         bool allow_missing, json_t **out,
                         vouch_error *err);
typedef int (*delete_fn)(vouch_platform_ctx *ctx, const char *project,
                         const char *location, const char *id,
                         const char *etag, json_t **out, vouch_error *err);

/* POST …/{services|jobs}?{serviceId|jobId}=ID */
static int run_create(api_request *req, create_fn fn, const char *id_param)
{
    api_platform_call c;
    int rc;

    api_platform_call_begin(req, &c);
    rc = fn(&c.ctx, req->params[0], req->params[1], api_query(req, id_param),
            api_body(req), req->body_len, query_true(req, "validateOnly"),
            &c.out, &c.err);
    return api_platform_call_finish(req, &c, rc);
}

/* PATCH …/{services|jobs}/ID */
static int run_update(api_request *req, update_fn fn)
{
    api_platform_call c;
    int rc;

    api_platform_call_begin(req, &c);
    rc = fn(&c.ctx, req->params[0], req->params[1], req->params[2],
            api_body(req), req->body_len, query_true(req, "validateOnly"),
            query_true(req, "allowMissing"), &c.out, &c.err);
    return api_platform_call_finish(req, &c, rc);
}

/* DELETE …/{services|jobs}/ID[?etag=] */
static int run_delete(api_request *req, delete_fn fn)
{
    api_platform_call c;
    int rc;

    api_platform_call_begin(req, &c);
    rc = fn(&c.ctx, req->params[0], req->params[1], req->params[2],
            api_query(req, "etag"), &c.out, &c.err);
    return api_platform_call_finish(req, &c, rc);
}

/*
 * Define api_create_NOUN, api_update_NOUN and api_delete_NOUN, the route
 * handlers of a service or a job (NOUN) that call the platform's
 * vouch_platform_NOUN_create, _update and _delete; ID_PARAM is the query
 * argument that names a new one.
 */
#define RUN_WRITE_HANDLERS(NOUN, ID_PARAM)                                  \
    int api_create_##NOUN(api_request *req)                                 \
    {                                                                       \
        return run_create(req, vouch_platform_##NOUN##_create, ID_PARAM);   \
    }                                                                       \
                                                                            \
    int api_update_##NOUN(api_request *req)                                 \
    {                                                                       \
        return run_update(req, vouch_platform_##NOUN##_update);             \
    }                                                                       \
                                                                            \
    int api_delete_##NOUN(api_request *req)                                 \
    {                                                                       \
        return run_delete(req, vouch_platform_##NOUN##_delete);             \
    }

/* ---- services ---- */

/* api_create_service, api_update_service, api_delete_service */
RUN_WRITE_HANDLERS(service, "serviceId")

int api_get_service(api_request *req)
{
    return api_respond_get(req, VSVC_SERVICE);
}

/*
 * A list of services or jobs; with ?showConformance=true (a vouch
 * extension, docs/run.md "Continuous validation") the location is checked
 * again first and each item gets its "conformance".
 */
static int list_with_conformance(api_request *req, vsvc_kind kind,
                                 const char *key)
{
    const char *show = api_query(req, "showConformance");
    vouch_platform_ctx ctx;
    vouch_platform_conformance counts;
    vouch_error err = VOUCH_ERROR_INIT;
    vsvc_page_request page;
    vsvc_page got;
    int rc;

    if (show == NULL || strcmp(show, "false") == 0) {
        return api_respond_list(req, kind, key);
    }
    if (strcmp(show, "true") != 0) {
        return api_respond_error(req, VOUCH_EINVAL,
                                 "showConformance: expected true or false");
    }
    memset(&got, 0, sizeof(got));
    if (api_page_query(req, &page) < 0) {
        return 0;
    }
    api_platform_ctx(req, &ctx);
    rc = vouch_platform_conformance_check(&ctx, req->params[0],
                                          req->params[1], &counts, &err);
    if (rc == 0) {
        rc = vsvc_list(req->session, kind, (const char *const *)req->params,
                       vsvc_kind_ids(kind) - 1, &page, &got, &err);
    }
    if (rc == 0) {
        rc = vouch_platform_conformance_attach(&ctx, got.items, &err);
    }
    rc = rc < 0 ? api_respond_vouch_error(req, &err, NULL)
                : api_respond_page(req, key, &got);
    vsvc_page_clear(&got);
    return rc;
}

int api_list_services(api_request *req)
{
    return list_with_conformance(req, VSVC_SERVICE, "services");
}

API_READ_HANDLERS(api_get_revision, api_list_revisions, VSVC_REVISION,
                  "revisions")

/* ---- jobs and executions ---- */

/* api_create_job, api_update_job, api_delete_job */
RUN_WRITE_HANDLERS(job, "jobId")

int api_run_job(api_request *req)
{
    api_platform_call c;
    int rc;

    api_platform_call_begin(req, &c);
    rc = vouch_platform_job_run(&c.ctx, req->params[0], req->params[1],
                                req->params[2], api_body(req),
                                req->body_len, &c.out, &c.err);
    return api_platform_call_finish(req, &c, rc);
}

int api_get_job(api_request *req)
{
    return api_respond_get(req, VSVC_JOB);
}

int api_list_jobs(api_request *req)
{
    return list_with_conformance(req, VSVC_JOB, "jobs");
}

API_READ_HANDLERS(api_get_execution, api_list_executions, VSVC_EXECUTION,
                  "executions")

/* Cancel (`cancel`) or delete an execution. */
static int execution_change(api_request *req, bool cancel)
{
    api_platform_call c;
    int rc;

    api_platform_call_begin(req, &c);
    rc = (cancel ? vouch_platform_execution_cancel
                 : vouch_platform_execution_delete)(
        &c.ctx, req->params[0], req->params[1], req->params[2],
        req->params[3], &c.out, &c.err);
    return api_platform_call_finish(req, &c, rc);
}

int api_cancel_execution(api_request *req)
{
    return execution_change(req, true);
}

int api_delete_execution(api_request *req)
{
    return execution_change(req, false);
}

/* ---- operations ---- */

API_READ_HANDLERS(api_get_operation, api_list_operations, VSVC_OPERATION,
                  "operations")
