/*
 * vouch service — the evidence of a decision (vsvc_internal.h): the
 * project's policy and the attestors a rule requires, compiled and shared
 * (vsvc_compiled.h), and the attestations stored for each image. The run
 * platform's admission (src/platform/enforce.c) and the Kubernetes
 * webhook (vsvc_k8s.c) gather it the same way.
 */
#include <stdlib.h>
#include <string.h>

#include "vsvc_internal.h"

void vsvc__evidence_clear(vsvc_evidence *e)
{
    if (e == NULL) {
        return;
    }
    vsvc_object_release(e->policy);
    for (size_t i = 0; i < e->attestor_count; i++) {
        vsvc_object_release(e->attestors[i]);
    }
    free(e->attestors);
    free(e->attestor_list);
    for (size_t i = 0; i < e->att_count; i++) {
        vouch_attestation_free(e->atts[i]);
    }
    free(e->atts);
    memset(e, 0, sizeof(*e));
}

int vsvc__evidence_policy(vsvc *svc, vouch_store_conn *conn,
                          const char *project, vsvc_evidence *e,
                          vouch_error *err)
{
    return vsvc_compiled_policy(vsvc__compiled(svc), conn, project,
                                &e->policy, NULL, err);
}

int vsvc__evidence_attestors(vsvc *svc, vouch_store_conn *conn,
                             const vouch_admission_rule *rule,
                             vsvc_evidence *e, vouch_error *err)
{
    size_t n = rule != NULL ? vouch_admission_rule_attestor_count(rule) : 0;

    if (n == 0) {
        return 0;
    }
    e->attestors = calloc(n, sizeof(*e->attestors));
    e->attestor_list = calloc(n, sizeof(*e->attestor_list));
    if (e->attestors == NULL || e->attestor_list == NULL) {
        return vutil_enomem(err);
    }
    for (size_t i = 0; i < n; i++) {
        vouch_error aerr = VOUCH_ERROR_INIT;
        vsvc_object *a = NULL;
        int rc;

        rc = vsvc_compiled_attestor(vsvc__compiled(svc), conn,
                                    vouch_admission_rule_attestor(rule, i),
                                    &a, NULL, &aerr);
        /* Absent or not a valid attestor: the engine denies, naming it.
         * Anything else (the store) fails the check. */
        if (rc < 0 && rc != VOUCH_ENOTFOUND && rc != VOUCH_EPARSE &&
            rc != VOUCH_EINVAL && rc != VOUCH_ETOOBIG &&
            rc != VOUCH_ECRYPTO) {
            if (err != NULL) {
                *err = aerr;
            }
            return rc;
        }
        if (rc == 0) {
            e->attestor_list[e->attestor_count] = vsvc_object_attestor(a);
            e->attestors[e->attestor_count++] = a;
        }
    }
    return 0;
}

static int add_attestation(vsvc_evidence *e, vouch_attestation *a,
                           vouch_error *err)
{
    if (!vutil_grow(&e->atts, &e->att_cap, e->att_count, sizeof(*e->atts),
                    8)) {
        vouch_attestation_free(a);
        return vutil_enomem(err);
    }
    e->atts[e->att_count++] = a;
    return 0;
}

/* One stored occurrence: evidence when it is an attestation. */
typedef struct evidence_page {
    vsvc_evidence *e;
    vouch_error *err;
} evidence_page;

static int take_attestation(const vouch_resource *item, void *payload)
{
    evidence_page *p = payload;
    vouch_attestation *a = NULL;

    if (vouch_attestation_parse(&a, item->json, strlen(item->json),
                                VOUCH_FORMAT_JSON, item->name, NULL) < 0) {
        return 0;   /* not an attestation: no evidence */
    }
    return add_attestation(p->e, a, p->err);
}

int vsvc__evidence_attestations(vouch_store_conn *conn, const char *image,
                                vsvc_evidence *e, vouch_error *err)
{
    vouch_resource_query q;
    evidence_page page = { e, err };

    memset(&q, 0, sizeof(q));
    vsvc__occurrence_query(&q, NULL, image);
    return vsvc__each(conn, &q, take_attestation, &page, err);
}
