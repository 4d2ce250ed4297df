/*
 * vouchd — the occurrence list filter (Container Analysis
 * ListOccurrences `filter`), the subset vouchd supports:
 *
 *   filter := term { "AND" term }
 *   term   := field "=" string
 *           | "has_suffix" "(" "resourceUrl" "," string ")"
 *   field  := "resourceUrl" | "kind" | "noteName"
 *   string := '"' { any byte but '"' and '\', or '\' '"' | '\' '\' } '"'
 *
 * Whitespace (space, tab) may surround every token; AND is upper-case.
 * Each field at most once.
 */
#ifndef VOUCH_API_FILTER_H
#define VOUCH_API_FILTER_H

#include <stddef.h>

#include "vouch/common.h"

/* Longest filter accepted. */
#define API_FILTER_MAX_BYTES 4096u

typedef struct api_filter {
    char *resource_url;   /* normalised (vsvc_resource_uri_normal: no
                             https://); NULL: any */
    char *kind;           /* NULL: any */
    char *note_name;      /* NULL: any */
    char *resource_url_suffix;  /* has_suffix(resourceUrl, ...): what the
                                   URL must end with; NULL: any */
} api_filter;

/*
 * Parse `len` bytes of `text`. On failure err->code is VOUCH_EINVAL (or
 * VOUCH_ETOOBIG past API_FILTER_MAX_BYTES, VOUCH_ENOMEM), err->column the
 * 1-based byte position of the fault, and the message says what was
 * expected there. `out` is cleared on failure; free it with
 * api_filter_clear() on success.
 */
int api_filter_parse(const char *text, size_t len, api_filter *out,
                     vouch_error *err);

void api_filter_clear(api_filter *f);

#endif /* VOUCH_API_FILTER_H */
