/*
 * vouch run platform — runtime drivers (runtime.h): `none` and `exec`.
 */
#include "runtime.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform_internal.h"

extern char **environ;

typedef struct rt_entry {
    struct rt_entry *next;
    vouch_runtime *rt;
    char *name;
    char *operation;
    pid_t pid;
    pthread_t thread;
    int exit_status;     /* as vouch_runtime_record_end takes it */
    bool done;
    bool cancelled;
} rt_entry;

struct vouch_runtime {
    bool exec;
    char *command;
    vouch_store *store;
    pthread_mutex_t lock;
    rt_entry *head;
};

static const char *const placeholders[] = { "image", "job", "execution" };

/* Length of the placeholder at s ("{image}" → 7), or 0 when none. */
static size_t placeholder_at(const char *s, size_t *which)
{
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(placeholders[i]);
        if (s[0] == '{' && strncmp(s + 1, placeholders[i], n) == 0 &&
            s[n + 1] == '}') {
            *which = i;
            return n + 2;
        }
    }
    return 0;
}

static int check_command(const char *cmd, vouch_error *err)
{
    size_t len = strnlen(cmd, VOUCH_PLATFORM_COMMAND_MAX + 1);

    if (len > VOUCH_PLATFORM_COMMAND_MAX) {
        return vutil_error_set(err, VOUCH_ETOOBIG, "runtime command", 0, 0,
                               "longer than %u bytes",
                               VOUCH_PLATFORM_COMMAND_MAX);
    }
    if (len == 0) {
        return vutil_error_set(err, VOUCH_EINVAL, "runtime command", 0, 0,
                               "the exec runtime needs a command template, "
                               "e.g. 'podman run --rm {image}'");
    }
    for (size_t i = 0; i < len; i++) {
        size_t which;
        if (cmd[i] != '{' || (i > 0 && cmd[i - 1] == '$')) {
            continue;
        }
        if (placeholder_at(cmd + i, &which) > 0) {
            continue;
        }
        size_t k = i + 1;
        while (k < len && cmd[k] >= 'a' && cmd[k] <= 'z') {
            k++;
        }
        if (k < len && cmd[k] == '}' && k > i + 1) {
            return vutil_error_set(err, VOUCH_EINVAL, "runtime command", 1,
                                   (int)i + 1,
                                   "unknown placeholder '%.*s' (known: "
                                   "{image}, {job}, {execution})",
                                   (int)(k - i + 1), cmd + i);
        }
    }
    return 0;
}

int vouch_runtime_new(vouch_runtime **out, bool exec, const char *command,
                      vouch_store *store, vouch_error *err)
{
    vouch_runtime *rt;
    int rc;

    *out = NULL;
    if (exec) {
        rc = check_command(command != NULL ? command : "", err);
        if (rc < 0) {
            return rc;
        }
    }
    rt = calloc(1, sizeof(*rt));
    if (rt == NULL) {
        return plat_enomem(err);
    }
    rt->exec = exec;
    rt->store = store;
    if (exec) {
        rt->command = vutil_strdup(command);
        if (rt->command == NULL) {
            free(rt);
            return plat_enomem(err);
        }
    }
    pthread_mutex_init(&rt->lock, NULL);
    *out = rt;
    return 0;
}

bool vouch_runtime_runs(const vouch_runtime *rt)
{
    return rt != NULL && rt->exec;
}

static void entry_free(rt_entry *e)
{
    free(e->name);
    free(e->operation);
    free(e);
}

/* Unlink the entries whose thread has finished (or all). Lock held. */
static rt_entry *unlink_locked(vouch_runtime *rt, bool all)
{
    rt_entry **link = &rt->head;
    rt_entry *out = NULL;

    while (*link != NULL) {
        rt_entry *e = *link;
        if (e->done || all) {
            *link = e->next;
            e->next = out;
            out = e;
        } else {
            link = &e->next;
        }
    }
    return out;
}

/* Join and free unlinked entries. Lock not held. */
static void join_all(rt_entry *list)
{
    while (list != NULL) {
        rt_entry *next = list->next;
        pthread_join(list->thread, NULL);
        entry_free(list);
        list = next;
    }
}

