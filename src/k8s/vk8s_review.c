/*
 * AdmissionReview requests (admission.k8s.io/v1 and v1beta1): read under
 * a limit, checked field by field, and what they ask to decide; and the
 * review `vouch evaluate --manifest --server` makes for an object.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "vk8s_internal.h"

static const char *const operations[] = {"CREATE", "UPDATE", "DELETE",
                                         "CONNECT"};

void vk8s_review_free(vk8s_review *r)
{
    if (r == NULL) {
        return;
    }
    json_decref(r->root);
    free(r);
}

/* A required object member. */
static int member_object(const json_t *obj, const char *key,
                         const json_t **out, vk8s_where *where,
                         vouch_error *err)
{
    const json_t *v = json_object_get(obj, key);
    size_t saved = vk8s_where_key(where, key);

    if (v == NULL || json_is_null(v)) {
        return vk8s__fail(err, VOUCH_EINVAL, NULL, where, "required");
    }
    if (!json_is_object(v)) {
        return vk8s__fail(err, VOUCH_EINVAL, NULL, where,
                          "expected an object, found %s",
                          vk8s__json_kind(v));
    }
    vk8s_where_pop(where, saved);
    *out = v;
    return 0;
}

/* An optional object member: NULL when absent or null. */
static int optional_object(const json_t *obj, const char *key,
                           const json_t **out, vk8s_where *where,
                           vouch_error *err)
{
    const json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    return member_object(obj, key, out, where, err);
}

/* A string member; `required` refuses it absent or empty. */
static int member_string(const json_t *obj, const char *key, bool required,
                         const char **out, vk8s_where *where,
                         vouch_error *err)
{
    int rc = vk8s__string(obj, key, out, NULL, where, err);

    if (rc < 0) {
        return rc;
    }
    if (required && (*out == NULL || (*out)[0] == '\0')) {
        vk8s_where_key(where, key);
        return vk8s__fail(err, VOUCH_EINVAL, NULL, where, "required");
    }
    if (*out == NULL) {
        *out = "";
    }
    return 0;
}

static int read_envelope(vk8s_review *r, vk8s_where *where,
                         vouch_error *err)
{
    const char *kind = NULL;
    int rc;

    if (!json_is_object(r->root)) {
        return vk8s__error(err, VOUCH_EINVAL,
                           "expected an AdmissionReview object, found %s",
                           vk8s__json_kind(r->root));
    }
    rc = member_string(r->root, "apiVersion", true, &r->api_version, where,
                       err);
    if (rc == 0) {
        rc = member_string(r->root, "kind", true, &kind, where, err);
    }
    if (rc < 0) {
        return rc;
    }
    if (strcmp(r->api_version, "admission.k8s.io/v1") != 0 &&
        strcmp(r->api_version, "admission.k8s.io/v1beta1") != 0) {
        vk8s_where_key(where, "apiVersion");
        return vk8s__fail(err, VOUCH_EINVAL, NULL, where,
                          "'%s' is not admission.k8s.io/v1 or v1beta1",
                          r->api_version);
    }
    if (strcmp(kind, "AdmissionReview") != 0) {
        vk8s_where_key(where, "kind");
        return vk8s__fail(err, VOUCH_EINVAL, NULL, where,
                          "'%s' is not AdmissionReview", kind);
    }
    return 0;
}

static int read_operation(vk8s_review *r, const json_t *req,
                          vk8s_where *where, vouch_error *err)
{
    const char *op = NULL;
    int rc = member_string(req, "operation", true, &op, where, err);

    if (rc < 0) {
        return rc;
    }
    for (size_t i = 0; i < sizeof(operations) / sizeof(operations[0]);
         i++) {
        if (strcmp(op, operations[i]) == 0) {
            r->operation = (vk8s_operation)i;
            r->operation_name = operations[i];
            return 0;
        }
    }
    vk8s_where_key(where, "operation");
    return vk8s__fail(err, VOUCH_EINVAL, NULL, where,
                      "'%s' is not CREATE, UPDATE, DELETE or CONNECT", op);
}

static int read_flags(vk8s_review *r, const json_t *req, vk8s_where *where,
                      vouch_error *err)
{
    const json_t *dry = json_object_get(req, "dryRun");
    const json_t *user = NULL;
    int rc;

    if (dry != NULL && !json_is_null(dry)) {
        if (!json_is_boolean(dry)) {
            vk8s_where_key(where, "dryRun");
            return vk8s__fail(err, VOUCH_EINVAL, NULL, where,
                              "expected a boolean, found %s",
                              vk8s__json_kind(dry));
        }
        r->dry_run = json_is_true(dry);
    }
    rc = optional_object(req, "userInfo", &user, where, err);
    if (rc < 0) {
        return rc;
    }
    r->username = "";
    if (user != NULL) {
        size_t saved = vk8s_where_key(where, "userInfo");

        rc = member_string(user, "username", false, &r->username, where,
                           err);
        if (rc < 0) {
            return rc;
        }
        vk8s_where_pop(where, saved);
    }
    return 0;
}

