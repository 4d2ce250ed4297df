/*
 * vouchd — Cloud Run Admin v1: what every v1 handler shares (run_v1.h):
 * where a request points, bodies, loads, writes and deletes through the
 * platform, responses and lists.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labelsel.h"
#include "platform.h"
#include "run.h"
#include "run_v1.h"
#include "server.h"

bool run_v1_region_ok(const char *s, size_t n)
{
    if (n == 0 || n > 63 || s[0] < 'a' || s[0] > 'z') {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '-')) {
            return false;
        }
    }
    return true;
}

void run_v1_location_of_host(const char *host, const char *fallback,
                             char *out, size_t size)
{
    /* gcloud derives a regional endpoint by prefixing the host of the
     * run endpoint with "REGION-": run.example -> us-central1-run.example.
     * The Knative paths carry no location, so the Host is where it is. */
    size_t label = 0;

    snprintf(out, size, "%s", fallback != NULL ? fallback : "us-central1");
    if (host == NULL) {
        return;
    }
    while (host[label] != '\0' && host[label] != '.' && host[label] != ':') {
        label++;
    }
    if (label > 4 && memcmp(host + label - 4, "-run", 4) == 0 &&
        run_v1_region_ok(host, label - 4) && label - 4 < size) {
        memcpy(out, host, label - 4);
        out[label - 4] = '\0';
    }
}

void run_v1_where_of(api_request *req, run_v1_where *w)
{
    bool knative = strncmp(req->path, "/apis/", 6) == 0;

    memset(w, 0, sizeof(*w));
    snprintf(w->project, sizeof(w->project), "%s", req->params[0]);
    if (knative) {
        const char *host = MHD_lookup_connection_value(
            req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        run_v1_location_of_host(host, req->server->default_location,
                                w->location, sizeof(w->location));
        w->id = req->params[1];
    } else {
        snprintf(w->location, sizeof(w->location), "%s", req->params[1]);
        w->id = req->params[2];
    }
    snprintf(w->parent, sizeof(w->parent), "projects/%s/locations/%s",
             w->project, w->location);
}

void run_v1_ctx(api_request *req, vouch_platform_ctx *ctx)
{
    api_platform_ctx(req, ctx);
    ctx->api = VOUCH_PLATFORM_API_V1;
}

void run_v1_call_begin(api_request *req, run_v1_call *c)
{
    memset(c, 0, sizeof(*c));
    run_v1_where_of(req, &c->w);
    run_v1_ctx(req, &c->ctx);
}

/* ---- responses ---- */

/* v2 field paths in platform messages, as a v1 client names them. */
static void rewrite_path(vouch_error *err)
{
    static const char *const paths[][2] = {
        { "template.template.containers",
          "spec.template.spec.template.spec.containers" },
        { "template.template.", "spec.template.spec.template.spec." },
        { "template.containers", "spec.template.spec.containers" },
        { "template.revision", "spec.template.metadata.name" },
        { "template.", "spec.template.spec." },
        { "traffic", "spec.traffic" },
        { "binaryAuthorization", "metadata.annotations" },
    };
    char msg[sizeof(err->message)];

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        size_t n = strlen(paths[i][0]);
        if (strncmp(err->message, paths[i][0], n) == 0) {
            snprintf(msg, sizeof(msg), "%s%s", paths[i][1],
                     err->message + n);
            memcpy(err->message, msg, sizeof(msg));
            return;
        }
    }
}

int run_v1_finish(api_request *req, int rc, json_t *v1,
                  vouch_platform_ctx *ctx, const vouch_error *err)
{
    vouch_error e = *err;

    if (rc < 0) {
        rewrite_path(&e);
    }
    return api_run_finish(req, rc, v1, ctx, &e);
}

json_t *run_v1_deleted(const char *kind, const char *id, const json_t *r2)
{
    json_t *st = json_pack("{s:s,s:s,s:s,s:{},s:{s:s,s:s}}", "apiVersion",
                           "v1", "kind", "Status", "status", "Success",
                           "metadata", "details", "name", id, "kind", kind);
    json_t *uid = json_object_get(r2, "uid");

    if (st != NULL && json_is_string(uid)) {
        json_object_set(json_object_get(st, "details"), "uid", uid);
    }
    return st;
}

