/*
 * vouchd — Cloud Run Admin API v2 (spec/binauthz.md §5.5): services,
 * revisions, jobs, executions and operations. The run platform
 * (src/platform/platform.h) does the work in the request's transaction;
 * this file maps URLs, query arguments and results to HTTP.
 *
 * Needs (lead): `struct vouch_platform *platform` and
 * `struct vouch_audit_sink *audit_sink` in api_server (borrowed), and
 * API_MAX_PARAMS >= 4 for …/services/{s}/revisions/{r} and
 * …/jobs/{j}/executions/{e}.
 */
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "run.h"
#include "server.h"

#define LOC "projects/%s/locations/%s"

static bool query_true(api_request *req, const char *name)
{
    const char *v = api_query(req, name);

    return v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static void ctx_init(api_request *req, vouch_platform_ctx *ctx,
                     vouch_audit_queue *queue)
{
    ctx->platform = req->server->platform;
    ctx->conn = req->conn;
    ctx->queue = queue;
    ctx->cache = req->cache;
    ctx->outcome = NULL;
}

/* Respond with a platform result: the operation, or the error. */
int api_run_finish(api_request *req, int rc, json_t *value,
                   vouch_platform_ctx *ctx, const vouch_error *err)
{
    vouch_audit_queue *queue = ctx->queue;
    int out;

    if (ctx->outcome != NULL) {
        api_metrics_decision(req->server->metrics, ctx->outcome);
    }

    if (rc == VOUCH_EPRECONDITION) {
        out = api_respond_error(req, VOUCH_EPRECONDITION, "%s",
                                err->message);
    } else if (rc < 0) {
        out = api_respond_vouch_error(req, err, NULL);
    } else {
        out = api_respond_json(req, 200, value);
        /* The server writes them to the sink once the transaction has
         * committed (and drops them on rollback). */
        if (queue != NULL && queue->count > 0 && req->audit.count == 0) {
            vouch_audit_queue_clear(&req->audit);
            req->audit = *queue;
            memset(queue, 0, sizeof(*queue));
        }
    }
    vouch_audit_queue_clear(queue);
    json_decref(value);
    return out;
}

static int respond_get(api_request *req, const char *kind, const char *name)
{
    vouch_platform_ctx ctx;
    vouch_resource r;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc;

    ctx_init(req, &ctx, NULL);
    rc = vouch_platform_get(&ctx, kind, name, &r, &err);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, NULL);
    }
    rc = api_respond_stored(req, 200, &r);
    vouch_resource_clear(&r);
    return rc;
}

static int respond_list(api_request *req, const char *kind,
                        const char *parent, const char *key)
{
    vouch_platform_ctx ctx;
    vouch_resource_query q;
    vouch_resource_page page;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc;

    memset(&q, 0, sizeof(q));
    if (api_page_query(req, &q) < 0) {
        return 0;
    }
    ctx_init(req, &ctx, NULL);
    rc = vouch_platform_list(&ctx, kind, parent, q.page_size, q.page_token,
                             &page, &err);
    if (rc == VOUCH_EINVAL) {
        return api_respond_vouch_error(req, &err, "pageToken");
    }
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, "store");
    }
    rc = api_respond_page(req, key, &page);
    vouch_resource_page_clear(&page);
    return rc;
}

/* ---- services ---- */

int api_create_service(api_request *req)
{
    vouch_audit_queue queue = VOUCH_AUDIT_QUEUE_INIT;
    vouch_platform_ctx ctx;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op = NULL;
    int rc;

    ctx_init(req, &ctx, &queue);
    rc = vouch_platform_service_create(&ctx, req->params[0], req->params[1],
                                       api_query(req, "serviceId"),
                                       req->body != NULL ? req->body : "",
                                       req->body_len,
                                       query_true(req, "validateOnly"), &op,
                                       &err);
    return api_run_finish(req, rc, op, &ctx, &err);
}

int api_update_service(api_request *req)
{
    vouch_audit_queue queue = VOUCH_AUDIT_QUEUE_INIT;
    vouch_platform_ctx ctx;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op = NULL;
    int rc;

    ctx_init(req, &ctx, &queue);
    rc = vouch_platform_service_update(
        &ctx, req->params[0], req->params[1], req->params[2],
        req->body != NULL ? req->body : "", req->body_len,
        query_true(req, "validateOnly"), query_true(req, "allowMissing"),
        &op, &err);
    return api_run_finish(req, rc, op, &ctx, &err);
}

int api_delete_service(api_request *req)
{
    vouch_audit_queue queue = VOUCH_AUDIT_QUEUE_INIT;
    vouch_platform_ctx ctx;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op = NULL;
    int rc;

    ctx_init(req, &ctx, &queue);
    rc = vouch_platform_service_delete(&ctx, req->params[0], req->params[1],
                                       req->params[2], api_query(req, "etag"),
                                       &op, &err);
    return api_run_finish(req, rc, op, &ctx, &err);
}

int api_get_service(api_request *req)
{
    char name[512];

    snprintf(name, sizeof(name), LOC "/services/%s", req->params[0],
             req->params[1], req->params[2]);
    return respond_get(req, VOUCH_PLATFORM_KIND_SERVICE, name);
}

int api_list_services(api_request *req)
{
    char parent[400];

    snprintf(parent, sizeof(parent), LOC, req->params[0], req->params[1]);
    return respond_list(req, VOUCH_PLATFORM_KIND_SERVICE, parent,
                        "services");
}

