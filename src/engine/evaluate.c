/*
 * The decision (docs/semantics.md): for each image, in order, the
 * project's exempt patterns, the system policy when enabled, then the
 * request's rule (a GKE rule-map entry chosen by the Kubernetes context,
 * or the default admission rule); AND over images and, for
 * REQUIRE_ATTESTATION, over attestors. Enforcement (the rule's dry run,
 * breakglass) is applied to the whole request.
 *
 * Nothing here can make an error into an ALLOW: a reference that does not
 * parse, an attestor that is missing, a key that does not verify all deny
 * the image with the cause in its reason.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/evaluate.h"
#include "vouch/image_ref.h"

#include "decision.h"
#include "image_ref_internal.h"
#include "internal.h"
#include "pattern_internal.h"
#include "policy_internal.h"

/*
 * The rule a request is decided by, chosen once: every image of a request
 * shares its Kubernetes context. `name` is how reasons call it ("the
 * default admission rule", or the map entry's field path), `field` how
 * vouch_decision_rule() does.
 */
typedef struct rule_choice {
    const vouch_admission_rule *rule;
    const char *name;
    const char *field;
    bool is_default;
} rule_choice;

static const vouch_attestor *find_attestor(const vouch_evaluation_input *in,
                                           const char *name)
{
    size_t i;

    for (i = 0; i < in->attestor_count; i++) {
        const char *candidate = vouch_attestor_name(in->attestors[i]);

        if (candidate != NULL && strcmp(candidate, name) == 0) {
            return in->attestors[i];
        }
    }
    return NULL;
}

/* "verified attestation on note NOTE for DIGEST", without formatting: the
 * one reason a warm ALLOW writes per attestor. */
static const char *verified_reason(vouch_decision *d, const char *note,
                                   const char *digest)
{
    static const char lead[] = "verified attestation on note ";
    static const char mid[] = " for ";
    size_t note_len = strlen(note);
    size_t digest_len = strlen(digest);
    char *out = vouch__decision_alloc(d, sizeof(lead) - 1 + note_len +
                                             sizeof(mid) - 1 + digest_len +
                                             1);
    char *p = out;

    if (out == NULL) {
        return NULL;
    }
    memcpy(p, lead, sizeof(lead) - 1);
    p += sizeof(lead) - 1;
    memcpy(p, note, note_len);
    p += note_len;
    memcpy(p, mid, sizeof(mid) - 1);
    p += sizeof(mid) - 1;
    memcpy(p, digest, digest_len + 1);
    return out;
}

/*
 * Is `attestor` satisfied for the image with digest `digest`? Writes the
 * per-attestor reason into the decision. Returns 1 satisfied, 0 not,
 * VOUCH_ENOMEM.
 */
static int check_attestor(vouch_decision *d, size_t image_index,
                          const vouch_evaluation_input *in, const char *name,
                          const char *image, const char *digest)
{
    const vouch_attestor *attestor = find_attestor(in, name);
    const char *note;
    const char *reason = NULL;
    vouch_error verr;           /* read only after a failed verification */
    size_t candidates = 0;
    size_t i;

    if (attestor == NULL) {
        reason = vouch__decision_printf(d, "attestor %s does not exist "
                                        "(or was not given), so it cannot "
                                        "vouch for %s", name, image);
        goto denied;
    }
    note = vouch_attestor_note_reference(attestor);
    if (vouch_attestor_key_count(attestor) == 0) {
        reason = vouch__decision_printf(d, "attestor %s has no public keys, "
                                        "so it never accepts an "
                                        "attestation", name);
        goto denied;
    }
    for (i = 0; i < in->attestation_count; i++) {
        const vouch_attestation *att = in->attestations[i];

        /* The occurrence lookup (docs/semantics.md, "Attestations"):
         * this attestor's note, this digest. Only the digest is
         * authoritative, so the same attestation serves the image
         * pulled from another location. */
        if (note == NULL ||
            strcmp(vouch_attestation_note_name(att), note) != 0 ||
            strcmp(vouch_attestation_resource_digest(att), digest) != 0) {
            continue;
        }
        candidates++;
        if (vouch_attestation_verify(att, attestor, digest, in->cache,
                                     &verr) == 0) {
            reason = verified_reason(d, note, digest);
            if (reason == NULL) {
                return VOUCH_ENOMEM;
            }
            vouch__decision_add_attestor(d, image_index, name, 1, reason);
            return 1;
        }
    }
    if (candidates == 0) {
        reason = vouch__decision_printf(d, "no attestation on note %s for "
                                        "%s; sign one with a key of %s",
                                        note != NULL ? note : "(none)",
                                        digest, name);
    } else if (candidates == 1) {
        reason = vouch__decision_printf(d, "the attestation on note %s for "
                                        "%s is not valid: %s", note, digest,
                                        verr.message);
    } else {
        reason = vouch__decision_printf(d, "none of the %zu attestations "
                                        "on note %s for %s is valid; the "
                                        "last: %s", candidates, note,
                                        digest, verr.message);
    }

denied:
    if (reason == NULL) {
        return VOUCH_ENOMEM;
    }
    vouch__decision_add_attestor(d, image_index, name, 0, reason);
    return 0;
}

