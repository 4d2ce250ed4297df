/*
 * vouch util — clocks (vutil_time.h).
 */
#include "vutil_time.h"

#include <stdbool.h>
#include <stdio.h>

void vutil_now_rfc3339(char *buf, size_t size)
{
    /* Calls on one thread mostly fall in the second of the call before
     * (one per request in the access log): the calendar part is worked
     * out once a second per thread. */
    static _Thread_local time_t base_sec = (time_t)-1;
    static _Thread_local char base[32];
    struct timespec now;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec != base_sec) {
        gmtime_r(&now.tv_sec, &tm);
        strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        base_sec = now.tv_sec;
    }
    snprintf(buf, size, "%s.%06ldZ", base, (long)(now.tv_nsec / 1000));
}

uint64_t vutil_elapsed_us(const struct timespec *start)
{
    struct timespec now;
    int64_t us;

    clock_gettime(CLOCK_MONOTONIC, &now);
    us = (int64_t)(now.tv_sec - start->tv_sec) * 1000000 +
         (now.tv_nsec - start->tv_nsec) / 1000;
    return us < 0 ? 0 : (uint64_t)us;
}

static bool digits(const char *s, size_t n, int *out)
{
    size_t i;
    int v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long days_from_civil(int y, int m, int d)
{
    long long era;
    unsigned yoe;
    unsigned doy;
    unsigned doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static int month_days(int y, int m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

bool vutil_rfc3339_parse(const char *s, size_t len, long long *seconds,
                         long *nanos)
{
    int y, mo, d, h, mi, sec, oh, om;
    long ns = 0;
    long scale = 100000000;
    size_t i;
    long long off = 0;

    if (len < 20 || !digits(s, 4, &y) || s[4] != '-' ||
        !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
        (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &sec)) {
        return false;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
        mi > 59 || sec > 60) {
        return false;
    }
    i = 19;
    if (s[i] == '.') {
        i++;
        if (i >= len || s[i] < '0' || s[i] > '9') {
            return false;
        }
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            ns += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
    }
    if (i >= len) {
        return false;
    }
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
        off = 0;
    } else if ((s[i] == '+' || s[i] == '-') && i + 6 == len &&
               digits(s + i + 1, 2, &oh) && s[i + 3] == ':' &&
               digits(s + i + 4, 2, &om) && oh <= 23 && om <= 59) {
        off = (long long)(oh * 3600 + om * 60);
        if (s[i] == '-') {
            off = -off;
        }
    } else {
        return false;
    }
    *seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
               sec - off;
    *nanos = ns;
    return true;
}
