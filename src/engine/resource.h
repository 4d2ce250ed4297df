/*
 * Library-internal checks shared by the resource readers (policy_read.c,
 * attestor.c), in resource.c: resource names, timestamps, quoting values
 * for messages, and string fields read from a vouch__doc.
 */
#ifndef VOUCH_RESOURCE_H
#define VOUCH_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "doc.h"

/* True for a byte of an id segment: [A-Za-z0-9._~:-]. */
bool vouch__project_id_char(char c);

/*
 * True when `s` (`n` bytes) is "C1/ID1/C2/ID2..." where `collections` is a
 * NULL-terminated list of the literal collection names ("projects",
 * "attestors") and every ID is a well-formed segment: 1..128 bytes of
 * [A-Za-z0-9._~:-]. A trailing literal without an id (e.g. "policy") is
 * given as the last collection with `last_is_literal`.
 */
bool vouch__resource_name_ok(const char *s, size_t n,
                             const char *const *collections,
                             bool last_is_literal);

/* True for RFC 3339 UTC "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z", valid date. */
bool vouch__timestamp_ok(const char *s, size_t n);

/*
 * Read the string field `key` of `parent` (absent: *out stays NULL),
 * validated by `check` when not NULL (failing with "expected WHAT").
 */
int vouch__doc_field_string(const vouch__doc *doc, vouch__node *parent,
                            vouch__path *path, const char *key,
                            bool (*check)(const char *, size_t),
                            const char *what, char **out, vouch_error *err);

/*
 * The member `key` of the mapping `map` into *out; when it is absent,
 * fail at `map` with "missing required field 'KEY'" (VOUCH_EINVAL).
 */
int vouch__doc_required(const vouch__doc *doc, vouch__node *map,
                        const vouch__path *path, const char *key,
                        vouch__node **out, vouch_error *err);

/*
 * The members `a` and `b` of `map`, of which exactly one must be present
 * (the other is NULL); both or neither fail at `map` with "exactly one of
 * A and B is required" (VOUCH_EINVAL).
 */
int vouch__doc_one_of(const vouch__doc *doc, vouch__node *map,
                      const vouch__path *path, const char *a,
                      const char *b, vouch__node **a_out,
                      vouch__node **b_out, vouch_error *err);

/* Write `s` quoted for a message, shortened and with controls masked. */
void vouch__quote_for_message(const char *s, size_t n, char *buf,
                              size_t size);

#endif /* VOUCH_RESOURCE_H */
