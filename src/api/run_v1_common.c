/*
 * vouchd — Cloud Run Admin v1: what every v1 shape and handler shares
 * (run_v1.h).
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labelsel.h"
#include "pager.h"
#include "platform.h"
#include "run.h"
#include "run_v1.h"
#include "server.h"
#include "support_apis.h"

/* A Cloud Run region id: a-z first, then a-z 0-9 -, 1..63. */
static bool region_ok(const char *s, size_t n)
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
        region_ok(host, label - 4) && label - 4 < size) {
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

void run_v1_ctx(api_request *req, vouch_platform_ctx *ctx,
                vouch_audit_queue *queue)
{
    api_run_ctx_init(req, ctx, queue);
    ctx->api = VOUCH_PLATFORM_API_V1;
}

/* ---- conditions ---- */

void run_v1_reason(const char *v2, char *out, size_t size)
{
    size_t o = 0;
    bool upper = true;

    for (size_t i = 0; v2 != NULL && v2[i] != '\0' && o + 1 < size; i++) {
        char c = v2[i];
        if (c == '_') {
            upper = true;
            continue;
        }
        if (c >= 'A' && c <= 'Z' && !upper) {
            c = (char)(c - 'A' + 'a');
        } else if (c >= 'a' && c <= 'z' && upper) {
            c = (char)(c - 'a' + 'A');
        }
        out[o++] = c;
        upper = false;
    }
    out[o] = '\0';
}

json_t *run_v1_condition(const json_t *c2, const char *type)
{
    const char *state = json_string_value(json_object_get(c2, "state"));
    const char *sev = json_string_value(json_object_get(c2, "severity"));
    const char *reason = json_string_value(json_object_get(c2, "reason"));
    const char *status = "Unknown";
    json_t *c;
    char buf[80];

    if (reason == NULL) {
        reason = json_string_value(json_object_get(c2, "revisionReason"));
    }
    if (reason == NULL) {
        reason = json_string_value(json_object_get(c2, "executionReason"));
    }
    if (state != NULL && strcmp(state, "CONDITION_SUCCEEDED") == 0) {
        status = "True";
    } else if (state != NULL && strcmp(state, "CONDITION_FAILED") == 0) {
        status = "False";
    }
    c = json_pack("{s:s,s:s}", "type",
                  type != NULL ? type
                               : json_string_value(json_object_get(c2,
                                                                   "type")),
                  "status", status);
    if (c == NULL) {
        return NULL;
    }
    if (reason != NULL) {
        run_v1_reason(reason, buf, sizeof(buf));
        json_object_set_new(c, "reason", json_string(buf));
    }
    const char *msg = json_string_value(json_object_get(c2, "message"));
    if (msg != NULL && msg[0] != '\0') {
        json_object_set_new(c, "message", json_string(msg));
    }
    json_t *when = json_object_get(c2, "lastTransitionTime");
    if (json_is_string(when)) {
        json_object_set(c, "lastTransitionTime", when);
    }
    if (sev != NULL) {
        /* "ERROR" -> "Error" */
        run_v1_reason(sev, buf, sizeof(buf));
        json_object_set_new(c, "severity", json_string(buf));
    }
    return c;
}

const json_t *run_v1_find_condition(const json_t *conds, const char *type)
{
    size_t i;
    json_t *c;

    json_array_foreach(conds, i, c) {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t != NULL && strcmp(t, type) == 0) {
            return c;
        }
    }
    return NULL;
}

/* ---- metadata ---- */

const char *run_v1_short(const char *name)
{
    const char *slash = name != NULL ? strrchr(name, '/') : NULL;

    return slash != NULL ? slash + 1 : name;
}

