/*
 * libFuzzer target for the request guard (src/api/guard.c): Host,
 * Origin and Content-Type come from any client. The input is split on
 * '\n' into the method and the headers (libmicrohttpd hands them over as
 * C strings); the same fields are also tried as --public-host and
 * --allowed-origin values. Every refusal must carry a message and a
 * status, and a request must never pass with a Host the guard did not
 * accept.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS 7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const hosts[] = { "vouch.example.com",
                                         "proxy.example:8443" };
    static const char *const origins[] = { "https://console.example.com" };
    api_guard_config cfg = { "127.0.0.1:8080", 8080, hosts, 2, origins, 1,
                             false };
    const char *f[FIELDS] = { NULL };
    char *copy = malloc(size + 1);
    api_guard_request req;
    api_guard_result out;
    size_t n = 0;
    size_t i;

    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);
    copy[size] = '\0';
    f[n++] = copy;
    for (i = 0; i < size && n < FIELDS; i++) {
        if (copy[i] == '\n') {
            copy[i] = '\0';
            f[n++] = copy + i + 1;
        }
    }
    req.method = f[0];
    req.host = f[1];
    req.origin = f[2];
    req.content_type = f[3];
    req.content_length = f[4];
    req.transfer_encoding = f[5];
    req.preflight_method = f[6];
    switch (api_guard_check(&cfg, &req, &out)) {
    case API_GUARD_REFUSE:
        if (out.status == NULL || out.message[0] == '\0' ||
            strlen(out.message) >= sizeof(out.message)) {
            abort();
        }
        break;
    case API_GUARD_PASS:
    case API_GUARD_PREFLIGHT:
        if (req.host == NULL || req.host[0] == '\0') {
            abort();
        }
        break;
    default:
        abort();
    }
    cfg.public_hosts = f;
    cfg.public_host_count = n;
    cfg.allowed_origins = f;
    cfg.allowed_origin_count = n;
    (void)api_guard_config_check(&cfg, NULL);
    free(copy);
    return 0;
}
