/*
 * vouchd — the projects and locations that hold resources (projects.h).
 *
 * Both lists are derived from the store's names with its ordinary list
 * calls: every kind that a project holds on its own is read in full and
 * the id taken from each name. Occurrences and audit entries are left
 * out: a project that holds only those is rare, and they are the kinds
 * that grow large.
 */
#include "projects.h"
#include "server.h"

#include "platform.h"

#include <stdlib.h>
#include <string.h>

/* Pages of this size are read until the last. */
#define LIST_PAGE 1000u

static const char *const project_kinds[] = {
    "policy", "attestor", "note", VOUCH_PLATFORM_KIND_SERVICE,
    VOUCH_PLATFORM_KIND_JOB, VOUCH_PLATFORM_KIND_ORGPOLICY,
};

static const char *const location_kinds[] = {
    VOUCH_PLATFORM_KIND_SERVICE, VOUCH_PLATFORM_KIND_JOB,
};

/*
 * Add to `set` (a JSON object used as a set of ids) the segment that
 * follows `prefix` in `name`, up to the next '/'. Names without the
 * prefix are skipped.
 */
static int add_segment(json_t *set, const char *name, const char *prefix)
{
    size_t plen = strlen(prefix);
    char id[API_ID_MAX + 1];

    if (strncmp(name, prefix, plen) != 0) {
        return 0;
    }
    const char *start = name + plen;
    size_t len = strcspn(start, "/");
    if (len == 0 || len > API_ID_MAX) {
        return 0;
    }
    memcpy(id, start, len);
    id[len] = '\0';
    return json_object_set_new(set, id, json_true()) == 0 ? 0
                                                          : VOUCH_ENOMEM;
}

/* Read every resource of `kind` and add the ids found after `prefix`. */
static int collect(api_request *req, const char *kind, const char *prefix,
                   json_t *set, vouch_error *err)
{
    vouch_resource_query q;
    char *token = NULL;
    int rc = 0;

    memset(&q, 0, sizeof(q));
    q.kind = kind;
    q.page_size = LIST_PAGE;
    do {
        vouch_resource_page page;
        memset(&page, 0, sizeof(page));
        q.page_token = token;
        rc = vouch_store_list(req->conn, &q, &page, err);
        free(token);
        token = NULL;
        if (rc < 0) {
            break;
        }
        for (size_t i = 0; i < page.count && rc == 0; i++) {
            rc = add_segment(set, page.items[i].name, prefix);
        }
        if (rc == 0 && page.next_page_token != NULL) {
            token = strdup(page.next_page_token);
            if (token == NULL) {
                rc = VOUCH_ENOMEM;
            }
        }
        vouch_resource_page_clear(&page);
    } while (rc == 0 && token != NULL);
    free(token);
    return rc;
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The ids in `set`, sorted, each made into an item by `make`, as
 * {"<key>": [...]} (proto3 JSON: an empty list is left out).
 */
static int respond_sorted(api_request *req, json_t *set, const char *key,
                          json_t *(*make)(const char *id, void *payload),
                          void *payload)
{
    size_t n = json_object_size(set);
    const char **ids = NULL;
    json_t *root = json_object();
    json_t *items = json_array();
    const char *id;
    json_t *value;
    size_t i = 0;
    int rc;

    ids = calloc(n > 0 ? n : 1, sizeof(*ids));
    if (ids == NULL || root == NULL || items == NULL) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    json_object_foreach(set, id, value) {
        ids[i++] = id;
    }
    qsort(ids, n, sizeof(*ids), cmp_text);
    for (i = 0; i < n; i++) {
        if (json_array_append_new(items, make(ids[i], payload)) < 0) {
            rc = VOUCH_ENOMEM;
            goto cleanup;
        }
    }
    if (n > 0 && json_object_set(root, key, items) < 0) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    rc = api_respond_json(req, 200, root);

cleanup:
    free(ids);
    json_decref(items);
    json_decref(root);
    return rc;
}

static json_t *make_project(const char *id, void *payload)
{
    (void)payload;
    return json_pack("{s:s,s:s,s:s}", "projectId", id, "name", id,
                     "lifecycleState", "ACTIVE");
}

static json_t *make_location(const char *id, void *payload)
{
    const char *project = payload;
    char name[320];

    snprintf(name, sizeof(name), "projects/%s/locations/%s", project, id);
    return json_pack("{s:s,s:s}", "name", name, "locationId", id);
}

/* What one of the two lists reads and how it answers. */
typedef struct id_list {
    const char *const *kinds;
    size_t kind_count;
    const char *prefix;      /* the id is the name's segment after it */
    const char *key;         /* "projects" or "locations" */
    json_t *(*make)(const char *id, void *payload);
    void *payload;
} id_list;

static int respond_ids(api_request *req, const id_list *list)
{
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *set = json_object();
    int rc = 0;

    if (set == NULL) {
        return VOUCH_ENOMEM;
    }
    for (size_t k = 0; k < list->kind_count && rc == 0; k++) {
        rc = collect(req, list->kinds[k], list->prefix, set, &err);
    }
    if (rc == 0) {
        rc = respond_sorted(req, set, list->key, list->make, list->payload);
    } else if (rc != VOUCH_ENOMEM) {
        rc = api_respond_vouch_error(req, &err, "store");
    }
    json_decref(set);
    return rc;
}

int api_list_projects(api_request *req)
{
    const char *filter = api_query(req, "filter");
    const char *token = api_query(req, "pageToken");
    const id_list list = {
        project_kinds, sizeof(project_kinds) / sizeof(project_kinds[0]),
        "projects/", "projects", make_project, NULL,
    };

    if (filter != NULL && filter[0] != '\0') {
        return api_respond_error(req, API_INVALID_ARGUMENT,
                                 "filter: not supported; every project is "
                                 "listed");
    }
    if (token != NULL && token[0] != '\0') {
        return api_respond_error(req, API_INVALID_ARGUMENT,
                                 "pageToken: not issued by this server "
                                 "(projects are listed in one page)");
    }
    return respond_ids(req, &list);
}

int api_list_locations(api_request *req)
{
    char prefix[200];
    const id_list list = {
        location_kinds, sizeof(location_kinds) / sizeof(location_kinds[0]),
        prefix, "locations", make_location, req->params[0],
    };

    snprintf(prefix, sizeof(prefix), "projects/%s/locations/",
             req->params[0]);
    return respond_ids(req, &list);
}
