/*
 * Image references: the OCI distribution reference grammar
 * (github.com/distribution/reference), with vouch's normalisation rule
 * (image_ref.h). One scanner, vouch__image_ref_scan(), serves both whole
 * references and the literal part of exempt patterns (pattern.c).
 *
 *   reference  := [scheme "://"] [host "/"] path [":" tag] ["@" digest]
 *   host       := label ("." label)* [":" port] | "[" ipv6 "]" [":" port]
 *   label      := [A-Za-z0-9] | [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]
 *   path       := component ("/" component)*
 *   component  := [a-z0-9]+ (separator [a-z0-9]+)*
 *   separator  := "." | "_" | "__" | "-"+
 *   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest     := "sha256:" 64 lower-hex | "sha512:" 128 lower-hex
 *
 * The normalised name ("registry/path") is at most 255 bytes.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/image_ref.h"
#include "image_ref_internal.h"

struct vouch_image_ref {
    const char *string;
    const char *name;
    const char *registry;
    const char *path;
    const char *tag;
    const char *digest;
    size_t name_len;
    char buf[];
};

static const char docker_hub[] = "docker.io";
static const char library_prefix[] = "library/";

#define TAG_MAX 128u

/*
 * Character classes of the grammar, one table lookup per byte (the scanner
 * is on the path of every decision). Bytes from 0x80 are in no class.
 */
enum {
    CL_LOWER = 0x01,        /* a-z */
    CL_UPPER = 0x02,        /* A-Z */
    CL_DIGIT = 0x04,        /* 0-9 */
    CL_LHEX = 0x08,         /* lower-case hex: 0-9 a-f */
    CL_SEP = 0x10,          /* separator: . _ - */
    CL_END = 0x20,          /* ends the first component: / @ */
    CL_HYPHEN = 0x40,       /* - */
    CL_HOST = 0x80          /* makes a first component a host: . : */
};

#define L CL_LOWER
#define U CL_UPPER
#define D CL_DIGIT
#define X CL_LHEX
#define S CL_SEP
#define E CL_END
#define H CL_HYPHEN
#define M CL_HOST

static const unsigned char char_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, S|H, S|M, E,
    D|X, D|X, D|X, D|X, D|X, D|X, D|X, D|X,
    D|X, D|X, M, 0, 0, 0, 0, 0,
    E, U, U, U, U, U, U, U,
    U, U, U, U, U, U, U, U,
    U, U, U, U, U, U, U, U,
    U, U, U, 0, 0, 0, 0, S,
    0, L|X, L|X, L|X, L|X, L|X, L|X, L,
    L, L, L, L, L, L, L, L,
    L, L, L, L, L, L, L, L,
    L, L, L, 0, 0, 0, 0, 0,
    /* 0x80-0xff: no class */
};

#undef L
#undef U
#undef D
#undef X
#undef S
#undef E
#undef H
#undef M

static bool in_class(char c, unsigned mask)
{
    return (char_class[(unsigned char)c] & mask) != 0;
}

static bool is_digit(char c)
{
    return in_class(c, CL_DIGIT);
}

static bool is_upper(char c)
{
    return in_class(c, CL_UPPER);
}

static bool is_lower_alnum(char c)
{
    return in_class(c, CL_LOWER | CL_DIGIT);
}

static bool is_alnum(char c)
{
    return in_class(c, CL_LOWER | CL_UPPER | CL_DIGIT);
}

static bool is_word(char c)
{
    return is_alnum(c) || c == '_';
}

static bool is_hex(char c)
{
    return in_class(c, CL_LHEX) || (c >= 'A' && c <= 'F');
}

static bool is_lower_hex(char c)
{
    return in_class(c, CL_LHEX);
}

