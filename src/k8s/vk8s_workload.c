/*
 * A Kubernetes object read into the workload it runs (vk8s.h): where each
 * kind keeps its pod spec and pod metadata, and every image of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk8s_internal.h"
#include "vutil_str.h"

/* Where a kind keeps its pod spec and the metadata of its pods. */
typedef struct kind_info {
    const char *group;
    const char *kind;
    const char *const *spec;      /* path of the pod spec */
    size_t spec_depth;
    const char *const *meta;      /* path of the pods' metadata */
    size_t meta_depth;
} kind_info;

static const char *const pod_spec[] = {"spec"};
static const char *const pod_meta[] = {"metadata"};
static const char *const tmpl_spec[] = {"spec", "template", "spec"};
static const char *const tmpl_meta[] = {"spec", "template", "metadata"};
static const char *const cron_spec[] = {"spec", "jobTemplate", "spec",
                                        "template", "spec"};
static const char *const cron_meta[] = {"spec", "jobTemplate", "spec",
                                        "template", "metadata"};

#define POD_LIKE pod_spec, 1, pod_meta, 1
#define TEMPLATE tmpl_spec, 3, tmpl_meta, 3

/*
 * The kinds whose pods GKE's admission sees (Pod), and for early feedback
 * the controllers that make them from a template. "extensions" is the old
 * group of the apps kinds. A Knative Revision's spec is a pod spec.
 */
static const kind_info kinds[] = {
    {"", "Pod", POD_LIKE},
    {"", "ReplicationController", TEMPLATE},
    {"apps", "Deployment", TEMPLATE},
    {"apps", "ReplicaSet", TEMPLATE},
    {"apps", "StatefulSet", TEMPLATE},
    {"apps", "DaemonSet", TEMPLATE},
    {"extensions", "Deployment", TEMPLATE},
    {"extensions", "ReplicaSet", TEMPLATE},
    {"extensions", "DaemonSet", TEMPLATE},
    {"batch", "Job", TEMPLATE},
    {"batch", "CronJob", cron_spec, 5, cron_meta, 5},
    {"serving.knative.dev", "Service", TEMPLATE},
    {"serving.knative.dev", "Configuration", TEMPLATE},
    {"serving.knative.dev", "Revision", POD_LIKE},
};

static const kind_info *find_kind(const char *group, const char *kind)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(kinds[i].group, group) == 0 &&
            strcmp(kinds[i].kind, kind) == 0) {
            return &kinds[i];
        }
    }
    return NULL;
}

const char *vk8s_container_type_name(vk8s_container_type type)
{
    switch (type) {
    case VK8S_CONTAINER:
        return "CONTAINER";
    case VK8S_INIT_CONTAINER:
        return "INIT_CONTAINER";
    case VK8S_EPHEMERAL_CONTAINER:
        return "EPHEMERAL_CONTAINER";
    }
    return "CONTAINER";
}

static const char *const list_names[] = {"containers", "initContainers",
                                         "ephemeralContainers"};

void vk8s_image_path(const vk8s_workload *w, size_t i, char *buf,
                     size_t size)
{
    vk8s_where where = VK8S_WHERE_INIT;

    for (size_t s = 0; s < w->spec_depth; s++) {
        vk8s_where_key(&where, w->spec_path[s]);
    }
    vk8s_where_key(&where, list_names[w->images[i].type]);
    vk8s_where_index(&where, w->images[i].index);
    vk8s_where_key(&where, "image");
    vk8s_where_text(&where, buf, size);
}

/* Reading state: the workload being filled and where the reader is. */
typedef struct reader {
    vk8s_workload *w;
    const char *prefix;
    vk8s_where where;
    vouch_error *err;
    size_t image_cap;   /* of w->images */
    size_t ref_cap;     /* of w->refs: the same images, as strings */
} reader;

/* Follow `depth` keys from `obj`, each an object; NULL when one is
 * absent or null. Anything but an object on the way fails. */
static int follow(reader *r, const json_t *obj, const char *const *path,
                  size_t depth, const json_t **out)
{
    *out = NULL;
    for (size_t i = 0; i < depth; i++) {
        const json_t *next = json_object_get(obj, path[i]);

        if (next == NULL || json_is_null(next)) {
            return 0;
        }
        vk8s_where_key(&r->where, path[i]);
        if (!json_is_object(next)) {
            return vk8s__fail(r->err, VOUCH_EINVAL, r->prefix, &r->where,
                              "expected an object, found %s",
                              vk8s__json_kind(next));
        }
        obj = next;
    }
    *out = obj;
    return 0;
}

