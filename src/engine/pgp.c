/*
 * OpenPGP public keys and signatures through RNP (docs/keys.md).
 *
 * Sections:
 *   key import ...... vouch__pgp_key_load, vouch__pgp_key_free
 *   verification .... vouch__pgp_verify_attached, vouch__pgp_verify_detached
 *
 * How RNP 0.16 judges validity (checked against the vectors in
 * tests/data/vectors/signatures.json, see docs/keys.md):
 * - a signature whose own expiration time has passed: status
 *   RNP_ERROR_SIGNATURE_EXPIRED -> invalid;
 * - a signature by a subkey that the primary key has revoked: the subkey
 *   is invalid, RNP reports RNP_ERROR_SIGNATURE_INVALID -> invalid;
 * - a key (or subkey) that has expired *since* the signature was made:
 *   RNP checks the key's validity at the signature's creation time, so the
 *   status is RNP_SUCCESS -> valid (what kritis and the vectors expect).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rnp/rnp.h>
#include <rnp/rnp_err.h>

#include "pgp.h"

struct vouch__pgp_key {
    pthread_mutex_t lock;  /* serialises every use of `ffi` */
    rnp_ffi_t ffi;         /* holds this key (primary + subkeys) only */
    char fpr[VOUCH__PGP_FPR_LEN + 1];
};

/* ---------------------------------------------------------------------- */
/* key import                                                              */

/*
 * Debian's librnp 0.16 logs its internal diagnostics ("signer's key not
 * found") to stderr, interleaving them with vouch's own output; vouch's
 * error already says what failed, in words for the user. RNP sends that
 * log to the context's log fd, and takes ownership of the fd we give it.
 * If /dev/null cannot be opened the log simply stays on stderr.
 */
static void quiet_rnp_log(rnp_ffi_t ffi)
{
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

    if (fd >= 0 && rnp_ffi_set_log_fd(ffi, fd) != RNP_SUCCESS) {
        close(fd);
    }
}

static int check_armor(const char *armored, size_t len, vouch_error *err)
{
    size_t i = 0;
    int line;
    int col;

    while (i < len && vouch__is_space(armored[i])) {
        i++;
    }
    if (i == len) {
        return vouch__error_set(err, VOUCH_EPARSE, NULL, 0, 0,
                                "key is empty; expected -----BEGIN PGP "
                                "PUBLIC KEY BLOCK-----");
    }
    if (vouch__slice_has_prefix(armored + i, len - i,
                                "-----BEGIN PGP PUBLIC KEY BLOCK-----")) {
        return VOUCH_OK;
    }
    vouch__text_position(armored, i, &line, &col);
    if (vouch__slice_has_prefix(armored + i, len - i,
                                "-----BEGIN PGP PRIVATE KEY BLOCK-----")) {
        return vouch__error_set(err, VOUCH_EPARSE, NULL, line, col,
                                "this is a PGP private key; give the public"
                                " key (gpg --export --armor)");
    }
    return vouch__error_set(err, VOUCH_EPARSE, NULL, line, col,
                            "not an ASCII-armored OpenPGP public key: "
                            "expected -----BEGIN PGP PUBLIC KEY "
                            "BLOCK----- (gpg --export --armor)");
}

/* Count the primary keys in `ffi` and copy the fingerprint of the last. */
static int count_primaries(rnp_ffi_t ffi, size_t *count,
                           char fpr_out[VOUCH__PGP_FPR_LEN + 1],
                           size_t *fpr_len, vouch_error *err)
{
    rnp_identifier_iterator_t it = NULL;
    rnp_key_handle_t key = NULL;
    const char *ident = NULL;
    char *fpr = NULL;
    bool primary = false;
    int rc = VOUCH_OK;

    *count = 0;
    *fpr_len = 0;
    if (rnp_identifier_iterator_create(ffi, &it, "fingerprint") !=
        RNP_SUCCESS) {
        return vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                "cannot list the imported keys");
    }
    for (;;) {
        if (rnp_identifier_iterator_next(it, &ident) != RNP_SUCCESS ||
            ident == NULL) {
            break;
        }
        if (rnp_locate_key(ffi, "fingerprint", ident, &key) != RNP_SUCCESS ||
            key == NULL) {
            continue;
        }
        if (rnp_key_is_primary(key, &primary) == RNP_SUCCESS && primary) {
            (*count)++;
            if (rnp_key_get_fprint(key, &fpr) == RNP_SUCCESS) {
                size_t n = strlen(fpr);

                *fpr_len = n;
                if (n == VOUCH__PGP_FPR_LEN) {
                    memcpy(fpr_out, fpr, n + 1);
                }
                rnp_buffer_destroy(fpr);
                fpr = NULL;
            }
        }
        rnp_key_handle_destroy(key);
        key = NULL;
    }
    rnp_identifier_iterator_destroy(it);
    return rc;
}

