/*
 * A check shared by the fuzz targets of the JSON model readers: the same
 * JSON bytes read through jansson's tree (the fast path every parse takes
 * first), through libfyaml's position-keeping tree (the path that places
 * errors), and from a json_t (vouch/jansson.h) must give the same verdict
 * and, when valid, print the same model. Aborts otherwise.
 *
 * A json_t has no text, so it cannot tell "-0" from 0: from a value, 0 is
 * accepted where the text "-0" is refused. That is the one way a value may
 * be accepted when the text is not.
 */
#ifndef VOUCH_FUZZ_TREES_H
#define VOUCH_FUZZ_TREES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vouch/common.h"

#include "doc.h"
#include "readers.h"

typedef struct fuzz_model_ops {
    vouch__doc_reader reader;
    int (*print)(const void *model, char **out);
    void (*release)(void *model);
    /* vouch_*_from_json_value; NULL when the model has none. */
    int (*from_value)(void **out, const json_t *value);
} fuzz_model_ops;

static int has_minus_zero(const uint8_t *data, size_t size)
{
    size_t i;

    for (i = 0; i + 1 < size; i++) {
        if (data[i] == '-' && data[i + 1] == '0') {
            return 1;
        }
    }
    return 0;
}

/* Read through one tree; returns the printed model or NULL (rc < 0). */
static char *fuzz_read_tree(const fuzz_model_ops *ops, const vouch__doc *doc,
                            int *rc)
{
    void *model = NULL;
    char *text = NULL;

    *rc = ops->reader(doc, &model, NULL);
    if (*rc == 0) {
        if (ops->print(model, &text) != 0) {
            abort();
        }
        ops->release(model);
    }
    return text;
}

static void fuzz_check_trees(const fuzz_model_ops *ops, const uint8_t *data,
                             size_t size, size_t max)
{
    vouch__doc jdoc;
    vouch__doc fdoc;
    json_t *value;
    char *t1 = NULL;
    char *t2 = NULL;
    char *t3 = NULL;
    int rc1;
    int rc2;

    if (vouch__doc_load_json(&jdoc, (const char *)data, size, max, "fuzz",
                             NULL) != 0) {
        return;     /* not JSON, or too deep: libfyaml alone reads it */
    }
    if (vouch__doc_load(&fdoc, (const char *)data, size, VOUCH_FORMAT_JSON,
                        max, "fuzz", NULL) != 0) {
        /* jansson accepts what libfyaml refuses: today that is an error
         * with libfyaml's position, never a model. */
        vouch__doc_close(&jdoc);
        return;
    }
    t1 = fuzz_read_tree(ops, &jdoc, &rc1);
    t2 = fuzz_read_tree(ops, &fdoc, &rc2);
    if ((rc1 == 0) != (rc2 == 0) ||
        (t1 != NULL && strcmp(t1, t2) != 0)) {
        fprintf(stderr, "trees differ: jansson %d, libfyaml %d\n", rc1,
                rc2);
        abort();
    }
    value = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
                       NULL);
    if (ops->from_value != NULL && value != NULL) {
        void *model = NULL;
        int rc3 = ops->from_value(&model, value);

        if (rc3 == 0) {
            if (ops->print(model, &t3) != 0) {
                abort();
            }
            ops->release(model);
        }
        if ((rc1 == 0 && (rc3 != 0 || strcmp(t1, t3) != 0)) ||
            (rc1 != 0 && rc3 == 0 && !has_minus_zero(data, size))) {
            fprintf(stderr, "value and text differ: %d, %d\n", rc3, rc1);
            abort();
        }
    }
    json_decref(value);
    vouch_free(t1);
    vouch_free(t2);
    vouch_free(t3);
    vouch__doc_close(&jdoc);
    vouch__doc_close(&fdoc);
}

#endif /* VOUCH_FUZZ_TREES_H */
