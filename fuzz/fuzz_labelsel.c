/*
 * libFuzzer target for Kubernetes label selectors (src/api/labelsel.c),
 * the `labelSelector` of Cloud Run v1 lists. Every error has a position
 * inside the input; a parsed selector matches against a fixed label map.
 * Seed corpus: fuzz/corpus/labelsel/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "labelsel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    api_labelsel *sel = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    /* A copy of exactly `size` bytes, so ASan flags any over-read. */
    char *copy = malloc(size > 0 ? size : 1);
    json_t *labels = json_pack("{s:s,s:s,s:s}", "serving.knative.dev/service",
                               "web", "run.googleapis.com/runningState",
                               "Succeeded", "empty", "");

    if (copy == NULL || labels == NULL) {
        free(copy);
        json_decref(labels);
        return 0;
    }
    if (size > 0) {
        memcpy(copy, data, size);
    }
    if (api_labelsel_parse(copy, size, &sel, &err) == 0) {
        (void)api_labelsel_match(sel, labels);
        (void)api_labelsel_match(sel, NULL);
        (void)api_labelsel_pinned(sel, "serving.knative.dev/service");
        api_labelsel_free(sel);
    } else if (err.column == 0 || err.column > size + 1 || sel != NULL) {
        abort();   /* every error has a position inside the input */
    }
    json_decref(labels);
    free(copy);
    return 0;
}