json_t *run_v1_meta(const json_t *r2, const char *id, const run_v1_where *w)
{
    json_t *labels = json_deep_copy(json_object_get(r2, "labels"));
    json_t *meta;

    if (labels == NULL) {
        labels = json_object();
    }
    meta = json_pack("{s:s,s:s,s:o}", "name", id, "namespace", w->project,
                     "labels", labels);
    if (meta == NULL) {
        return NULL;
    }
    json_object_set_new(labels, RUN_V1_LABEL_LOCATION,
                        json_string(w->location));
    static const char *const copied[][2] = {
        { "uid", "uid" },
        { "generation", "generation" },
        { "etag", "resourceVersion" },
        { "createTime", "creationTimestamp" },
    };
    for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
        json_t *v = json_object_get(r2, copied[i][0]);
        if (v != NULL) {
            json_object_set(meta, copied[i][1], v);
        }
    }
    return meta;
}

/* ---- checks ---- */

static bool listed(const char *const *list, const char *key)
{
    for (size_t i = 0; list != NULL && list[i] != NULL; i++) {
        if (strcmp(list[i], key) == 0) {
            return true;
        }
    }
    return false;
}

int run_v1_fields(const json_t *obj, const char *const *allowed,
                  const char *const *ignored, const char *path,
                  vouch_error *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(obj)) {
        return api_error_fill(err, VOUCH_EINVAL, "%s: expected an object",
                              path);
    }
    json_object_foreach((json_t *)obj, key, v) {
        if (!listed(allowed, key) && !listed(ignored, key)) {
            return api_error_fill(err, VOUCH_EINVAL,
                                  "%s%s%.100s: unknown field", path,
                                  path[0] != '\0' ? "." : "", key);
        }
    }
    return 0;
}

