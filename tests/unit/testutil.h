/*
 * Helpers shared by the cmocka unit and interop tests: reading fixtures
 * from tests/data (found through VOUCH_TEST_DATA) and the assertions that
 * several test files use. Each helper fails the running test (cmocka
 * fail_msg) instead of returning an error.
 */
#ifndef VOUCH_TESTUTIL_H
#define VOUCH_TESTUTIL_H

#include <stddef.h>

#include <jansson.h>

#include "vouch/vouch.h"

/*
 * The bytes of $VOUCH_TEST_DATA/`rel`, NUL-terminated (`*len` excludes the
 * NUL; `len` may be NULL). Fails the test when the variable is unset or the
 * file cannot be read. The caller frees the result with free().
 */
char *testutil_read(const char *rel, size_t *len);

/*
 * $VOUCH_TEST_DATA/`rel` parsed by jansson (duplicate keys rejected); fails
 * the test naming the file, line and jansson's message. Free with
 * json_decref().
 */
json_t *testutil_read_json(const char *rel);

/*
 * The attestor in $VOUCH_TEST_DATA/core/NAME, or the attestation occurrence
 * in $VOUCH_TEST_DATA/attestations/NAME (JSON or YAML, parsed with NAME as
 * the source). Fails the test with "NAME: message" when it does not parse.
 * Free with vouch_attestor_free() or vouch_attestation_free().
 */
vouch_attestor *testutil_attestor(const char *name);
vouch_attestation *testutil_attestation(const char *name);

/* Fails the test unless `hay` is non-NULL and contains `needle`. */
void assert_contains(const char *hay, const char *needle);

#endif /* VOUCH_TESTUTIL_H */
