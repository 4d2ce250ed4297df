/*
 * vouchd — TLS for the API port (`--tls-cert FILE --tls-key FILE`,
 * docs/security.md "TLS"): libmicrohttpd's TLS, which is GnuTLS in
 * Debian's build, restricted to TLS 1.2 and 1.3 (API_TLS_PRIORITIES).
 *
 * The certificate is not handed to libmicrohttpd once: every handshake
 * asks api_tls_cert_callback() for the pair in force, so a SIGHUP can put
 * a renewed certificate in force (api_tls_reload()) without restarting
 * the daemon or touching a connection in flight. A pair that was replaced
 * stays allocated until the api_tls is freed: a session that began with it
 * may still point at it, and GnuTLS has no hook that says when it stops.
 * That costs a few kilobytes per reload.
 *
 * GnuTLS's certificate callback has no closure argument, so the pair in
 * force is found through one process-wide pointer (api_tls_install()):
 * one TLS server per process, which is what vouchd runs.
 */
#ifndef VOUCH_API_TLS_H
#define VOUCH_API_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "vouch/common.h"

/* GnuTLS priorities: its defaults, with every version but 1.2 and 1.3
 * taken out (SSL 3, TLS 1.0 and 1.1 are refused at the handshake). */
#define API_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* Largest certificate chain or key file, and most certificates in a
 * chain. */
#define API_TLS_MAX_FILE_BYTES (1024u * 1024u)
#define API_TLS_MAX_CHAIN 16u

typedef struct api_tls api_tls;

/*
 * Read the PEM certificate chain (the server's certificate first, then
 * its intermediates) and the PEM private key, and check that the key is
 * the certificate's and that the certificate has not expired.
 *
 * @param cert_file, key_file  Paths; copied.
 * @param[out] out  Caller owns it; free with api_tls_free().
 * @return 0; VOUCH_EIO (a file cannot be read); VOUCH_EINVAL (not PEM, no
 *         certificate, a key that is not the certificate's, an expired
 *         certificate: the message names the flag and the file);
 *         VOUCH_ETOOBIG; VOUCH_ENOMEM.
 * Thread safety: reentrant.
 */
int api_tls_new(api_tls **out, const char *cert_file, const char *key_file,
                vouch_error *err);

/*
 * Read both files again and, when they pass the checks of api_tls_new(),
 * put the new pair in force for every handshake from now on. On failure
 * the pair in force stays, and `err` says why.
 * Thread safety: safe from any thread, concurrently with handshakes;
 * reloads are serialised.
 */
int api_tls_reload(api_tls *tls, vouch_error *err);

/*
 * One line about the pair in force, for the server log: the subject and
 * the end of validity ("CN=vouch.example.com, valid until
 * 2027-01-31T00:00:00Z"). Thread safety: as api_tls_reload().
 */
void api_tls_describe(api_tls *tls, char *buf, size_t size);

/*
 * Make `tls` the one api_tls_cert_callback() serves; NULL uninstalls.
 * @return 0; VOUCH_EINVAL when another api_tls is installed.
 * Thread safety: call before the daemon starts and after it stopped.
 */
int api_tls_install(api_tls *tls, vouch_error *err);

/*
 * The certificate callback to give libmicrohttpd
 * (MHD_OPTION_HTTPS_CERT_CALLBACK): the chain and key in force of the
 * installed api_tls. Fails the handshake when none is installed.
 */
int api_tls_cert_callback(gnutls_session_t session,
                          const gnutls_datum_t *req_ca_rdn, int nreqs,
                          const gnutls_pk_algorithm_t *pk_algos,
                          int pk_algos_length, gnutls_pcert_st **pcert,
                          unsigned int *pcert_length,
                          gnutls_privkey_t *privkey);

/*
 * The first record of a connection, judged before GnuTLS reads it:
 * libmicrohttpd closes a failed handshake without a word, so a client
 * that speaks plain HTTP, or offers nothing newer than TLS 1.1, would see
 * the connection drop. Instead it gets a TLS alert, as a TLS server
 * answers: unexpected_message for anything that is not a handshake
 * record (an HTTP request), protocol_version for a ClientHello whose
 * version is below TLS 1.2. Call from the daemon's
 * MHD_OPTION_NOTIFY_CONNECTION callback, for every connection of a TLS
 * daemon: started wraps the session's reads, closed unwraps and frees.
 */
void api_tls_connection_started(struct MHD_Connection *connection);
void api_tls_connection_closed(struct MHD_Connection *connection);

/*
 * The judgement itself, on the first `n` bytes a client sent (at most 11
 * are looked at): 0 when they may start a TLS 1.2 or 1.3 handshake, or
 * when more bytes are needed to tell (`*more`); otherwise the alert
 * description to send (10 unexpected_message, 70 protocol_version).
 * Reentrant.
 */
int api_tls_judge_first_record(const unsigned char *b, size_t n,
                               bool *more);

/* Free `tls` and every pair it held (uninstalling it when installed).
 * NULL-safe. Only after the daemon that used it has stopped. */
void api_tls_free(api_tls *tls);

#endif /* VOUCH_API_TLS_H */
