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

#include "labelsel.h"
#include "platform.h"
#include "run_v1.h"
#include "server.h"

static void service_name(const run_v1_where *w, const char *id, char *buf,
                         size_t size)
{
    snprintf(buf, size, "%s/services/%s", w->parent, id);
}

/* Respond with the stored v2 service `id` as a v1 Service. */
static json_t *stored_service(api_request *req, const run_v1_where *w,
                              const char *id, int *rc, vouch_error *err)
{
    char name[512];
    json_t *svc = NULL;
    json_t *v1;

    service_name(w, id, name, sizeof(name));
    *rc = run_v1_load(req, VSVC_SERVICE, name, &svc, err);
    if (*rc < 0) {
        return NULL;
    }
    v1 = run_v1_service_of(svc, w);
    json_decref(svc);
    if (v1 == NULL) {
        *rc = vutil_enomem(err);
    }
    return v1;
}

/* The v1 Service of a platform result `op`. */
static json_t *service_result(const json_t *op, const run_v1_where *w)
{
    json_t *svc = run_v1_op_resource(op);
    json_t *v1 = svc != NULL ? run_v1_service_of(svc, w) : NULL;

    json_decref(svc);
    return v1;
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

static int respond_refused(api_request *req, const json_t *op,
                           vouch_platform_ctx *ctx, vouch_error *err)
{
    const char *msg = json_string_value(json_object_get(
        json_object_get(op, "error"), "message"));
    int rc = run_v1_finish(req, 0, json_object(), ctx, err);

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
    vouch_platform_ctx ctx;
    vouch_error err = VOUCH_ERROR_INIT;
    run_v1_where w;
    json_t *old = NULL;
    json_t *op = NULL;
    json_t *v1 = NULL;
    json_int_t old_generation = 0;
    int rc = 0;

    run_v1_where_of(req, &w);
    run_v1_ctx(req, &ctx);
    if (replace) {
        char name[512];
        service_name(&w, w.id, name, sizeof(name));
        rc = run_v1_load(req, VSVC_SERVICE, name, &old, &err);
        old_generation = json_integer_value(json_object_get(old,
                                                            "generation"));
    }
    if (rc == 0) {
        rc = run_v1_write(req, &w, &service_writer, replace, &ctx, &op,
                          &err);
    }
    if (rc == 0 && refused(op, old_generation)) {
        rc = respond_refused(req, op, &ctx, &err);
    } else {
        if (rc == 0) {
            v1 = service_result(op, &w);
            rc = v1 != NULL ? 0 : vutil_enomem(&err);
        }
        rc = run_v1_finish(req, rc, v1, &ctx, &err);
    }
    json_decref(old);
    json_decref(op);
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

int api_v1_get_service(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    run_v1_where w;
    json_t *v1;
    int rc;

    run_v1_where_of(req, &w);
    v1 = stored_service(req, &w, w.id, &rc, &err);
    if (v1 == NULL) {
        return api_respond_vouch_error(req, &err, NULL);
    }
    rc = api_respond_json(req, 200, v1);
    json_decref(v1);
    return rc;
}

int api_v1_delete_service(api_request *req)
{
    vouch_platform_ctx ctx;
    vouch_error err = VOUCH_ERROR_INIT;
    run_v1_where w;
    json_t *op = NULL;
    int rc;

    run_v1_where_of(req, &w);
    run_v1_ctx(req, &ctx);
    rc = vouch_platform_service_delete(&ctx, w.project, w.location, w.id,
                                       NULL, &op, &err);
    json_t *svc = rc == 0 ? run_v1_op_resource(op) : NULL;
    rc = run_v1_finish(req, rc,
                       rc == 0 ? run_v1_deleted("services", w.id, svc)
                               : NULL,
                       &ctx, &err);
    json_decref(svc);
    json_decref(op);
    return rc;
}

/* ---- lists of services and their views ---- */

static json_t *conv_service(const json_t *r2, const run_v1_where *w,
                            void *payload)
{
    (void)payload;
    return run_v1_service_of(r2, w);
}

static json_t *conv_configuration(const json_t *r2, const run_v1_where *w,
                                  void *payload)
{
    (void)payload;
    return run_v1_configuration_of(r2, w);
}

static json_t *conv_route(const json_t *r2, const run_v1_where *w,
                          void *payload)
{
    (void)payload;
    return run_v1_route_of(r2, w);
}

static int list_services_as(api_request *req, run_v1_conv conv,
                            const char *list_kind)
{
    run_v1_where w;
    run_v1_list_args args;
    run_v1_list_spec spec;
    int rc;

    run_v1_where_of(req, &w);
    if (run_v1_list_args_of(req, &args) < 0) {
        return 0;
    }
    memset(&spec, 0, sizeof(spec));
    spec.kind = VSVC_SERVICE;
    spec.parent = w.parent;
    spec.conv = conv;
    spec.api_version = RUN_V1_SERVING;
    spec.list_kind = list_kind;
    rc = run_v1_list(req, &w, &args, &spec);
    run_v1_list_args_clear(&args);
    return rc;
}

int api_v1_list_services(api_request *req)
{
    return list_services_as(req, conv_service, "ServiceList");
}

int api_v1_list_configurations(api_request *req)
{
    return list_services_as(req, conv_configuration, "ConfigurationList");
}

int api_v1_list_routes(api_request *req)
{
    return list_services_as(req, conv_route, "RouteList");
}

/* A configuration and a route are views of the service of the same
 * name. */
static int get_view(api_request *req, run_v1_conv conv)
{
    vouch_error err = VOUCH_ERROR_INIT;
    run_v1_where w;
    char name[512];
    json_t *svc = NULL;
    json_t *v1;
    int rc;

    run_v1_where_of(req, &w);
    service_name(&w, w.id, name, sizeof(name));
    rc = run_v1_load(req, VSVC_SERVICE, name, &svc, &err);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, NULL);
    }
    v1 = conv(svc, &w, NULL);
    json_decref(svc);
    return api_respond_built(req, v1);
}

