/*
 * libFuzzer target for the occurrence list filter (src/api/filter.c) and
 * the router (src/api/router.c): both read untrusted bytes from the URL.
 * Built by tests/api/meson.build: a real fuzzer with -Dfuzzing=true,
 * otherwise run over its seed corpus (tests/api/corpus/filter/).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    api_filter f;
    vouch_error err = VOUCH_ERROR_INIT;
    const api_route *route = NULL;
    char *params[3] = { NULL, NULL, NULL };
    char allow[64];
    /* A copy of exactly `size` bytes, so ASan flags any over-read. */
    char *copy = malloc(size > 0 ? size : 1);

    if (copy == NULL) {
        return 0;
    }
    if (size > 0) {
        memcpy(copy, data, size);
    }
    if (api_filter_parse(copy, size, &f, &err) == 0) {
        if (f.resource_url != NULL && strlen(f.resource_url) > size) {
            abort();
        }
        api_filter_clear(&f);
    } else if (err.column == 0 || err.column > size + 1) {
        abort();   /* every error has a position inside the input */
    }
    for (unsigned m = API_GET; m <= API_OTHER; m <<= 1) {
        if (api_router_match(copy, size, (api_method)m, &route, params, 3,
                             allow, sizeof(allow)) == API_MATCH_OK) {
            for (size_t i = 0; i < 3; i++) {
                free(params[i]);
                params[i] = NULL;
            }
        }
    }
    free(copy);
    return 0;
}