static int add_image(reader *r, const char *image, const char *container,
                     vk8s_container_type type, size_t index)
{
    vk8s_workload *w = r->w;

    if (w->image_count == VK8S_MAX_IMAGES) {
        return vk8s__fail(r->err, VOUCH_ETOOBIG, r->prefix, &r->where,
                          "more than %u images in one object",
                          VK8S_MAX_IMAGES);
    }
    if (!vutil_grow(&w->images, &r->image_cap, w->image_count,
                    sizeof(*w->images), 4) ||
        !vutil_grow(&w->refs, &r->ref_cap, w->image_count, sizeof(*w->refs),
                    4)) {
        return VOUCH_ENOMEM;
    }
    w->images[w->image_count].image = image;
    w->images[w->image_count].container = container;
    w->images[w->image_count].type = type;
    w->images[w->image_count].index = index;
    w->refs[w->image_count] = image;
    w->image_count++;
    return 0;
}

/* One container: its name and its image, which must be given. */
static int read_container(reader *r, const json_t *c,
                          vk8s_container_type type, size_t index)
{
    const char *name = NULL;
    const char *image = NULL;
    int rc;

    if (!json_is_object(c)) {
        return vk8s__fail(r->err, VOUCH_EINVAL, r->prefix, &r->where,
                          "expected an object, found %s",
                          vk8s__json_kind(c));
    }
    rc = vk8s__string(c, "name", &name, r->prefix, &r->where, r->err);
    if (rc == 0) {
        rc = vk8s__string(c, "image", &image, r->prefix, &r->where, r->err);
    }
    if (rc < 0) {
        return rc;
    }
    if (image == NULL || image[0] == '\0') {
        /* An image the API server would fill in later is not one vouch
         * can decide: fail closed. */
        vk8s_where_key(&r->where, "image");
        return vk8s__fail(r->err, VOUCH_EINVAL, r->prefix, &r->where,
                          "required: every container runs an image");
    }
    return add_image(r, image, name != NULL ? name : "", type, index);
}

static int read_containers(reader *r, const json_t *spec,
                           vk8s_container_type type)
{
    const char *key = list_names[type];
    const json_t *list = json_object_get(spec, key);
    size_t saved;
    size_t i;
    const json_t *c;

    if (list == NULL || json_is_null(list)) {
        return 0;
    }
    saved = vk8s_where_key(&r->where, key);
    if (!json_is_array(list)) {
        return vk8s__fail(r->err, VOUCH_EINVAL, r->prefix, &r->where,
                          "expected an array, found %s",
                          vk8s__json_kind(list));
    }
    json_array_foreach(list, i, c) {
        size_t at = vk8s_where_index(&r->where, i);
        int rc = read_container(r, c, type, i);

        if (rc < 0) {
            return rc;
        }
        vk8s_where_pop(&r->where, at);
    }
    vk8s_where_pop(&r->where, saved);
    return 0;
}

/* The pods' metadata: the break-glass annotation. */
static int read_pod_metadata(reader *r, const json_t *meta)
{
    const json_t *ann;
    const char *value = NULL;
    size_t saved = vk8s_where_key(&r->where, "annotations");
    int rc;

    ann = json_object_get(meta, "annotations");
    if (ann == NULL || json_is_null(ann)) {
        vk8s_where_pop(&r->where, saved);
        return 0;
    }
    if (!json_is_object(ann)) {
        return vk8s__fail(r->err, VOUCH_EINVAL, r->prefix, &r->where,
                          "expected an object, found %s",
                          vk8s__json_kind(ann));
    }
    rc = vk8s__string(ann, VK8S_BREAKGLASS_ANNOTATION, &value, r->prefix,
                      &r->where, r->err);
    if (rc < 0) {
        return rc;
    }
    r->w->breakglass = value != NULL && strcmp(value, "true") == 0;
    vk8s_where_pop(&r->where, saved);
    return 0;
}

