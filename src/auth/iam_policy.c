/*
 * IAM policies (iam.h): parsing Google's JSON shape through the
 * position-keeping document layer, normalising, the content etag, and
 * printing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth_internal.h"
#include "iam_internal.h"
#include "vutil_yaml.h"
#include "member.h"

#define ETAG_MAX_BYTES 128u

static const char *const policy_fields[] = { "version", "bindings", "etag",
                                             "auditConfigs", NULL };
static const char *const binding_fields[] = { "role", "members", "condition",
                                              NULL };

/* ---- building -------------------------------------------------------- */

void vouch__iam_bindings_free(vouch__iam_binding *b, size_t count)
{
    size_t i;
    size_t j;

    for (i = 0; b != NULL && i < count; i++) {
        free(b[i].role);
        for (j = 0; j < b[i].member_count; j++) {
            free(b[i].members[j]);
        }
        free(b[i].members);
    }
    free(b);
}

static int binding_cmp(const void *a, const void *b)
{
    return strcmp(((const vouch__iam_binding *)a)->role,
                  ((const vouch__iam_binding *)b)->role);
}

/* Move the members of `from` to the end of `into`. */
static int merge_into(vouch__iam_binding *into, vouch__iam_binding *from)
{
    size_t n = into->member_count + from->member_count;
    char **m;

    if (from->member_count == 0) {
        return 0;
    }
    m = realloc(into->members, n * sizeof(char *));
    if (m == NULL) {
        return VOUCH_ENOMEM;
    }
    memcpy(m + into->member_count, from->members,
           from->member_count * sizeof(char *));
    into->members = m;
    into->member_count = n;
    free(from->members);
    from->members = NULL;
    from->member_count = 0;
    return 0;
}

/* base64 of the first 8 bytes of SHA-256 over the normalised bindings. */
static char *content_etag(const vouch__iam_binding *b, size_t count)
{
    EVP_MD_CTX *ctx;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char *etag = NULL;
    size_t i;
    size_t j;
    bool ok;

    if (count == 0) {
        return vutil_strdup(VOUCH_IAM_EMPTY_ETAG);
    }
    ctx = EVP_MD_CTX_new();
    ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    for (i = 0; ok && i < count; i++) {
        /* NUL-separated, so no two policies share an encoding. */
        ok = EVP_DigestUpdate(ctx, b[i].role, strlen(b[i].role) + 1) == 1;
        for (j = 0; ok && j < b[i].member_count; j++) {
            ok = EVP_DigestUpdate(ctx, b[i].members[j],
                                  strlen(b[i].members[j]) + 1) == 1;
        }
        ok = ok && EVP_DigestUpdate(ctx, "", 1) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen >= 8;
    EVP_MD_CTX_free(ctx);
    if (ok && vutil_base64_encode(md, 8, false, &etag) < 0) {
        etag = NULL;
    }
    return etag;
}

int vouch__iam_policy_build(vouch_iam_policy **out,
                            vouch__iam_binding *bindings, size_t count,
                            vouch_error *err)
{
    vouch_iam_policy *p = NULL;
    size_t first = 0;
    size_t i;
    size_t kept = 0;
    int rc = VOUCH_ENOMEM;

    *out = NULL;
    if (count > 0) {
        qsort(bindings, count, sizeof(*bindings), binding_cmp);
    }
    /* Merge each binding into the first of its role (sorted, so they are
     * neighbours), then sort the members and drop emptied bindings: both
     * leave a NULL role behind, and one pass closes the gaps. */
    for (i = 1; i < count; i++) {
        if (strcmp(bindings[first].role, bindings[i].role) != 0) {
            first = i;
            continue;
        }
        if (merge_into(&bindings[first], &bindings[i]) < 0) {
            goto cleanup;
        }
        free(bindings[i].role);
        free(bindings[i].members);
        memset(&bindings[i], 0, sizeof(bindings[i]));
    }
    for (i = 0; i < count; i++) {
        if (bindings[i].role == NULL) {
            continue;
        }
        vouch__auth_sort_unique(bindings[i].members,
                                &bindings[i].member_count);
        if (bindings[i].member_count == 0) {
            free(bindings[i].role);
            free(bindings[i].members);
            memset(&bindings[i], 0, sizeof(bindings[i]));
            continue;
        }
        bindings[kept++] = bindings[i];
    }
    count = kept;
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        goto cleanup;
    }
    p->bindings = bindings;
    p->binding_count = count;
    bindings = NULL;
    p->etag = content_etag(p->bindings, p->binding_count);
    if (p->etag == NULL) {
        goto cleanup;
    }
    *out = p;
    p = NULL;
    rc = 0;

cleanup:
    vouch__iam_bindings_free(bindings, count);
    vouch_iam_policy_free(p);
    if (rc < 0) {
        vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                        "out of memory building an IAM policy");
    }
    return rc;
}

