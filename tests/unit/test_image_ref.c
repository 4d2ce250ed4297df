/*
 * Unit tests for src/engine/image_ref.c (include/vouch/image_ref.h).
 *
 * Sections:
 *   normalisation     vouch_image_ref_parse + every getter on valid input
 *   grammar limits    accepted edge cases (separators, tag length, IPv6)
 *   errors            every rejected form, with its position and message
 *   limits            VOUCH_IMAGE_REF_MAX_BYTES and the 255-byte name
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

#define HEX64 "0123456789abcdef0123456789abcdef" \
              "0123456789abcdef0123456789abcdef"
#define HEX128 HEX64 HEX64

static vouch_image_ref *parse_ok(const char *text)
{
    vouch_image_ref *ref = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc = vouch_image_ref_parse(&ref, text, strlen(text), &err);

    if (rc != 0) {
        fail_msg("'%s' rejected: %s", text, err.message);
    }
    assert_non_null(ref);
    return ref;
}

/* --- normalisation ------------------------------------------------------ */

typedef struct norm_case {
    const char *input;
    const char *string;
    const char *name;
    const char *registry;
    const char *path;
    const char *tag;
    const char *digest;
} norm_case;

static const norm_case norm_cases[] = {
    { "nginx", "docker.io/library/nginx", "docker.io/library/nginx",
      "docker.io", "library/nginx", NULL, NULL },
    { "nginx:1", "docker.io/library/nginx:1", "docker.io/library/nginx",
      "docker.io", "library/nginx", "1", NULL },
    { "library/nginx:1.25-alpine", "docker.io/library/nginx:1.25-alpine",
      "docker.io/library/nginx", "docker.io", "library/nginx",
      "1.25-alpine", NULL },
    { "myuser/myapp", "docker.io/myuser/myapp", "docker.io/myuser/myapp",
      "docker.io", "myuser/myapp", NULL, NULL },
    { "gcr.io/p/app", "gcr.io/p/app", "gcr.io/p/app", "gcr.io", "p/app",
      NULL, NULL },
    { "GCR.IO/p/app:V1", "gcr.io/p/app:V1", "gcr.io/p/app", "gcr.io",
      "p/app", "V1", NULL },
    { "https://gcr.io/p/app@sha256:" HEX64,
      "gcr.io/p/app@sha256:" HEX64, "gcr.io/p/app", "gcr.io", "p/app",
      NULL, "sha256:" HEX64 },
    { "HTTP://gcr.io/p/app", "gcr.io/p/app", "gcr.io/p/app", "gcr.io",
      "p/app", NULL, NULL },
    { "gcr.io/p/app:1.0@sha512:" HEX128,
      "gcr.io/p/app:1.0@sha512:" HEX128, "gcr.io/p/app", "gcr.io",
      "p/app", "1.0", "sha512:" HEX128 },
    { "localhost/app", "localhost/app", "localhost/app", "localhost", "app",
      NULL, NULL },
    { "LocalHost/app", "localhost/app", "localhost/app", "localhost", "app",
      NULL, NULL },
    { "localhost:5000/team/app:1.0", "localhost:5000/team/app:1.0",
      "localhost:5000/team/app", "localhost:5000", "team/app", "1.0",
      NULL },
    { "[::1]:5000/app", "[::1]:5000/app", "[::1]:5000/app", "[::1]:5000",
      "app", NULL, NULL },
    { "[FE80::1]/app", "[fe80::1]/app", "[fe80::1]/app", "[fe80::1]", "app",
      NULL, NULL },
    { "127.0.0.1:5000/a/b/c", "127.0.0.1:5000/a/b/c", "127.0.0.1:5000/a/b/c",
      "127.0.0.1:5000", "a/b/c", NULL, NULL },
    { "us-central1-docker.pkg.dev/p/repo/img:tag",
      "us-central1-docker.pkg.dev/p/repo/img:tag",
      "us-central1-docker.pkg.dev/p/repo/img",
      "us-central1-docker.pkg.dev", "p/repo/img", "tag", NULL },
    /* A first component without '.', ':' or "localhost" is a path. */
    { "registry/app", "docker.io/registry/app", "docker.io/registry/app",
      "docker.io", "registry/app", NULL, NULL },
    /* No '/': "localhost:5000" is the image "localhost", tag "5000". */
    { "localhost:5000", "docker.io/library/localhost:5000",
      "docker.io/library/localhost", "docker.io", "library/localhost",
      "5000", NULL },
    /* Docker Hub by any of its names is Docker Hub, with "library/". */
    { "docker.io/nginx", "docker.io/library/nginx",
      "docker.io/library/nginx", "docker.io", "library/nginx", NULL, NULL },
    { "INDEX.docker.io/library/nginx:1", "docker.io/library/nginx:1",
      "docker.io/library/nginx", "docker.io", "library/nginx", "1", NULL },
    { "index.docker.io/myuser/app", "docker.io/myuser/app",
      "docker.io/myuser/app", "docker.io", "myuser/app", NULL, NULL },
    { "ab/a.b__c-d---e_f", "docker.io/ab/a.b__c-d---e_f",
      "docker.io/ab/a.b__c-d---e_f", "docker.io", "ab/a.b__c-d---e_f", NULL,
      NULL },
    { "x/y:_tag.with-chars_", "docker.io/x/y:_tag.with-chars_",
      "docker.io/x/y", "docker.io", "x/y", "_tag.with-chars_", NULL },
};

