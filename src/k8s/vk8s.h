/*
 * vouch k8s — Kubernetes objects and admission reviews as vouch decides
 * them (docs/kubernetes.md): the pure part of the Kubernetes enforcer,
 * shared by the admission webhook (src/api, src/service) and `vouch
 * evaluate --manifest` (src/cli).
 *
 * - A workload (vk8s_workload) is what a Kubernetes object runs: its kind,
 *   name, namespace, service account, break-glass annotation, and every
 *   image of its containers, init containers and ephemeral containers,
 *   each with its field path. Pods and the pod templates of Deployment,
 *   ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
 *   ReplicationController and Knative Service, Configuration and
 *   Revision are read; any other kind runs no image vouch checks.
 * - A review (vk8s_review) is an admission.k8s.io/v1 or v1beta1
 *   AdmissionReview request, read under VK8S_REVIEW_MAX_BYTES.
 * - A verdict (vk8s_verdict) is what the decision means for Kubernetes:
 *   allowed or not, the deny message in GKE's form, the warnings, the
 *   audit annotations. The webhook answers it as an AdmissionReview
 *   response (vk8s_response_build()); the CLI prints it.
 *
 * Depends on libvouch's public API and jansson; no I/O, no clock, no
 * global state. Errors name the field path ("request.object.spec.
 * template.spec.containers[1].image: expected a string") and, through
 * vk8s_where, the path's segments, so that a caller holding positions
 * (vutil_docs) can say FILE:LINE:COL.
 *
 * Thread safety: every function is reentrant; a workload, review or
 * verdict is used by one thread at a time (reading one from several
 * threads at once is safe).
 */
#ifndef VOUCH_K8S_H
#define VOUCH_K8S_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "vouch/vouch.h"

/* The largest AdmissionReview read: an object is at most 1.5 MiB (etcd's
 * default request limit) and a review carries it and, on UPDATE, the old
 * object. The same as vouchd's default body limit. */
#define VK8S_REVIEW_MAX_BYTES (4u * 1024u * 1024u)

/* Most images one object may run (containers, init and ephemeral
 * containers together). */
#define VK8S_MAX_IMAGES 256u

/* Deepest field path an error names. */
#define VK8S_WHERE_MAX 16u

/* The GKE break-glass annotation; its value must be "true". */
#define VK8S_BREAKGLASS_ANNOTATION "alpha.image-policy.k8s.io/break-glass"

/* ---- field paths ---------------------------------------------------- */

/*
 * Where in an object something is: its path segments (keys, and sequence
 * indexes as decimal text). Keys are borrowed from the object or static.
 */
typedef struct vk8s_where {
    const char *seg[VK8S_WHERE_MAX];
    char index[VK8S_WHERE_MAX][24];
    size_t depth;
} vk8s_where;

#define VK8S_WHERE_INIT { {NULL}, {""}, 0 }

/* Push a key or an index; each returns the depth to pop back to. Past
 * VK8S_WHERE_MAX segments nothing more is kept. */
size_t vk8s_where_key(vk8s_where *w, const char *key);
size_t vk8s_where_index(vk8s_where *w, size_t index);
void vk8s_where_pop(vk8s_where *w, size_t depth);

/*
 * The path as people read it, into `buf` (NUL-terminated, cut short when
 * it does not fit): "spec.template.spec.containers[0].image"; a key that
 * is not a plain word is quoted:
 * metadata.annotations["alpha.image-policy.k8s.io/break-glass"].
 */
void vk8s_where_text(const vk8s_where *w, char *buf, size_t size);

/* ---- workloads ------------------------------------------------------ */

typedef enum vk8s_container_type {
    VK8S_CONTAINER = 0,           /* spec.containers */
    VK8S_INIT_CONTAINER = 1,      /* spec.initContainers */
    VK8S_EPHEMERAL_CONTAINER = 2  /* spec.ephemeralContainers */
} vk8s_container_type;

/* "CONTAINER", "INIT_CONTAINER", "EPHEMERAL_CONTAINER"; static. */
const char *vk8s_container_type_name(vk8s_container_type type);

typedef struct vk8s_image {
    const char *image;            /* as written; borrowed from the object */
    const char *container;        /* the container's name; "" when none */
    vk8s_container_type type;
    size_t index;                 /* in its list */
} vk8s_image;