int vouch__iam_bindings_copy(const vouch_iam_policy *p,
                             vouch__iam_binding **out, size_t *count)
{
    vouch__iam_binding *b = NULL;
    size_t n = p != NULL ? p->binding_count : 0;
    size_t i;
    size_t j;

    *out = NULL;
    *count = 0;
    if (n == 0) {
        return 0;
    }
    b = calloc(n, sizeof(*b));
    if (b == NULL) {
        return VOUCH_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        const vouch__iam_binding *src = &p->bindings[i];

        b[i].role = vutil_strdup(src->role);
        b[i].members = calloc(src->member_count, sizeof(char *));
        if (b[i].role == NULL || b[i].members == NULL) {
            vouch__iam_bindings_free(b, i + 1);
            return VOUCH_ENOMEM;
        }
        for (j = 0; j < src->member_count; j++) {
            b[i].members[j] = vutil_strdup(src->members[j]);
            if (b[i].members[j] == NULL) {
                b[i].member_count = j;
                vouch__iam_bindings_free(b, i + 1);
                return VOUCH_ENOMEM;
            }
        }
        b[i].member_count = src->member_count;
    }
    *out = b;
    *count = n;
    return 0;
}

/* ---- parsing --------------------------------------------------------- */

static int parse_binding(const vutil_doc *doc, vutil_node *node,
                         vutil_path *path, vouch__iam_binding *b,
                         size_t *total, vouch_error *err)
{
    vutil_node *role = vutil_doc_get(doc, node, "role");
    vutil_node *members = vutil_doc_get(doc, node, "members");
    vutil_node *cond = vutil_doc_get(doc, node, "condition");
    vutil_node *item;
    vutil_iter iter = VUTIL_ITER_INIT;
    size_t saved;
    size_t n;
    int rc;

    rc = vutil_doc_expect_mapping(doc, node, path, binding_fields, err);
    if (rc < 0) {
        return rc;
    }
    if (!vutil_doc_is_null(doc, cond)) {
        saved = vutil_path_push_key(path, "condition");
        rc = vutil_doc_fail(doc, cond, path, err, VOUCH_EINVAL,
                            "IAM conditions are not supported");
        vutil_path_pop(path, saved);
        return rc;
    }
    if (role == NULL) {
        return vutil_doc_fail(doc, node, path, err, VOUCH_EINVAL,
                              "role is required");
    }
    saved = vutil_path_push_key(path, "role");
    rc = vutil_doc_string_dup(doc, role, path, &b->role, err);
    if (rc == 0 && !vouch_iam_role_exists(b->role)) {
        rc = vutil_doc_fail(doc, role, path, err, VOUCH_EINVAL,
                            "%.80s is not a predefined role vouch knows "
                            "(docs/security.md lists them)", b->role);
    }
    vutil_path_pop(path, saved);
    if (rc < 0) {
        return rc;
    }
    saved = vutil_path_push_key(path, "members");
    rc = vutil_doc_expect_sequence(doc, members, path, err);
    n = rc == 0 && members != NULL && vutil_doc_is_sequence(doc, members)
            ? vutil_doc_count(doc, members)
            : 0;
    if (rc == 0 && n > 0 &&
        (b->members = calloc(n, sizeof(char *))) == NULL) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,
                             "out of memory reading an IAM policy");
    }
    while (rc == 0 && n > 0 &&
           (item = vutil_doc_next(doc, members, &iter)) != NULL) {
        size_t isaved = vutil_path_push_index(path, b->member_count);
        const char *s = NULL;
        size_t len = 0;
        char why[256];

        rc = vutil_doc_string(doc, item, path, &s, &len, err);
        if (rc == 0 && ++*total > VOUCH_IAM_POLICY_MAX_MEMBERS) {
            rc = vutil_doc_fail(doc, item, path, err, VOUCH_EINVAL,
                                "a policy holds at most %u members",
                                VOUCH_IAM_POLICY_MAX_MEMBERS);
        }
        if (rc == 0) {
            rc = vouch__member_parse(s, len, VOUCH_MEMBERS_ALL,
                                     &b->members[b->member_count], NULL, why,
                                     sizeof(why));
            if (rc == 0) {
                b->member_count++;
            } else if (rc == VOUCH_ENOMEM) {
                rc = vutil_error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,
                                     "out of memory reading an IAM policy");
            } else {
                rc = vutil_doc_fail(doc, item, path, err, VOUCH_EINVAL,
                                    "%s", why);
            }
        }
        vutil_path_pop(path, isaved);
    }
    vutil_path_pop(path, saved);
    return rc;
}

