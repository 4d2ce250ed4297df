/*
 * Fuzz target: OpenPGP public keys (vouch_public_key_new_pgp). When a key
 * loads, verify a fixed tiny attached message and a detached signature
 * with it (both fail, but exercise the key's verification path).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "vouch/key.h"

/* `gpg --store` of "x": a literal data packet, no signature. */
static const unsigned char message[] = {
    0xa3, 0x01, 0x0b, 0x62, 0x00, 0x00, 0x00, 0x00, 0x00, 0x78,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vouch_public_key *key = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    unsigned char *payload = NULL;
    size_t payload_len = 0;

    if (vouch_public_key_new_pgp(&key, (const char *)data, size, NULL,
                                 &err) != 0) {
        return 0;
    }
    (void)vouch_public_key_verify_attached(key, message, sizeof(message),
                                           &payload, &payload_len, &err);
    vouch_free(payload);
    (void)vouch_public_key_verify(key, message, sizeof(message), message,
                                  sizeof(message), &err);
    vouch_public_key_free(key);
    return 0;
}
