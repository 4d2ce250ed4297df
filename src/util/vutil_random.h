/*
 * vouch util — random ids: etags, UUIDs (v4), hex and text from an
 * alphabet. Every one comes from OpenSSL's RAND_bytes, and every one can
 * fail the same way: VOUCH_EIO "random: ..." with nothing written but a
 * NUL, never predictable or all-zero ids.
 *
 * Thread safety: reentrant (OpenSSL 3's RAND is thread-safe).
 */
#ifndef VUTIL_RANDOM_H
#define VUTIL_RANDOM_H

#include <stddef.h>

#include "vouch/common.h"

/* Sizes with the NUL: an etag is 16 hex characters, a UUID 36. */
#define VUTIL_ETAG_SIZE 17u
#define VUTIL_UUID_SIZE 37u

/* `n` random bytes. 0, or VOUCH_EIO. */
int vutil_random_bytes(unsigned char *buf, size_t n, vouch_error *err);

/* A fresh etag (16 lower-case hex) into `buf` (>= VUTIL_ETAG_SIZE). */
int vutil_new_etag(char *buf, size_t size, vouch_error *err);

/* A random UUID v4 into `buf` (>= VUTIL_UUID_SIZE). */
int vutil_new_uuid(char *buf, size_t size, vouch_error *err);

/* 2 * `bytes` lower-case hex characters into `buf` (>= 2*bytes+1);
 * `bytes` at most 64. */
int vutil_random_hex(char *buf, size_t bytes, vouch_error *err);

/* `n` random characters of `alphabet` into `buf` (> n bytes); `n` at
 * most 64. */
int vutil_random_text(char *buf, size_t n, const char *alphabet,
                      vouch_error *err);

#endif /* VUTIL_RANDOM_H */