static int read_pod_spec(reader *r, const kind_info *info,
                         const json_t *object)
{
    const json_t *spec = NULL;
    int rc = follow(r, object, info->spec, info->spec_depth, &spec);

    if (rc < 0) {
        return rc;
    }
    if (spec == NULL) {
        vk8s_where_pop(&r->where, 0);
        for (size_t i = 0; i < info->spec_depth; i++) {
            vk8s_where_key(&r->where, info->spec[i]);
        }
        return vk8s__fail(r->err, VOUCH_EINVAL, r->prefix, &r->where,
                          "required: a %s runs the pods of this spec",
                          info->kind);
    }
    const char *sa = NULL;
    rc = vk8s__string(spec, "serviceAccountName", &sa, r->prefix,
                      &r->where, r->err);
    if (rc == 0 && (sa == NULL || sa[0] == '\0')) {
        /* The deprecated alias, which the API server still honours. */
        rc = vk8s__string(spec, "serviceAccount", &sa, r->prefix,
                          &r->where, r->err);
    }
    if (rc < 0) {
        return rc;
    }
    r->w->service_account = sa != NULL && sa[0] != '\0' ? sa : "default";
    for (int t = VK8S_CONTAINER; t <= VK8S_EPHEMERAL_CONTAINER; t++) {
        rc = read_containers(r, spec, (vk8s_container_type)t);
        if (rc < 0) {
            return rc;
        }
    }
    if (r->w->image_count == 0) {
        vk8s_where_key(&r->where, "containers");
        return vk8s__fail(r->err, VOUCH_EINVAL, r->prefix, &r->where,
                          "required: a pod runs at least one container");
    }
    vk8s_where_pop(&r->where, 0);
    const json_t *meta = NULL;
    rc = follow(r, object, info->meta, info->meta_depth, &meta);
    if (rc < 0 || meta == NULL) {
        return rc;
    }
    return read_pod_metadata(r, meta);
}

/* "apps/v1" -> group "apps"; "v1" -> "" (core). */
static void split_api_version(const char *api_version, char *group,
                              size_t size)
{
    const char *slash = strchr(api_version, '/');
    size_t n = slash != NULL ? (size_t)(slash - api_version) : 0;

    if (n >= size) {
        n = size - 1;
    }
    memcpy(group, api_version, n);
    group[n] = '\0';
}

static int read_identity(reader *r, const json_t *object,
                         const char *namespace_name)
{
    const json_t *meta = NULL;
    const char *name = NULL;
    const char *ns = NULL;
    int rc;

    rc = follow(r, object, pod_meta, 1, &meta);
    if (rc == 0 && meta != NULL) {
        rc = vk8s__string(meta, "name", &name, r->prefix, &r->where, r->err);
        if (rc == 0) {
            rc = vk8s__string(meta, "namespace", &ns, r->prefix, &r->where,
                              r->err);
        }
    }
    if (rc < 0) {
        return rc;
    }
    vk8s_where_pop(&r->where, 0);
    r->w->name = name != NULL ? name : "";
    if (ns != NULL && ns[0] != '\0') {
        r->w->namespace_name = ns;
    } else {
        r->w->namespace_name = namespace_name != NULL ? namespace_name : "";
    }
    return 0;
}

static int read_object(reader *r, const json_t *object, const char *group,
                       const char *kind, const char *namespace_name)
{
    const char *api_version = NULL;
    const char *object_kind = NULL;
    char group_buf[128];
    const kind_info *info;
    int rc;

    if (!json_is_object(object)) {
        return vk8s__fail(r->err, VOUCH_EINVAL, r->prefix, &r->where,
                          "expected an object, found %s",
                          vk8s__json_kind(object));
    }
    rc = vk8s__string(object, "apiVersion", &api_version, r->prefix,
                      &r->where, r->err);
    if (rc == 0) {
        rc = vk8s__string(object, "kind", &object_kind, r->prefix,
                          &r->where, r->err);
    }
    if (rc < 0) {
        return rc;
    }
    r->w->api_version = api_version != NULL ? api_version : "";
    if (group == NULL || kind == NULL) {
        if (api_version == NULL || api_version[0] == '\0' ||
            object_kind == NULL || object_kind[0] == '\0') {
            vk8s_where_key(&r->where,
                           api_version == NULL || api_version[0] == '\0'
                               ? "apiVersion"
                               : "kind");
            return vk8s__fail(r->err, VOUCH_EINVAL, r->prefix, &r->where,
                              "required: every Kubernetes object has an "
                              "apiVersion and a kind");
        }
        split_api_version(api_version, group_buf, sizeof(group_buf));
        group = group_buf;
        kind = object_kind;
    }
    r->w->kind = kind;
    info = find_kind(group, kind);
    /* A default namespace is where pods would run: only for workloads. */
    rc = read_identity(r, object, info != NULL ? namespace_name : NULL);
    if (rc < 0 || info == NULL) {
        return rc; /* or: runs no pod vouch knows of */
    }
    r->w->kind = info->kind;
    r->w->has_pod_spec = true;
    r->w->spec_path = info->spec;
    r->w->spec_depth = info->spec_depth;
    return read_pod_spec(r, info, object);
}