static void test_image_ref_normalises(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
        const norm_case *c = &norm_cases[i];
        vouch_image_ref *ref = parse_ok(c->input);

        assert_string_equal(vouch_image_ref_string(ref), c->string);
        assert_string_equal(vouch_image_ref_name(ref), c->name);
        assert_int_equal(vouch_image_ref_name_len(ref), strlen(c->name));
        assert_string_equal(vouch_image_ref_registry(ref), c->registry);
        assert_string_equal(vouch_image_ref_path(ref), c->path);
        if (c->tag == NULL) {
            assert_null(vouch_image_ref_tag(ref));
        } else {
            assert_string_equal(vouch_image_ref_tag(ref), c->tag);
        }
        if (c->digest == NULL) {
            assert_null(vouch_image_ref_digest(ref));
        } else {
            assert_string_equal(vouch_image_ref_digest(ref), c->digest);
        }
        vouch_image_ref_free(ref);
    }
}

static void test_image_ref_reads_only_len_bytes(void **state)
{
    static const char text[] = "gcr.io/p/app:1.0 trailing garbage";
    vouch_image_ref *ref = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch_image_ref_parse(&ref, text, 16, &err), 0);
    assert_string_equal(vouch_image_ref_string(ref), "gcr.io/p/app:1.0");
    vouch_image_ref_free(ref);
}

static void test_image_ref_string_reparses_to_itself(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
        vouch_image_ref *a = parse_ok(norm_cases[i].input);
        vouch_image_ref *b = parse_ok(vouch_image_ref_string(a));

        assert_string_equal(vouch_image_ref_string(a),
                            vouch_image_ref_string(b));
        vouch_image_ref_free(a);
        vouch_image_ref_free(b);
    }
}

static void test_image_ref_free_null_is_noop(void **state)
{
    (void)state;
    vouch_image_ref_free(NULL);
}

/* --- grammar limits ------------------------------------------------------ */

static void test_image_ref_tag_at_most_128(void **state)
{
    char text[200];
    vouch_image_ref *ref = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    memcpy(text, "a:", 2);
    memset(text + 2, 't', 128);
    assert_int_equal(vouch_image_ref_parse(&ref, text, 130, &err), 0);
    assert_int_equal(strlen(vouch_image_ref_tag(ref)), 128);
    vouch_image_ref_free(ref);

    text[130] = 't';
    assert_int_equal(vouch_image_ref_parse(&ref, text, 131, &err),
                     VOUCH_EPARSE);
    assert_null(ref);
    assert_int_equal(err.column, 131);
    assert_non_null(strstr(err.message, "at most 128"));
}

