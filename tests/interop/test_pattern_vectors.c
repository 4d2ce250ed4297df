/*
 * Exempt-pattern vectors: tests/data/vectors/patterns.json (the cases'
 * sources are in tests/data/vectors/README.md).
 *
 * - Every `semantics: binauthz` case, and every binauthz entry of
 *   `invalid_patterns` and `valid_pattern_controls`, must pass exactly.
 * - The kritis, policy-controller and portieris cases follow other tools'
 *   rules. Our (binauthz) matcher runs on them too, and the ids where our
 *   answer differs from that tool's expected answer must be exactly the
 *   table `known_differences` below, each with its reason, so the table
 *   cannot rot. A pattern our grammar rejects counts as a difference
 *   ("pattern invalid in binauthz").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "vouch/image_ref.h"
#include "vouch/pattern.h"
#include "../unit/testutil.h"

typedef struct difference {
    const char *id;
    const char *reason;
} difference;

#define INVALID "pattern invalid in binauthz"

static const difference known_differences[] = {
    /* kritis */
    { "kritis-gap-03", INVALID " (wildcard tag ':*')" },
    { "kritis-gap-07", "kritis compares an untagged pattern as a string; "
                       "binauthz ignores the image's tag" },
    { "kritis-gap-08", INVALID " (wildcard in the tag)" },
    { "kritis-gap-09", INVALID " (wildcard in the tag)" },
    { "kritis-gap-14", INVALID " (wildcard digest '@sha256:*')" },
    { "kritis-gap-17", INVALID " (wildcard tag ':*')" },
    { "kritis-gap-18", INVALID " (wildcard in the tag)" },
    { "kritis-gap-19", INVALID " (wildcard in the tag)" },
    /* policy-controller */
    { "pc-glob-01", INVALID " (wildcard before the first '/')" },
    { "pc-glob-02", INVALID " (wildcard before the first '/')" },
    { "pc-glob-04", INVALID " (wildcard in the middle, tag on a wildcard)" },
    { "pc-glob-05", INVALID " (wildcard before the first '/')" },
    { "pc-glob-07", INVALID " (wildcard before the first '/')" },
    { "pc-glob-08", INVALID " (wildcard before the first '/')" },
    { "pc-glob-09", INVALID " (wildcard before the first '/')" },
    { "pc-glob-11", INVALID " (wildcard before the first '/')" },
    { "pc-glob-12", INVALID " (wildcard before the first '/')" },
    { "pc-glob-13", "policy-controller maps docker.io to index.docker.io; "
                    "binauthz keeps docker.io, so the registries differ" },
    { "pc-glob-14", INVALID " (wildcard tag ':*')" },
    { "pc-glob-16", INVALID " (wildcard in the middle)" },
    { "pc-glob-17", INVALID " (wildcard in the middle)" },
    { "pc-glob-18", "index.docker.io is not docker.io for binauthz" },
    { "pc-glob-19", INVALID " (wildcard before the first '/')" },
    { "pc-glob-20", INVALID " (wildcard before the first '/')" },
    { "pc-glob-21", INVALID " (wildcard before the first '/')" },
    { "pc-glob-25", INVALID " (wildcard in the middle)" },
    { "pc-glob-27", INVALID " (wildcard in the middle)" },
    { "pc-glob-29", INVALID " (wildcard before the first '/')" },
    { "pc-glob-30", INVALID " (wildcard before the first '/')" },
    { "pc-glob-31", INVALID " (wildcard before the first '/')" },
    { "pc-glob-37", INVALID " (wildcard before the first '/')" },
    { "pc-glob-38", INVALID " (wildcard before the first '/')" },
    { "pc-glob-39", INVALID " (wildcard before the first '/')" },
    /* portieris */
    { "portieris-01", INVALID " (empty pattern)" },
    { "portieris-02", INVALID " (empty pattern)" },
    { "portieris-05", INVALID " (wildcard before the first '/')" },
    { "portieris-06", INVALID " (wildcard before the first '/')" },
    { "portieris-07", INVALID " (wildcard before the first '/')" },
    { "portieris-08", INVALID " (wildcard before the first '/')" },
    { "portieris-09", INVALID " (wildcard before the first '/')" },
    { "portieris-10", INVALID " (wildcard before the first '/')" },
    { "portieris-11", INVALID " (wildcard before the first '/')" },
    { "portieris-12", INVALID " (wildcard before the first '/')" },
    { "portieris-13", INVALID " (wildcard before the first '/')" },
    { "portieris-15", INVALID " (wildcard tag ':*')" },
    { "portieris-16", "portieris '*' crosses '/'; binauthz '*' stays "
                      "within one path segment" },
    { "portieris-20", INVALID " (wildcard in the registry host)" },
    { "portieris-21", INVALID " (wildcard in the registry host)" },
    { "portieris-22", INVALID " (wildcard in the registry host)" },
    { "portieris-24", INVALID " (wildcard before the first '/')" },
    { "portieris-25", "portieris '*' crosses '/'; binauthz '*' stays "
                      "within one path segment" },
    { "portieris-26", INVALID " (wildcard in the registry host)" },
    { "portieris-27", INVALID " (wildcard in the registry host)" },
    { "portieris-28", INVALID " (wildcard in the registry host)" },
    { "portieris-29", INVALID " (wildcard in the registry host)" },
};