int api_v1_get_configuration(api_request *req)
{
    return get_view(req, conv_configuration);
}

int api_v1_get_route(api_request *req)
{
    return get_view(req, conv_route);
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
    run_v1_where w;
    run_v1_list_args args;
    run_v1_list_spec spec;
    char parent[512];
    char prefix[400];
    int rc;

    run_v1_where_of(req, &w);
    if (run_v1_list_args_of(req, &args) < 0) {
        return 0;
    }
    memset(&cache, 0, sizeof(cache));
    cache.req = req;
    memset(&spec, 0, sizeof(spec));
    spec.kind = VSVC_REVISION;
    const char *service = api_labelsel_pinned(args.selector,
                                              RUN_V1_LABEL_SERVICE);
    if (service != NULL) {
        /* One service: its revisions are its children. */
        service_name(&w, service, parent, sizeof(parent));
        spec.parent = parent;
    } else {
        snprintf(prefix, sizeof(prefix), "%s/services/", w.parent);
        spec.name_prefix = prefix;
    }
    spec.conv = conv_revision;
    spec.payload = &cache;
    spec.api_version = RUN_V1_SERVING;
    spec.list_kind = "RevisionList";
    rc = run_v1_list(req, &w, &args, &spec);
    run_v1_list_args_clear(&args);
    json_decref(cache.svc);
    return rc;
}

/* "S-00001-abc" -> "S", the service a generated revision id names. */
static bool service_of_revision(const char *rev, char *out, size_t size)
{
    size_t n = strlen(rev);

    if (n < 11 || rev[n - 4] != '-' || rev[n - 10] != '-' ||
        n - 10 >= size) {
        return false;
    }
    for (size_t i = n - 9; i < n - 4; i++) {
        if (rev[i] < '0' || rev[i] > '9') {
            return false;
        }
    }
    memcpy(out, rev, n - 10);
    out[n - 10] = '\0';
    return true;
}

/* Revision w->id of the location and its service's id. */
static int find_revision(api_request *req, const run_v1_where *w,
                         char *service, size_t size, json_t **out,
                         vouch_error *err)
{
    char guess[160];
    int rc;

    rc = run_v1_find(req, w, VSVC_REVISION, "services",
                     "revisions",
                     service_of_revision(w->id, guess, sizeof(guess))
                         ? guess
                         : NULL,
                     out, err);
    if (rc == 0) {
        snprintf(service, size, "%s", run_v1_short(json_string_value(
                                          json_object_get(*out,
                                                          "service"))));
    }
    return rc;
}

int api_v1_get_revision(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    owner_cache cache;
    run_v1_where w;
    char service[160];
    json_t *rev = NULL;
    json_t *v1;
    int rc;

    run_v1_where_of(req, &w);
    rc = find_revision(req, &w, service, sizeof(service), &rev, &err);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, NULL);
    }
    memset(&cache, 0, sizeof(cache));
    cache.req = req;
    v1 = conv_revision(rev, &w, &cache);
    json_decref(rev);
    json_decref(cache.svc);
    return api_respond_built(req, v1);
}

int api_v1_delete_revision(api_request *req)
{
    vouch_platform_ctx ctx;
    vouch_error err = VOUCH_ERROR_INIT;
    run_v1_where w;
    char service[160];
    json_t *rev = NULL;
    json_t *op = NULL;
    int rc;

    run_v1_where_of(req, &w);
    run_v1_ctx(req, &ctx);
    rc = find_revision(req, &w, service, sizeof(service), &rev, &err);
    if (rc == 0) {
        rc = vouch_platform_revision_delete(&ctx, w.project, w.location,
                                            service, w.id, NULL, &op, &err);
    }
    rc = run_v1_finish(req, rc,
                       rc == 0 ? run_v1_deleted("revisions", w.id, rev)
                               : NULL,
                       &ctx, &err);
    json_decref(rev);
    json_decref(op);
    return rc;
}
