/*
 * vouch run platform — long-running operations, reading resources, and the
 * small helpers every platform file uses (times, ids, storing JSON).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform_internal.h"

bool plat_valid_id(const char *id)
{
    size_t n = 0;

    if (id == NULL || !(id[0] >= 'a' && id[0] <= 'z')) {
        return false;
    }
    for (; id[n] != '\0'; n++) {
        char c = id[n];
        if (n >= VOUCH_PLATFORM_ID_MAX ||
            !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-')) {
            return false;
        }
    }
    return id[n - 1] != '-';
}

bool plat_valid_segment(const char *s)
{
    return vutil_id_valid(s);
}

int plat_parse_body(const char *body, size_t len, bool empty_ok,
                    json_t **out, vouch_error *err)
{
    json_error_t jerr;
    json_t *root;
    size_t i = 0;

    *out = NULL;
    if (len > VOUCH_PLATFORM_BODY_MAX) {
        return vutil_error_set(err, VOUCH_ETOOBIG, "request body", 0, 0,
                               "%zu bytes; at most %u", len,
                               VOUCH_PLATFORM_BODY_MAX);
    }
    while (i < len && (body[i] == ' ' || body[i] == '\n' ||
                       body[i] == '\r' || body[i] == '\t')) {
        i++;
    }
    if (i == len) {
        if (empty_ok) {
            *out = json_object();
            return *out != NULL ? 0
                                : vutil_error_set(err, VOUCH_ENOMEM, NULL,
                                                  0, 0, "out of memory");
        }
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                               "empty; expected a JSON object");
    }
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        return vutil_error_set(err, VOUCH_EPARSE, "request body", jerr.line,
                               jerr.column, "%s", jerr.text);
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 1, 1,
                               "expected a JSON object");
    }
    *out = root;
    return 0;
}

int plat_put(vouch_store_conn *conn, const char *kind, const char *name,
             const char *parent, json_t *obj, bool create, vouch_error *err)
{
    vouch_resource r;
    char etag[VUTIL_ETAG_SIZE];
    char now[VUTIL_RFC3339_SIZE];
    char *text = NULL;
    int rc;

    rc = vsvc__stamp_write(etag, now, err);
    if (rc < 0) {
        return rc;
    }
    const char *ct = json_string_value(json_object_get(obj, "createTime"));
    if (json_object_set_new(obj, "etag", json_string(etag)) < 0 ||
        json_object_set_new(obj, "updateTime", json_string(now)) < 0) {
        return plat_enomem(err);
    }
    text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        return plat_enomem(err);
    }
    r = vsvc__resource(kind, name, parent, text, etag,
                       ct != NULL ? ct : now, now);
    /* Indexed, so children can be counted without listing them. */
    r.attr1 = (char *)parent;
    if (create) {
        rc = vouch_store_create(conn, &r, err);
    } else {
        rc = vouch_store_replace(conn, &r, NULL, true, err);
    }
    free(text);
    return rc;
}

int plat_absent(vouch_store_conn *conn, const char *kind, const char *name,
                const char *what, vouch_error *err)
{
    vouch_resource r;
    int rc;

    memset(&r, 0, sizeof(r));
    rc = vouch_store_get(conn, kind, name, &r, err);
    vouch_resource_clear(&r);
    if (rc == 0) {
        return vutil_error_set(err, VOUCH_ECONFLICT, NULL, 0, 0,
                               "%s %s already exists", what, name);
    }
    return rc == VOUCH_ENOTFOUND ? 0 : rc;
}

int plat_etag_check(const char *sent, const json_t *current,
                    const char *what, const char *name, vouch_error *err)
{
    const char *have = json_string_value(json_object_get(current, "etag"));

    if (sent == NULL || sent[0] == '\0' ||
        (have != NULL && strcmp(sent, have) == 0)) {
        return 0;
    }
    return vutil_error_set(err, VOUCH_EABORTED, NULL, 0, 0,
                           "etag: '%.64s' does not match the current %s %s; "
                           "read it again and retry",
                           sent, what, name);
}

int plat_enomem(vouch_error *err)
{
    return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0, "out of memory");
}

int plat_load(vouch_store_conn *conn, const char *kind, const char *name,
              json_t **out, vouch_error *err)
{
    vouch_resource r;
    json_error_t jerr;
    int rc;

    *out = NULL;
    memset(&r, 0, sizeof(r));
    rc = vouch_store_get(conn, kind, name, &r, err);
    if (rc == VOUCH_ENOTFOUND) {
        rc = vutil_error_set(err, VOUCH_ENOTFOUND, NULL, 0, 0,
                             "%s %s not found", kind, name);
    }
    if (rc < 0) {
        return rc;
    }
    *out = json_loads(r.json, JSON_REJECT_DUPLICATES, &jerr);
    vouch_resource_clear(&r);
    if (*out == NULL) {
        return vutil_error_set(err, VOUCH_EIO, name, 0, 0,
                               "stored %s is not JSON: %s", kind,
                               jerr.text);
    }
    return 0;
}

