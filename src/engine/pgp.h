/*
 * Library-internal: OpenPGP public keys and signatures through RNP (librnp
 * 0.16, in-process, no keyring directory); docs/keys.md.
 *
 * Each vouch__pgp_key owns one rnp_ffi_t holding exactly that key (primary
 * plus subkeys). An RNP ffi object is not thread-safe, so every use of it
 * is serialised by a mutex inside the key (see docs/keys.md for why this
 * and not a fresh ffi per verification).
 */
#ifndef VOUCH_PGP_H
#define VOUCH_PGP_H

#include <stddef.h>

#include "internal.h"

#define VOUCH__PGP_FPR_LEN 40

typedef struct vouch__pgp_key vouch__pgp_key;

/*
 * Import exactly one primary key (with its subkeys) from ASCII armor (LF or
 * CRLF). `len` must already be within VOUCH_KEY_MAX_BYTES. `fpr_out`
 * receives the upper-case V4 fingerprint. Errors: EPARSE (not armor, no
 * key), EINVAL (several primary keys, not V4), ENOMEM.
 */
int vouch__pgp_key_load(vouch__pgp_key **out, const char *armored,
                        size_t len, char fpr_out[VOUCH__PGP_FPR_LEN + 1],
                        vouch_error *err);

/* NULL-safe. */
void vouch__pgp_key_free(vouch__pgp_key *key);

/*
 * Verify an attached (signed) message, armored or binary; on success
 * *payload_out (malloc'd, NUL-terminated for convenience) holds the
 * literal data. 0 or ECRYPTO with the reason; ENOMEM.
 */
int vouch__pgp_verify_attached(vouch__pgp_key *key, const unsigned char *msg,
                               size_t msg_len, unsigned char **payload_out,
                               size_t *payload_len_out, vouch_error *err);

/* Verify a detached signature (armored or binary) over `data`. */
int vouch__pgp_verify_detached(vouch__pgp_key *key, const unsigned char *data,
                               size_t data_len, const unsigned char *sig,
                               size_t sig_len, vouch_error *err);

#endif /* VOUCH_PGP_H */
