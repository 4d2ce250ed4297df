/*
 * vouchd — Cloud Run Admin v1: what every v1 shape shares (run_v1.h):
 * conditions, metadata, field checks, the spec fields of revisions and
 * tasks, containers, annotations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "run_v1.h"
#include "server.h"
#include "support_apis.h"
#include "vutil_str.h"

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

int run_v1_fields(const json_t *obj, const char *const *allowed,
                  const char *const *ignored, const char *path,
                  vouch_error *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(obj)) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "%s: expected an object", path);
    }
    json_object_foreach((json_t *)obj, key, v) {
        if (!vutil_listed(allowed, key) && !vutil_listed(ignored, key)) {
            return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                   "%s%s%.100s: unknown field", path,
                                   path[0] != '\0' ? "." : "", key);
        }
    }
    return 0;
}

int run_v1_body_fields(const json_t *in, vouch_error *err)
{
    static const char *const top[] = {
        "apiVersion", "kind", "metadata", "spec", NULL,
    };
    static const char *const output[] = { "status", NULL };

    return run_v1_fields(in, top, output, "", err);
}

int run_v1_template_check(const json_t *tpl, const char *what,
                          vouch_error *err)
{
    static const char *const top[] = { "metadata", "spec", NULL };

    if (tpl == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "spec.template: required, %s", what);
    }
    return run_v1_fields(tpl, top, NULL, "spec.template", err);
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
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "%s: '%.100s' is not a "
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
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "%s: expected an object of strings",
                               path);
    }
    json_object_foreach((json_t *)v, key, e) {
        if (!json_is_string(e)) {
            return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                   "%s['%.100s']: expected a string",
                                   path, key);
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
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "%s: expected a whole number from %lld to %lld",
                               path, (long long)min, (long long)max);
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

/* ---- what revisions and tasks share ---- */

int run_v1_spec_to_v2(const json_t *spec, const run_v1_spec_kind *k,
                      json_t *t2, vouch_error *err)
{
    json_t *containers = NULL;
    json_t *iv = json_object_get(spec, k->v1_int);
    json_t *ts = json_object_get(spec, "timeoutSeconds");
    json_t *sa = json_object_get(spec, "serviceAccountName");
    char where[120];
    json_int_t n = 0;
    int rc;

    snprintf(where, sizeof(where), "%s.containers", k->path);
    rc = run_v1_containers_to_v2(json_object_get(spec, "containers"), where,
                                 &containers, err);
    if (rc < 0) {
        return rc;
    }
    json_object_set_new(t2, "containers", containers);
    snprintf(where, sizeof(where), "%s.%s", k->path, k->v1_int);
    rc = run_v1_int(iv, where, 0, k->int_max, 0, &n, err);
    if (rc == 0 && iv != NULL) {
        json_object_set_new(t2, k->v2_int, json_integer(n));
    }
    snprintf(where, sizeof(where), "%s.timeoutSeconds", k->path);
    if (rc == 0) {
        rc = run_v1_int(ts, where, 1, k->timeout_max, 0, &n, err);
    }
    if (rc == 0 && ts != NULL) {
        json_object_set_new(t2, "timeout", json_sprintf("%llds",
                                                        (long long)n));
    }
    if (rc == 0 && sa != NULL && !json_is_string(sa)) {
        rc = vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                             "%s.serviceAccountName: expected a string",
                             k->path);
    }
    if (rc == 0 && json_string_length(sa) > 0) {
        json_object_set(t2, "serviceAccount", sa);
    }
    if (rc == 0) {
        run_v1_set_nonempty(t2, "volumes",
                            json_deep_copy(json_object_get(spec,
                                                           "volumes")));
    }
    return rc;
}