int vouch__pgp_key_load(vouch__pgp_key **out, const char *armored,
                        size_t len, char fpr_out[VOUCH__PGP_FPR_LEN + 1],
                        vouch_error *err)
{
    vouch__pgp_key *key = NULL;
    rnp_ffi_t ffi = NULL;
    rnp_input_t input = NULL;
    char *results = NULL;
    char fpr[VOUCH__PGP_FPR_LEN + 1] = "";
    size_t primaries = 0;
    size_t fpr_len = 0;
    rnp_result_t res;
    int rc;

    *out = NULL;
    rc = check_armor(armored, len, err);
    if (rc < 0) {
        return rc;
    }
    if (rnp_ffi_create(&ffi, "GPG", "GPG") != RNP_SUCCESS) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "cannot create an OpenPGP context");
        goto cleanup;
    }
    quiet_rnp_log(ffi);
    if (rnp_input_from_memory(&input, (const uint8_t *)armored, len,
                              false) != RNP_SUCCESS) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory reading the OpenPGP key");
        goto cleanup;
    }
    res = rnp_import_keys(ffi, input, RNP_LOAD_SAVE_PUBLIC_KEYS, &results);
    if (res != RNP_SUCCESS) {
        rc = vouch__error_set(err, VOUCH_EPARSE, NULL, 0, 0,
                              "cannot read the OpenPGP public key (bad or "
                              "truncated armor or key packets: %s)",
                              rnp_result_to_string(res));
        goto cleanup;
    }
    rc = count_primaries(ffi, &primaries, fpr, &fpr_len, err);
    if (rc < 0) {
        goto cleanup;
    }
    if (primaries == 0) {
        rc = vouch__error_set(err, VOUCH_EPARSE, NULL, 0, 0,
                              "the armor holds no OpenPGP primary key");
        goto cleanup;
    }
    if (primaries > 1) {
        rc = vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                              "the armor holds %zu primary keys; exactly "
                              "one is allowed", primaries);
        goto cleanup;
    }
    if (fpr_len != VOUCH__PGP_FPR_LEN) {
        rc = vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                              "the key is not an OpenPGP V4 key (its "
                              "fingerprint has %zu hex digits, not 40)",
                              fpr_len);
        goto cleanup;
    }
    key = calloc(1, sizeof(*key));
    if (key == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory for an OpenPGP key");
        goto cleanup;
    }
    if (pthread_mutex_init(&key->lock, NULL) != 0) {
        free(key);
        key = NULL;
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "cannot create a mutex for an OpenPGP key");
        goto cleanup;
    }
    key->ffi = ffi;
    ffi = NULL;
    memcpy(key->fpr, fpr, sizeof(fpr));
    memcpy(fpr_out, fpr, sizeof(fpr));
    *out = key;
    rc = VOUCH_OK;

cleanup:
    rnp_buffer_destroy(results);
    rnp_input_destroy(input);
    rnp_ffi_destroy(ffi);
    return rc;
}

void vouch__pgp_key_free(vouch__pgp_key *key)
{
    if (key == NULL) {
        return;
    }
    rnp_ffi_destroy(key->ffi);
    pthread_mutex_destroy(&key->lock);
    free(key);
}

/* ---------------------------------------------------------------------- */
/* verification                                                            */

/* Key id (16 hex) of the key that made `vsig`, or "unknown". */
static void signer_keyid(rnp_op_verify_signature_t vsig, char out[17])
{
    rnp_signature_handle_t handle = NULL;
    char *keyid = NULL;

    memcpy(out, "unknown", 8);
    if (rnp_op_verify_signature_get_handle(vsig, &handle) != RNP_SUCCESS ||
        handle == NULL) {
        return;
    }
    if (rnp_signature_get_keyid(handle, &keyid) == RNP_SUCCESS &&
        keyid != NULL && strlen(keyid) == 16) {
        memcpy(out, keyid, 17);
    }
    rnp_buffer_destroy(keyid);
    rnp_signature_handle_destroy(handle);
}

static int status_error(const vouch__pgp_key *key, rnp_result_t status,
                        const char *keyid, vouch_error *err)
{
    switch (status) {
    case RNP_ERROR_SIGNATURE_EXPIRED:
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "the OpenPGP signature by key %s has "
                                "expired", keyid);
    case RNP_ERROR_KEY_NOT_FOUND:
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "the OpenPGP signature was made by key %s, "
                                "which is not key %s or one of its "
                                "subkeys", keyid, key->fpr);
    case RNP_ERROR_SIGNATURE_INVALID:
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "the OpenPGP signature by key %s does not "
                                "verify (tampered data, or a revoked or "
                                "invalid signing key)", keyid);
    default:
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "the OpenPGP signature by key %s is not "
                                "valid: %s", keyid,
                                rnp_result_to_string(status));
    }
}

/*
 * Run `op` and decide: valid when at least one signature has status
 * RNP_SUCCESS (the ffi holds only this key, so that signature is ours).
 * Otherwise report the first signature's problem.
 */
