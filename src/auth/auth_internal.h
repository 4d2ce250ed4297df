/*
 * vouch auth — internals shared between the files of src/auth/: the
 * layout of a parsed auth config (read by the authenticator and the IAM
 * decision) and small file helpers. Nothing here is for callers outside
 * src/auth/.
 */
#ifndef VOUCH_AUTH_INTERNAL_H
#define VOUCH_AUTH_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authconfig.h"
#include "vutil_error.h"
#include "vutil_str.h"

#define VOUCH_SHA256_BYTES 32

typedef struct vouch__auth_token {
    char *principal;                      /* normalised member */
    unsigned char sha256[VOUCH_SHA256_BYTES];
} vouch__auth_token;

typedef struct vouch__auth_issuer {
    char *issuer;        /* compared byte for byte with a token's "iss" */
    char *audience;
    char *host;          /* lower-case host[:port] of `issuer` */
    char *jwks_url;      /* "file:///…" or "https://…" */
    char *ca_file;       /* absolute path, or NULL: the system's CAs */
    uint32_t jwks_line;  /* position of "jwks", for vouch_auth_config_load */
    uint32_t jwks_column;
} vouch__auth_issuer;

typedef struct vouch__auth_group {
    char *name;          /* "group:…" */
    char **members;      /* sorted, without duplicates */
    size_t member_count;
} vouch__auth_group;

struct vouch_auth_config {
    atomic_long refs;
    char *source;        /* as given to parse, or NULL */
    vouch__auth_token *tokens;
    size_t token_count;
    vouch__auth_issuer *issuers;
    size_t issuer_count;
    vouch__auth_group *groups;  /* sorted by name */
    size_t group_count;
    char **owners;       /* sorted, without duplicates */
    size_t owner_count;
};

/* The issuer named exactly `iss` (`len` bytes), or NULL. */
const vouch__auth_issuer *vouch__auth_config_issuer(
    const vouch_auth_config *cfg, const char *iss, size_t len);

/*
 * Read a whole file of at most `max` bytes into a malloc'd, NUL-terminated
 * buffer. Errors (source `path`): VOUCH_EIO (cannot open or read: the
 * message has strerror), VOUCH_ETOOBIG, VOUCH_ENOMEM.
 */
int vouch__auth_read_file(const char *path, size_t max, char **out,
                          size_t *out_len, vouch_error *err);

/* The VOUCH_ETOOBIG error of an input (`what`) over its size limit. */
static inline int vouch__auth_too_big(vouch_error *err, const char *source,
                                      const char *what, size_t len,
                                      unsigned limit)
{
    return vutil_error_set(err, VOUCH_ETOOBIG, source, 0, 0,
                           "%s is %zu bytes, over the limit of %u", what,
                           len, limit);
}

/* qsort/bsearch comparator of `char *` elements. */
int vouch__auth_strcmp_ptr(const void *a, const void *b);

/* Is `s` (NUL-terminated) in the sorted array `v` of `n` strings? */
bool vouch__auth_sorted_has(char *const *v, size_t n, const char *s);

/*
 * Sort the `*n` malloc'd strings of `v` and free duplicates, leaving `*n`
 * unique strings.
 */
void vouch__auth_sort_unique(char **v, size_t *n);

#endif /* VOUCH_AUTH_INTERNAL_H */
