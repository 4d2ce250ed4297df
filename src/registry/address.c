/*
 * Where the registry client may connect: the host lists an operator gives
 * (insecure_hosts, allowed_hosts) and the classification of the addresses
 * a name resolves to. Every TCP connection the client opens passes
 * vouch__address_is_public() unless its host and port are listed, so a
 * reference, a redirect or a token realm naming a private address (or a
 * public name that resolves to one) cannot reach inside the network vouchd
 * runs in. See docs/registry.md, "Which addresses".
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "vutil_error.h"
#include "vutil_str.h"
#include "registry_internal.h"

/* ---- address ranges ---- */

typedef struct v4_range {
    uint32_t net;
    unsigned bits;
} v4_range;

/* Not on the public Internet: RFC 6890 special-purpose ranges, the ones a
 * request forgery would aim at first. */
static const v4_range v4_blocked[] = {
    { 0x00000000u, 8 },  /* 0.0.0.0/8 "this network" */
    { 0x0a000000u, 8 },  /* 10/8 private */
    { 0x64400000u, 10 }, /* 100.64/10 carrier-grade NAT */
    { 0x7f000000u, 8 },  /* 127/8 loopback */
    { 0xa9fe0000u, 16 }, /* 169.254/16 link-local, cloud metadata */
    { 0xac100000u, 12 }, /* 172.16/12 private */
    { 0xc0000000u, 24 }, /* 192.0.0/24 IETF protocol assignments */
    { 0xc0a80000u, 16 }, /* 192.168/16 private */
    { 0xc6120000u, 15 }, /* 198.18/15 benchmarking */
    { 0xe0000000u, 4 },  /* 224/4 multicast */
    { 0xf0000000u, 4 },  /* 240/4 reserved, broadcast */
};

static bool v4_is_public(uint32_t a)
{
    for (size_t i = 0; i < sizeof(v4_blocked) / sizeof(v4_blocked[0]);
         i++) {
        uint32_t mask = 0xffffffffu << (32 - v4_blocked[i].bits);
        if ((a & mask) == v4_blocked[i].net) {
            return false;
        }
    }
    return true;
}

static uint32_t v4_at(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static bool v6_is_public(const unsigned char *a)
{
    static const unsigned char zero[12] = { 0 };
    static const unsigned char mapped[12] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    static const unsigned char nat64[12] = {
        0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };

    /* Forms that carry an IPv4 address reach that address: judge it.
     * ::/96 (compatible, with :: and ::1 among them), ::ffff:0:0/96
     * (mapped), 64:ff9b::/96 (NAT64). */
    if (memcmp(a, zero, 12) == 0) {
        /* :: and ::1 are not IPv4 addresses, and not public either */
        return v4_at(a + 12) > 1 && v4_is_public(v4_at(a + 12));
    }
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0) {
        return v4_is_public(v4_at(a + 12));
    }
    if (a[0] == 0x20 && a[1] == 0x02) {
        return v4_is_public(v4_at(a + 2)); /* 2002::/16 6to4 */
    }
    if (a[0] == 0 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b &&
        a[4] == 0 && a[5] == 1) {
        return false; /* 64:ff9b:1::/48 local-use NAT64 */
    }
    if ((a[0] & 0xfe) == 0xfc) {
        return false; /* fc00::/7 unique local */
    }
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) {
        return false; /* fe80::/10 link-local */
    }
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) {
        return false; /* fec0::/10 site-local (deprecated) */
    }
    if (a[0] == 0xff) {
        return false; /* ff00::/8 multicast */
    }
    return true;
}

bool vouch__address_is_public(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return v4_is_public(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        return v6_is_public(in6->sin6_addr.s6_addr);
    }
    return false; /* anything else (unix sockets...) is not a registry */
}

/* ---- host lists ---- */

/*
 * Canonical form of a host: lower case; an IP address as inet_ntop writes
 * it (so "0:0::1" and "::1" compare equal), without brackets.
 */
