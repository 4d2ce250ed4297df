/*
 * vouch service — audit log entries, part three: the JSON-lines file
 * sink (written after commit, by the unit of work's hooks).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "vutil_error.h"

/* ------------------------------------------------------------------ */
/* The sink                                                           */

struct vouch_audit_sink {
    int fd;
    pthread_mutex_t lock;
};

int vouch_audit_sink_open(vouch_audit_sink **out, const char *path,
                          vouch_error *err)
{
    vouch_audit_sink *sink;
    int fd;

    *out = NULL;
    if (path == NULL || path[0] == '\0') {
        return vutil_error_set(err, VOUCH_EINVAL, "audit log", 0, 0,
                               "no file name");
    }
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        return vutil_error_set(err, VOUCH_EIO, path, 0, 0,
                               "cannot open the audit log: %s",
                               strerror(errno));
    }
    sink = calloc(1, sizeof(*sink));
    if (sink == NULL) {
        close(fd);
        return vutil_error_set(err, VOUCH_ENOMEM, path, 0, 0,
                               "out of memory");
    }
    sink->fd = fd;
    pthread_mutex_init(&sink->lock, NULL);
    *out = sink;
    return 0;
}

int vouch_audit_sink_write(vouch_audit_sink *sink, const json_t *entry,
                           vouch_error *err)
{
    char *text;
    size_t len;
    size_t done = 0;
    int rc = 0;

    if (sink == NULL || entry == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, "audit log", 0, 0,
                               "no sink or no entry");
    }
    text = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, "audit log", 0, 0,
                               "cannot serialize the entry");
    }
    len = strlen(text);
    text[len] = '\n';           /* json_dumps leaves room for the NUL */
    len++;
    pthread_mutex_lock(&sink->lock);
    while (done < len) {
        ssize_t n = write(sink->fd, text + done, len - done);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            rc = vutil_error_set(err, VOUCH_EIO, "audit log", 0, 0,
                                 "cannot write: %s",
                                 n < 0 ? strerror(errno) : "no progress");
            break;
        }
        done += (size_t)n;
    }
    pthread_mutex_unlock(&sink->lock);
    free(text);
    return rc;
}

void vouch_audit_sink_close(vouch_audit_sink *sink)
{
    if (sink == NULL) {
        return;
    }
    close(sink->fd);
    pthread_mutex_destroy(&sink->lock);
    free(sink);
}
