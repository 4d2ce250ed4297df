/*
 * vouchd — Cloud Run Admin v1 shapes of services (run_v1.h): Service in
 * both directions; Revision, Configuration and Route from the stored v2
 * service and revisions (docs/gcloud.md "One model, two shapes").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "run_v1.h"

#define LATEST "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
#define REVISION "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"
#define ANN_MIN_SCALE "autoscaling.knative.dev/minScale"
#define ANN_MAX_SCALE "autoscaling.knative.dev/maxScale"
#define ANN_EXEC_ENV "run.googleapis.com/execution-environment"
#define ANN_INGRESS "run.googleapis.com/ingress"
#define ANN_INGRESS_STATUS "run.googleapis.com/ingress-status"
#define NODE_ACCELERATOR "run.googleapis.com/accelerator"

static const run_v1_spec_kind revision_spec = {
    "spec.template.spec", "containerConcurrency",
    "maxInstanceRequestConcurrency", 1000, 3600,
};

/* v1 annotation value <-> v2 enum. */
static const char *const ingress_values[][2] = {
    { "all", "INGRESS_TRAFFIC_ALL" },
    { "internal", "INGRESS_TRAFFIC_INTERNAL_ONLY" },
    { "internal-and-cloud-load-balancing",
      "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER" },
    { "none", "INGRESS_TRAFFIC_NONE" },
};
static const char *const env_values[][2] = {
    { "gen1", "EXECUTION_ENVIRONMENT_GEN1" },
    { "gen2", "EXECUTION_ENVIRONMENT_GEN2" },
};

static const char *map_value(const char *const table[][2], size_t n,
                             const char *v, int from)
{
    for (size_t i = 0; v != NULL && i < n; i++) {
        if (strcmp(table[i][from], v) == 0) {
            return table[i][1 - from];
        }
    }
    return NULL;
}

#define MAP(table, v, from) \
    map_value(table, sizeof(table) / sizeof(table[0]), v, from)

/* ---- v1 -> v2 ---- */

/* Template annotations that are v2 fields: scaling, execution env. */
static int template_annotations_to_v2(json_t *ann, json_t *t2,
                                      vouch_error *err)
{
    static const char *const scale[][2] = {
        { ANN_MIN_SCALE, "minInstanceCount" },
        { ANN_MAX_SCALE, "maxInstanceCount" },
    };
    json_t *scaling = json_object();
    int rc = 0;

    if (scaling == NULL) {
        return vutil_enomem(err);
    }
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        json_t *v = json_object_get(ann, scale[i][0]);
        json_int_t n = 0;
        char path[120];
        if (v == NULL) {
            continue;
        }
        snprintf(path, sizeof(path),
                 "spec.template.metadata.annotations['%s']", scale[i][0]);
        rc = run_v1_int(v, path, 0, 1000, 0, &n, err);
        if (rc == 0) {
            json_object_set_new(scaling, scale[i][1], json_integer(n));
            json_object_del(ann, scale[i][0]);
        }
    }
    run_v1_set_nonempty(t2, "scaling", scaling);
    const char *env = json_string_value(json_object_get(ann, ANN_EXEC_ENV));
    if (rc == 0 && env != NULL) {
        if (MAP(env_values, env, 0) == NULL) {
            return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                   "spec.template.metadata"
                                   ".annotations['" ANN_EXEC_ENV "']: "
                                   "expected gen1 or gen2");
        }
        json_object_set_new(t2, "executionEnvironment",
                            json_string(MAP(env_values, env, 0)));
        json_object_del(ann, ANN_EXEC_ENV);
    }
    return rc;
}

