/*
 * `vouch auth tokens create|whoami` (docs/security.md "Identity"):
 * make a static access token and the auth-config entry that admits it,
 * and ask vouchd who it takes the caller to be.
 *
 * A token is 32 random bytes (OpenSSL RAND_bytes) in base64url without
 * padding: 43 characters, 256 bits. It is printed once; vouchd's config
 * holds only its SHA-256.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "authconfig.h"
#include "client.h"
#include "member.h"

#define TOKEN_RANDOM_BYTES 32
/* base64 of 32 bytes: 44 characters and a NUL. */
#define TOKEN_TEXT_SIZE 48

typedef struct token_opts {
    const char *principal;
    const char *token_file;
} token_opts;

static const cli_flag create_flags[] = {
    CLI_STRING("--principal", "MEMBER", token_opts, principal,
               CLI_REQUIRED | CLI_NONEMPTY,
               "who the token's bearer is: user:EMAIL, "
               "serviceAccount:EMAIL or principal://HOST/subject/SUB"),
    CLI_STRING("--token-file", "FILE", token_opts, token_file,
               CLI_NONEMPTY,
               "write the token to FILE (a new file, mode 0600) instead "
               "of printing it"),
    CLI_END,
};

static const cli_spec create_spec = {
    "vouch auth tokens create", NULL, 0, 0, false, create_flags,
    "Make a new random access token for MEMBER. Prints the token once (or "
    "writes it to --token-file), then the entry to add to the \"tokens\" "
    "list of vouchd's auth config: {\"principal\": MEMBER, \"sha256\": "
    "HEX}. vouchd keeps only the SHA-256; send it SIGHUP to read the "
    "config again.\n\n"
    "With --format json the answer is {\"token\": ..., \"entry\": "
    "{...}}.",
};

static const cli_spec whoami_spec = {
    "vouch auth whoami", NULL, 0, 0, false, NULL,
    "Print who vouchd takes the caller to be (GET /v1/vouch:whoami): the "
    "principal of the access token sent (--access-token-file or "
    "VOUCH_ACCESS_TOKEN), how it was authenticated, and whether the "
    "principal is an owner. Default YAML.",
};

/* 43 characters of base64url (no padding) from fresh random bytes. */
static int new_token(char text[TOKEN_TEXT_SIZE])
{
    unsigned char raw[TOKEN_RANDOM_BYTES];
    int n;

    if (RAND_bytes(raw, (int)sizeof(raw)) != 1) {
        return cli_fail("cannot make random bytes (OpenSSL RAND_bytes)");
    }
    n = EVP_EncodeBlock((unsigned char *)text, raw, (int)sizeof(raw));
    OPENSSL_cleanse(raw, sizeof(raw));
    while (n > 0 && text[n - 1] == '=') {
        n--;
    }
    text[n] = '\0';
    for (int i = 0; i < n; i++) {
        if (text[i] == '+') {
            text[i] = '-';
        } else if (text[i] == '/') {
            text[i] = '_';
        }
    }
    return CLI_OK;
}

/* Write the token and a newline to a new file only its owner can read. */
static int write_token_file(const char *path, const char *token)
{
    size_t len = strlen(token);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int rc = CLI_OK;

    if (fd < 0) {
        return cli_fail("--token-file %s: %s", path, strerror(errno));
    }
    if (write(fd, token, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
        rc = cli_fail("--token-file %s: %s", path, strerror(errno));
    }
    if (close(fd) != 0 && rc == CLI_OK) {
        rc = cli_fail("--token-file %s: %s", path, strerror(errno));
    }
    return rc;
}

/* Print the token (unless it went to a file) and the config entry. */
static int print_created(const cli_globals *g, const char *token,
                         bool show_token, json_t *entry)
{
    json_t *answer = NULL;
    char *line = NULL;
    int format = cli_output_format(g, VOUCH_FORMAT_JSON, true, NULL);
    int rc;

    if (format < 0) {
        return CLI_USAGE;
    }
    if (g->format != NULL && strcmp(g->format, "text") != 0) {
        answer = json_pack("{s:O}", "entry", entry);
        if (answer != NULL && show_token) {
            json_object_set_new(answer, "token", json_string(token));
        }
        rc = answer != NULL ? client_print_as(answer, (vouch_format)format)
                            : cli_fail("out of memory");
        json_decref(answer);
        return rc;
    }
    line = json_dumps(entry, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (line == NULL) {
        return cli_fail("out of memory");
    }
    if (show_token) {
        cli_note("The access token (shown once; vouchd keeps only its "
                 "SHA-256):");
        cli_out("%s", token);
    }
    cli_note("Add this entry to the \"tokens\" list of vouchd's auth "
             "config, then send vouchd SIGHUP:");
    cli_out("%s", line);
    free(line);
    return CLI_OK;
}

static int tokens_create(int argc, char **argv, cli_globals *g)
{
    token_opts o = {0};
    char token[TOKEN_TEXT_SIZE];
    char hex[65];
    char why[256];
    char *principal = NULL;
    json_t *entry = NULL;
    int rc;

    rc = cli_parse(&create_spec, argc, argv, g, &o, NULL);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if (vouch__member_parse(o.principal, strlen(o.principal),
                            VOUCH_MEMBERS_IDENTITIES, &principal, NULL, why,
                            sizeof(why)) < 0) {
        return cli_fail("--principal: %s", why);
    }
    rc = new_token(token);
    if (rc != CLI_OK) {
        goto cleanup;
    }
    vouch_auth_token_hash_hex(token, strlen(token), hex);
    entry = json_pack("{s:s,s:s}", "principal", principal, "sha256", hex);
    if (entry == NULL) {
        rc = cli_fail("out of memory");
        goto cleanup;
    }
    if (o.token_file != NULL) {
        rc = write_token_file(o.token_file, token);
        if (rc != CLI_OK) {
            goto cleanup;
        }
    }
    rc = print_created(g, token, o.token_file == NULL, entry);

cleanup:
    OPENSSL_cleanse(token, sizeof(token));
    json_decref(entry);
    free(principal);
    return rc;
}

static int auth_whoami(int argc, char **argv, cli_globals *g)
{
    client *c = NULL;
    json_t *me = NULL;
    int rc;

    rc = cli_parse(&whoami_spec, argc, argv, g, NULL, NULL);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    rc = client_new(&c, g);
    if (rc == CLI_OK) {
        rc = client_call(c, "GET", "/v1/vouch:whoami", NULL, NULL, &me);
    }
    if (rc == CLI_OK) {
        rc = client_print(g, me, VOUCH_FORMAT_YAML, CLIENT_GENERIC);
    }
    json_decref(me);
    client_free(c);
    return rc;
}

static int auth_tokens(int argc, char **argv, cli_globals *g)
{
    static const cli_command commands[] = {
        {"create", tokens_create,
         "make an access token and its auth-config entry", 0},
        {NULL, NULL, NULL, 0},
    };

    return cli_dispatch("auth tokens", commands, argc, argv, g);
}

int cmd_auth(int argc, char **argv, cli_globals *g)
{
    static const cli_command commands[] = {
        {"tokens", auth_tokens, "make static access tokens", 0},
        {"whoami", auth_whoami, "print who vouchd takes you to be", 0},
        {NULL, NULL, NULL, 0},
    };

    return cli_dispatch("auth", commands, argc, argv, g);
}
