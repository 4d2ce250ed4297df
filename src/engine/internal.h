/*
 * Library-internal helpers shared between the files of src/engine/.
 * Nothing here is exported from libvouch.
 *
 * The helpers themselves live in the util layer (src/util, linked into
 * libvouch); the engine knows them by its own vouch__ names.
 */
#ifndef VOUCH_INTERNAL_H
#define VOUCH_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "vouch/common.h"
#include "vutil_error.h"
#include "vutil_str.h"

/*
 * Fill `err` (when not NULL) and return `code`, so callers can write
 * `return vouch__error_set(...)`. Line and column below 1 are stored as 0
 * (jansson reports -1 when it has no position). `source` may be NULL.
 */
#define vouch__error_set vutil_error_set

/* As vouch__error_set, with a va_list. */
#define vouch__error_setv vutil_error_setv

/* Prefix the message already in `err` with "PREFIX: ". Returns err->code. */
#define vouch__error_prefix vutil_error_prefix

/* malloc'd copy of `len` bytes plus a NUL; NULL on allocation failure. */
#define vouch__strndup vutil_strndup

/* vouch__strndup(s, strlen(s)); NULL stays NULL. */
#define vouch__strdup vutil_strdup

/* True when the `len` bytes of `s` equal the NUL-terminated `lit`. */
#define vouch__slice_eq vutil_slice_eq

/*
 * Standard base64 and base64url (with or without padding) through OpenSSL's
 * EVP_Encode/DecodeBlock. Decoding accepts either alphabet, with or without
 * padding, and rejects anything else. Results are malloc'd, NUL-terminated
 * for convenience, and owned by the caller.
 */
#define vouch__base64_decode vutil_base64_decode
#define vouch__base64_encode vutil_base64_encode

/* Text helpers of the key readers (crypto.c, pgp.c): ASCII white space,
 * a prefix of a slice, and the 1-based line and column of a byte. */
#define vouch__is_space vutil_is_space
#define vouch__slice_has_prefix vutil_slice_has_prefix
#define vouch__text_position vutil_text_position

/* Lower-case hex of `len` bytes into `out` (2*len+1 bytes). */
#define vouch__hex vutil_hex

/*
 * Define the public getter vouch_TYPE_FIELD(const vouch_TYPE *), which
 * returns the field of that name; its declaration in include/vouch/ says
 * what the value is and how long a borrowed one lives.
 */
#define VOUCH__GETTER(ret, type, field)                                      \
    VUTIL_GETTER(VOUCH_API ret, vouch_##type##_##field, vouch_##type, field)

/*
 * Define the public getters of an array field ITEMS of vouch_TYPE that
 * holds ITEM_count entries: vouch_TYPE_ITEM_count() returns that count and
 * vouch_TYPE_ITEM(index) the entry at `index`, or NULL past the end.
 */
#define VOUCH__ARRAY_GETTERS(ret, type, item, items)                         \
    VOUCH_API size_t vouch_##type##_##item##_count(const vouch_##type *self) \
    {                                                                        \
        return self->item##_count;                                           \
    }                                                                        \
                                                                             \
    VOUCH_API ret vouch_##type##_##item(const vouch_##type *self,            \
                                        size_t index)                        \
    {                                                                        \
        return index < self->item##_count ? self->items[index] : NULL;       \
    }

#endif /* VOUCH_INTERNAL_H */
