/*
 * vouchd — Resource Manager v1 GET /v1/projects/{p}: gcloud reads a
 * project's number (run services replace accepts a Knative namespace that
 * is the project id or its number). vouchd has no project registry: every
 * project id exists, ACTIVE, with a number derived from the id, stable
 * across restarts and replicas.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "server.h"
#include "support_apis.h"

void api_project_number(const char *project, char *buf, size_t size)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    unsigned long long n = 0;

    if (EVP_Digest(project, strlen(project), md, &md_len, EVP_sha256(),
                   NULL) != 1) {
        md_len = 0;
    }
    for (unsigned int i = 0; i < 5 && i < md_len; i++) {
        n = (n << 8) | md[i];
    }
    /* Twelve digits, as Google's project numbers have. */
    snprintf(buf, size, "%llu", 100000000000ULL + n % 900000000000ULL);
}

int api_get_project(api_request *req)
{
    char number[32];
    json_t *out;

    api_project_number(req->params[0], number, sizeof(number));
    out = json_pack("{s:s,s:s,s:s,s:s}", "projectId", req->params[0],
                    "name", req->params[0], "projectNumber", number,
                    "lifecycleState", "ACTIVE");
    return api_respond_built(req, out);
}
