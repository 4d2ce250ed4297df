/*
 * Library-internal: matching a pattern set against a reference already
 * scanned (evaluate.c scans each image once, into the decision's memory,
 * and never builds a vouch_image_ref for it).
 */
#ifndef VOUCH_PATTERN_INTERNAL_H
#define VOUCH_PATTERN_INTERNAL_H

#include <stddef.h>

#include "vouch/pattern.h"

/*
 * As vouch_pattern_set_match_ref() for the normalised name (`name_len`
 * bytes, not NUL-terminated), tag and digest (each NULL when absent).
 */
long vouch__pattern_set_match_parts(const vouch_pattern_set *set,
                                    const char *name, size_t name_len,
                                    const char *tag, size_t tag_len,
                                    const char *digest, size_t digest_len);

#endif /* VOUCH_PATTERN_INTERNAL_H */