static int template_meta_to_v2(const json_t *meta, json_t *t2,
                               vouch_error *err)
{
    static const char *const allowed[] = {
        "name", "labels", "annotations", NULL,
    };
    static const char *const output[] = {
        "namespace", "generateName", "creationTimestamp", "uid",
        "generation", "resourceVersion", "selfLink", NULL,
    };
    json_t *ann = NULL;
    int rc;

    if (meta == NULL) {
        return 0;
    }
    rc = run_v1_fields(meta, allowed, output, "spec.template.metadata",
                       err);
    if (rc == 0) {
        rc = run_v1_string_map(json_object_get(meta, "labels"),
                               "spec.template.metadata.labels", err);
    }
    if (rc == 0) {
        rc = run_v1_string_map(json_object_get(meta, "annotations"),
                               "spec.template.metadata.annotations", err);
    }
    if (rc < 0) {
        return rc;
    }
    json_t *name = json_object_get(meta, "name");
    if (name != NULL && !json_is_string(name)) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "spec.template.metadata."
                               "name: expected a string");
    }
    if (json_string_length(name) > 0) {
        rc = run_v1_id_check(json_string_value(name),
                             "spec.template.metadata.name", err);
        if (rc < 0) {
            return rc;
        }
        json_object_set(t2, "revision", name);
    }
    run_v1_set_nonempty(t2, "labels",
                        json_deep_copy(json_object_get(meta, "labels")));
    ann = json_deep_copy(json_object_get(meta, "annotations"));
    if (ann != NULL) {
        rc = template_annotations_to_v2(ann, t2, err);
    }
    if (rc == 0) {
        run_v1_set_nonempty(t2, "annotations", ann);
        ann = NULL;
    }
    json_decref(ann);
    return rc;
}

static int node_selector_to_v2(const json_t *ns, json_t *t2,
                               vouch_error *err)
{
    const char *key;
    json_t *v;
    int rc = run_v1_string_map(ns, "spec.template.spec.nodeSelector", err);

    if (rc < 0 || ns == NULL) {
        return rc;
    }
    json_object_foreach((json_t *)ns, key, v) {
        if (strcmp(key, NODE_ACCELERATOR) != 0) {
            return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                   "spec.template.spec.nodeSelector"
                                   "['%.100s']: only " NODE_ACCELERATOR
                                   " is supported",
                                   key);
        }
        json_object_set_new(t2, "nodeSelector",
                            json_pack("{s:O}", "accelerator", v));
    }
    return 0;
}

static int template_to_v2(const json_t *tpl, json_t **out, vouch_error *err)
{
    static const char *const spec_fields[] = {
        "containers", "containerConcurrency", "timeoutSeconds",
        "serviceAccountName", "volumes", "nodeSelector", NULL,
    };
    static const char *const spec_ignored[] = {
        "enableServiceLinks", "runtimeClassName", "imagePullSecrets", NULL,
    };
    json_t *t2 = NULL;
    int rc;

    *out = NULL;
    rc = run_v1_template_check(tpl, "a RevisionTemplate with containers",
                               err);
    if (rc < 0) {
        return rc;
    }
    json_t *spec = json_object_get(tpl, "spec");
    if (spec == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "spec.template.spec: "
                               "required, with containers");
    }
    rc = run_v1_fields(spec, spec_fields, spec_ignored,
                       "spec.template.spec", err);
    if (rc < 0) {
        return rc;
    }
    t2 = json_object();
    if (t2 == NULL) {
        return vutil_enomem(err);
    }
    rc = template_meta_to_v2(json_object_get(tpl, "metadata"), t2, err);
    if (rc == 0) {
        rc = run_v1_spec_to_v2(spec, &revision_spec, t2, err);
    }
    if (rc == 0) {
        rc = node_selector_to_v2(json_object_get(spec, "nodeSelector"), t2,
                                 err);
    }
    if (rc < 0) {
        goto cleanup;
    }
    *out = t2;
    t2 = NULL;

cleanup:
    json_decref(t2);
    return rc;
}