#define N_KNOWN (sizeof(known_differences) / sizeof(known_differences[0]))

static int setup(void **state)
{
    *state = testutil_read_json("vectors/patterns.json");
    return 0;
}

static int teardown(void **state)
{
    json_decref(*state);
    return 0;
}

static const char *field(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));

    if (s == NULL) {
        fail_msg("vector without string field '%s'", key);
    }
    return s;
}

/* Compile one pattern; NULL (with `err`) when our grammar rejects it. */
static vouch_pattern_set *compile(const char *pattern, vouch_error *err)
{
    vouch_slice s = { pattern, strlen(pattern) };
    vouch_pattern_set *set = NULL;

    if (vouch_pattern_set_new(&set, &s, 1, err) != 0) {
        return NULL;
    }
    return set;
}

/* Our answer for a pattern/image pair; an unparsable image never matches. */
static bool our_match(const vouch_pattern_set *set, const char *image)
{
    vouch_image_ref *ref = NULL;
    bool match;

    if (vouch_image_ref_parse(&ref, image, strlen(image), NULL) != 0) {
        return false;
    }
    match = vouch_pattern_set_match_ref(set, ref) >= 0;
    vouch_image_ref_free(ref);
    return match;
}

static void test_pattern_vectors_binauthz_cases(void **state)
{
    json_t *root = *state;
    json_t *cases = json_object_get(root, "cases");
    json_t *c;
    size_t i;
    size_t n = 0;

    json_array_foreach(cases, i, c) {
        const char *pattern;
        const char *image;
        vouch_error err = VOUCH_ERROR_INIT;
        vouch_image_ref *ref = NULL;
        vouch_pattern_set *set;
        bool want;
        bool got;

        if (strcmp(field(c, "semantics"), "binauthz") != 0) {
            continue;
        }
        pattern = field(c, "pattern");
        image = field(c, "image");
        want = json_is_true(json_object_get(c, "match"));
        set = compile(pattern, &err);
        if (set == NULL) {
            fail_msg("%s: pattern '%s' rejected: %s", field(c, "id"),
                     pattern, err.message);
        }
        if (vouch_image_ref_parse(&ref, image, strlen(image), &err) != 0) {
            fail_msg("%s: image '%s' rejected: %s", field(c, "id"), image,
                     err.message);
        }
        got = vouch_pattern_set_match_ref(set, ref) >= 0;
        if (got != want) {
            fail_msg("%s: '%s' vs '%s': got %d, expected %d",
                     field(c, "id"), pattern, image, got, want);
        }
        vouch_image_ref_free(ref);
        vouch_pattern_set_free(set);
        n++;
    }
    assert_int_equal(n, 41);
}

