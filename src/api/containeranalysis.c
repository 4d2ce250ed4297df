/*
 * vouchd — Container Analysis v1, the part Binary Authorization needs
 * (docs/api.md): notes of kind ATTESTATION and their occurrences. An
 * adapter: the service layer (src/service/vsvc_grafeas.c) owns the
 * rules, the names and the stored shape.
 */
#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "filter.h"
#include "handlers.h"
#include "server.h"

/* ---- notes ---- */

int api_create_note(api_request *req)
{
    return api_respond_write(req, vsvc_note_create, api_query(req, "noteId"));
}

API_READ_HANDLERS(api_get_note, api_list_notes, VSVC_NOTE, "notes")

int api_delete_note(api_request *req)
{
    return api_respond_delete(req, vsvc_note_delete);
}

/* ---- occurrences ---- */

/*
 * Attaching an occurrence to a note needs
 * containeranalysis.notes.attachOccurrence on the note (as at Google),
 * besides occurrences.create on the project (the route's). An occurrence
 * without a usable noteName is left for the service to refuse. 0, or 1
 * when refused (answered).
 */
static int check_attach(api_request *req, const json_t *occurrence)
{
    const char *note = json_string_value(json_object_get(occurrence,
                                                         "noteName"));

    if (note == NULL || strncmp(note, "projects/", 9) != 0 ||
        strlen(note) >= API_AUTHZ_RESOURCE_MAX) {
        return 0;
    }
    return api_authorize(req, "containeranalysis.notes.attachOccurrence",
                         note);
}

int api_create_occurrence(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *body = json_loadb(api_body(req), req->body_len, 0, NULL);
    char *text = NULL;
    int rc;

    rc = check_attach(req, body);
    json_decref(body);
    if (rc != 0) {
        return 0;
    }
    rc = vsvc_occurrence_create(req->session, req->params[0], api_body(req),
                                req->body_len, &text, &err);
    return api_respond_text(req, rc, text, &err);
}

/*
 * The batchCreate request: {"parent": "projects/P" (optional; must be the
 * URL's), "occurrences": [...]}. `*body` is the parsed request
 * (json_decref). 0, or -1 with the response set.
 */
static int batch_request(api_request *req, json_t **body)
{
    const char *key;
    json_t *value;
    json_t *p;
    char parent[VSVC_NAME_MAX];

    vsvc_project_name(parent, sizeof(parent), req->params[0]);
    if (api_body_object(req, "expected {\"parent\": ..., "
                        "\"occurrences\": [...]}",
                        body) < 0) {
        return -1;
    }
    json_object_foreach(*body, key, value) {
        if (strcmp(key, "parent") != 0 && strcmp(key, "occurrences") != 0) {
            api_respond_error(req, VOUCH_EINVAL,
                              "%.100s: unknown field (expected parent, "
                              "occurrences)",
                              key);
            return -1;
        }
    }
    p = json_object_get(*body, "parent");
    if (p != NULL &&
        (!json_is_string(p) || strcmp(json_string_value(p), parent) != 0)) {
        api_respond_error(req, VOUCH_EINVAL,
                          "parent: must be \"%s\", the project of the URL",
                          parent);
        return -1;
    }
    return 0;
}

int api_batch_create_occurrences(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *body = NULL;
    json_t *created = NULL;
    json_t *result = NULL;
    json_t *item;
    size_t i;
    int rc;

    if (batch_request(req, &body) < 0) {
        json_decref(body);
        return 0;
    }
    json_array_foreach(json_object_get(body, "occurrences"), i, item) {
        if (check_attach(req, item) != 0) {
            json_decref(body);
            return 0;
        }
    }
    rc = vsvc_occurrences_create(req->session, req->params[0],
                                 json_object_get(body, "occurrences"),
                                 &created, &err);
    json_decref(body);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, NULL);
    }
    result = json_pack("{s:o}", "occurrences", created);
    rc = result != NULL ? api_respond_json(req, 200, result)
                        : api_respond_error(req, VOUCH_ENOMEM,
                                            "out of memory");
    json_decref(result);
    return rc;
}

int api_get_occurrence(api_request *req)
{
    return api_respond_get(req, VSVC_OCCURRENCE);
}

/*
 * One page of occurrences with the request's filter (filter.h, including
 * has_suffix(resourceUrl, ...)): the project's, or with `note_id` the
 * note's, from any project.
 */
static int list_occurrences(api_request *req, const char *note_id)
{
    const char *text = api_query(req, "filter");
    vouch_error err = VOUCH_ERROR_INIT;
    api_filter f = { NULL, NULL, NULL, NULL };
    vsvc_occurrence_filter which;
    vsvc_page_request page;
    vsvc_page got;
    int rc;

    memset(&got, 0, sizeof(got));
    if (text != NULL &&
        api_filter_parse(text, strlen(text), &f, &err) < 0) {
        return api_respond_error(req, err.code, "filter: column %u: %s",
                                 err.column, err.message);
    }
    if (api_page_query(req, &page) < 0) {
        api_filter_clear(&f);
        return 0;
    }
    which.note_name = f.note_name;
    which.resource_uri = f.resource_url;
    which.kind = f.kind;
    which.resource_uri_suffix = f.resource_url_suffix;
    rc = note_id != NULL
             ? vsvc_note_occurrence_list(req->session, req->params[0],
                                         note_id, &which, &page, &got, &err)
             : vsvc_occurrence_list(req->session, req->params[0], &which,
                                    &page, &got, &err);
    rc = rc < 0 ? api_respond_vouch_error(req, &err, NULL)
                : api_respond_page(req, "occurrences", &got);
    vsvc_page_clear(&got);
    api_filter_clear(&f);
    return rc;
}

int api_list_occurrences(api_request *req)
{
    return list_occurrences(req, NULL);
}

/* GET /v1/projects/{p}/notes/{n}/occurrences (gcloud's `container
 * binauthz attestations list`). */
int api_list_note_occurrences(api_request *req)
{
    return list_occurrences(req, req->params[1]);
}

int api_delete_occurrence(api_request *req)
{
    return api_respond_delete(req, vsvc_occurrence_delete);
}