static int target_to_v2(const json_t *t, size_t i, json_t *list,
                        vouch_error *err)
{
    static const char *const allowed[] = {
        "revisionName", "latestRevision", "percent", "tag", NULL,
    };
    static const char *const output[] = { "configurationName", "url", NULL };
    char path[40];
    json_int_t pct = 0;
    json_t *t2;
    int rc;

    snprintf(path, sizeof(path), "spec.traffic[%zu]", i);
    rc = run_v1_fields(t, allowed, output, path, err);
    if (rc == 0) {
        rc = run_v1_int(json_object_get(t, "percent"), path, 0, 100, 0,
                        &pct, err);
    }
    if (rc < 0) {
        return rc;
    }
    const char *rev = json_string_value(json_object_get(t, "revisionName"));
    bool latest = json_is_true(json_object_get(t, "latestRevision"));
    if (latest == (rev != NULL && rev[0] != '\0')) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "%s: set exactly one of "
                               "revisionName and latestRevision: true",
                               path);
    }
    if (!latest) {
        char where[60];
        snprintf(where, sizeof(where), "%s.revisionName", path);
        rc = run_v1_id_check(rev, where, err);
        if (rc < 0) {
            return rc;
        }
    }
    t2 = json_pack("{s:s,s:I}", "type", latest ? LATEST : REVISION,
                   "percent", (json_int_t)pct);
    if (t2 == NULL) {
        return vutil_enomem(err);
    }
    if (!latest) {
        json_object_set_new(t2, "revision", json_string(rev));
    }
    json_t *tag = json_object_get(t, "tag");
    if (json_string_length(tag) > 0) {
        json_object_set(t2, "tag", tag);
    }
    json_array_append_new(list, t2);
    return 0;
}

static int traffic_to_v2(const json_t *traffic, json_t *svc,
                         vouch_error *err)
{
    json_t *list;
    size_t i;
    json_t *t;

    if (traffic == NULL || json_is_null(traffic)) {
        return 0;
    }
    if (!json_is_array(traffic)) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "spec.traffic: expected an "
                               "array of TrafficTarget");
    }
    list = json_array();
    if (list == NULL) {
        return vutil_enomem(err);
    }
    json_array_foreach(traffic, i, t) {
        int rc = target_to_v2(t, i, list, err);
        if (rc < 0) {
            json_decref(list);
            return rc;
        }
    }
    run_v1_set_nonempty(svc, "traffic", list);
    return 0;
}

/* The ingress annotation is the v2 field `ingress`. */
static int ingress_to_v2(json_t *svc, vouch_error *err)
{
    json_t *ann = json_object_get(svc, "annotations");
    const char *v = json_string_value(json_object_get(ann, ANN_INGRESS));

    json_object_del(ann, ANN_INGRESS_STATUS);
    if (v == NULL) {
        return 0;
    }
    if (MAP(ingress_values, v, 0) == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "metadata.annotations['" ANN_INGRESS
                               "']: expected all, internal, "
                               "internal-and-cloud-load-balancing or none");
    }
    json_object_set_new(svc, "ingress",
                        json_string(MAP(ingress_values, v, 0)));
    json_object_del(ann, ANN_INGRESS);
    if (json_object_size(ann) == 0) {
        json_object_del(svc, "annotations");
    }
    return 0;
}

/* apiVersion and kind, when given, must name this kind. */
static int check_kind(const json_t *in, const char *api_version,
                      const char *kind, vouch_error *err)
{
    const char *av = json_string_value(json_object_get(in, "apiVersion"));
    const char *k = json_string_value(json_object_get(in, "kind"));

    if (json_object_get(in, "apiVersion") != NULL &&
        (av == NULL || strcmp(av, api_version) != 0)) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "apiVersion: expected %s", api_version);
    }
    if (json_object_get(in, "kind") != NULL &&
        (k == NULL || strcmp(k, kind) != 0)) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "kind: expected %s", kind);
    }
    if (!json_is_object(json_object_get(in, "metadata"))) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "metadata: required, with the name");
    }
    if (!json_is_object(json_object_get(in, "spec"))) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "spec: required, with the template");
    }
    return 0;
}

