/*
 * libFuzzer target for JWKS parsing (src/auth/jwks.c): a set fetched from
 * an issuer's URL is untrusted input. Parsing either fails with a message
 * or gives a set no larger than its "keys" list.
 */
#include <stdint.h>
#include <stdlib.h>

#include "jwks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vouch_jwks *ks = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    if (vouch_jwks_parse(&ks, (const char *)data, size, "fuzz", &err) != 0) {
        if (ks != NULL || err.message[0] == '\0') {
            abort();
        }
        return 0;
    }
    if (vouch_jwks_count(ks) > VOUCH_JWKS_MAX_KEYS ||
        vouch_jwks_has_key(ks, NULL, "RS256") ||
        vouch_jwks_has_key(ks, "r", "HS256")) {
        abort();
    }
    vouch_jwks_free(ks);
    return 0;
}
