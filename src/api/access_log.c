/*
 * vouchd — the access log (access_log.h).
 */
#include "access_log.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "vutil_time.h"

void api_log_escape(char *out, size_t size, const char *in)
{
    static const char hex[] = "0123456789abcdef";
    size_t used = 0;

    for (; *in != '\0'; in++) {
        unsigned char c = (unsigned char)*in;
        bool plain = c >= 0x20 && c < 0x7f && c != '\\';
        size_t need = plain ? 1 : 4;

        if (used + need + 1 > size) {
            break;
        }
        if (plain) {
            out[used++] = (char)c;
        } else {
            out[used++] = '\\';
            out[used++] = 'x';
            out[used++] = hex[c >> 4];
            out[used++] = hex[c & 15];
        }
    }
    out[used] = '\0';
}

/* api_log_escape into a new string (NULL when out of memory). */
static char *escaped(const char *in)
{
    size_t size = 4 * strlen(in) + 1;
    char *out = malloc(size);

    if (out != NULL) {
        api_log_escape(out, size, in);
    }
    return out;
}

void api_access_log_write(FILE *f, pthread_mutex_t *lock,
                          const char *method, const char *path,
                          unsigned status, uint64_t latency_us,
                          const char *caller)
{
    char when[40];
    json_t *line = NULL;
    char *p = NULL;
    char *text = NULL;

    vutil_now_rfc3339(when, sizeof(when));
    p = path != NULL ? escaped(path) : NULL;
    line = json_pack("{s:s,s:s?,s:s?,s:i,s:I,s:s?}", "time", when, "method",
                     method, "path", p, "status", (int)status, "latency_us",
                     (json_int_t)latency_us, "caller", caller);
    if (line != NULL) {
        text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII |
                                    JSON_PRESERVE_ORDER);
    }
    if (text != NULL) {
        pthread_mutex_lock(lock);
        fprintf(f, "%s\n", text);
        fflush(f);
        pthread_mutex_unlock(lock);
    }
    free(text);
    free(p);
    json_decref(line);
}

unsigned api_log_unanswered_status(struct MHD_Connection *connection,
                                   bool expired,
                                   enum MHD_RequestTerminationCode toe)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_HTTP_STATUS);

    if (info != NULL) {
        return info->http_status;   /* libmicrohttpd's own refusal */
    }
    if (expired || toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED) {
        return 408;   /* it did not arrive in time: the connection closed */
    }
    return 499;       /* the client went away before a response */
}