/* Are all `n` bytes lower-case hex? */
static bool all_lower_hex(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned a = CL_LHEX;
    unsigned b = CL_LHEX;
    size_t i = 0;

    /* Two chains of lookups, four bytes a step: the digest is 64 or 128
     * bytes, always a multiple of four. */
    for (; i + 4 <= n; i += 4) {
        a &= char_class[u[i]] & char_class[u[i + 1]];
        b &= char_class[u[i + 2]] & char_class[u[i + 3]];
    }
    for (; i < n; i++) {
        a &= char_class[u[i]];
    }
    return (a & b) != 0;
}

static bool is_separator(char c)
{
    return in_class(c, CL_SEP);
}

static char to_lower(char c)
{
    return is_upper(c) ? (char)(c - 'A' + 'a') : c;
}

/* A byte as it should appear in a message: 'x', "a space", "byte 0x0a". */
static void describe(const char *data, size_t len, size_t pos, char *out,
                     size_t size)
{
    unsigned char u;

    if (pos >= len) {
        snprintf(out, size, "the end of the reference");
        return;
    }
    u = (unsigned char)data[pos];
    if (u == ' ') {
        snprintf(out, size, "a space");
    } else if (u > 0x20 && u < 0x7f) {
        snprintf(out, size, "'%c'", (char)u);
    } else {
        snprintf(out, size, "byte 0x%02x", (unsigned)u);
    }
}

/* Shared with pattern.c, whose messages point into a pattern the same
 * way. */
int vouch__position_fail(vouch_error *err, vouch_code code, size_t pos,
                         const char *fmt, ...)
{
    char text[224];
    va_list ap;
    int column = pos >= (size_t)INT_MAX ? INT_MAX : (int)pos + 1;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return vouch__error_set(err, code, NULL, 0, column, "position %d: %s",
                            column, text);
}

/* Every failure of the reference scanner is a parse error. */
#define fail(err, pos, ...) \
    vouch__position_fail((err), VOUCH_EPARSE, (pos), __VA_ARGS__)

size_t vouch__image_ref_scheme_len(const char *data, size_t len)
{
    static const char *const schemes[] = { "https://", "http://" };
    size_t s;
    size_t i;

    for (s = 0; s < sizeof(schemes) / sizeof(schemes[0]); s++) {
        size_t n = strlen(schemes[s]);

        if (len < n) {
            continue;
        }
        for (i = 0; i < n; i++) {
            if (to_lower(data[i]) != schemes[s][i]) {
                break;
            }
        }
        if (i == n) {
            return n;
        }
    }
    return 0;
}

/* Does the first component [b, e) name a registry host? `marked`: it
 * holds a '.' or a ':'. */
static bool names_host(const char *data, size_t b, size_t e, bool marked)
{
    static const char localhost[] = "localhost";
    size_t i;

    if (marked || (e > b && data[b] == '[')) {
        return true;
    }
    if (e - b != sizeof(localhost) - 1) {
        return false;
    }
    for (i = b; i < e; i++) {
        if (to_lower(data[i]) != localhost[i - b]) {
            return false;
        }
    }
    return true;
}

/* Check the registry host [b, e) of `data`. */
static int scan_host(const char *data, size_t b, size_t e, vouch_error *err)
{
    char what[32];
    size_t j = b;

    if (data[j] == '[') {
        size_t hs = ++j;

        while (j < e && (is_hex(data[j]) || data[j] == ':')) {
            j++;
        }
        if (j == hs) {
            return fail(err, j, "expected an IPv6 address inside '[' ']'");
        }
        if (j == e || data[j] != ']') {
            describe(data, e, j, what, sizeof(what));
            return fail(err, j, "expected ']' to close the IPv6 address, "
                        "found %s", what);
        }
        j++;
    } else {
        for (;;) {
            size_t ls = j;

            while (j < e && in_class(data[j], CL_LOWER | CL_UPPER |
                                                  CL_DIGIT | CL_HYPHEN)) {
                j++;
            }
            if (j == ls) {
                if (j < e && data[j] != '.' && data[j] != ':') {
                    describe(data, e, j, what, sizeof(what));
                    return fail(err, j, "unexpected %s in registry host "
                                "(allowed: letters, digits, '-', '.' and "
                                "':port')", what);
                }
                return fail(err, j, "empty label in registry host "
                            "(expected a letter or digit)");
            }
            if (data[ls] == '-') {
                return fail(err, ls, "a registry host label may not "
                            "start with '-'");
            }
            if (data[j - 1] == '-') {
                return fail(err, j - 1, "a registry host label may not "
                            "end with '-'");
            }
            if (j < e && data[j] == '.') {
                j++;
                continue;
            }
            break;
        }
    }
    if (j < e && data[j] == ':') {
        size_t ps = ++j;

        while (j < e && is_digit(data[j])) {
            j++;
        }
        if (j == ps || j != e) {
            return fail(err, j, "the port of a registry host must be "
                        "decimal digits");
        }
    }
    if (j != e) {
        describe(data, e, j, what, sizeof(what));
        return fail(err, j, "unexpected %s in registry host (allowed: "
                    "letters, digits, '-', '.' and ':port')", what);
    }
    return 0;
}

