/*
 * Library-internal: the model readers (vouch__doc_reader, doc.h) of each
 * resource. vouch_*_parse() and vouch_*_from_json_value() run them through
 * vouch__doc_parse() and vouch__doc_parse_value(); tests, fuzz targets and
 * benchmarks run them over one chosen tree (vouch__doc_load() for the
 * position-keeping libfyaml tree, vouch__doc_load_json() for jansson).
 */
#ifndef VOUCH_READERS_H
#define VOUCH_READERS_H

#include "doc.h"

/* `out` is a vouch_policy **; set only on success. */
int vouch__policy_reader(const vouch__doc *doc, void *out, vouch_error *err);

/* `out` is a vouch_attestor **; set only on success. */
int vouch__attestor_reader(const vouch__doc *doc, void *out,
                           vouch_error *err);

/* `out` is a vouch_attestation **; set only on success. */
int vouch__occurrence_reader(const vouch__doc *doc, void *out,
                             vouch_error *err);

/* `out` is a vouch_attestation_list **; set only on success. */
int vouch__occurrence_list_reader(const vouch__doc *doc, void *out,
                                  vouch_error *err);

/*
 * Define the vouch__doc_reader NAME of the model vouch_TYPE that READ fills
 * in (`int READ(const vouch__doc *, vouch_TYPE *, vouch_error *)`): NAME
 * allocates a zeroed model, frees it with vouch_TYPE_free() when READ fails
 * and otherwise stores it in `out`. Running out of memory fails with
 * VOUCH_ENOMEM "out of memory" at the document's source.
 */
#define VOUCH__MODEL_READER(name, type, read)                                \
    int name(const vouch__doc *doc, void *out, vouch_error *err)             \
    {                                                                        \
        vouch_##type *model = calloc(1, sizeof(*model));                     \
        int rc;                                                              \
                                                                             \
        if (model == NULL) {                                                 \
            return vouch__error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,    \
                                    "out of memory");                        \
        }                                                                    \
        rc = read(doc, model, err);                                          \
        if (rc < 0) {                                                        \
            vouch_##type##_free(model);                                      \
            return rc;                                                       \
        }                                                                    \
        *(vouch_##type **)out = model;                                       \
        return 0;                                                            \
    }

/*
 * Define the public vouch_TYPE_parse() (a document of at most MAX_BYTES)
 * and vouch_TYPE_from_json_value(), which set `*out` to NULL and run
 * READER through vouch__doc_parse() and vouch__doc_parse_value().
 */
#define VOUCH__MODEL_PARSERS(type, max_bytes, reader)                        \
    VOUCH_API int vouch_##type##_parse(vouch_##type **out, const char *data, \
                                       size_t len, vouch_format format,      \
                                       const char *source, vouch_error *err) \
    {                                                                        \
        *out = NULL;                                                         \
        return vouch__doc_parse(data, len, format, max_bytes, source,        \
                                reader, out, err);                           \
    }                                                                        \
                                                                             \
    VOUCH_API int vouch_##type##_from_json_value(vouch_##type **out,         \
                                                 const json_t *value,        \
                                                 const char *source,         \
                                                 vouch_error *err)           \
    {                                                                        \
        *out = NULL;                                                         \
        return vouch__doc_parse_value(value, source, reader, out, err);      \
    }

#endif /* VOUCH_READERS_H */
