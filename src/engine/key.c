/*
 * Public and private keys (include/vouch/key.h; docs/keys.md).
 *
 * Sections:
 *   algorithm names ..... vouch_signature_algorithm_parse, _name
 *   public keys ......... vouch_public_key_new_pkix, _new_pgp, _free,
 *                         getters, _verify, _verify_attached,
 *                         vouch__public_key_verify_jws
 *   key ids ............. vouch_key_default_id
 *   private keys ........ vouch_private_key_new, _free, _algorithm,
 *                         _public_id, _sign
 *
 * The crypto lives in crypto.c (OpenSSL) and pgp.c (RNP); this file owns
 * the objects and the rules about names and ids.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto.h"
#include "key_internal.h"
#include "pgp.h"
#include "verify_pool.h"

/* Longest id we accept from a caller (the default ids are 57 bytes). */
#define KEY_ID_MAX_BYTES 4096u

struct vouch_public_key {
    vouch_key_kind kind;
    vouch_signature_algorithm alg;  /* UNSPECIFIED for PGP */
    char *id;
    size_t id_len;
    char *comment;                  /* NULL when none was given */
    char *text;                     /* PEM or armor, exactly as given */
    EVP_PKEY *pkey;                 /* PKIX only; read-only once made */
    vouch__verify_pool pool;        /* PKIX only; thread-safe itself */
    vouch__pgp_key *pgp;            /* PGP only; locks itself */
};

struct vouch_private_key {
    vouch_signature_algorithm alg;
    EVP_PKEY *pkey;
};

/* ---------------------------------------------------------------------- */
/* algorithm names                                                         */

typedef struct alg_alias {
    const char *name;
    vouch_signature_algorithm alg;
} alg_alias;

static const alg_alias alg_aliases[] = {
    { "EC_SIGN_P256_SHA256", VOUCH_ECDSA_P256_SHA256 },
    { "EC_SIGN_P384_SHA384", VOUCH_ECDSA_P384_SHA384 },
    { "EC_SIGN_P521_SHA512", VOUCH_ECDSA_P521_SHA512 },
    { "RSA_SIGN_PSS_2048_SHA256", VOUCH_RSA_PSS_2048_SHA256 },
    { "RSA_SIGN_PSS_3072_SHA256", VOUCH_RSA_PSS_3072_SHA256 },
    { "RSA_SIGN_PSS_4096_SHA256", VOUCH_RSA_PSS_4096_SHA256 },
    { "RSA_SIGN_PSS_4096_SHA512", VOUCH_RSA_PSS_4096_SHA512 },
};

/* True when `data` is gcloud's spelling of `name`: lower case, '-'. */
static bool gcloud_eq(const char *data, size_t len, const char *name)
{
    size_t i;

    if (strlen(name) != len) {
        return false;
    }
    for (i = 0; i < len; i++) {
        char want = name[i];

        if (want == '_') {
            want = '-';
        } else if (want >= 'A' && want <= 'Z') {
            want = (char)(want - 'A' + 'a');
        }
        if (data[i] != want) {
            return false;
        }
    }
    return true;
}

VOUCH_API int vouch_signature_algorithm_parse(const char *data, size_t len,
                                              vouch_signature_algorithm *out,
                                              vouch_error *err)
{
    char shown[65];
    size_t i;
    int a;

    if (data == NULL) {
        len = 0;
    }
    if (len > 0 && len <= 64) {
        for (a = 1; a < VOUCH_SIGNATURE_ALGORITHM_COUNT; a++) {
            const vouch__alg_info *info =
                vouch__alg_info_get((vouch_signature_algorithm)a);

            if (info == NULL) {
                continue;
            }
            if (vouch__slice_eq(data, len, info->name) ||
                gcloud_eq(data, len, info->name)) {
                *out = info->alg;
                return VOUCH_OK;
            }
        }
        for (i = 0; i < sizeof(alg_aliases) / sizeof(alg_aliases[0]); i++) {
            if (vouch__slice_eq(data, len, alg_aliases[i].name)) {
                *out = alg_aliases[i].alg;
                return VOUCH_OK;
            }
        }
    }
    if (len == 0) {
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "signature algorithm is empty");
    }
    if (vouch__slice_eq(data, len, "SIGNATURE_ALGORITHM_UNSPECIFIED")) {
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "signature algorithm must be given, not "
                                "SIGNATURE_ALGORITHM_UNSPECIFIED");
    }
    for (i = 0; i < len && i < sizeof(shown) - 1; i++) {
        unsigned char c = (unsigned char)data[i];

        shown[i] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
    }
    shown[i] = '\0';
    return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                            "unknown signature algorithm \"%s%s\" (expected"
                            " e.g. ECDSA_P256_SHA256 or ecdsa-p256-sha256)",
                            shown, len > sizeof(shown) - 1 ? "..." : "");
}