static int path_char_error(const char *data, size_t len, size_t i,
                           vouch_error *err)
{
    char what[32];

    if (i < len && is_upper(data[i])) {
        return fail(err, i, "upper-case letters are not allowed in a "
                    "repository path");
    }
    describe(data, len, i, what, sizeof(what));
    return fail(err, i, "unexpected %s in repository path (allowed: a-z, "
                "0-9, '.', '_', '-' and '/')", what);
}

/*
 * Scan path components from `*pos`; on return `*pos` is just after the
 * path. `prefix`: the input may end in an empty component or inside a
 * separator.
 */
static int scan_path(const char *data, size_t len, bool prefix, size_t *pos,
                     vouch_error *err)
{
    size_t i = *pos;

    for (;;) {
        if (i == len && prefix) {
            break;
        }
        if (i == len || data[i] == '/' || data[i] == ':' ||
            data[i] == '@') {
            return fail(err, i, "empty path component (expected a "
                        "lower-case letter or digit)");
        }
        if (!is_lower_alnum(data[i])) {
            if (is_separator(data[i])) {
                return fail(err, i, "a path component must start with a "
                            "lower-case letter or digit");
            }
            return path_char_error(data, len, i, err);
        }
        for (;;) {
            while (i < len && is_lower_alnum(data[i])) {
                i++;
            }
            if (i == len || !is_separator(data[i])) {
                break;
            }
            if (data[i] == '.') {
                i++;
            } else if (data[i] == '_') {
                i++;
                if (i < len && data[i] == '_') {
                    i++;
                }
            } else {
                while (i < len && data[i] == '-') {
                    i++;
                }
            }
            if (i == len && prefix) {
                *pos = i;
                return 0;
            }
            if (i == len || !is_lower_alnum(data[i])) {
                if (i < len && is_upper(data[i])) {
                    return path_char_error(data, len, i, err);
                }
                return fail(err, i, "a separator ('.', '_', '__' or '-') "
                            "must be followed by a lower-case letter or "
                            "digit");
            }
        }
        if (i < len && data[i] == '/') {
            i++;
            continue;
        }
        break;
    }
    *pos = i;
    return 0;
}

static int scan_tag(const char *data, size_t len, size_t *pos,
                    vouch_error *err)
{
    char what[32];
    size_t i = *pos;
    size_t ts = i;

    if (i == len || data[i] == '@') {
        return fail(err, i, "empty tag after ':' (expected a letter, digit "
                    "or '_')");
    }
    if (!is_word(data[i])) {
        describe(data, len, i, what, sizeof(what));
        return fail(err, i, "a tag must start with a letter, digit or '_', "
                    "not %s", what);
    }
    while (i < len && (is_word(data[i]) || data[i] == '.' ||
                       data[i] == '-')) {
        i++;
    }
    if (i - ts > TAG_MAX) {
        return fail(err, ts + TAG_MAX, "a tag may be at most %u characters",
                    TAG_MAX);
    }
    if (i < len && data[i] != '@') {
        describe(data, len, i, what, sizeof(what));
        return fail(err, i, "unexpected %s in tag (allowed: letters, "
                    "digits, '_', '.' and '-')", what);
    }
    *pos = i;
    return 0;
}