int run_v1_id_check(const char *id, const char *path, vouch_error *err)
{
    size_t n = strlen(id);
    bool ok = n > 0 && n <= API_ID_MAX;

    for (size_t i = 0; ok && i < n; i++) {
        char c = id[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
             c == '~';
    }
    if (!ok) {
        return api_error_fill(err, VOUCH_EINVAL, "%s: '%.100s' is not a "
                              "valid name: 1 to %u of A-Z a-z 0-9 - _ . ~",
                              path, id, API_ID_MAX);
    }
    return 0;
}

int run_v1_string_map(const json_t *v, const char *path, vouch_error *err)
{
    const char *key;
    json_t *e;

    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    if (!json_is_object(v)) {
        return api_error_fill(err, VOUCH_EINVAL, "%s: expected an object "
                              "of strings", path);
    }
    json_object_foreach((json_t *)v, key, e) {
        if (!json_is_string(e)) {
            return api_error_fill(err, VOUCH_EINVAL, "%s['%.100s']: "
                                  "expected a string", path, key);
        }
    }
    return 0;
}

int run_v1_int(const json_t *v, const char *path, json_int_t min,
               json_int_t max, json_int_t dflt, json_int_t *out,
               vouch_error *err)
{
    json_int_t n = 0;

    *out = dflt;
    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    if (json_is_integer(v)) {
        n = json_integer_value(v);
    } else if (json_is_string(v) && json_string_length(v) > 0 &&
               json_string_length(v) <= 18) {
        const char *s = json_string_value(v);
        for (size_t i = 0; s[i] != '\0'; i++) {
            if (s[i] < '0' || s[i] > '9') {
                n = -1;
                break;
            }
            n = n * 10 + (s[i] - '0');
        }
    } else {
        n = min - 1;
    }
    if (n < min || n > max) {
        return api_error_fill(err, VOUCH_EINVAL, "%s: expected a whole "
                              "number from %lld to %lld", path,
                              (long long)min, (long long)max);
    }
    *out = n;
    return 0;
}

void run_v1_set_nonempty(json_t *obj, const char *key, json_t *value)
{
    if (value == NULL || json_is_null(value) ||
        (json_is_object(value) && json_object_size(value) == 0) ||
        (json_is_array(value) && json_array_size(value) == 0)) {
        json_decref(value);
        return;
    }
    json_object_set_new(obj, key, value);
}

json_int_t run_v1_seconds(const char *duration)
{
    json_int_t n = 0;
    size_t i = 0;

    if (duration == NULL) {
        return -1;
    }
    for (; duration[i] >= '0' && duration[i] <= '9' && i < 12; i++) {
        n = n * 10 + (duration[i] - '0');
    }
    return i > 0 && strcmp(duration + i, "s") == 0 ? n : -1;
}

/* ---- containers ---- */

static int container_to_v2(const json_t *c, const char *path, size_t i,
                           json_t **out, vouch_error *err)
{
    static const char *const kept[] = {
        "image", "command", "args", "resources", "ports", "volumeMounts",
        "workingDir", "livenessProbe", "startupProbe", "name", "env", NULL,
    };
    /* Kubernetes fields Cloud Run accepts and ignores. */
    static const char *const ignored[] = {
        "imagePullPolicy", "terminationMessagePath",
        "terminationMessagePolicy", "securityContext", "readinessProbe",
        NULL,
    };
    char where[120];
    const char *key;
    json_t *v;
    json_t *c2;
    size_t k;
    json_t *e;
    int rc;

    *out = NULL;
    snprintf(where, sizeof(where), "%s[%zu]", path, i);
    rc = run_v1_fields(c, kept, ignored, where, err);
    if (rc < 0) {
        return rc;
    }
    json_array_foreach(json_object_get(c, "env"), k, e) {
        if (json_object_get(e, "valueFrom") != NULL) {
            return api_error_fill(err, VOUCH_EINVAL, "%s.env[%zu].valueFrom: "
                                  "values from secrets are not supported; "
                                  "give a value", where, k);
        }
    }
    c2 = json_object();
    if (c2 == NULL) {
        return api_error_fill(err, VOUCH_ENOMEM, "out of memory");
    }
    json_object_foreach((json_t *)c, key, v) {
        if (!listed(kept, key) ||
            (strcmp(key, "name") == 0 && json_is_string(v) &&
             json_string_length(v) == 0)) {
            continue;
        }
        json_t *copy = json_deep_copy(v);
        if (strcmp(key, "ports") == 0 && json_is_array(copy)) {
            size_t p;
            json_t *port;
            json_array_foreach(copy, p, port) {
                json_object_del(port, "protocol");
            }
        } else if (strcmp(key, "resources") == 0 && json_is_object(copy)) {
            json_object_del(copy, "requests");
        }
        run_v1_set_nonempty(c2, key, copy);
    }
    *out = c2;
    return 0;
}

int run_v1_containers_to_v2(const json_t *in, const char *path,
                            json_t **out, vouch_error *err)
{
    json_t *list = NULL;
    size_t i;
    json_t *c;
    int rc;

    *out = NULL;
    if (!json_is_array(in) || json_array_size(in) == 0) {
        return api_error_fill(err, VOUCH_EINVAL, "%s: required, at least "
                              "one container with an image", path);
    }
    list = json_array();
    if (list == NULL) {
        return api_error_fill(err, VOUCH_ENOMEM, "out of memory");
    }
    json_array_foreach(in, i, c) {
        json_t *c2 = NULL;
        rc = container_to_v2(c, path, i, &c2, err);
        if (rc < 0) {
            json_decref(list);
            return rc;
        }
        json_array_append_new(list, c2);
    }
    *out = list;
    return 0;
}

json_t *run_v1_containers_of(const json_t *containers2)
{
    json_t *out = json_deep_copy(containers2);

    return out != NULL ? out : json_array();
}

/* ---- annotations and metadata ---- */

static int ann_error(vouch_error *err, const char *path, const char *key,
                     const char *why)
{
    return api_error_fill(err, VOUCH_EINVAL, "%s['%s']: %s", path, key,
                          why);
}

int run_v1_annotations_to_v2(const json_t *ann, const char *path,
                             json_t *out, vouch_error *err)
{
    static const char *const fields[][2] = {
        { RUN_V1_ANN_CLIENT, "client" },
        { RUN_V1_ANN_CLIENT_VERSION, "clientVersion" },
        { RUN_V1_ANN_LAUNCH_STAGE, "launchStage" },
    };
    json_t *kept = NULL;
    const char *key;
    json_t *v;
    int rc;

    rc = run_v1_string_map(ann, path, err);
    if (rc < 0) {
        return rc;
    }
    const char *ba = json_string_value(json_object_get(ann,
                                                       RUN_V1_ANN_BINAUTHZ));
    const char *bg = json_string_value(json_object_get(ann,
                                                       RUN_V1_ANN_BREAKGLASS));
    if (ba != NULL && strcmp(ba, "default") != 0) {
        return ann_error(err, path, RUN_V1_ANN_BINAUTHZ,
                         "only 'default' (the project's policy) is "
                         "served; named platform policies are not");
    }
    if (bg != NULL && bg[0] != '\0' && ba == NULL) {
        return ann_error(err, path, RUN_V1_ANN_BREAKGLASS,
                         "breakglass needs Binary Authorization on (the "
                         "annotation " RUN_V1_ANN_BINAUTHZ ": default)");
    }
    if (ba != NULL) {
        json_t *b = json_pack("{s:b}", "useDefault", 1);
        if (b != NULL && bg != NULL && bg[0] != '\0') {
            json_object_set_new(b, "breakglassJustification",
                                json_string(bg));
        }
        json_object_set_new(out, "binaryAuthorization", b);
    }
    kept = json_object();
    if (kept == NULL) {
        return api_error_fill(err, VOUCH_ENOMEM, "out of memory");
    }
    json_object_foreach((json_t *)ann, key, v) {
        bool mapped = strcmp(key, RUN_V1_ANN_BINAUTHZ) == 0 ||
                      strcmp(key, RUN_V1_ANN_BREAKGLASS) == 0;
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
            if (strcmp(key, fields[i][0]) == 0) {
                json_object_set(out, fields[i][1], v);
                mapped = true;
            }
        }
        if (!mapped) {
            json_object_set(kept, key, v);
        }
    }
    run_v1_set_nonempty(out, "annotations", kept);
    return 0;
}

