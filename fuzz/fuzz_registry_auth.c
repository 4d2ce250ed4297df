/*
 * libFuzzer target for the untrusted inputs of src/registry/: the
 * WWW-Authenticate challenge, the token server answer, the credentials
 * file (auth.c), registry error bodies and Retry-After (answer.c), and the
 * HOST[:PORT] entries of --registry-insecure / --registry-allow
 * (address.c). The first byte picks the parser; the rest is the input.
 *
 * Lives here until fuzz/meson.build can link vouchregistry; how to build
 * and run it by hand: docs/registry.md, "Fuzzing".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    switch (data[0] % 6) {
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
    case 3: {
        const char *code = vouch__registry_error_code(in, len);
        /* only a known code, never the registry's own text */
        if (code != NULL && (strlen(code) > 24 ||
                             strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") !=
                                 strlen(code))) {
            abort();
        }
        break;
    }
    case 4: {
        long ms = vouch__retry_after_ms(in, len, (time_t)1700000000);
        if (ms < -1 || ms > VOUCH__RETRY_AFTER_MAX_S * 1000L) {
            abort();
        }
        break;
    }
    default: {
        char host[VOUCH__HOST_MAX + 1];
        long port = -1;
        if (vouch__host_split(in, len, host, sizeof(host), &port) == 0) {
            if (host[0] == '\0' || port < 0 || port > 65535 ||
                strchr(host, '[') != NULL) {
                abort();
            }
        }
        break;
    }
    }
    return 0;
}