static int scan_digest(const char *data, size_t len, size_t *pos,
                       vouch_error *err)
{
    size_t i = *pos;
    size_t ds = i;
    size_t hex_len;
    size_t hs;
    size_t end;
    const char *alg;

    while (i < len && data[i] != ':') {
        i++;
    }
    if (i - ds == 6 && memcmp(data + ds, "sha256", 6) == 0) {
        alg = "sha256";
        hex_len = 64;
    } else if (i - ds == 6 && memcmp(data + ds, "sha512", 6) == 0) {
        alg = "sha512";
        hex_len = 128;
    } else if (i == len) {
        return fail(err, ds, "digest must be sha256: followed by 64 "
                    "lower-case hex digits");
    } else {
        int shown = i - ds > 32 ? 32 : (int)(i - ds);
        char safe[33];
        int k;

        for (k = 0; k < shown; k++) {
            unsigned char u = (unsigned char)data[ds + (size_t)k];

            safe[k] = (u > 0x20 && u < 0x7f) ? (char)u : '?';
        }
        safe[shown] = '\0';
        return fail(err, ds, "unsupported digest algorithm '%s' (expected "
                    "sha256 or sha512, in lower case)", safe);
    }
    if (i == len) {
        return fail(err, i, "digest must be %s: followed by %zu lower-case "
                    "hex digits", alg, hex_len);
    }
    i++;
    hs = i;
    if (len - hs == hex_len && all_lower_hex(data + hs, hex_len)) {
        *pos = len;
        return 0;   /* the common case, without a branch per digit */
    }
    end = len - hs < hex_len ? len : hs + hex_len;
    while (i < end && is_lower_hex(data[i])) {
        i++;
    }
    if (i < len && i - hs < hex_len && is_upper(data[i]) &&
        is_hex(data[i])) {
        return fail(err, i, "digest must be %s: followed by %zu lower-case "
                    "hex digits (upper-case hex is not allowed)", alg,
                    hex_len);
    }
    if (i - hs != hex_len || i != len) {
        return fail(err, i, "digest must be %s: followed by %zu lower-case "
                    "hex digits", alg, hex_len);
    }
    *pos = i;
    return 0;
}

/*
 * The optional part that follows `sep` (':' a tag, '@' a digest) when
 * data[*pos] is `sep`: `scan` reads it, `*part` and `*part_len` say where
 * it is, and `*pos` moves past it.
 */
static int scan_part(const char *data, size_t len, size_t *pos, char sep,
                     int (*scan)(const char *, size_t, size_t *,
                                 vouch_error *),
                     const char **part, size_t *part_len, vouch_error *err)
{
    size_t i = *pos;
    int rc;

    if (i == len || data[i] != sep) {
        return 0;
    }
    i++;
    *part = data + i;
    rc = scan(data, len, &i, err);
    if (rc < 0) {
        return rc;
    }
    *part_len = (size_t)(data + i - *part);
    *pos = i;
    return 0;
}

static bool host_is_docker_hub(const char *host, size_t len)
{
    static const char *const names[] = {"docker.io", "index.docker.io"};
    size_t k;
    size_t j;

    for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        if (strlen(names[k]) != len) {
            continue;
        }
        for (j = 0; j < len && to_lower(host[j]) == names[k][j]; j++) {
        }
        if (j == len) {
            return true;
        }
    }
    return false;
}

