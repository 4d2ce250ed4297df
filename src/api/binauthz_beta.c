/*
 * vouchd — Binary Authorization v1beta1 and v1alpha2, the APIs of gcloud's
 * beta and alpha tracks (docs/api.md). Their policy, system policy,
 * validateAttestationOccurrence and IAM shapes are v1's, served by v1's
 * handlers (routes.c). Their attestor holds its note as
 * `userOwnedDrydockNote` where v1 says `userOwnedGrafeasNote`: libvouch
 * reads either name from a request, so only the answers are renamed here.
 * The writes of v1beta1 are audited under its own method names.
 */
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "server.h"
#include "vutil_str.h"

#define V1_NOTE "userOwnedGrafeasNote"
#define OLD_NOTE "userOwnedDrydockNote"
/* Longer than any message api_respond_error() writes. */
#define API_MESSAGE_MAX 4096

static void rename_note(json_t *attestor)
{
    json_t *note = json_object_get(attestor, V1_NOTE);

    if (note != NULL && json_object_get(attestor, OLD_NOTE) == NULL) {
        json_object_set(attestor, OLD_NOTE, note);
        json_object_del(attestor, V1_NOTE);
    }
}

/* Did the request's attestor name its note as v1 does? */
static bool request_says_v1(const api_request *req)
{
    json_t *body = json_loadb(api_body(req), req->body_len, 0, NULL);
    bool v1 = json_object_get(body, V1_NOTE) != NULL;

    json_decref(body);
    return v1;
}

/* The field paths the service layer writes in v1's words ("userOwned
 * GrafeasNote.noteReference: note ... does not exist"), in the older
 * ones; unless the request itself used v1's name, which libvouch's
 * messages then repeat. */
static void rename_in_message(const api_request *req, json_t *answer)
{
    json_t *error = json_object_get(answer, "error");
    const char *msg = json_string_value(json_object_get(error, "message"));
    vutil_buf out = VUTIL_BUF_INIT(API_MESSAGE_MAX);
    const char *at;

    if (msg == NULL || strstr(msg, V1_NOTE) == NULL ||
        request_says_v1(req)) {
        return;
    }
    while ((at = strstr(msg, V1_NOTE)) != NULL) {
        if (!vutil_buf_append(&out, msg, (size_t)(at - msg)) ||
            !vutil_buf_append(&out, OLD_NOTE, strlen(OLD_NOTE))) {
            free(out.data);
            return;
        }
        msg = at + strlen(V1_NOTE);
    }
    if (vutil_buf_append(&out, msg, strlen(msg))) {
        json_object_set_new(error, "message", json_string(out.data));
    }
    free(out.data);
}

/* Google documents v1beta1's own method names for its audit entries
 * (v1alpha2's it does not, so those stay v1's). */
static void name_the_version(api_request *req)
{
    if (req->session != NULL && vutil_has_prefix(req->path, "/v1beta1/")) {
        vsvc_session_set_binauthz_api(req->session, VSVC_BINAUTHZ_V1BETA1);
    }
}

/* The answer the v1 handler set (`rc` its result), in the older shape. */
static int in_old_shape(api_request *req, int rc)
{
    json_t *answer;

    if (rc != 0 || req->response == NULL) {
        return rc;
    }
    answer = json_loadb(req->response, req->response_len, 0, NULL);
    if (answer == NULL) {
        return rc;   /* not JSON (an empty delete answer is "{}") */
    }
    if (req->status != 200) {
        rename_in_message(req, answer);
    } else if (json_is_array(json_object_get(answer, "attestors"))) {
        size_t i;
        json_t *item;

        json_array_foreach(json_object_get(answer, "attestors"), i, item) {
            rename_note(item);
        }
    } else {
        rename_note(answer);
    }
    rc = api_respond_json(req, req->status, answer);
    json_decref(answer);
    return rc;
}

int api_old_put_policy(api_request *req)
{
    name_the_version(req);
    return api_put_policy(req);
}

int api_old_create_attestor(api_request *req)
{
    name_the_version(req);
    return in_old_shape(req, api_create_attestor(req));
}

int api_old_get_attestor(api_request *req)
{
    return in_old_shape(req, api_get_attestor(req));
}

int api_old_list_attestors(api_request *req)
{
    return in_old_shape(req, api_list_attestors(req));
}

int api_old_update_attestor(api_request *req)
{
    name_the_version(req);
    return in_old_shape(req, api_update_attestor(req));
}

int api_old_delete_attestor(api_request *req)
{
    name_the_version(req);
    return api_delete_attestor(req);
}
