/*
 * vouch — container image references (OCI distribution reference grammar).
 *
 * Normalisation rule, applied to images and exempt patterns alike: an
 * optional "https://" or "http://" is stripped. The first path component is
 * the registry host when it contains '.' or ':' or is "localhost";
 * otherwise the reference has no registry host and is taken, as Docker
 * does, to name Docker Hub: the registry becomes "docker.io" and a
 * single-component path gets "library/" in front ("nginx:1" ->
 * "docker.io/library/nginx:1"). Docker Hub written out by any of its names
 * ("docker.io", "index.docker.io") is the same registry and gets the same
 * rule, so "docker.io/nginx", "index.docker.io/library/nginx" and "nginx"
 * are one image. Registry host names are lower-cased (DNS is
 * case-insensitive); paths must already be lower-case.
 */
#ifndef VOUCH_IMAGE_REF_H
#define VOUCH_IMAGE_REF_H

#include "vouch/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vouch_image_ref vouch_image_ref;

/**
 * Parse and normalise an image reference:
 * `[scheme://]host[:port]/path[:tag][@sha256:<64 hex>|@sha512:<128 hex>]`.
 *
 * @param[out] out  On success the reference; caller owns it, free with
 *                  vouch_image_ref_free(). NULL on failure.
 * @param data      The text; borrowed, need not be NUL-terminated.
 * @param len       Length of `data`; at most VOUCH_IMAGE_REF_MAX_BYTES.
 * @param[out] err  May be NULL. On failure err->column is the 1-based
 *                  byte position of the offending character in `data`.
 * @return 0; VOUCH_EPARSE (not a reference, message names the position and
 *         what was expected); VOUCH_ETOOBIG; VOUCH_ENOMEM.
 * Thread safety: reentrant. The result is immutable and may be shared.
 */
VOUCH_API int vouch_image_ref_parse(vouch_image_ref **out, const char *data,
                                    size_t len, vouch_error *err);

/** Free a reference. NULL is a no-op. */
VOUCH_API void vouch_image_ref_free(vouch_image_ref *ref);

/**
 * Getters. Every returned string is borrowed, NUL-terminated, and valid
 * until `ref` is freed. Thread safety: safe to call concurrently.
 *
 * - name:     "registry/path" (no tag, no digest), e.g. "gcr.io/p/app"
 * - registry: "gcr.io", "localhost:5000", "docker.io"
 * - path:     "p/app"
 * - tag:      "1.0", or NULL when the reference has no tag
 * - digest:   "sha256:<hex>", or NULL when the reference has no digest
 * - string:   the normalised whole, "name[:tag][@digest]"
 */
VOUCH_API const char *vouch_image_ref_name(const vouch_image_ref *ref);
VOUCH_API const char *vouch_image_ref_registry(const vouch_image_ref *ref);
VOUCH_API const char *vouch_image_ref_path(const vouch_image_ref *ref);
VOUCH_API const char *vouch_image_ref_tag(const vouch_image_ref *ref);
VOUCH_API const char *vouch_image_ref_digest(const vouch_image_ref *ref);
VOUCH_API const char *vouch_image_ref_string(const vouch_image_ref *ref);

/** Length of vouch_image_ref_name(); reentrant. */
VOUCH_API size_t vouch_image_ref_name_len(const vouch_image_ref *ref);

#ifdef __cplusplus
}
#endif

#endif /* VOUCH_IMAGE_REF_H */