typedef struct vk8s_workload {
    const char *api_version;      /* "apps/v1"; "" when not given */
    const char *kind;             /* "Deployment" */
    const char *name;             /* metadata.name; "" when not given */
    const char *namespace_name;   /* metadata.namespace, else the one the
                                     caller gave; "" when neither */
    const char *service_account;  /* the pod spec's serviceAccountName;
                                     "default" when unset */
    bool breakglass;              /* the pod (template) is annotated
                                     VK8S_BREAKGLASS_ANNOTATION: "true" */
    bool has_pod_spec;            /* false: a kind vouch does not check */
    const char *const *spec_path; /* segments of the pod spec, e.g.
                                     spec, template, spec; static */
    size_t spec_depth;
    vk8s_image *images;           /* image_count entries */
    size_t image_count;
    const char **refs;            /* the image strings, in order, for
                                     vouch_evaluation_input.images */
    json_t *object;               /* a reference held on the object */
} vk8s_workload;

/*
 * Read `object` (a Kubernetes object, borrowed; a reference is taken) of
 * API group `group` ("" core, "apps", ...) and kind `kind` into a
 * workload. NULL group or kind: read from the object's apiVersion and
 * kind. `namespace_name` is used when the object names none (may be NULL).
 *
 * @param[out] out    Caller owns it; free with vk8s_workload_free().
 * @param prefix      Prepended to field paths in messages, e.g.
 *                    "request.object"; may be NULL.
 * @param[out] where  When not NULL, on failure: the path of the value at
 *                    fault (relative to `object`).
 * @return 0; VOUCH_EINVAL (not a valid object: what and where);
 *         VOUCH_ETOOBIG (more than VK8S_MAX_IMAGES images); VOUCH_ENOMEM.
 */
int vk8s_workload_read(vk8s_workload **out, const json_t *object,
                       const char *group, const char *kind,
                       const char *namespace_name, const char *prefix,
                       vk8s_where *where, vouch_error *err);

void vk8s_workload_free(vk8s_workload *w);

/* The path of image `i` as text: "spec.template.spec.containers[0].image". */
void vk8s_image_path(const vk8s_workload *w, size_t i, char *buf,
                     size_t size);

/* Do both run the same images in the same containers? */
bool vk8s_workload_same_images(const vk8s_workload *a,
                               const vk8s_workload *b);

/*
 * The engine's Kubernetes context of `w` in `cluster` ("LOCATION.NAME";
 * NULL unknown) with the Istio `trust_domain` (NULL: cluster.local).
 * Borrows from `w` and the arguments.
 */
vouch_kubernetes_context vk8s_context(const vk8s_workload *w,
                                      const char *cluster,
                                      const char *trust_domain);

/*
 * Decide `w` with the engine: `base` carries the policy, system policy,
 * attestors, attestations and cache (its images, breakglass and
 * kubernetes fields are set here); `cluster` is "LOCATION.NAME" (NULL:
 * unknown), `trust_domain` the cluster's Istio trust domain (NULL:
 * cluster.local). The break-glass annotation is the breakglass
 * justification. A workload without images cannot be decided:
 * VOUCH_EINVAL. Otherwise as vouch_evaluate().
 */
int vk8s_evaluate(vouch_decision **out, const vk8s_workload *w,
                  const char *cluster, const char *trust_domain,
                  const vouch_evaluation_input *base, vouch_error *err);

/* ---- admission reviews ---------------------------------------------- */

typedef enum vk8s_operation {
    VK8S_CREATE = 0,
    VK8S_UPDATE = 1,
    VK8S_DELETE = 2,
    VK8S_CONNECT = 3
} vk8s_operation;

typedef struct vk8s_review {
    json_t *root;                 /* the whole review; owned */
    const char *api_version;      /* "admission.k8s.io/v1" or
                                     "admission.k8s.io/v1beta1" */
    const char *uid;              /* request.uid; never empty */
    const char *group;            /* request.kind.group ("" core) */
    const char *version;          /* request.kind.version */
    const char *kind;             /* request.kind.kind */
    const char *resource;         /* request.resource.resource ("pods");
                                     "" when not given */
    const char *sub_resource;     /* request.subResource; "" when none */
    const char *name;             /* request.name; "" when none */
    const char *namespace_name;   /* request.namespace; "" when none */
    vk8s_operation operation;
    const char *operation_name;   /* "CREATE", ... */
    bool dry_run;                 /* request.dryRun */
    const char *username;         /* request.userInfo.username; "" */
    const json_t *object;         /* request.object; NULL when absent */
    const json_t *old_object;     /* request.oldObject; NULL when absent */
} vk8s_review;