static void test_pattern_vectors_binauthz_validity(void **state)
{
    static const char *const lists[] = {
        "invalid_patterns", "valid_pattern_controls",
    };
    json_t *root = *state;
    size_t l;
    size_t n = 0;

    for (l = 0; l < 2; l++) {
        json_t *entries = json_object_get(root, lists[l]);
        json_t *e;
        size_t i;

        json_array_foreach(entries, i, e) {
            const char *pattern = field(e, "pattern");
            bool want = json_is_true(json_object_get(e, "valid"));
            vouch_error err = VOUCH_ERROR_INIT;
            int rc;

            if (strcmp(field(e, "semantics"), "binauthz") != 0) {
                continue;
            }
            rc = vouch_pattern_validate(pattern, strlen(pattern), &err);
            if ((rc == 0) != want) {
                fail_msg("%s: '%s': validate %d (%s), expected %s",
                         field(e, "id"), pattern, rc, err.message,
                         want ? "valid" : "invalid");
            }
            if (!want) {
                assert_int_equal(rc, VOUCH_EINVAL);
                assert_true(err.column >= 1);
            }
            n++;
        }
    }
    assert_int_equal(n, 16);
}

static const difference *find_known(const char *id)
{
    size_t i;

    for (i = 0; i < N_KNOWN; i++) {
        if (strcmp(known_differences[i].id, id) == 0) {
            return &known_differences[i];
        }
    }
    return NULL;
}

static void test_pattern_vectors_other_tools_differ_as_listed(void **state)
{
    json_t *root = *state;
    json_t *cases = json_object_get(root, "cases");
    json_t *invalid = json_object_get(root, "invalid_patterns");
    bool seen[N_KNOWN];
    json_t *c;
    size_t i;
    size_t others = 0;
    int bad = 0;

    memset(seen, 0, sizeof(seen));
    json_array_foreach(cases, i, c) {
        const char *id = field(c, "id");
        const char *pattern = field(c, "pattern");
        bool want = json_is_true(json_object_get(c, "match"));
        vouch_error err = VOUCH_ERROR_INIT;
        vouch_pattern_set *set;
        const difference *known;
        bool differs;
        bool ours;

        if (strcmp(field(c, "semantics"), "binauthz") == 0) {
            continue;
        }
        others++;
        set = compile(pattern, &err);
        ours = set != NULL && our_match(set, field(c, "image"));
        differs = set == NULL || ours != want;
        vouch_pattern_set_free(set);
        known = find_known(id);
        if (known != NULL) {
            seen[known - known_differences] = true;
        }
        if (differs != (known != NULL)) {
            print_error("%s: pattern '%s' image '%s' tool says %d; ours %s "
                        "but the table says it %s\n", id, pattern,
                        field(c, "image"), want,
                        set == NULL ? "rejects the pattern"
                                    : (ours ? "says 1" : "says 0"),
                        known != NULL ? "differs" : "agrees");
            bad++;
        }
    }
    /* Other tools' invalid patterns must be invalid for us too. */
    json_array_foreach(invalid, i, c) {
        const char *pattern = field(c, "pattern");

        if (strcmp(field(c, "semantics"), "binauthz") == 0) {
            continue;
        }
        others++;
        if (vouch_pattern_validate(pattern, strlen(pattern), NULL) == 0) {
            print_error("%s: '%s' is accepted by binauthz\n",
                        field(c, "id"), pattern);
            bad++;
        }
    }
    for (i = 0; i < N_KNOWN; i++) {
        if (!seen[i]) {
            print_error("%s: in the table but not in the vectors\n",
                        known_differences[i].id);
            bad++;
        }
    }
    assert_int_equal(others, 99 + 2);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_vectors_binauthz_cases),
        cmocka_unit_test(test_pattern_vectors_binauthz_validity),
        cmocka_unit_test(test_pattern_vectors_other_tools_differ_as_listed),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