VOUCH_API const char *
vouch_signature_algorithm_name(vouch_signature_algorithm alg)
{
    const vouch__alg_info *info = vouch__alg_info_get(alg);

    return info != NULL ? info->name : "SIGNATURE_ALGORITHM_UNSPECIFIED";
}

/* ---------------------------------------------------------------------- */
/* public keys                                                             */

/*
 * RFC 3986: a scheme ":" (ni:, openpgp4fpr:, https:), or a network-path
 * reference "//authority/..." — the form gcloud gives Cloud KMS keys
 * (//cloudkms.googleapis.com/v1/projects/.../cryptoKeyVersions/1), which
 * attestors made with `gcloud --keyversion` carry. Then no whitespace or
 * control characters.
 */
static int check_id(const char *id, size_t len, vouch_error *err)
{
    size_t i = 0;
    char c;

    if (len > KEY_ID_MAX_BYTES) {
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "key id is %zu bytes; at most %u are "
                                "allowed", len, KEY_ID_MAX_BYTES);
    }
    if (len > 2 && id[0] == '/' && id[1] == '/' && id[2] != '/') {
        i = 2;
        goto rest;
    }
    c = id[0];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "key id must be a URI starting with a "
                                "scheme such as \"ni:\"; it starts with "
                                "byte 0x%02x", (unsigned char)c);
    }
    for (i = 1; i < len; i++) {
        c = id[i];
        if (c == ':') {
            break;
        }
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '+' || c == '-' ||
              c == '.')) {
            return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                    "key id must be a URI: byte %zu "
                                    "(0x%02x) is not allowed in a URI "
                                    "scheme", i + 1, (unsigned char)c);
        }
    }
    if (i == len) {
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "key id must be a URI: no \"scheme:\" "
                                "prefix (e.g. \"ni:///sha-256;...\")");
    }
rest:
    for (; i < len; i++) {
        unsigned char u = (unsigned char)id[i];

        if (u <= 0x20 || u == 0x7f) {
            return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                    "key id must be a URI: byte %zu is "
                                    "whitespace or a control character",
                                    i + 1);
        }
    }
    return VOUCH_OK;
}

VOUCH_API void vouch_public_key_free(vouch_public_key *key)
{
    if (key == NULL) {
        return;
    }
    vouch__verify_pool_clear(&key->pool);
    EVP_PKEY_free(key->pkey);
    vouch__pgp_key_free(key->pgp);
    free(key->id);
    free(key->comment);
    free(key->text);
    free(key);
}

/* The rule every key text follows: at most VOUCH_KEY_MAX_BYTES ("WHAT is
 * N bytes; the limit is M" otherwise), and NULL reads as empty (then the
 * parser says what is missing). */
static int key_text(const char **text, size_t *len, const char *what,
                    vouch_error *err)
{
    if (*len > VOUCH_KEY_MAX_BYTES) {
        return vouch__error_set(err, VOUCH_ETOOBIG, NULL, 0, 0,
                                "%s is %zu bytes; the limit is %u", what,
                                *len, VOUCH_KEY_MAX_BYTES);
    }
    if (*text == NULL) {
        *text = "";
        *len = 0;
    }
    return VOUCH_OK;
}

/* Allocate a key with its comment and text copied. */
static int key_alloc(vouch_public_key **out, vouch_key_kind kind,
                     const char *text, size_t len, const char *comment,
                     vouch_error *err)
{
    vouch_public_key *key = calloc(1, sizeof(*key));

    *out = NULL;
    if (key == NULL) {
        goto nomem;
    }
    key->kind = kind;
    key->text = vouch__strndup(text, len);
    if (key->text == NULL) {
        goto nomem;
    }
    if (comment != NULL) {
        key->comment = vouch__strdup(comment);
        if (key->comment == NULL) {
            goto nomem;
        }
    }
    *out = key;
    return VOUCH_OK;

nomem:
    vouch_public_key_free(key);
    return vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                            "out of memory for a public key");
}