/* --- errors -------------------------------------------------------------- */

typedef struct err_case {
    const char *input;
    unsigned column;
    const char *message;   /* a substring of err.message */
} err_case;

static const err_case err_cases[] = {
    { "", 1, "empty image reference" },
    { "https://", 9, "empty image reference" },
    { "gcr.io/my-project/App:1", 19,
      "position 19: upper-case letters are not allowed in a repository "
      "path" },
    { "Nginx", 1, "upper-case letters are not allowed" },
    { "gcr.io/p/appX", 13, "upper-case letters are not allowed" },
    { "gcr.io/p/app-X", 14, "upper-case letters are not allowed" },
    { "gcr.io/p/app@sha256:" HEX64 "0", 85,
      "digest must be sha256: followed by 64 lower-case hex digits" },
    { "gcr.io/p/app@sha256:abc", 24,
      "position 24: digest must be sha256: followed by 64 lower-case hex "
      "digits" },
    { "gcr.io/p/app@sha256:ABCDEF" HEX64, 21, "upper-case hex" },
    { "gcr.io/p/app@sha256:0123456789abcdef0123456789abcdef"
      "0123456789abcdef0123456789abcdeg", 84, "64 lower-case hex" },
    { "gcr.io/p/app@sha512:" HEX64, 85, "128 lower-case hex" },
    { "gcr.io/p/app@md5:0123", 14, "unsupported digest algorithm 'md5'" },
    { "gcr.io/p/app@SHA256:" HEX64, 14, "unsupported digest algorithm" },
    { "gcr.io/p/app@sha256", 20, "digest must be sha256:" },
    { "gcr.io/p/app@", 14, "digest must be sha256:" },
    { "gcr.io/p/app:", 14, "empty tag" },
    { "gcr.io/p/app:@sha256:" HEX64, 14, "empty tag" },
    { "gcr.io/p/app:.x", 14, "a tag must start with" },
    { "gcr.io/p/app:v1!", 16, "unexpected '!' in tag" },
    { "gcr.io/p/app:v1:v2", 16, "unexpected ':' in tag" },
    { "gcr.io//app", 8, "empty path component" },
    { "gcr.io/", 8, "empty path component" },
    { "gcr.io/p/", 10, "empty path component" },
    { "gcr.io/p/:1", 10, "empty path component" },
    { "gcr.io/-app", 8, "must start with a lower-case letter or digit" },
    { "gcr.io/app_", 12, "separator" },
    { "gcr.io/a___b", 11, "separator" },
    { "gcr.io/a._b", 10, "separator" },
    { "gcr.io/a.-b", 10, "separator" },
    { "gcr.io/a b", 9, "unexpected a space in repository path" },
    { "gcr.io/a\nb", 9, "byte 0x0a" },
    { "gcr.io/a%b", 9, "unexpected '%' in repository path" },
    { "gcr..io/app", 5, "empty label in registry host" },
    { ".gcr.io/app", 1, "empty label in registry host" },
    { "gcr.io./app", 8, "empty label in registry host" },
    { "-gcr.io/app", 1, "may not start with '-'" },
    { "gcr-.io/app", 4, "may not end with '-'" },
    { "gc_r.io/app", 3, "unexpected '_' in registry host" },
    { "gcr.io:/app", 8, "port of a registry host must be decimal digits" },
    { "gcr.io:50a0/app", 10, "port of a registry host" },
    { "localhost:5000:1/app", 15, "port of a registry host" },
    { "[]/app", 2, "IPv6 address" },
    { "[::1/app", 5, "expected ']'" },
    { "[::1]x/app", 6, "unexpected 'x' in registry host" },
    { "ftp://gcr.io/app", 1, "only an https:// or http:// scheme" },
    { "https://ftp://gcr.io/app", 9, "only an https:// or http:// scheme" },
};

