/*
 * vouchd — authentication, rate limits and permission checks of every
 * request (authz.h).
 */
#include "authz.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "authn.h"
#include "console.h"
#include "ratelimit.h"
#include "run_v1.h"
#include "server.h"

/* The realm of WWW-Authenticate. */
#define REALM "vouchd"

static bool enabled(const api_request *req)
{
    return req->server->auth_slot != NULL;
}

const char *api_caller_name(const api_request *req)
{
    return req->identity != NULL ? vouch_identity_principal(req->identity)
                                 : NULL;
}

void api_authn_free(api_request *req)
{
    vouch_identity_free(req->identity);
    req->identity = NULL;
    vouch_auth_config_free(req->auth);
    req->auth = NULL;
}

/* The client's address as text ("203.0.113.7", "::1"), or "-". */
static void client_address(const api_request *req, char *buf, size_t size)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        req->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info != NULL ? info->client_addr : NULL;

    snprintf(buf, size, "-");
    if (sa != NULL && sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf,
                  (socklen_t)size);
    } else if (sa != NULL && sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                  buf, (socklen_t)size);
    }
}

/* Routes that answer without a token: the probes, and the console's own
 * files (they hold no data; the page sends its token on every call). */
static bool public_path(const char *path)
{
    return strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 ||
           api_console_owns(path);
}

/* 401 with the challenge. `invalid`: a token was sent and refused. */
static int unauthenticated(api_request *req, bool invalid)
{
    req->challenge = invalid ? API_CHALLENGE_INVALID : API_CHALLENGE;
    if (invalid) {
        return api_respond_status(req, 401, "UNAUTHENTICATED",
                                  "Request had invalid authentication "
                                  "credentials. Expected an OAuth 2 access "
                                  "token: a token vouchd's auth config "
                                  "lists, or an OIDC token of an issuer it "
                                  "trusts.");
    }
    return api_respond_status(req, 401, "UNAUTHENTICATED",
                              "Request is missing required authentication "
                              "credential. Expected an OAuth 2 access token "
                              "(Authorization: Bearer TOKEN).");
}

/* The reason goes to the server log only: never the token. */
static void log_refusal(const api_request *req, vouch_authn_result result,
                        const vouch_error *err)
{
    char addr[INET6_ADDRSTRLEN + 1];
    char text[400];

    client_address(req, addr, sizeof(addr));
    vouch_error_format(err, text, sizeof(text));
    fprintf(stderr, "vouchd: auth: %s %s from %s refused: %s: %s\n",
            req->method_text, req->path, addr,
            vouch_authn_result_name(result), text);
}

static int rate_limit(api_request *req)
{
    vouch_ratelimit *rl = req->server->ratelimit;
    const char *who = api_caller_name(req);
    char key[INET6_ADDRSTRLEN + 8];
    unsigned retry = 1;

    if (rl == NULL) {
        return 0;
    }
    if (who == NULL) {
        /* Anonymous callers are told apart by their address. */
        memcpy(key, "ip:", 4);
        client_address(req, key + 3, sizeof(key) - 3);
        who = key;
    }
    if (vouch_ratelimit_take(rl, who, strlen(who), &retry)) {
        return 0;
    }
    req->retry_after_s = retry;
    api_respond_status(req, 429, "RESOURCE_EXHAUSTED",
                       "Quota exceeded: more than %u requests per second "
                       "for %s (--rate-limit); retry after %u s",
                       req->server->rate_limit,
                       api_caller_name(req) != NULL ? api_caller_name(req)
                                                    : "this address",
                       retry);
    return 1;
}

int api_authn_begin(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_authn_result result = VOUCH_AUTHN_OK;
    const char *header;
    int rc;

    if (!enabled(req) || public_path(req->path)) {
        return 0;
    }
    req->auth = vouch_auth_slot_get(req->server->auth_slot);
    header = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
                                         MHD_HTTP_HEADER_AUTHORIZATION);
    rc = vouch_authn_authenticate(req->server->authn, req->auth, header,
                                  header != NULL ? strlen(header) : 0,
                                  &req->identity, &result, &err);
    if (rc == VOUCH_ENOMEM) {
        api_respond_error(req, VOUCH_ENOMEM, "out of memory");
        return 1;
    }
    if (rc < 0 && result != VOUCH_AUTHN_NO_TOKEN) {
        log_refusal(req, result, &err);
        unauthenticated(req, true);
        return 1;
    }
    return rate_limit(req);
}

int api_session_open(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    const vouch_identity *id = req->identity;

    if (req->session != NULL) {
        return 0;
    }
    if (vsvc_session_open(req->server->service, &req->session, &err) < 0 ||
        (id != NULL &&
         vsvc_session_set_caller(req->session, vouch_identity_email(id),
                                 vouch_identity_subject(id), &err) < 0)) {
        api_respond_vouch_error(req, &err, NULL);
        return 1;
    }
    return 0;
}

void api_authz_caller(const api_request *req, vouch_iam_caller *out,
                      bool *owner_all)
{
    out->principal = api_caller_name(req);
    out->config = req->auth;
    *owner_all = !enabled(req);
}