static int host_canonical(const char *host, size_t len, char *out,
                          size_t size)
{
    unsigned char addr[16];
    char tmp[VOUCH__HOST_MAX + 1];

    if (len == 0 || len > VOUCH__HOST_MAX) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        tmp[i] = (char)tolower((unsigned char)host[i]);
    }
    tmp[len] = '\0';
    if (inet_pton(AF_INET6, tmp, addr) == 1) {
        return inet_ntop(AF_INET6, addr, out, (socklen_t)size) != NULL
                   ? 0 : -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)tmp[i];
        if (!isalnum(c) && c != '.' && c != '-' && c != '_') {
            return -1;
        }
    }
    snprintf(out, size, "%s", tmp);
    return 0;
}

int vouch__host_split(const char *text, size_t len, char *host,
                      size_t host_size, long *port)
{
    const char *h = text;
    size_t hlen = len;
    const char *colon = NULL;

    *port = 0;
    if (len > 0 && text[0] == '[') {
        const char *end = memchr(text, ']', len);
        if (end == NULL) {
            return -1;
        }
        h = text + 1;
        hlen = (size_t)(end - h);
        if (end + 1 < text + len) {
            if (end[1] != ':') {
                return -1;
            }
            colon = end + 1;
        }
    } else {
        colon = memchr(text, ':', len);
        if (colon != NULL) {
            if (memchr(colon + 1, ':', len - (size_t)(colon + 1 - text)) !=
                NULL) {
                return -1; /* an IPv6 address needs its brackets */
            }
            hlen = (size_t)(colon - text);
        }
    }
    if (colon != NULL) {
        long p = 0;
        const char *q = colon + 1;
        const char *end = text + len;
        if (q == end || end - q > 5) {
            return -1;
        }
        for (; q < end; q++) {
            if (*q < '0' || *q > '9') {
                return -1;
            }
            p = p * 10 + (*q - '0');
        }
        if (p < 1 || p > 65535) {
            return -1;
        }
        *port = p;
    }
    if (host_canonical(h, hlen, host, host_size) < 0) {
        return -1;
    }
    /* brackets hold an IPv6 address, and only one (inet_ntop wrote it) */
    return (text[0] == '[') == (strchr(host, ':') != NULL) ? 0 : -1;
}

void vouch__host_rules_free(vouch__host_rules *rules)
{
    if (rules == NULL) {
        return;
    }
    free(rules->items);
    free(rules);
}

int vouch__host_rules_parse(vouch__host_rules **out,
                            const char *const *list, const char *what,
                            vouch_error *err)
{
    vouch__host_rules *rules;
    size_t n = 0;

    *out = NULL;
    while (list != NULL && list[n] != NULL) {
        n++;
    }
    rules = calloc(1, sizeof(*rules));
    if (rules == NULL) {
        return VOUCH_ENOMEM;
    }
    rules->items = calloc(n + 1, sizeof(*rules->items));
    if (rules->items == NULL) {
        free(rules);
        return VOUCH_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        vouch__host_rule *r = &rules->items[i];
        if (vouch__host_split(list[i], strlen(list[i]), r->host,
                              sizeof(r->host), &r->port) < 0) {
            vouch__host_rules_free(rules);
            return vutil_error_set(err, VOUCH_EINVAL, "registry options",
                                   0, 0, "%s[%zu] '%.80s' is not HOST, "
                                   "HOST:PORT or [IPV6]:PORT", what, i,
                                   list[i]);
        }
    }
    rules->count = n;
    *out = rules;
    return 0;
}

bool vouch__host_rules_match(const vouch__host_rules *rules,
                             const char *host, long port)
{
    char canon[VOUCH__HOST_MAX + 1];
    size_t len = strlen(host);

    if (rules == NULL) {
        return false;
    }
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    if (host_canonical(host, len, canon, sizeof(canon)) < 0) {
        return false;
    }
    for (size_t i = 0; i < rules->count; i++) {
        if (strcmp(rules->items[i].host, canon) == 0 &&
            (rules->items[i].port == 0 || rules->items[i].port == port)) {
            return true;
        }
    }
    return false;
}