static void test_image_ref_errors_name_position(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
        const err_case *c = &err_cases[i];
        vouch_image_ref *ref = (vouch_image_ref *)&ref;
        vouch_error err = VOUCH_ERROR_INIT;
        char prefix[32];
        int rc = vouch_image_ref_parse(&ref, c->input, strlen(c->input),
                                       &err);

        if (rc != VOUCH_EPARSE || err.column != c->column ||
            strstr(err.message, c->message) == NULL) {
            fail_msg("'%s': rc %d column %u message '%s'; expected column "
                     "%u and '%s'", c->input, rc, err.column, err.message,
                     c->column, c->message);
        }
        assert_null(ref);
        assert_int_equal(err.code, VOUCH_EPARSE);
        snprintf(prefix, sizeof(prefix), "position %u: ", c->column);
        assert_memory_equal(err.message, prefix, strlen(prefix));
    }
}

static void test_image_ref_null_err_is_allowed(void **state)
{
    vouch_image_ref *ref = NULL;

    (void)state;
    assert_int_equal(vouch_image_ref_parse(&ref, "A", 1, NULL),
                     VOUCH_EPARSE);
    assert_null(ref);
    assert_int_equal(vouch_image_ref_parse(&ref, NULL, 0, NULL),
                     VOUCH_EPARSE);
}

/* --- limits -------------------------------------------------------------- */

static void test_image_ref_rejects_over_max_bytes(void **state)
{
    char *text = malloc(VOUCH_IMAGE_REF_MAX_BYTES + 1);
    vouch_image_ref *ref = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_non_null(text);
    memset(text, 'a', VOUCH_IMAGE_REF_MAX_BYTES + 1);
    assert_int_equal(vouch_image_ref_parse(&ref, text,
                                           VOUCH_IMAGE_REF_MAX_BYTES + 1,
                                           &err),
                     VOUCH_ETOOBIG);
    assert_null(ref);
    assert_non_null(strstr(err.message, "at most 4096 bytes"));
    free(text);
}

static void test_image_ref_name_at_most_255(void **state)
{
    char text[300];
    vouch_image_ref *ref = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* "gcr.io/" + 248 = 255 bytes: accepted. */
    memcpy(text, "gcr.io/", 7);
    memset(text + 7, 'a', 248);
    assert_int_equal(vouch_image_ref_parse(&ref, text, 255, &err), 0);
    assert_int_equal(vouch_image_ref_name_len(ref), 255);
    vouch_image_ref_free(ref);

    /* 256 bytes: rejected. */
    text[255] = 'a';
    assert_int_equal(vouch_image_ref_parse(&ref, text, 256, &err),
                     VOUCH_EPARSE);
    assert_non_null(strstr(err.message, "255"));
    assert_int_equal(err.column, 1);

    /* The limit applies to the normalised name: 240 bytes with no
     * registry become "docker.io/library/" + 240 = 258. */
    memset(text, 'a', 240);
    assert_int_equal(vouch_image_ref_parse(&ref, text, 240, &err),
                     VOUCH_EPARSE);
    assert_non_null(strstr(err.message, "258 bytes long once normalised"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image_ref_normalises),
        cmocka_unit_test(test_image_ref_reads_only_len_bytes),
        cmocka_unit_test(test_image_ref_string_reparses_to_itself),
        cmocka_unit_test(test_image_ref_free_null_is_noop),
        cmocka_unit_test(test_image_ref_tag_at_most_128),
        cmocka_unit_test(test_image_ref_errors_name_position),
        cmocka_unit_test(test_image_ref_null_err_is_allowed),
        cmocka_unit_test(test_image_ref_rejects_over_max_bytes),
        cmocka_unit_test(test_image_ref_name_at_most_255),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