int run_v1_service_to_v2(const json_t *in, const run_v1_where *w,
                         const char *url_id, char *id, size_t id_size,
                         json_t **out, vouch_error *err)
{
    static const char *const spec_fields[] = { "template", "traffic", NULL };
    json_t *svc = NULL;
    json_t *tpl = NULL;
    int rc;

    *out = NULL;
    rc = run_v1_body_fields(in, err);
    if (rc == 0) {
        rc = check_kind(in, RUN_V1_SERVING, "Service", err);
    }
    if (rc < 0) {
        return rc;
    }
    json_t *spec = json_object_get(in, "spec");
    rc = run_v1_fields(spec, spec_fields, NULL, "spec", err);
    if (rc < 0) {
        return rc;
    }
    svc = json_object();
    if (svc == NULL) {
        return vutil_enomem(err);
    }
    rc = run_v1_meta_to_v2(json_object_get(in, "metadata"), w, url_id, id,
                           id_size, svc, err);
    if (rc == 0) {
        rc = ingress_to_v2(svc, err);
    }
    if (rc == 0) {
        rc = template_to_v2(json_object_get(spec, "template"), &tpl, err);
    }
    if (rc == 0) {
        json_object_set_new(svc, "template", tpl);
        rc = traffic_to_v2(json_object_get(spec, "traffic"), svc, err);
    }
    if (rc < 0) {
        json_decref(svc);
        return rc;
    }
    *out = svc;
    return 0;
}

/* ---- v2 -> v1 ---- */

static json_t *template_of(const json_t *t2)
{
    json_t *meta = json_object();
    json_t *spec = run_v1_spec_of(t2, &revision_spec);
    json_t *ann = json_deep_copy(json_object_get(t2, "annotations"));
    const json_t *scaling = json_object_get(t2, "scaling");

    if (ann == NULL) {
        ann = json_object();
    }
    if (meta == NULL || spec == NULL || ann == NULL) {
        json_decref(meta);
        json_decref(spec);
        json_decref(ann);
        return NULL;
    }
    if (json_is_string(json_object_get(t2, "revision"))) {
        json_object_set(meta, "name", json_object_get(t2, "revision"));
    }
    run_v1_set_nonempty(meta, "labels",
                        json_deep_copy(json_object_get(t2, "labels")));
    if (json_is_integer(json_object_get(scaling, "minInstanceCount"))) {
        json_object_set_new(ann, ANN_MIN_SCALE, json_sprintf(
            "%lld", (long long)json_integer_value(json_object_get(
                        scaling, "minInstanceCount"))));
    }
    if (json_is_integer(json_object_get(scaling, "maxInstanceCount"))) {
        json_object_set_new(ann, ANN_MAX_SCALE, json_sprintf(
            "%lld", (long long)json_integer_value(json_object_get(
                        scaling, "maxInstanceCount"))));
    }
    const char *env = MAP(env_values, json_string_value(json_object_get(
                                          t2, "executionEnvironment")),
                          1);
    if (env != NULL) {
        json_object_set_new(ann, ANN_EXEC_ENV, json_string(env));
    }
    run_v1_set_nonempty(meta, "annotations", ann);
    const char *acc = json_string_value(json_object_get(
        json_object_get(t2, "nodeSelector"), "accelerator"));
    if (acc != NULL) {
        json_object_set_new(spec, "nodeSelector",
                            json_pack("{s:s}", NODE_ACCELERATOR, acc));
    }
    return json_pack("{s:o,s:o}", "metadata", meta, "spec", spec);
}

