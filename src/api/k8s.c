/*
 * vouchd — the Kubernetes admission webhook (docs/kubernetes.md): an
 * AdmissionReview in, an AdmissionReview out. The review is read and
 * answered by src/k8s, decided and audited by the service layer
 * (vsvc_k8s.h). kube-apiserver appends "?timeout=Ns" to the URL; it is
 * accepted and not used (the decision takes far less).
 *
 * A body that is not an AdmissionReview is 400 INVALID_ARGUMENT with the
 * field's path (413 over VK8S_REVIEW_MAX_BYTES), never a verdict: with
 * failurePolicy Fail, kube-apiserver then refuses the request itself.
 */
#include <stdlib.h>
#include <string.h>

#include "k8s.h"
#include "server.h"
#include "vsvc_k8s.h"

int api_k8s_admit(api_request *req)
{
    vsvc_k8s_cluster cluster = { req->params[0], req->params[1],
                                 req->params[2] };
    vk8s_review *review = NULL;
    vk8s_verdict verdict = VK8S_VERDICT_INIT;
    vouch_error err = VOUCH_ERROR_INIT;
    char *answer = NULL;
    size_t len = 0;
    int rc;

    rc = vk8s_review_parse(&review, api_body(req), req->body_len, &err);
    if (rc == VOUCH_ETOOBIG) {
        return api_respond_status(req, 413, "INVALID_ARGUMENT",
                                  "request body: %s", err.message);
    }
    if (rc < 0) {
        return api_respond_error(req, VOUCH_EINVAL, "request body: %s",
                                 err.message);
    }
    rc = vsvc_k8s_admit(req->session, &cluster, review, &verdict, &err);
    if (rc == 0) {
        api_count_decision(req);
        rc = vk8s_response_build(&answer, &len, review, &verdict, &err);
    }
    if (rc == 0) {
        rc = api_respond(req, 200, "application/json", answer, len);
    } else {
        rc = api_respond_vouch_error(req, &err, NULL);
    }
    free(answer);
    vk8s_verdict_clear(&verdict);
    vk8s_review_free(review);
    return rc;
}
