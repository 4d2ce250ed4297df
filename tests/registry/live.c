/*
 * Helpers of the live registry tests; see live.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "live.h"

const char *env(const char *name)
{
    const char *v = getenv(name);

    if (v == NULL) {
        fail_msg("%s is not set: run this test through harness.py", name);
    }
    return v;
}

int64_t ms_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

vouch_registry *client(const char *creds, unsigned retries, long total_ms)
{
    vouch_registry_options opts = VOUCH_REGISTRY_OPTIONS_INIT;
    vouch_registry *reg = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    const char *insecure[] = { env("VOUCH_REG_ANON"), env("VOUCH_REG_AUTH"),
                               env("VOUCH_REG_FAKE"), env("VOUCH_REG_ALT"),
                               env("VOUCH_REG_DEAD"), NULL };
    const char *allowed[] = { env("VOUCH_REG_TLS"), NULL };

    opts.credentials_file = creds;
    opts.max_retries = retries;
    opts.retry_base_ms = 50;
    opts.total_timeout_ms = total_ms;
    opts.connect_timeout_ms = 2000;
    opts.insecure_hosts = insecure;
    opts.allowed_hosts = allowed;
    opts.ca_file = env("VOUCH_REG_CA");
    if (vouch_registry_new(&reg, &opts, &err) != 0) {
        fail_msg("vouch_registry_new: %s", err.message);
    }
    return reg;
}

vouch_registry *bare_client(void)
{
    vouch_registry_options opts = VOUCH_REGISTRY_OPTIONS_INIT;
    vouch_registry *reg = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    opts.max_retries = 0;
    opts.connect_timeout_ms = 2000;
    opts.total_timeout_ms = 5000;
    if (vouch_registry_new(&reg, &opts, &err) != 0) {
        fail_msg("vouch_registry_new: %s", err.message);
    }
    return reg;
}

int resolve(vouch_registry *reg, const char *hostvar, const char *rest,
            unsigned flags, char *digest, vouch_error *err)
{
    char image[512];

    snprintf(image, sizeof(image), "%s/%s", env(hostvar), rest);
    return vouch_registry_resolve(reg, image, strlen(image), flags, digest,
                                  err);
}

/* ---- the fake registry's side of the story ---- */

static size_t write_cb(char *p, size_t s, size_t n, void *u)
{
    size_t len = s * n;
    char **buf = u;
    size_t old = *buf != NULL ? strlen(*buf) : 0;
    char *nb = realloc(*buf, old + len + 1);

    assert_non_null(nb);
    memcpy(nb + old, p, len);
    nb[old + len] = '\0';
    *buf = nb;
    return len;
}

static char *fake_fetch(const char *path)
{
    char url[256];
    char *body = NULL;
    CURL *c = curl_easy_init();

    snprintf(url, sizeof(url), "http://%s%s", env("VOUCH_REG_FAKE"), path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    assert_non_null(body);
    return body;
}

void fake_get(const char *path)
{
    free(fake_fetch(path));
}

json_t *fake_stats(void)
{
    char *body = fake_fetch("/stats");
    json_t *root = json_loads(body, 0, NULL);

    assert_non_null(root);
    free(body);
    return root;
}

json_int_t fake_count(const char *path)
{
    json_t *root = fake_stats();
    json_int_t n = json_integer_value(
        json_object_get(json_object_get(root, "counts"), path));

    json_decref(root);
    return n;
}

json_int_t fake_tokens(void)
{
    json_t *root = fake_stats();
    json_int_t n = json_integer_value(json_object_get(root, "tokens"));

    json_decref(root);
    return n;
}

json_int_t fake_probe(void)
{
    json_t *root = fake_stats();
    json_int_t n = json_integer_value(json_object_get(root, "probe"));

    json_decref(root);
    return n;
}

const char *fake_auth(const char *path)
{
    static char buf[512];
    json_t *root = fake_stats();
    json_t *list = json_object_get(json_object_get(root, "auth"), path);
    size_t i;
    json_t *v;

    buf[0] = '\0';
    json_array_foreach(list, i, v) {
        size_t used = strlen(buf);
        snprintf(buf + used, sizeof(buf) - used, "%s%s", i > 0 ? "," : "",
                 json_string_value(v));
    }
    json_decref(root);
    return buf;
}

void repush(const char *tag, char *digest, size_t size)
{
    char cmd[1024];
    FILE *p;
    static unsigned seed = 100;

    snprintf(cmd, sizeof(cmd), "%s team/app %s oci %u-%ld",
             env("VOUCH_REG_PUSH"), tag, seed++, (long)ms_now());
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(digest, (int)size, p));
    assert_int_equal(pclose(p), 0);
    digest[strcspn(digest, "\n")] = '\0';
    assert_int_equal(strlen(digest), 71);
}

const char *without_host(const char *text, const char *host)
{
    static char buf[512];
    size_t n = strlen(host);
    size_t used = 0;

    while (*text != '\0' && used + 5 < sizeof(buf)) {
        if (strncmp(text, host, n) == 0) {
            memcpy(buf + used, "HOST", 4);
            used += 4;
            text += n;
        } else {
            buf[used++] = *text++;
        }
    }
    buf[used] = '\0';
    return buf;
}
