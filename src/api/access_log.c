/*
 * vouchd — the access log (access_log.h).
 */
#include "access_log.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

bool api_access_log_writes_whole(FILE *f)
{
    struct stat st;

    return fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
}

/* Write all of `line`: one write(2) but when the kernel takes less (a
 * full disk, a signal). */
static void write_line(int fd, const char *line, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, line, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;   /* a full disk or a closed pipe: the line is lost */
        }
        line += n;
        len -= (size_t)n;
    }
}

/* The line, printed by jansson into `buf` when it fits (with room for
 * the newline), else into a new buffer; NULL when out of memory. */
static char *print_line(json_t *line, char *buf, size_t size, size_t *len)
{
    const size_t flags = JSON_COMPACT | JSON_ENSURE_ASCII |
                         JSON_PRESERVE_ORDER;
    size_t n = json_dumpb(line, buf, size - 1, flags);
    char *out = buf;

    if (n == 0) {
        return NULL;
    }
    if (n > size - 1) {
        out = malloc(n + 1);
        if (out == NULL || json_dumpb(line, out, n, flags) != n) {
            free(out);
            return NULL;
        }
    }
    out[n] = '\n';
    *len = n + 1;
    return out;
}

void api_access_log_write(FILE *f, bool writes_whole, const char *method,
                          const char *path, unsigned status,
                          uint64_t latency_us, const char *caller)
{
    char when[40];
    char path_buf[512];
    char line_buf[1024];
    /* Escaping makes a byte at most 4 ("\xNN"). */
    size_t path_size = path != NULL ? 4 * strlen(path) + 1 : 0;
    char *p = path_buf;
    char *text = NULL;
    size_t len = 0;
    json_t *line;

    /* A path is escaped into the stack unless it is long. */
    if (path_size > sizeof(path_buf)) {
        p = malloc(path_size);
    }
    if (path != NULL && p != NULL) {
        api_log_escape(p, p == path_buf ? sizeof(path_buf) : path_size,
                       path);
    }
    vutil_now_rfc3339(when, sizeof(when));
    line = json_pack("{s:s,s:s?,s:s?,s:i,s:I,s:s?}", "time", when, "method",
                     method, "path", path != NULL ? p : NULL, "status",
                     (int)status, "latency_us", (json_int_t)latency_us,
                     "caller", caller);
    if (line != NULL && (path == NULL || p != NULL)) {
        text = print_line(line, line_buf, sizeof(line_buf), &len);
    }
    if (text != NULL && !writes_whole) {
        flockfile(f);
        write_line(fileno(f), text, len);
        funlockfile(f);
    } else if (text != NULL) {
        write_line(fileno(f), text, len);
    }
    if (text != line_buf) {
        free(text);
    }
    if (p != path_buf) {
        free(p);
    }
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
