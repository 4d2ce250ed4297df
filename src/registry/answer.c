/*
 * The parts of a registry's answer that reach a message or a decision:
 * the error `code` of a distribution-spec error body and the Retry-After
 * header. Both are untrusted; neither lets the registry's own text through
 * (a registry's free-text `message` or `detail` could carry anything it
 * learned on its side of the network, so vouch never repeats it).
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "registry_internal.h"

/* The codes of the OCI distribution spec, and the ones Docker's registry
 * adds (UNKNOWN, UNAVAILABLE, TAG_INVALID, MANIFEST_UNVERIFIED). Anything
 * else a registry writes is not repeated. */
static const char *const known_codes[] = {
    "BLOB_UNKNOWN",        "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN",
    "DIGEST_INVALID",      "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID",
    "MANIFEST_UNKNOWN",    "MANIFEST_UNVERIFIED", "NAME_INVALID",
    "NAME_UNKNOWN",        "SIZE_INVALID",        "TAG_INVALID",
    "UNAUTHORIZED",        "DENIED",              "UNSUPPORTED",
    "TOOMANYREQUESTS",     "UNKNOWN",             "UNAVAILABLE",
};

const char *vouch__registry_error_code(const char *data, size_t len)
{
    json_t *root;
    json_t *code;
    const char *found = NULL;

    if (data == NULL || len == 0) {
        return NULL;
    }
    root = json_loadb(data, len, 0, NULL);
    code = json_object_get(json_array_get(json_object_get(root, "errors"),
                                          0), "code");
    if (json_is_string(code)) {
        for (size_t i = 0; i < sizeof(known_codes) / sizeof(known_codes[0]);
             i++) {
            if (strcmp(json_string_value(code), known_codes[i]) == 0 &&
                json_string_length(code) == strlen(known_codes[i])) {
                found = known_codes[i];
                break;
            }
        }
    }
    json_decref(root);
    return found;
}

long vouch__retry_after_ms(const char *value, size_t len, time_t now)
{
    char date[64];
    time_t when;
    long s = 0;
    size_t i = 0;

    for (; i < len && value[i] >= '0' && value[i] <= '9'; i++) {
        if (s < VOUCH__RETRY_AFTER_MAX_S) {
            s = s * 10 + (value[i] - '0');
        }
    }
    if (i == len && len > 0) {
        return (s > VOUCH__RETRY_AFTER_MAX_S ? VOUCH__RETRY_AFTER_MAX_S : s) *
               1000L;
    }
    /* the other form: an HTTP-date */
    if (len == 0 || len >= sizeof(date) || memchr(value, '\0', len)) {
        return -1;
    }
    memcpy(date, value, len);
    date[len] = '\0';
    when = curl_getdate(date, NULL);
    if (when == -1) {
        return -1;
    }
    if (when <= now) {
        return 0;
    }
    return when - now > VOUCH__RETRY_AFTER_MAX_S
               ? VOUCH__RETRY_AFTER_MAX_S * 1000L
               : (long)(when - now) * 1000L;
}
