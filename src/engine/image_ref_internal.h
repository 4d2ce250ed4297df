/*
 * Library-internal: the one scanner of image references, shared by
 * image_ref.c (whole references) and pattern.c (the literal part of exempt
 * patterns), so that both normalise by exactly the same rule.
 */
#ifndef VOUCH_IMAGE_REF_INTERNAL_H
#define VOUCH_IMAGE_REF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"

/* Longest normalised name ("registry/path"), as in the distribution spec. */
#define VOUCH__IMAGE_NAME_MAX 255u

/*
 * Scan flags. VOUCH__REF_PREFIX: the input is the literal part of a
 * wildcard pattern, i.e. a prefix of a name: it must contain a '/', it may
 * end in an empty path component or in the middle of a separator, and it
 * may carry neither tag nor digest.
 */
#define VOUCH__REF_PREFIX 1u

/* The pieces of a scanned reference; every pointer points into the input. */
typedef struct vouch__ref_parts {
    const char *host;      /* as written; NULL: Docker Hub ("docker.io") */
    size_t host_len;
    bool host_upper;       /* the host has upper-case letters */
    const char *path;      /* as written, without "library/" */
    size_t path_len;
    bool library;          /* normalisation adds "library/" to the path */
    const char *tag;       /* NULL when there is no tag */
    size_t tag_len;
    const char *digest;    /* "sha256:<hex>"; NULL when there is none */
    size_t digest_len;
    size_t name_len;       /* length of the normalised "registry/path" */
} vouch__ref_parts;

/*
 * Fail with `code` at 0-based byte `pos` of a reference or pattern: the
 * message is "position N: TEXT" and the error's column is N (pos + 1).
 * Returns `code`.
 */
int vouch__position_fail(vouch_error *err, vouch_code code, size_t pos,
                         const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Length of a leading "https://" or "http://" (any case), else 0. */
size_t vouch__image_ref_scheme_len(const char *data, size_t len);

/*
 * Scan `len` bytes of `data` (scheme included) by the reference grammar of
 * image_ref.h. Does not check VOUCH_IMAGE_REF_MAX_BYTES (callers do).
 * Returns 0, or VOUCH_EPARSE with err->column the 1-based position in
 * `data` and a message "position N: ...".
 */
int vouch__image_ref_scan(const char *data, size_t len, unsigned flags,
                          vouch__ref_parts *out, vouch_error *err);

/*
 * vouch_image_ref_parse() without building the reference: checks
 * VOUCH_IMAGE_REF_MAX_BYTES (VOUCH_ETOOBIG), takes NULL as "", and scans.
 * The same errors, word for word.
 */
int vouch__image_ref_scan_checked(const char *data, size_t len,
                                  vouch__ref_parts *out, vouch_error *err);

/*
 * Write the normalised name (registry lower-cased, Docker Hub default) of
 * `parts` into `buf`, which holds at least parts->name_len + 1 bytes; the
 * result is NUL-terminated. Returns the length of the registry part.
 */
size_t vouch__image_ref_write_name(const vouch__ref_parts *parts, char *buf);

/* Length of the normalised whole, "name[:tag][@digest]". */
size_t vouch__image_ref_string_len(const vouch__ref_parts *parts);

/*
 * Write the normalised whole into `buf`, which holds at least
 * vouch__image_ref_string_len(parts) + 1 bytes; NUL-terminated. It starts
 * with the name, so the name is its first parts->name_len bytes and the
 * digest (when there is one) its last parts->digest_len.
 */
void vouch__image_ref_write_string(const vouch__ref_parts *parts, char *buf);

#endif /* VOUCH_IMAGE_REF_INTERNAL_H */