static int run_verify(const vouch__pgp_key *key, rnp_op_verify_t op,
                      vouch_error *err)
{
    rnp_op_verify_signature_t vsig = NULL;
    rnp_result_t res;
    rnp_result_t first = RNP_SUCCESS;
    char first_keyid[17] = "unknown";
    size_t count = 0;
    size_t i;

    res = rnp_op_verify_execute(op);
    if (rnp_op_verify_get_signature_count(op, &count) != RNP_SUCCESS) {
        count = 0;
    }
    if (count == 0) {
        if (res == RNP_SUCCESS || res == RNP_ERROR_NO_SIGNATURES_FOUND) {
            return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                    "the OpenPGP message carries no "
                                    "signature");
        }
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "not a valid OpenPGP signed message (%s)",
                                rnp_result_to_string(res));
    }
    for (i = 0; i < count; i++) {
        rnp_result_t status;

        if (rnp_op_verify_get_signature_at(op, i, &vsig) != RNP_SUCCESS) {
            continue;
        }
        status = rnp_op_verify_signature_get_status(vsig);
        if (status == RNP_SUCCESS && res == RNP_SUCCESS) {
            return VOUCH_OK;
        }
        if (i == 0) {
            first = status != RNP_SUCCESS ? status : res;
            signer_keyid(vsig, first_keyid);
        }
    }
    if (first == RNP_SUCCESS) {
        first = res;
    }
    return status_error(key, first, first_keyid, err);
}

int vouch__pgp_verify_attached(vouch__pgp_key *key, const unsigned char *msg,
                               size_t msg_len, unsigned char **payload_out,
                               size_t *payload_len_out, vouch_error *err)
{
    rnp_input_t input = NULL;
    rnp_output_t output = NULL;
    rnp_op_verify_t op = NULL;
    uint8_t *buf = NULL;
    size_t buf_len = 0;
    unsigned char *payload = NULL;
    bool locked = false;
    int rc;

    *payload_out = NULL;
    *payload_len_out = 0;
    if (msg == NULL || msg_len == 0) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "the OpenPGP signed message is empty");
    }
    if (msg_len > VOUCH_PAYLOAD_MAX_BYTES + VOUCH_SIGNATURE_MAX_BYTES) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "the OpenPGP signed message is %zu bytes, "
                                "over the limit of %u", msg_len,
                                VOUCH_PAYLOAD_MAX_BYTES +
                                    VOUCH_SIGNATURE_MAX_BYTES);
    }
    if (pthread_mutex_lock(&key->lock) != 0) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "cannot lock the OpenPGP key");
    }
    locked = true;
    if (rnp_input_from_memory(&input, msg, msg_len, false) != RNP_SUCCESS ||
        rnp_output_to_memory(&output, VOUCH_PAYLOAD_MAX_BYTES) !=
            RNP_SUCCESS ||
        rnp_op_verify_create(&op, key->ffi, input, output) != RNP_SUCCESS) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "cannot set up OpenPGP verification");
        goto cleanup;
    }
    rc = run_verify(key, op, err);
    if (rc < 0) {
        goto cleanup;
    }
    if (rnp_output_memory_get_buf(output, &buf, &buf_len, false) !=
        RNP_SUCCESS) {
        rc = vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                              "cannot read the signed payload");
        goto cleanup;
    }
    payload = malloc(buf_len + 1);
    if (payload == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory for the signed payload");
        goto cleanup;
    }
    if (buf_len > 0) {
        memcpy(payload, buf, buf_len);
    }
    payload[buf_len] = '\0';
    *payload_out = payload;
    *payload_len_out = buf_len;
    rc = VOUCH_OK;

cleanup:
    rnp_op_verify_destroy(op);
    rnp_output_destroy(output);
    rnp_input_destroy(input);
    if (locked) {
        pthread_mutex_unlock(&key->lock);
    }
    return rc;
}

int vouch__pgp_verify_detached(vouch__pgp_key *key, const unsigned char *data,
                               size_t data_len, const unsigned char *sig,
                               size_t sig_len, vouch_error *err)
{
    static const unsigned char empty[1] = { 0 };
    rnp_input_t input = NULL;
    rnp_input_t signature = NULL;
    rnp_op_verify_t op = NULL;
    bool locked = false;
    int rc;

    if (sig == NULL || sig_len == 0) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "the OpenPGP signature is empty");
    }
    if (sig_len > VOUCH_SIGNATURE_MAX_BYTES) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "the OpenPGP signature is %zu bytes, over "
                                "the limit of %u", sig_len,
                                VOUCH_SIGNATURE_MAX_BYTES);
    }
    if (data == NULL) {
        data = empty;
        data_len = 0;
    }
    if (pthread_mutex_lock(&key->lock) != 0) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "cannot lock the OpenPGP key");
    }
    locked = true;
    if (rnp_input_from_memory(&input, data, data_len, false) !=
            RNP_SUCCESS ||
        rnp_input_from_memory(&signature, sig, sig_len, false) !=
            RNP_SUCCESS ||
        rnp_op_verify_detached_create(&op, key->ffi, input, signature) !=
            RNP_SUCCESS) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "cannot set up OpenPGP verification");
        goto cleanup;
    }
    rc = run_verify(key, op, err);

cleanup:
    rnp_op_verify_destroy(op);
    rnp_input_destroy(signature);
    rnp_input_destroy(input);
    if (locked) {
        pthread_mutex_unlock(&key->lock);
    }
    return rc;
}
