/*
 * Library-internal helpers shared between the files of src/engine/.
 * Nothing here is exported from libvouch.
 */
#ifndef VOUCH_INTERNAL_H
#define VOUCH_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "vouch/common.h"

/*
 * Fill `err` (when not NULL) and return `code`, so callers can write
 * `return vouch__error_set(...)`. Line and column below 1 are stored as 0
 * (jansson reports -1 when it has no position). `source` may be NULL.
 */
int vouch__error_set(vouch_error *err, vouch_code code, const char *source,
                     int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* As vouch__error_set, with a va_list. */
int vouch__error_setv(vouch_error *err, vouch_code code, const char *source,
                      int line, int column, const char *fmt, va_list ap);

/* Prefix the message already in `err` with "PREFIX: ". Returns err->code. */
int vouch__error_prefix(vouch_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* malloc'd copy of `len` bytes plus a NUL; NULL on allocation failure. */
char *vouch__strndup(const char *s, size_t len);

/* vouch__strndup(s, strlen(s)); NULL stays NULL. */
char *vouch__strdup(const char *s);

/* True when the `len` bytes of `s` equal the NUL-terminated `lit`. */
bool vouch__slice_eq(const char *s, size_t len, const char *lit);

/*
 * Standard base64 and base64url (with or without padding) through OpenSSL's
 * EVP_Encode/DecodeBlock. Decoding accepts either alphabet, with or without
 * padding, and rejects anything else. Results are malloc'd, NUL-terminated
 * for convenience, and owned by the caller.
 */
int vouch__base64_decode(const char *in, size_t len, unsigned char **out,
                         size_t *out_len);
int vouch__base64_encode(const unsigned char *in, size_t len, bool url_nopad,
                         char **out);

/* Lower-case hex of `len` bytes into `out` (2*len+1 bytes). */
void vouch__hex(const unsigned char *in, size_t len, char *out);

#endif /* VOUCH_INTERNAL_H */
