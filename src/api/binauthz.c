/*
 * vouchd — Binary Authorization v1 (docs/api.md): the project policy, the
 * system policy, attestors and validateAttestationOccurrence. An adapter:
 * the service layer (src/service/vsvc_binauthz.c, vsvc_validate.c) owns
 * the rules, the names and the audit entries.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "server.h"

/* ---- the policy ---- */

int api_get_policy(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char *text = NULL;
    int rc;

    rc = vsvc_policy_get(req->session, req->params[0], &text, NULL, &err);
    return api_respond_text(req, rc, text, &err);
}

/*
 * `validateOnly` of PUT .../policy, a vouch extension (docs/api.md):
 * absent, "false" or "true". On another value the INVALID_ARGUMENT
 * response is set and -1 returned.
 */
static int validate_only_arg(api_request *req, bool *out)
{
    const char *v = api_query(req, "validateOnly");

    *out = v != NULL && strcmp(v, "true") == 0;
    if (v != NULL && !*out && v[0] != '\0' && strcmp(v, "false") != 0) {
        api_respond_error(req, VOUCH_EINVAL,
                          "validateOnly: '%.40s' is not true or false", v);
        return -1;
    }
    return 0;
}

int api_put_policy(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    bool validate_only;
    char *text = NULL;
    int rc;

    if (validate_only_arg(req, &validate_only) < 0) {
        return 0;
    }
    rc = vsvc_policy_put(req->session, req->params[0], api_body(req),
                         req->body_len, validate_only, &text, NULL, &err);
    return api_respond_text(req, rc, text, &err);
}

int api_get_system_policy(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char *text = NULL;
    int rc;

    rc = vsvc_system_policy_get(req->server->service, req->params[0], &text,
                                NULL, &err);
    return api_respond_text(req, rc, text, &err);
}

/* ---- attestors ---- */

int api_create_attestor(api_request *req)
{
    return api_respond_write(req, vsvc_attestor_create,
                             api_query(req, "attestorId"));
}

int api_get_attestor(api_request *req)
{
    return api_respond_get(req, VSVC_ATTESTOR);
}

int api_list_attestors(api_request *req)
{
    return api_respond_list(req, VSVC_ATTESTOR, "attestors");
}

int api_update_attestor(api_request *req)
{
    return api_respond_write(req, vsvc_attestor_update, req->params[1]);
}

int api_delete_attestor(api_request *req)
{
    return api_respond_delete(req, vsvc_attestor_delete);
}

/* ---- validateAttestationOccurrence ---- */

/*
 * The request: {"attestation": {...}, "occurrenceNote": "...",
 * "occurrenceResourceUri": "..."}, each required. `*body` is the parsed
 * request (json_decref). 0, or -1 with the response set.
 */
static int validate_request(api_request *req, json_t **body)
{
    const char *key;
    json_t *value;
    json_t *note;
    json_t *uri;

    if (api_body_object(req, "expected a JSON object with attestation, "
                        "occurrenceNote and occurrenceResourceUri",
                        body) < 0) {
        return -1;
    }
    json_object_foreach(*body, key, value) {
        if (strcmp(key, "attestation") != 0 &&
            strcmp(key, "occurrenceNote") != 0 &&
            strcmp(key, "occurrenceResourceUri") != 0) {
            api_respond_error(req, VOUCH_EINVAL,
                              "%.100s: unknown field (expected "
                              "attestation, occurrenceNote, "
                              "occurrenceResourceUri)",
                              key);
            return -1;
        }
    }
    note = json_object_get(*body, "occurrenceNote");
    uri = json_object_get(*body, "occurrenceResourceUri");
    if (!json_is_object(json_object_get(*body, "attestation"))) {
        api_respond_error(req, VOUCH_EINVAL,
                          "attestation: required, an AttestationOccurrence "
                          "object");
        return -1;
    }
    if (!json_is_string(note) || json_string_length(note) == 0) {
        api_respond_error(req, VOUCH_EINVAL,
                          "occurrenceNote: required, "
                          "\"projects/*/notes/*\"");
        return -1;
    }
    if (!json_is_string(uri) || json_string_length(uri) == 0) {
        api_respond_error(req, VOUCH_EINVAL,
                          "occurrenceResourceUri: required, the image by "
                          "digest");
        return -1;
    }
    return 0;
}

/*
 * A VERIFIED answer is always the same text: printed once, by jansson with
 * api_respond_json's layout, and sent without building or copying it
 * again (no allocation on a warm ALLOW beyond what the decision needs).
 */
static char *verified_text;
static size_t verified_len;
static pthread_once_t verified_once = PTHREAD_ONCE_INIT;

static void print_verified(void)
{
    json_t *answer = json_pack("{s:s}", "result", "VERIFIED");
    char *text = answer != NULL
                     ? json_dumps(answer, JSON_SORT_KEYS | JSON_INDENT(2))
                     : NULL;
    size_t len = text != NULL ? strlen(text) : 0;

    json_decref(answer);
    verified_text = text != NULL ? realloc(text, len + 2) : NULL;
    if (verified_text == NULL) {
        free(text);
        return;
    }
    verified_text[len] = '\n';
    verified_text[len + 1] = '\0';
    verified_len = len + 1;
}

static int respond_verified(api_request *req)
{
    pthread_once(&verified_once, print_verified);
    if (verified_text == NULL) {
        return api_respond_error(req, VOUCH_ENOMEM, "out of memory");
    }
    return api_respond_constant(req, 200, "application/json", verified_text,
                                verified_len);
}

int api_validate_attestation(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vsvc_validation result;
    json_t *body = NULL;
    json_t *answer = NULL;
    int rc;

    if (validate_request(req, &body) < 0) {
        json_decref(body);
        return 0;
    }
    rc = vsvc_validate(req->session, req->params[0], req->params[1],
                       json_object_get(body, "attestation"),
                       json_string_value(json_object_get(body,
                                                         "occurrenceNote")),
                       json_string_value(json_object_get(
                           body, "occurrenceResourceUri")),
                       &result, &err);
    json_decref(body);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, NULL);
    }
    api_count_decision(req);
    if (result.verified) {
        return respond_verified(req);
    }
    answer = json_pack("{s:s}", "result", "ATTESTATION_NOT_VERIFIABLE");
    if (answer != NULL) {
        json_t *why = json_string(result.reason);

        json_object_set_new(answer, "denialReason",
                            why != NULL ? why
                                        : json_string("(reason is not "
                                                      "valid UTF-8)"));
    }
    rc = answer != NULL ? api_respond_json(req, 200, answer)
                        : api_respond_error(req, VOUCH_ENOMEM,
                                            "out of memory");
    json_decref(answer);
    return rc;
}
