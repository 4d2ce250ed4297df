/*
 * libFuzzer target for the auth config parser (src/auth/authconfig.c):
 * any input either fails with an error or gives a config whose members are
 * all in their normal form and whose groups hold what they list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth_internal.h"
#include "member.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parsing a normalised member again must give it back unchanged. */
static void check_normal(const char *member)
{
    char *again = NULL;
    char why[256];

    if (vouch__member_parse(member, strlen(member), VOUCH_MEMBERS_ALL,
                            &again, NULL, why, sizeof(why)) != 0 ||
        strcmp(again, member) != 0) {
        abort();
    }
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vouch_auth_config *cfg = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t i;
    size_t j;

    if (vouch_auth_config_parse(&cfg, (const char *)data, size, "fuzz",
                                &err) != 0) {
        if (cfg != NULL || err.message[0] == '\0') {
            abort();
        }
        return 0;
    }
    for (i = 0; i < cfg->token_count; i++) {
        check_normal(cfg->tokens[i].principal);
    }
    for (i = 0; i < cfg->group_count; i++) {
        check_normal(cfg->groups[i].name);
        for (j = 0; j < cfg->groups[i].member_count; j++) {
            check_normal(cfg->groups[i].members[j]);
            if (!vouch_auth_config_in_group(cfg, cfg->groups[i].name,
                                            cfg->groups[i].members[j])) {
                abort();
            }
        }
    }
    for (i = 0; i < cfg->owner_count; i++) {
        check_normal(cfg->owners[i]);
        if (strncmp(cfg->owners[i], "group:", 6) != 0 &&
            !vouch_auth_config_is_owner(cfg, cfg->owners[i])) {
            abort();
        }
    }
    for (i = 0; i < cfg->issuer_count; i++) {
        if (vouch__auth_config_issuer(cfg, cfg->issuers[i].issuer,
                                      strlen(cfg->issuers[i].issuer)) !=
            &cfg->issuers[i]) {
            abort();
        }
    }
    vouch_auth_config_free(cfg);
    return 0;
}
