/*
 * vouchd — Container Analysis v1 GET /v1/projects/{p}/notes/{n}/occurrences:
 * the occurrences attached to a note, from any project (gcloud's
 * `container binauthz attestations list`), with the occurrence filter
 * (filter.h) including has_suffix(resourceUrl, "sha256:…"), paged by
 * pageSize and pageToken. A suffix cannot be matched by the store's
 * indexes, so those lists page through pager.h; the project list
 * (containeranalysis.c) comes here for it too.
 */
#include <stdio.h>
#include <string.h>

#include "filter.h"
#include "pager.h"
#include "server.h"
#include "support_apis.h"

#define KIND_NOTE "note"
#define KIND_OCCURRENCE "occurrence"

/* The stored resource URI (attr2) ends with the filter's suffix. */
static int match_suffix(const vouch_resource *r, void *payload,
                        vouch_error *err)
{
    const char *suffix = payload;
    const char *uri = r->attr2 != NULL ? r->attr2 : "";
    size_t n = strlen(uri);
    size_t s = strlen(suffix);

    (void)err;
    return n >= s && memcmp(uri + n - s, suffix, s) == 0;
}

static int match_all(const vouch_resource *r, void *payload,
                     vouch_error *err)
{
    (void)r;
    (void)payload;
    (void)err;
    return 1;
}

int api_occurrences_list(api_request *req, const char *parent,
                         const char *note, const api_filter *f)
{
    vouch_resource_query q;
    vouch_resource_page page;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc;

    if ((f->kind != NULL && strcmp(f->kind, "ATTESTATION") != 0) ||
        (note != NULL && f->note_name != NULL &&
         strcmp(f->note_name, note) != 0)) {
        /* Only ATTESTATION occurrences exist; a note filter that names
         * another note: nothing matches. */
        return api_respond(req, 200, "application/json", "{}\n", 3);
    }
    memset(&q, 0, sizeof(q));
    if (api_page_query(req, &q) < 0) {
        return 0;
    }
    q.kind = KIND_OCCURRENCE;
    q.parent = parent;
    q.attr1 = note != NULL ? note : f->note_name;
    q.attr2 = f->resource_url;
    rc = api_pager_list(req->conn, &q, q.page_token, q.page_size,
                        f->resource_url_suffix != NULL ? match_suffix
                                                       : match_all,
                        f->resource_url_suffix, &page, &err);
    if (rc == VOUCH_EINVAL) {
        return api_respond_vouch_error(req, &err, "pageToken");
    }
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, "store");
    }
    rc = api_respond_page(req, "occurrences", &page);
    vouch_resource_page_clear(&page);
    return rc;
}

int api_list_note_occurrences(api_request *req)
{
    const char *text = api_query(req, "filter");
    vouch_error err = VOUCH_ERROR_INIT;
    api_filter f;
    vouch_resource r;
    char note[320];
    int rc;

    snprintf(note, sizeof(note), "projects/%s/notes/%s", req->params[0],
             req->params[1]);
    if (api_get_or_respond(req, KIND_NOTE, note, &r) != 0) {
        return 0;
    }
    vouch_resource_clear(&r);
    rc = api_filter_parse(text != NULL ? text : "",
                          text != NULL ? strlen(text) : 0, &f, &err);
    if (rc < 0) {
        return api_respond_error(req, rc == VOUCH_ENOMEM
                                          ? API_INTERNAL
                                          : API_INVALID_ARGUMENT,
                                 "filter: column %u: %s", err.column,
                                 err.message);
    }
    rc = api_occurrences_list(req, NULL, note, &f);
    api_filter_clear(&f);
    return rc;
}