json_t *run_v1_annotations_of(const json_t *r2)
{
    static const char *const fields[][2] = {
        { "client", RUN_V1_ANN_CLIENT },
        { "clientVersion", RUN_V1_ANN_CLIENT_VERSION },
        { "launchStage", RUN_V1_ANN_LAUNCH_STAGE },
    };
    json_t *ann = json_deep_copy(json_object_get(r2, "annotations"));
    const json_t *ba = json_object_get(r2, "binaryAuthorization");

    if (ann == NULL) {
        ann = json_object();
    }
    if (ann == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        json_t *v = json_object_get(r2, fields[i][0]);
        if (json_is_string(v)) {
            json_object_set(ann, fields[i][1], v);
        }
    }
    if (json_is_true(json_object_get(ba, "useDefault"))) {
        json_object_set_new(ann, RUN_V1_ANN_BINAUTHZ, json_string("default"));
    } else if (json_is_string(json_object_get(ba, "policy"))) {
        json_object_set(ann, RUN_V1_ANN_BINAUTHZ,
                        json_object_get(ba, "policy"));
    }
    const char *bg = json_string_value(json_object_get(
        ba, "breakglassJustification"));
    if (bg != NULL && bg[0] != '\0') {
        json_object_set_new(ann, RUN_V1_ANN_BREAKGLASS, json_string(bg));
    }
    return ann;
}