/*
 * An image as the decision keeps it: scanned once, its normalised text
 * written straight into the decision's arena (it outlives the input), the
 * name, tag and digest pointing into that text.
 */
typedef struct image_view {
    const char *text;        /* "name[:tag][@digest]", NUL-terminated */
    size_t name_len;
    const char *tag;         /* NULL when absent; not NUL-terminated */
    size_t tag_len;
    const char *digest;      /* NULL when absent; the text's tail */
    size_t digest_len;
} image_view;

/* 0, VOUCH_EPARSE/ETOOBIG (`perr` says why) or VOUCH_ENOMEM. */
static int view_image(vouch_decision *d, const char *given, size_t len,
                      image_view *out, vouch_error *perr)
{
    vouch__ref_parts parts;
    size_t n;
    char *text;
    int rc;

    rc = vouch__image_ref_scan_checked(given, len, &parts, perr);
    if (rc < 0) {
        return rc;
    }
    n = vouch__image_ref_string_len(&parts);
    text = vouch__decision_alloc(d, n + 1);
    if (text == NULL) {
        return VOUCH_ENOMEM;
    }
    vouch__image_ref_write_string(&parts, text);
    out->text = text;
    out->name_len = parts.name_len;
    out->tag = parts.tag != NULL ? text + parts.name_len + 1 : NULL;
    out->tag_len = parts.tag_len;
    out->digest = parts.digest != NULL ? text + n - parts.digest_len : NULL;
    out->digest_len = parts.digest_len;
    return 0;
}

static void set_reasons(vouch_decision *d, size_t index, const char *image,
                        const rule_choice *choice, size_t failed,
                        size_t count, const char *first_failure,
                        const char **reason)
{
    if (failed == 0) {
        *reason = "attested by every required attestor";
        vouch__decision_set_image(d, index, image, VOUCH_VERDICT_ALLOWED,
                                  *reason);
        return;
    }
    if (failed == 1) {
        *reason = vouch__decision_printf(d, "denied by %s "
                                         "(REQUIRE_ATTESTATION): %s",
                                         choice->name, first_failure);
    } else {
        *reason = vouch__decision_printf(d, "denied by %s "
                                         "(REQUIRE_ATTESTATION): %zu of "
                                         "%zu required attestors are not "
                                         "satisfied; first: %s",
                                         choice->name, failed, count,
                                         first_failure);
    }
    vouch__decision_set_image(d, index, image, VOUCH_VERDICT_DENIED,
                              *reason);
}

/* An image by tag under a rule that needs attestations: told to deploy by
 * digest (a tag is never resolved at this point, as on GKE). */
static const char *tag_reason(vouch_decision *d, const rule_choice *choice,
                              const image_view *img)
{
    if (choice->is_default) {
        return vouch__decision_printf(d, "the image is given by tag, not "
                                      "by digest, and an attestor cannot "
                                      "attest to an image deployed by "
                                      "tag; deploy %.*s@sha256:...",
                                      (int)img->name_len, img->text);
    }
    return vouch__decision_printf(d, "the image is given by tag, not by "
                                  "digest, and %s requires attestations, "
                                  "which are made for digests; deploy "
                                  "%.*s@sha256:...", choice->name,
                                  (int)img->name_len, img->text);
}

