/*
 * Fuzz exempt patterns: the input is split on '\n' into patterns (at most
 * 32). Each is validated; when all are valid a set is built and matched
 * against names derived from the input (each line as an image reference,
 * and each line with its wildcard replaced). Oracles: the set builds iff
 * every pattern validates; a returned index is in range, its pattern alone
 * matches the image, and no lower pattern alone does.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/image_ref.h"
#include "vouch/pattern.h"

#define MAX_LINES 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long match_one(const vouch_slice *pattern, const vouch_image_ref *ref)
{
    vouch_pattern_set *one = NULL;
    long got;

    if (vouch_pattern_set_new(&one, pattern, 1, NULL) != 0) {
        abort();
    }
    got = vouch_pattern_set_match_ref(one, ref);
    vouch_pattern_set_free(one);
    return got;
}

static void probe(const vouch_pattern_set *set, const vouch_slice *lines,
                  size_t n, const char *text, size_t len)
{
    vouch_image_ref *ref = NULL;
    long got;
    long i;

    if (vouch_image_ref_parse(&ref, text, len, NULL) != 0) {
        return;
    }
    got = vouch_pattern_set_match_ref(set, ref);
    if (got < -1 || got >= (long)n) {
        abort();
    }
    if (got >= 0 && match_one(&lines[got], ref) != 0) {
        abort();
    }
    for (i = 0; i < (got < 0 ? (long)n : got) && i < 8; i++) {
        if (match_one(&lines[i], ref) != -1) {
            abort();
        }
    }
    /* By name alone the answer is never lower than with tag and digest. */
    {
        long by_name = vouch_pattern_set_match(set, vouch_image_ref_name(ref),
                                               vouch_image_ref_name_len(ref));

        if (by_name >= 0 && (got < 0 || by_name < got)) {
            abort();
        }
    }
    vouch_image_ref_free(ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    vouch_slice lines[MAX_LINES];
    vouch_pattern_set *set = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t n = 0;
    size_t start = 0;
    size_t i;
    bool all_valid = true;
    int rc;

    for (i = 0; i <= size && n < MAX_LINES; i++) {
        if (i == size || text[i] == '\n') {
            lines[n].ptr = text + start;
            lines[n].len = i - start;
            n++;
            start = i + 1;
        }
    }
    for (i = 0; i < n; i++) {
        if (vouch_pattern_validate(lines[i].ptr, lines[i].len, NULL) != 0) {
            all_valid = false;
        }
    }
    rc = vouch_pattern_set_new(&set, lines, n, &err);
    if ((rc == 0) != all_valid || (rc == 0) != (set != NULL)) {
        abort();
    }
    if (rc != 0) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        char buf[1100];
        size_t len = lines[i].len;

        probe(set, lines, n, lines[i].ptr, len);
        if (len < sizeof(buf) - 8) {
            /* Replace a trailing wildcard with a segment, then a path. */
            while (len > 0 && lines[i].ptr[len - 1] == '*') {
                len--;
            }
            memcpy(buf, lines[i].ptr, len);
            memcpy(buf + len, "x", 1);
            probe(set, lines, n, buf, len + 1);
            memcpy(buf + len, "x/y", 3);
            probe(set, lines, n, buf, len + 3);
        }
    }
    vouch_pattern_set_free(set);
    return 0;
}
