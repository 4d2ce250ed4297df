/*
 * vouchd — TLS certificates for the API port, re-read on SIGHUP (tls.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <gnutls/x509.h>

#include "tls.h"
#include "vutil_error.h"

/* One certificate chain and its key, immutable once built. */
typedef struct tls_pair {
    gnutls_pcert_st pcerts[API_TLS_MAX_CHAIN];
    unsigned count;
    gnutls_privkey_t key;
    char summary[256];
    struct tls_pair *older;     /* replaced pairs, freed with the api_tls */
} tls_pair;

struct api_tls {
    char *cert_file;
    char *key_file;
    _Atomic(tls_pair *) current;
    pthread_mutex_t reload_lock;    /* one reload at a time; guards the
                                       `older` chain */
};

/* The api_tls the handshake callback serves (tls.h says why it is
 * process-wide). */
static _Atomic(api_tls *) installed = NULL;

static int fail(vouch_error *err, vouch_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(vouch_error *err, vouch_code code, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vutil_error_setv(err, code, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return rc;
}

/* The whole file, at most API_TLS_MAX_FILE_BYTES; free with
 * gnutls_free()-compatible free(). */
static int read_pem(const char *flag, const char *path, gnutls_datum_t *out,
                    vouch_error *err)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = 0;

    out->data = NULL;
    out->size = 0;
    if (f == NULL) {
        return fail(err, VOUCH_EIO, "%s %s: %s", flag, path,
                    strerror(errno));
    }
    buf = malloc(API_TLS_MAX_FILE_BYTES + 1);
    if (buf == NULL) {
        fclose(f);
        return fail(err, VOUCH_ENOMEM, "%s %s: out of memory", flag, path);
    }
    len = fread(buf, 1, API_TLS_MAX_FILE_BYTES + 1, f);
    if (ferror(f)) {
        rc = fail(err, VOUCH_EIO, "%s %s: %s", flag, path, strerror(errno));
    } else if (len > API_TLS_MAX_FILE_BYTES) {
        rc = fail(err, VOUCH_ETOOBIG, "%s %s: larger than %u bytes", flag,
                  path, API_TLS_MAX_FILE_BYTES);
    }
    fclose(f);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    out->data = buf;
    out->size = (unsigned)len;
    return 0;
}

static void wipe_free(gnutls_datum_t *d)
{
    if (d->data != NULL) {
        gnutls_memset(d->data, 0, d->size);  /* a key: leave no copy */
        free(d->data);
    }
    d->data = NULL;
    d->size = 0;
}

static void pair_free(tls_pair *p)
{
    while (p != NULL) {
        tls_pair *older = p->older;

        for (unsigned i = 0; i < p->count; i++) {
            gnutls_pcert_deinit(&p->pcerts[i]);
        }
        gnutls_privkey_deinit(p->key);
        free(p);
        p = older;
    }
}

/* Is the private key the one whose public half the certificate holds? */
static bool key_matches(gnutls_privkey_t key, gnutls_pubkey_t cert_key)
{
    gnutls_pubkey_t pub = NULL;
    unsigned char a[64];
    unsigned char b[64];
    size_t alen = sizeof(a);
    size_t blen = sizeof(b);
    bool same = false;

    if (gnutls_pubkey_init(&pub) == 0 &&
        gnutls_pubkey_import_privkey(pub, key, 0, 0) == 0 &&
        gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, a,
                                 &alen) == 0 &&
        gnutls_pubkey_get_key_id(cert_key, GNUTLS_KEYID_USE_SHA256, b,
                                 &blen) == 0) {
        same = alen == blen && memcmp(a, b, alen) == 0;
    }
    gnutls_pubkey_deinit(pub);
    return same;
}

