/*
 * vouch auth — IAM as Google's users know it (docs/security.md "IAM"):
 * policies {version, bindings: [{role, members}], etag}, the predefined
 * roles with Google's permission names (one table, iam_roles.c), the
 * decision "may this caller do P here?", testIamPermissions, and the
 * setIamPolicy helper that checks the etag and computes the audit log's
 * policyDelta.
 *
 * A resource's effective grants are its own policy's plus its project's.
 * Members match as Google's do: the principal itself; "group:" members
 * whose group (in the auth config) holds the principal; "allUsers" any
 * caller, also one without a token; "allAuthenticatedUsers" any caller with
 * one. The config's owners hold roles/owner on every project.
 */
#ifndef VOUCH_AUTH_IAM_H
#define VOUCH_AUTH_IAM_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "authconfig.h"
#include "vouch/common.h"

/** Largest policy document, and most members over all bindings (Google's
 * limit is 1,500 principals per policy). */
#define VOUCH_IAM_POLICY_MAX_BYTES (1024u * 1024u)
#define VOUCH_IAM_POLICY_MAX_MEMBERS 1500u
/** Most permissions in one testIamPermissions request. */
#define VOUCH_IAM_TEST_MAX_PERMISSIONS 1000u

/** The etag of a policy without bindings (Google's answer for one). */
#define VOUCH_IAM_EMPTY_ETAG "ACAB"

/* ------------------------------------------------------------------ */
/* Roles and permissions                                              */

/** Number of predefined roles; their names in order. Reentrant. */
size_t vouch_iam_role_count(void);
const char *vouch_iam_role_name(size_t index);  /* "roles/run.viewer" */
const char *vouch_iam_role_title(size_t index); /* "Cloud Run Viewer" */

/** Is `role` ("roles/…") a predefined role? Reentrant. */
bool vouch_iam_role_exists(const char *role);

/**
 * The permissions of `role` (sorted; static), or NULL for an unknown role.
 * Reentrant.
 */
const char *const *vouch_iam_role_permissions(const char *role,
                                              size_t *count);

/** Does `role` grant `permission`? False for unknown names. Reentrant. */
bool vouch_iam_role_grants(const char *role, const char *permission);

/**
 * Every permission vouchd knows (sorted; static): the router refuses a
 * route whose permission is not in this list. Reentrant.
 */
size_t vouch_iam_permission_count(void);
const char *vouch_iam_permission_name(size_t index);
bool vouch_iam_permission_known(const char *permission);

/* ------------------------------------------------------------------ */
/* Policies                                                           */

typedef struct vouch_iam_policy vouch_iam_policy;

/**
 * Parse a Policy in Google's JSON shape: {"version": 1, "bindings":
 * [{"role": "roles/…", "members": ["user:…", …]}], "etag": "…"}.
 * Roles must be predefined roles; members user:, serviceAccount:, group:
 * (e-mail addresses, compared in lower case), principal://HOST/subject/SUB,
 * allUsers or allAuthenticatedUsers. version 0 (absent), 1 or 3; a
 * binding "condition" and non-empty "auditConfigs" are refused (not
 * supported). The result is normalised: bindings sorted by role and merged,
 * members sorted and unique, empty bindings dropped.
 *
 * @param[out] out  Caller owns it; free with vouch_iam_policy_free().
 * @param source    Name for error positions ("request body"); may be NULL.
 * @return 0; VOUCH_EPARSE (not JSON; line and column); VOUCH_EINVAL (names
 *         the field, e.g. "bindings[0].members[2]: …", with position);
 *         VOUCH_ETOOBIG; VOUCH_ENOMEM.
 * Thread safety: reentrant; a policy is immutable and may be shared.
 */
int vouch_iam_policy_parse(vouch_iam_policy **out, const char *data,
                           size_t len, const char *source, vouch_error *err);

/** An empty policy (no bindings, etag VOUCH_IAM_EMPTY_ETAG). */
int vouch_iam_policy_new(vouch_iam_policy **out, vouch_error *err);

/** Free a policy. NULL is a no-op. */
void vouch_iam_policy_free(vouch_iam_policy *policy);

/**
 * The etag of the policy's content: a base64 string that changes when the
 * bindings change (an etag given in the parsed input is not kept; see
 * vouch_iam_policy_request_etag()). Borrowed.
 */
const char *vouch_iam_policy_etag(const vouch_iam_policy *policy);

/** The etag the parsed document carried, or NULL. Borrowed. */
const char *vouch_iam_policy_request_etag(const vouch_iam_policy *policy);

/** Bindings (after normalisation) and their members. Borrowed. */
size_t vouch_iam_policy_binding_count(const vouch_iam_policy *policy);
const char *vouch_iam_policy_binding_role(const vouch_iam_policy *policy,
                                          size_t index);
size_t vouch_iam_policy_member_count(const vouch_iam_policy *policy,
                                     size_t index);
const char *vouch_iam_policy_member(const vouch_iam_policy *policy,
                                    size_t index, size_t member);

/**
 * The policy as Google returns it: {"version": 1, "etag": "…",
 * "bindings": […]} ("bindings" left out when empty).
 * @return a new json_t the caller json_decref()s; NULL when out of memory.
 */
json_t *vouch_iam_policy_to_json(const vouch_iam_policy *policy);

/** As vouch_iam_policy_to_json(), printed (sorted keys); free with
 * vouch_free(). 0 or VOUCH_ENOMEM. */
