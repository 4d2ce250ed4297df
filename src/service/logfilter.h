/*
 * vouch run platform — the Cloud Logging filter language (the `filter` of
 * POST /v2/entries:list), parsed to an AST and evaluated on one LogEntry
 * (a jansson object). docs/audit.md describes the language; in short:
 *
 *   filter  := [ and ]                      empty: every entry matches
 *   and     := or { [ "AND" ] or }          juxtaposition is AND
 *   or      := unary { "OR" unary }         OR binds tighter than AND,
 *                                           as in Cloud Logging
 *   unary   := ( "NOT" | "-" ) unary | primary
 *   primary := "(" and ")" | path op value | path ":*" | text
 *   path    := segment { "." segment }      segment: name or "quoted"
 *   op      := "=" | "!=" | ":" | ">=" | "<=" | ">" | "<"
 *   value   := "quoted string" | bare-word | "(" value { "OR" value } ")"
 *   text    := "quoted string" | bare-word  (global search)
 *
 * A path through an array matches when ANY element matches. `:` is a
 * case-insensitive substring test; `=` is exact. Ordering operators
 * compare RFC 3339 timestamps as instants, severities by rank (DEFAULT <
 * DEBUG < INFO < NOTICE < WARNING < ERROR < CRITICAL < ALERT < EMERGENCY),
 * numbers numerically and other strings bytewise. A bare word or a quoted
 * string on its own matches an entry when any string value in it contains
 * the text, ignoring case.
 *
 * Thread safety: a parsed filter is immutable; it may be shared between
 * threads and evaluated concurrently.
 */
#ifndef VOUCH_PLATFORM_LOGFILTER_H
#define VOUCH_PLATFORM_LOGFILTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "vouch/common.h"

/* Longest filter accepted (Cloud Logging's limit). */
#define VOUCH_LOGFILTER_MAX_BYTES 20000u
/* Deepest nesting of parentheses and NOT/- accepted. */
#define VOUCH_LOGFILTER_MAX_DEPTH 64u

typedef struct vouch_logfilter vouch_logfilter;

/**
 * Parse a filter.
 *
 * Reads exactly `len` bytes of `text` (no NUL needed). An empty or blank
 * filter is valid and matches every entry.
 *
 * @param[out] out  On success the filter; caller owns it, free with
 *                  vouch_logfilter_free(). NULL on failure.
 * @param[out] err  On failure: source "filter", line and column (1-based,
 *                  in bytes) of the fault, and what was expected there,
 *                  e.g. "filter:1:17: expected a value after '='".
 * @return 0; VOUCH_EINVAL (malformed filter); VOUCH_ETOOBIG (over
 *         VOUCH_LOGFILTER_MAX_BYTES, or nested deeper than
 *         VOUCH_LOGFILTER_MAX_DEPTH); VOUCH_ENOMEM.
 *
 * Thread safety: reentrant.
 */
int vouch_logfilter_parse(vouch_logfilter **out, const char *text,
                          size_t len, vouch_error *err);

/** Free a filter. NULL is a no-op. */
void vouch_logfilter_free(vouch_logfilter *filter);

/**
 * Does `entry` (a LogEntry object; borrowed) match? A NULL filter matches
 * everything.
 *
 * Thread safety: reentrant; the filter is not modified.
 */
bool vouch_logfilter_match(const vouch_logfilter *filter,
                           const json_t *entry);

/**
 * When every match must have `logName` equal to one value (the filter is
 * `logName="…"`, possibly ANDed with more), that value, so a list can use
 * the store's logName index; NULL otherwise. Borrowed; valid until the
 * filter is freed.
 */
const char *vouch_logfilter_log_name(const vouch_logfilter *filter);

/*
 * What a list can read from indexes instead of testing every entry:
 * conditions at the top level of the filter (alone, or ANDed with more)
 * that every match must meet. Each field is unset when the filter says
 * nothing a list can use.
 */
typedef struct vouch_logfilter_bounds {
    const char *log_name;       /* logName="…"; borrowed */
    const char *resource_type;  /* resource.type="…"; borrowed */
    bool has_min;               /* timestamp >= or > or = an instant */
    long long min_sec;
    long min_nsec;
    bool has_max;               /* timestamp <= or < or = an instant */
    long long max_sec;
    long max_nsec;
} vouch_logfilter_bounds;

/** The bounds of `filter` (NULL: none). Valid until it is freed. */
void vouch_logfilter_bounds_get(const vouch_logfilter *filter,
                                vouch_logfilter_bounds *out);

/* Bytes of a value that count as one term (vouch_logfilter_terms). */
#define VOUCH_LOGFILTER_TERM_BYTES 64u

/**
 * The work of testing one entry, in terms: each value of a comparison
 * counts one, each global-search word and each value of `:` two (they
 * read every string of the entry, or of the field), plus one for every
 * VOUCH_LOGFILTER_TERM_BYTES bytes of the value; `path:*` counts one. 0
 * for a filter that matches everything (NULL or empty). A 20,000-byte
 * filter has at most about 13,000 terms ("-a -a -a …").
 */
size_t vouch_logfilter_terms(const vouch_logfilter *filter);

#endif /* VOUCH_PLATFORM_LOGFILTER_H */
