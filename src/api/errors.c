/*
 * vouchd — Google's error shape (errors.h).
 */
#include "errors.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *error_object(unsigned http, const char *status,
                            const char *message)
{
    return json_pack("{s:{s:I,s:s,s:s}}", "error", "code", (json_int_t)http,
                     "message", message, "status", status);
}

char *api_error_body(unsigned http, const char *status, const char *message)
{
    json_t *root;
    char *text = NULL;
    char *out = NULL;
    size_t len;

    root = error_object(http, status, message != NULL ? message : "");
    if (root == NULL) {
        /* Not valid UTF-8 (it quoted the input): say so instead. */
        root = error_object(http, status,
                            "(error message is not valid UTF-8)");
    }
    if (root == NULL) {
        goto cleanup;
    }
    text = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (text == NULL) {
        goto cleanup;
    }
    len = strlen(text);
    out = malloc(len + 2);
    if (out == NULL) {
        goto cleanup;
    }
    memcpy(out, text, len);
    out[len] = '\n';
    out[len + 1] = '\0';

cleanup:
    free(text);
    json_decref(root);
    return out;
}