static int parse_header_fields(const vutil_doc *doc, vutil_node *node,
                               vutil_path *path, char **etag,
                               vouch_error *err)
{
    vutil_node *version = vutil_doc_get(doc, node, "version");
    vutil_node *audit = vutil_doc_get(doc, node, "auditConfigs");
    vutil_node *tag = vutil_doc_get(doc, node, "etag");
    unsigned long long v = 0;
    size_t saved;
    int rc = 0;

    if (version != NULL) {
        saved = vutil_path_push_key(path, "version");
        rc = vutil_doc_uint(doc, version, path, 3, &v, err);
        if (rc == 0 && v == 2) {
            rc = vutil_doc_fail(doc, version, path, err, VOUCH_EINVAL,
                                "expected 1 or 3");
        }
        vutil_path_pop(path, saved);
    }
    if (rc == 0 && audit != NULL) {
        saved = vutil_path_push_key(path, "auditConfigs");
        rc = vutil_doc_expect_sequence(doc, audit, path, err);
        if (rc == 0 && vutil_doc_is_sequence(doc, audit) &&
            vutil_doc_count(doc, audit) > 0) {
            rc = vutil_doc_fail(doc, audit, path, err, VOUCH_EINVAL,
                                "audit configs are not supported");
        }
        vutil_path_pop(path, saved);
    }
    if (rc == 0 && tag != NULL) {
        saved = vutil_path_push_key(path, "etag");
        rc = vutil_doc_string_dup(doc, tag, path, etag, err);
        if (rc == 0 && strlen(*etag) > ETAG_MAX_BYTES) {
            rc = vutil_doc_fail(doc, tag, path, err, VOUCH_EINVAL,
                                "etag is longer than %u bytes",
                                ETAG_MAX_BYTES);
        }
        vutil_path_pop(path, saved);
    }
    return rc;
}

int vouch__iam_policy_from_node(const vutil_doc *doc, vutil_node *node,
                                vutil_path *path, vouch_iam_policy **out,
                                vouch_error *err)
{
    vutil_node *seq = vutil_doc_get(doc, node, "bindings");
    vouch__iam_binding *b = NULL;
    char *etag = NULL;
    vutil_node *item;
    vutil_iter iter = VUTIL_ITER_INIT;
    size_t total = 0;
    size_t n = 0;
    size_t saved;
    int rc;

    *out = NULL;
    rc = vutil_doc_expect_mapping(doc, node, path, policy_fields, err);
    if (rc == 0) {
        rc = parse_header_fields(doc, node, path, &etag, err);
    }
    saved = vutil_path_push_key(path, "bindings");
    if (rc == 0) {
        rc = vutil_doc_expect_sequence(doc, seq, path, err);
    }
    if (rc == 0 && seq != NULL && vutil_doc_is_sequence(doc, seq) &&
        vutil_doc_count(doc, seq) > 0) {
        b = calloc(vutil_doc_count(doc, seq), sizeof(*b));
        if (b == NULL) {
            rc = vutil_error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,
                                 "out of memory reading an IAM policy");
        }
        while (rc == 0 &&
               (item = vutil_doc_next(doc, seq, &iter)) != NULL) {
            size_t isaved = vutil_path_push_index(path, n);

            rc = parse_binding(doc, item, path, &b[n], &total, err);
            n++;
            vutil_path_pop(path, isaved);
        }
    }
    vutil_path_pop(path, saved);
    if (rc < 0) {
        vouch__iam_bindings_free(b, n);
        free(etag);
        return rc;
    }
    rc = vouch__iam_policy_build(out, b, n, err);
    if (rc == 0) {
        (*out)->request_etag = etag;
    } else {
        free(etag);
    }
    return rc;
}