int api_get_revision(api_request *req)
{
    char name[700];

    snprintf(name, sizeof(name), LOC "/services/%s/revisions/%s",
             req->params[0], req->params[1], req->params[2], req->params[3]);
    return respond_get(req, VOUCH_PLATFORM_KIND_REVISION, name);
}

int api_list_revisions(api_request *req)
{
    char parent[512];

    snprintf(parent, sizeof(parent), LOC "/services/%s", req->params[0],
             req->params[1], req->params[2]);
    return respond_list(req, VOUCH_PLATFORM_KIND_REVISION, parent,
                        "revisions");
}

/* ---- jobs and executions ---- */

int api_create_job(api_request *req)
{
    vouch_audit_queue queue = VOUCH_AUDIT_QUEUE_INIT;
    vouch_platform_ctx ctx;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op = NULL;
    int rc;

    ctx_init(req, &ctx, &queue);
    rc = vouch_platform_job_create(&ctx, req->params[0], req->params[1],
                                   api_query(req, "jobId"),
                                   req->body != NULL ? req->body : "",
                                   req->body_len,
                                   query_true(req, "validateOnly"), &op,
                                   &err);
    return api_run_finish(req, rc, op, &ctx, &err);
}

int api_update_job(api_request *req)
{
    vouch_audit_queue queue = VOUCH_AUDIT_QUEUE_INIT;
    vouch_platform_ctx ctx;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op = NULL;
    int rc;

    ctx_init(req, &ctx, &queue);
    rc = vouch_platform_job_update(
        &ctx, req->params[0], req->params[1], req->params[2],
        req->body != NULL ? req->body : "", req->body_len,
        query_true(req, "validateOnly"), query_true(req, "allowMissing"),
        &op, &err);
    return api_run_finish(req, rc, op, &ctx, &err);
}

int api_delete_job(api_request *req)
{
    vouch_audit_queue queue = VOUCH_AUDIT_QUEUE_INIT;
    vouch_platform_ctx ctx;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op = NULL;
    int rc;

    ctx_init(req, &ctx, &queue);
    rc = vouch_platform_job_delete(&ctx, req->params[0], req->params[1],
                                   req->params[2], api_query(req, "etag"),
                                   &op, &err);
    return api_run_finish(req, rc, op, &ctx, &err);
}

int api_run_job(api_request *req)
{
    vouch_audit_queue queue = VOUCH_AUDIT_QUEUE_INIT;
    vouch_platform_ctx ctx;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op = NULL;
    int rc;

    ctx_init(req, &ctx, &queue);
    rc = vouch_platform_job_run(&ctx, req->params[0], req->params[1],
                                req->params[2],
                                req->body != NULL ? req->body : "",
                                req->body_len, &op, &err);
    return api_run_finish(req, rc, op, &ctx, &err);
}

int api_get_job(api_request *req)
{
    char name[512];

    snprintf(name, sizeof(name), LOC "/jobs/%s", req->params[0],
             req->params[1], req->params[2]);
    return respond_get(req, VOUCH_PLATFORM_KIND_JOB, name);
}

int api_list_jobs(api_request *req)
{
    char parent[400];

    snprintf(parent, sizeof(parent), LOC, req->params[0], req->params[1]);
    return respond_list(req, VOUCH_PLATFORM_KIND_JOB, parent, "jobs");
}

int api_get_execution(api_request *req)
{
    char name[700];

    snprintf(name, sizeof(name), LOC "/jobs/%s/executions/%s",
             req->params[0], req->params[1], req->params[2], req->params[3]);
    return respond_get(req, VOUCH_PLATFORM_KIND_EXECUTION, name);
}

int api_list_executions(api_request *req)
{
    char parent[512];

    snprintf(parent, sizeof(parent), LOC "/jobs/%s", req->params[0],
             req->params[1], req->params[2]);
    return respond_list(req, VOUCH_PLATFORM_KIND_EXECUTION, parent,
                        "executions");
}

int api_cancel_execution(api_request *req)
{
    vouch_audit_queue queue = VOUCH_AUDIT_QUEUE_INIT;
    vouch_platform_ctx ctx;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op = NULL;
    int rc;

    ctx_init(req, &ctx, &queue);
    rc = vouch_platform_execution_cancel(&ctx, req->params[0],
                                         req->params[1], req->params[2],
                                         req->params[3], &op, &err);
    return api_run_finish(req, rc, op, &ctx, &err);
}

int api_delete_execution(api_request *req)
{
    vouch_audit_queue queue = VOUCH_AUDIT_QUEUE_INIT;
    vouch_platform_ctx ctx;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op = NULL;
    int rc;

    ctx_init(req, &ctx, &queue);
    rc = vouch_platform_execution_delete(&ctx, req->params[0],
                                         req->params[1], req->params[2],
                                         req->params[3], &op, &err);
    return api_run_finish(req, rc, op, &ctx, &err);
}

/* ---- operations ---- */

int api_get_operation(api_request *req)
{
    char name[512];

    snprintf(name, sizeof(name), LOC "/operations/%s", req->params[0],
             req->params[1], req->params[2]);
    return respond_get(req, VOUCH_PLATFORM_KIND_OPERATION, name);
}

int api_list_operations(api_request *req)
{
    char parent[400];

    snprintf(parent, sizeof(parent), LOC, req->params[0], req->params[1]);
    return respond_list(req, VOUCH_PLATFORM_KIND_OPERATION, parent,
                        "operations");
}