/* v2 TrafficTarget (or TrafficTargetStatus) -> v1 TrafficTarget. */
static json_t *target_of(const json_t *t2, const char *uri)
{
    bool latest = strcmp(json_string_value(json_object_get(t2, "type")) !=
                                 NULL
                             ? json_string_value(json_object_get(t2, "type"))
                             : "",
                         LATEST) == 0;
    json_t *t = json_pack("{s:I,s:b}", "percent",
                          json_integer_value(json_object_get(t2, "percent")),
                          "latestRevision", latest);
    const char *rev = run_v1_short(json_string_value(json_object_get(
        t2, "revision")));
    const char *tag = json_string_value(json_object_get(t2, "tag"));

    if (t == NULL) {
        return NULL;
    }
    if (rev != NULL) {
        json_object_set_new(t, "revisionName", json_string(rev));
    }
    if (tag != NULL) {
        json_object_set_new(t, "tag", json_string(tag));
        if (uri != NULL && strncmp(uri, "https://", 8) == 0) {
            json_object_set_new(t, "url", json_sprintf("https://%s---%s",
                                                       tag, uri + 8));
        }
    }
    return t;
}

static json_t *traffic_of(const json_t *list2, const char *uri)
{
    json_t *out = json_array();
    size_t i;
    json_t *t2;

    json_array_foreach(list2, i, t2) {
        json_array_append_new(out, target_of(t2, uri));
    }
    return out;
}

static void set_name(json_t *status, const char *key, const json_t *svc,
                     const char *field)
{
    const char *v = run_v1_short(json_string_value(json_object_get(svc,
                                                                   field)));

    if (v != NULL) {
        json_object_set_new(status, key, json_string(v));
    }
}

/* status.latestCreatedRevisionName and latestReadyRevisionName. */
static void set_latest(json_t *status, const json_t *svc)
{
    set_name(status, "latestCreatedRevisionName", svc,
             "latestCreatedRevision");
    set_name(status, "latestReadyRevisionName", svc, "latestReadyRevision");
}

/* status.url and status.address, when the service has a `uri`. */
static void set_url(json_t *status, const char *uri)
{
    if (uri != NULL) {
        json_object_set_new(status, "url", json_string(uri));
        json_object_set_new(status, "address", json_pack("{s:s}", "url",
                                                         uri));
    }
}

/* A ready condition for the service's state (terminalCondition). */
static json_t *ready_of(const json_t *svc, const char *type)
{
    const json_t *tc = json_object_get(svc, "terminalCondition");

    if (tc == NULL) {
        return json_pack("{s:s,s:s}", "type", type, "status", "Unknown");
    }
    return run_v1_condition(tc, type);
}

/* metadata of an object owned by service `svc` (Configuration, Route),
 * named as the service. */
static json_t *owned_meta(const json_t *svc, const run_v1_where *w)
{
    const char *name = run_v1_short(json_string_value(json_object_get(
        svc, "name")));
    const char *id = name != NULL ? name : "";
    json_t *meta = run_v1_meta(svc, id, w);

    if (meta == NULL) {
        return NULL;
    }
    json_t *labels = json_object_get(meta, "labels");
    json_object_set_new(labels, RUN_V1_LABEL_SERVICE, json_string(id));
    json_object_set_new(meta, "ownerReferences",
                        json_pack("[{s:s,s:s,s:s,s:O,s:b,s:b}]",
                                  "apiVersion", RUN_V1_SERVING, "kind",
                                  "Service", "name", id, "uid",
                                  json_object_get(svc, "uid") != NULL
                                      ? json_object_get(svc, "uid")
                                      : json_null(),
                                  "controller", 1, "blockOwnerDeletion", 1));
    return meta;
}