void api_route_resource_name(api_request *req, char *buf, size_t size)
{
    const api_route *r = req->route;
    char *const *p = req->params;
    run_v1_where w;

    buf[0] = '\0';
    switch (r != NULL ? r->resource : API_RES_NONE) {
    case API_RES_PROJECT:
        snprintf(buf, size, "projects/%s", p[0]);
        break;
    case API_RES_POLICY:
        snprintf(buf, size, "projects/%s/policy", p[0]);
        break;
    case API_RES_ATTESTOR:
        snprintf(buf, size, "projects/%s/attestors/%s", p[0], p[1]);
        break;
    case API_RES_NOTE:
        snprintf(buf, size, "projects/%s/notes/%s", p[0], p[1]);
        break;
    case API_RES_SERVICE:
    case API_RES_JOB:
        snprintf(buf, size, "projects/%s/locations/%s/%s/%s", p[0], p[1],
                 r->resource == API_RES_JOB ? "jobs" : "services", p[2]);
        break;
    case API_RES_V1_SERVICE:
    case API_RES_V1_JOB:
        run_v1_where_of(req, &w);
        snprintf(buf, size, "%s/%s/%s", w.parent,
                 r->resource == API_RES_V1_JOB ? "jobs" : "services", p[1]);
        break;
    case API_RES_NONE:
    case API_RES_ANY_PROJECT:
    case API_RES_BODY:
        break;
    }
}

typedef struct any_project {
    const vouch_iam_caller *caller;
    const char *permission;
    bool held;
} any_project;

static int held_here(const char *project, const vouch_iam_policy *policy,
                     void *payload)
{
    any_project *a = payload;

    (void)project;
    a->held = a->held ||
              vouch_iam_allowed(a->caller, NULL, policy, a->permission);
    return 0;
}

/*
 * Does the caller hold `permission` on `resource` ("" with `any`: on some
 * project)? 1 yes, 0 no, negative: the store failed (`err`).
 */
static int decide(api_request *req, const char *permission,
                  const char *resource, bool any, vouch_error *err)
{
    vouch_iam_caller caller;
    vouch_iam_policy *own = NULL;
    vouch_iam_policy *project = NULL;
    bool all;
    int rc;

    api_authz_caller(req, &caller, &all);
    if (all) {
        return 1;
    }
    /* An owner holds roles/owner on every project: nothing to read. */
    if (caller.principal != NULL &&
        vouch_auth_config_is_owner(caller.config, caller.principal) &&
        vouch_iam_role_grants("roles/owner", permission)) {
        return 1;
    }
    if (api_session_open(req) != 0) {
        return vutil_error_set(err, VOUCH_EIO, NULL, 0, 0,
                               "the store cannot be reached");
    }
    if (any) {
        any_project a = { &caller, permission, false };

        rc = vsvc_iam_each_project(req->session, held_here, &a, err);
        return rc < 0 ? rc : a.held ? 1 : 0;
    }
    rc = vsvc_iam_grants(req->session, resource, &own, &project, err);
    if (rc == 0) {
        rc = vouch_iam_allowed(&caller, own, project, permission) ? 1 : 0;
    }
    vouch_iam_policy_free(own);
    vouch_iam_policy_free(project);
    return rc;
}

/* Refuse: 401 to a caller without a token (the credential is what is
 * missing), 403 to one with a valid token. */
static int deny(api_request *req, const char *permission,
                const char *resource)
{
    if (req->identity == NULL) {
        return unauthenticated(req, false);
    }
    return api_respond_status(req, 403, "PERMISSION_DENIED",
                              "Permission '%s' denied on resource '%s' (or "
                              "it may not exist).",
                              permission, resource);
}

static int check(api_request *req, const char *permission,
                 const char *resource, bool any)
{
    vouch_error err = VOUCH_ERROR_INIT;
    int rc = decide(req, permission, resource, any, &err);

    req->checked = true;
    if (rc < 0) {
        if (req->status == 0) {
            api_respond_vouch_error(req, &err, "checking permissions");
        }
        return 1;
    }
    if (rc == 0) {
        deny(req, permission, any ? "projects/-" : resource);
        return 1;
    }
    return 0;
}

int api_authorize(api_request *req, const char *permission,
                  const char *resource)
{
    return check(req, permission, resource, false);
}

bool api_authz_holds(api_request *req, const char *permission,
                     const char *resource)
{
    vouch_error err = VOUCH_ERROR_INIT;

    return decide(req, permission, resource, false, &err) == 1;
}

int api_authz_route(api_request *req)
{
    const api_route *r = req->route;
    char resource[API_AUTHZ_RESOURCE_MAX];

    if ((r->flags & API_ROUTE_SESSION) && api_session_open(req) != 0) {
        return 1;
    }
    if (r->permission == NULL || r->resource == API_RES_BODY) {
        /* PUBLIC and ANY_CALLER routes; BODY routes check themselves. */
        return 0;
    }
    api_route_resource_name(req, resource, sizeof(resource));
    return check(req, r->permission, resource,
                 r->resource == API_RES_ANY_PROJECT);
}
