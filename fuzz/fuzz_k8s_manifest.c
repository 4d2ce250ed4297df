/*
 * libFuzzer target for what `vouch evaluate --manifest` reads: the bytes
 * are a YAML stream (or JSON text) of Kubernetes objects, read by
 * vutil_docs_parse() (src/util/vutil_docs.h) and each document by
 * vk8s_workload_read() (src/k8s). Every refusal must say why, and the
 * path of a malformed object is looked up in the input's positions. Seed
 * corpus: fuzz/corpus/k8s_manifest/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vutil_docs.h"
#include "vk8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vutil_docs *docs = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    if (vutil_docs_parse(&docs, (const char *)data, size,
                              VOUCH_FORMAT_AUTO, 1u << 20, "m.yaml",
                              &err) < 0) {
        if (err.message[0] == '\0' || docs != NULL) {
            abort();
        }
        return 0;
    }
    for (size_t i = 0; i < vutil_docs_count(docs); i++) {
        vk8s_workload *w = NULL;
        vk8s_where where = VK8S_WHERE_INIT;
        uint32_t line = 0;
        uint32_t column = 0;

        err = (vouch_error)VOUCH_ERROR_INIT;
        if (vk8s_workload_read(&w, vutil_docs_get(docs, i), NULL, NULL,
                               "default", NULL, &where, &err) < 0) {
            if (err.message[0] == '\0') {
                abort(); /* an error with no reason */
            }
            /* Placed where the document keeps positions (an empty
             * collection has none in libfyaml 0.7): no crash either way. */
            vutil_docs_position(docs, i, where.seg, where.depth, &line,
                                     &column);
            continue;
        }
        for (size_t j = 0; j < w->image_count; j++) {
            char path[256];

            vk8s_image_path(w, j, path, sizeof(path));
            if (w->refs[j] == NULL || path[0] == '\0') {
                abort();
            }
        }
        vk8s_workload_free(w);
    }
    vutil_docs_free(docs);
    return 0;
}