int run_v1_list_args_of(api_request *req, run_v1_list_args *a)
{
    const char *sel = api_query(req, "labelSelector");
    const char *limit = api_query(req, "limit");
    vouch_error err = VOUCH_ERROR_INIT;
    json_int_t n = 0;
    int rc;

    memset(a, 0, sizeof(*a));
    rc = api_labelsel_parse(sel != NULL ? sel : "",
                            sel != NULL ? strlen(sel) : 0, &a->selector,
                            &err);
    if (rc < 0) {
        api_respond_error(req, rc == VOUCH_ENOMEM ? rc : VOUCH_EINVAL,
                          "labelSelector: column %u: %s", err.column,
                          err.message);
        return -1;
    }
    if (limit != NULL && limit[0] != '\0') {
        json_t *v = json_string(limit);
        rc = run_v1_int(v, "limit", 0, 1000000000, 0, &n, &err);
        json_decref(v);
        if (rc < 0) {
            api_labelsel_free(a->selector);
            a->selector = NULL;
            api_respond_error(req, VOUCH_EINVAL, "%s", err.message);
            return -1;
        }
    }
    a->limit = n == 0 || n > RUN_V1_LIST_MAX ? RUN_V1_LIST_MAX : (size_t)n;
    a->token = api_query(req, "continue");
    return 0;
}

void run_v1_list_args_clear(run_v1_list_args *a)
{
    api_labelsel_free(a->selector);
    memset(a, 0, sizeof(*a));
}

int run_v1_respond_list(api_request *req, const char *api_version,
                        const char *kind, json_t *items,
                        const char *next_token)
{
    json_t *list = json_pack("{s:s,s:s,s:{},s:o}", "apiVersion",
                             api_version, "kind", kind, "metadata", "items",
                             items);
    int rc;

    if (list == NULL) {
        return VOUCH_ENOMEM;
    }
    if (next_token != NULL) {
        json_object_set_new(json_object_get(list, "metadata"), "continue",
                            json_string(next_token));
    }
    rc = api_respond_json(req, 200, list);
    json_decref(list);
    return rc;
}

typedef struct list_match {
    const run_v1_list_spec *spec;
    const run_v1_where *w;
    const api_labelsel *sel;
} list_match;

static int match_v1(const char *name, const json_t *r2, void *payload,
                    vouch_error *err)
{
    list_match *m = payload;
    json_t *v1;
    int rc;

    (void)name;
    v1 = m->spec->conv(r2, m->w, m->spec->payload);
    if (v1 == NULL) {
        return vutil_enomem(err);
    }
    rc = api_labelsel_match(m->sel, json_object_get(json_object_get(
                                        v1, "metadata"), "labels"))
             ? 1
             : 0;
    json_decref(v1);
    return rc;
}

int run_v1_list(api_request *req, const run_v1_where *w,
                const run_v1_list_args *args, const run_v1_list_spec *spec)
{
    list_match m = { spec, w, args->selector };
    vsvc_page_request page = { args->limit, args->token };
    vsvc_page got;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *items = NULL;
    json_t *r2;
    size_t i;
    int rc;

    rc = vsvc_list_matching(req->session, spec->kind, spec->parent,
                            spec->name_prefix, match_v1, &m, &page, &got,
                            &err);
    if (rc == VOUCH_EINVAL) {
        return api_respond_error(req, VOUCH_EINVAL, "continue: %s",
                                 err.message);
    }
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, NULL);
    }
    items = json_array();
    json_array_foreach(got.items, i, r2) {
        json_t *v1 = items != NULL ? spec->conv(r2, w, spec->payload) : NULL;
        if (v1 == NULL || json_array_append_new(items, v1) < 0) {
            json_decref(items);
            items = NULL;
            break;
        }
    }
    if (items == NULL) {
        vsvc_page_clear(&got);
        return VOUCH_ENOMEM;
    }
    rc = run_v1_respond_list(req, spec->api_version, spec->list_kind, items,
                             got.next_page_token);
    vsvc_page_clear(&got);
    return rc;
}