json_t *run_v1_service_of(const json_t *svc, const run_v1_where *w)
{
    const char *id = run_v1_short(json_string_value(json_object_get(svc,
                                                                    "name")));
    const char *uri = json_string_value(json_object_get(svc, "uri"));
    json_t *meta = run_v1_meta(svc, id != NULL ? id : "", w);
    json_t *ann = run_v1_annotations_of(svc);
    json_t *status = json_object();

    if (meta == NULL || ann == NULL || status == NULL) {
        json_decref(meta);
        json_decref(ann);
        json_decref(status);
        return NULL;
    }
    const char *ingress = MAP(ingress_values,
                              json_string_value(json_object_get(svc,
                                                                "ingress")),
                              1);
    if (ingress != NULL) {
        json_object_set_new(ann, ANN_INGRESS, json_string(ingress));
        json_object_set_new(ann, ANN_INGRESS_STATUS, json_string(ingress));
    }
    json_object_set_new(meta, "annotations", ann);
    run_v1_authors_of(meta, svc, RUN_V1_GROUP_SERVING);
    json_object_set(status, "observedGeneration",
                    json_object_get(svc, "observedGeneration"));
    json_object_set_new(status, "conditions",
                        json_pack("[o,o,o]", ready_of(svc, "Ready"),
                                  ready_of(svc, "ConfigurationsReady"),
                                  ready_of(svc, "RoutesReady")));
    set_latest(status, svc);
    json_object_set_new(status, "traffic",
                        traffic_of(json_object_get(svc, "trafficStatuses"),
                                   uri));
    set_url(status, uri);
    return json_pack("{s:s,s:s,s:o,s:{s:o,s:o},s:o}", "apiVersion",
                     RUN_V1_SERVING, "kind", "Service", "metadata", meta,
                     "spec", "template",
                     template_of(json_object_get(svc, "template")),
                     "traffic", traffic_of(json_object_get(svc, "traffic"),
                                           uri),
                     "status", status);
}

/* Does `svc` send traffic to revision `id`? */
static bool serves(const json_t *svc, const char *id)
{
    size_t i;
    json_t *s;

    json_array_foreach(json_object_get(svc, "trafficStatuses"), i, s) {
        const char *r = run_v1_short(json_string_value(json_object_get(
            s, "revision")));
        if (r != NULL && strcmp(r, id) == 0 &&
            json_integer_value(json_object_get(s, "percent")) > 0) {
            return true;
        }
    }
    return false;
}

static json_t *revision_status(const json_t *rev, const json_t *svc,
                               const char *id)
{
    json_t *conds = json_array();
    json_t *digests = json_array();
    const json_t *ready = run_v1_find_condition(json_object_get(rev,
                                                                "conditions"),
                                                "Ready");
    size_t i;
    json_t *c;

    if (ready != NULL) {
        json_array_append_new(conds, run_v1_condition(ready, NULL));
    }
    if (svc != NULL && serves(svc, id)) {
        json_array_append_new(conds, json_pack("{s:s,s:s}", "type", "Active",
                                               "status", "True"));
    } else if (svc != NULL) {
        json_array_append_new(conds, json_pack(
            "{s:s,s:s,s:s,s:s,s:s}", "type", "Active", "status", "False",
            "reason", "NoTraffic", "severity", "Info", "message",
            "The revision is not receiving traffic."));
    }
    json_t *status = json_pack("{s:O,s:o}", "observedGeneration",
                               json_object_get(rev, "observedGeneration") !=
                                       NULL
                                   ? json_object_get(rev,
                                                     "observedGeneration")
                                   : json_object_get(rev, "generation"),
                               "conditions", conds);
    json_array_foreach(json_object_get(rev, "containers"), i, c) {
        const char *image = json_string_value(json_object_get(c, "image"));
        if (image == NULL || strstr(image, "@sha256:") == NULL) {
            continue;
        }
        if (json_array_size(digests) == 0 && status != NULL) {
            json_object_set_new(status, "imageDigest", json_string(image));
        }
        json_t *cs = json_pack("{s:s}", "imageDigest", image);
        if (cs != NULL && json_is_string(json_object_get(c, "name"))) {
            json_object_set(cs, "name", json_object_get(c, "name"));
        }
        json_array_append_new(digests, cs);
    }
    if (status != NULL) {
        run_v1_set_nonempty(status, "containerStatuses", digests);
    } else {
        json_decref(digests);
    }
    return status;
}

