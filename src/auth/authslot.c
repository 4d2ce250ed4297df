/*
 * The config in force (authconfig.h, vouch_auth_slot): a pointer guarded by
 * a mutex. A get takes a reference while holding the mutex, so a swap can
 * never free a config between a reader loading the pointer and taking its
 * reference; the critical sections are a few instructions long.
 */
#include <pthread.h>
#include <stdlib.h>

#include "auth_internal.h"

struct vouch_auth_slot {
    pthread_mutex_t lock;
    vouch_auth_config *cfg;
};

int vouch_auth_slot_new(vouch_auth_slot **out, vouch_auth_config *initial,
                        vouch_error *err)
{
    vouch_auth_slot *slot = calloc(1, sizeof(*slot));

    *out = NULL;
    if (slot == NULL || pthread_mutex_init(&slot->lock, NULL) != 0) {
        free(slot);
        vouch_auth_config_free(initial);
        return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                               "out of memory creating the auth slot");
    }
    slot->cfg = initial;
    *out = slot;
    return 0;
}

vouch_auth_config *vouch_auth_slot_get(vouch_auth_slot *slot)
{
    vouch_auth_config *cfg;

    pthread_mutex_lock(&slot->lock);
    cfg = vouch_auth_config_ref(slot->cfg);
    pthread_mutex_unlock(&slot->lock);
    return cfg;
}

void vouch_auth_slot_swap(vouch_auth_slot *slot, vouch_auth_config *cfg)
{
    vouch_auth_config *old;

    pthread_mutex_lock(&slot->lock);
    old = slot->cfg;
    slot->cfg = cfg;
    pthread_mutex_unlock(&slot->lock);
    /* Outside the lock: freeing a large config must not stall readers. */
    vouch_auth_config_free(old);
}

void vouch_auth_slot_free(vouch_auth_slot *slot)
{
    if (slot == NULL) {
        return;
    }
    vouch_auth_config_free(slot->cfg);
    pthread_mutex_destroy(&slot->lock);
    free(slot);
}
