/*
 * vouch auth — IAM member forms (docs/security.md, "Members"): the one
 * place that decides what "user:alice@example.com", "group:…",
 * "serviceAccount:…", "principal://HOST/subject/SUB", "allUsers" and
 * "allAuthenticatedUsers" may look like, and how they are normalised
 * (e-mail addresses and hosts in lower case), so that the auth config, IAM
 * policies and authenticated identities always compare byte for byte.
 *
 * Thread safety: every function here is reentrant.
 */
#ifndef VOUCH_AUTH_MEMBER_H
#define VOUCH_AUTH_MEMBER_H

#include <stdbool.h>
#include <stddef.h>

#include "vouch/common.h"

/* Longest member accepted anywhere (a principal:// subject may be long). */
#define VOUCH_MEMBER_MAX_BYTES 1024u
/* Longest e-mail address (RFC 5321 path limit). */
#define VOUCH_EMAIL_MAX_BYTES 254u

typedef enum vouch_member_kind {
    VOUCH_MEMBER_USER = 1,              /* user:EMAIL */
    VOUCH_MEMBER_SERVICE_ACCOUNT = 2,   /* serviceAccount:EMAIL */
    VOUCH_MEMBER_GROUP = 3,             /* group:EMAIL */
    VOUCH_MEMBER_PRINCIPAL = 4,         /* principal://HOST/subject/SUB */
    VOUCH_MEMBER_ALL_USERS = 5,         /* allUsers */
    VOUCH_MEMBER_ALL_AUTHENTICATED = 6  /* allAuthenticatedUsers */
} vouch_member_kind;

/* Bit masks of kinds, for the `allowed` argument below. */
#define VOUCH_MEMBER_BIT(kind) (1u << (unsigned)(kind))
#define VOUCH_MEMBERS_IDENTITIES                                          \
    (VOUCH_MEMBER_BIT(VOUCH_MEMBER_USER) |                                \
     VOUCH_MEMBER_BIT(VOUCH_MEMBER_SERVICE_ACCOUNT) |                     \
     VOUCH_MEMBER_BIT(VOUCH_MEMBER_PRINCIPAL))
#define VOUCH_MEMBERS_ALL                                                 \
    (VOUCH_MEMBERS_IDENTITIES | VOUCH_MEMBER_BIT(VOUCH_MEMBER_GROUP) |    \
     VOUCH_MEMBER_BIT(VOUCH_MEMBER_ALL_USERS) |                           \
     VOUCH_MEMBER_BIT(VOUCH_MEMBER_ALL_AUTHENTICATED))

/*
 * Check that the `len` bytes of `s` are a member of one of the kinds in
 * `allowed` (a mask of VOUCH_MEMBER_BIT()), and return its normalised form
 * (malloc'd, caller frees) in `*out` and its kind in `*kind` (may be NULL).
 * On failure returns VOUCH_EINVAL (or VOUCH_ENOMEM) and writes a reason
 * meant to follow a field path ("expected user:EMAIL, …") into `why`.
 */
int vouch__member_parse(const char *s, size_t len, unsigned allowed,
                        char **out, vouch_member_kind *kind, char *why,
                        size_t why_size);

/*
 * Is the `len` bytes of `s` an e-mail address as members use them
 * (local@domain, printable ASCII, no spaces, quotes or brackets)?
 */
bool vouch__email_valid(const char *s, size_t len);

/* Is the `len` bytes of `s` a host name, with an optional ":port"? */
bool vouch__host_valid(const char *s, size_t len);

/*
 * The member form of an OIDC subject: "principal://HOST/subject/SUB" with
 * HOST in lower case. NULL when `sub` is empty, too long or has bytes
 * outside printable ASCII, or on allocation failure (`*oom` says which;
 * may be NULL).
 */
char *vouch__member_principal(const char *host, const char *sub,
                              size_t sub_len, bool *oom);

#endif /* VOUCH_AUTH_MEMBER_H */
