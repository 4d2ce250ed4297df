/*
 * Helpers shared by the unit and interop tests (testutil.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

/* $VOUCH_TEST_DATA/rel into `path`; fails the test when unset. */
static void data_path(char *path, size_t size, const char *rel)
{
    const char *dir = getenv("VOUCH_TEST_DATA");

    assert_non_null(dir);
    snprintf(path, size, "%s/%s", dir, rel);
}

char *testutil_read(const char *rel, size_t *len)
{
    char path[4096];
    FILE *f;
    char *buf;
    long size;

    data_path(path, sizeof(path), rel);
    f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    buf[size] = '\0';
    fclose(f);
    if (len != NULL) {
        *len = (size_t)size;
    }
    return buf;
}

json_t *testutil_read_json(const char *rel)
{
    char path[4096];
    json_error_t jerr;
    json_t *root;

    data_path(path, sizeof(path), rel);
    root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
    }
    return root;
}

vouch_attestor *testutil_attestor(const char *name)
{
    char rel[1024];
    size_t len;
    char *text;
    vouch_attestor *a = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    snprintf(rel, sizeof(rel), "core/%s", name);
    text = testutil_read(rel, &len);
    if (vouch_attestor_parse(&a, text, len, VOUCH_FORMAT_AUTO, name,
                             &err) != 0) {
        fail_msg("%s: %s", name, err.message);
    }
    free(text);
    return a;
}

vouch_attestation *testutil_attestation(const char *name)
{
    char rel[1024];
    size_t len;
    char *text;
    vouch_attestation *att = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    snprintf(rel, sizeof(rel), "attestations/%s", name);
    text = testutil_read(rel, &len);
    if (vouch_attestation_parse(&att, text, len, VOUCH_FORMAT_AUTO, name,
                                &err) != 0) {
        fail_msg("%s: %s", name, err.message);
    }
    free(text);
    return att;
}

void assert_contains(const char *hay, const char *needle)
{
    if (hay == NULL || strstr(hay, needle) == NULL) {
        fail_msg("expected \"%s\" in \"%s\"", needle,
                 hay != NULL ? hay : "(null)");
    }
}
