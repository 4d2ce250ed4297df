/*
 * Single flight: while one thread asks the registry for a reference, the
 * other threads resolving the same reference wait for that answer instead
 * of sending their own request. A burst of deploys of one tag costs the
 * registry one request. A follower's answer comes from a request that was
 * already on its way when the follower asked: never older than that (tags
 * are never cached: docs/registry.md, "Caches").
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vutil_error.h"
#include "vutil_str.h"
#include "registry_internal.h"

struct vouch__flight {
    char *key;
    unsigned refs;        /* the leader and every follower */
    bool landed;
    int rc;
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err;
    pthread_cond_t cond;
    vouch__flight *next;
};

struct vouch__flights {
    pthread_mutex_t lock;
    vouch__flight *head;  /* flights in the air (not landed) */
    size_t waiting;
};

int vouch__flights_new(vouch__flights **out)
{
    vouch__flights *fs = calloc(1, sizeof(*fs));

    *out = NULL;
    if (fs == NULL || pthread_mutex_init(&fs->lock, NULL) != 0) {
        free(fs);
        return VOUCH_ENOMEM;
    }
    *out = fs;
    return 0;
}

void vouch__flights_free(vouch__flights *fs)
{
    if (fs == NULL) {
        return;
    }
    pthread_mutex_destroy(&fs->lock);
    free(fs);
}

static void flight_unref(vouch__flight *f)
{
    if (--f->refs == 0) {
        pthread_cond_destroy(&f->cond);
        free(f->key);
        free(f);
    }
}

int vouch__flight_join(vouch__flights *fs, const char *key,
                       vouch__flight **out, bool *leader_out)
{
    vouch__flight *f;

    *out = NULL;
    *leader_out = true;
    pthread_mutex_lock(&fs->lock);
    for (f = fs->head; f != NULL; f = f->next) {
        if (strcmp(f->key, key) == 0) {
            f->refs++;
            fs->waiting++;
            *out = f;
            *leader_out = false;
            pthread_mutex_unlock(&fs->lock);
            return 0;
        }
    }
    f = calloc(1, sizeof(*f));
    if (f == NULL || (f->key = vutil_strdup(key)) == NULL ||
        pthread_cond_init(&f->cond, NULL) != 0) {
        if (f != NULL) {
            free(f->key);
        }
        free(f);
        pthread_mutex_unlock(&fs->lock);
        return VOUCH_ENOMEM;
    }
    f->refs = 1;
    f->next = fs->head;
    fs->head = f;
    *out = f;
    pthread_mutex_unlock(&fs->lock);
    return 0;
}

void vouch__flight_land(vouch__flights *fs, vouch__flight *f, int rc,
                        const char *digest, const vouch_error *err)
{
    pthread_mutex_lock(&fs->lock);
    for (vouch__flight **p = &fs->head; *p != NULL; p = &(*p)->next) {
        if (*p == f) {
            *p = f->next;
            break;
        }
    }
    f->landed = true;
    f->rc = rc;
    snprintf(f->digest, sizeof(f->digest), "%s", rc == 0 ? digest : "");
    if (err != NULL) {
        f->err = *err;
    }
    pthread_cond_broadcast(&f->cond);
    flight_unref(f);
    pthread_mutex_unlock(&fs->lock);
}

int vouch__flight_wait(vouch__flights *fs, vouch__flight *f,
                       char digest[VOUCH_REGISTRY_DIGEST_SIZE],
                       vouch_error *err)
{
    int rc;

    pthread_mutex_lock(&fs->lock);
    while (!f->landed) {
        pthread_cond_wait(&f->cond, &fs->lock);
    }
    fs->waiting--;
    rc = f->rc;
    snprintf(digest, VOUCH_REGISTRY_DIGEST_SIZE, "%s", f->digest);
    if (err != NULL) {
        *err = f->err;
    }
    flight_unref(f);
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

size_t vouch__flights_waiting(vouch__flights *fs)
{
    size_t n;

    pthread_mutex_lock(&fs->lock);
    n = fs->waiting;
    pthread_mutex_unlock(&fs->lock);
    return n;
}