json_t *run_v1_spec_of(const json_t *t2, const run_v1_spec_kind *k)
{
    json_t *spec = json_pack("{s:o}", "containers",
                             run_v1_containers_of(json_object_get(
                                 t2, "containers")));
    json_t *iv = json_object_get(t2, k->v2_int);
    json_int_t secs = run_v1_seconds(json_string_value(json_object_get(
        t2, "timeout")));

    if (spec == NULL) {
        return NULL;
    }
    if (json_is_integer(iv)) {
        json_object_set(spec, k->v1_int, iv);
    }
    if (secs >= 0) {
        json_object_set_new(spec, "timeoutSeconds", json_integer(secs));
    }
    if (json_is_string(json_object_get(t2, "serviceAccount"))) {
        json_object_set(spec, "serviceAccountName",
                        json_object_get(t2, "serviceAccount"));
    }
    run_v1_set_nonempty(spec, "volumes",
                        json_deep_copy(json_object_get(t2, "volumes")));
    return spec;
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
            return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                   "%s.env[%zu].valueFrom: "
                                   "values from secrets are not supported; "
                                   "give a value",
                                   where, k);
        }
    }
    c2 = json_object();
    if (c2 == NULL) {
        return vutil_enomem(err);
    }
    json_object_foreach((json_t *)c, key, v) {
        if (!vutil_listed(kept, key) ||
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
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "%s: required, at least "
                               "one container with an image",
                               path);
    }
    list = json_array();
    if (list == NULL) {
        return vutil_enomem(err);
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
    return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0, "%s['%s']: %s", path,
                           key, why);
}

/* Who made a resource is vouchd's to say: these come back in a
 * read-modify-write (gcloud run deploy, a `replace` of an exported YAML,
 * even one exported from Google Cloud) and are dropped. */
static const char *const author_fields[] = { "creator", "lastModifier" };
static const char *const author_annotations[] = {
    RUN_V1_GROUP_SERVING "/creator", RUN_V1_GROUP_SERVING "/lastModifier",
    RUN_V1_GROUP_RUN "/creator", RUN_V1_GROUP_RUN "/lastModifier", NULL,
};

void run_v1_authors_of(json_t *meta, const json_t *r2, const char *group)
{
    json_t *ann = json_object_get(meta, "annotations");
    char key[64];

    for (size_t i = 0; i < 2; i++) {
        json_t *who = json_object_get(r2, author_fields[i]);
        if (!json_is_string(who)) {
            continue;
        }
        if (ann == NULL) {
            ann = json_object();
            if (json_object_set_new(meta, "annotations", ann) < 0) {
                return;
            }
        }
        snprintf(key, sizeof(key), "%s/%s", group, author_fields[i]);
        json_object_set(ann, key, who);
    }
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
        return vutil_enomem(err);
    }
    json_object_foreach((json_t *)ann, key, v) {
        bool mapped = strcmp(key, RUN_V1_ANN_BINAUTHZ) == 0 ||
                      strcmp(key, RUN_V1_ANN_BREAKGLASS) == 0 ||
                      vutil_listed(author_annotations, key);
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
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "metadata.name: expected a string");
    }
    const char *n = json_string_value(name);
    if (url_id != NULL && n != NULL && n[0] != '\0' && strcmp(n, url_id)) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "metadata.name: '%.100s' "
                               "does not match the name in the URL (%s)",
                               n, url_id);
    }
    if (url_id == NULL && (n == NULL || n[0] == '\0')) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "metadata.name: required");
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
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "metadata.namespace: "
                               "'%.100s' is not the project of the URL (%s)",
                               ns != NULL ? ns : "(not a string)", w->project);
    }
    json_t *in_labels = json_object_get(meta, "labels");
    rc = run_v1_string_map(in_labels, "metadata.labels", err);
    if (rc < 0) {
        return rc;
    }
    const char *loc = json_string_value(json_object_get(
        in_labels, RUN_V1_LABEL_LOCATION));
    if (loc != NULL && strcmp(loc, w->location) != 0) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "metadata.labels['" RUN_V1_LABEL_LOCATION
                               "']: '%.64s' is not the "
                               "location of this request (%s)",
                               loc, w->location);
    }
    labels = json_is_object(in_labels) ? json_deep_copy(in_labels) : NULL;
    if (labels != NULL) {
        json_object_del(labels, RUN_V1_LABEL_LOCATION);
        json_object_del(labels, RUN_V1_LABEL_LAST_UPDATED);
    }
    run_v1_set_nonempty(out, "labels", labels);
    json_t *rv = json_object_get(meta, "resourceVersion");
    if (json_is_string(rv) && json_string_length(rv) > 0) {
        json_object_set(out, "etag", rv);
    }
    return run_v1_annotations_to_v2(json_object_get(meta, "annotations"),
                                    "metadata.annotations", out, err);
}
