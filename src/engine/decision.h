/*
 * Library-internal: building a vouch_decision (evaluate.c fills it; the
 * getters and the JSON are in decision.c). All strings of a decision live
 * in one arena owned by it, whose first part is inside the decision: a
 * one-image decision costs one allocation.
 */
#ifndef VOUCH_DECISION_INTERNAL_H
#define VOUCH_DECISION_INTERNAL_H

#include "vouch/evaluate.h"

/* Allocate a decision with room for `image_count` images. NULL on ENOMEM. */
vouch_decision *vouch__decision_new(size_t image_count);

/* `size` bytes (16-byte aligned) of the decision's arena, freed with it;
 * NULL on ENOMEM. */
void *vouch__decision_alloc(vouch_decision *d, size_t size);

/* printf into the decision's arena; NULL on ENOMEM. */
const char *vouch__decision_printf(vouch_decision *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copy `s` into the decision's arena (cheaper than printf "%s"). */
const char *vouch__decision_copy(vouch_decision *d, const char *s);

/* The rule the request was decided by (vouch_decision_rule()); the
 * string must live as long as the decision: from the arena, or static. */
void vouch__decision_set_rule(vouch_decision *d, const char *rule);

/* Set image `index`; strings must live as long as the decision: from the
 * arena, or static. */
void vouch__decision_set_image(vouch_decision *d, size_t index,
                               const char *image, vouch_verdict verdict,
                               const char *reason);

/* Give image `index` room for `count` attestor results. 0 or ENOMEM. */
int vouch__decision_reserve_attestors(vouch_decision *d, size_t index,
                                      size_t count);

/* Append an attestor result to image `index` (room reserved before). */
void vouch__decision_add_attestor(vouch_decision *d, size_t index,
                                  const char *name, int satisfied,
                                  const char *reason);

/* Decide the outcome from the verdicts, and write the summary message. */
int vouch__decision_finish(vouch_decision *d, int dry_run,
                           int breakglass);

#endif /* VOUCH_DECISION_INTERNAL_H */
