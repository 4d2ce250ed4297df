/*
 * vouchd — GET /v1/projects/{p}/locations (Cloud Run Admin v1): gcloud
 * lists the regions when a deploy target is not found. vouchd serves any
 * location; it names its default one (--default-location).
 */
#include "server.h"
#include "support_apis.h"

int api_list_run_locations(api_request *req)
{
    const char *loc = req->server->default_location;
    json_t *out;
    int rc;

    out = json_pack("{s:[{s:s+++,s:s,s:s}]}", "locations", "name",
                    "projects/", req->params[0], "/locations/", loc,
                    "locationId", loc, "displayName", loc);
    if (out == NULL) {
        return VOUCH_ENOMEM;
    }
    rc = api_respond_json(req, 200, out);
    json_decref(out);
    return rc;
}
