/*
 * The decision object: per-image verdicts and reasons, per-attestor
 * results, the overall outcome, the summary message and the decision JSON
 * (docs/semantics.md, "The decision JSON").
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "decision.h"
#include "internal.h"

/*
 * The decision and the first part of its arena are one allocation, small
 * enough for the allocator's fast path: a one-image ALLOW needs about 400
 * bytes (the image, the attestor names, their reasons), so a warm decision
 * costs one malloc and one free. Larger decisions chain extra blocks.
 */
#define ARENA_INLINE 640
#define ARENA_BLOCK 2048

typedef struct arena_block {
    struct arena_block *next;
    size_t used;
    size_t size;
    char data[];
} arena_block;

typedef struct decision_attestor {
    const char *name;
    const char *reason;
    int satisfied;
} decision_attestor;

typedef struct decision_image {
    const char *image;
    const char *reason;
    vouch_verdict verdict;
    decision_attestor *attestors;
    size_t attestor_count;
} decision_image;

struct vouch_decision {
    vouch_outcome outcome;
    const char *message;
    const char *rule;         /* static, or in the arena */
    size_t image_count;
    decision_image *images;
    arena_block *arena;       /* blocks past the inline part */
    size_t inline_used;
    _Alignas(16) char inline_data[ARENA_INLINE];
};

void *vouch__decision_alloc(vouch_decision *d, size_t size)
{
    arena_block *b = d->arena;
    void *p;

    size = (size + 15u) & ~(size_t)15u;
    if (ARENA_INLINE - d->inline_used >= size) {
        p = d->inline_data + d->inline_used;
        d->inline_used += size;
        return p;
    }
    if (b == NULL || b->size - b->used < size) {
        size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;

        b = malloc(sizeof(*b) + cap);
        if (b == NULL) {
            return NULL;
        }
        b->next = d->arena;
        b->used = 0;
        b->size = cap;
        d->arena = b;
    }
    p = b->data + b->used;
    b->used += size;
    return p;
}

vouch_decision *vouch__decision_new(size_t image_count)
{
    vouch_decision *d;

    if (image_count > SIZE_MAX / 2 / sizeof(*d->images)) {
        return NULL;
    }
    d = malloc(sizeof(*d));
    if (d == NULL) {
        return NULL;
    }
    d->outcome = VOUCH_OUTCOME_DENY;
    d->message = NULL;
    d->rule = "defaultAdmissionRule";
    d->image_count = image_count;
    d->images = NULL;
    d->arena = NULL;
    d->inline_used = 0;
    if (image_count > 0) {
        d->images = vouch__decision_alloc(d, image_count *
                                                 sizeof(*d->images));
        if (d->images == NULL) {
            vouch_decision_free(d);
            return NULL;
        }
        memset(d->images, 0, image_count * sizeof(*d->images));
    }
    return d;
}