json_t *run_v1_revision_of(const json_t *rev, const json_t *svc,
                           const run_v1_where *w)
{
    const char *id = run_v1_short(json_string_value(json_object_get(rev,
                                                                    "name")));
    const char *service = run_v1_short(json_string_value(json_object_get(
        rev, "service")));
    json_t *meta;
    json_t *spec;

    if (id == NULL || service == NULL) {
        return NULL;
    }
    meta = run_v1_meta(rev, id, w);
    spec = run_v1_spec_of(rev, &revision_spec);
    if (meta == NULL || spec == NULL) {
        json_decref(meta);
        json_decref(spec);
        return NULL;
    }
    json_t *labels = json_object_get(meta, "labels");
    json_object_set_new(labels, RUN_V1_LABEL_SERVICE, json_string(service));
    json_object_set_new(labels, RUN_V1_LABEL_CONFIGURATION,
                        json_string(service));
    json_object_set_new(labels, RUN_V1_LABEL_ROUTE, json_string(service));
    run_v1_set_nonempty(meta, "annotations",
                        json_deep_copy(json_object_get(rev, "annotations")));
    run_v1_authors_of(meta, rev, RUN_V1_GROUP_SERVING);
    json_object_set_new(meta, "ownerReferences",
                        json_pack("[{s:s,s:s,s:s,s:b,s:b}]", "apiVersion",
                                  RUN_V1_SERVING, "kind", "Configuration",
                                  "name", service, "controller", 1,
                                  "blockOwnerDeletion", 1));
    return json_pack("{s:s,s:s,s:o,s:o,s:o}", "apiVersion", RUN_V1_SERVING,
                     "kind", "Revision", "metadata", meta, "spec", spec,
                     "status", revision_status(rev, svc, id));
}

/*
 * A Configuration or a Route (`kind`) of service `svc`, with `spec`
 * (taken) and a status of the observedGeneration and the Ready condition
 * that the caller completes. NULL when out of memory.
 */
static json_t *owned_view(const json_t *svc, const run_v1_where *w,
                          const char *kind, json_t *spec)
{
    json_t *meta = owned_meta(svc, w);
    json_t *gen = json_object_get(svc, "observedGeneration");

    if (meta == NULL || spec == NULL) {
        json_decref(meta);
        json_decref(spec);
        return NULL;
    }
    return json_pack("{s:s,s:s,s:o,s:o,s:{s:O,s:[o]}}", "apiVersion",
                     RUN_V1_SERVING, "kind", kind, "metadata", meta, "spec",
                     spec, "status", "observedGeneration",
                     gen != NULL ? gen : json_null(), "conditions",
                     ready_of(svc, "Ready"));
}

json_t *run_v1_configuration_of(const json_t *svc, const run_v1_where *w)
{
    json_t *v1 = owned_view(svc, w, "Configuration",
                            json_pack("{s:o}", "template",
                                      template_of(json_object_get(
                                          svc, "template"))));

    if (v1 != NULL) {
        set_latest(json_object_get(v1, "status"), svc);
    }
    return v1;
}

json_t *run_v1_route_of(const json_t *svc, const run_v1_where *w)
{
    const char *uri = json_string_value(json_object_get(svc, "uri"));
    json_t *v1 = owned_view(svc, w, "Route",
                            json_pack("{s:o}", "traffic",
                                      traffic_of(json_object_get(svc,
                                                                 "traffic"),
                                                 uri)));
    json_t *status = json_object_get(v1, "status");

    if (v1 != NULL) {
        json_object_set_new(status, "traffic",
                            traffic_of(json_object_get(svc,
                                                       "trafficStatuses"),
                                       uri));
        set_url(status, uri);
    }
    return v1;
}
