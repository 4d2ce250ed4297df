/*
 * vouch service — validateAttestationOccurrence (docs/api.md): does an
 * attestation verify against an attestor? The attestor is the compiled
 * one (vsvc_compiled.h) and the verify cache the shared one, so a warm
 * validate reads one change stamp and verifies from the cache.
 *
 * No transaction: the attestors' change stamp, read before the attestor
 * (and, when the attestor was not found current at it, again when the
 * verify cache is borrowed), says whether the cache matches the attestor
 * read (vsvc_compiled.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/jansson.h"
#include "vsvc_internal.h"

#define BODY VSVC_BODY

static int not_verified(vsvc_validation *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int not_verified(vsvc_validation *out, const char *fmt, ...)
{
    va_list ap;

    out->verified = false;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
    va_end(ap);
    return 0;
}

/*
 * An error from parsing the occurrence rebuilt from the request: its
 * positions mean nothing to the caller, and its top-level field names are
 * the occurrence's, so name the request's fields instead.
 */
static int rebuilt_occurrence_error(vouch_error *err)
{
    static const struct {
        const char *occurrence;
        const char *request;
    } fields[] = {
        { "resourceUri", "occurrenceResourceUri" },
        { "noteName", "occurrenceNote" },
    };
    char msg[sizeof(err->message)];

    memcpy(msg, err->message, sizeof(msg));
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        size_t n = strlen(fields[i].occurrence);

        if (strncmp(msg, fields[i].occurrence, n) == 0 && msg[n] == ':') {
            return vutil_error_set(err, err->code, BODY, 0, 0, "%s%s",
                                   fields[i].request, msg + n);
        }
    }
    return vutil_error_set(err, err->code, BODY, 0, 0, "%s", msg);
}

/*
 * The occurrence the three request fields describe, read by libvouch
 * straight from the jansson values of the request: the body is parsed once,
 * by jansson. Only when that read fails is the occurrence printed and
 * parsed again by vouch_attestation_parse(), so that the error is the one
 * it gives (the same checks fail; it words them). The size limit of that
 * parse (VOUCH_OCCURRENCE_MAX_BYTES of the printed text) holds on both
 * ways: the quick way is only taken when an upper bound of the printed
 * size is within it.
 */
#define REBUILD_INDENT 2
#define REBUILD_DUMP_FLAGS (JSON_SORT_KEYS | JSON_INDENT(REBUILD_INDENT))

/* At most the bytes jansson prints for a string: its quotes, and 6 bytes
 * ("\u001f") for each byte it escapes. `coarse`: as if every byte were
 * escaped, without looking at them. */
static size_t string_bound(const char *s, size_t len, bool coarse)
{
    size_t n = len + 2;

    if (coarse) {
        return 6 * len + 2;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == '"' || c == '\\') {
            n += 5;
        }
    }
    return n;
}

/*
 * An upper bound of the size json_dumps(v, REBUILD_DUMP_FLAGS) prints for
 * a value at nesting `depth`: each member or item on its own line, indented,
 * with its key, ": " and a ",", then the closing line. Numbers print in at
 * most 40 bytes. Cheaper than printing: no sort, no copy; and a `coarse`
 * bound (string_bound) does not even read the strings, which is all a
 * request far below the limit needs.
 */
static size_t dump_bound(const json_t *v, size_t depth, bool coarse)
{
    size_t inner = 1 + REBUILD_INDENT * (depth + 1);   /* "\n" + indent */
    size_t n;

    if (json_is_string(v)) {
        return string_bound(json_string_value(v), json_string_length(v),
                            coarse);
    }
    if (json_is_object(v)) {
        const char *key;
        json_t *member;

        n = 2 + 1 + REBUILD_INDENT * depth;
        json_object_foreach((json_t *)v, key, member) {
            n += inner + string_bound(key, strlen(key), coarse) + 2 +
                 dump_bound(member, depth + 1, coarse) + 1;
        }
        return n;
    }
    if (json_is_array(v)) {
        n = 2 + 1 + REBUILD_INDENT * depth;
        for (size_t i = 0; i < json_array_size(v); i++) {
            n += inner + dump_bound(json_array_get(v, i), depth + 1, coarse) +
                 1;
        }
        return n;
    }
    return 40;   /* a number, true, false, null */
}