int run_v1_list_in(api_request *req, const run_v1_list_spec *what,
                   const char *parents, const char *pin)
{
    run_v1_list_spec spec = *what;
    run_v1_where w;
    run_v1_list_args args;
    char parent[512];
    char prefix[400];
    int rc;

    run_v1_where_of(req, &w);
    if (run_v1_list_args_of(req, &args) < 0) {
        return 0;
    }
    const char *pinned = parents != NULL
                             ? api_labelsel_pinned(args.selector, pin)
                             : NULL;
    spec.parent = NULL;
    spec.name_prefix = NULL;
    if (parents == NULL) {
        spec.parent = w.parent;
    } else if (pinned != NULL) {
        snprintf(parent, sizeof(parent), "%s/%s/%s", w.parent, parents,
                 pinned);
        spec.parent = parent;
    } else {
        snprintf(prefix, sizeof(prefix), "%s/%s/", w.parent, parents);
        spec.name_prefix = prefix;
    }
    rc = run_v1_list(req, &w, &args, &spec);
    run_v1_list_args_clear(&args);
    return rc;
}

int run_v1_parse_body(api_request *req, json_t **out, vouch_error *err)
{
    json_error_t jerr;

    *out = NULL;
    if (req->body_len > VOUCH_PLATFORM_BODY_MAX) {
        return vutil_error_set(err, VOUCH_ETOOBIG, NULL, 0, 0,
                               "request body: more than %u bytes",
                               VOUCH_PLATFORM_BODY_MAX);
    }
    *out = json_loadb(req->body != NULL ? req->body : "", req->body_len,
                      JSON_REJECT_DUPLICATES, &jerr);
    if (*out == NULL) {
        return vutil_error_set(err, VOUCH_EPARSE, NULL, 0, 0,
                               "request body:%d:%d: %s", jerr.line,
                               jerr.column, jerr.text);
    }
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "request body: expected a JSON object");
    }
    return 0;
}

int run_v1_load(api_request *req, vsvc_kind kind, const char *name,
                json_t **out, vouch_error *err)
{
    char *text = NULL;
    json_error_t jerr;
    int rc;

    *out = NULL;
    rc = vsvc_get_named(req->session, kind, name, &text, err);
    if (rc < 0) {
        return rc;
    }
    *out = json_loads(text, 0, &jerr);
    free(text);
    if (*out == NULL) {
        return vutil_error_set(err, VOUCH_EIO, NULL, 0, 0,
                               "stored %s %s is not JSON: %s",
                               vsvc_kind_text(kind), name, jerr.text);
    }
    return 0;
}

/* A name that ends with the wanted "/CHILD/ID". */
static int match_suffix(const char *name, const json_t *item, void *payload,
                        vouch_error *err)
{
    const char *suffix = payload;
    size_t n = strlen(name);
    size_t s = strlen(suffix);

    (void)item;
    (void)err;
    return n > s && strcmp(name + n - s, suffix) == 0;
}

/* PARENT, copied into `out`, when `id` is PARENT followed by a tail of
 * the shape `tail` (run_v1_find); NULL when it is not, or when PARENT
 * does not fit `size`. */
static const char *parent_of_generated(const char *id, const char *tail,
                                       char *out, size_t size)
{
    size_t n = strlen(id);
    size_t t = strlen(tail);

    if (n <= t || n - t >= size) {
        return NULL;
    }
    for (size_t i = 0; i < t; i++) {
        char c = id[n - t + i];
        bool ok = tail[i] == '?' ||
                  (tail[i] == '#' ? c >= '0' && c <= '9' : c == tail[i]);
        if (!ok) {
            return NULL;
        }
    }
    memcpy(out, id, n - t);
    out[n - t] = '\0';
    return out;
}

