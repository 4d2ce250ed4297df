/*
 * libFuzzer target for compact JWT parsing (src/auth/jwt.c) and signature
 * checks (jwks.c) against a fixed key set: whatever the token, parsing
 * either fails or gives a header with an "alg", and verification never
 * succeeds (no input here is signed by these keys' private halves, which
 * nobody has).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jwks.h"
#include "jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Public keys made for the tests (tests/auth/test_jwt.c), kids r, e, d. */
static const char keys[] =
    "{\"keys\": ["
    "{\"kty\":\"RSA\",\"kid\":\"r\",\"e\":\"AQAB\",\"n\":\""
    "s-r0BtgRFfZOTgS7RG65gRv2qttDwTedZxIEczuz9OrjxWdDPPIZYK7tEnVpDwebZL"
    "4g91eB5EBEPPj6548KbBpK8jbTdkWOkfPwCJeMTmeB86E4o-8kVuv3JuceNHBrOM9q"
    "XGwMUD7UdEtM8RuWDaIv1fMm9IhELiK1Suu5no4hTh8ctyXQrj2su9F0nX5UAcWzGe"
    "H76RZynppdNo_jPTW3GaDlEPzjIoQfkPB_-XkLgm8l85Xr3JoZvpXB5oZSWHo5RytO"
    "WRj3PzfIfmDBZTuNmTxqncUbhNYt6_Wc_aT2l_JUsB7dx_n-Srua-MrvkkhqmxppDK"
    "egVGlLEeyk0w\"},"
    "{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-256\","
    "\"x\":\"EcvvPbQfZ9D3nLJr-oK-DkqTen1ZYM5rpWAhDkxA-NU\","
    "\"y\":\"sfpGDYOILrPQUx_O-JNGv4Y8KtYqJb68tsDC8Pem1q4\"},"
    "{\"kty\":\"OKP\",\"kid\":\"d\",\"crv\":\"Ed25519\","
    "\"x\":\"D0Qpf-2jk0k72CX_zTq0LuVGvk27Cpuo1N0Ud8wCWxc\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vouch_jwks *ks;
    vouch_jwt *jwt = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_slice input;

    if (ks == NULL &&
        vouch_jwks_parse(&ks, keys, sizeof(keys) - 1, NULL, NULL) != 0) {
        abort();
    }
    if (vouch_jwt_parse(&jwt, (const char *)data, size, &err) != 0) {
        if (jwt != NULL) {
            abort();
        }
        return 0;
    }
    input = vouch_jwt_signing_input(jwt);
    if (vouch_jwt_alg(jwt) == NULL || input.len >= size ||
        memcmp(input.ptr, data, input.len) != 0 ||
        vouch_jwt_claims(jwt) == NULL) {
        abort();
    }
    if (vouch_jwks_verify(ks, jwt, &err) == 0) {
        abort();
    }
    vouch_jwt_free(jwt);
    return 0;
}