static int rebuild(const json_t *attestation, const char *note_name,
                   const char *resource_uri, vouch_attestation **out,
                   vouch_error *err)
{
    json_t *occ;
    char *text = NULL;
    int rc;

    *out = NULL;
    occ = json_pack("{s:s,s:s,s:s,s:O}", "kind", "ATTESTATION", "noteName",
                    note_name, "resourceUri", resource_uri, "attestation",
                    attestation);
    if (occ == NULL) {
        return vutil_enomem(err);
    }
    if (dump_bound(occ, 0, true) <= VOUCH_OCCURRENCE_MAX_BYTES ||
        dump_bound(occ, 0, false) <= VOUCH_OCCURRENCE_MAX_BYTES) {
        rc = vouch_attestation_from_json_value(out, occ, NULL, NULL);
        if (rc == 0 || rc == VOUCH_ENOMEM) {
            json_decref(occ);
            return rc == 0 ? 0 : vutil_enomem(err);
        }
    }
    text = json_dumps(occ, REBUILD_DUMP_FLAGS);
    json_decref(occ);
    if (text == NULL) {
        return vutil_enomem(err);
    }
    rc = vouch_attestation_parse(out, text, strlen(text), VOUCH_FORMAT_JSON,
                                 NULL, err);
    free(text);
    return rc < 0 ? rebuilt_occurrence_error(err) : 0;
}

static int verify(vsvc_session *s, const vouch_attestation *att,
                  const char *resource_uri, const vsvc_object *attestor,
                  uint64_t before, bool exact, vsvc_validation *out,
                  vouch_error *err)
{
    vsvc_compiled *compiled = vsvc__compiled(s->svc);
    const char *digest = vouch_attestation_resource_digest(att);
    vouch_verify_cache *cache = NULL;
    vouch_error verr = VOUCH_ERROR_INIT;
    int rc;

    if (digest == NULL) {
        return not_verified(out, "occurrenceResourceUri %s does not name an "
                            "image by digest (IMAGE@sha256:...)",
                            resource_uri);
    }
    /* An attestor exactly at `before` and the cache kept for it are one
     * version: no second look at the stamp (vsvc_compiled.h). */
    if (!exact ||
        !vsvc_verify_cache_acquire_kept(compiled, before, &cache)) {
        vsvc_verify_cache_acquire(compiled, s->conn, &before, &cache);
    }
    rc = vouch_attestation_verify(att, vsvc_object_attestor(attestor),
                                  digest, cache, &verr);
    vsvc_verify_cache_release(compiled);
    if (rc == 0) {
        out->verified = true;
        return 0;
    }
    if (rc == VOUCH_ECRYPTO) {
        return not_verified(out, "%s", verr.message);
    }
    if (err != NULL) {
        *err = verr;
    }
    return vsvc__error_wrap(err, "verify");
}

int vsvc_validate(vsvc_session *s, const char *project, const char *id,
                  const json_t *attestation, const char *note_name,
                  const char *resource_uri, vsvc_validation *out,
                  vouch_error *err)
{
    vsvc_object *attestor = NULL;
    vouch_attestation *att = NULL;
    char name[VSVC_NAME_MAX];
    uint64_t before = 0;
    bool exact = false;
    int rc;

    memset(out, 0, sizeof(*out));
    vsvc_child_name(name, sizeof(name), VSVC_ATTESTOR, project, id);
    rc = vsvc_compiled_attestor_exact(vsvc__compiled(s->svc), s->conn, name,
                                      &attestor, &before, &exact, err);
    if (rc == 0) {
        rc = rebuild(attestation, note_name, resource_uri, &att, err);
    }
    if (rc == 0) {
        const char *want = vouch_attestor_note_reference(
            vsvc_object_attestor(attestor));

        if (!vutil_same_text(want, note_name)) {
            rc = not_verified(out, "occurrenceNote %s is not the note of "
                              "attestor %s (%s)",
                              note_name, name, want != NULL ? want : "none");
        } else {
            rc = verify(s, att, resource_uri, attestor, before, exact, out,
                        err);
        }
    }
    vsvc__set_outcome(s, rc < 0 ? NULL
                                : out->verified ? "VERIFIED"
                                                : "ATTESTATION_NOT_VERIFIABLE");
    vouch_attestation_free(att);
    vsvc_object_release(attestor);
    return rc;
}