/* Check the leaf certificate's validity and describe it. */
static int check_leaf(const api_tls *tls, tls_pair *p, vouch_error *err)
{
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t dn = {NULL, 0};
    time_t until;
    struct tm tm;
    char when[32];
    int rc = 0;

    if (gnutls_x509_crt_init(&crt) < 0 ||
        gnutls_x509_crt_import(crt, &p->pcerts[0].cert,
                               GNUTLS_X509_FMT_DER) < 0) {
        gnutls_x509_crt_deinit(crt);
        return fail(err, VOUCH_EINVAL, "--tls-cert %s: the first "
                    "certificate cannot be read", tls->cert_file);
    }
    until = gnutls_x509_crt_get_expiration_time(crt);
    gmtime_r(&until, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (until != (time_t)-1 && until < time(NULL)) {
        rc = fail(err, VOUCH_EINVAL, "--tls-cert %s: the certificate "
                  "expired at %s", tls->cert_file, when);
    } else {
        (void)gnutls_x509_crt_get_dn3(crt, &dn, 0);
        snprintf(p->summary, sizeof(p->summary), "%.*s, valid until %s",
                 dn.data != NULL ? (int)(dn.size > 160 ? 160 : dn.size) : 0,
                 dn.data != NULL ? (const char *)dn.data : "", when);
    }
    gnutls_free(dn.data);
    gnutls_x509_crt_deinit(crt);
    return rc;
}

/* Read and check both files into a new pair. */
static int pair_load(const api_tls *tls, tls_pair **out, vouch_error *err)
{
    gnutls_datum_t cert = {NULL, 0};
    gnutls_datum_t key = {NULL, 0};
    tls_pair *p = NULL;
    unsigned max = API_TLS_MAX_CHAIN;
    int g;
    int rc;

    *out = NULL;
    rc = read_pem("--tls-cert", tls->cert_file, &cert, err);
    if (rc == 0) {
        rc = read_pem("--tls-key", tls->key_file, &key, err);
    }
    if (rc < 0) {
        goto cleanup;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        rc = fail(err, VOUCH_ENOMEM, "out of memory reading --tls-cert");
        goto cleanup;
    }
    g = gnutls_pcert_list_import_x509_raw(p->pcerts, &max, &cert,
                                          GNUTLS_X509_FMT_PEM, 0);
    if (g < 0 || max == 0) {
        rc = fail(err, VOUCH_EINVAL, "--tls-cert %s: not a PEM certificate "
                  "chain (at most %u certificates): %s", tls->cert_file,
                  API_TLS_MAX_CHAIN, g < 0 ? gnutls_strerror(g)
                                           : "no certificate");
        goto cleanup;
    }
    p->count = max;
    if (gnutls_privkey_init(&p->key) < 0) {
        rc = fail(err, VOUCH_ENOMEM, "out of memory reading --tls-key");
        goto cleanup;
    }
    g = gnutls_privkey_import_x509_raw(p->key, &key, GNUTLS_X509_FMT_PEM,
                                       NULL, 0);
    if (g < 0) {
        rc = fail(err, VOUCH_EINVAL, "--tls-key %s: not an unencrypted PEM "
                  "private key: %s", tls->key_file, gnutls_strerror(g));
        goto cleanup;
    }
    if (!key_matches(p->key, p->pcerts[0].pubkey)) {
        rc = fail(err, VOUCH_EINVAL, "--tls-key %s is not the key of the "
                  "certificate in --tls-cert %s", tls->key_file,
                  tls->cert_file);
        goto cleanup;
    }
    rc = check_leaf(tls, p, err);
    if (rc < 0) {
        goto cleanup;
    }
    *out = p;
    p = NULL;

cleanup:
    pair_free(p);
    wipe_free(&key);
    wipe_free(&cert);
    return rc;
}

int api_tls_new(api_tls **out, const char *cert_file, const char *key_file,
                vouch_error *err)
{
    api_tls *tls = NULL;
    tls_pair *p = NULL;
    int rc;

    *out = NULL;
    tls = calloc(1, sizeof(*tls));
    if (tls == NULL) {
        return fail(err, VOUCH_ENOMEM, "out of memory");
    }
    tls->cert_file = strdup(cert_file);
    tls->key_file = strdup(key_file);
    pthread_mutex_init(&tls->reload_lock, NULL);
    atomic_init(&tls->current, NULL);
    if (tls->cert_file == NULL || tls->key_file == NULL) {
        rc = fail(err, VOUCH_ENOMEM, "out of memory");
        goto cleanup;
    }
    rc = pair_load(tls, &p, err);
    if (rc < 0) {
        goto cleanup;
    }
    atomic_store(&tls->current, p);
    *out = tls;
    tls = NULL;

cleanup:
    api_tls_free(tls);
    return rc;
}

int api_tls_reload(api_tls *tls, vouch_error *err)
{
    tls_pair *p = NULL;
    int rc;

    pthread_mutex_lock(&tls->reload_lock);
    rc = pair_load(tls, &p, err);
    if (rc == 0) {
        p->older = atomic_load(&tls->current);
        atomic_store(&tls->current, p);
    }
    pthread_mutex_unlock(&tls->reload_lock);
    return rc;
}

void api_tls_describe(api_tls *tls, char *buf, size_t size)
{
    tls_pair *p = atomic_load(&tls->current);

    snprintf(buf, size, "%s", p != NULL ? p->summary : "");
}

int api_tls_install(api_tls *tls, vouch_error *err)
{
    api_tls *none = NULL;

    if (tls == NULL) {
        atomic_store(&installed, NULL);
        return 0;
    }
    if (!atomic_compare_exchange_strong(&installed, &none, tls) &&
        none != tls) {
        return fail(err, VOUCH_EINVAL, "another TLS server runs in this "
                    "process");
    }
    return 0;
}

int api_tls_cert_callback(gnutls_session_t session,
                          const gnutls_datum_t *req_ca_rdn, int nreqs,
                          const gnutls_pk_algorithm_t *pk_algos,
                          int pk_algos_length, gnutls_pcert_st **pcert,
                          unsigned int *pcert_length,
                          gnutls_privkey_t *privkey)
{
    api_tls *tls = atomic_load(&installed);
    tls_pair *p = tls != NULL ? atomic_load(&tls->current) : NULL;

    (void)session;
    (void)req_ca_rdn;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    if (p == NULL) {
        return -1;
    }
    *pcert = p->pcerts;
    *pcert_length = p->count;
    *privkey = p->key;
    return 0;
}

/* TLS record and alert numbers (RFC 8446 5.1, 6). */
#define REC_ALERT 0x15
#define REC_HANDSHAKE 0x16
#define HS_CLIENT_HELLO 0x01
#define ALERT_FATAL 2
#define ALERT_UNEXPECTED_MESSAGE 10
#define ALERT_PROTOCOL_VERSION 70
/* Record header (5), handshake header (4), ClientHello.client_version. */
#define HELLO_PEEK 11

/* The read side of one connection's transport while its first record
 * has not been judged. */
typedef struct first_record {
    int fd;
    bool judged;
} first_record;

static gnutls_session_t session_of(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection,
                                MHD_CONNECTION_INFO_GNUTLS_SESSION);

    return info != NULL ? (gnutls_session_t)info->tls_session : NULL;
}

