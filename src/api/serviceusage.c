/*
 * vouchd — Service Usage v1 GET /v1/projects/{p}/services/{s}: gcloud
 * asks whether an API is enabled before it uses it (run deploy asks for
 * run.googleapis.com). The APIs vouchd serves are ENABLED; any other is
 * DISABLED, which is true here (gcloud then offers to enable it, and the
 * enable call is not served).
 */
#include <string.h>

#include "handlers.h"
#include "server.h"

static const char *const served[][2] = {
    { "run.googleapis.com", "Cloud Run Admin API" },
    { "binaryauthorization.googleapis.com", "Binary Authorization API" },
    { "containeranalysis.googleapis.com", "Container Analysis API" },
    { "logging.googleapis.com", "Cloud Logging API" },
    { "orgpolicy.googleapis.com", "Organization Policy API" },
    { "serviceusage.googleapis.com", "Service Usage API" },
};

int api_get_service_usage(api_request *req)
{
    const char *name = req->params[1];
    const char *title = NULL;
    json_t *out;

    for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++) {
        if (strcmp(served[i][0], name) == 0) {
            title = served[i][1];
        }
    }
    out = json_pack("{s:s+++,s:s+,s:s,s:{s:s,s:s}}", "name", "projects/",
                    req->params[0], "/services/", name, "parent", "projects/",
                    req->params[0], "state",
                    title != NULL ? "ENABLED" : "DISABLED", "config", "name",
                    name, "title", title != NULL ? title : name);
    return api_respond_built(req, out);
}
