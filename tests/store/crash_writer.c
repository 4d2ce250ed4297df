/*
 * crash_writer: the program tests/store/test_crash.py kills with SIGKILL.
 *
 *   crash_writer write URL THREADS TAG
 *       THREADS threads each create resources of kind "crash" named
 *       projects/crash/things/TAG-T-N in a loop (one write transaction
 *       each) and print every name on stdout right AFTER its commit
 *       returned 0, in one write(2) per line, until killed. Exits 3
 *       when a store call fails (the server crashed under it), 5 when
 *       the store cannot be opened, 2 on a usage error.
 *   crash_writer verify URL
 *       reads names (one a line) on stdin and exits 1 when one is
 *       missing from the store; prints "ok COUNT" (the number of "crash"
 *       resources) otherwise.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

typedef struct writer {
    vouch_store *store;
    const char *tag;
    int id;
} writer;

static void *write_loop(void *arg)
{
    writer *w = arg;
    long i;

    for (i = 0;; i++) {
        vouch_store_conn *conn = NULL;
        vouch_error err = VOUCH_ERROR_INIT;
        char name[128];
        char line[160];
        vouch_resource r;
        int n;

        snprintf(name, sizeof(name), "projects/crash/things/%s-%d-%ld",
                 w->tag, w->id, i);
        memset(&r, 0, sizeof(r));
        r.kind = (char *)"crash";
        r.name = name;
        r.parent = (char *)"projects/crash";
        r.json = (char *)"{\"payload\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}";
        r.etag = (char *)"e1";
        r.create_time = (char *)"2026-11-29T12:00:00.000000Z";
        r.update_time = r.create_time;
        if (vouch_store_acquire(w->store, &conn, &err) != 0 ||
            vouch_store_begin(conn, true, &err) != 0 ||
            vouch_store_create(conn, &r, &err) != 0 ||
            vouch_store_commit(conn, &err) != 0) {
            fprintf(stderr, "crash_writer: %s: %s\n", name, err.message);
            vouch_store_release(conn);
            /* _exit, not exit: the other writer threads are still inside
             * libpq, and exit's library destructors (libkrb5's mutexes,
             * reached through libpq's GSSAPI probe on reconnect) would run
             * under them and abort the process instead. */
            _exit(3);
        }
        vouch_store_release(conn);
        n = snprintf(line, sizeof(line), "%s\n", name);
        if (write(STDOUT_FILENO, line, (size_t)n) != n) {
            _exit(4);
        }
    }
    return NULL;
}

static int verify(const char *url)
{
    vouch_store *store = NULL;
    vouch_store_conn *conn = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char line[256];
    uint64_t count = 0;
    long checked = 0;
    int missing = 0;

    if (vouch_store_open(&store, url, 1, &err) != 0 ||
        vouch_store_acquire(store, &conn, &err) != 0) {
        fprintf(stderr, "crash_writer: open: %s\n", err.message);
        vouch_store_close(store);
        return 2;
    }
    while (fgets(line, sizeof(line), stdin) != NULL) {
        vouch_resource r;
        int rc;

        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '\0') {
            continue;
        }
        rc = vouch_store_get(conn, "crash", line, &r, &err);
        if (rc == 0) {
            vouch_resource_clear(&r);
        } else {
            fprintf(stderr, "MISSING %s: %s\n", line, err.message);
            missing++;
        }
        checked++;
    }
    if (vouch_store_count(conn, "crash", NULL, &count, &err) != 0) {
        fprintf(stderr, "crash_writer: count: %s\n", err.message);
        missing++;
    }
    vouch_store_release(conn);
    vouch_store_close(store);
    printf("%s checked %ld stored %llu\n", missing == 0 ? "ok" : "FAILED",
           checked, (unsigned long long)count);
    return missing == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    vouch_store *store = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    writer w[64];
    pthread_t th[64];
    int threads;
    int i;

    if (argc == 3 && strcmp(argv[1], "verify") == 0) {
        return verify(argv[2]);
    }
    if (argc != 5 || strcmp(argv[1], "write") != 0) {
        fprintf(stderr, "usage: crash_writer write URL THREADS TAG | "
                "verify URL\n");
        return 2;
    }
    threads = atoi(argv[3]);
    if (threads < 1 || threads > 64) {
        fprintf(stderr, "crash_writer: THREADS must be 1..64\n");
        return 2;
    }
    if (vouch_store_open(&store, argv[2], (size_t)threads, &err) != 0) {
        fprintf(stderr, "crash_writer: open: %s\n", err.message);
        return 5;
    }
    for (i = 0; i < threads; i++) {
        w[i].store = store;
        w[i].tag = argv[4];
        w[i].id = i;
        if (pthread_create(&th[i], NULL, write_loop, &w[i]) != 0) {
            return 2;
        }
    }
    for (i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
    }
    vouch_store_close(store);
    return 0;
}