/* request.resource: {group, version, resource}, optional. */
static int read_resource(vk8s_review *r, const json_t *req,
                         vk8s_where *where, vouch_error *err)
{
    const json_t *res = NULL;
    size_t saved;
    int rc = optional_object(req, "resource", &res, where, err);

    r->resource = "";
    if (rc < 0 || res == NULL) {
        return rc;
    }
    saved = vk8s_where_key(where, "resource");
    rc = member_string(res, "resource", false, &r->resource, where, err);
    vk8s_where_pop(where, saved);
    return rc;
}

static int read_request(vk8s_review *r, vk8s_where *where, vouch_error *err)
{
    const json_t *req = NULL;
    const json_t *kind = NULL;
    size_t saved;
    int rc;

    rc = member_object(r->root, "request", &req, where, err);
    if (rc < 0) {
        return rc;
    }
    vk8s_where_key(where, "request");
    rc = member_string(req, "uid", true, &r->uid, where, err);
    if (rc == 0) {
        rc = member_object(req, "kind", &kind, where, err);
    }
    if (rc < 0) {
        return rc;
    }
    saved = vk8s_where_key(where, "kind");
    rc = member_string(kind, "group", false, &r->group, where, err);
    if (rc == 0) {
        rc = member_string(kind, "version", false, &r->version, where, err);
    }
    if (rc == 0) {
        rc = member_string(kind, "kind", true, &r->kind, where, err);
    }
    if (rc < 0) {
        return rc;
    }
    vk8s_where_pop(where, saved);
    rc = read_resource(r, req, where, err);
    if (rc == 0) {
        rc = member_string(req, "subResource", false, &r->sub_resource,
                           where, err);
    }
    if (rc == 0) {
        rc = member_string(req, "name", false, &r->name, where, err);
    }
    if (rc == 0) {
        rc = member_string(req, "namespace", false, &r->namespace_name,
                           where, err);
    }
    if (rc == 0) {
        rc = read_operation(r, req, where, err);
    }
    if (rc == 0) {
        rc = read_flags(r, req, where, err);
    }
    if (rc == 0) {
        rc = optional_object(req, "object", &r->object, where, err);
    }
    if (rc == 0) {
        rc = optional_object(req, "oldObject", &r->old_object, where, err);
    }
    if (rc == 0 && r->object == NULL &&
        (r->operation == VK8S_CREATE || r->operation == VK8S_UPDATE)) {
        vk8s_where_key(where, "object");
        rc = vk8s__fail(err, VOUCH_EINVAL, NULL, where,
                        "required for %s", r->operation_name);
    }
    return rc;
}

int vk8s_review_parse(vk8s_review **out, const char *data, size_t len,
                      vouch_error *err)
{
    vk8s_review *r = NULL;
    vk8s_where where = VK8S_WHERE_INIT;
    json_error_t jerr;
    int rc;

    *out = NULL;
    if (len > VK8S_REVIEW_MAX_BYTES) {
        return vk8s__error(err, VOUCH_ETOOBIG,
                           "the AdmissionReview is %zu bytes, over the "
                           "limit of %u",
                           len, VK8S_REVIEW_MAX_BYTES);
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return vk8s__error(err, VOUCH_ENOMEM, "out of memory");
    }
    r->root = json_loadb(data != NULL ? data : "", data != NULL ? len : 0,
                         JSON_REJECT_DUPLICATES, &jerr);
    if (r->root == NULL) {
        rc = vk8s__error(err, VOUCH_EPARSE, "not JSON: %s", jerr.text);
        if (err != NULL) {
            err->line = jerr.line > 0 ? (uint32_t)jerr.line : 0;
            err->column = jerr.column > 0 ? (uint32_t)jerr.column : 0;
        }
        goto cleanup;
    }
    rc = read_envelope(r, &where, err);
    if (rc == 0) {
        rc = read_request(r, &where, err);
    }
    if (rc < 0) {
        goto cleanup;
    }
    *out = r;
    r = NULL;

cleanup:
    vk8s_review_free(r);
    return rc;
}

