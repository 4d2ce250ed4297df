/*
 * IAM decisions (iam.h): does a caller hold a permission on a resource,
 * given the resource's policy, its project's policy and the auth config's
 * groups and owners; and testIamPermissions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_internal.h"
#include "iam_internal.h"

#define OWNER_ROLE "roles/owner"

static bool member_matches(const vouch_iam_caller *caller,
                           const char *member)
{
    if (strcmp(member, "allUsers") == 0) {
        return true;
    }
    if (caller->principal == NULL) {
        return false;
    }
    if (strcmp(member, "allAuthenticatedUsers") == 0 ||
        strcmp(member, caller->principal) == 0) {
        return true;
    }
    return strncmp(member, "group:", 6) == 0 &&
           vouch_auth_config_in_group(caller->config, member,
                                      caller->principal);
}

static bool policy_grants(const vouch_iam_caller *caller,
                          const vouch_iam_policy *policy,
                          const char *permission)
{
    size_t i;
    size_t j;

    for (i = 0; policy != NULL && i < policy->binding_count; i++) {
        const vouch__iam_binding *b = &policy->bindings[i];

        if (!vouch_iam_role_grants(b->role, permission)) {
            continue;
        }
        for (j = 0; j < b->member_count; j++) {
            if (member_matches(caller, b->members[j])) {
                return true;
            }
        }
    }
    return false;
}

bool vouch_iam_allowed(const vouch_iam_caller *caller,
                       const vouch_iam_policy *resource,
                       const vouch_iam_policy *project,
                       const char *permission)
{
    if (caller == NULL || !vouch_iam_permission_known(permission)) {
        return false;
    }
    if (vouch_iam_role_grants(OWNER_ROLE, permission) &&
        vouch_auth_config_is_owner(caller->config, caller->principal)) {
        return true;
    }
    return policy_grants(caller, resource, permission) ||
           policy_grants(caller, project, permission);
}

void vouch_iam_test_permissions(const vouch_iam_caller *caller,
                                const vouch_iam_policy *resource,
                                const vouch_iam_policy *project,
                                const char *const *permissions, size_t count,
                                bool *held)
{
    size_t i;

    for (i = 0; i < count; i++) {
        held[i] = vouch_iam_allowed(caller, resource, project,
                                    permissions[i]);
    }
}

/* "service.resource.verb": three or more dot-separated words of
 * [A-Za-z0-9_], so no wildcard. */
static bool permission_form(const char *s, size_t len)
{
    size_t i;
    size_t words = 1;
    size_t run = 0;

    if (len == 0 || len > 256) {
        return false;
    }
    for (i = 0; i < len; i++) {
        char c = s[i];

        if (c == '.') {
            if (run == 0) {
                return false;
            }
            words++;
            run = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   (c >= '0' && c <= '9') || c == '_') {
            run++;
        } else {
            return false;
        }
    }
    return run > 0 && words >= 3;
}

static const char *const test_fields[] = { "permissions", NULL };

int vouch_iam_test_permissions_json(const vouch_iam_caller *caller,
                                    const vouch_iam_policy *resource,
                                    const vouch_iam_policy *project,
                                    const char *body, size_t len,
                                    json_t **response, vouch_error *err)
{
    vutil_doc doc;
    vutil_path path = VUTIL_PATH_INIT;
    vutil_node *item;
    vutil_iter iter = VUTIL_ITER_INIT;
    json_t *held = NULL;
    size_t n = 0;
    int rc;

    *response = NULL;
    rc = vutil_doc_load(&doc, body, len, VOUCH_FORMAT_JSON,
                        VOUCH_IAM_POLICY_MAX_BYTES, "request body", err);
    if (rc < 0) {
        return rc;
    }
    vutil_node *root = vutil_doc_root(&doc);
    rc = vutil_doc_expect_mapping(&doc, root, &path, test_fields, err);
    vutil_node *seq = vutil_doc_get(&doc, root, "permissions");
    vutil_path_push_key(&path, "permissions");
    if (rc == 0) {
        rc = vutil_doc_expect_sequence(&doc, seq, &path, err);
    }
    if (rc == 0 && seq != NULL && vutil_doc_is_sequence(&doc, seq) &&
        vutil_doc_count(&doc, seq) >
            VOUCH_IAM_TEST_MAX_PERMISSIONS) {
        rc = vutil_doc_fail(&doc, seq, &path, err, VOUCH_ETOOBIG,
                            "at most %u permissions per request",
                            VOUCH_IAM_TEST_MAX_PERMISSIONS);
    }
    held = json_array();
    if (rc == 0 && held == NULL) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                             "out of memory testing permissions");
    }
    while (rc == 0 && seq != NULL && vutil_doc_is_sequence(&doc, seq) &&
           (item = vutil_doc_next(&doc, seq, &iter)) != NULL) {
        size_t saved = vutil_path_push_index(&path, n++);
        char *perm = NULL;

        rc = vutil_doc_string_dup(&doc, item, &path, &perm, err);
        if (rc == 0 && !permission_form(perm, strlen(perm))) {
            rc = vutil_doc_fail(&doc, item, &path, err, VOUCH_EINVAL,
                                "invalid permission (wildcards are not "
                                "allowed)");
        }
        if (rc == 0 && vouch_iam_allowed(caller, resource, project, perm) &&
            json_array_append_new(held, json_string(perm)) != 0) {
            rc = vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                 "out of memory testing permissions");
        }
        free(perm);
        vutil_path_pop(&path, saved);
    }
    if (rc == 0) {
        *response = json_object();
        if (*response == NULL ||
            (json_array_size(held) > 0 &&
             json_object_set(*response, "permissions", held) != 0)) {
            json_decref(*response);
            *response = NULL;
            rc = vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                 "out of memory testing permissions");
        }
    }
    json_decref(held);
    vutil_doc_close(&doc);
    return rc;
}
