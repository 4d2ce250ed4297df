/*
 * Loading the auth config from a file (authconfig.h): read, parse, then
 * check the files it names, so that a bad CA path or an unreadable JWKS
 * fails the load (and a SIGHUP reload keeps the previous config) instead of
 * failing every request later.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth_internal.h"
#include "jwks.h"

int vouch__auth_read_file(const char *path, size_t max, char **out,
                          size_t *out_len, vouch_error *err)
{
    FILE *f = NULL;
    struct stat st;
    char *data = NULL;
    size_t n;
    int rc;

    *out = NULL;
    *out_len = 0;
    f = fopen(path, "rb");
    if (f == NULL) {
        return vutil_error_set(err, VOUCH_EIO, path, 0, 0,
                               "cannot open: %s", strerror(errno));
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = vutil_error_set(err, VOUCH_EIO, path, 0, 0,
                             "not a regular file");
        goto cleanup;
    }
    if ((uint64_t)st.st_size > max) {
        rc = vutil_error_set(err, VOUCH_ETOOBIG, path, 0, 0,
                             "file is %lld bytes, over the limit of %zu",
                             (long long)st.st_size, max);
        goto cleanup;
    }
    data = malloc((size_t)st.st_size + 1);
    if (data == NULL) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, path, 0, 0,
                             "out of memory reading the file");
        goto cleanup;
    }
    n = fread(data, 1, (size_t)st.st_size, f);
    if (ferror(f) || n != (size_t)st.st_size) {
        rc = vutil_error_set(err, VOUCH_EIO, path, 0, 0,
                             "cannot read: %s", strerror(errno));
        goto cleanup;
    }
    data[n] = '\0';
    *out = data;
    *out_len = n;
    data = NULL;
    rc = 0;

cleanup:
    free(data);
    fclose(f);
    return rc;
}

/* Fail at the "jwks" field of `iss` with the message already in `err`. */
static int fail_at_jwks(const vouch__auth_issuer *iss, size_t index,
                        const char *path, vouch_error *err)
{
    char why[sizeof(err->message) + sizeof(err->source) + 32];

    vouch_error_format(err, why, sizeof(why));
    return vutil_error_set(err, err->code == VOUCH_ENOMEM ? VOUCH_ENOMEM
                                                           : VOUCH_EIO,
                           path, (int)iss->jwks_line, (int)iss->jwks_column,
                           "oidc[%zu].jwks: %s", index, why);
}

static int check_issuer_files(const vouch__auth_issuer *iss, size_t index,
                              const char *path, vouch_error *err)
{
    char *data = NULL;
    size_t len = 0;
    vouch_jwks *ks = NULL;
    int rc;

    if (iss->ca_file != NULL) {
        rc = vouch__auth_read_file(iss->ca_file, VOUCH_JWKS_MAX_BYTES, &data,
                                   &len, err);
        free(data);
        if (rc < 0) {
            return fail_at_jwks(iss, index, path, err);
        }
        return 0;
    }
    if (strncmp(iss->jwks_url, "file://", 7) != 0) {
        return 0;
    }
    rc = vouch__auth_read_file(iss->jwks_url + 7, VOUCH_JWKS_MAX_BYTES,
                               &data, &len, err);
    if (rc == 0) {
        rc = vouch_jwks_parse(&ks, data, len, iss->jwks_url + 7, err);
    }
    free(data);
    vouch_jwks_free(ks);
    return rc < 0 ? fail_at_jwks(iss, index, path, err) : 0;
}

int vouch_auth_config_load(vouch_auth_config **out, const char *path,
                           vouch_error *err)
{
    vouch_auth_config *cfg = NULL;
    char *data = NULL;
    size_t len = 0;
    size_t i;
    int rc;

    *out = NULL;
    rc = vouch__auth_read_file(path, VOUCH_AUTH_CONFIG_MAX_BYTES, &data,
                               &len, err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch_auth_config_parse(&cfg, data, len, path, err);
    for (i = 0; rc == 0 && i < cfg->issuer_count; i++) {
        rc = check_issuer_files(&cfg->issuers[i], i, path, err);
    }
    free(data);
    if (rc < 0) {
        vouch_auth_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}