int vouch_iam_policy_print(const vouch_iam_policy *policy, char **out,
                           size_t *out_len, vouch_error *err);

/* ------------------------------------------------------------------ */
/* Decisions                                                          */

/** Who is asking. Strings borrowed. */
typedef struct vouch_iam_caller {
    const char *principal;             /* member form; NULL: anonymous */
    const vouch_auth_config *config;   /* groups and owners; may be NULL */
} vouch_iam_caller;

/**
 * Does `caller` hold `permission` on a resource whose own policy is
 * `resource` and whose project's policy is `project` (either may be NULL:
 * no grants there)? Unknown permissions are never held (fail closed).
 * Reentrant.
 */
bool vouch_iam_allowed(const vouch_iam_caller *caller,
                       const vouch_iam_policy *resource,
                       const vouch_iam_policy *project,
                       const char *permission);

/**
 * testIamPermissions: for each of the `count` permissions, whether
 * `caller` holds it (`held[i]`). Reentrant.
 */
void vouch_iam_test_permissions(const vouch_iam_caller *caller,
                                const vouch_iam_policy *resource,
                                const vouch_iam_policy *project,
                                const char *const *permissions, size_t count,
                                bool *held);

/**
 * The whole testIamPermissions exchange: parse the request body
 * {"permissions": ["…", …]} and build the response {"permissions": [the
 * subset held, in request order]} ("permissions" left out when none is
 * held, as proto3 JSON does). A permission with a wildcard or not of the
 * form "service.resource.verb" is INVALID_ARGUMENT, as at Google; a
 * well-formed one vouchd does not know is simply not held.
 *
 * @param[out] response  Caller json_decref()s it.
 * @return 0; VOUCH_EPARSE; VOUCH_EINVAL (names the field); VOUCH_ETOOBIG
 *         (over VOUCH_IAM_TEST_MAX_PERMISSIONS); VOUCH_ENOMEM.
 */
int vouch_iam_test_permissions_json(const vouch_iam_caller *caller,
                                    const vouch_iam_policy *resource,
                                    const vouch_iam_policy *project,
                                    const char *body, size_t len,
                                    json_t **response, vouch_error *err);

/* ------------------------------------------------------------------ */
/* setIamPolicy                                                       */

typedef struct vouch_iam_delta vouch_iam_delta;

/** What a setIamPolicy request asks for. Free with
 * vouch_iam_set_request_clear(). */
typedef struct vouch_iam_set_request {
    vouch_iam_policy *policy;  /* "policy" of the body */
    bool update_bindings;      /* "bindings" in updateMask (or no mask) */
    bool check_etag;           /* the policy carries an etag */
} vouch_iam_set_request;

/**
 * Parse a setIamPolicy body {"policy": Policy, "updateMask": "bindings,
 * etag"} (positions and field paths as vouch_iam_policy_parse(), prefixed
 * "policy."). updateMask may name "bindings", "etag" and "version"
 * (default "bindings,etag"); anything else is INVALID_ARGUMENT.
 *
 * @return 0; VOUCH_EPARSE; VOUCH_EINVAL; VOUCH_ETOOBIG; VOUCH_ENOMEM.
 */
int vouch_iam_set_request_parse(vouch_iam_set_request *out, const char *body,
                                size_t len, const char *source,
                                vouch_error *err);
void vouch_iam_set_request_clear(vouch_iam_set_request *req);

/**
 * Apply a setIamPolicy request to the policy in force.
 *
 * When the request carries an etag it must equal the etag of `current`;
 * otherwise VOUCH_EABORTED with Google's message ("There were concurrent
 * policy changes…"). Without one the write is unconditional.
 *
 * @param current    The stored policy; NULL is the empty policy.
 * @param[out] out   The new policy to store (and to return to the
 *                   caller); free with vouch_iam_policy_free().
 * @param[out] delta The changes for the audit log's
 *                   serviceData.policyDelta; may be NULL when not wanted.
 *                   Free with vouch_iam_delta_free().
 * @return 0; VOUCH_EABORTED (stale etag); VOUCH_ENOMEM.
 * Thread safety: reentrant. The caller makes read-check-write atomic (one
 * store transaction).
 */
int vouch_iam_policy_set(const vouch_iam_policy *current,
                         const vouch_iam_set_request *req,
                         vouch_iam_policy **out, vouch_iam_delta **delta,
                         vouch_error *err);

/** Number of binding deltas; each is ADD or REMOVE of one member in one
 * role, sorted by role, then member. Accessors return borrowed strings. */
size_t vouch_iam_delta_count(const vouch_iam_delta *delta);
const char *vouch_iam_delta_action(const vouch_iam_delta *delta, size_t i);
const char *vouch_iam_delta_role(const vouch_iam_delta *delta, size_t i);
const char *vouch_iam_delta_member(const vouch_iam_delta *delta, size_t i);

/**
 * The audit log's policyDelta: {"bindingDeltas": [{"action": "ADD",
 * "role": "…", "member": "…"}, …]}. A new json_t the caller
 * json_decref()s; NULL when out of memory.
 */
json_t *vouch_iam_delta_to_json(const vouch_iam_delta *delta);

/** Free a delta. NULL is a no-op. */
void vouch_iam_delta_free(vouch_iam_delta *delta);

#endif /* VOUCH_AUTH_IAM_H */