int vouch__image_ref_scan(const char *data, size_t len, unsigned flags,
                          vouch__ref_parts *out, vouch_error *err)
{
    bool prefix = (flags & VOUCH__REF_PREFIX) != 0;
    size_t start = vouch__image_ref_scheme_len(data, len);
    size_t i = start;
    size_t first_end;
    unsigned seen = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if (i == len) {
        return fail(err, i, "empty image reference (expected "
                    "[registry/]path[:tag][@digest])");
    }
    first_end = i;
    while (first_end < len) {
        unsigned c = char_class[(unsigned char)data[first_end]];

        if ((c & CL_END) != 0) {
            break;
        }
        seen |= c;
        first_end++;
    }
    if (first_end > i && first_end + 1 < len && data[first_end] == '/' &&
        data[first_end - 1] == ':' && data[first_end + 1] == '/') {
        return fail(err, i, "only an https:// or http:// scheme may come "
                    "before the registry");
    }
    if (prefix && (first_end == len || data[first_end] != '/')) {
        return fail(err, first_end, "expected '/' after the registry part");
    }
    if (first_end < len && data[first_end] == '/' &&
        names_host(data, i, first_end, (seen & CL_HOST) != 0)) {
        rc = scan_host(data, i, first_end, err);
        if (rc < 0) {
            return rc;
        }
        out->host = data + i;
        out->host_len = first_end - i;
        out->host_upper = (seen & CL_UPPER) != 0;
        /* Docker Hub by any of its names is Docker Hub: "docker.io/nginx"
         * and "index.docker.io/library/nginx" both mean "nginx". */
        if (host_is_docker_hub(out->host, out->host_len)) {
            out->host = NULL;
            out->host_len = 0;
        }
        i = first_end + 1;
    }

    out->path = data + i;
    rc = scan_path(data, len, prefix, &i, err);
    if (rc < 0) {
        return rc;
    }
    out->path_len = (size_t)(data + i - out->path);
    out->library = out->host == NULL &&
                   memchr(out->path, '/', out->path_len) == NULL;
    out->name_len = (out->host != NULL ? out->host_len
                                       : sizeof(docker_hub) - 1) +
                    1 + (out->library ? sizeof(library_prefix) - 1 : 0) +
                    out->path_len;
    if (out->name_len > VOUCH__IMAGE_NAME_MAX) {
        return fail(err, start, "the image name is %zu bytes long once "
                    "normalised, more than the %u allowed",
                    out->name_len, VOUCH__IMAGE_NAME_MAX);
    }

    if (i < len && (data[i] == ':' || data[i] == '@') && prefix) {
        return fail(err, i, "a wildcard pattern may not carry a tag or "
                    "digest (the wildcard already covers every tag and "
                    "digest of the names it matches)");
    }
    rc = scan_part(data, len, &i, ':', scan_tag, &out->tag, &out->tag_len,
                   err);
    if (rc == 0) {
        rc = scan_part(data, len, &i, '@', scan_digest, &out->digest,
                       &out->digest_len, err);
    }
    if (rc < 0) {
        return rc;
    }
    if (i < len) {
        return path_char_error(data, len, i, err);
    }
    return 0;
}

size_t vouch__image_ref_write_name(const vouch__ref_parts *parts, char *buf)
{
    size_t n = 0;
    size_t reg_len;
    size_t k;

    if (parts->host != NULL && parts->host_upper) {
        for (k = 0; k < parts->host_len; k++) {
            buf[n++] = to_lower(parts->host[k]);
        }
    } else if (parts->host != NULL) {
        memcpy(buf, parts->host, parts->host_len);
        n = parts->host_len;
    } else {
        memcpy(buf, docker_hub, sizeof(docker_hub) - 1);
        n = sizeof(docker_hub) - 1;
    }
    reg_len = n;
    buf[n++] = '/';
    if (parts->library) {
        memcpy(buf + n, library_prefix, sizeof(library_prefix) - 1);
        n += sizeof(library_prefix) - 1;
    }
    if (parts->path_len > 0) {
        memcpy(buf + n, parts->path, parts->path_len);
        n += parts->path_len;
    }
    buf[n] = '\0';
    return reg_len;
}

