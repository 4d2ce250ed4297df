/*
 * The signature payload: the exact bytes gcloud signs for an image
 * (vouch_signature_payload_create), and reading the manifest digest back
 * out of a signed payload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vouch/image_ref.h"

#include "attestation_internal.h"
#include "internal.h"
#include "verify_cache.h"

/*
 * Read critical.image.docker-manifest-digest out of a payload. On failure
 * returns NULL and says why in `why`.
 */
char *vouch__payload_manifest(const unsigned char *payload, size_t len,
                              char *why, size_t why_size)
{
    json_t *root = NULL;
    json_t *digest;
    json_error_t jerr;
    char *out = NULL;

    if (len > VOUCH_PAYLOAD_MAX_BYTES) {
        snprintf(why, why_size, "payload is over %u bytes",
                 VOUCH_PAYLOAD_MAX_BYTES);
        return NULL;
    }
    root = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES,
                      &jerr);
    if (root == NULL) {
        snprintf(why, why_size, "payload is not JSON (line %d: %s)",
                 jerr.line, jerr.text);
        return NULL;
    }
    digest = json_object_get(json_object_get(json_object_get(root,
                                                             "critical"),
                                             "image"),
                             "docker-manifest-digest");
    if (!json_is_string(digest)) {
        snprintf(why, why_size, "payload has no string "
                 "critical.image.docker-manifest-digest");
    } else if (json_string_length(digest) > VOUCH__DIGEST_TEXT_MAX) {
        snprintf(why, why_size, "payload's docker-manifest-digest is too "
                 "long to be a digest");
    } else {
        out = vouch__strndup(json_string_value(digest),
                             json_string_length(digest));
        if (out == NULL) {
            snprintf(why, why_size, "out of memory");
        }
    }
    json_decref(root);
    return out;
}

VOUCH_API int vouch_signature_payload_create(const char *artifact_url,
                                             size_t len, char **out,
                                             size_t *out_len,
                                             vouch_error *err)
{
    vouch_image_ref *ref = NULL;
    json_t *root = NULL;
    const char *text = artifact_url;
    const char *at;
    const char *slash;
    const char *colon;
    size_t name_len;
    char *name = NULL;
    char *dumped = NULL;
    size_t dumped_len;
    int rc;

    *out = NULL;
    if (len > VOUCH_IMAGE_REF_MAX_BYTES) {
        return vouch__error_set(err, VOUCH_ETOOBIG, "--artifact-url", 0, 0,
                                "artifact URL is over %u bytes",
                                VOUCH_IMAGE_REF_MAX_BYTES);
    }
    /* gcloud strips the scheme and requires a digest; its wording. */
    if (len >= 8 && strncmp(text, "https://", 8) == 0) {
        text += 8;
        len -= 8;
    } else if (len >= 7 && strncmp(text, "http://", 7) == 0) {
        text += 7;
        len -= 7;
    }
    at = memchr(text, '@', len);
    if (at == NULL) {
        return vouch__error_set(err, VOUCH_EINVAL, "--artifact-url", 0, 0,
                                "'%.*s' names no digest: an attestation "
                                "is always for an image by digest "
                                "(NAME@sha256:<64 hex>)",
                                (int)(len > 200 ? 200 : len), text);
    }
    {
        size_t dlen = len - (size_t)(at + 1 - text);

        if (dlen < 7 || strncmp(at + 1, "sha256:", 7) != 0) {
            return vouch__error_set(err, VOUCH_EINVAL, "--artifact-url", 0,
                                    0, "Invalid digest: %.*s, must start "
                                    "with sha256:",
                                    (int)(dlen > 140 ? 140 : dlen), at + 1);
        }
        if (dlen != 71) {
            return vouch__error_set(err, VOUCH_EINVAL, "--artifact-url", 0,
                                    0, "Invalid digest: %.*s, must be "
                                    "sha256: followed by 64 hex digits "
                                    "(71 characters)",
                                    (int)(dlen > 140 ? 140 : dlen), at + 1);
        }
    }
    {
        /* A local error: `err` may be NULL, and its message must not be
         * both the source and the destination of one printf. */
        vouch_error ref_err = VOUCH_ERROR_INIT;

        rc = vouch_image_ref_parse(&ref, text, len, &ref_err);
        if (rc < 0) {
            vouch__error_set(err, rc, "--artifact-url", 0,
                             (int)ref_err.column, "%s", ref_err.message);
            goto cleanup;
        }
    }
    /* docker-reference is the URL's own text up to the tag or digest, not
     * the normalised name: gcloud does no Docker Hub expansion. */
    name_len = (size_t)(at - text);
    slash = NULL;
    for (colon = text; colon < at; colon++) {
        if (*colon == '/') {
            slash = colon;
        }
    }
    colon = memchr(slash != NULL ? slash : text, ':',
                   (size_t)(at - (slash != NULL ? slash : text)));
    if (colon != NULL && slash != NULL) {
        name_len = (size_t)(colon - text);
    }
    name = vouch__strndup(text, name_len);
    root = json_pack("{s:{s:{s:s},s:{s:s},s:s}}",
                     "critical",
                     "identity", "docker-reference", name,
                     "image", "docker-manifest-digest",
                     vouch_image_ref_digest(ref),
                     "type", "Google cloud binauthz container signature");
    if (name == NULL || root == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory");
        goto cleanup;
    }
    /* Python's json.dumps(indent=2, sort_keys=True, ensure_ascii=True)
     * plus one '\n' is exactly jansson's JSON_INDENT(2) output here. */
    dumped = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS |
                                  JSON_ENSURE_ASCII);
    if (dumped == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory");
        goto cleanup;
    }
    dumped_len = strlen(dumped);
    *out = malloc(dumped_len + 2);
    if (*out == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory");
        goto cleanup;
    }
    memcpy(*out, dumped, dumped_len);
    (*out)[dumped_len] = '\n';
    (*out)[dumped_len + 1] = '\0';
    if (out_len != NULL) {
        *out_len = dumped_len + 1;
    }
    rc = VOUCH_OK;

cleanup:
    free(dumped);
    free(name);
    json_decref(root);
    vouch_image_ref_free(ref);
    return rc;
}