static void send_alert(int fd, unsigned char v1, unsigned char v2,
                       unsigned char description)
{
    const unsigned char alert[7] = {REC_ALERT, v1, v2, 0, 2, ALERT_FATAL,
                                    description};

    /* Best effort: the connection ends either way. */
    (void)send(fd, alert, sizeof(alert), MSG_NOSIGNAL | MSG_DONTWAIT);
}

int api_tls_judge_first_record(const unsigned char *b, size_t n,
                               bool *more)
{
    *more = false;
    if (n == 0) {
        *more = true;
        return 0;
    }
    if (b[0] != REC_HANDSHAKE) {
        return ALERT_UNEXPECTED_MESSAGE;
    }
    if (n < HELLO_PEEK) {
        *more = true;
        return 0;
    }
    if (b[5] != HS_CLIENT_HELLO) {
        return ALERT_UNEXPECTED_MESSAGE;
    }
    /* A TLS 1.3 client says 1.2 here and 1.3 in supported_versions. */
    if (b[9] < 3 || (b[9] == 3 && b[10] < 3)) {
        return ALERT_PROTOCOL_VERSION;
    }
    return 0;
}

static ssize_t first_record_pull(gnutls_transport_ptr_t ptr, void *data,
                                 size_t size)
{
    first_record *fr = ptr;

    if (!fr->judged) {
        unsigned char head[HELLO_PEEK];
        ssize_t n = recv(fr->fd, head, sizeof(head), MSG_PEEK);
        bool more;
        int alert;

        if (n <= 0) {
            return n;          /* EOF, or errno (EAGAIN) for GnuTLS */
        }
        alert = api_tls_judge_first_record(head, (size_t)n, &more);
        if (more) {
            errno = EAGAIN;    /* the rest of the hello wakes epoll again */
            return -1;
        }
        if (alert != 0) {
            bool hs = head[0] == REC_HANDSHAKE && n >= 3 && head[1] == 3;

            send_alert(fr->fd, 3, hs ? head[2] : 1, (unsigned char)alert);
            errno = ECONNRESET;
            return -1;
        }
        fr->judged = true;
    }
    return recv(fr->fd, data, size, 0);
}