static int require_attestation(vouch_decision *d, size_t index,
                               const vouch_evaluation_input *in,
                               const rule_choice *choice,
                               const image_view *img)
{
    const vouch_admission_rule *rule = choice->rule;
    size_t count = vouch_admission_rule_attestor_count(rule);
    const char *first_failure = NULL;
    const char *reason = NULL;
    size_t failed = 0;
    size_t i;
    int rc;

    if (img->digest == NULL) {
        reason = tag_reason(d, choice, img);
        if (reason == NULL) {
            return VOUCH_ENOMEM;
        }
        vouch__decision_set_image(d, index, img->text, VOUCH_VERDICT_DENIED,
                                  reason);
        return VOUCH_OK;
    }
    rc = vouch__decision_reserve_attestors(d, index, count);
    if (rc < 0) {
        return rc;
    }
    for (i = 0; i < count; i++) {
        /* The decision keeps its own copy: it may outlive the policy. */
        const char *name = vouch__decision_copy(
            d, vouch_admission_rule_attestor(rule, i));

        if (name == NULL) {
            return VOUCH_ENOMEM;
        }
        rc = check_attestor(d, index, in, name, img->text, img->digest);
        if (rc < 0) {
            return rc;
        }
        if (rc == 0) {
            if (failed == 0) {
                first_failure = vouch_decision_attestor_reason(d, index, i);
            }
            failed++;
        }
    }
    set_reasons(d, index, img->text, choice, failed, count, first_failure,
                &reason);
    return reason == NULL ? VOUCH_ENOMEM : VOUCH_OK;
}

/* The first exempt pattern `img` matches in `policy`, or -1. */
static long exempt_match(const vouch_policy *policy, const image_view *img)
{
    return vouch__pattern_set_match_parts(vouch_policy_patterns(policy),
                                          img->text, img->name_len, img->tag,
                                          img->tag_len, img->digest,
                                          img->digest_len);
}

/* The verdict of a rule that needs no attestation. */
static const char *plain_rule_reason(vouch_decision *d,
                                     const rule_choice *choice,
                                     vouch_verdict *verdict)
{
    switch (vouch_admission_rule_evaluation_mode(choice->rule)) {
    case VOUCH_ALWAYS_ALLOW:
        *verdict = VOUCH_VERDICT_ALLOWED;
        return choice->is_default
                   ? "allowed by the default admission rule (ALWAYS_ALLOW)"
                   : vouch__decision_printf(d, "allowed by %s (ALWAYS_ALLOW)",
                                            choice->name);
    case VOUCH_ALWAYS_DENY:
        return choice->is_default
                   ? "denied by the default admission rule (ALWAYS_DENY)"
                   : vouch__decision_printf(d, "denied by %s (ALWAYS_DENY)",
                                            choice->name);
    default:
        return vouch__decision_printf(d, "%s has no evaluation mode",
                                      choice->name);
    }
}

static int evaluate_image(vouch_decision *d, size_t index,
                          const vouch_evaluation_input *in,
                          const rule_choice *choice)
{
    const char *given = in->images[index] != NULL ? in->images[index] : "";
    vouch_error perr;
    image_view img;
    const char *image;
    const char *reason = NULL;
    vouch_verdict verdict = VOUCH_VERDICT_DENIED;
    long match;
    int rc;

    rc = view_image(d, given, strlen(given), &img, &perr);
    if (rc == VOUCH_ENOMEM) {
        return rc;
    }
    if (rc < 0) {
        image = vouch__decision_copy(d, given);
        reason = vouch__decision_printf(d, "not a valid image reference "
                                        "(column %u: %s)", perr.column,
                                        perr.message);
        goto done;
    }
    image = img.text;
    match = exempt_match(in->policy, &img);
    if (match >= 0) {
        verdict = VOUCH_VERDICT_EXEMPT;
        reason = vouch__decision_printf(d, "exempt: matches "
                                        "admissionWhitelistPatterns[%ld] "
                                        "'%s'", match,
                                        vouch_policy_pattern(in->policy,
                                                             (size_t)match));
        goto done;
    }
    if (in->system_policy != NULL &&
        vouch_policy_global_mode(in->policy) == VOUCH_GLOBAL_ENABLE) {
        match = exempt_match(in->system_policy, &img);
        if (match >= 0) {
            verdict = VOUCH_VERDICT_EXEMPT;
            reason = vouch__decision_printf(
                d, "exempt by the system policy (globalPolicyEvaluationMode "
                "ENABLE): matches '%s'",
                vouch_policy_pattern(in->system_policy, (size_t)match));
            goto done;
        }
    }
    if (vouch_admission_rule_evaluation_mode(choice->rule) ==
        VOUCH_REQUIRE_ATTESTATION) {
        return require_attestation(d, index, in, choice, &img);
    }
    reason = plain_rule_reason(d, choice, &verdict);

done:
    if (image == NULL || reason == NULL) {
        return VOUCH_ENOMEM;
    }
    vouch__decision_set_image(d, index, image, verdict, reason);
    return VOUCH_OK;
}

