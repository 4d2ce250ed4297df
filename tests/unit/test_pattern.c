/*
 * Unit tests for src/engine/pattern.c (include/vouch/pattern.h).
 *
 * Sections:
 *   validate       vouch_pattern_validate: accepted forms, every error
 *                  with its column and message, the byte limit
 *   set errors     vouch_pattern_set_new: "pattern N:" prefix, limits
 *   matching       vouch_pattern_set_match / _match_ref: *, **, exact,
 *                  normalisation, tags and digests, lowest index, anchoring
 *   scale          100,000 generated patterns against a naive reference
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vouch/image_ref.h"
#include "vouch/pattern.h"

#define HEX64 "0123456789abcdef0123456789abcdef" \
              "0123456789abcdef0123456789abcdef"
#define HEX64B "abababababababababababababababab" \
               "abababababababababababababababab"

static vouch_slice sl(const char *s)
{
    vouch_slice v = { s, strlen(s) };

    return v;
}

/* Build a set from a NULL-terminated list; fails the test on error. */
static vouch_pattern_set *set_of(const char *const *list)
{
    vouch_slice slices[64];
    vouch_pattern_set *set = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t n = 0;

    while (list[n] != NULL) {
        slices[n] = sl(list[n]);
        n++;
    }
    if (vouch_pattern_set_new(&set, slices, n, &err) != 0) {
        fail_msg("set rejected: %s", err.message);
    }
    assert_non_null(set);
    assert_int_equal(vouch_pattern_set_count(set), n);
    return set;
}

/* Match a whole image reference text against a set. */
static long match_image(const vouch_pattern_set *set, const char *image)
{
    vouch_image_ref *ref = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    long got;

    if (vouch_image_ref_parse(&ref, image, strlen(image), &err) != 0) {
        fail_msg("image '%s' rejected: %s", image, err.message);
    }
    got = vouch_pattern_set_match_ref(set, ref);
    vouch_image_ref_free(ref);
    return got;
}

/* --- validate ------------------------------------------------------------ */

static void test_pattern_validate_accepts_valid_forms(void **state)
{
    static const char *const ok[] = {
        "gcr.io/my-project/nginx",
        "gcr.io/my-project/nginx*",
        "gcr.io/my-project/nginx**",
        "gcr.io/**",
        "gcr.io/*",
        "us-central1-docker.pkg.dev/my-project/cloud-run-source-deploy/**",
        "https://gcr.io/p/*",
        "http://gcr.io/p/**",
        "GCR.IO/p/*",
        "localhost:5000/team/*",
        "[::1]:5000/team/**",
        "library/*",
        "nginx",
        "library/nginx",
        "gcr.io/p/app:1.0",
        "gcr.io/p/app@sha256:" HEX64,
        "gcr.io/p/app:1.0@sha256:" HEX64,
        "gcr.io/p/nginx-*",
        "gcr.io/p/nginx_*",
        "gcr.io/p/nginx__*",
        "gcr.io/p/nginx.*",
        "gcr.io/p/nginx---**",
        NULL,
    };
    size_t i;

    (void)state;
    for (i = 0; ok[i] != NULL; i++) {
        vouch_error err = VOUCH_ERROR_INIT;

        if (vouch_pattern_validate(ok[i], strlen(ok[i]), &err) != 0) {
            fail_msg("'%s' rejected: %s", ok[i], err.message);
        }
    }
}

typedef struct bad_case {
    const char *pattern;
    unsigned column;
    const char *message;
} bad_case;

