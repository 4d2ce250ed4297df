/*
 * vouchd — the projects and locations that hold resources (projects.h).
 * An adapter: the service layer (src/service/vsvc_projects.c) reads them
 * from the stored names; this file answers them in the shapes of Resource
 * Manager v1 and Cloud Run v1.
 */
#include "projects.h"
#include "authz.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *make_project(const char *id, void *payload)
{
    (void)payload;
    return json_pack("{s:s,s:s,s:s}", "projectId", id, "name", id,
                     "lifecycleState", "ACTIVE");
}

static json_t *make_location(const char *id, void *payload)
{
    const char *project = payload;
    char name[VSVC_NAME_MAX];

    snprintf(name, sizeof(name), "projects/%s/locations/%s", project, id);
    return json_pack("{s:s,s:s}", "name", name, "locationId", id);
}

/*
 * The ids (a sorted array, or the service's error in `rc`/`err`), each
 * made into an item by `make`, as {"<key>": [...]} (proto3 JSON: an empty
 * list is left out).
 */
static int respond_ids(api_request *req, int rc, json_t *ids,
                       const vouch_error *err, const char *key,
                       json_t *(*make)(const char *id, void *payload),
                       void *payload)
{
    json_t *root = NULL;
    json_t *items = NULL;
    size_t i;
    json_t *id;

    if (rc < 0) {
        return api_respond_vouch_error(req, err, NULL);
    }
    root = json_object();
    items = json_array();
    rc = root != NULL && items != NULL ? 0 : VOUCH_ENOMEM;
    json_array_foreach(ids, i, id) {
        if (rc == 0 && json_array_append_new(
                           items, make(json_string_value(id), payload)) < 0) {
            rc = VOUCH_ENOMEM;
        }
    }
    if (rc == 0 && json_array_size(items) > 0 &&
        json_object_set(root, key, items) < 0) {
        rc = VOUCH_ENOMEM;
    }
    rc = rc < 0 ? api_respond_error(req, VOUCH_ENOMEM, "out of memory")
                : api_respond_json(req, 200, root);
    json_decref(items);
    json_decref(root);
    json_decref(ids);
    return rc;
}

/* As at Google, a caller sees the projects it may get
 * (resourcemanager.projects.get; the route checked it holds it on one). */
static void drop_hidden(api_request *req, json_t *ids)
{
    size_t i = 0;

    while (i < json_array_size(ids)) {
        char name[API_AUTHZ_RESOURCE_MAX];

        snprintf(name, sizeof(name), "projects/%s",
                 json_string_value(json_array_get(ids, i)));
        if (api_authz_holds(req, req->route->permission, name)) {
            i++;
        } else {
            json_array_remove(ids, i);
        }
    }
}

int api_list_projects(api_request *req)
{
    const char *filter = api_query(req, "filter");
    const char *token = api_query(req, "pageToken");
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *ids = NULL;
    int rc;

    if (filter != NULL && filter[0] != '\0') {
        return api_respond_error(req, VOUCH_EINVAL,
                                 "filter: not supported; every project is "
                                 "listed");
    }
    if (token != NULL && token[0] != '\0') {
        return api_respond_error(req, VOUCH_EINVAL,
                                 "pageToken: not issued by this server "
                                 "(projects are listed in one page)");
    }
    rc = vsvc_project_ids(req->session, &ids, &err);
    if (rc == 0) {
        drop_hidden(req, ids);
    }
    return respond_ids(req, rc, ids, &err, "projects", make_project, NULL);
}

int api_list_locations(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *ids = NULL;
    int rc;

    rc = vsvc_location_ids(req->session, req->params[0], &ids, &err);
    return respond_ids(req, rc, ids, &err, "locations", make_location,
                       req->params[0]);
}
