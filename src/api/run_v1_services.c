/*
 * vouchd — Cloud Run Admin v1 handlers of services, revisions,
 * configurations and routes (docs/gcloud.md): every change goes through
 * the platform function the v2 handler (run.c) calls, one unit of work
 * of its own; reads convert the stored v2 resources.
 *
 * Routes: /apis/serving.knative.dev/v1/namespaces/{p}/services[/{s}]
 * (location from the Host) and /v1/projects/{p}/locations/{l}/services
 * [/{s}], the same for revisions, configurations and routes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "platform.h"
#include "run_v1.h"
#include "server.h"

/* The stored service `w->id`. */
static int find_service(api_request *req, const run_v1_where *w,
                        json_t **out, vouch_error *err)
{
    char name[512];

    snprintf(name, sizeof(name), "%s/services/%s", w->parent, w->id);
    return run_v1_load(req, VSVC_SERVICE, name, out, err);
}

/*
 * A traffic change the platform refused changed nothing: the operation
 * carries the refusal and the service keeps its generation. gcloud would
 * read the unchanged service as a success, so the answer is
 * FAILED_PRECONDITION with the reason. The platform's unit of work has
 * committed by then, so the refusal's audit entry (and its line in the
 * file sink) stays although the answer is an error.
 */
static bool refused(const json_t *op, json_int_t old_generation)
{
    json_t *svc = json_object_get(op, "metadata");

    return old_generation > 0 && json_object_get(op, "error") != NULL &&
           json_integer_value(json_object_get(svc, "generation")) ==
               old_generation;
}

static int respond_refused(api_request *req, run_v1_call *c)
{
    const char *msg = json_string_value(json_object_get(
        json_object_get(c->op, "error"), "message"));
    int rc = run_v1_finish(req, 0, json_object(), &c->ctx, &c->err);

    if (rc == 0) {
        rc = api_respond_error(req, VOUCH_EPRECONDITION, "%s",
                               msg != NULL ? msg : "traffic change refused");
    }
    return rc;
}

static const run_v1_writer service_writer = {
    run_v1_service_to_v2, vouch_platform_service_create,
    vouch_platform_service_update,
};

/* POST (create, `replace` false) or PUT (replace). */
static int write_service(api_request *req, bool replace)
{
    run_v1_call c;
    json_t *old = NULL;
    json_int_t old_generation = 0;
    int rc = 0;

    run_v1_call_begin(req, &c);
    if (replace) {
        rc = find_service(req, &c.w, &old, &c.err);
        old_generation = json_integer_value(json_object_get(old,
                                                            "generation"));
    }
    if (rc == 0) {
        rc = run_v1_write(req, &c.w, &service_writer, replace, &c.ctx,
                          &c.op, &c.err);
    }
    if (rc == 0 && refused(c.op, old_generation)) {
        rc = respond_refused(req, &c);
    } else {
        rc = run_v1_finish_op(req, &c, rc, run_v1_service_of);
    }
    json_decref(old);
    json_decref(c.op);
    return rc;
}

int api_v1_create_service(api_request *req)
{
    return write_service(req, false);
}

int api_v1_replace_service(api_request *req)
{
    return write_service(req, true);
}

int api_v1_delete_service(api_request *req)
{
    return run_v1_delete(req, "services", vouch_platform_service_delete);
}

/* ---- lists of services and their views ---- */

RUN_V1_CONV_OF(conv_service, run_v1_service_of)
RUN_V1_CONV_OF(conv_configuration, run_v1_configuration_of)
RUN_V1_CONV_OF(conv_route, run_v1_route_of)

static const run_v1_list_spec service_list = {
    .kind = VSVC_SERVICE, .conv = conv_service,
    .api_version = RUN_V1_SERVING, .list_kind = "ServiceList",
};
static const run_v1_list_spec configuration_list = {
    .kind = VSVC_SERVICE, .conv = conv_configuration,
    .api_version = RUN_V1_SERVING, .list_kind = "ConfigurationList",
};
static const run_v1_list_spec route_list = {
    .kind = VSVC_SERVICE, .conv = conv_route,
    .api_version = RUN_V1_SERVING, .list_kind = "RouteList",
};

