/*
 * `vouch evaluate --manifest FILE`: every image of every Kubernetes
 * object in FILE decided as the admission webhook decides it
 * (docs/kubernetes.md): offline against --policy, --attestor and
 * --attestation files, or by posting each object to the server's webhook
 * as a dry-run AdmissionReview. One verdict per object, the same either
 * way; a malformed object is reported at FILE:LINE:COL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vutil_docs.h"

#include "cli.h"
#include "client.h"
#include "evaluate.h"
#include "vk8s.h"

/* The largest manifest read (kubectl kustomize output of a big app). */
#define MANIFEST_MAX_BYTES (64u * 1024u * 1024u)

/* What a Kubernetes object without a pod spec is answered. */
#define SKIP_NO_POD "the object runs no pod vouch checks"

/* One object of the manifest. */
typedef struct entry {
    const json_t *object;     /* borrowed from the documents */
    size_t doc;
    long item;                /* index in a List's items, or -1 */
    uint32_t line;            /* where the object starts */
    vk8s_workload *w;
} entry;

typedef struct manifest {
    const char *source;       /* the path, or "<stdin>" */
    char *data;
    vutil_docs *docs;
    entry *entries;
    size_t count;
} manifest;

static void manifest_free(manifest *m)
{
    for (size_t i = 0; i < m->count; i++) {
        vk8s_workload_free(m->entries[i].w);
    }
    free(m->entries);
    vutil_docs_free(m->docs);
    free(m->data);
}

/* The path of `where` in document `doc`, under items[item] for a List. */
static void locate(const manifest *m, size_t doc, long item,
                   const vk8s_where *where, uint32_t *line, uint32_t *column)
{
    const char *segs[VK8S_WHERE_MAX + 2];
    char index[24];
    size_t n = 0;

    if (item >= 0) {
        snprintf(index, sizeof(index), "%ld", item);
        segs[n++] = "items";
        segs[n++] = index;
    }
    for (size_t i = 0; where != NULL && i < where->depth; i++) {
        segs[n++] = where->seg[i];
    }
    vutil_docs_position(m->docs, doc, segs, n, line, column);
}

static int fail_object(const manifest *m, size_t doc, long item,
                       const vk8s_where *where, vouch_error *err)
{
    uint32_t line = 0;
    uint32_t column = 0;
    char prefix[200];

    locate(m, doc, item, where, &line, &column);
    snprintf(err->source, sizeof(err->source), "%s", m->source);
    err->line = line;
    err->column = column;
    if (item >= 0) {
        /* The object's paths start at items[N] of the List. */
        snprintf(prefix, sizeof(prefix), "items[%ld].", item);
        if (strlen(prefix) + strlen(err->message) < sizeof(err->message)) {
            memmove(err->message + strlen(prefix), err->message,
                    strlen(err->message) + 1);
            memcpy(err->message, prefix, strlen(prefix));
        }
    }
    return cli_fail_error(err);
}

static int add_entry(manifest *m, const json_t *object, size_t doc,
                     long item, const char *namespace_name)
{
    vk8s_where where = VK8S_WHERE_INIT;
    vouch_error err = VOUCH_ERROR_INIT;
    entry *e;
    entry *grown = realloc(m->entries, (m->count + 1) * sizeof(*grown));
    uint32_t column = 0;

    if (grown == NULL) {
        return cli_fail("out of memory");
    }
    m->entries = grown;
    e = &m->entries[m->count];
    memset(e, 0, sizeof(*e));
    e->object = object;
    e->doc = doc;
    e->item = item;
    if (vk8s_workload_read(&e->w, object, NULL, NULL, namespace_name, NULL,
                           &where, &err) < 0) {
        return fail_object(m, doc, item, &where, &err);
    }
    locate(m, doc, item, NULL, &e->line, &column);
    m->count++;
    return CLI_OK;
}

