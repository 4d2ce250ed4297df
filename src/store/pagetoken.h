/*
 * vouch — page tokens (private to src/store/; docs/store.md "Pages").
 *
 * A page token carries the position a list resumes after (the last name
 * of the page, or an audit sort key) and an HMAC-SHA256 tag over that
 * position and the list's *scope*: the strings that say which list it is
 * (kind, parent, filter...). A token therefore resumes only the list that
 * issued it: another parent, another filter, an edited position or a
 * token made up by hand fails the tag. The key is the store's (one random
 * key per database, so replicas on one database accept each other's
 * tokens).
 *
 * Token = base64url without padding of POSITION || TAG (32 bytes).
 * Tag = HMAC-SHA256(key, "vouch page token 1" || for each scope string:
 *   0x00 when absent, else 0x01 || 4-byte big-endian length || bytes;
 *   then 4-byte big-endian length of POSITION || POSITION).
 *
 * Thread safety: reentrant; the key is only read.
 */
#ifndef VOUCH_STORE_PAGETOKEN_H
#define VOUCH_STORE_PAGETOKEN_H

#include <stddef.h>

#include "vouch/common.h"

#define VOUCH__PAGE_KEY_BYTES 32u
#define VOUCH__PAGE_TAG_BYTES 32u
/* Longest position a token carries. */
#define VOUCH__PAGE_POSITION_MAX 4096u

/*
 * Seal `position` (`len` bytes, 1..VOUCH__PAGE_POSITION_MAX) for the
 * list named by `scope` (`count` strings, each may be NULL).
 *
 * @param[out] out  The token, NUL-terminated; caller frees with free().
 * @return 0; VOUCH_EINVAL (position empty or too long); VOUCH_ECRYPTO
 *         (OpenSSL refused the HMAC); VOUCH_ENOMEM.
 */
int vouch__page_token_seal(const unsigned char *key,
                           const char *const *scope, size_t count,
                           const char *position, size_t len, char **out);

/*
 * Check `token` (`token_len` bytes; need not be NUL-terminated) against
 * the list named by `scope` and return its position.
 *
 * @param[out] out  The position, NUL-terminated (it holds no NUL); caller
 *                  frees with free(). NULL on failure.
 * @return 0; VOUCH_ETOOBIG (longer than any token this module makes);
 *         VOUCH_EINVAL (not base64url, too short, a wrong tag: not a
 *         token of this list); VOUCH_ECRYPTO; VOUCH_ENOMEM.
 */
int vouch__page_token_open(const unsigned char *key,
                           const char *const *scope, size_t count,
                           const char *token, size_t token_len, char **out);

#endif /* VOUCH_STORE_PAGETOKEN_H */