int vk8s_review_workload(vk8s_workload **out, const char **skip,
                         const vk8s_review *r, vouch_error *err)
{
    vk8s_workload *w = NULL;
    vk8s_workload *old = NULL;
    int rc;

    *out = NULL;
    *skip = NULL;
    if (r->operation == VK8S_DELETE || r->operation == VK8S_CONNECT) {
        *skip = "only CREATE and UPDATE run images";
        return 0;
    }
    rc = vk8s_workload_read(&w, r->object, r->group, r->kind,
                            r->namespace_name, "request.object", NULL, err);
    if (rc < 0) {
        return rc;
    }
    if (!w->has_pod_spec) {
        *skip = "the object runs no pod vouch checks";
        goto cleanup;
    }
    if (r->operation == VK8S_UPDATE && r->old_object != NULL) {
        rc = vk8s_workload_read(&old, r->old_object, r->group, r->kind,
                                r->namespace_name, "request.oldObject", NULL,
                                err);
        if (rc < 0) {
            goto cleanup;
        }
        if (vk8s_workload_same_images(w, old)) {
            /* Scaling, relabelling, a status update: what runs is what
             * was admitted before. */
            *skip = "the update changes no image";
            goto cleanup;
        }
    }
    *out = w;
    w = NULL;

cleanup:
    vk8s_workload_free(old);
    vk8s_workload_free(w);
    return rc;
}

/* "Deployment" -> "deployments": the resource of every kind vouch reads. */
static void plural_of(const char *kind, char *plural, size_t size)
{
    size_t n = strlen(kind);

    if (n + 2 > size) {
        n = size - 2;
    }
    for (size_t i = 0; i < n; i++) {
        plural[i] = (char)tolower((unsigned char)kind[i]);
    }
    plural[n] = 's';
    plural[n + 1] = '\0';
}

static json_t *resource_of(const char *kind)
{
    char plural[128];

    plural_of(kind, plural, sizeof(plural));
    return json_string(plural);
}

void vk8s_review_names(const vk8s_review *r, const vk8s_workload *w,
                       char *resource_name, size_t resource_size,
                       char *method_name, size_t method_size)
{
    char plural[128];
    const char *group = r->group[0] != '\0' ? r->group : "core";
    const char *ns = r->namespace_name;
    const char *name = r->name;
    const char *sub = r->sub_resource;
    static const char *const verbs[] = {"create", "update", "delete",
                                        "connect"};

    if (r->resource[0] != '\0') {
        snprintf(plural, sizeof(plural), "%s", r->resource);
    } else {
        plural_of(r->kind, plural, sizeof(plural));
    }
    if (ns[0] == '\0' && w != NULL) {
        ns = w->namespace_name;
    }
    if (name[0] == '\0' && w != NULL) {
        name = w->name;
    }
    if (ns[0] != '\0') {
        snprintf(resource_name, resource_size,
                 "%s/%s/namespaces/%s/%s/%s%s%s", group, r->version, ns,
                 plural, name[0] != '\0' ? name : "-",
                 sub[0] != '\0' ? "/" : "", sub);
    } else {
        snprintf(resource_name, resource_size, "%s/%s/%s/%s%s%s", group,
                 r->version, plural, name[0] != '\0' ? name : "-",
                 sub[0] != '\0' ? "/" : "", sub);
    }
    snprintf(method_name, method_size, "io.k8s.%s.%s.%s%s%s.%s", group,
             r->version, plural, sub[0] != '\0' ? "." : "", sub,
             verbs[r->operation]);
}

int vk8s_review_synthesize(char **out, const json_t *object,
                           const char *namespace_name, const char *uid,
                           vouch_error *err)
{
    const char *api_version = json_string_value(
        json_object_get(object, "apiVersion"));
    const char *kind = json_string_value(json_object_get(object, "kind"));
    const char *name = json_string_value(
        json_object_get(json_object_get(object, "metadata"), "name"));
    const char *slash;
    json_t *gvk = NULL;
    json_t *root = NULL;

    *out = NULL;
    if (api_version == NULL || kind == NULL) {
        return vk8s__error(err, VOUCH_EINVAL,
                           "the object has no apiVersion or kind");
    }
    slash = strchr(api_version, '/');
    gvk = json_pack("{s:s#,s:s,s:s}", "group", api_version,
                    (int)(slash != NULL ? (size_t)(slash - api_version) : 0),
                    "version", slash != NULL ? slash + 1 : api_version,
                    "kind", kind);
    root = gvk == NULL ? NULL : json_pack(
        "{s:s,s:s,s:{s:s,s:O,s:{s:O,s:O,s:o},s:O,s:s,s:s,s:s,s:{s:s},"
        "s:O,s:n,s:b}}",
        "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview",
        "request", "uid", uid, "kind", gvk, "resource", "group",
        json_object_get(gvk, "group"), "version",
        json_object_get(gvk, "version"), "resource", resource_of(kind),
        "requestKind", gvk, "name", name != NULL ? name : "", "namespace",
        namespace_name != NULL ? namespace_name : "", "operation", "CREATE",
        "userInfo", "username", "vouch evaluate --manifest", "object",
        object, "oldObject", "dryRun", 1);
    json_decref(gvk);
    if (root != NULL) {
        *out = json_dumps(root, JSON_COMPACT);
    }
    json_decref(root);
    return *out == NULL ? vk8s__error(err, VOUCH_ENOMEM, "out of memory")
                        : 0;
}
