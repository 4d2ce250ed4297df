/*
 * vouch service — the Kubernetes admission webhook (docs/kubernetes.md):
 * decide an AdmissionReview with the project's policy, the attestors of
 * the rule that applies and the attestations stored for each image, and
 * audit what must be (deny, dry run, break-glass; never a review with
 * dryRun true). The review is read and answered by src/k8s; the adapter
 * (src/api/k8s.c) only moves bytes.
 *
 * Thread safety: as vsvc.h (a session belongs to one request).
 */
#ifndef VSVC_K8S_H
#define VSVC_K8S_H

#include "vk8s.h"
#include "vsvc.h"

/* The cluster a webhook call is for: the route's path. */
typedef struct vsvc_k8s_cluster {
    const char *project;
    const char *location;   /* "us-central1-a" */
    const char *name;       /* "prod": the cluster is "LOCATION.NAME" */
} vsvc_k8s_cluster;

/*
 * Decide review `r` for cluster `c` into `out` (clear it with
 * vk8s_verdict_clear() in every case). An UPDATE that changes no image, a
 * DELETE, a CONNECT and an object that runs no pod are allowed without a
 * decision. A fault in the evidence (the store) fails closed: the error
 * is returned and the webhook answers no verdict (kube-apiserver's
 * failurePolicy decides). Sets the session's outcome for the decision
 * counters.
 *
 * @return 0; VOUCH_EINVAL (the cluster's location or name is not a GKE
 *         name, or the review's object is malformed: the message names
 *         the field); VOUCH_ETOOBIG (too many images); VOUCH_EIO (store);
 *         VOUCH_ENOMEM.
 */
int vsvc_k8s_admit(vsvc_session *s, const vsvc_k8s_cluster *c,
                   const vk8s_review *r, vk8s_verdict *out,
                   vouch_error *err);

/*
 * Is `entry` a trust domain setting "LOCATION.NAME=DOMAIN" (vouchd
 * --k8s-trust-domain)? DOMAIN: 1 to 253 of a-z 0-9 . -, the Istio trust
 * domain of that cluster's workloads. 0 or VOUCH_EINVAL saying why.
 */
int vsvc_k8s_trust_domain_check(const char *entry, vouch_error *err);

#endif /* VSVC_K8S_H */
