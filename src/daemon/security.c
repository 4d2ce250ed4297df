/*
 * vouchd — the auth config, the authenticator, the rate limiter, TLS and
 * the listen rule (security.h).
 */
#include "security.h"

#include <stdio.h>
#include <string.h>

#define EXIT_USAGE 2

static void print_error(const char *what, const vouch_error *err)
{
    char text[512];

    vouch_error_format(err, text, sizeof(text));
    fprintf(stderr, "vouchd: %s: %s\n", what, text);
}

/*
 * Beyond loopback, a caller can reach vouchd over the network: it must
 * know who is calling (an auth config) and nobody may read the tokens on
 * the way (TLS). The message names what is missing.
 */
static int listen_rule(const vouchd_options *opts,
                       const struct sockaddr_storage *addr)
{
    bool auth = opts->auth_config != NULL;
    bool tls = opts->tls_cert != NULL;

    if (api_addr_is_loopback(addr) || (auth && tls)) {
        return 0;
    }
    fprintf(stderr,
            "vouchd: refusing to listen on %s: beyond loopback (127.0.0.0/8, "
            "::1) vouchd needs %s%s%s\n",
            opts->listen,
            auth ? "" : "an auth config (--auth-config FILE: who may call)",
            !auth && !tls ? " and " : "",
            tls ? "" : "TLS (--tls-cert FILE --tls-key FILE: tokens must "
                       "not cross the network in clear)");
    return EXIT_USAGE;
}

/* The auth config: loaded and checked; its JWKS fetched once so that a
 * problem with an issuer shows at start-up (not fatal: it is retried). */
static int open_auth(vouchd_security *sec, const char *path)
{
    vouch_authn_options aopts = VOUCH_AUTHN_OPTIONS_INIT;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_auth_config *cfg = NULL;

    if (vouch_auth_config_load(&cfg, path, &err) < 0) {
        print_error("--auth-config", &err);
        return EXIT_USAGE;
    }
    if (vouch_authn_new(&sec->authn, &aopts, &err) < 0) {
        vouch_auth_config_free(cfg);
        print_error("--auth-config", &err);
        return EXIT_USAGE;
    }
    /* The slot takes the config's reference, even on failure. */
    if (vouch_auth_slot_new(&sec->slot, vouch_auth_config_ref(cfg),
                            &err) < 0) {
        vouch_auth_config_free(cfg);
        print_error("--auth-config", &err);
        return EXIT_USAGE;
    }
    if (vouch_authn_prefetch(sec->authn, cfg, &err) < 0) {
        print_error("--auth-config: OIDC keys (retried on use)", &err);
    }
    vouch_auth_config_free(cfg);
    return 0;
}

int vouchd_security_open(vouchd_security *sec, const vouchd_options *opts,
                         const struct sockaddr_storage *addr)
{
    vouch_error err = VOUCH_ERROR_INIT;
    int rc;

    memset(sec, 0, sizeof(*sec));
    sec->opts = opts;
    rc = listen_rule(opts, addr);
    if (rc != 0) {
        return rc;
    }
    if ((opts->tls_cert == NULL) != (opts->tls_key == NULL)) {
        fprintf(stderr, "vouchd: --tls-cert and --tls-key go together: "
                "give both, or neither\n");
        return EXIT_USAGE;
    }
    if (opts->metrics_listen != NULL) {
        struct sockaddr_storage maddr;
        socklen_t len = 0;

        if (api_parse_listen(opts->metrics_listen, &maddr, &len, &err) < 0 ||
            !api_addr_is_loopback(&maddr)) {
            fprintf(stderr, "vouchd: --metrics-listen %s: expected a "
                    "loopback ADDRESS:PORT (it answers without "
                    "authentication)\n", opts->metrics_listen);
            return EXIT_USAGE;
        }
    }
    if (opts->tls_cert != NULL &&
        api_tls_new(&sec->tls, opts->tls_cert, opts->tls_key, &err) < 0) {
        print_error("TLS", &err);
        return EXIT_USAGE;
    }
    if (opts->auth_config != NULL) {
        rc = open_auth(sec, opts->auth_config);
        if (rc != 0) {
            vouchd_security_close(sec);
            return rc;
        }
    }
    if (opts->rate_limit > 0 &&
        vouch_ratelimit_new(&sec->ratelimit, opts->rate_limit, 0, NULL,
                            &err) < 0) {
        print_error("--rate-limit", &err);
        vouchd_security_close(sec);
        return EXIT_USAGE;
    }
    return 0;
}