static const bad_case bad_cases[] = {
    { "", 1, "empty pattern" },
    { "*", 1, "a wildcard may only follow the registry part, e.g. "
              "gcr.io/project/*" },
    { "**", 1, "may only follow the registry part" },
    { "gcr.io*", 7, "may only follow the registry part" },
    { "gcr*/x", 4, "may only follow the registry part" },
    { "nginx*", 6, "may only follow the registry part" },
    { "*/foo", 1, "may only follow the registry part" },
    { "https://*", 9, "may only follow the registry part" },
    { "gcr.io/n*x", 9, "'*' may only end a pattern" },
    { "gcr.io/*/nginx", 8, "'*' may only end a pattern" },
    { "gcr.io/my-project/ngi*nx*", 22, "'*' may only end a pattern" },
    { "gcr.io/p/a*:1", 11, "'*' may only end a pattern" },
    { "gcr.io/my-project/nginx***", 26, "'***' is not a wildcard" },
    { "gcr.io/p/app:*", 13, "a wildcard pattern may not carry a tag or "
                            "digest" },
    { "gcr.io/p/app@*", 13, "may not carry a tag or digest" },
    { "gcr.io/p/app:1.*", 13, "may not carry a tag or digest" },
    { "gcr.io/My-project/*", 8, "upper-case letters are not allowed in a "
                                "repository path" },
    { "gcr.io/My-project/app", 8, "upper-case letters are not allowed" },
    { "gcr.io/p q/*", 9, "unexpected a space" },
    { "gcr.io/p//*", 10, "empty path component" },
    { "gcr.io/p/nginx___*", 17, "separator" },
    { "gcr.io/p/-*", 10, "must start with a lower-case letter or digit" },
    { "gc_r.io/p/*", 3, "unexpected '_' in registry host" },
    { "gcr.io/p/app@sha256:abc", 24, "digest must be sha256: followed by 64 "
                                     "lower-case hex digits" },
    { "gcr.io/p/app@sha256:" "ABABABABABABABABABABABABABABABAB"
      "ABABABABABABABABABABABABABABABAB", 21, "upper-case hex" },
    { "gcr.io/p/app:", 14, "empty tag" },
    { "gcr.io/p/", 10, "empty path component" },
    { "ftp://gcr.io/p/*", 1, "only an https:// or http:// scheme" },
};

static void test_pattern_validate_rejects_with_column(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const bad_case *c = &bad_cases[i];
        vouch_error err = VOUCH_ERROR_INIT;
        char prefix[32];
        int rc = vouch_pattern_validate(c->pattern, strlen(c->pattern),
                                        &err);

        if (rc != VOUCH_EINVAL || err.code != VOUCH_EINVAL ||
            err.column != c->column ||
            strstr(err.message, c->message) == NULL) {
            fail_msg("'%s': rc %d column %u message '%s'; expected column "
                     "%u and '%s'", c->pattern, rc, err.column, err.message,
                     c->column, c->message);
        }
        snprintf(prefix, sizeof(prefix), "position %u: ", c->column);
        assert_memory_equal(err.message, prefix, strlen(prefix));
    }
}

static void test_pattern_validate_null_err_and_null_data(void **state)
{
    (void)state;
    assert_int_equal(vouch_pattern_validate("*", 1, NULL), VOUCH_EINVAL);
    assert_int_equal(vouch_pattern_validate(NULL, 0, NULL), VOUCH_EINVAL);
    assert_int_equal(vouch_pattern_validate("gcr.io/p/*", 10, NULL), 0);
}

static void test_pattern_validate_reads_only_len_bytes(void **state)
{
    static const char text[] = "gcr.io/p/app*  not part of it";

    (void)state;
    assert_int_equal(vouch_pattern_validate(text, 13, NULL), 0);
    assert_int_equal(vouch_pattern_validate(text, 14, NULL), VOUCH_EINVAL);
}

static void test_pattern_validate_rejects_over_max_bytes(void **state)
{
    char *text = malloc(VOUCH_PATTERN_MAX_BYTES + 1);
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_non_null(text);
    memcpy(text, "gcr.io/", 7);
    memset(text + 7, 'a', VOUCH_PATTERN_MAX_BYTES + 1 - 7);
    assert_int_equal(vouch_pattern_validate(text, VOUCH_PATTERN_MAX_BYTES + 1,
                                            &err),
                     VOUCH_ETOOBIG);
    assert_non_null(strstr(err.message, "at most 1024 bytes"));
    /* Within the byte limit but over the 255-byte name limit. */
    assert_int_equal(vouch_pattern_validate(text, VOUCH_PATTERN_MAX_BYTES,
                                            &err),
                     VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "more than the 255 allowed"));
    free(text);
}

/* --- set errors ---------------------------------------------------------- */

static void test_pattern_set_new_names_the_bad_pattern(void **state)
{
    vouch_slice list[3];
    vouch_pattern_set *set = (vouch_pattern_set *)&set;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    list[0] = sl("gcr.io/ok/*");
    list[1] = sl("gcr.io/ok2/**");
    list[2] = sl("gcr.io/n*x");
    assert_int_equal(vouch_pattern_set_new(&set, list, 3, &err),
                     VOUCH_EINVAL);
    assert_null(set);
    assert_int_equal(err.column, 9);
    assert_string_equal(err.message,
                        "pattern 2: position 9: '*' may only end a pattern, "
                        "as '*' (within one path segment) or '**' (any "
                        "depth)");
}

