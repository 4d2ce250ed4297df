/*
 * vouchd — the Kubernetes admission webhook's adapter (k8s.c,
 * docs/kubernetes.md): POST
 * /k8s/v1/projects/{p}/locations/{l}/clusters/{c}:admit.
 */
#ifndef VOUCH_API_K8S_H
#define VOUCH_API_K8S_H

struct api_request;

int api_k8s_admit(struct api_request *req);

#endif /* VOUCH_API_K8S_H */