void vouchd_security_apply(const vouchd_security *sec, api_config *cfg)
{
    cfg->auth_slot = sec->slot;
    cfg->authn = sec->authn;
    cfg->ratelimit = sec->ratelimit;
    cfg->rate_limit = sec->opts->rate_limit;
    cfg->tls = sec->tls;
}

static void describe_auth(const vouch_auth_config *cfg, char *buf,
                          size_t size)
{
    size_t t = vouch_auth_config_token_count(cfg);
    size_t i = vouch_auth_config_issuer_count(cfg);
    size_t g = vouch_auth_config_group_count(cfg);
    size_t o = vouch_auth_config_owner_count(cfg);

    snprintf(buf, size, "%zu token%s, %zu OIDC issuer%s, %zu group%s, "
             "%zu owner%s", t, t == 1 ? "" : "s", i, i == 1 ? "" : "s", g,
             g == 1 ? "" : "s", o, o == 1 ? "" : "s");
}

void vouchd_security_reload(vouchd_security *sec)
{
    const vouchd_options *opts = sec->opts;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_auth_config *cfg = NULL;
    char text[256];

    if (sec->slot != NULL) {
        if (vouch_auth_config_load(&cfg, opts->auth_config, &err) < 0) {
            print_error("reload: --auth-config (the previous config stays "
                        "in force)", &err);
        } else {
            describe_auth(cfg, text, sizeof(text));
            vouch_auth_slot_swap(sec->slot, cfg);
            fprintf(stderr, "vouchd: reloaded --auth-config %s: %s\n",
                    opts->auth_config, text);
            cfg = vouch_auth_slot_get(sec->slot);
            if (vouch_authn_prefetch(sec->authn, cfg, &err) < 0) {
                print_error("--auth-config: OIDC keys (retried on use)",
                            &err);
            }
            vouch_auth_config_free(cfg);
        }
    }
    if (sec->tls != NULL) {
        if (api_tls_reload(sec->tls, &err) < 0) {
            print_error("reload: TLS (the previous certificate stays in "
                        "force)", &err);
        } else {
            api_tls_describe(sec->tls, text, sizeof(text));
            fprintf(stderr, "vouchd: reloaded the TLS certificate: %s\n",
                    text);
        }
    }
    fprintf(stderr, "vouchd: reload done\n");
    fflush(stderr);
}

void vouchd_security_describe(const vouchd_security *sec, char *buf,
                              size_t size)
{
    char auth[160] = "no auth config: every caller is an anonymous owner";
    char tls[256] = "";

    if (sec->slot != NULL) {
        vouch_auth_config *cfg = vouch_auth_slot_get(sec->slot);

        memcpy(auth, "auth: ", 7);
        describe_auth(cfg, auth + 6, sizeof(auth) - 6);
        vouch_auth_config_free(cfg);
    }
    if (sec->tls != NULL) {
        memcpy(tls, "; TLS: ", 8);
        api_tls_describe(sec->tls, tls + 7, sizeof(tls) - 7);
    }
    snprintf(buf, size, "%s%s", auth, tls);
}

void vouchd_security_close(vouchd_security *sec)
{
    vouch_ratelimit_free(sec->ratelimit);
    vouch_auth_slot_free(sec->slot);
    vouch_authn_free(sec->authn);
    api_tls_free(sec->tls);
    memset(sec, 0, sizeof(*sec));
}