static void test_pattern_set_new_limits(void **state)
{
    vouch_slice one = { "gcr.io/p/*", 10 };
    vouch_pattern_set *set = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* The count is checked before any pattern is read. */
    assert_int_equal(vouch_pattern_set_new(&set, &one,
                                           VOUCH_POLICY_MAX_PATTERNS + 1,
                                           &err),
                     VOUCH_ETOOBIG);
    assert_null(set);
    assert_non_null(strstr(err.message, "1000000"));
    assert_int_equal(vouch_pattern_set_new(&set, NULL, 2, &err),
                     VOUCH_EINVAL);
    assert_null(set);
}

static void test_pattern_set_new_pattern_too_long(void **state)
{
    char *text = malloc(VOUCH_PATTERN_MAX_BYTES + 1);
    vouch_slice list[2];
    vouch_pattern_set *set = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_non_null(text);
    memset(text, 'a', VOUCH_PATTERN_MAX_BYTES + 1);
    list[0] = sl("gcr.io/p/*");
    list[1].ptr = text;
    list[1].len = VOUCH_PATTERN_MAX_BYTES + 1;
    assert_int_equal(vouch_pattern_set_new(&set, list, 2, &err),
                     VOUCH_ETOOBIG);
    assert_null(set);
    assert_memory_equal(err.message, "pattern 1: ", 11);
    free(text);
}

static void test_pattern_set_empty_matches_nothing(void **state)
{
    vouch_pattern_set *set = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch_pattern_set_new(&set, NULL, 0, &err), 0);
    assert_int_equal(vouch_pattern_set_count(set), 0);
    assert_int_equal(vouch_pattern_set_match(set, "gcr.io/p/a", 10), -1);
    assert_int_equal(vouch_pattern_set_match(set, "", 0), -1);
    assert_int_equal(match_image(set, "gcr.io/p/a:1"), -1);
    vouch_pattern_set_free(set);
    vouch_pattern_set_free(NULL);
    assert_int_equal(vouch_pattern_set_count(NULL), 0);
    assert_int_equal(vouch_pattern_set_match(NULL, "x", 1), -1);
    assert_int_equal(vouch_pattern_set_match_ref(NULL, NULL), -1);
}

/* --- matching ------------------------------------------------------------ */

typedef struct match_case {
    const char *pattern;
    const char *image;
    int match;
} match_case;