int vouch_iam_policy_parse(vouch_iam_policy **out, const char *data,
                           size_t len, const char *source, vouch_error *err)
{
    vutil_doc doc;
    vutil_path path = VUTIL_PATH_INIT;
    vutil_node *root;
    int rc;

    *out = NULL;
    rc = vutil_doc_load(&doc, data, len, VOUCH_FORMAT_JSON,
                        VOUCH_IAM_POLICY_MAX_BYTES, source, err);
    if (rc < 0) {
        return rc;
    }
    root = vutil_doc_root(&doc);
    if (root == NULL || !vutil_doc_is_mapping(&doc, root)) {
        rc = vutil_doc_fail(&doc, root, &path, err, VOUCH_EINVAL,
                            "expected an IAM policy object");
    } else {
        rc = vouch__iam_policy_from_node(&doc, root, &path, out, err);
    }
    vutil_doc_close(&doc);
    return rc;
}

int vouch_iam_policy_new(vouch_iam_policy **out, vouch_error *err)
{
    return vouch__iam_policy_build(out, NULL, 0, err);
}

void vouch_iam_policy_free(vouch_iam_policy *policy)
{
    if (policy == NULL) {
        return;
    }
    vouch__iam_bindings_free(policy->bindings, policy->binding_count);
    free(policy->etag);
    free(policy->request_etag);
    free(policy);
}

/* ---- accessors and printing ------------------------------------------ */

VUTIL_GETTER(const char *, vouch_iam_policy_etag, vouch_iam_policy, etag)
VUTIL_GETTER(const char *, vouch_iam_policy_request_etag, vouch_iam_policy,
             request_etag)
VUTIL_GETTER(size_t, vouch_iam_policy_binding_count, vouch_iam_policy,
             binding_count)

const char *vouch_iam_policy_binding_role(const vouch_iam_policy *policy,
                                          size_t index)
{
    return index < policy->binding_count ? policy->bindings[index].role
                                         : NULL;
}

size_t vouch_iam_policy_member_count(const vouch_iam_policy *policy,
                                     size_t index)
{
    return index < policy->binding_count
               ? policy->bindings[index].member_count
               : 0;
}

const char *vouch_iam_policy_member(const vouch_iam_policy *policy,
                                    size_t index, size_t member)
{
    if (index >= policy->binding_count ||
        member >= policy->bindings[index].member_count) {
        return NULL;
    }
    return policy->bindings[index].members[member];
}

json_t *vouch_iam_policy_to_json(const vouch_iam_policy *policy)
{
    json_t *root = json_object();
    json_t *bindings = json_array();
    size_t i;
    size_t j;
    bool ok = root != NULL && bindings != NULL;

    for (i = 0; ok && i < policy->binding_count; i++) {
        json_t *b = json_object();
        json_t *members = json_array();

        ok = b != NULL && members != NULL &&
             json_object_set_new(b, "role",
                                 json_string(policy->bindings[i].role)) == 0;
        for (j = 0; ok && j < policy->bindings[i].member_count; j++) {
            ok = json_array_append_new(
                     members,
                     json_string(policy->bindings[i].members[j])) == 0;
        }
        ok = ok && json_object_set(b, "members", members) == 0 &&
             json_array_append(bindings, b) == 0;
        json_decref(members);
        json_decref(b);
    }
    ok = ok && json_object_set_new(root, "version", json_integer(1)) == 0 &&
         json_object_set_new(root, "etag", json_string(policy->etag)) == 0 &&
         (policy->binding_count == 0 ||
          json_object_set(root, "bindings", bindings) == 0);
    json_decref(bindings);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

int vouch_iam_policy_print(const vouch_iam_policy *policy, char **out,
                           size_t *out_len, vouch_error *err)
{
    json_t *root = vouch_iam_policy_to_json(policy);
    int rc;

    if (root == NULL) {
        *out = NULL;
        return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                               "out of memory printing the IAM policy");
    }
    rc = vutil_json_print(root, out, out_len, err);
    json_decref(root);
    return rc;
}