int plat_operation(vouch_store_conn *conn, const char *project,
                   const char *location, const char *type,
                   const json_t *resource, bool done, int error_code,
                   const char *error_message, bool store_it, json_t **out,
                   vouch_error *err)
{
    char id[VUTIL_UUID_SIZE];
    char name[512];
    char parent[400];
    char at[128];
    json_t *op = NULL;
    json_t *meta = NULL;
    json_t *resp = NULL;
    int rc = VOUCH_ENOMEM;

    *out = NULL;
    if (vutil_new_uuid(id, sizeof(id), err) < 0) {
        return VOUCH_EIO;
    }
    snprintf(parent, sizeof(parent), "projects/%s/locations/%s", project,
             location);
    snprintf(name, sizeof(name), "%s/operations/%s", parent, id);
    snprintf(at, sizeof(at), PLAT_TYPE_PREFIX "%s", type);
    meta = json_deep_copy(resource);
    if (meta == NULL || json_object_set_new(meta, "@type",
                                            json_string(at)) < 0) {
        goto cleanup;
    }
    op = json_pack("{s:s,s:O,s:b}", "name", name, "metadata", meta, "done",
                   done);
    if (op == NULL) {
        goto cleanup;
    }
    if (done && error_message != NULL) {
        json_t *e = json_pack("{s:i,s:s}", "code",
                              (int)vutil_code_grpc(error_code), "message",
                              error_message);
        if (e == NULL || json_object_set_new(op, "error", e) < 0) {
            goto cleanup;
        }
    } else if (done) {
        resp = json_deep_copy(meta);
        if (resp == NULL || json_object_set(op, "response", resp) < 0) {
            goto cleanup;
        }
    }
    if (store_it) {
        vouch_resource r;
        char etag[VUTIL_ETAG_SIZE];
        char now[VUTIL_RFC3339_SIZE];
        char *text = json_dumps(op, JSON_COMPACT | JSON_SORT_KEYS);
        if (text == NULL) {
            goto cleanup;
        }
        rc = vsvc__stamp_write(etag, now, err);
        if (rc < 0) {
            free(text);
            goto cleanup;
        }
        r = vsvc__resource(VOUCH_PLATFORM_KIND_OPERATION, name, parent,
                           text, etag, now, now);
        rc = vouch_store_create(conn, &r, err);
        free(text);
        if (rc < 0) {
            goto cleanup;
        }
    }
    *out = op;
    op = NULL;
    rc = 0;

cleanup:
    if (rc == VOUCH_ENOMEM) {
        plat_enomem(err);
    }
    json_decref(meta);
    json_decref(resp);
    json_decref(op);
    return rc;
}

const char *plat_method(const vouch_platform_ctx *ctx, const char *method,
                        bool full)
{
    static const struct {
        const char *v2;
        const char *v2_full;
        const char *v1;
        const char *v1_full;
    } names[] = {
        { "CreateService", "google.cloud.run.v2.Services.CreateService",
          "CreateService", "google.cloud.run.v1.Services.CreateService" },
        { "UpdateService", "google.cloud.run.v2.Services.UpdateService",
          "ReplaceService", "google.cloud.run.v1.Services.ReplaceService" },
        { "CreateJob", "google.cloud.run.v2.Jobs.CreateJob",
          "CreateJob", "google.cloud.run.v1.Jobs.CreateJob" },
        { "UpdateJob", "google.cloud.run.v2.Jobs.UpdateJob",
          "ReplaceJob", "google.cloud.run.v1.Jobs.ReplaceJob" },
        { "RunJob", "google.cloud.run.v2.Jobs.RunJob",
          "RunJob", "google.cloud.run.v1.Jobs.RunJob" },
    };
    bool v1 = ctx != NULL && ctx->api == VOUCH_PLATFORM_API_V1;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(names[i].v2, method) == 0) {
            return v1 ? (full ? names[i].v1_full : names[i].v1)
                      : (full ? names[i].v2_full : names[i].v2);
        }
    }
    return method;
}

json_t *plat_condition(const char *type, const char *state,
                       const char *reason_field, const char *reason,
                       const char *message, const char *severity,
                       const char *now)
{
    json_t *c = json_pack("{s:s,s:s,s:s}", "type", type, "state", state,
                          "lastTransitionTime", now);

    if (c == NULL) {
        return NULL;
    }
    if (reason != NULL) {
        json_object_set_new(c, reason_field, json_string(reason));
    }
    if (message != NULL && message[0] != '\0') {
        json_t *m = json_string(message);
        json_object_set_new(c, "message",
                            m != NULL ? m
                                      : json_string("(message is not "
                                                    "valid UTF-8)"));
    }
    if (severity != NULL) {
        json_object_set_new(c, "severity", json_string(severity));
    }
    return c;
}

