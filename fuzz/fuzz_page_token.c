/*
 * libFuzzer target for page tokens (src/store/pagetoken.c): a client
 * sends them back as it likes. Opening must never read past the token,
 * must refuse anything this key did not seal for this scope, and a
 * position sealed from the input must open to exactly that position.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pagetoken.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char key[VOUCH__PAGE_KEY_BYTES] = { 7, 1, 2, 3 };
    static const char *const scope[] = { "store list", "attestor",
                                         "projects/p", NULL, NULL };
    static const char *const other[] = { "store list", "attestor",
                                         "projects/q", NULL, NULL };
    /* A copy of exactly `size` bytes, so ASan flags any over-read. */
    char *copy = malloc(size > 0 ? size : 1);
    char *token = NULL;
    char *pos = NULL;

    if (copy == NULL) {
        return 0;
    }
    if (size > 0) {
        memcpy(copy, data, size);
    }
    if (vouch__page_token_open(key, scope, 5, copy, size, &pos) == 0) {
        if (pos == NULL || strlen(pos) + VOUCH__PAGE_TAG_BYTES > size) {
            abort();   /* a position longer than the token could hold */
        }
        free(pos);
        pos = NULL;
    } else if (pos != NULL) {
        abort();
    }
    /* The input as a position: it opens in its scope only. */
    if (vouch__page_token_seal(key, scope, 5, copy, size, &token) == 0) {
        if (vouch__page_token_open(key, scope, 5, token, strlen(token),
                                   &pos) != 0 ||
            strlen(pos) != size || memcmp(pos, copy, size) != 0) {
            abort();
        }
        free(pos);
        pos = NULL;
        if (vouch__page_token_open(key, other, 5, token, strlen(token),
                                   &pos) == 0) {
            abort();
        }
        free(token);
    }
    free(copy);
    return 0;
}