static const match_case match_cases[] = {
    /* '*' stays within one path segment and may match nothing. */
    { "gcr.io/p/nginx*", "gcr.io/p/nginx", 1 },
    { "gcr.io/p/nginx*", "gcr.io/p/nginx-1:1.0", 1 },
    { "gcr.io/p/nginx*", "gcr.io/p/nginx/sub", 0 },
    { "gcr.io/p/nginx*", "gcr.io/p/ngin", 0 },
    { "gcr.io/p/*", "gcr.io/p/app", 1 },
    { "gcr.io/p/*", "gcr.io/p/team/app", 0 },
    { "gcr.io/p/*", "gcr.io/p-2/app", 0 },
    { "gcr.io/*", "gcr.io/p", 1 },
    { "gcr.io/*", "gcr.io/p/app", 0 },
    /* '**' crosses '/'. */
    { "gcr.io/p/**", "gcr.io/p/a/b/c@sha256:" HEX64, 1 },
    { "gcr.io/p/**", "gcr.io/p2/a", 0 },
    { "gcr.io/p/nginx**", "gcr.io/p/nginx", 1 },
    { "gcr.io/p/nginx**", "gcr.io/p/nginx-1/a:1", 1 },
    { "gcr.io/**", "gcr.io.evil.com/p/a", 0 },
    { "gcr.io/**", "us.gcr.io/p/a", 0 },
    /* Anchored at the registry: no host-in-path bypass. */
    { "gcr.io/p/**", "evil.io/gcr.io/p/x", 0 },
    { "gcr.io/p/app", "evil.io/gcr.io/p/app", 0 },
    { "gcr.io/p/*", "localhost/gcr.io/p/app", 0 },
    /* Exact names accept every tag and digest. */
    { "gcr.io/p/app", "gcr.io/p/app", 1 },
    { "gcr.io/p/app", "gcr.io/p/app:1", 1 },
    { "gcr.io/p/app", "gcr.io/p/app@sha256:" HEX64, 1 },
    { "gcr.io/p/app", "gcr.io/p/app-2", 0 },
    { "gcr.io/p/app", "gcr.io/p/ap", 0 },
    { "gcr.io/p/app", "gcr.io/p/app/x", 0 },
    /* Normalisation of patterns and images by the same rule. */
    { "library/nginx", "nginx:1", 1 },
    { "nginx", "docker.io/library/nginx:latest", 1 },
    { "docker.io/library/*", "nginx", 1 },
    { "library/*", "nginx@sha256:" HEX64, 1 },
    { "myuser/*", "myuser/app:1", 1 },
    { "myuser/*", "nginx", 0 },
    { "GCR.IO/p/*", "gcr.io/p/app", 1 },
    { "gcr.io/p/*", "GCR.io/p/app", 1 },
    { "https://gcr.io/p/**", "gcr.io/p/a/b", 1 },
    { "gcr.io/p/**", "https://gcr.io/p/a/b", 1 },
    { "localhost:5000/team/*", "localhost:5000/team/app:1.0", 1 },
    { "localhost:5000/team/*", "localhost:5001/team/app:1.0", 0 },
    { "[::1]:5000/**", "[::1]:5000/a/b", 1 },
    /* Separator-ended literal parts. */
    { "gcr.io/p/nginx-*", "gcr.io/p/nginx-alpine", 1 },
    { "gcr.io/p/nginx-*", "gcr.io/p/nginx", 0 },
    /* Tags and digests on exact patterns. */
    { "gcr.io/p/app:1.0", "gcr.io/p/app:1.0", 1 },
    { "gcr.io/p/app:1.0", "gcr.io/p/app:1.0@sha256:" HEX64, 1 },
    { "gcr.io/p/app:1.0", "gcr.io/p/app:1.1", 0 },
    { "gcr.io/p/app:1.0", "gcr.io/p/app", 0 },
    { "gcr.io/p/app:1.0", "gcr.io/p/app@sha256:" HEX64, 0 },
    { "nginx:1.25", "docker.io/library/nginx:1.25", 1 },
    { "gcr.io/p/app@sha256:" HEX64, "gcr.io/p/app@sha256:" HEX64, 1 },
    { "gcr.io/p/app@sha256:" HEX64, "gcr.io/p/app:v@sha256:" HEX64, 1 },
    { "gcr.io/p/app@sha256:" HEX64, "gcr.io/p/app@sha256:" HEX64B, 0 },
    { "gcr.io/p/app@sha256:" HEX64, "gcr.io/p/app:v", 0 },
    { "gcr.io/p/app@sha256:" HEX64, "gcr.io/p/other@sha256:" HEX64, 0 },
    { "gcr.io/p/app:v@sha256:" HEX64, "gcr.io/p/app:v@sha256:" HEX64, 1 },
    { "gcr.io/p/app:v@sha256:" HEX64, "gcr.io/p/app@sha256:" HEX64, 0 },
    { "gcr.io/p/app:v@sha256:" HEX64, "gcr.io/p/app:w@sha256:" HEX64, 0 },
    { "gcr.io/p/app:v@sha256:" HEX64, "gcr.io/p/app:v", 0 },
};

static void test_pattern_set_match_rules(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
        const match_case *c = &match_cases[i];
        const char *list[2] = { c->pattern, NULL };
        vouch_pattern_set *set = set_of(list);
        long got = match_image(set, c->image);

        if (got != (c->match ? 0 : -1)) {
            fail_msg("pattern '%s' image '%s': got %ld, expected %s",
                     c->pattern, c->image, got,
                     c->match ? "a match" : "no match");
        }
        vouch_pattern_set_free(set);
    }
}

static void test_pattern_set_match_by_name_ignores_tagged(void **state)
{
    static const char *const list[] = {
        "gcr.io/p/app:1.0", "gcr.io/p/app@sha256:" HEX64, NULL,
    };
    vouch_pattern_set *set = set_of(list);

    (void)state;
    assert_int_equal(vouch_pattern_set_match(set, "gcr.io/p/app", 12), -1);
    assert_int_equal(match_image(set, "gcr.io/p/app:1.0"), 0);
    assert_int_equal(match_image(set, "gcr.io/p/app@sha256:" HEX64), 1);
    assert_int_equal(match_image(set, "gcr.io/p/app:1.0@sha256:" HEX64), 0);
    vouch_pattern_set_free(set);
}