VOUCH_API int vouch_public_key_new_pkix(vouch_public_key **out,
                                        const char *pem, size_t pem_len,
                                        vouch_signature_algorithm alg,
                                        const char *id, const char *comment,
                                        vouch_error *err)
{
    vouch_public_key *key = NULL;
    EVP_PKEY *pkey = NULL;
    unsigned char *der = NULL;
    size_t der_len = 0;
    int rc;

    *out = NULL;
    rc = key_text(&pem, &pem_len, "public key", err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch__pkix_parse_public_pem(pem, pem_len, &pkey, &der, &der_len,
                                      err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = vouch__pkix_check_alg(pkey, alg, &alg, err);
    if (rc < 0) {
        goto cleanup;
    }
    if (id != NULL && id[0] != '\0') {
        rc = check_id(id, strlen(id), err);
        if (rc < 0) {
            goto cleanup;
        }
    }
    rc = key_alloc(&key, VOUCH_KEY_PKIX, pem, pem_len, comment, err);
    if (rc < 0) {
        goto cleanup;
    }
    if (id != NULL && id[0] != '\0') {
        key->id = vouch__strdup(id);
        if (key->id == NULL) {
            rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                  "out of memory for a public key");
            goto cleanup;
        }
    } else {
        rc = vouch__pkix_default_id(der, der_len, &key->id, err);
        if (rc < 0) {
            goto cleanup;
        }
    }
    key->id_len = strlen(key->id);
    key->alg = alg;
    key->pkey = pkey;
    pkey = NULL;
    *out = key;
    key = NULL;
    rc = VOUCH_OK;

cleanup:
    vouch_public_key_free(key);
    EVP_PKEY_free(pkey);
    free(der);
    return rc;
}

VOUCH_API int vouch_public_key_new_pgp(vouch_public_key **out,
                                       const char *armored, size_t len,
                                       const char *comment, vouch_error *err)
{
    vouch_public_key *key = NULL;
    vouch__pgp_key *pgp = NULL;
    char fpr[VOUCH__PGP_FPR_LEN + 1];
    int rc;

    *out = NULL;
    rc = key_text(&armored, &len, "public key", err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch__pgp_key_load(&pgp, armored, len, fpr, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = key_alloc(&key, VOUCH_KEY_PGP, armored, len, comment, err);
    if (rc < 0) {
        goto cleanup;
    }
    key->id = vouch__strndup(fpr, VOUCH__PGP_FPR_LEN);
    key->id_len = VOUCH__PGP_FPR_LEN;
    if (key->id == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory for a public key");
        goto cleanup;
    }
    key->alg = VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED;
    key->pgp = pgp;
    pgp = NULL;
    *out = key;
    key = NULL;
    rc = VOUCH_OK;

cleanup:
    vouch_public_key_free(key);
    vouch__pgp_key_free(pgp);
    return rc;
}

VOUCH__GETTER(vouch_key_kind, public_key, kind)
VOUCH__GETTER(const char *, public_key, id)

size_t vouch__public_key_id_len(const vouch_public_key *key)
{
    return key->id_len;
}

VOUCH__GETTER(const char *, public_key, comment)
VOUCH__GETTER(const char *, public_key, text)

VOUCH_API vouch_signature_algorithm
vouch_public_key_algorithm(const vouch_public_key *key)
{
    return key->alg;
}

VOUCH_API int vouch_public_key_verify(const vouch_public_key *key,
                                      const unsigned char *payload,
                                      size_t payload_len,
                                      const unsigned char *sig, size_t sig_len,
                                      vouch_error *err)
{
    if (key == NULL) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "no key to verify with");
    }
    if (key->kind == VOUCH_KEY_PGP) {
        return vouch__pgp_verify_detached(key->pgp, payload, payload_len,
                                          sig, sig_len, err);
    }
    /* The key is const to callers, its pool of contexts is not. */
    return vouch__pkix_verify_pooled(key->pkey, key->alg,
                                     (vouch__verify_pool *)&key->pool,
                                     payload, payload_len, sig, sig_len,
                                     err);
}

VOUCH_API int vouch_public_key_verify_attached(const vouch_public_key *key,
                                               const unsigned char *msg,
                                               size_t msg_len,
                                               unsigned char **payload_out,
                                               size_t *payload_len_out,
                                               vouch_error *err)
{
    *payload_out = NULL;
    *payload_len_out = 0;
    if (key == NULL || key->kind != VOUCH_KEY_PGP) {
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "an attached signed message needs an "
                                "OpenPGP key, not a PKIX key");
    }
    return vouch__pgp_verify_attached(key->pgp, msg, msg_len, payload_out,
                                      payload_len_out, err);
}

