/*
 * A paced HTTP load: RATE requests per second to one URL, for SECONDS,
 * open loop (a request is started at its scheduled time whether or not
 * the ones before it have been answered), with libcurl's multi interface
 * over keep-alive connections. Latency is counted from the scheduled
 * start, not the actual one, so that a slow answer that delays the next
 * sends counts against the server (no coordinated omission; wrk, which
 * Debian ships without wrk2's --rate, cannot do this).
 *
 *   bench_pace URL RATE SECONDS [BODY_FILE [EXPECT]]
 *
 * With BODY_FILE the request is a POST of its bytes (Content-Type:
 * application/json); with EXPECT every answer must contain that text.
 * Prints: "bench_pace: sent N ok N bad N rate R p50 X p90 X p99 X
 * p999 X max X" (latencies in ms). Exit 1 when any answer is not a 200
 * (with EXPECT in it); 3 when the client could not keep the pace (every
 * slot was waiting for an answer: the machine, or the server, too busy).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define MAX_IN_FLIGHT 256

typedef struct slot {
    CURL *easy;
    double scheduled;    /* seconds, CLOCK_MONOTONIC */
    char buf[4096];
    size_t len;
    int busy;
} slot;

static const char *expect;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_data(char *ptr, size_t size, size_t n, void *userdata)
{
    slot *s = userdata;
    size_t len = size * n;
    size_t room = sizeof(s->buf) - 1 - s->len;

    memcpy(s->buf + s->len, ptr, len < room ? len : room);
    s->len += len < room ? len : room;
    s->buf[s->len] = '\0';
    return len;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long size;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        perror(path);
        if (f != NULL) {
            fclose(f);
        }
        return NULL;
    }
    data = malloc((size_t)size + 1);
    if (data != NULL && fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return data;
}

int main(int argc, char **argv)
{
    static slot slots[MAX_IN_FLIGHT];
    struct curl_slist *headers = NULL;
    CURLM *multi;
    char *body = NULL;
    size_t body_len = 0;
    double rate;
    double seconds;
    double *lat;
    size_t total;
    size_t sent = 0;
    size_t done = 0;
    size_t bad = 0;
    size_t late = 0;
    double start;
    double end;

    if (argc < 4) {
        fprintf(stderr, "usage: bench_pace URL RATE SECONDS [BODY_FILE "
                        "[EXPECT]]\n");
        return 2;
    }
    rate = atof(argv[2]);
    seconds = atof(argv[3]);
    if (rate <= 0 || seconds <= 0) {
        return 2;
    }
    if (argc > 4 && (body = read_file(argv[4], &body_len)) == NULL) {
        return 2;
    }
    expect = argc > 5 ? argv[5] : NULL;
    total = (size_t)(rate * seconds);
    lat = calloc(total + 1, sizeof(*lat));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    multi = curl_multi_init();
    if (lat == NULL || multi == NULL) {
        return 2;
    }
    headers = curl_slist_append(headers, "Content-Type: application/json");
    for (size_t i = 0; i < MAX_IN_FLIGHT; i++) {
        slots[i].easy = curl_easy_init();
        curl_easy_setopt(slots[i].easy, CURLOPT_URL, argv[1]);
        curl_easy_setopt(slots[i].easy, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(slots[i].easy, CURLOPT_WRITEDATA, &slots[i]);
        curl_easy_setopt(slots[i].easy, CURLOPT_PRIVATE, &slots[i]);
        curl_easy_setopt(slots[i].easy, CURLOPT_TCP_NODELAY, 1L);
        if (body != NULL) {
            curl_easy_setopt(slots[i].easy, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(slots[i].easy, CURLOPT_POSTFIELDSIZE,
                             (long)body_len);
            curl_easy_setopt(slots[i].easy, CURLOPT_HTTPHEADER, headers);
        }
    }
    start = now();
    while (done < total) {
        double t = now();
        int running = 0;
        CURLMsg *msg;
        int left;

        /* Start every request whose time has come. */
        while (sent < total && start + (double)sent / rate <= t) {
            slot *s = NULL;

            for (size_t i = 0; i < MAX_IN_FLIGHT && s == NULL; i++) {
                s = slots[i].busy ? NULL : &slots[i];
            }
            if (s == NULL) {
                late++; /* the server is that far behind: count it once */
                break;
            }
            s->busy = 1;
            s->len = 0;
            s->scheduled = start + (double)sent / rate;
            curl_multi_add_handle(multi, s->easy);
            sent++;
        }
        curl_multi_perform(multi, &running);
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            slot *s = NULL;
            long code = 0;

            if (msg->msg != CURLMSG_DONE) {
                continue;
            }
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
                              (char **)&s);
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
                              &code);
            lat[done++] = (now() - s->scheduled) * 1000.0;
            if (msg->data.result != CURLE_OK || code != 200 ||
                (expect != NULL && strstr(s->buf, expect) == NULL)) {
                if (bad++ == 0) {
                    fprintf(stderr, "bench_pace: answer %ld: %.200s\n", code,
                            s->buf);
                }
            }
            curl_multi_remove_handle(multi, s->easy);
            s->busy = 0;
        }
        if (sent < total) {
            double wait = start + (double)sent / rate - now();
            int ms = wait > 0 ? (int)(wait * 1000.0) : 0;

            curl_multi_poll(multi, NULL, 0, ms, NULL);
        } else {
            curl_multi_poll(multi, NULL, 0, 10, NULL);
        }
    }
    end = now();
    qsort(lat, total, sizeof(*lat), cmp);
    printf("bench_pace: sent %zu ok %zu bad %zu rate %.0f p50 %.3f p90 %.3f "
           "p99 %.3f p999 %.3f max %.3f\n",
           total, total - bad, bad, (double)total / (end - start),
           lat[total / 2], lat[total * 9 / 10], lat[total * 99 / 100],
           lat[total * 999 / 1000], lat[total - 1]);
    for (size_t i = 0; i < MAX_IN_FLIGHT; i++) {
        curl_easy_cleanup(slots[i].easy);
    }
    curl_slist_free_all(headers);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    free(lat);
    free(body);
    return bad > 0 ? 1 : late > 0 ? 3 : 0;
}