void vouch_runtime_free(vouch_runtime *rt)
{
    if (rt == NULL) {
        return;
    }
    pthread_mutex_lock(&rt->lock);
    for (rt_entry *e = rt->head; e != NULL; e = e->next) {
        if (!e->done && e->pid > 0) {
            e->cancelled = true;
            kill(-e->pid, SIGKILL);
        }
    }
    rt_entry *list = unlink_locked(rt, true);
    pthread_mutex_unlock(&rt->lock);
    join_all(list);
    pthread_mutex_destroy(&rt->lock);
    free(rt->command);
    free(rt);
}

/* Append `s` single-quoted for sh: each ' inside becomes '\''. */
static bool append_quoted(vutil_buf *b, const char *s)
{
    bool ok = vutil_buf_append(b, "'", 1);

    while (ok && *s != '\0') {
        size_t run = strcspn(s, "'");

        ok = vutil_buf_append(b, s, run);
        s += run;
        if (ok && *s == '\'') {
            ok = vutil_buf_append(b, "'\\''", 4);
            s++;
        }
    }
    return ok && vutil_buf_append(b, "'", 1);
}

static char *expand(const char *tpl, const char *const values[3])
{
    vutil_buf b = VUTIL_BUF_INIT(SIZE_MAX);
    bool ok = vutil_buf_append(&b, "", 0);   /* "" for an empty template */
    size_t i = 0;

    while (ok && tpl[i] != '\0') {
        size_t which;
        size_t n = tpl[i] == '{' ? placeholder_at(tpl + i, &which) : 0;

        if (n > 0) {
            ok = append_quoted(&b, values[which]);
            i += n;
        } else {
            ok = vutil_buf_append(&b, tpl + i, 1);
            i++;
        }
    }
    if (!ok) {
        free(b.data);
        return NULL;
    }
    return b.data;
}

static int record_end_unit(vsvc_uow *uow, void *payload, vouch_error *err)
{
    rt_entry *e = payload;

    return vouch_runtime_record_end(vsvc_uow_conn(uow), e->name,
                                    e->operation, e->exit_status, err);
}

