/*
 * vouchd — the web console (docs/console.md): the bundle in console/dist,
 * compiled into vouchd by console/embed.py, served at /console/ with its
 * security headers; `/` redirects there. The console calls the same REST
 * API as every other client; these are its only routes.
 */
#ifndef VOUCH_API_CONSOLE_H
#define VOUCH_API_CONSOLE_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "server.h"

/* One file of the bundle (the generated console_assets.c). */
typedef struct api_console_asset {
    const char *name;           /* the path under /console/: "app.js" */
    const char *content_type;   /* "text/javascript; charset=utf-8" */
    const unsigned char *data;  /* static */
    size_t len;
} api_console_asset;

extern const api_console_asset api_console_assets[];
extern const size_t api_console_asset_count;

/* The text in index.html that each response replaces with its nonce. */
#define API_CONSOLE_NONCE_MARK "__VOUCH_CSP_NONCE__"

/* Is `path` (no query string) the console's: "/", "/console" or
 * "/console/..."? Reentrant. */
bool api_console_owns(const char *path);

/*
 * Answer a console request (api_console_owns(req->path) is true) and
 * queue the response on req->connection, with the security headers on
 * every answer, errors included. Sets req->status and req->route (the
 * metrics label "/console/"). Thread safety: reentrant.
 */
enum MHD_Result api_console_queue(api_request *req);

#endif /* VOUCH_API_CONSOLE_H */