const char *vouch__decision_printf(vouch_decision *d, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    char *p;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return NULL;
    }
    p = vouch__decision_alloc(d, (size_t)n + 1);
    if (p == NULL) {
        return NULL;
    }
    if ((size_t)n < sizeof(small)) {
        memcpy(p, small, (size_t)n + 1);
    } else {
        va_start(ap, fmt);
        vsnprintf(p, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return p;
}

const char *vouch__decision_copy(vouch_decision *d, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = vouch__decision_alloc(d, n);

    if (p != NULL) {
        memcpy(p, s, n);
    }
    return p;
}

void vouch__decision_set_rule(vouch_decision *d, const char *rule)
{
    d->rule = rule;
}

void vouch__decision_set_image(vouch_decision *d, size_t index,
                               const char *image, vouch_verdict verdict,
                               const char *reason)
{
    d->images[index].image = image;
    d->images[index].verdict = verdict;
    d->images[index].reason = reason;
}

int vouch__decision_reserve_attestors(vouch_decision *d, size_t index,
                                      size_t count)
{
    if (count == 0) {
        return VOUCH_OK;
    }
    d->images[index].attestors =
        vouch__decision_alloc(d, count * sizeof(*d->images[index].attestors));
    return d->images[index].attestors == NULL ? VOUCH_ENOMEM : VOUCH_OK;
}

void vouch__decision_add_attestor(vouch_decision *d, size_t index,
                                  const char *name, int satisfied,
                                  const char *reason)
{
    decision_image *img = &d->images[index];
    decision_attestor *a = &img->attestors[img->attestor_count++];

    a->name = name;
    a->satisfied = satisfied;
    a->reason = reason;
}

int vouch__decision_finish(vouch_decision *d, int dry_run, int breakglass)
{
    size_t denied = 0;
    size_t i;
    size_t len = 0;
    size_t cap;
    char *msg;
    const char *lead;

    for (i = 0; i < d->image_count; i++) {
        if (d->images[i].verdict == VOUCH_VERDICT_DENIED) {
            denied++;
            len += strlen(d->images[i].image) + strlen(d->images[i].reason) +
                   64;
        }
    }
    if (denied == 0) {
        d->outcome = breakglass ? VOUCH_OUTCOME_ALLOW_BREAKGLASS
                                : VOUCH_OUTCOME_ALLOW;
        d->message = breakglass
            ? "Breakglass used: every image is authorized by policy, and "
              "the breakglass justification is logged."
            : "Every image is authorized by policy.";
        return VOUCH_OK;
    }
    if (dry_run) {
        d->outcome = VOUCH_OUTCOME_ALLOW_DRYRUN;
        lead = "Dry run, allowed but logged: ";
    } else if (breakglass) {
        d->outcome = VOUCH_OUTCOME_ALLOW_BREAKGLASS;
        lead = "Breakglass, allowed but logged: ";
    } else {
        d->outcome = VOUCH_OUTCOME_DENY;
        lead = "";
    }
    cap = len + strlen(lead) + 1;
    msg = vouch__decision_alloc(d, cap);
    if (msg == NULL) {
        return VOUCH_ENOMEM;
    }
    len = (size_t)snprintf(msg, cap, "%s", lead);
    for (i = 0; i < d->image_count; i++) {
        const decision_image *img = &d->images[i];

        if (img->verdict != VOUCH_VERDICT_DENIED) {
            continue;
        }
        len += (size_t)snprintf(msg + len, cap - len, "%sContainer image "
                                "'%s' is not authorized by policy: %s.",
                               len > strlen(lead) ? " " : "", img->image,
                               img->reason);
    }
    d->message = msg;
    return VOUCH_OK;
}

VOUCH_API void vouch_decision_free(vouch_decision *d)
{
    arena_block *b;

    if (d == NULL) {
        return;
    }
    b = d->arena;
    while (b != NULL) {
        arena_block *next = b->next;

        free(b);
        b = next;
    }
    free(d);
}

VOUCH__GETTER(vouch_outcome, decision, outcome)
VOUCH__GETTER(size_t, decision, image_count)

VOUCH_API const char *vouch_decision_image(const vouch_decision *d,
                                           size_t index)
{
    return index < d->image_count ? d->images[index].image : NULL;
}

VOUCH_API vouch_verdict vouch_decision_verdict(const vouch_decision *d,
                                               size_t index)
{
    return index < d->image_count ? d->images[index].verdict
                                  : VOUCH_VERDICT_DENIED;
}

VOUCH_API const char *vouch_decision_reason(const vouch_decision *d,
                                            size_t index)
{
    return index < d->image_count ? d->images[index].reason : NULL;
}

VOUCH_API size_t vouch_decision_attestor_count(const vouch_decision *d,
                                               size_t image)
{
    return image < d->image_count ? d->images[image].attestor_count : 0;
}

static const decision_attestor *attestor_at(const vouch_decision *d,
                                            size_t image, size_t index)
{
    if (image >= d->image_count ||
        index >= d->images[image].attestor_count) {
        return NULL;
    }
    return &d->images[image].attestors[index];
}

VOUCH_API const char *vouch_decision_attestor_name(const vouch_decision *d,
                                                   size_t image,
                                                   size_t index)
{
    const decision_attestor *a = attestor_at(d, image, index);

    return a != NULL ? a->name : NULL;
}

VOUCH_API int vouch_decision_attestor_satisfied(const vouch_decision *d,
                                                size_t image, size_t index)
{
    const decision_attestor *a = attestor_at(d, image, index);

    return a != NULL && a->satisfied;
}

VOUCH_API const char *vouch_decision_attestor_reason(const vouch_decision *d,
                                                     size_t image,
                                                     size_t index)
{
    const decision_attestor *a = attestor_at(d, image, index);

    return a != NULL ? a->reason : NULL;
}

VOUCH__GETTER(const char *, decision, rule)
VOUCH__GETTER(const char *, decision, message)

VOUCH_API const char *vouch_outcome_name(vouch_outcome outcome)
{
    switch (outcome) {
    case VOUCH_OUTCOME_ALLOW: return "ALLOW";
    case VOUCH_OUTCOME_DENY: return "DENY";
    case VOUCH_OUTCOME_ALLOW_DRYRUN: return "ALLOW_DRYRUN";
    case VOUCH_OUTCOME_ALLOW_BREAKGLASS: return "ALLOW_BREAKGLASS";
    }
    return "DENY";
}

VOUCH_API const char *vouch_verdict_name(vouch_verdict verdict)
{
    switch (verdict) {
    case VOUCH_VERDICT_EXEMPT: return "EXEMPT";
    case VOUCH_VERDICT_ALLOWED: return "ALLOWED";
    case VOUCH_VERDICT_DENIED: return "DENIED";
    }
    return "DENIED";
}

/* The decision JSON; its field names are written only here. */
static json_t *decision_to_json(const vouch_decision *d)
{
    json_t *root = json_object();
    json_t *images = json_array();
    size_t i;
    size_t j;
    int bad = 0;

    if (root == NULL || images == NULL) {
        json_decref(root);
        json_decref(images);
        return NULL;
    }
    bad |= json_object_set_new(root, "decision",
                               json_string(vouch_outcome_name(d->outcome)));
    bad |= json_object_set_new(root, "images", images);
    for (i = 0; i < d->image_count; i++) {
        const decision_image *img = &d->images[i];
        json_t *obj = json_object();
        json_t *atts = json_array();

        bad |= json_array_append_new(images, obj);
        bad |= json_object_set_new(obj, "image", json_string(img->image));
        bad |= json_object_set_new(obj, "verdict",
                                   json_string(vouch_verdict_name(
                                       img->verdict)));
        bad |= json_object_set_new(obj, "reason", json_string(img->reason));
        bad |= json_object_set_new(obj, "attestors", atts);
        for (j = 0; j < img->attestor_count; j++) {
            const decision_attestor *a = &img->attestors[j];
            json_t *aj = json_object();

            bad |= json_array_append_new(atts, aj);
            bad |= json_object_set_new(aj, "name", json_string(a->name));
            bad |= json_object_set_new(aj, "satisfied",
                                       json_boolean(a->satisfied));
            bad |= json_object_set_new(aj, "reason", json_string(a->reason));
        }
    }
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

VOUCH_API int vouch_decision_to_json(const vouch_decision *d, int indent,
                                     char **out, vouch_error *err)
{
    json_t *root = decision_to_json(d);

    *out = NULL;
    if (root != NULL) {
        *out = json_dumps(root, (indent > 0 ? JSON_INDENT(indent) : 0) |
                                    JSON_PRESERVE_ORDER);
        json_decref(root);
    }
    if (*out == NULL) {
        return vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                "out of memory printing the decision");
    }
    return VOUCH_OK;
}