static void *waiter(void *arg)
{
    rt_entry *e = arg;
    vouch_runtime *rt = e->rt;
    vouch_store_conn *conn = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    int status = 0;
    int exit_status;

    while (waitpid(e->pid, &status, 0) < 0 && errno == EINTR) {
    }
    pthread_mutex_lock(&rt->lock);
    bool cancelled = e->cancelled;
    pthread_mutex_unlock(&rt->lock);
    if (cancelled) {
        exit_status = -1;
    } else if (WIFEXITED(status)) {
        exit_status = WEXITSTATUS(status);
    } else {
        exit_status = 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
    /* Record the result in a unit of work of its own; retry a busy
     * store. */
    e->exit_status = exit_status;
    for (int attempt = 0; attempt < 5; attempt++) {
        vsvc_uow *uow = NULL;
        int rc;

        if (vouch_store_acquire(rt->store, &conn, &err) < 0) {
            continue;
        }
        rc = vsvc_uow_new(&uow, conn, NULL, NULL, &err);
        if (rc == 0) {
            rc = vsvc_uow_run(uow, record_end_unit, e, &err);
        }
        vsvc_uow_free(uow);
        vouch_store_release(conn);
        conn = NULL;
        if (rc == 0) {
            break;
        }
    }
    pthread_mutex_lock(&rt->lock);
    e->done = true;
    pthread_mutex_unlock(&rt->lock);
    return NULL;
}

int vouch_runtime_start(vouch_runtime *rt, const char *execution_name,
                        const char *job_id, const char *execution_id,
                        const char *image, const char *operation_name,
                        vouch_error *err)
{
    const char *values[3] = { image, job_id, execution_id };
    posix_spawnattr_t attr;
    rt_entry *e = NULL;
    char *cmd = NULL;
    int rc;

    if (!rt->exec) {
        return 0;
    }
    pthread_mutex_lock(&rt->lock);
    rt_entry *finished = unlink_locked(rt, false);
    pthread_mutex_unlock(&rt->lock);
    join_all(finished);
    cmd = expand(rt->command, values);
    e = calloc(1, sizeof(*e));
    if (cmd == NULL || e == NULL) {
        free(cmd);
        free(e);
        return plat_enomem(err);
    }
    e->rt = rt;
    e->name = vutil_strdup(execution_name);
    e->operation = operation_name != NULL ? vutil_strdup(operation_name)
                                          : NULL;
    if (e->name == NULL || (operation_name != NULL && e->operation == NULL)) {
        free(cmd);
        entry_free(e);
        return plat_enomem(err);
    }
    char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    /* vouchd blocks SIGTERM, SIGINT and SIGHUP in every thread and ignores
     * SIGPIPE; the job's process starts with none blocked and each at its
     * default, as from a shell. */
    sigset_t none;
    sigset_t defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGHUP);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
                                        POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    rc = posix_spawn(&e->pid, "/bin/sh", NULL, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    free(cmd);
    if (rc != 0) {
        entry_free(e);
        return vutil_error_set(err, VOUCH_EIO, "runtime", 0, 0,
                               "cannot start /bin/sh: %s", strerror(rc));
    }
    pthread_mutex_lock(&rt->lock);
    rc = pthread_create(&e->thread, NULL, waiter, e);
    if (rc != 0) {
        pthread_mutex_unlock(&rt->lock);
        kill(-e->pid, SIGKILL);
        waitpid(e->pid, NULL, 0);
        entry_free(e);
        return vutil_error_set(err, VOUCH_EIO, "runtime", 0, 0,
                               "cannot start a thread: %s", strerror(rc));
    }
    e->next = rt->head;
    rt->head = e;
    pthread_mutex_unlock(&rt->lock);
    return 0;
}

bool vouch_runtime_cancel(vouch_runtime *rt, const char *execution_name)
{
    bool found = false;

    if (rt == NULL || !rt->exec) {
        return false;
    }
    pthread_mutex_lock(&rt->lock);
    for (rt_entry *e = rt->head; e != NULL; e = e->next) {
        if (!e->done && !e->cancelled &&
            strcmp(e->name, execution_name) == 0) {
            e->cancelled = true;
            kill(-e->pid, SIGKILL);
            found = true;
        }
    }
    pthread_mutex_unlock(&rt->lock);
    return found;
}

static json_t *completed_condition(int exit_status, const char *now)
{
    char msg[120];

    if (exit_status == 0) {
        return plat_condition("Completed", "CONDITION_SUCCEEDED", "reason",
                              NULL, NULL, NULL, now);
    }
    if (exit_status < 0) {
        return plat_condition("Completed", "CONDITION_FAILED",
                              "executionReason", "CANCELLED",
                              "The execution was cancelled.", "INFO", now);
    }
    snprintf(msg, sizeof(msg), "The task exited with status %d.",
             exit_status);
    return plat_condition("Completed", "CONDITION_FAILED", "executionReason",
                          "NON_ZERO_EXIT_CODE", msg, "ERROR", now);
}

static int update_operation(vouch_store_conn *conn, const char *opname,
                            const json_t *ex, vouch_error *err)
{
    json_t *op = NULL;
    vouch_resource r;
    char *text = NULL;
    char etag[24];
    char now[40];
    char at[128];
    int rc;

    rc = plat_load(conn, VOUCH_PLATFORM_KIND_OPERATION, opname, &op, err);
    if (rc < 0) {
        return rc == VOUCH_ENOTFOUND ? 0 : rc;
    }
    if (json_is_true(json_object_get(op, "done"))) {
        json_decref(op);
        return 0;
    }
    json_t *meta = json_deep_copy(ex);
    snprintf(at, sizeof(at), PLAT_TYPE_PREFIX "Execution");
    if (meta == NULL) {
        json_decref(op);
        return plat_enomem(err);
    }
    json_object_set_new(meta, "@type", json_string(at));
    json_object_set(op, "metadata", meta);
    json_object_set_new(op, "done", json_true());
    if (json_integer_value(json_object_get(ex, "succeededCount")) > 0) {
        json_object_set(op, "response", meta);
    } else {
        json_t *conds = json_object_get(ex, "conditions");
        json_t *last = json_array_get(conds, json_array_size(conds) - 1);
        const char *m = json_string_value(json_object_get(last, "message"));
        bool cancelled = json_integer_value(json_object_get(
                             ex, "cancelledCount")) > 0;
        json_object_set_new(op, "error",
                            json_pack("{s:i,s:s}", "code",
                                      cancelled
                                          ? (int)VUTIL_GRPC_CANCELLED
                                          : (int)vutil_code_grpc(
                                                VOUCH_EPRECONDITION),
                                      "message",
                                      m != NULL ? m : "failed"));
    }
    json_decref(meta);
    text = json_dumps(op, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        json_decref(op);
        return plat_enomem(err);
    }
    rc = vutil_new_etag(etag, sizeof(etag), err);
    if (rc < 0) {
        free(text);
        json_decref(op);
        return rc;
    }
    vutil_now_rfc3339(now, sizeof(now));
    memset(&r, 0, sizeof(r));
    r.kind = VOUCH_PLATFORM_KIND_OPERATION;
    r.name = (char *)opname;
    r.parent = (char *)"";
    r.json = text;
    r.etag = etag;
    r.create_time = now;
    r.update_time = now;
    {
        /* Keep the parent: projects/P/locations/L. */
        char parent[400];
        const char *cut = strstr(opname, "/operations/");
        snprintf(parent, sizeof(parent), "%.*s",
                 cut != NULL ? (int)(cut - opname) : 0, opname);
        r.parent = parent;
        rc = vouch_store_replace(conn, &r, NULL, false, err);
    }
    free(text);
    json_decref(op);
    return rc;
}

int vouch_runtime_record_end(vouch_store_conn *conn,
                             const char *execution_name,
                             const char *operation_name, int exit_status,
                             vouch_error *err)
{
    json_t *ex = NULL;
    json_t *job = NULL;
    char now[40];
    char job_name[600];
    char parent[400];
    int rc;

    rc = plat_load(conn, VOUCH_PLATFORM_KIND_EXECUTION, execution_name, &ex,
                   err);
    if (rc == VOUCH_ENOTFOUND) {
        return 0;   /* deleted meanwhile */
    }
    if (rc < 0) {
        return rc;
    }
    const char *cut = strstr(execution_name, "/executions/");
    snprintf(job_name, sizeof(job_name), "%.*s",
             cut != NULL ? (int)(cut - execution_name) : 0, execution_name);
    if (json_object_get(ex, "completionTime") == NULL) {
        json_int_t tasks = json_integer_value(json_object_get(ex,
                                                              "taskCount"));
        json_t *conds = json_object_get(ex, "conditions");
        vutil_now_rfc3339(now, sizeof(now));
        json_object_set_new(ex, "completionTime", json_string(now));
        json_object_set_new(ex, "runningCount", json_integer(0));
        json_object_set_new(ex, exit_status == 0  ? "succeededCount"
                                : exit_status < 0 ? "cancelledCount"
                                                  : "failedCount",
                            json_integer(tasks > 0 ? tasks : 1));
        for (size_t i = 0; i < json_array_size(conds); i++) {
            const char *t = json_string_value(
                json_object_get(json_array_get(conds, i), "type"));
            if (t != NULL && strcmp(t, "Completed") == 0) {
                json_array_remove(conds, i);
                break;
            }
        }
        if (!json_is_array(conds)) {
            conds = json_array();
            json_object_set_new(ex, "conditions", conds);
        }
        json_array_append_new(conds, completed_condition(exit_status, now));
        rc = plat_put(conn, VOUCH_PLATFORM_KIND_EXECUTION, execution_name,
                      job_name, ex, false, err);
        if (rc < 0) {
            goto cleanup;
        }
        /* The job's latestCreatedExecution, when it is this one. */
        if (plat_load(conn, VOUCH_PLATFORM_KIND_JOB, job_name, &job, NULL) ==
            0) {
            json_t *latest = json_object_get(job, "latestCreatedExecution");
            const char *ln = json_string_value(json_object_get(latest,
                                                               "name"));
            if (ln != NULL && strcmp(ln, execution_name) == 0) {
                json_object_set_new(latest, "completionTime",
                                    json_string(now));
                json_object_set_new(latest, "completionStatus",
                                    json_string(exit_status == 0
                                                    ? "EXECUTION_SUCCEEDED"
                                                : exit_status < 0
                                                    ? "EXECUTION_CANCELLED"
                                                    : "EXECUTION_FAILED"));
                cut = strstr(job_name, "/jobs/");
                snprintf(parent, sizeof(parent), "%.*s",
                         cut != NULL ? (int)(cut - job_name) : 0, job_name);
                rc = plat_put(conn, VOUCH_PLATFORM_KIND_JOB, job_name, parent,
                              job, false, err);
                if (rc < 0) {
                    goto cleanup;
                }
            }
        }
    }
    if (operation_name != NULL) {
        rc = update_operation(conn, operation_name, ex, err);
    }

cleanup:
    json_decref(ex);
    json_decref(job);
    return rc;
}
