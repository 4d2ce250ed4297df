/*
 * vouch — Binary Authorization exempt-image patterns
 * (admissionWhitelistPatterns[].namePattern) and compiled pattern sets.
 *
 * Grammar: a pattern is an image name `registry/path` (normalised by the
 * rule of image_ref.h) optionally ending in `*` or `**`. A wildcard may only
 * be the last one or two characters, and only after the first '/', so the
 * registry part is always literal. Trailing `*` matches any run of
 * characters without '/'; trailing `**` matches any run, '/' included; a
 * pattern without wildcard equals the image name, with any tag or digest.
 * Matching is on the image *name* only (tag and digest never take part) and
 * is anchored at the registry, so a trusted registry name inside another
 * registry's path never matches.
 */
#ifndef VOUCH_PATTERN_H
#define VOUCH_PATTERN_H

#include "vouch/common.h"
#include "vouch/image_ref.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vouch_pattern_set vouch_pattern_set;

/**
 * Check one pattern.
 *
 * @param data  The pattern; borrowed, need not be NUL-terminated.
 * @param len   At most VOUCH_PATTERN_MAX_BYTES.
 * @param[out] err  May be NULL; err->column is the 1-based position of the
 *                  fault in `data`.
 * @return 0; VOUCH_EINVAL (message says what is wrong and where);
 *         VOUCH_ETOOBIG.
 * Thread safety: reentrant.
 */
VOUCH_API int vouch_pattern_validate(const char *data, size_t len,
                                     vouch_error *err);

/**
 * Compile `count` patterns into a set whose match time is proportional to
 * the image name's length, whatever the number of patterns.
 *
 * @param[out] out  Caller owns it; free with vouch_pattern_set_free().
 * @param patterns  Borrowed; copied.
 * @param[out] err  On an invalid pattern the message starts with
 *                  "pattern N:" (N 0-based) and err->column is the position
 *                  within that pattern.
 * @return 0; VOUCH_EINVAL; VOUCH_ETOOBIG (more than
 *         VOUCH_POLICY_MAX_PATTERNS, or one pattern over
 *         VOUCH_PATTERN_MAX_BYTES: "pattern N: ..."); VOUCH_ENOMEM.
 * Thread safety: reentrant; the set is immutable and may be shared.
 */
VOUCH_API int vouch_pattern_set_new(vouch_pattern_set **out,
                                    const vouch_slice *patterns, size_t count,
                                    vouch_error *err);

/** Free a set. NULL is a no-op. */
VOUCH_API void vouch_pattern_set_free(vouch_pattern_set *set);

/**
 * Match a normalised image name ("registry/path", as from
 * vouch_image_ref_name()).
 *
 * @return the index (as given to vouch_pattern_set_new) of a matching
 *         pattern, or -1 when none matches. When several match, the lowest
 *         index is returned.
 * Thread safety: safe to call concurrently on one set.
 */
VOUCH_API long vouch_pattern_set_match(const vouch_pattern_set *set,
                                       const char *name, size_t len);

/** vouch_pattern_set_match() on a parsed reference's name. */
VOUCH_API long vouch_pattern_set_match_ref(const vouch_pattern_set *set,
                                           const vouch_image_ref *ref);

/** Number of patterns in the set. Reentrant. */
VOUCH_API size_t vouch_pattern_set_count(const vouch_pattern_set *set);

#ifdef __cplusplus
}
#endif

#endif /* VOUCH_PATTERN_H */
