/*
 * vouch service — the Kubernetes admission webhook (vsvc_k8s.h,
 * docs/kubernetes.md). A warm ALLOW opens no transaction: the policy and
 * the attestors come compiled from vsvc_compiled (one change stamp read
 * each), the attestations from one indexed read per image by digest, the
 * signatures from the verify cache. Only an entry to audit (deny, dry
 * run, break-glass) opens a unit of work, after the decision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsvc_internal.h"
#include "vsvc_k8s.h"

/* Longest Istio trust domain (a DNS name). */
#define TRUST_DOMAIN_MAX 253u

int vsvc_k8s_trust_domain_check(const char *entry, vouch_error *err)
{
    const char *eq = entry != NULL ? strchr(entry, '=') : NULL;
    size_t n;

    if (eq == NULL ||
        !vouch_rule_map_key_valid(VOUCH_CLUSTER_ADMISSION_RULES, entry,
                                  (size_t)(eq - entry))) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "'%.200s': expected LOCATION.NAME=DOMAIN, "
                               "e.g. us-central1-a.prod=corp.example",
                               entry != NULL ? entry : "");
    }
    n = strlen(eq + 1);
    for (size_t i = 0; i < n; i++) {
        char ch = eq[1 + i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '-')) {
            n = 0;
            break;
        }
    }
    if (n == 0 || n > TRUST_DOMAIN_MAX) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "'%.200s': the trust domain must be 1 to %u "
                               "of a-z 0-9 . -",
                               entry, TRUST_DOMAIN_MAX);
    }
    return 0;
}

/* The trust domain configured for `cluster` ("LOCATION.NAME"), or NULL
 * (cluster.local). */
static const char *trust_domain_of(const vsvc *svc, const char *cluster)
{
    size_t n = strlen(cluster);

    for (size_t i = 0; i < svc->k8s_trust_count; i++) {
        const char *entry = svc->k8s_trust[i];

        if (strncmp(entry, cluster, n) == 0 && entry[n] == '=') {
            return entry + n + 1;
        }
    }
    return NULL;
}

/* The evidence of `w`'s decision: the policy, the attestors of the rule
 * that applies to it, the attestations of each image by digest. */
static int gather(vsvc_session *s, const char *project,
                  const vk8s_workload *w,
                  const vouch_kubernetes_context *ctx, vsvc_evidence *ev,
                  vouch_error *err)
{
    int rc = vsvc__evidence_policy(s->svc, s->conn, project, ev, err);

    if (rc == 0) {
        rc = vsvc__evidence_attestors(
            s->svc, s->conn,
            vouch_kubernetes_rule(vsvc_object_policy(ev->policy), ctx), ev,
            err);
    }
    for (size_t i = 0; rc == 0 && i < w->image_count; i++) {
        /* GKE does not resolve tags: only a digest can be attested. */
        if (strchr(w->refs[i], '@') != NULL) {
            rc = vsvc__evidence_attestations(s->conn, w->refs[i], ev, err);
        }
    }
    return rc < 0 && rc != VOUCH_ENOMEM ? vsvc__error_wrap(err, "evidence")
                                        : rc;
}

static int store_entry(vsvc_uow *uow, void *payload, vouch_error *err)
{
    return vsvc_uow_audit(uow, payload, err);
}

/* The audit entry of a deny, dry run or break-glass, in its own unit. */
static int audit(vsvc_session *s, const vsvc_k8s_cluster *c,
                 const vk8s_review *r, const vk8s_workload *w,
                 const vouch_decision *d, const vk8s_verdict *v,
                 vouch_error *err)
{
    vouch_audit_k8s_event ev;
    char resource[512];
    char method[256];
    json_t *entry = NULL;
    int rc;

    vk8s_review_names(r, w, resource, sizeof(resource), method,
                      sizeof(method));
    memset(&ev, 0, sizeof(ev));
    ev.project = c->project;
    ev.location = c->location;
    ev.cluster = c->name;
    ev.method_name = method;
    ev.resource_name = resource;
    ev.principal = r->username;
    ev.uid = r->uid;
    ev.decision = d;
    ev.message = v->message;
    rc = vouch_audit_k8s_entry(&entry, &ev, err);
    if (rc == 0) {
        rc = vsvc__run(s, store_entry, entry, err);
    }
    json_decref(entry);
    return rc;
}

static int decide(vsvc_session *s, const vsvc_k8s_cluster *c,
                  const vk8s_review *r, const vk8s_workload *w,
                  const char *cluster, vk8s_verdict *out, vouch_error *err)
{
    const char *domain = trust_domain_of(s->svc, cluster);
    vouch_kubernetes_context ctx = vk8s_context(w, cluster, domain);
    vouch_evaluation_input in = VOUCH_EVALUATION_INPUT_INIT;
    vsvc_compiled *compiled = vsvc__compiled(s->svc);
    vsvc_evidence ev;
    vouch_decision *d = NULL;
    int rc;

    memset(&ev, 0, sizeof(ev));
    rc = gather(s, c->project, w, &ctx, &ev, err);
    if (rc < 0) {
        goto cleanup;
    }
    in.policy = vsvc_object_policy(ev.policy);
    in.system_policy = s->svc->system_policy;
    in.attestors = ev.attestor_list;
    in.attestor_count = ev.attestor_count;
    in.attestations = (const vouch_attestation *const *)ev.atts;
    in.attestation_count = ev.att_count;
    vsvc_verify_cache_acquire(compiled, s->conn, NULL, &in.cache);
    rc = vk8s_evaluate(&d, w, cluster, domain, &in, err);
    vsvc_verify_cache_release(compiled);
    if (rc == 0) {
        rc = vk8s_verdict_make(out, d, in.policy, NULL);
        if (rc < 0) {
            rc = vutil_enomem(err);
        }
    }
    if (rc == 0) {
        vsvc__set_outcome(s, out->outcome);
        /* A review with dryRun true is decided but never audited. */
        if (vouch_decision_outcome(d) != VOUCH_OUTCOME_ALLOW &&
            !r->dry_run) {
            rc = audit(s, c, r, w, d, out, err);
        }
    }

cleanup:
    vouch_decision_free(d);
    vsvc__evidence_clear(&ev);
    return rc;
}

int vsvc_k8s_admit(vsvc_session *s, const vsvc_k8s_cluster *c,
                   const vk8s_review *r, vk8s_verdict *out,
                   vouch_error *err)
{
    vk8s_workload *w = NULL;
    const char *skip = NULL;
    char cluster[2 * VUTIL_ID_MAX + 2];
    int rc;

    *out = (vk8s_verdict)VK8S_VERDICT_INIT;
    vsvc__set_outcome(s, NULL);
    snprintf(cluster, sizeof(cluster), "%s.%s", c->location, c->name);
    if (!vutil_id_valid(c->project) ||
        !vouch_rule_map_key_valid(VOUCH_CLUSTER_ADMISSION_RULES, cluster,
                                  strlen(cluster))) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "locations/%.100s/clusters/%.100s: a cluster "
                               "is named by its location and name as "
                               "clusterAdmissionRules keys are "
                               "(LOCATION.NAME, e.g. us-central1-a.prod)",
                               c->location, c->name);
    }
    rc = vk8s_review_workload(&w, &skip, r, err);
    if (rc < 0) {
        return rc;
    }
    if (w == NULL) {
        rc = vk8s_verdict_make(out, NULL, NULL, skip);
        return rc < 0 ? vutil_enomem(err) : 0;
    }
    rc = decide(s, c, r, w, cluster, out, err);
    vk8s_workload_free(w);
    return rc;
}