/* A List (kubectl get -o yaml) holds its objects in `items`. */
static bool is_list(const json_t *doc)
{
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    const char *api = json_string_value(json_object_get(doc, "apiVersion"));

    return kind != NULL && api != NULL && strcmp(api, "v1") == 0 &&
           strcmp(kind, "List") == 0 &&
           json_is_array(json_object_get(doc, "items"));
}

static int manifest_load(manifest *m, const char *path,
                         const char *namespace_name)
{
    vouch_error err = VOUCH_ERROR_INIT;
    size_t len = 0;
    int rc;

    m->source = strcmp(path, "-") == 0 ? "<stdin>" : path;
    rc = cli_read_file(path, MANIFEST_MAX_BYTES, &m->data, &len);
    if (rc != CLI_OK) {
        return rc;
    }
    if (vutil_docs_parse(&m->docs, m->data, len, VOUCH_FORMAT_AUTO,
                              MANIFEST_MAX_BYTES, m->source, &err) < 0) {
        return cli_fail_error(&err);
    }
    for (size_t d = 0; d < vutil_docs_count(m->docs); d++) {
        const json_t *doc = vutil_docs_get(m->docs, d);

        if (!is_list(doc)) {
            rc = add_entry(m, doc, d, -1, namespace_name);
        } else {
            const json_t *items = json_object_get(doc, "items");

            for (size_t i = 0; rc == CLI_OK && i < json_array_size(items);
                 i++) {
                rc = add_entry(m, json_array_get(items, i), d, (long)i,
                               namespace_name);
            }
        }
        if (rc != CLI_OK) {
            return rc;
        }
    }
    if (m->count == 0) {
        return cli_fail("%s: no Kubernetes object in the manifest",
                        m->source);
    }
    return CLI_OK;
}

/* One verdict as printed: the same fields offline and from a server. */
static json_t *verdict_json(const manifest *m, const entry *e, bool allowed,
                            const char *decision, const char *rule,
                            const char *message, const char *skip,
                            json_t *warnings)
{
    char where[300];
    json_t *v;

    snprintf(where, sizeof(where), "%s:%u", m->source, e->line);
    v = json_pack("{s:s,s:s,s:s,s:s,s:b,s:s}", "source", where, "kind",
                  e->w->kind, "namespace", e->w->namespace_name, "name",
                  e->w->name, "allowed", allowed ? 1 : 0, "decision",
                  decision != NULL ? decision : "");
    if (v == NULL) {
        json_decref(warnings);
        return NULL;
    }
    if (rule != NULL && rule[0] != '\0') {
        json_object_set_new(v, "rule", json_string(rule));
    }
    if (message != NULL) {
        json_object_set_new(v, "message", json_string(message));
    }
    if (skip != NULL) {
        json_object_set_new(v, "notEvaluated", json_string(skip));
    }
    if (warnings != NULL && json_array_size(warnings) > 0) {
        json_object_set_new(v, "warnings", warnings);
    } else {
        json_decref(warnings);
    }
    return v;
}

static json_t *offline_verdict(const manifest *m, const entry *e,
                               const evaluate_opts *o,
                               const evaluate_inputs *in)
{
    vouch_evaluation_input base = VOUCH_EVALUATION_INPUT_INIT;
    vouch_decision *d = NULL;
    vk8s_verdict v;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *warnings = json_array();
    json_t *out = NULL;

    if (!e->w->has_pod_spec) {
        return verdict_json(m, e, true, "ALLOW", NULL, NULL, SKIP_NO_POD,
                            warnings);
    }
    base.policy = in->policy;
    base.system_policy = in->system_policy;
    base.attestors = (const vouch_attestor *const *)in->attestors;
    base.attestor_count = in->attestor_count;
    base.attestations = in->atts;
    base.attestation_count = in->att_count;
    if (vk8s_evaluate(&d, e->w, o->cluster, o->trust_domain, &base,
                      &err) < 0 ||
        vk8s_verdict_make(&v, d, in->policy, NULL) < 0) {
        vouch_decision_free(d);
        json_decref(warnings);
        cli_fail("%s %s: %s", e->w->kind, e->w->name, err.message);
        return NULL;
    }
    for (size_t i = 0; warnings != NULL && i < v.warning_count; i++) {
        json_array_append_new(warnings, json_string(v.warnings[i]));
    }
    /* As the webhook answers: the message of a deny; a dry run's and a
     * break-glass's are in the warnings. */
    out = verdict_json(m, e, v.allowed, v.outcome, v.rule,
                       v.allowed ? NULL : v.message, v.skip, warnings);
    vk8s_verdict_clear(&v);
    vouch_decision_free(d);
    return out;
}