int vouch__public_key_verify_jws(const vouch_public_key *key, const char *alg,
                                 size_t alg_len, const unsigned char *input,
                                 size_t input_len, const unsigned char *sig,
                                 size_t sig_len, vouch_error *err)
{
    if (key == NULL || key->kind != VOUCH_KEY_PKIX) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "JWS signatures need a PKIX key, not an "
                                "OpenPGP key");
    }
    return vouch__pkix_verify_jws(key->pkey, key->alg, alg, alg_len, input,
                                  input_len, sig, sig_len, err);
}

/* ---------------------------------------------------------------------- */
/* key ids                                                                 */

VOUCH_API int vouch_key_default_id(const char *data, size_t len, char **out,
                                   vouch_error *err)
{
    static const char pgp_marker[] = "-----BEGIN PGP ";
    vouch__pgp_key *pgp = NULL;
    EVP_PKEY *pkey = NULL;
    unsigned char *der = NULL;
    size_t der_len = 0;
    char fpr[VOUCH__PGP_FPR_LEN + 1];
    size_t i = 0;
    int rc;

    *out = NULL;
    rc = key_text(&data, &len, "key", err);
    if (rc < 0) {
        return rc;
    }
    while (i < len && (data[i] == ' ' || data[i] == '\t' ||
                       data[i] == '\r' || data[i] == '\n')) {
        i++;
    }
    if (len - i >= sizeof(pgp_marker) - 1 &&
        memcmp(data + i, pgp_marker, sizeof(pgp_marker) - 1) == 0) {
        rc = vouch__pgp_key_load(&pgp, data, len, fpr, err);
        if (rc == VOUCH_EINVAL) {
            /* several primary keys: for an id, the file is unusable */
            if (err != NULL) {
                err->code = VOUCH_EPARSE;
            }
            rc = VOUCH_EPARSE;
        }
        if (rc < 0) {
            goto cleanup;
        }
        *out = vouch__strndup(fpr, VOUCH__PGP_FPR_LEN);
    } else {
        rc = vouch__pkix_parse_public_pem(data, len, &pkey, &der, &der_len,
                                          err);
        if (rc < 0) {
            goto cleanup;
        }
        rc = vouch__pkix_default_id(der, der_len, out, err);
        if (rc < 0) {
            goto cleanup;
        }
    }
    if (*out == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory for a key id");
        goto cleanup;
    }
    rc = VOUCH_OK;

cleanup:
    vouch__pgp_key_free(pgp);
    EVP_PKEY_free(pkey);
    free(der);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* private keys                                                            */

VOUCH_API int vouch_private_key_new(vouch_private_key **out, const char *pem,
                                    size_t len, vouch_signature_algorithm alg,
                                    vouch_error *err)
{
    vouch_private_key *key = NULL;
    EVP_PKEY *pkey = NULL;
    int rc;

    *out = NULL;
    rc = key_text(&pem, &len, "private key", err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch__pkix_parse_private_pem(pem, len, &pkey, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = vouch__pkix_check_alg(pkey, alg, &alg, err);
    if (rc < 0) {
        goto cleanup;
    }
    key = calloc(1, sizeof(*key));
    if (key == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory for a private key");
        goto cleanup;
    }
    key->alg = alg;
    key->pkey = pkey;
    pkey = NULL;
    *out = key;
    rc = VOUCH_OK;

cleanup:
    EVP_PKEY_free(pkey); /* OpenSSL clears private components on free */
    return rc;
}

VOUCH_API void vouch_private_key_free(vouch_private_key *key)
{
    if (key == NULL) {
        return;
    }
    EVP_PKEY_free(key->pkey);
    OPENSSL_cleanse(key, sizeof(*key));
    free(key);
}

VOUCH_API vouch_signature_algorithm
vouch_private_key_algorithm(const vouch_private_key *key)
{
    return key->alg;
}

VOUCH_API int vouch_private_key_public_id(const vouch_private_key *key,
                                          char **out, vouch_error *err)
{
    return vouch__pkix_key_default_id(key->pkey, out, err);
}

VOUCH_API int vouch_private_key_sign(const vouch_private_key *key,
                                     const unsigned char *payload,
                                     size_t payload_len,
                                     unsigned char **sig_out,
                                     size_t *sig_len_out, vouch_error *err)
{
    return vouch__pkix_sign(key->pkey, key->alg, payload, payload_len,
                            sig_out, sig_len_out, err);
}
