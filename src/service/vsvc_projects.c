/*
 * vouch service — which projects and locations exist (docs/api.md
 * "Projects and locations"). vouch keeps no list of them: a project
 * exists while it holds a resource of its own, a location while it holds
 * a service or a job. Both are read from the stored names, every resource
 * of the kinds below in full. Occurrences and audit entries are left out:
 * a project that holds only those is rare, and they are the kinds that
 * grow large.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsvc_internal.h"

static const char *const project_kinds[] = {
    VSVC_KIND_POLICY, VSVC_KIND_ATTESTOR, VSVC_KIND_NOTE, VSVC_KIND_SERVICE,
    VSVC_KIND_JOB, VSVC_KIND_ORGPOLICY,
};

static const char *const location_kinds[] = {
    VSVC_KIND_SERVICE, VSVC_KIND_JOB,
};

/* The ids found after `prefix` in the names walked, as a set. */
typedef struct id_set {
    const char *prefix;
    json_t *ids;              /* object used as a set */
    vouch_error *err;
} id_set;

static int add_segment(const vouch_resource *item, void *payload)
{
    id_set *set = payload;
    size_t plen = strlen(set->prefix);
    char id[VUTIL_ID_MAX + 1];
    const char *start;
    size_t len;

    if (strncmp(item->name, set->prefix, plen) != 0) {
        return 0;
    }
    start = item->name + plen;
    len = strcspn(start, "/");
    if (!vutil_id_valid_slice(start, len)) {
        return 0;
    }
    memcpy(id, start, len);
    id[len] = '\0';
    return json_object_set_new(set->ids, id, json_true()) == 0
               ? 0
               : vutil_enomem(set->err);
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The set's ids as a sorted array of strings. */
static int sorted(json_t *ids, json_t **out, vouch_error *err)
{
    size_t n = json_object_size(ids);
    const char **list = calloc(n > 0 ? n : 1, sizeof(*list));
    json_t *arr = json_array();
    const char *id;
    json_t *value;
    size_t i = 0;
    int rc = 0;

    if (list == NULL || arr == NULL) {
        rc = vutil_enomem(err);
        goto cleanup;
    }
    json_object_foreach(ids, id, value) {
        list[i++] = id;
    }
    qsort(list, n, sizeof(*list), cmp_text);
    for (i = 0; i < n && rc == 0; i++) {
        if (json_array_append_new(arr, json_string(list[i])) < 0) {
            rc = vutil_enomem(err);
        }
    }
    if (rc == 0) {
        *out = arr;
        arr = NULL;
    }

cleanup:
    free(list);
    json_decref(arr);
    return rc;
}

static int collect(vsvc_session *s, const char *const *kinds, size_t count,
                   const char *prefix, json_t **out, vouch_error *err)
{
    id_set set = { prefix, json_object(), err };
    int rc = set.ids != NULL ? 0 : vutil_enomem(err);

    *out = NULL;
    for (size_t k = 0; k < count && rc == 0; k++) {
        vouch_resource_query q;

        memset(&q, 0, sizeof(q));
        q.kind = kinds[k];
        rc = vsvc__each(s->conn, &q, add_segment, &set, err);
        if (rc < 0 && rc != VOUCH_ENOMEM) {
            vsvc__error_wrap(err, "store");
        }
    }
    if (rc == 0) {
        rc = sorted(set.ids, out, err);
    }
    json_decref(set.ids);
    return rc;
}

int vsvc_project_ids(vsvc_session *s, json_t **out, vouch_error *err)
{
    return collect(s, project_kinds,
                   sizeof(project_kinds) / sizeof(project_kinds[0]),
                   "projects/", out, err);
}

int vsvc_location_ids(vsvc_session *s, const char *project, json_t **out,
                      vouch_error *err)
{
    char prefix[VSVC_NAME_MAX];

    snprintf(prefix, sizeof(prefix), "projects/%s/locations/", project);
    return collect(s, location_kinds,
                   sizeof(location_kinds) / sizeof(location_kinds[0]),
                   prefix, out, err);
}
