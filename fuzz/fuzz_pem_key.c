/*
 * Fuzz target: PKIX public keys (vouch_public_key_new_pkix with the
 * algorithm inferred, and with a fixed algorithm taken from the first input
 * byte) and vouch_key_default_id. When a key loads, verify a fixed payload
 * with the input's tail as a signature.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "vouch/key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char payload[] = "payload\n";
    vouch_public_key *key = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_signature_algorithm alg;
    char *id = NULL;

    if (vouch_public_key_new_pkix(&key, (const char *)data, size,
                                  VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, NULL,
                                  NULL, &err) == 0) {
        (void)vouch_public_key_verify(key, payload, sizeof(payload) - 1,
                                      data, size > 72 ? 72 : size, &err);
        vouch_public_key_free(key);
        key = NULL;
    }
    if (size > 0) {
        alg = (vouch_signature_algorithm)(data[0] %
                                          VOUCH_SIGNATURE_ALGORITHM_COUNT);
        if (vouch_public_key_new_pkix(&key, (const char *)data + 1, size - 1,
                                      alg, "ni:///x", "c", &err) == 0) {
            vouch_public_key_free(key);
        }
    }
    if (vouch_key_default_id((const char *)data, size, &id, &err) == 0) {
        vouch_free(id);
    }
    return 0;
}
