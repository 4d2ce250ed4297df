/*
 * vouch auth — the auth config (`vouchd --auth-config FILE`,
 * docs/security.md "Identity"): static tokens (by SHA-256), trusted OIDC
 * issuers, groups and owners. A parsed config is immutable and reference
 * counted; a vouch_auth_slot holds the config in force so that a SIGHUP
 * reload can swap it while requests finish with the one they started with.
 *
 *     {
 *       "tokens": [{"principal": "user:alice@example.com",
 *                   "sha256": "<64 hex digits>"}],
 *       "oidc":   [{"issuer": "https://ci.example.com", "audience": "vouch",
 *                   "jwks": "file:///etc/vouch/ci-jwks.json"}],
 *       "groups": {"group:sre@example.com": ["user:alice@example.com"]},
 *       "owners": ["user:alice@example.com"]
 *     }
 *
 * "jwks" is a "file:///absolute/path" or an "https://" URL, or an object
 * {"url": "https://…", "ca": "/absolute/ca.pem"} for an issuer behind a
 * private CA. Plain http is refused.
 */
#ifndef VOUCH_AUTH_CONFIG_H
#define VOUCH_AUTH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "vouch/common.h"

/** Largest auth config file accepted. */
#define VOUCH_AUTH_CONFIG_MAX_BYTES (4u * 1024u * 1024u)

typedef struct vouch_auth_config vouch_auth_config;

/**
 * Parse an auth config (JSON; YAML is read the same way) without touching
 * the file system.
 *
 * Every mistake is reported with the line and column of the offending node
 * and its field path: unknown fields ("oidc[0].audiences: unknown field"),
 * a sha256 that is not 64 hex digits, a principal or member that is not a
 * valid member form (tokens hold user:, serviceAccount: or principal://
 * identities; groups hold those; owners may also name groups), an oidc
 * entry without issuer, audience or jwks, an issuer that is not an https
 * URL, a duplicate issuer, two issuers on one host (their principal://
 * identities would collide), a jwks over plain http, a duplicate token hash
 * or group, a relative "ca" path.
 *
 * @param[out] out  On success a config with one reference; free with
 *                  vouch_auth_config_free(). NULL on failure.
 * @param data,len  The document; borrowed. At most
 *                  VOUCH_AUTH_CONFIG_MAX_BYTES.
 * @param source    Name for error positions ("auth.json"); may be NULL.
 * @param[out] err  Filled on failure; may be NULL.
 * @return 0; VOUCH_EPARSE (not JSON: line and column); VOUCH_EINVAL (names
 *         the field, with line and column); VOUCH_ETOOBIG; VOUCH_ENOMEM.
 *
 * Thread safety: reentrant. The config is immutable.
 */
int vouch_auth_config_parse(vouch_auth_config **out, const char *data,
                            size_t len, const char *source,
                            vouch_error *err);

/**
 * Read and parse the auth config at `path` (errors name `path` as their
 * source), then check what it refers to: every "ca" file must be readable,
 * and every file:// JWKS must be readable and parse as a JWKS (the error
 * gives the position of the "jwks" field and the JWKS file's problem).
 *
 * @return as vouch_auth_config_parse(), and VOUCH_EIO when `path` or a file
 *         it names cannot be read, or a file:// JWKS is not a valid JWKS.
 * Thread safety: reentrant.
 */
int vouch_auth_config_load(vouch_auth_config **out, const char *path,
                           vouch_error *err);

/**
 * Take one more reference to `cfg` (NULL gives NULL).
 * Thread safety: safe from any thread.
 */
vouch_auth_config *vouch_auth_config_ref(vouch_auth_config *cfg);

/**
 * Drop one reference; the last one frees the config. NULL is a no-op.
 * Thread safety: safe from any thread.
 */
void vouch_auth_config_free(vouch_auth_config *cfg);

/** Number of static tokens, OIDC issuers, groups and owners. Reentrant. */
size_t vouch_auth_config_token_count(const vouch_auth_config *cfg);
size_t vouch_auth_config_issuer_count(const vouch_auth_config *cfg);
size_t vouch_auth_config_group_count(const vouch_auth_config *cfg);
size_t vouch_auth_config_owner_count(const vouch_auth_config *cfg);

/**
 * Does `member` (a normalised member such as an identity's principal)
 * belong to `group` ("group:sre@example.com")? False for NULL arguments or
 * an undefined group. Reentrant.
 */
bool vouch_auth_config_in_group(const vouch_auth_config *cfg,
                                const char *group, const char *member);

/**
 * Is `principal` an owner: listed in "owners" itself, or a member of a
 * group listed there? Owners hold roles/owner on every project. False for
 * NULL (an anonymous caller is never an owner). Reentrant.
 */
bool vouch_auth_config_is_owner(const vouch_auth_config *cfg,
                                const char *principal);

/**
 * The SHA-256 "sha256" value a config line needs for `token`: 64 lower-case
 * hex digits into `hex` (65 bytes). Used by `vouch auth tokens create`.
 * Reentrant.
 */
void vouch_auth_token_hash_hex(const char *token, size_t len, char hex[65]);

/* ------------------------------------------------------------------ */
/* The config in force                                                */

typedef struct vouch_auth_slot vouch_auth_slot;

/**
 * A holder of the config in force.
 *
 * @param[out] out  Caller owns it; free with vouch_auth_slot_free().
 * @param initial   The first config, or NULL (no auth configured). Takes
 *                  ownership of the caller's reference, even on failure.
 * @return 0; VOUCH_ENOMEM.
 */
int vouch_auth_slot_new(vouch_auth_slot **out, vouch_auth_config *initial,
                        vouch_error *err);

/**
 * The config in force, with a new reference the caller drops with
 * vouch_auth_config_free() when its request is done; NULL when none is set.
 * Thread safety: safe from any thread, concurrently with swaps.
 */
vouch_auth_config *vouch_auth_slot_get(vouch_auth_slot *slot);

/**
 * Put `cfg` in force (takes ownership of the caller's reference; NULL
 * removes the config). Requests that already hold the old config keep it
 * until they drop their reference; the old config is freed after the last.
 * Thread safety: safe from any thread, concurrently with gets.
 */
void vouch_auth_slot_swap(vouch_auth_slot *slot, vouch_auth_config *cfg);

/** Free the slot and its reference to the config in force. NULL-safe. */
void vouch_auth_slot_free(vouch_auth_slot *slot);

#endif /* VOUCH_AUTH_CONFIG_H */