/* Reads once the first record was judged, or after the wrapper went. */
static ssize_t plain_pull(gnutls_transport_ptr_t ptr, void *data,
                          size_t size)
{
    return recv((int)(intptr_t)ptr, data, size, 0);
}

/* The TLS session of `connection` (NULL on a plain one) and the read and
 * write transport pointers it has now: both the descriptor as
 * libmicrohttpd set them, or a first_record for reads once wrapped. */
static gnutls_session_t transport_of(struct MHD_Connection *connection,
                                     gnutls_transport_ptr_t *rd,
                                     gnutls_transport_ptr_t *wr)
{
    gnutls_session_t session = session_of(connection);

    *rd = NULL;
    *wr = NULL;
    if (session != NULL) {
        gnutls_transport_get_ptr2(session, rd, wr);
    }
    return session;
}

void api_tls_connection_started(struct MHD_Connection *connection)
{
    gnutls_transport_ptr_t rd;
    gnutls_transport_ptr_t wr;
    gnutls_session_t session = transport_of(connection, &rd, &wr);
    first_record *fr;

    if (session == NULL) {
        return;
    }
    fr = calloc(1, sizeof(*fr));
    if (fr == NULL) {
        return;                /* no alert for this one; TLS still works */
    }
    fr->fd = (int)(intptr_t)rd;
    /* Reads go through first_record_pull; writes stay GnuTLS's own on the
     * socket (the pointer is the descriptor, as libmicrohttpd set it). */
    gnutls_transport_set_ptr2(session, fr, wr);
    gnutls_transport_set_pull_function(session, first_record_pull);
}

void api_tls_connection_closed(struct MHD_Connection *connection)
{
    gnutls_transport_ptr_t rd;
    gnutls_transport_ptr_t wr;
    gnutls_session_t session = transport_of(connection, &rd, &wr);
    first_record *fr;

    if (session == NULL || rd == wr) {
        return;                /* plain, or never wrapped */
    }
    fr = rd;
    gnutls_transport_set_int(session, fr->fd);
    gnutls_transport_set_pull_function(session, plain_pull);
    free(fr);
}

void api_tls_free(api_tls *tls)
{
    api_tls *self;

    if (tls == NULL) {
        return;
    }
    self = tls;
    atomic_compare_exchange_strong(&installed, &self, NULL);
    pair_free(atomic_load(&tls->current));
    pthread_mutex_destroy(&tls->reload_lock);
    free(tls->cert_file);
    free(tls->key_file);
    free(tls);
}
