/*
 * What a decision means for Kubernetes (vk8s_verdict): allowed or not,
 * and the deny message in the form GKE's admission prints
 * (docs/kubernetes.md, "The deny message"):
 *
 *   image policy webhook backend denied one or more images: Denied by
 *   cluster admission rule for us-central1.prod. Denied by Attestor.
 *   Image gcr.io/p/app:1 denied by projects/p/attestors/built-by-ci:
 *   Attestor cannot attest to an image deployed by tag; deploy
 *   gcr.io/p/app@sha256:...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk8s_internal.h"
#include "vutil_str.h"

/* Longest warning written: kube-apiserver may cut longer ones. */
#define WARNING_MAX 256

#define MESSAGE_LEAD "image policy webhook backend denied one or more images"

static const char *const rule_phrases[VOUCH_RULE_MAP_COUNT] = {
    "cluster admission rule for",
    "Kubernetes namespace admission rule for",
    "Kubernetes service account admission rule for",
    "Istio service identity admission rule for",
};

/* The rule `name` (vouch_decision_rule()) names in `policy`, with its
 * map (-1 for the default rule) and key; NULL when not found. */
static const vouch_admission_rule *rule_of(const vouch_policy *policy,
                                           const char *name, int *map,
                                           const char **key)
{
    *map = -1;
    *key = NULL;
    if (name == NULL || strcmp(name, "defaultAdmissionRule") == 0) {
        return policy != NULL ? vouch_policy_default_rule(policy) : NULL;
    }
    for (int m = 0; m < VOUCH_RULE_MAP_COUNT; m++) {
        const char *field = vouch_rule_map_field((vouch_rule_map)m);
        size_t flen = strlen(field);

        if (strncmp(name, field, flen) != 0 || name[flen] != '[') {
            continue;
        }
        *map = m;
        for (size_t i = 0; policy != NULL &&
                           i < vouch_policy_rule_map_count(
                                   policy, (vouch_rule_map)m);
             i++) {
            const char *k =
                vouch_policy_rule_map_key(policy, (vouch_rule_map)m, i);
            size_t klen = strlen(k);

            if (strncmp(name + flen, "[\"", 2) == 0 &&
                strncmp(name + flen + 2, k, klen) == 0 &&
                strcmp(name + flen + 2 + klen, "\"]") == 0) {
                *key = k;
                return vouch_policy_rule_map_rule(policy, (vouch_rule_map)m,
                                                  i);
            }
        }
        return NULL;
    }
    return NULL;
}

/* "default admission rule", "cluster admission rule for us-east1.c". */
static void rule_phrase(FILE *f, const char *name)
{
    const char *open;

    if (name == NULL || strcmp(name, "defaultAdmissionRule") == 0) {
        fputs("default admission rule", f);
        return;
    }
    open = strstr(name, "[\"");
    for (int m = 0; open != NULL && m < VOUCH_RULE_MAP_COUNT; m++) {
        const char *field = vouch_rule_map_field((vouch_rule_map)m);

        if ((size_t)(open - name) == strlen(field) &&
            strncmp(name, field, strlen(field)) == 0) {
            size_t klen = strlen(open + 2);

            fprintf(f, "%s %.*s", rule_phrases[m],
                    (int)(klen >= 2 ? klen - 2 : 0), open + 2);
            return;
        }
    }
    fputs(name, f);
}

/* The reason without a final period, so sentences join with ". ". */
static void reason_text(FILE *f, const char *reason)
{
    size_t n = reason != NULL ? strlen(reason) : 0;

    while (n > 0 && reason[n - 1] == '.') {
        n--;
    }
    fprintf(f, "%.*s", (int)n, reason != NULL ? reason : "");
}

/* One sentence list: "Image X denied by A: why", one per failure. */
typedef struct sentences {
    char **items;
    size_t count;
    size_t cap;
    bool attestor;      /* some sentence names an attestor */
} sentences;

static int add_sentence(sentences *s, char *text)
{
    if (text == NULL) {
        return VOUCH_ENOMEM;
    }
    if (!vutil_grow(&s->items, &s->cap, s->count, sizeof(*s->items), 4)) {
        free(text);
        return VOUCH_ENOMEM;
    }
    s->items[s->count++] = text;
    return 0;
}

static void sentences_clear(sentences *s)
{
    for (size_t i = 0; i < s->count; i++) {
        free(s->items[i]);
    }
    free(s->items);
}

static char *reason_sentence(const char *image, const char *who,
                             const char *reason)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (f == NULL) {
        return NULL;
    }
    fprintf(f, "Image %s denied%s%s: ", image, who != NULL ? " by " : "",
            who != NULL ? who : "");
    reason_text(f, reason);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* An image by tag under a rule that needs attestations: each attestor
 * of the rule refuses it, as GKE says. */
static int tag_sentences(sentences *s, const char *image,
                         const vouch_admission_rule *rule)
{
    vouch_image_ref *ref = NULL;
    const char *name;
    int rc = 0;

    if (vouch_image_ref_parse(&ref, image, strlen(image), NULL) < 0) {
        return 1; /* not a reference at all: the engine's reason says so */
    }
    name = vouch_image_ref_name(ref);
    if (vouch_image_ref_digest(ref) != NULL ||
        vouch_admission_rule_attestor_count(rule) == 0) {
        vouch_image_ref_free(ref);
        return 1;
    }
    for (size_t j = 0; rc == 0 &&
                       j < vouch_admission_rule_attestor_count(rule);
         j++) {
        rc = add_sentence(
            s, vutil_aprintf("Image %s denied by %s: Attestor cannot attest to an "
                       "image deployed by tag; deploy %s@sha256:...",
                       image, vouch_admission_rule_attestor(rule, j), name));
    }
    s->attestor = true;
    vouch_image_ref_free(ref);
    return rc;
}