void vouch_platform_ctx_init(vouch_platform_ctx *ctx,
                             vouch_platform *platform,
                             vsvc_session *session)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->platform = platform;
    ctx->conn = vsvc__conn(session);
    ctx->session = session;
}

/* The trampoline of a unit: ctx->uow set while the platform's function
 * runs; what an attempt left in *out dropped before the next. */
typedef struct unit_call {
    vouch_platform_ctx *ctx;
    plat_unit_fn fn;
    void *payload;
    json_t **out;
} unit_call;

static int unit_attempt(vsvc_uow *uow, void *payload, vouch_error *err)
{
    unit_call *call = payload;
    int rc;

    json_decref(*call->out);
    *call->out = NULL;
    call->ctx->uow = uow;
    call->ctx->outcome = NULL;
    rc = call->fn(call->ctx, call->payload, call->out, err);
    call->ctx->uow = NULL;
    return rc;
}

/* Ask for the images of `containers` before the first attempt. */
static int want_images(vsvc_uow *uow, const json_t *containers,
                       vouch_error *err)
{
    size_t i;
    json_t *c;
    int rc = 0;

    json_array_foreach(containers, i, c) {
        json_t *image = json_object_get(c, "image");

        if (rc == 0 && json_is_string(image)) {
            rc = vsvc_uow_want(uow, json_string_value(image),
                               json_string_length(image), err);
        }
    }
    return rc;
}

int plat_unit_run(vouch_platform_ctx *ctx, const json_t *containers,
                  plat_unit_fn fn, void *payload, json_t **out,
                  vouch_error *err)
{
    vouch_platform *p = ctx->platform;
    unit_call call = { ctx, fn, payload, out };
    vsvc_uow *uow = NULL;
    int rc;

    *out = NULL;
    rc = vsvc_uow_new(&uow, ctx->conn, p->registry, vsvc__sink(p->service),
                      err);
    if (rc == 0 && ctx->session != NULL) {
        const char *email = NULL;
        const char *subject = NULL;

        vsvc_session_caller(ctx->session, &email, &subject);
        rc = vsvc_uow_set_caller(uow, email, subject, err);
    }
    if (rc == 0) {
        rc = want_images(uow, containers, err);
    }
    if (rc == 0) {
        rc = vsvc_uow_run(uow, unit_attempt, &call, err);
    }
    vsvc_uow_free(uow);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int vouch_platform_get(vouch_platform_ctx *ctx, const char *kind,
                       const char *name, vouch_resource *out,
                       vouch_error *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    rc = vouch_store_get(ctx->conn, kind, name, out, err);
    if (rc == VOUCH_ENOTFOUND) {
        return vutil_error_set(err, VOUCH_ENOTFOUND, NULL, 0, 0,
                               "%s %s not found", kind, name);
    }
    return rc;
}

int vouch_platform_list(vouch_platform_ctx *ctx, const char *kind,
                        const char *parent, size_t page_size,
                        const char *page_token, vouch_resource_page *out,
                        vouch_error *err)
{
    vouch_resource_query q;

    memset(&q, 0, sizeof(q));
    memset(out, 0, sizeof(*out));
    q.kind = kind;
    q.parent = parent;
    q.page_size = page_size;
    q.page_token = page_token;
    return vouch_store_list(ctx->conn, &q, out, err);
}

int vouch_platform_new(vouch_platform **out,
                       const vouch_platform_options *opts, vouch_error *err)
{
    vouch_platform *p = NULL;
    int rc;

    *out = NULL;
    if (opts == NULL || opts->version != VOUCH_PLATFORM_OPTIONS_VERSION) {
        return vutil_error_set(err, VOUCH_EINVAL, "platform", 0, 0,
                               "options: unknown version");
    }
    if (opts->store == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, "platform", 0, 0,
                               "options: a store is required");
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return plat_enomem(err);
    }
    p->store = opts->store;
    p->registry = opts->registry;
    p->system_policy = opts->system_policy;
    p->cache = opts->cache;
    p->service = opts->service;
    rc = vouch_runtime_new(&p->runtime, opts->runtime == VOUCH_RUNTIME_EXEC,
                           opts->runtime_command, opts->store, err);
    if (rc < 0) {
        free(p);
        return rc;
    }
    pthread_mutex_init(&p->cv_lock, NULL);
    if (p->service != NULL) {
        /* Continuous validation after every policy or attestor change. */
        vsvc_on_change(p->service, plat_conformance_on_change, p);
    }
    *out = p;
    return 0;
}

void vouch_platform_free(vouch_platform *platform)
{
    if (platform == NULL) {
        return;
    }
    vouch_runtime_free(platform->runtime);
    pthread_mutex_destroy(&platform->cv_lock);
    free(platform->cv_rows);
    free(platform);
}
