/*
 * libFuzzer target for the untrusted inputs of src/registry/auth.c and
 * registry.c: the WWW-Authenticate challenge, the token server answer, the
 * credentials file and registry error bodies. The first byte picks the
 * parser; the rest is the input.
 *
 * Lives here until fuzz/meson.build can link vouchregistry; how to build
 * and run it by hand: docs/registry.md, "Fuzzing".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data + 1;
    size_t len = size > 0 ? size - 1 : 0;
    vouch_error err = VOUCH_ERROR_INIT;

    if (size == 0) {
        return 0;
    }
    switch (data[0] % 4) {
    case 0: {
        vouch__auth_challenge ch;
        if (vouch__auth_challenge_parse(&ch, in, len, &err) == 0) {
            vouch__auth_challenge_clear(&ch);
        }
        break;
    }
    case 1: {
        char *tok = NULL;
        long exp = 0;
        if (vouch__token_parse(in, len, &tok, &exp, &err) == 0) {
            if (tok == NULL || exp < 1 || strchr(tok, ' ') != NULL) {
                abort();
            }
        }
        free(tok);
        break;
    }
    case 2: {
        vouch__credentials *c = NULL;
        if (vouch__credentials_parse(&c, in, len, "fuzz", &err) == 0) {
            for (size_t i = 0; i < c->count; i++) {
                if (vouch__credentials_find(c, c->items[i].registry) ==
                    NULL) {
                    abort();
                }
            }
        }
        vouch__credentials_free(c);
        break;
    }
    default: {
        char buf[64];
        vouch__registry_error_message(in, len, buf, sizeof(buf));
        for (const char *p = buf; *p; p++) {
            if ((unsigned char)*p < 0x20) {
                abort();
            }
        }
        break;
    }
    }
    return 0;
}