int run_v1_meta_to_v2(const json_t *meta, const run_v1_where *w,
                      const char *url_id, char *id, size_t id_size,
                      json_t *out, vouch_error *err)
{
    static const char *const allowed[] = {
        "name", "namespace", "labels", "annotations", "resourceVersion",
        NULL,
    };
    /* Output-only: echoed back by a read-modify-write, ignored. */
    static const char *const output[] = {
        "generation", "uid", "creationTimestamp", "selfLink",
        "generateName", "deletionTimestamp", "deletionGracePeriodSeconds",
        "ownerReferences", "finalizers", "clusterName", NULL,
    };
    json_t *labels = NULL;
    int rc;

    rc = run_v1_fields(meta, allowed, output, "metadata", err);
    if (rc < 0) {
        return rc;
    }
    json_t *name = json_object_get(meta, "name");
    if (name != NULL && !json_is_string(name)) {
        return api_error_fill(err, VOUCH_EINVAL, "metadata.name: expected "
                              "a string");
    }
    const char *n = json_string_value(name);
    if (url_id != NULL && n != NULL && n[0] != '\0' && strcmp(n, url_id)) {
        return api_error_fill(err, VOUCH_EINVAL, "metadata.name: '%.100s' "
                              "does not match the name in the URL (%s)", n,
                              url_id);
    }
    if (url_id == NULL && (n == NULL || n[0] == '\0')) {
        return api_error_fill(err, VOUCH_EINVAL, "metadata.name: required");
    }
    if (url_id == NULL && run_v1_id_check(n, "metadata.name", err) < 0) {
        return VOUCH_EINVAL;
    }
    snprintf(id, id_size, "%s", url_id != NULL ? url_id : n);
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    char number[32];
    api_project_number(w->project, number, sizeof(number));
    if (json_object_get(meta, "namespace") != NULL &&
        (ns == NULL || (ns[0] != '\0' && strcmp(ns, w->project) != 0 &&
                        strcmp(ns, number) != 0))) {
        return api_error_fill(err, VOUCH_EINVAL, "metadata.namespace: "
                              "'%.100s' is not the project of the URL (%s)",
                              ns != NULL ? ns : "(not a string)",
                              w->project);
    }
    json_t *in_labels = json_object_get(meta, "labels");
    rc = run_v1_string_map(in_labels, "metadata.labels", err);
    if (rc < 0) {
        return rc;
    }
    const char *loc = json_string_value(json_object_get(
        in_labels, RUN_V1_LABEL_LOCATION));
    if (loc != NULL && strcmp(loc, w->location) != 0) {
        return api_error_fill(err, VOUCH_EINVAL, "metadata.labels['"
                              RUN_V1_LABEL_LOCATION "']: '%.64s' is not the "
                              "location of this request (%s)", loc,
                              w->location);
    }
    labels = json_is_object(in_labels) ? json_deep_copy(in_labels) : NULL;
    if (labels != NULL) {
        json_object_del(labels, RUN_V1_LABEL_LOCATION);
    }
    run_v1_set_nonempty(out, "labels", labels);
    json_t *rv = json_object_get(meta, "resourceVersion");
    if (json_is_string(rv) && json_string_length(rv) > 0) {
        json_object_set(out, "etag", rv);
    }
    return run_v1_annotations_to_v2(json_object_get(meta, "annotations"),
                                    "metadata.annotations", out, err);
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
        api_respond_error(req, rc == VOUCH_ENOMEM ? API_INTERNAL
                                                  : API_INVALID_ARGUMENT,
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
            api_respond_error(req, API_INVALID_ARGUMENT, "%s", err.message);
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

static int match_v1(const vouch_resource *r, void *payload, vouch_error *err)
{
    list_match *m = payload;
    json_error_t jerr;
    json_t *r2;
    json_t *v1;
    int rc;

    if (m->spec->name_prefix != NULL &&
        strncmp(r->name, m->spec->name_prefix,
                strlen(m->spec->name_prefix)) != 0) {
        return 0;
    }
    r2 = json_loads(r->json, 0, &jerr);
    if (r2 == NULL) {
        return api_error_fill(err, VOUCH_EIO, "stored %s %s is not JSON: %s",
                              r->kind, r->name, jerr.text);
    }
    v1 = m->spec->conv(r2, m->w, m->spec->payload);
    json_decref(r2);
    if (v1 == NULL) {
        return api_error_fill(err, VOUCH_ENOMEM, "out of memory");
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
    vouch_resource_query q;
    vouch_resource_page page;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *items = NULL;
    int rc;

    memset(&q, 0, sizeof(q));
    q.kind = spec->kind;
    q.parent = spec->parent;
    rc = api_pager_list(req->conn, &q, args->token, args->limit, match_v1,
                        &m, &page, &err);
    if (rc == VOUCH_EINVAL) {
        return api_respond_error(req, API_INVALID_ARGUMENT, "continue: %s",
                                 err.message);
    }
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, NULL);
    }
    items = json_array();
    for (size_t i = 0; items != NULL && i < page.count; i++) {
        json_t *r2 = json_loads(page.items[i].json, 0, NULL);
        json_t *v1 = r2 != NULL ? spec->conv(r2, w, spec->payload) : NULL;
        json_decref(r2);
        if (v1 == NULL || json_array_append_new(items, v1) < 0) {
            json_decref(items);
            items = NULL;
        }
    }
    if (items == NULL) {
        vouch_resource_page_clear(&page);
        return VOUCH_ENOMEM;
    }
    rc = run_v1_respond_list(req, spec->api_version, spec->list_kind, items,
                             page.next_page_token);
    vouch_resource_page_clear(&page);
    return rc;
}

int run_v1_parse_body(api_request *req, json_t **out, vouch_error *err)
{
    json_error_t jerr;

    *out = NULL;
    if (req->body_len > VOUCH_PLATFORM_BODY_MAX) {
        return api_error_fill(err, VOUCH_ETOOBIG, "request body: more than "
                              "%u bytes", VOUCH_PLATFORM_BODY_MAX);
    }
    *out = json_loadb(req->body != NULL ? req->body : "", req->body_len,
                      JSON_REJECT_DUPLICATES, &jerr);
    if (*out == NULL) {
        return api_error_fill(err, VOUCH_EPARSE, "request body:%d:%d: %s",
                              jerr.line, jerr.column, jerr.text);
    }
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return api_error_fill(err, VOUCH_EINVAL, "request body: expected a "
                              "JSON object");
    }
    return 0;
}