int run_v1_find(api_request *req, const run_v1_where *w, vsvc_kind kind,
                const char *collection, const char *child, const char *tail,
                json_t **out, vouch_error *err)
{
    vsvc_page_request page = { 1, NULL };
    vsvc_page got;
    char guess_buf[160];
    char prefix[400];
    char suffix[200];
    char name[800];
    int rc;

    *out = NULL;
    const char *guess = parent_of_generated(w->id, tail, guess_buf,
                                            sizeof(guess_buf));
    if (guess != NULL) {
        snprintf(name, sizeof(name), "%s/%s/%s/%s/%s", w->parent,
                 collection, guess, child, w->id);
        rc = run_v1_load(req, kind, name, out, err);
        if (rc != VOUCH_ENOTFOUND) {
            return rc;
        }
    }
    snprintf(prefix, sizeof(prefix), "%s/%s/", w->parent, collection);
    snprintf(suffix, sizeof(suffix), "/%s/%s", child, w->id);
    rc = vsvc_list_matching(req->session, kind, NULL, prefix, match_suffix,
                            suffix, &page, &got, err);
    if (rc < 0) {
        return rc;
    }
    if (json_array_size(got.items) == 1) {
        *out = json_incref(json_array_get(got.items, 0));
    }
    vsvc_page_clear(&got);
    if (*out == NULL) {
        return vutil_error_set(err, VOUCH_ENOTFOUND, NULL, 0, 0,
                               "%s %s not found in %s", vsvc_kind_text(kind),
                               w->id, w->parent);
    }
    return 0;
}

int run_v1_write(api_request *req, const run_v1_where *w,
                 const run_v1_writer *k, bool replace,
                 vouch_platform_ctx *ctx, json_t **op, vouch_error *err)
{
    json_t *in = NULL;
    json_t *body = NULL;
    char *text = NULL;
    char id[160];
    int rc;

    *op = NULL;
    rc = run_v1_parse_body(req, &in, err);
    if (rc == 0) {
        rc = k->to_v2(in, w, replace ? w->id : NULL, id, sizeof(id), &body,
                      err);
    }
    if (rc == 0) {
        text = json_dumps(body, JSON_COMPACT);
        rc = text != NULL ? 0 : vutil_enomem(err);
    }
    if (rc == 0 && replace) {
        rc = k->update(ctx, w->project, w->location, id, text, strlen(text),
                       run_v1_dry_run(req), false, op, err);
    } else if (rc == 0) {
        rc = k->create(ctx, w->project, w->location, id, text, strlen(text),
                       run_v1_dry_run(req), op, err);
    }
    free(text);
    json_decref(in);
    json_decref(body);
    return rc;
}

json_t *run_v1_op_resource(const json_t *op)
{
    json_t *r = json_deep_copy(json_object_get(op, "metadata"));

    if (r != NULL) {
        json_object_del(r, "@type");
    }
    return r;
}

int run_v1_respond_get(api_request *req, run_v1_finder find,
                       run_v1_conv conv, void *payload)
{
    vouch_error err = VOUCH_ERROR_INIT;
    run_v1_where w;
    json_t *r2 = NULL;
    json_t *v1;
    int rc;

    run_v1_where_of(req, &w);
    rc = find(req, &w, &r2, &err);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, NULL);
    }
    v1 = conv(r2, &w, payload);
    json_decref(r2);
    return api_respond_built(req, v1);
}

int run_v1_finish_op(api_request *req, run_v1_call *c, int rc,
                     run_v1_shape shape)
{
    json_t *r2 = rc == 0 ? run_v1_op_resource(c->op) : NULL;
    json_t *v1 = r2 != NULL ? shape(r2, &c->w) : NULL;

    json_decref(r2);
    if (rc == 0 && v1 == NULL) {
        rc = vutil_enomem(&c->err);
    }
    return run_v1_finish(req, rc, v1, &c->ctx, &c->err);
}

int run_v1_delete(api_request *req, const char *collection,
                  run_v1_delete_fn fn)
{
    run_v1_call c;
    int rc;

    run_v1_call_begin(req, &c);
    rc = fn(&c.ctx, c.w.project, c.w.location, c.w.id, NULL, &c.op, &c.err);
    json_t *r2 = rc == 0 ? run_v1_op_resource(c.op) : NULL;
    rc = run_v1_finish(req, rc,
                       rc == 0 ? run_v1_deleted(collection, c.w.id, r2)
                               : NULL,
                       &c.ctx, &c.err);
    json_decref(r2);
    json_decref(c.op);
    return rc;
}

bool run_v1_dry_run(api_request *req)
{
    const char *v = api_query(req, "dryRun");

    return v != NULL && strcmp(v, "All") == 0;
}