static void test_pattern_set_match_returns_lowest_index(void **state)
{
    static const char *const list[] = {
        "gcr.io/other/**",      /* 0 */
        "gcr.io/p/app:1",       /* 1 */
        "gcr.io/p/team/**",     /* 2 */
        "gcr.io/p/**",          /* 3 */
        "gcr.io/p/team/app",    /* 4 */
        "gcr.io/p/team/*",      /* 5 */
        "gcr.io/p/team/app",    /* 6: duplicate of 4 */
        "gcr.io/**",            /* 7 */
        "gcr.io/p/*",           /* 8 */
        "gcr.io/p/x",           /* 9 */
        "gcr.io/p/x:1",         /* 10 */
        "gcr.io/p/x:1",         /* 11: duplicate of 10 */
        NULL,
    };
    vouch_pattern_set *set = set_of(list);

    (void)state;
    assert_int_equal(match_image(set, "gcr.io/p/team/app:1"), 2);
    assert_int_equal(match_image(set, "gcr.io/p/app:1"), 1);
    assert_int_equal(match_image(set, "gcr.io/p/app:2"), 3);
    assert_int_equal(match_image(set, "gcr.io/q/app"), 7);
    assert_int_equal(match_image(set, "gcr.io/p/x:1"), 3);
    assert_int_equal(match_image(set, "us.gcr.io/p/x:1"), -1);
    assert_int_equal(vouch_pattern_set_match(set, "gcr.io/p/team/app", 17),
                     2);
    vouch_pattern_set_free(set);
}

static void test_pattern_set_match_name_bytes(void **state)
{
    static const char *const list[] = { "gcr.io/p/*", "gcr.io/q", NULL };
    vouch_pattern_set *set = set_of(list);
    static const char name[] = "gcr.io/p/app/extra";

    (void)state;
    /* Only `len` bytes count. */
    assert_int_equal(vouch_pattern_set_match(set, name, 12), 0);
    assert_int_equal(vouch_pattern_set_match(set, name, 18), -1);
    assert_int_equal(vouch_pattern_set_match(set, "gcr.io/q", 8), 1);
    assert_int_equal(vouch_pattern_set_match(set, "gcr.io/q", 7), -1);
    assert_int_equal(vouch_pattern_set_match(set, NULL, 0), -1);
    assert_int_equal(vouch_pattern_set_match(set, NULL, 5), -1);
    vouch_pattern_set_free(set);
}

/* --- scale --------------------------------------------------------------- */

#define SCALE_N 100000u

/* Naive reference: docs/patterns.md's matching rule, one pattern at a
 * time. */
static long naive_match(char **pats, size_t n, const char *name)
{
    size_t len = strlen(name);
    size_t i;

    for (i = 0; i < n; i++) {
        const char *p = pats[i];
        size_t pl = strlen(p);

        if (pl >= 2 && p[pl - 1] == '*' && p[pl - 2] == '*') {
            if (len >= pl - 2 && memcmp(name, p, pl - 2) == 0) {
                return (long)i;
            }
        } else if (pl >= 1 && p[pl - 1] == '*') {
            if (len >= pl - 1 && memcmp(name, p, pl - 1) == 0 &&
                memchr(name + pl - 1, '/', len - (pl - 1)) == NULL) {
                return (long)i;
            }
        } else if (len == pl && memcmp(name, p, pl) == 0) {
            return (long)i;
        }
    }
    return -1;
}

