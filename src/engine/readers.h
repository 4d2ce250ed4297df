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

#endif /* VOUCH_READERS_H */
