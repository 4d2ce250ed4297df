/*
 * setIamPolicy (iam.h): the request body, the etag check, and the
 * bindingDeltas of the audit log's policyDelta.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_internal.h"
#include "iam_internal.h"

/* Google's words for a stale etag. */
#define STALE_ETAG_MESSAGE                                                \
    "There were concurrent policy changes. Please retry the whole "       \
    "read-modify-write with exponential backoff."

typedef struct delta_entry {
    const char *action;      /* "ADD" or "REMOVE" (static) */
    char *role;
    char *member;
} delta_entry;

struct vouch_iam_delta {
    delta_entry *entries;
    size_t count;
    size_t cap;
};

static const char *const request_fields[] = { "policy", "updateMask", NULL };

/* ---- the request ------------------------------------------------------ */

/* updateMask: comma-separated field names. */
static int parse_mask(const vutil_doc *doc, vutil_node *node,
                      vutil_path *path, vouch_iam_set_request *req,
                      bool *etag_in_mask, vouch_error *err)
{
    const char *s = NULL;
    size_t n = 0;
    size_t i = 0;
    int rc;

    rc = vutil_doc_string(doc, node, path, &s, &n, err);
    if (rc < 0) {
        return rc;
    }
    req->update_bindings = false;
    *etag_in_mask = false;
    while (i <= n) {
        size_t start = i;

        while (i < n && s[i] != ',') {
            i++;
        }
        if (vutil_slice_eq(s + start, i - start, "bindings")) {
            req->update_bindings = true;
        } else if (vutil_slice_eq(s + start, i - start, "etag")) {
            *etag_in_mask = true;
        } else if (!vutil_slice_eq(s + start, i - start, "version")) {
            return vutil_doc_fail(doc, node, path, err, VOUCH_EINVAL,
                                  "only bindings, etag and version can be "
                                  "updated");
        }
        i++;
    }
    return 0;
}

int vouch_iam_set_request_parse(vouch_iam_set_request *out, const char *body,
                                size_t len, const char *source,
                                vouch_error *err)
{
    vutil_doc doc;
    vutil_path path = VUTIL_PATH_INIT;
    bool etag_in_mask = true;
    size_t saved;
    int rc;

    memset(out, 0, sizeof(*out));
    out->update_bindings = true;
    rc = vutil_doc_load(&doc, body, len, VOUCH_FORMAT_JSON,
                        VOUCH_IAM_POLICY_MAX_BYTES, source, err);
    if (rc < 0) {
        return rc;
    }
    vutil_node *root = vutil_doc_root(&doc);
    rc = vutil_doc_expect_mapping(&doc, root, &path, request_fields, err);
    vutil_node *policy = vutil_doc_get(&doc, root, "policy");
    vutil_node *mask = vutil_doc_get(&doc, root, "updateMask");
    if (rc == 0 && (policy == NULL || !vutil_doc_is_mapping(&doc, policy))) {
        saved = vutil_path_push_key(&path, "policy");
        rc = vutil_doc_fail(&doc, policy != NULL ? policy : root, &path,
                            err, VOUCH_EINVAL, "an IAM policy object is "
                            "required");
        vutil_path_pop(&path, saved);
    }
    if (rc == 0 && mask != NULL) {
        saved = vutil_path_push_key(&path, "updateMask");
        rc = parse_mask(&doc, mask, &path, out, &etag_in_mask, err);
        vutil_path_pop(&path, saved);
    }
    if (rc == 0) {
        vutil_path_push_key(&path, "policy");
        rc = vouch__iam_policy_from_node(&doc, policy, &path, &out->policy,
                                         err);
    }
    if (rc == 0) {
        out->check_etag = etag_in_mask && out->policy->request_etag != NULL;
    }
    vutil_doc_close(&doc);
    if (rc < 0) {
        vouch_iam_set_request_clear(out);
    }
    return rc;
}

void vouch_iam_set_request_clear(vouch_iam_set_request *req)
{
    if (req != NULL) {
        vouch_iam_policy_free(req->policy);
        memset(req, 0, sizeof(*req));
    }
}

/* ---- deltas ------------------------------------------------------------ */

void vouch_iam_delta_free(vouch_iam_delta *delta)
{
    size_t i;

    if (delta == NULL) {
        return;
    }
    for (i = 0; i < delta->count; i++) {
        free(delta->entries[i].role);
        free(delta->entries[i].member);
    }
    free(delta->entries);
    free(delta);
}

static int delta_add(vouch_iam_delta *d, const char *action,
                     const char *role, const char *member)
{
    delta_entry *e;

    if (!vutil_grow(&d->entries, &d->cap, d->count, sizeof(*d->entries),
                    8)) {
        return VOUCH_ENOMEM;
    }
    e = &d->entries[d->count];
    e->action = action;
    e->role = vutil_strdup(role);
    e->member = vutil_strdup(member);
    if (e->role == NULL || e->member == NULL) {
        free(e->role);
        free(e->member);
        return VOUCH_ENOMEM;
    }
    d->count++;
    return 0;
}

