/*
 * vouch util — random ids (vutil_random.h).
 */
#include "vutil_random.h"

#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "vutil_error.h"
#include "vutil_str.h"

#define MAX_BYTES 64u

int vutil_random_bytes(unsigned char *buf, size_t n, vouch_error *err)
{
    if (n > (size_t)0x7fffffff || RAND_bytes(buf, (int)n) != 1) {
        return vutil_error_set(err, VOUCH_EIO, "random", 0, 0,
                               "OpenSSL's RAND_bytes gave no random bytes "
                               "(is the system's entropy source "
                               "available?)");
    }
    return 0;
}

int vutil_random_hex(char *buf, size_t bytes, vouch_error *err)
{
    unsigned char raw[MAX_BYTES];
    int rc;

    buf[0] = '\0';
    if (bytes > MAX_BYTES) {
        return vutil_error_set(err, VOUCH_EINVAL, "random", 0, 0,
                               "at most %u random bytes at once",
                               MAX_BYTES);
    }
    rc = vutil_random_bytes(raw, bytes, err);
    if (rc < 0) {
        return rc;
    }
    vutil_hex(raw, bytes, buf);
    return 0;
}

int vutil_new_etag(char *buf, size_t size, vouch_error *err)
{
    char hex[VUTIL_ETAG_SIZE];
    int rc = vutil_random_hex(hex, 8, err);

    snprintf(buf, size, "%s", rc < 0 ? "" : hex);
    return rc;
}

int vutil_new_uuid(char *buf, size_t size, vouch_error *err)
{
    unsigned char b[16];
    char hex[33];
    int rc;

    buf[0] = '\0';
    rc = vutil_random_bytes(b, sizeof(b), err);
    if (rc < 0) {
        return rc;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    vutil_hex(b, sizeof(b), hex);
    snprintf(buf, size, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
             hex + 16, hex + 20);
    return 0;
}

int vutil_random_text(char *buf, size_t n, const char *alphabet,
                      vouch_error *err)
{
    size_t k = strlen(alphabet);
    unsigned char b[MAX_BYTES];
    int rc;

    buf[0] = '\0';
    if (n > MAX_BYTES || k == 0) {
        return vutil_error_set(err, VOUCH_EINVAL, "random", 0, 0,
                               "random text: at most %u characters of a "
                               "non-empty alphabet",
                               MAX_BYTES);
    }
    rc = vutil_random_bytes(b, n, err);
    if (rc < 0) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        buf[i] = alphabet[b[i] % k];
    }
    buf[n] = '\0';
    return 0;
}