static void test_pattern_set_scale_100k(void **state)
{
    char **pats = calloc(SCALE_N, sizeof(*pats));
    vouch_slice *slices = calloc(SCALE_N, sizeof(*slices));
    vouch_pattern_set *set = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    unsigned seed = 12345;
    size_t i;

    (void)state;
    assert_non_null(pats);
    assert_non_null(slices);
    for (i = 0; i < SCALE_N; i++) {
        char buf[128];
        unsigned r = (unsigned)(i * 2654435761u);

        switch (i % 5) {
        case 0:
            snprintf(buf, sizeof(buf), "r%u.example.com/proj%u/app%u",
                     r % 40, (unsigned)(i / 7), (unsigned)i % 13);
            break;
        case 1:
            snprintf(buf, sizeof(buf), "r%u.example.com/proj%u/app%u*",
                     r % 40, (unsigned)(i / 7), (unsigned)i % 13);
            break;
        case 2:
            snprintf(buf, sizeof(buf), "r%u.example.com/proj%u/**",
                     r % 40, (unsigned)(i / 11));
            break;
        case 3:
            snprintf(buf, sizeof(buf), "r%u.example.com/team%u/*", r % 40,
                     (unsigned)i);
            break;
        default:
            snprintf(buf, sizeof(buf), "gcr.io/p%u/svc-%u", (unsigned)i,
                     r % 97);
            break;
        }
        pats[i] = strdup(buf);
        assert_non_null(pats[i]);
        slices[i] = sl(pats[i]);
    }
    /* The bypass target, late in the list. */
    free(pats[SCALE_N - 3]);
    pats[SCALE_N - 3] = strdup("gcr.io/p/**");
    assert_non_null(pats[SCALE_N - 3]);
    slices[SCALE_N - 3] = sl(pats[SCALE_N - 3]);

    assert_int_equal(vouch_pattern_set_new(&set, slices, SCALE_N, &err), 0);
    assert_int_equal(vouch_pattern_set_count(set), SCALE_N);

    /* Fixed probes. */
    assert_int_equal(vouch_pattern_set_match(set, "evil.io/gcr.io/p/x", 18),
                     -1);
    assert_int_equal(vouch_pattern_set_match(set, "gcr.io/p/x", 10),
                     (long)SCALE_N - 3);
    assert_int_equal(vouch_pattern_set_match(set, "gcr.io/p", 8), -1);

    /* Random probes derived from patterns, compared with the reference. */
    {
        size_t hits = 0;
        size_t misses = 0;

        for (i = 0; i < 300; i++) {
            char name[160];
            const char *p;
            size_t pl;
            long want;
            long got;

            seed = seed * 1103515245u + 12345u;
            p = pats[(seed >> 8) % SCALE_N];
            pl = strlen(p);
            while (pl > 0 && p[pl - 1] == '*') {
                pl--;
            }
            switch ((seed >> 4) % 5) {
            case 0:
                snprintf(name, sizeof(name), "%.*s", (int)pl, p);
                break;
            case 1:
                snprintf(name, sizeof(name), "%.*sx", (int)pl, p);
                break;
            case 2:
                snprintf(name, sizeof(name), "%.*s/deeper/x", (int)pl, p);
                break;
            case 3:
                snprintf(name, sizeof(name), "evil.io/%.*sz", (int)pl, p);
                break;
            default:
                snprintf(name, sizeof(name), "%.*s", (int)(pl / 2), p);
                break;
            }
            want = naive_match(pats, SCALE_N, name);
            got = vouch_pattern_set_match(set, name, strlen(name));
            if (want != got) {
                fail_msg("'%s': set %ld, reference %ld", name, got, want);
            }
            if (got >= 0) {
                hits++;
            } else {
                misses++;
            }
        }
        /* The probes must exercise both outcomes. */
        assert_true(hits > 50);
        assert_true(misses > 50);
    }

    vouch_pattern_set_free(set);
    for (i = 0; i < SCALE_N; i++) {
        free(pats[i]);
    }
    free(pats);
    free(slices);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_validate_accepts_valid_forms),
        cmocka_unit_test(test_pattern_validate_rejects_with_column),
        cmocka_unit_test(test_pattern_validate_null_err_and_null_data),
        cmocka_unit_test(test_pattern_validate_reads_only_len_bytes),
        cmocka_unit_test(test_pattern_validate_rejects_over_max_bytes),
        cmocka_unit_test(test_pattern_set_new_names_the_bad_pattern),
        cmocka_unit_test(test_pattern_set_new_limits),
        cmocka_unit_test(test_pattern_set_new_pattern_too_long),
        cmocka_unit_test(test_pattern_set_empty_matches_nothing),
        cmocka_unit_test(test_pattern_set_match_rules),
        cmocka_unit_test(test_pattern_set_match_by_name_ignores_tagged),
        cmocka_unit_test(test_pattern_set_match_returns_lowest_index),
        cmocka_unit_test(test_pattern_set_match_name_bytes),
        cmocka_unit_test(test_pattern_set_scale_100k),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