/* The verdict of the server's AdmissionReview `answer` to object `e`. */
static json_t *online_verdict(const manifest *m, const entry *e,
                              const json_t *answer)
{
    const json_t *resp = json_object_get(answer, "response");
    const json_t *ann = json_object_get(resp, "auditAnnotations");
    const json_t *allowed = json_object_get(resp, "allowed");
    const json_t *warnings = json_object_get(resp, "warnings");

    if (!json_is_boolean(allowed)) {
        cli_fail("%s %s: the server's answer is not an AdmissionReview "
                 "response", e->w->kind, e->w->name);
        return NULL;
    }
    return verdict_json(
        m, e, json_is_true(allowed),
        json_string_value(json_object_get(ann, "decision")),
        json_string_value(json_object_get(ann, "rule")),
        json_is_false(allowed)
            ? json_string_value(json_object_get(
                  json_object_get(resp, "status"), "message"))
            : NULL,
        json_string_value(json_object_get(ann, "not-evaluated")),
        json_is_array(warnings) ? json_deep_copy(warnings) : json_array());
}

static json_t *ask_server(client *c, const char *path, const manifest *m,
                          const entry *e, size_t n)
{
    char uid[64];
    char *text = NULL;
    json_t *body = NULL;
    json_t *answer = NULL;
    json_t *out = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    if (!e->w->has_pod_spec) {
        return verdict_json(m, e, true, "ALLOW", NULL, NULL, SKIP_NO_POD,
                            json_array());
    }
    snprintf(uid, sizeof(uid), "vouch-evaluate-%zu", n);
    if (vk8s_review_synthesize(&text, e->object, e->w->namespace_name, uid,
                               &err) < 0) {
        cli_fail("%s %s: %s", e->w->kind, e->w->name, err.message);
        return NULL;
    }
    body = json_loads(text, 0, NULL);
    if (body != NULL &&
        client_call(c, "POST", path, NULL, body, &answer) == CLI_OK) {
        out = online_verdict(m, e, answer);
    }
    json_decref(answer);
    json_decref(body);
    free(text);
    return out;
}

static int decide_all(const manifest *m, const evaluate_opts *o,
                      const cli_globals *g, json_t *list)
{
    evaluate_inputs in;
    client *c = NULL;
    char path[512];
    int rc = CLI_OK;

    memset(&in, 0, sizeof(in));
    if (o->policy != NULL) {
        rc = evaluate_load_inputs(o, &in);
    } else {
        const char *dot = strchr(o->cluster, '.');

        snprintf(path, sizeof(path),
                 "/k8s/v1/projects/%s/locations/%.*s/clusters/%s:admit",
                 g->project, (int)(dot - o->cluster), o->cluster, dot + 1);
        rc = client_new(&c, g);
    }
    for (size_t i = 0; rc == CLI_OK && i < m->count; i++) {
        json_t *v = o->policy != NULL
                        ? offline_verdict(m, &m->entries[i], o, &in)
                        : ask_server(c, path, m, &m->entries[i], i);

        if (v == NULL || json_array_append_new(list, v) != 0) {
            rc = CLI_USAGE;
        }
    }
    client_free(c);
    evaluate_inputs_free(&in);
    return rc;
}

