/*
 * vouch — common definitions of libvouch: result codes, the caller-owned
 * error struct, input formats and the documented input limits.
 */
#ifndef VOUCH_COMMON_H
#define VOUCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(VOUCH_BUILDING_LIBRARY)
#define VOUCH_API __attribute__((visibility("default")))
#else
#define VOUCH_API
#endif

/** Result codes. 0 is success; every failure is negative. */
typedef enum vouch_code {
    VOUCH_OK = 0,
    VOUCH_ENOMEM = -1,    /* allocation failed */
    VOUCH_EPARSE = -2,    /* input is not well-formed (JSON, YAML, PEM, armor) */
    VOUCH_EINVAL = -3,    /* well-formed, but breaks a rule of the model */
    VOUCH_ETOOBIG = -4,   /* input is over a documented limit */
    VOUCH_ENOTFOUND = -5, /* a named thing does not exist */
    VOUCH_EIO = -6,       /* store, registry, file or socket */
    VOUCH_ECRYPTO = -7,   /* key unusable, or signature does not verify */
    VOUCH_ECONFLICT = -8, /* the thing to create exists already */
    VOUCH_EABORTED = -9,  /* etag mismatch, or a concurrent change won */
    VOUCH_EPRECONDITION = -10, /* refused by the state of the system (an
                                  org-policy constraint, a finished
                                  execution) */
    VOUCH_EUNAUTHENTICATED = -11, /* no credentials, or bad ones */
    VOUCH_EPERMISSION = -12,  /* the caller may not do this */
    VOUCH_EEXHAUSTED = -13,   /* a quota or budget is spent; retry later */
    VOUCH_ERETRY = -14        /* a transient conflict inside a store: the
                                 transaction is retried, never returned
                                 to a caller of the store */
} vouch_code;

/**
 * Error detail, owned by the caller (usually on the stack).
 *
 * Functions that fail fill it when it is not NULL. It has a fixed size, so an
 * error can be reported even after VOUCH_ENOMEM, and it never needs freeing.
 */
typedef struct vouch_error {
    vouch_code code;
    uint32_t line;        /* 1-based; 0 when the error has no position */
    uint32_t column;      /* 1-based; 0 when the error has no position */
    char source[128];     /* "policy.yaml", "request body"; may be empty */
    char message[256];    /* written for the person fixing the input */
} vouch_error;

#define VOUCH_ERROR_INIT { VOUCH_OK, 0, 0, "", "" }

/** Input and output document formats. */
typedef enum vouch_format {
    VOUCH_FORMAT_AUTO = 0, /* input only: JSON if the first non-blank byte
                              is '{' or '[', YAML otherwise */
    VOUCH_FORMAT_JSON = 1,
    VOUCH_FORMAT_YAML = 2
} vouch_format;

/** A borrowed view of bytes; never owns `ptr`. */
typedef struct vouch_slice {
    const char *ptr;
    size_t len;
} vouch_slice;

/*
 * Documented input limits. Every parser checks its limit before any work and
 * returns VOUCH_ETOOBIG past it.
 */
#define VOUCH_POLICY_MAX_BYTES       (16u * 1024u * 1024u) /* 100,000+ patterns */
#define VOUCH_POLICY_MAX_PATTERNS    1000000u
#define VOUCH_PATTERN_MAX_BYTES      1024u
#define VOUCH_IMAGE_REF_MAX_BYTES    4096u
#define VOUCH_ATTESTOR_MAX_BYTES     (1024u * 1024u)
#define VOUCH_ATTESTOR_MAX_KEYS      256u
#define VOUCH_KEY_MAX_BYTES          (64u * 1024u)
#define VOUCH_OCCURRENCE_MAX_BYTES   (1024u * 1024u)
#define VOUCH_OCCURRENCES_MAX_BYTES  (64u * 1024u * 1024u)
#define VOUCH_PAYLOAD_MAX_BYTES      (256u * 1024u)
#define VOUCH_SIGNATURE_MAX_BYTES    (64u * 1024u)
#define VOUCH_SIGNATURES_MAX         64u

/**
 * Short upper-case name of a code, e.g. "EINVAL".
 *
 * @return a static string; never NULL (unknown codes give "EUNKNOWN").
 * Thread safety: reentrant.
 */
VOUCH_API const char *vouch_code_name(int code);

/**
 * Format `err` as "SOURCE:LINE:COL: message" (parts without a value are
 * left out) into `buf`, always NUL-terminated when `size` > 0.
 *
 * @return the length the full text needs, as snprintf does.
 * Thread safety: reentrant.
 */
VOUCH_API int vouch_error_format(const vouch_error *err, char *buf,
                                 size_t size);

/**
 * Free memory that libvouch returned as a plain buffer (printed documents,
 * payloads, signatures). NULL is a harmless no-op.
 *
 * Thread safety: reentrant.
 */
VOUCH_API void vouch_free(void *ptr);

/** Version of libvouch, e.g. "0.1.0". Static string. Reentrant. */
VOUCH_API const char *vouch_version(void);

#ifdef __cplusplus
}
#endif

#endif /* VOUCH_COMMON_H */
