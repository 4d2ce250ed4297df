/*
 * IAM member forms: validation and normalisation (member.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vutil_error.h"
#include "vutil_str.h"
#include "member.h"

#define PRINCIPAL_PREFIX "principal://"
#define SUBJECT_INFIX "/subject/"

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* RFC 5322 atext, plus '.' between atoms. */
static bool local_char(char c)
{
    return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~.-", c));
}

/* Dot-separated labels of [A-Za-z0-9-], no empty label. */
static bool domain_valid(const char *s, size_t len)
{
    size_t i;
    size_t label = 0;

    if (len == 0 || len > 253) {
        return false;
    }
    for (i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (label == 0) {
                return false;
            }
            label = 0;
        } else if (is_alnum(s[i]) || s[i] == '-') {
            label++;
            if (label > 63) {
                return false;
            }
        } else {
            return false;
        }
    }
    return label > 0;
}

bool vouch__email_valid(const char *s, size_t len)
{
    const char *at;
    size_t local;
    size_t i;

    if (s == NULL || len == 0 || len > VOUCH_EMAIL_MAX_BYTES) {
        return false;
    }
    at = memchr(s, '@', len);
    if (at == NULL) {
        return false;
    }
    local = (size_t)(at - s);
    if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.') {
        return false;
    }
    for (i = 0; i < local; i++) {
        if (!local_char(s[i]) ||
            (s[i] == '.' && i + 1 < local && s[i + 1] == '.')) {
            return false;
        }
    }
    return domain_valid(at + 1, len - local - 1);
}

/* host[:port], host of [A-Za-z0-9.-]. */
bool vouch__host_valid(const char *s, size_t len)
{
    const char *colon = memchr(s, ':', len);
    size_t host = colon != NULL ? (size_t)(colon - s) : len;
    size_t i;

    if (colon != NULL) {
        size_t digits = len - host - 1;

        if (digits == 0 || digits > 5) {
            return false;
        }
        for (i = host + 1; i < len; i++) {
            if (s[i] < '0' || s[i] > '9') {
                return false;
            }
        }
    }
    return domain_valid(s, host);
}

static bool subject_valid(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > 512) {
        return false;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c <= 0x20 || c >= 0x7f) {
            return false;
        }
    }
    return true;
}

/* Copy with the bytes in [from, to) lowered. */
static char *copy_lowering(const char *s, size_t len, size_t from, size_t to)
{
    char *out = vutil_strndup(s, len);
    size_t i;

    if (out != NULL) {
        for (i = from; i < to && i < len; i++) {
            out[i] = lower(out[i]);
        }
    }
    return out;
}

/* Which kind the text claims to be (by its prefix), or 0. */
static vouch_member_kind claimed_kind(const char *s, size_t len,
                                      size_t *rest)
{
    static const struct {
        const char *prefix;
        vouch_member_kind kind;
    } prefixes[] = {
        { "user:", VOUCH_MEMBER_USER },
        { "serviceAccount:", VOUCH_MEMBER_SERVICE_ACCOUNT },
        { "group:", VOUCH_MEMBER_GROUP },
        { PRINCIPAL_PREFIX, VOUCH_MEMBER_PRINCIPAL },
    };
    size_t i;

    *rest = 0;
    if (vutil_slice_eq(s, len, "allUsers")) {
        return VOUCH_MEMBER_ALL_USERS;
    }
    if (vutil_slice_eq(s, len, "allAuthenticatedUsers")) {
        return VOUCH_MEMBER_ALL_AUTHENTICATED;
    }
    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        if (vutil_slice_has_prefix(s, len, prefixes[i].prefix)) {
            *rest = strlen(prefixes[i].prefix);
            return prefixes[i].kind;
        }
    }
    return (vouch_member_kind)0;
}

static const char *kind_form(vouch_member_kind kind)
{
    switch (kind) {
    case VOUCH_MEMBER_USER: return "user:EMAIL";
    case VOUCH_MEMBER_SERVICE_ACCOUNT: return "serviceAccount:EMAIL";
    case VOUCH_MEMBER_GROUP: return "group:EMAIL";
    case VOUCH_MEMBER_PRINCIPAL: return "principal://HOST/subject/SUBJECT";
    case VOUCH_MEMBER_ALL_USERS: return "allUsers";
    case VOUCH_MEMBER_ALL_AUTHENTICATED: return "allAuthenticatedUsers";
    }
    return "?";
}

