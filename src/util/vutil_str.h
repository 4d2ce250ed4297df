/*
 * vouch util — small string helpers shared by every layer: copies,
 * comparisons of length-carrying slices, hex and base64 (through
 * OpenSSL), malloc'd printf, and the id rule of resource names.
 *
 * Thread safety: every function is reentrant.
 */
#ifndef VUTIL_STR_H
#define VUTIL_STR_H

#include <stdbool.h>
#include <stddef.h>

/* malloc'd copy of `len` bytes plus a NUL; NULL on allocation failure. */
char *vutil_strndup(const char *s, size_t len);

/* vutil_strndup(s, strlen(s)); NULL stays NULL. */
char *vutil_strdup(const char *s);

/* True when the `len` bytes of `s` equal the NUL-terminated `lit`. */
bool vutil_slice_eq(const char *s, size_t len, const char *lit);

/* Does `s` start with `prefix`? */
bool vutil_has_prefix(const char *s, const char *prefix);

/* Do the `len` bytes of `s` start with `prefix`? */
bool vutil_slice_has_prefix(const char *s, size_t len, const char *prefix);

/* Is `c` ASCII white space (blank, \t, \r, \n, \f, \v)? */
bool vutil_is_space(char c);

/* The 1-based line and column of byte `off` of `text`, for an error that
 * points into a text input (a PEM file, an armored key). */
void vutil_text_position(const char *text, size_t off, int *line, int *col);

/*
 * Does the command-line word `arg` give the flag `name` ("--name" or
 * "--name=value")? *value is the text after '=', or NULL. The flag syntax
 * of both programs (vouch, vouchd).
 */
bool vutil_flag_matches(const char *arg, const char *name,
                        const char **value);

/* Both NULL, or both equal text. */
bool vutil_same_text(const char *a, const char *b);

/* malloc'd printf; NULL when out of memory. */
char *vutil_aprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Lower-case hex of `len` bytes into `out` (2*len+1 bytes). */
void vutil_hex(const unsigned char *in, size_t len, char *out);

/*
 * Standard base64 and base64url (with or without padding) through
 * OpenSSL's EVP_Encode/DecodeBlock. Decoding accepts either alphabet,
 * with or without padding, and rejects anything else (VOUCH_EPARSE).
 * Results are malloc'd, NUL-terminated for convenience, and owned by the
 * caller. Return 0, VOUCH_EPARSE, VOUCH_ETOOBIG or VOUCH_ENOMEM.
 */
int vutil_base64_decode(const char *in, size_t len, unsigned char **out,
                        size_t *out_len);
int vutil_base64_encode(const unsigned char *in, size_t len, bool url_nopad,
                        char **out);

/*
 * A growing byte buffer with a NUL after its bytes and a ceiling, as curl's
 * dynbuf: what an HTTP answer is read into by a libcurl write callback,
 * or a text built piece by piece.
 * Start it with VUTIL_BUF_INIT(max); free `data` with free().
 */
typedef struct vutil_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;             /* the ceiling on len */
    bool too_big;           /* an append would have passed `max` */
} vutil_buf;

#define VUTIL_BUF_INIT(max) {NULL, 0, 0, (max), false}

/* Room for `n` more bytes and a NUL after `len`, for a caller that writes
 * them in place and then adds them to `len`; false past `max` (too_big is
 * set) or when out of memory. */
bool vutil_buf_reserve(vutil_buf *b, size_t n);

/* Append `n` bytes; false (nothing appended) past `max` (too_big is set)
 * or when out of memory. */
bool vutil_buf_append(vutil_buf *b, const void *data, size_t n);

/*
 * Room for one more item in a growing array: when `count` has reached
 * `*cap`, the array whose address is `items` (a T **, passed as void *)
 * is realloc'd to `first` items of `size` bytes the first time and to
 * twice `*cap` after. False, with the array and `*cap` unchanged, when
 * out of memory.
 */
bool vutil_grow(void *items, size_t *cap, size_t count, size_t size,
                size_t first);

/* Define `RET NAME(const TYPE *obj)`, which returns obj->FIELD: the
 * accessors of public types that only hand a field back (RET may carry an
 * export attribute). */
#define VUTIL_GETTER(ret, name, type, field)                                 \
    ret name(const type *obj)                                                \
    {                                                                        \
        return obj->field;                                                   \
    }

/* Is `s` one of the strings of the NULL-terminated `list` (a NULL list
 * is empty)? For tables of accepted names, such as a body's fields. */
bool vutil_listed(const char *const *list, const char *s);

/* Longest id a resource name segment may carry (projects, attestors,
 * notes, locations, ...), and its characters: A-Z a-z 0-9 - _ . ~ */
#define VUTIL_ID_MAX 128u

/* Is `c` one of the id characters above? */
bool vutil_id_char(char c);

/* 1..VUTIL_ID_MAX id characters (NULL: false). */
bool vutil_id_valid(const char *id);

/* The same for `len` bytes of `s`. */
bool vutil_id_valid_slice(const char *s, size_t len);

#endif /* VUTIL_STR_H */
