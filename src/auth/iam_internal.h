/*
 * vouch auth — internal: the layout of an IAM policy, shared by the files
 * of the IAM model (iam_policy.c, iam_check.c, iam_set.c).
 */
#ifndef VOUCH_AUTH_IAM_INTERNAL_H
#define VOUCH_AUTH_IAM_INTERNAL_H

#include <stddef.h>

#include "vutil_doc.h"
#include "iam.h"

typedef struct vouch__iam_binding {
    char *role;
    char **members;       /* normalised, sorted, unique */
    size_t member_count;
} vouch__iam_binding;

struct vouch_iam_policy {
    vouch__iam_binding *bindings;  /* sorted by role, one per role */
    size_t binding_count;
    char *etag;                    /* of the content */
    char *request_etag;            /* as parsed, or NULL */
};

/*
 * Make a policy from `count` bindings, taking ownership of them and of
 * their strings even on failure (`bindings` itself too): sorts, merges
 * bindings of one role, sorts members and drops duplicates and empty
 * bindings, and computes the etag. 0 or VOUCH_ENOMEM.
 */
int vouch__iam_policy_build(vouch_iam_policy **out,
                            vouch__iam_binding *bindings, size_t count,
                            vouch_error *err);

/* A deep copy of the bindings of `p` (NULL: none), for _build. */
int vouch__iam_bindings_copy(const vouch_iam_policy *p,
                             vouch__iam_binding **out, size_t *count);

/* Free `count` bindings and the array. */
void vouch__iam_bindings_free(vouch__iam_binding *b, size_t count);

/* Parse the Policy at `node` of a loaded document (field paths under
 * `path`). */
int vouch__iam_policy_from_node(const vutil_doc *doc, vutil_node *node,
                                vutil_path *path, vouch_iam_policy **out,
                                vouch_error *err);

#endif /* VOUCH_AUTH_IAM_INTERNAL_H */
