/*
 * What `vouch` prints for people: errors, progress lines and text lines,
 * with every control character escaped (cli.h "output"). A server, or a
 * file someone sent, must not be able to set the terminal's title, clear
 * the screen or forge lines through a name or a message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Length of the valid UTF-8 sequence at `p` (NUL-terminated), or 0. */
static size_t utf8_length(const unsigned char *p)
{
    size_t n;

    if (p[0] < 0x80) {
        return 1;
    }
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
    } else {
        return 0;
    }
    /* Stops at the NUL, which is no continuation byte. */
    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xc0) != 0x80) {
            return 0;
        }
    }
    /* No overlong forms, surrogates, or code points past U+10FFFF. */
    if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
        (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f)) {
        return 0;
    }
    return n;
}

size_t cli_escape(const char *text, char *buf, size_t size)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t used = 0;
    size_t width = 0;

    if (size == 0) {
        return 0;
    }
    while (*p != '\0') {
        size_t n = utf8_length(p);
        char esc[8];
        size_t len;

        if (n == 1 && (*p < 0x20 || *p == 0x7f)) {
            snprintf(esc, sizeof(esc), "%s",
                     *p == '\n'   ? "\\n"
                     : *p == '\t' ? "\\t"
                     : *p == '\r' ? "\\r"
                                  : "");
            if (esc[0] == '\0') {
                snprintf(esc, sizeof(esc), "\\x%02x", *p);
            }
        } else if (n == 0) {
            n = 1;
            snprintf(esc, sizeof(esc), "\\x%02x", *p);
        } else if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
            snprintf(esc, sizeof(esc), "\\u%04x", p[1]);    /* C1 */
        } else {
            esc[0] = '\0';
        }
        len = esc[0] != '\0' ? strlen(esc) : n;
        if (used + len >= size) {
            break;
        }
        memcpy(buf + used, esc[0] != '\0' ? esc : (const char *)p, len);
        used += len;
        width += esc[0] != '\0' ? len : 1;
        p += n;
    }
    buf[used] = '\0';
    return width;
}

/* Format, escape and print `prefix` + the message + a newline. */
static void emit(FILE *out, const char *prefix, const char *fmt,
                 va_list ap)
{
    va_list again;
    char small[512];
    char *text = small;
    char *clean = NULL;
    int n;

    va_copy(again, ap);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n >= (int)sizeof(small)) {
        text = malloc((size_t)n + 1);
        if (text != NULL) {
            vsnprintf(text, (size_t)n + 1, fmt, again);
        } else {
            text = small;   /* cut short rather than lost */
        }
    }
    va_end(again);
    if (n < 0) {
        small[0] = '\0';
    }
    /* An escape is at most 6 characters for 2 bytes or 4 for 1. */
    clean = malloc(strlen(text) * 4 + 1);
    if (clean != NULL) {
        cli_escape(text, clean, strlen(text) * 4 + 1);
    }
    fprintf(out, "%s%s\n", prefix, clean != NULL ? clean : "(out of memory)");
    free(clean);
    if (text != small) {
        free(text);
    }
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    emit(stderr, "vouch: ", fmt, ap);
    va_end(ap);
    return CLI_USAGE;
}

void cli_note(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    emit(stderr, "", fmt, ap);
    va_end(ap);
}

void cli_out(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    emit(stdout, "", fmt, ap);
    va_end(ap);
}

int cli_fail_error(const vouch_error *err)
{
    char text[1024];

    vouch_error_format(err, text, sizeof(text));
    return cli_fail("%s", text);
}

int cli_fail_error_in(vouch_error *err, const char *source)
{
    if (err->source[0] == '\0') {
        snprintf(err->source, sizeof(err->source), "%s", source);
    }
    return cli_fail_error(err);
}

int cli_write(const char *data, size_t len)
{
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
        return cli_fail("cannot write to standard output: %s",
                        strerror(errno));
    }
    return CLI_OK;
}

int cli_write_json(const char *text, size_t len)
{
    size_t start = 0;
    int rc = CLI_OK;

    for (size_t i = 0; i < len && rc == CLI_OK; i++) {
        const unsigned char *p = (const unsigned char *)text + i;
        char esc[8];
        size_t skip;

        if (*p == 0x7f) {
            skip = 1;
        } else if (*p == 0xc2 && i + 1 < len && p[1] >= 0x80 &&
                   p[1] < 0xa0) {
            skip = 2;       /* C1, only ever inside a JSON string */
        } else {
            continue;
        }
        snprintf(esc, sizeof(esc), "\\u%04x", skip == 1 ? 0x7f : p[1]);
        rc = cli_write(text + start, i - start);
        if (rc == CLI_OK) {
            rc = cli_write(esc, strlen(esc));
        }
        i += skip - 1;
        start = i + 1;
    }
    return rc == CLI_OK ? cli_write(text + start, len - start) : rc;
}

int cli_write_doc(const char *text, size_t len, vouch_format format)
{
    return format == VOUCH_FORMAT_JSON ? cli_write_json(text, len)
                                       : cli_write(text, len);
}
