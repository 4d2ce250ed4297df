/*
 * vouch run platform — who made a resource: Cloud Run Admin v2's
 * `creator` and `lastModifier` (docs/run.md "Who deployed"), taken from
 * the caller of the request that wrote it. An anonymous caller (vouchd
 * without an auth config) leaves them out, as there is no one to name.
 */
#include "platform_internal.h"

/* The caller's e-mail address, else its principal:// subject; NULL for
 * an anonymous caller. Borrowed from the session. */
static const char *caller_of(const vouch_platform_ctx *ctx)
{
    const char *email = NULL;
    const char *subject = NULL;

    if (ctx->session == NULL) {
        return NULL;
    }
    vsvc_session_caller(ctx->session, &email, &subject);
    return email != NULL ? email : subject;
}

int plat_authors_set(const vouch_platform_ctx *ctx, json_t *obj,
                     const json_t *old, bool modifier, vouch_error *err)
{
    const char *who = caller_of(ctx);
    int rc = 0;

    if (old != NULL) {
        json_t *creator = json_object_get(old, "creator");
        if (json_is_string(creator)) {
            rc = json_object_set(obj, "creator", creator);
        }
    } else if (who != NULL) {
        rc = json_object_set_new(obj, "creator", json_string(who));
    }
    if (rc == 0 && modifier && who != NULL) {
        rc = json_object_set_new(obj, "lastModifier", json_string(who));
    }
    return rc < 0 ? plat_enomem(err) : 0;
}