int api_v1_list_services(api_request *req)
{
    return run_v1_list_in(req, &service_list, NULL, NULL);
}

int api_v1_list_configurations(api_request *req)
{
    return run_v1_list_in(req, &configuration_list, NULL, NULL);
}

int api_v1_list_routes(api_request *req)
{
    return run_v1_list_in(req, &route_list, NULL, NULL);
}

int api_v1_get_service(api_request *req)
{
    return run_v1_respond_get(req, find_service, conv_service, NULL);
}

/* A configuration and a route are views of the service of the same
 * name. */
int api_v1_get_configuration(api_request *req)
{
    return run_v1_respond_get(req, find_service, conv_configuration, NULL);
}

int api_v1_get_route(api_request *req)
{
    return run_v1_respond_get(req, find_service, conv_route, NULL);
}

/* ---- revisions ---- */

/* The service of the revision being converted, loaded once per service
 * (it says whether the revision serves traffic). */
typedef struct owner_cache {
    api_request *req;
    char name[512];
    json_t *svc;
} owner_cache;

static json_t *conv_revision(const json_t *r2, const run_v1_where *w,
                             void *payload)
{
    owner_cache *c = payload;
    const char *service = json_string_value(json_object_get(r2, "service"));
    vouch_error err = VOUCH_ERROR_INIT;

    if (service != NULL && strcmp(service, c->name) != 0) {
        json_decref(c->svc);
        c->svc = NULL;
        snprintf(c->name, sizeof(c->name), "%s", service);
        if (run_v1_load(c->req, VSVC_SERVICE, service,
                        &c->svc, &err) < 0) {
            c->svc = NULL;
        }
    }
    return run_v1_revision_of(r2, c->svc, w);
}

int api_v1_list_revisions(api_request *req)
{
    owner_cache cache;
    run_v1_list_spec spec = {
        .kind = VSVC_REVISION, .conv = conv_revision, .payload = &cache,
        .api_version = RUN_V1_SERVING, .list_kind = "RevisionList",
    };
    int rc;

    memset(&cache, 0, sizeof(cache));
    cache.req = req;
    rc = run_v1_list_in(req, &spec, "services", RUN_V1_LABEL_SERVICE);
    json_decref(cache.svc);
    return rc;
}

/* Revision w->id of the location; "S-00001-abc" is one of service S's. */
static int find_revision(api_request *req, const run_v1_where *w,
                         json_t **out, vouch_error *err)
{
    return run_v1_find(req, w, VSVC_REVISION, "services", "revisions",
                       "-#####-???", out, err);
}

int api_v1_get_revision(api_request *req)
{
    owner_cache cache;
    int rc;

    memset(&cache, 0, sizeof(cache));
    cache.req = req;
    rc = run_v1_respond_get(req, find_revision, conv_revision, &cache);
    json_decref(cache.svc);
    return rc;
}

int api_v1_delete_revision(api_request *req)
{
    run_v1_call c;
    char service[160];
    json_t *rev = NULL;
    int rc;

    run_v1_call_begin(req, &c);
    rc = find_revision(req, &c.w, &rev, &c.err);
    if (rc == 0) {
        snprintf(service, sizeof(service), "%s",
                 run_v1_short(json_string_value(json_object_get(
                     rev, "service"))));
        rc = vouch_platform_revision_delete(&c.ctx, c.w.project,
                                            c.w.location, service, c.w.id,
                                            NULL, &c.op, &c.err);
    }
    rc = run_v1_finish(req, rc,
                       rc == 0 ? run_v1_deleted("revisions", c.w.id, rev)
                               : NULL,
                       &c.ctx, &c.err);
    json_decref(rev);
    json_decref(c.op);
    return rc;
}