int run_v1_load(api_request *req, const char *kind, const char *name,
                json_t **out, vouch_error *err)
{
    vouch_platform_ctx ctx;
    vouch_resource r;
    json_error_t jerr;
    int rc;

    *out = NULL;
    run_v1_ctx(req, &ctx, NULL);
    rc = vouch_platform_get(&ctx, kind, name, &r, err);
    if (rc < 0) {
        return rc;
    }
    *out = json_loads(r.json, 0, &jerr);
    vouch_resource_clear(&r);
    if (*out == NULL) {
        return api_error_fill(err, VOUCH_EIO, "stored %s %s is not JSON: %s",
                              kind, name, jerr.text);
    }
    return 0;
}

typedef struct suffix_match {
    char prefix[400];
    char suffix[200];
} suffix_match;

static int match_suffix(const vouch_resource *r, void *payload,
                        vouch_error *err)
{
    const suffix_match *m = payload;
    size_t n = strlen(r->name);
    size_t s = strlen(m->suffix);

    (void)err;
    return strncmp(r->name, m->prefix, strlen(m->prefix)) == 0 && n > s &&
           strcmp(r->name + n - s, m->suffix) == 0;
}

int run_v1_find(api_request *req, const run_v1_where *w, const char *kind,
                const char *collection, const char *child, const char *guess,
                json_t **out, vouch_error *err)
{
    vouch_resource_query q;
    vouch_resource_page page;
    suffix_match m;
    char name[800];
    int rc;

    *out = NULL;
    if (guess != NULL) {
        snprintf(name, sizeof(name), "%s/%s/%s/%s/%s", w->parent,
                 collection, guess, child, w->id);
        rc = run_v1_load(req, kind, name, out, err);
        if (rc != VOUCH_ENOTFOUND) {
            return rc;
        }
    }
    snprintf(m.prefix, sizeof(m.prefix), "%s/%s/", w->parent, collection);
    snprintf(m.suffix, sizeof(m.suffix), "/%s/%s", child, w->id);
    memset(&q, 0, sizeof(q));
    q.kind = kind;
    rc = api_pager_list(req->conn, &q, NULL, 1, match_suffix, &m, &page,
                        err);
    if (rc < 0) {
        return rc;
    }
    if (page.count == 1) {
        *out = json_loads(page.items[0].json, 0, NULL);
    }
    vouch_resource_page_clear(&page);
    if (*out == NULL) {
        return api_error_fill(err, VOUCH_ENOTFOUND, "%s %s not found in %s",
                              kind, w->id, w->parent);
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
        rc = text != NULL ? 0 : api_error_fill(err, VOUCH_ENOMEM,
                                               "out of memory");
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

bool run_v1_dry_run(api_request *req)
{
    const char *v = api_query(req, "dryRun");

    return v != NULL && strcmp(v, "All") == 0;
}