/*
 * The request's rule: with a Kubernetes context, the rule-map entry that
 * names the workload; otherwise, or when none does, the default rule.
 */
static int choose_rule(vouch_decision *d, const vouch_evaluation_input *in,
                       rule_choice *out)
{
    const vouch_kubernetes_context *ctx =
        in->version >= 2 ? in->kubernetes : NULL;
    vouch_rule_map map = VOUCH_CLUSTER_ADMISSION_RULES;
    size_t entry = 0;
    const vouch_admission_rule *rule = NULL;

    out->rule = vouch_policy_default_rule(in->policy);
    out->name = "the default admission rule";
    out->field = "defaultAdmissionRule";
    out->is_default = true;
    if (ctx != NULL) {
        rule = vouch__policy_rule_for(in->policy, ctx, &map, &entry);
    }
    if (rule == NULL) {
        return VOUCH_OK;
    }
    out->rule = rule;
    out->is_default = false;
    out->name = vouch__decision_printf(
        d, "%s[\"%s\"]", vouch_rule_map_field(map),
        vouch_policy_rule_map_key(in->policy, map, entry));
    out->field = out->name;
    return out->name == NULL ? VOUCH_ENOMEM : VOUCH_OK;
}

VOUCH_API const vouch_admission_rule *
vouch_kubernetes_rule(const vouch_policy *policy,
                      const vouch_kubernetes_context *ctx)
{
    vouch_rule_map map = VOUCH_CLUSTER_ADMISSION_RULES;
    size_t entry = 0;
    const vouch_admission_rule *rule = NULL;

    if (policy == NULL || (ctx != NULL &&
                           ctx->version != VOUCH_KUBERNETES_CONTEXT_VERSION)) {
        return NULL;
    }
    if (ctx != NULL) {
        rule = vouch__policy_rule_for(policy, ctx, &map, &entry);
    }
    return rule != NULL ? rule : vouch_policy_default_rule(policy);
}

static bool input_ok(const vouch_evaluation_input *in)
{
    if (in == NULL || (in->version != 1 && in->version != 2) ||
        in->policy == NULL || (in->image_count > 0 && in->images == NULL) ||
        (in->attestor_count > 0 && in->attestors == NULL) ||
        (in->attestation_count > 0 && in->attestations == NULL)) {
        return false;
    }
    return in->version < 2 || in->kubernetes == NULL ||
           in->kubernetes->version == VOUCH_KUBERNETES_CONTEXT_VERSION;
}

VOUCH_API int vouch_evaluate(vouch_decision **out,
                             const vouch_evaluation_input *in,
                             vouch_error *err)
{
    vouch_decision *d = NULL;
    rule_choice choice;
    size_t i;
    int rc;

    *out = NULL;
    if (!input_ok(in)) {
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "evaluation input is malformed (version, "
                                "policy or a NULL list)");
    }
    if (in->image_count == 0) {
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "no image to evaluate");
    }
    d = vouch__decision_new(in->image_count);
    if (d == NULL) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    rc = choose_rule(d, in, &choice);
    if (rc < 0) {
        goto cleanup;
    }
    vouch__decision_set_rule(d, choice.field);
    for (i = 0; i < in->image_count; i++) {
        rc = evaluate_image(d, i, in, &choice);
        if (rc < 0) {
            goto cleanup;
        }
    }
    rc = vouch__decision_finish(
        d,
        vouch_admission_rule_enforcement_mode(choice.rule) ==
            VOUCH_DRYRUN_AUDIT_LOG_ONLY,
        in->breakglass != NULL && in->breakglass[0] != '\0');
    if (rc < 0) {
        goto cleanup;
    }
    *out = d;
    d = NULL;

cleanup:
    vouch_decision_free(d);
    if (rc == VOUCH_ENOMEM) {
        vouch__error_set(err, rc, NULL, 0, 0,
                         "out of memory while evaluating");
    }
    return rc;
}