size_t vouch__image_ref_string_len(const vouch__ref_parts *parts)
{
    return parts->name_len + (parts->tag != NULL ? 1 + parts->tag_len : 0) +
           (parts->digest != NULL ? 1 + parts->digest_len : 0);
}

void vouch__image_ref_write_string(const vouch__ref_parts *parts, char *buf)
{
    size_t n = parts->name_len;

    vouch__image_ref_write_name(parts, buf);
    if (parts->tag != NULL) {
        buf[n++] = ':';
        memcpy(buf + n, parts->tag, parts->tag_len);
        n += parts->tag_len;
    }
    if (parts->digest != NULL) {
        buf[n++] = '@';
        memcpy(buf + n, parts->digest, parts->digest_len);
        n += parts->digest_len;
    }
    buf[n] = '\0';
}

int vouch__image_ref_scan_checked(const char *data, size_t len,
                                  vouch__ref_parts *out, vouch_error *err)
{
    if (len > VOUCH_IMAGE_REF_MAX_BYTES) {
        return vouch__error_set(err, VOUCH_ETOOBIG, NULL, 0,
                                (int)VOUCH_IMAGE_REF_MAX_BYTES + 1,
                                "position %u: an image reference may be at "
                                "most %u bytes long",
                                VOUCH_IMAGE_REF_MAX_BYTES + 1,
                                VOUCH_IMAGE_REF_MAX_BYTES);
    }
    if (data == NULL) {
        len = 0;
        data = "";
    }
    return vouch__image_ref_scan(data, len, 0, out, err);
}

/* Copy `n` bytes of `s` to `*p` with a NUL, move `*p` past them, and
 * return the copy. */
static const char *buf_copy(char **p, const char *s, size_t n)
{
    char *copy = *p;

    memcpy(copy, s, n);
    copy[n] = '\0';
    *p += n + 1;
    return copy;
}

VOUCH_API int vouch_image_ref_parse(vouch_image_ref **out, const char *data,
                                    size_t len, vouch_error *err)
{
    vouch__ref_parts parts;
    int rc;

    *out = NULL;
    rc = vouch__image_ref_scan_checked(data, len, &parts, err);
    if (rc < 0) {
        return rc;
    }

    /* All lengths are bounded by VOUCH_IMAGE_REF_MAX_BYTES + 64. */
    size_t string_len = vouch__image_ref_string_len(&parts);
    size_t total = (string_len + 1) + (parts.name_len + 1) +
                   (parts.name_len + 1) + (parts.tag_len + 1) +
                   (parts.digest_len + 1);
    vouch_image_ref *ref = malloc(sizeof(*ref) + total);
    if (ref == NULL) {
        return vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                "out of memory parsing an image reference");
    }
    char *p = ref->buf;

    /* name */
    size_t reg_len = vouch__image_ref_write_name(&parts, p);
    ref->name = p;
    ref->name_len = parts.name_len;
    ref->path = p + reg_len + 1;
    p += parts.name_len + 1;

    ref->registry = buf_copy(&p, ref->name, reg_len);
    ref->tag = parts.tag != NULL ? buf_copy(&p, parts.tag, parts.tag_len)
                                 : NULL;
    ref->digest = parts.digest != NULL
                      ? buf_copy(&p, parts.digest, parts.digest_len)
                      : NULL;

    /* the whole */
    ref->string = p;
    vouch__image_ref_write_string(&parts, p);

    *out = ref;
    return 0;
}

VOUCH_API void vouch_image_ref_free(vouch_image_ref *ref)
{
    free(ref);
}

VOUCH__GETTER(const char *, image_ref, name)
VOUCH__GETTER(const char *, image_ref, registry)
VOUCH__GETTER(const char *, image_ref, path)
VOUCH__GETTER(const char *, image_ref, tag)
VOUCH__GETTER(const char *, image_ref, digest)
VOUCH__GETTER(const char *, image_ref, string)
VOUCH__GETTER(size_t, image_ref, name_len)