/*
 * Read an AdmissionReview request (`len` bytes of JSON, not necessarily
 * NUL-terminated). Strings in the result are borrowed from `root`.
 *
 * @param[out] out  Caller owns it; free with vk8s_review_free().
 * @return 0; VOUCH_ETOOBIG (over VK8S_REVIEW_MAX_BYTES); VOUCH_EPARSE (not
 *         JSON: jansson's line and column); VOUCH_EINVAL (not an
 *         AdmissionReview request: the field path and what is wrong);
 *         VOUCH_ENOMEM.
 */
int vk8s_review_parse(vk8s_review **out, const char *data, size_t len,
                      vouch_error *err);

void vk8s_review_free(vk8s_review *r);

/*
 * What a review asks vouch to decide: `*out` the workload of
 * request.object, or NULL with `*skip` saying why nothing is decided
 * (DELETE and CONNECT; a kind without a pod spec; an UPDATE that changes
 * no image, so that scaling and relabelling never break). `*skip` is
 * static text.
 *
 * @return 0; VOUCH_EINVAL (the object or old object is malformed: the
 *         field path from "request.object"); VOUCH_ETOOBIG; VOUCH_ENOMEM.
 */
int vk8s_review_workload(vk8s_workload **out, const char **skip,
                         const vk8s_review *r, vouch_error *err);

/*
 * How GKE's audit log names the review's object and call:
 * `resource_name` "core/v1/namespaces/prod/pods/web-1" ("apps/v1/..."
 * for a Deployment; "/ephemeralcontainers" after a subresource) and
 * `method_name` "io.k8s.core.v1.pods.create". `w` (may be NULL) gives
 * the name and namespace when the review names none. Cut short to fit.
 */
void vk8s_review_names(const vk8s_review *r, const vk8s_workload *w,
                       char *resource_name, size_t resource_size,
                       char *method_name, size_t method_size);

/*
 * A review for `object` as kube-apiserver would send it on CREATE, as
 * `vouch evaluate --manifest --server` posts it: admission.k8s.io/v1,
 * `uid`, the kind from the object's apiVersion and kind, `namespace_name`
 * (may be NULL), dryRun true (a check before apply writes no audit).
 *
 * @param[out] out  JSON text; caller frees with free().
 */
int vk8s_review_synthesize(char **out, const json_t *object,
                           const char *namespace_name, const char *uid,
                           vouch_error *err);

/* ---- verdicts and responses ----------------------------------------- */

typedef struct vk8s_verdict {
    bool allowed;
    const char *outcome;          /* vouch_outcome_name(), or "ALLOW" for
                                     a request not decided */
    char *rule;                   /* the rule that decided; NULL when
                                     none (not decided, or every image
                                     exempt); owned */
    const char *skip;             /* why not decided, or NULL */
    char *message;                /* GKE's form, naming every image the
                                     rule denies (also on a dry run and
                                     breakglass, where it is not fatal);
                                     NULL when none is denied */
    char **warnings;              /* for the client (dry run, breakglass) */
    size_t warning_count;
} vk8s_verdict;

#define VK8S_VERDICT_INIT { true, "ALLOW", NULL, NULL, NULL, NULL, 0 }

/*
 * The verdict of decision `d` (NULL: not decided, because of `skip`).
 * `policy` (may be NULL) names the rule's attestors where the
 * decision has none to name (an image by tag). The verdict owns what it
 * says: `d` may be freed first. Returns 0 or VOUCH_ENOMEM; clear `v` with
 * vk8s_verdict_clear() either way.
 */
int vk8s_verdict_make(vk8s_verdict *v, const vouch_decision *d,
                      const vouch_policy *policy, const char *skip);

void vk8s_verdict_clear(vk8s_verdict *v);

/*
 * The AdmissionReview response to `r`: the same apiVersion, the request's
 * uid, allowed, on a deny status {code 403, reason, message}, warnings,
 * and auditAnnotations carrying the decision.
 *
 * @param[out] out  JSON text; caller frees with free().
 */
int vk8s_response_build(char **out, size_t *out_len, const vk8s_review *r,
                        const vk8s_verdict *v, vouch_error *err);

#endif /* VOUCH_K8S_H */