static int image_sentences(sentences *s, const vouch_decision *d, size_t i,
                           const vouch_admission_rule *rule)
{
    const char *image = vouch_decision_image(d, i);
    size_t failed = 0;
    int rc = 0;

    for (size_t j = 0; rc == 0 && j < vouch_decision_attestor_count(d, i);
         j++) {
        if (vouch_decision_attestor_satisfied(d, i, j)) {
            continue;
        }
        failed++;
        rc = add_sentence(s, reason_sentence(
                                 image, vouch_decision_attestor_name(d, i, j),
                                 vouch_decision_attestor_reason(d, i, j)));
    }
    if (rc < 0 || failed > 0) {
        s->attestor = s->attestor || failed > 0;
        return rc;
    }
    if (rule != NULL && vouch_admission_rule_evaluation_mode(rule) ==
                            VOUCH_REQUIRE_ATTESTATION) {
        rc = tag_sentences(s, image, rule);
        if (rc <= 0) {
            return rc;
        }
    }
    if (rule != NULL &&
        vouch_admission_rule_evaluation_mode(rule) == VOUCH_ALWAYS_DENY) {
        return add_sentence(s, vutil_aprintf("Image %s denied by always_deny "
                                       "admission rule", image));
    }
    return add_sentence(s, reason_sentence(image, NULL,
                                           vouch_decision_reason(d, i)));
}

static char *join_message(const sentences *s, const char *rule_name)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (f == NULL) {
        return NULL;
    }
    fputs(MESSAGE_LEAD ": Denied by ", f);
    rule_phrase(f, rule_name);
    fputs(".", f);
    if (s->attestor) {
        fputs(" Denied by Attestor.", f);
    }
    for (size_t i = 0; i < s->count; i++) {
        fprintf(f, " %s%s", s->items[i], i + 1 < s->count ? "." : "");
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Cut `text` to WARNING_MAX bytes at a UTF-8 boundary, marking the cut. */
static char *warning_of(const char *text)
{
    size_t n = strlen(text);
    char *out;

    if (n <= WARNING_MAX) {
        return vutil_strdup(text);
    }
    n = WARNING_MAX - 3;
    while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80) {
        n--;
    }
    out = malloc(n + 4);
    if (out != NULL) {
        memcpy(out, text, n);
        memcpy(out + n, "...", 4);
    }
    return out;
}

static int add_warning(vk8s_verdict *v, const char *text)
{
    char **items = realloc(v->warnings,
                           (v->warning_count + 1) * sizeof(*items));
    char *w;

    if (items == NULL) {
        return VOUCH_ENOMEM;
    }
    v->warnings = items;
    w = warning_of(text);
    if (w == NULL) {
        return VOUCH_ENOMEM;
    }
    v->warnings[v->warning_count++] = w;
    return 0;
}

static int make_warnings(vk8s_verdict *v, const vouch_decision *d,
                         const sentences *s)
{
    vouch_outcome o = vouch_decision_outcome(d);
    int rc = 0;

    if (o == VOUCH_OUTCOME_ALLOW_DRYRUN) {
        rc = add_warning(v, "vouch: dry run (DRYRUN_AUDIT_LOG_ONLY): the "
                            "policy would deny this request; it is allowed "
                            "and audited");
    } else if (o == VOUCH_OUTCOME_ALLOW_BREAKGLASS) {
        rc = add_warning(v, "vouch: break-glass: the annotation "
                            VK8S_BREAKGLASS_ANNOTATION " admits this "
                            "request whatever the policy says; it is "
                            "audited");
    } else {
        return 0;
    }
    for (size_t i = 0; rc == 0 && i < s->count; i++) {
        rc = add_warning(v, s->items[i]);
    }
    return rc;
}

int vk8s_verdict_make(vk8s_verdict *v, const vouch_decision *d,
                      const vouch_policy *policy, const char *skip)
{
    sentences s = {NULL, 0, 0, false};
    const vouch_admission_rule *rule;
    const char *key;
    int map;
    int rc = 0;

    *v = (vk8s_verdict)VK8S_VERDICT_INIT;
    if (d == NULL) {
        v->skip = skip;
        return 0;
    }
    v->outcome = vouch_outcome_name(vouch_decision_outcome(d));
    v->allowed = vouch_decision_outcome(d) != VOUCH_OUTCOME_DENY;
    if (vouch_decision_rule(d) != NULL) {
        v->rule = vutil_strdup(vouch_decision_rule(d));
        if (v->rule == NULL) {
            return VOUCH_ENOMEM;
        }
    }
    rule = rule_of(policy, vouch_decision_rule(d), &map, &key);
    for (size_t i = 0; rc == 0 && i < vouch_decision_image_count(d); i++) {
        if (vouch_decision_verdict(d, i) == VOUCH_VERDICT_DENIED) {
            rc = image_sentences(&s, d, i, rule);
        }
    }
    if (rc == 0 && s.count > 0) {
        v->message = join_message(&s, vouch_decision_rule(d));
        rc = v->message == NULL ? VOUCH_ENOMEM : 0;
    }
    if (rc == 0) {
        rc = make_warnings(v, d, &s);
    }
    sentences_clear(&s);
    return rc;
}

void vk8s_verdict_clear(vk8s_verdict *v)
{
    if (v == NULL) {
        return;
    }
    free(v->message);
    free(v->rule);
    for (size_t i = 0; i < v->warning_count; i++) {
        free(v->warnings[i]);
    }
    free(v->warnings);
    *v = (vk8s_verdict)VK8S_VERDICT_INIT;
}