/* Every member of `b` as `action` (a role only one side has). */
static int delta_all(vouch_iam_delta *d, const char *action,
                     const vouch__iam_binding *b)
{
    size_t i;
    int rc = 0;

    for (i = 0; rc == 0 && i < b->member_count; i++) {
        rc = delta_add(d, action, b->role, b->members[i]);
    }
    return rc;
}

/* Merge-walk the sorted members of one role in both policies. */
static int delta_role(vouch_iam_delta *d, const vouch__iam_binding *old,
                      const vouch__iam_binding *new)
{
    size_t i = 0;
    size_t j = 0;
    int rc = 0;

    while (rc == 0 && (i < old->member_count || j < new->member_count)) {
        int c = i == old->member_count   ? 1
                : j == new->member_count ? -1
                                         : strcmp(old->members[i],
                                                  new->members[j]);

        if (c < 0) {
            rc = delta_add(d, "REMOVE", old->role, old->members[i++]);
        } else if (c > 0) {
            rc = delta_add(d, "ADD", new->role, new->members[j++]);
        } else {
            i++;
            j++;
        }
    }
    return rc;
}

static int compute_delta(const vouch_iam_policy *old,
                         const vouch_iam_policy *new, vouch_iam_delta *d)
{
    size_t i = 0;
    size_t j = 0;
    int rc = 0;

    while (rc == 0 && (i < old->binding_count || j < new->binding_count)) {
        int c = i == old->binding_count   ? 1
                : j == new->binding_count ? -1
                                          : strcmp(old->bindings[i].role,
                                                   new->bindings[j].role);

        if (c < 0) {
            rc = delta_all(d, "REMOVE", &old->bindings[i++]);
        } else if (c > 0) {
            rc = delta_all(d, "ADD", &new->bindings[j++]);
        } else {
            rc = delta_role(d, &old->bindings[i++], &new->bindings[j++]);
        }
    }
    return rc;
}

size_t vouch_iam_delta_count(const vouch_iam_delta *delta)
{
    return delta != NULL ? delta->count : 0;
}

const char *vouch_iam_delta_action(const vouch_iam_delta *delta, size_t i)
{
    return i < vouch_iam_delta_count(delta) ? delta->entries[i].action : NULL;
}

const char *vouch_iam_delta_role(const vouch_iam_delta *delta, size_t i)
{
    return i < vouch_iam_delta_count(delta) ? delta->entries[i].role : NULL;
}

const char *vouch_iam_delta_member(const vouch_iam_delta *delta, size_t i)
{
    return i < vouch_iam_delta_count(delta) ? delta->entries[i].member : NULL;
}

json_t *vouch_iam_delta_to_json(const vouch_iam_delta *delta)
{
    json_t *root = json_object();
    json_t *list = json_array();
    size_t i;
    bool ok = root != NULL && list != NULL;

    for (i = 0; ok && i < vouch_iam_delta_count(delta); i++) {
        json_t *e = json_pack("{s:s, s:s, s:s}", "action",
                              delta->entries[i].action, "role",
                              delta->entries[i].role, "member",
                              delta->entries[i].member);

        ok = e != NULL && json_array_append_new(list, e) == 0;
    }
    ok = ok && json_object_set(root, "bindingDeltas", list) == 0;
    json_decref(list);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* ---- set --------------------------------------------------------------- */

int vouch_iam_policy_set(const vouch_iam_policy *current,
                         const vouch_iam_set_request *req,
                         vouch_iam_policy **out, vouch_iam_delta **delta,
                         vouch_error *err)
{
    const vouch_iam_policy *source;
    vouch__iam_binding *copy = NULL;
    vouch_iam_policy *empty = NULL;
    vouch_iam_policy *result = NULL;
    vouch_iam_delta *d = NULL;
    size_t n = 0;
    int rc;

    *out = NULL;
    if (delta != NULL) {
        *delta = NULL;
    }
    if (current == NULL) {
        rc = vouch_iam_policy_new(&empty, err);
        if (rc < 0) {
            return rc;
        }
        current = empty;
    }
    if (req->check_etag &&
        strcmp(req->policy->request_etag, current->etag) != 0) {
        rc = vutil_error_set(err, VOUCH_EABORTED, NULL, 0, 0, "%s",
                             STALE_ETAG_MESSAGE);
        goto cleanup;
    }
    source = req->update_bindings ? req->policy : current;
    rc = vouch__iam_bindings_copy(source, &copy, &n);
    if (rc == 0) {
        rc = vouch__iam_policy_build(&result, copy, n, err);
        copy = NULL;
    }
    if (rc == 0 && delta != NULL) {
        d = calloc(1, sizeof(*d));
        rc = d == NULL ? VOUCH_ENOMEM : compute_delta(current, result, d);
    }
    if (rc < 0) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                             "out of memory setting an IAM policy");
        goto cleanup;
    }
    *out = result;
    result = NULL;
    if (delta != NULL) {
        *delta = d;
        d = NULL;
    }

cleanup:
    vouch_iam_delta_free(d);
    vouch_iam_policy_free(result);
    vouch_iam_policy_free(empty);
    return rc;
}