static void print_text(const json_t *list)
{
    size_t i;
    const json_t *v;

    json_array_foreach(list, i, v) {
        const char *ns = json_string_value(json_object_get(v, "namespace"));
        const char *msg = json_string_value(json_object_get(v, "message"));
        const char *skip =
            json_string_value(json_object_get(v, "notEvaluated"));
        const json_t *warnings = json_object_get(v, "warnings");
        size_t j;
        const json_t *w;

        cli_out("%s: %s %s%s%s: %s%s%s",
                json_string_value(json_object_get(v, "source")),
                json_string_value(json_object_get(v, "kind")),
                ns != NULL && ns[0] != '\0' ? ns : "",
                ns != NULL && ns[0] != '\0' ? "/" : "",
                json_string_value(json_object_get(v, "name")),
                json_string_value(json_object_get(v, "decision")),
                msg != NULL || skip != NULL ? ": " : "",
                msg != NULL ? msg : skip != NULL ? skip : "");
        json_array_foreach(warnings, j, w) {
            cli_out("  warning: %s", json_string_value(w));
        }
    }
}

static int check_flags(const evaluate_opts *o, const cli_globals *g)
{
    if (o->cluster != NULL &&
        !vouch_rule_map_key_valid(VOUCH_CLUSTER_ADMISSION_RULES, o->cluster,
                                  strlen(o->cluster))) {
        return cli_fail("--cluster '%s' is not LOCATION.NAME, e.g. "
                        "us-central1-a.prod", o->cluster);
    }
    if (o->breakglass != NULL) {
        return cli_fail("--breakglass does not go with --manifest: annotate "
                        "the pod template with "
                        VK8S_BREAKGLASS_ANNOTATION ": \"true\"");
    }
    if (o->policy != NULL) {
        return CLI_OK;
    }
    if (o->attestors.count > 0 || o->attestations.count > 0 ||
        o->system_policy != NULL || o->trust_domain != NULL) {
        return cli_fail("without --policy, --manifest asks the server, "
                        "which has its own attestors, attestations and "
                        "trust domains: give --policy to decide offline");
    }
    if (o->cluster == NULL) {
        return cli_fail("asking the server needs --cluster LOCATION.NAME "
                        "(the cluster the objects are for)");
    }
    if (g->project == NULL || !client_segment_ok(g->project, strlen(g->project))) {
        return cli_fail("asking the server needs --project (or "
                        "VOUCH_PROJECT)");
    }
    return CLI_OK;
}

int evaluate_manifest(const evaluate_opts *o, cli_globals *g)
{
    manifest m;
    json_t *list = NULL;
    json_t *doc = NULL;
    bool text = false;
    bool denied = false;
    int format;
    int rc;

    memset(&m, 0, sizeof(m));
    rc = check_flags(o, g);
    if (rc != CLI_OK) {
        return rc;
    }
    format = cli_output_format(g, VOUCH_FORMAT_JSON, true, &text);
    if (format < 0) {
        return CLI_USAGE;
    }
    rc = manifest_load(&m, o->manifest,
                       o->namespace_name != NULL ? o->namespace_name
                                                 : "default");
    list = json_array();
    if (rc == CLI_OK && list == NULL) {
        rc = cli_fail("out of memory");
    }
    if (rc == CLI_OK) {
        rc = decide_all(&m, o, g, list);
    }
    if (rc == CLI_OK && text) {
        print_text(list);
    } else if (rc == CLI_OK) {
        doc = json_pack("{s:O}", "objects", list);
        rc = doc != NULL ? client_print_as(doc, (vouch_format)format)
                         : cli_fail("out of memory");
    }
    for (size_t i = 0; rc == CLI_OK && i < json_array_size(list); i++) {
        denied = denied || json_is_false(json_object_get(
                               json_array_get(list, i), "allowed"));
    }
    json_decref(doc);
    json_decref(list);
    manifest_free(&m);
    if (rc != CLI_OK) {
        return rc;
    }
    return denied ? CLI_DENIED : CLI_OK;
}