/* "user:EMAIL, group:EMAIL or allUsers" for the kinds in `allowed`. */
static void allowed_forms(unsigned allowed, char *buf, size_t size)
{
    size_t used = 0;
    unsigned k;
    unsigned total = 0;
    unsigned seen = 0;

    for (k = VOUCH_MEMBER_USER; k <= VOUCH_MEMBER_ALL_AUTHENTICATED; k++) {
        total += (allowed & VOUCH_MEMBER_BIT(k)) != 0;
    }
    buf[0] = '\0';
    for (k = VOUCH_MEMBER_USER; k <= VOUCH_MEMBER_ALL_AUTHENTICATED; k++) {
        int n;

        if ((allowed & VOUCH_MEMBER_BIT(k)) == 0) {
            continue;
        }
        seen++;
        n = snprintf(buf + used, size - used, "%s%s",
                     seen == 1       ? ""
                     : seen == total ? " or "
                                     : ", ",
                     kind_form((vouch_member_kind)k));
        if (n < 0 || (size_t)n >= size - used) {
            return;
        }
        used += (size_t)n;
    }
}

static int member_fail(char *why, size_t why_size, unsigned allowed,
                       const char *what)
{
    char forms[160];

    allowed_forms(allowed, forms, sizeof(forms));
    if (what != NULL) {
        snprintf(why, why_size, "%s; expected %s", what, forms);
    } else {
        snprintf(why, why_size, "expected %s", forms);
    }
    return VOUCH_EINVAL;
}

int vouch__member_parse(const char *s, size_t len, unsigned allowed,
                        char **out, vouch_member_kind *kind, char *why,
                        size_t why_size)
{
    vouch_member_kind k;
    size_t rest = 0;
    char buf[96];

    *out = NULL;
    if (len > VOUCH_MEMBER_MAX_BYTES) {
        snprintf(why, why_size, "member is %zu bytes, over the limit of %u",
                 len, VOUCH_MEMBER_MAX_BYTES);
        return VOUCH_EINVAL;
    }
    k = claimed_kind(s, len, &rest);
    if (k == 0) {
        return member_fail(why, why_size, allowed, "not a member");
    }
    if ((allowed & VOUCH_MEMBER_BIT(k)) == 0) {
        snprintf(buf, sizeof(buf), "%s is not allowed here", kind_form(k));
        return member_fail(why, why_size, allowed, buf);
    }
    switch (k) {
    case VOUCH_MEMBER_USER:
    case VOUCH_MEMBER_SERVICE_ACCOUNT:
    case VOUCH_MEMBER_GROUP:
        if (!vouch__email_valid(s + rest, len - rest)) {
            snprintf(buf, sizeof(buf), "%s needs a valid e-mail address",
                     kind_form(k));
            return member_fail(why, why_size, allowed, buf);
        }
        *out = copy_lowering(s, len, rest, len);
        break;
    case VOUCH_MEMBER_PRINCIPAL: {
        const char *host = s + rest;
        size_t tail = len - rest;
        const char *slash = memchr(host, '/', tail);
        size_t hlen = slash != NULL ? (size_t)(slash - host) : tail;

        if (slash == NULL || !vouch__host_valid(host, hlen) ||
            !vutil_slice_has_prefix(slash, tail - hlen, SUBJECT_INFIX) ||
            !subject_valid(slash + strlen(SUBJECT_INFIX),
                           tail - hlen - strlen(SUBJECT_INFIX))) {
            return member_fail(why, why_size, allowed,
                               "malformed principal:// member");
        }
        *out = copy_lowering(s, len, rest, rest + hlen);
        break;
    }
    case VOUCH_MEMBER_ALL_USERS:
    case VOUCH_MEMBER_ALL_AUTHENTICATED:
        *out = vutil_strndup(s, len);
        break;
    }
    if (*out == NULL) {
        snprintf(why, why_size, "out of memory");
        return VOUCH_ENOMEM;
    }
    if (kind != NULL) {
        *kind = k;
    }
    return 0;
}

char *vouch__member_principal(const char *host, const char *sub,
                              size_t sub_len, bool *oom)
{
    size_t hlen = strlen(host);
    size_t need;
    char *out;
    size_t i;

    if (oom != NULL) {
        *oom = false;
    }
    if (!subject_valid(sub, sub_len) || !vouch__host_valid(host, hlen)) {
        return NULL;
    }
    need = strlen(PRINCIPAL_PREFIX) + hlen + strlen(SUBJECT_INFIX) +
           sub_len + 1;
    if (need > VOUCH_MEMBER_MAX_BYTES + 1) {
        return NULL;
    }
    out = malloc(need);
    if (out == NULL) {
        if (oom != NULL) {
            *oom = true;
        }
        return NULL;
    }
    snprintf(out, need, "%s", PRINCIPAL_PREFIX);
    for (i = 0; i < hlen; i++) {
        out[strlen(PRINCIPAL_PREFIX) + i] = lower(host[i]);
    }
    memcpy(out + strlen(PRINCIPAL_PREFIX) + hlen, SUBJECT_INFIX,
           strlen(SUBJECT_INFIX));
    memcpy(out + strlen(PRINCIPAL_PREFIX) + hlen + strlen(SUBJECT_INFIX),
           sub, sub_len);
    out[need - 1] = '\0';
    return out;
}
