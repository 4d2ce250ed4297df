/*
 * vouchd — GET /v1/vouch:whoami (vouch's own; `vouch auth whoami`): who
 * vouchd takes the caller to be. Needs no permission (docs/api.md):
 *
 *   {"authConfigured": true, "authenticationMethod": "OIDC",
 *    "principal": "serviceAccount:ci@example.com",
 *    "principalEmail": "ci@example.com", "issuer": "https://…",
 *    "expireTime": "2026-…Z", "owner": false}
 *
 * authenticationMethod is STATIC_TOKEN, OIDC, or NONE (no token); the
 * principal fields follow the audit log's authenticationInfo. Without an
 * auth config every caller is an anonymous owner: {"authConfigured":
 * false, "authenticationMethod": "NONE", "owner": true}.
 */
#include <time.h>

#include "authz.h"
#include "handlers.h"
#include "server.h"

static int set_string(json_t *obj, const char *key, const char *value)
{
    return value == NULL ? 0 : json_object_set_new(obj, key,
                                                   json_string(value));
}

static int describe(const api_request *req, json_t *out)
{
    const vouch_identity *id = req->identity;
    bool configured = req->server->auth_slot != NULL;
    const char *method = "NONE";
    char when[32];
    int rc = 0;

    if (id != NULL) {
        method = vouch_identity_method(id) == VOUCH_AUTHN_OIDC
                     ? "OIDC"
                     : "STATIC_TOKEN";
    }
    rc |= json_object_set_new(out, "authConfigured",
                              json_boolean(configured));
    rc |= json_object_set_new(out, "authenticationMethod",
                              json_string(method));
    rc |= json_object_set_new(
        out, "owner",
        json_boolean(!configured ||
                     (id != NULL &&
                      vouch_auth_config_is_owner(
                          req->auth, vouch_identity_principal(id)))));
    if (id == NULL) {
        return rc;
    }
    rc |= set_string(out, "principal", vouch_identity_principal(id));
    rc |= set_string(out, "principalEmail", vouch_identity_email(id));
    rc |= set_string(out, "principalSubject", vouch_identity_subject(id));
    rc |= set_string(out, "issuer", vouch_identity_issuer(id));
    if (vouch_identity_expires(id) > 0) {
        time_t t = (time_t)vouch_identity_expires(id);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        rc |= set_string(out, "expireTime", when);
    }
    return rc;
}

int api_whoami(api_request *req)
{
    json_t *out = json_object();
    int rc;

    if (out == NULL || describe(req, out) != 0) {
        json_decref(out);
        return api_respond_error(req, VOUCH_ENOMEM, "out of memory");
    }
    rc = api_respond_json(req, 200, out);
    json_decref(out);
    return rc;
}