int vk8s_workload_read(vk8s_workload **out, const json_t *object,
                       const char *group, const char *kind,
                       const char *namespace_name, const char *prefix,
                       vk8s_where *where, vouch_error *err)
{
    reader r;
    int rc;

    *out = NULL;
    memset(&r, 0, sizeof(r));
    r.prefix = prefix;
    r.err = err;
    r.w = calloc(1, sizeof(*r.w));
    if (r.w == NULL) {
        return vk8s__error(err, VOUCH_ENOMEM, "out of memory");
    }
    r.w->object = json_incref((json_t *)object);
    r.w->service_account = "default";
    r.w->api_version = r.w->kind = r.w->name = r.w->namespace_name = "";
    rc = read_object(&r, object, group, kind, namespace_name);
    if (rc < 0) {
        if (rc == VOUCH_ENOMEM) {
            vk8s__error(err, rc, "out of memory");
        }
        if (where != NULL) {
            *where = r.where;
            /* Index segments point into r.where's own buffers. */
            for (size_t i = 0; i < where->depth; i++) {
                if (r.where.seg[i] == r.where.index[i]) {
                    where->seg[i] = where->index[i];
                }
            }
        }
        vk8s_workload_free(r.w);
        return rc;
    }
    *out = r.w;
    return 0;
}

void vk8s_workload_free(vk8s_workload *w)
{
    if (w == NULL) {
        return;
    }
    free(w->images);
    free(w->refs);
    json_decref(w->object);
    free(w);
}

bool vk8s_workload_same_images(const vk8s_workload *a,
                               const vk8s_workload *b)
{
    if (a->image_count != b->image_count) {
        return false;
    }
    for (size_t i = 0; i < a->image_count; i++) {
        if (a->images[i].type != b->images[i].type ||
            strcmp(a->images[i].image, b->images[i].image) != 0 ||
            strcmp(a->images[i].container, b->images[i].container) != 0) {
            return false;
        }
    }
    return true;
}

vouch_kubernetes_context vk8s_context(const vk8s_workload *w,
                                      const char *cluster,
                                      const char *trust_domain)
{
    vouch_kubernetes_context ctx = VOUCH_KUBERNETES_CONTEXT_INIT;

    ctx.cluster = cluster;
    ctx.namespace_name =
        w->namespace_name[0] != '\0' ? w->namespace_name : NULL;
    ctx.service_account = w->service_account;
    ctx.trust_domain = trust_domain;
    return ctx;
}

int vk8s_evaluate(vouch_decision **out, const vk8s_workload *w,
                  const char *cluster, const char *trust_domain,
                  const vouch_evaluation_input *base, vouch_error *err)
{
    vouch_evaluation_input in = *base;
    vouch_kubernetes_context ctx = vk8s_context(w, cluster, trust_domain);

    *out = NULL;
    if (w->image_count == 0) {
        return vk8s__error(err, VOUCH_EINVAL,
                           "%s %s runs no image to decide", w->kind,
                           w->name);
    }
    in.version = VOUCH_EVALUATION_INPUT_VERSION;
    in.images = w->refs;
    in.image_count = w->image_count;
    in.kubernetes = &ctx;
    in.breakglass = w->breakglass ? "annotation "
                                    VK8S_BREAKGLASS_ANNOTATION ": \"true\""
                                  : NULL;
    return vouch_evaluate(out, &in, err);
}
