/*
 * The flag table engine (flags.h): command line, --config FILE and
 * --help from one table.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "vutil_help.h"
#include "vutil_str.h"

/* Where a flag's help starts: vouchd's flag names are short, so its help
 * starts left of VUTIL_HELP_COLUMN (vutil_help_flag() would move it). */
#define HELP_COLUMN 27

static void fail(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(char *err, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
}

static void *field(const flags *f, const flag_spec *s)
{
    return (char *)f->settings + s->offset;
}

static bool takes_value(const flag_spec *s)
{
    return s->kind != FLAG_BOOL && s->kind != FLAG_HELP &&
           s->kind != FLAG_VERSION;
}

/* ---- values ---- */

/* A decimal number without sign or blanks; *end after its digits. */
static int parse_digits(const char *text, unsigned long long *out,
                        const char **end)
{
    unsigned long long v = 0;
    const char *p = text;

    if (*p < '0' || *p > '9') {
        return -1;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (ULLONG_MAX - (unsigned)(*p - '0')) / 10) {
            return -1;
        }
        v = v * 10 + (unsigned)(*p - '0');
    }
    *out = v;
    *end = p;
    return 0;
}

/* The multiplier of a unit suffix of `kind`, or 0 when it is not one. */
static unsigned long long unit(flag_kind kind, const char *suffix)
{
    static const struct {
        flag_kind kind;
        const char *suffix;
        unsigned long long factor;
    } units[] = {
        {FLAG_COUNT, "", 1},
        {FLAG_SIZE, "", 1},
        {FLAG_SIZE, "KiB", 1024ull},
        {FLAG_SIZE, "MiB", 1024ull * 1024},
        {FLAG_SIZE, "GiB", 1024ull * 1024 * 1024},
        {FLAG_DURATION, "", 1},
        {FLAG_DURATION, "s", 1},
        {FLAG_DURATION, "m", 60},
        {FLAG_DURATION, "h", 3600},
    };

    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (units[i].kind == kind && strcmp(units[i].suffix, suffix) == 0) {
            return units[i].factor;
        }
    }
    return 0;
}

static int set_number(const flags *f, const flag_spec *s, const char *value,
                      const char *where, char *err, size_t size)
{
    unsigned long long v = 0;
    unsigned long long factor;
    const char *end = NULL;
    void *dst = field(f, s);

    if (parse_digits(value, &v, &end) < 0 ||
        (factor = unit(s->kind, end)) == 0 ||
        v > ULLONG_MAX / factor || v * factor < s->min ||
        v * factor > s->max) {
        fail(err, size, "%s: expected %llu to %llu%s, got '%s'", where,
             s->min, s->max,
             s->kind == FLAG_SIZE       ? " bytes"
             : s->kind == FLAG_DURATION ? " seconds"
                                        : "",
             value);
        return FLAGS_USAGE;
    }
    v *= factor;
    if (s->kind == FLAG_SIZE) {
        *(size_t *)dst = (size_t)v;
    } else {
        *(unsigned *)dst = (unsigned)v;
    }
    return 0;
}

/* Is `value` one of the '|'-separated `choices`? */
static bool is_choice(const char *choices, const char *value)
{
    size_t n = strlen(value);
    const char *p = choices;

    while (p != NULL && *p != '\0') {
        const char *bar = strchr(p, '|');
        size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);

        if (len == n && strncmp(p, value, n) == 0) {
            return true;
        }
        p = bar != NULL ? bar + 1 : NULL;
    }
    return false;
}

/* "none|exec" as "none or exec", "a|b|c" as "a, b or c". */
static void choices_text(const char *choices, char *buf, size_t size)
{
    size_t used = 0;
    const char *p = choices;

    buf[0] = '\0';
    while (p != NULL && *p != '\0' && used < size) {
        const char *bar = strchr(p, '|');
        size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
        const char *sep = used == 0 ? ""
                          : bar == NULL ? " or "
                                        : ", ";
        int w = snprintf(buf + used, size - used, "%s%.*s", sep, (int)len,
                         p);

        used += w > 0 ? (size_t)w : 0;
        p = bar != NULL ? bar + 1 : NULL;
    }
}

static int set_bool(const flags *f, const flag_spec *s, const char *value,
                    const char *where, char *err, size_t size)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};

    for (size_t i = 0; i < 4; i++) {
        if (value == NULL || strcmp(value, yes[i]) == 0) {
            *(bool *)field(f, s) = true;
            return 0;
        }
        if (strcmp(value, no[i]) == 0) {
            *(bool *)field(f, s) = false;
            return 0;
        }
    }
    fail(err, size, "%s must be true or false, not '%s'", where, value);
    return FLAGS_USAGE;
}

static int add_to_list(const flags *f, const flag_spec *s,
                       const char *value, const char *where, char *err,
                       size_t size)
{
    flag_list *list = field(f, s);
    const char **grown;

    if (list->count >= s->max) {
        fail(err, size, "%s: at most %llu values", where, s->max);
        return FLAGS_USAGE;
    }
    grown = realloc(list->items, (list->count + 2) * sizeof(*grown));
    if (grown == NULL) {
        fail(err, size, "%s: out of memory", where);
        return FLAGS_USAGE;
    }
    grown[list->count++] = value;
    grown[list->count] = NULL;
    list->items = grown;
    return 0;
}

/*
 * Set the value of `s` from `value` (NULL only for a BOOL given alone).
 * `where` names it in errors: "--threads" or "FILE:LINE: threads".
 */
static int set_value(const flags *f, const flag_spec *s, const char *value,
                     const char *where, char *err, size_t size)
{
    char allowed[256];

    if (takes_value(s) && s->kind != FLAG_STRING && value[0] == '\0') {
        fail(err, size, "%s needs a value", where);
        return FLAGS_USAGE;
    }
    switch (s->kind) {
    case FLAG_CHOICE:
        if (!is_choice(s->choices, value)) {
            choices_text(s->choices, allowed, sizeof(allowed));
            fail(err, size, "%s must be %s, not '%s'", where, allowed,
                 value);
            return FLAGS_USAGE;
        }
        /* fall through */
    case FLAG_STRING:
    case FLAG_PATH:
    case FLAG_CONFIG:
        *(const char **)field(f, s) = value;
        return 0;
    case FLAG_COUNT:
    case FLAG_SIZE:
    case FLAG_DURATION:
        return set_number(f, s, value, where, err, size);
    case FLAG_BOOL:
        return set_bool(f, s, value, where, err, size);
    case FLAG_LIST:
        return add_to_list(f, s, value, where, err, size);
    case FLAG_HELP:
    case FLAG_VERSION:
        break;
    }
    return 0;
}

static void set_defaults(const flags *f)
{
    for (const flag_spec *s = f->table; s->name != NULL; s++) {
        void *dst = field(f, s);

        switch (s->kind) {
        case FLAG_STRING:
        case FLAG_PATH:
        case FLAG_CHOICE:
            *(const char **)dst = s->def;
            break;
        case FLAG_SIZE:
            *(size_t *)dst = (size_t)s->def_number;
            break;
        case FLAG_COUNT:
        case FLAG_DURATION:
            *(unsigned *)dst = (unsigned)s->def_number;
            break;
        case FLAG_BOOL:
            *(bool *)dst = s->def_number != 0;
            break;
        case FLAG_LIST:
            memset(dst, 0, sizeof(flag_list));
            break;
        case FLAG_CONFIG:
        case FLAG_HELP:
        case FLAG_VERSION:
            break;
        }
    }
}

/* ---- --config FILE ---- */

static const flag_spec *by_config_key(const flags *f, const char *key)
{
    for (const flag_spec *s = f->table; s->name != NULL; s++) {
        if (s->config != NULL && strcmp(s->config, key) == 0) {
            return s;
        }
    }
    return NULL;
}

/* Trim blanks (and a CR) from both ends of [*start, end). */
static char *trim(char *start, char *end)
{
    while (start < end && (*start == ' ' || *start == '\t')) {
        start++;
    }
    while (end > start && (end[-1] == ' ' || end[-1] == '\t' ||
                           end[-1] == '\r')) {
        end--;
    }
    *end = '\0';
    return start;
}

/* One line of the file, NUL-terminated in place. */
static int config_line(flags *f, char *line, const char *source,
                       unsigned lineno, unsigned *settings, char *err,
                       size_t size)
{
    const flag_spec *s;
    char where[64];
    char *hash = strchr(line, '#');
    char *name;
    char *value;
    int rc;

    if (hash != NULL) {
        *hash = '\0';
    }
    name = trim(line, line + strlen(line));
    if (*name == '\0') {
        return 0;
    }
    value = name + strcspn(name, " \t=");
    if (*value != '\0') {
        *value++ = '\0';
        value += strspn(value, " \t=");
    }
    s = by_config_key(f, name);
    if (s == NULL) {
        fail(err, size, "%s:%u: unknown setting '%s' (the settings are "
             "%s's flags without '--')", source, lineno, name, f->program);
        return FLAGS_USAGE;
    }
    if (*value == '\0' && s->kind != FLAG_BOOL) {
        fail(err, size, "%s:%u: '%s' needs a value", source, lineno, name);
        return FLAGS_USAGE;
    }
    if (++*settings > FLAGS_CONFIG_MAX_SETTINGS) {
        fail(err, size, "%s:%u: more than %u settings", source, lineno,
             FLAGS_CONFIG_MAX_SETTINGS);
        return FLAGS_USAGE;
    }
    /* The location goes first, so `where` is only the setting's name. */
    snprintf(where, sizeof(where), "%s", name);
    rc = set_value(f, s, *value != '\0' ? value : NULL, where, err, size);
    if (rc != 0) {
        char message[512];

        snprintf(message, sizeof(message), "%s", err);
        fail(err, size, "%s:%u: %s", source, lineno, message);
    }
    return rc;
}

int flags_read_config(flags *f, const char *data, size_t len,
                      const char *source, char *err, size_t size)
{
    unsigned lineno = 0;
    unsigned settings = 0;
    char *line;

    err[0] = '\0';
    if (len > FLAGS_CONFIG_MAX_BYTES) {
        fail(err, size, "%s: over the limit of %u bytes", source,
             FLAGS_CONFIG_MAX_BYTES);
        return FLAGS_USAGE;
    }
    if (memchr(data, '\0', len) != NULL) {
        fail(err, size, "%s: holds a NUL byte; a config file is text",
             source);
        return FLAGS_USAGE;
    }
    free(f->config_text);
    f->config_text = malloc(len + 1);
    if (f->config_text == NULL) {
        fail(err, size, "%s: out of memory", source);
        return FLAGS_USAGE;
    }
    memcpy(f->config_text, data, len);
    f->config_text[len] = '\0';
    for (line = f->config_text; line != NULL && *line != '\0';) {
        char *next = strchr(line, '\n');
        int rc;

        if (next != NULL) {
            *next++ = '\0';
        }
        rc = config_line(f, line, source, ++lineno, &settings, err, size);
        if (rc != 0) {
            return rc;
        }
        line = next;
    }
    return 0;
}

/* Read FILE (at most the limit, plus one byte to notice more). */
static int load_config(flags *f, const char *path)
{
    char err[1024];
    FILE *file = fopen(path, "rb");
    char *buf = NULL;
    size_t len;
    int rc = FLAGS_USAGE;

    if (file == NULL) {
        fprintf(stderr, "%s: --config %s: %s\n", f->program, path,
                strerror(errno));
        return FLAGS_USAGE;
    }
    buf = malloc(FLAGS_CONFIG_MAX_BYTES + 1);
    if (buf == NULL) {
        fprintf(stderr, "%s: --config %s: out of memory\n", f->program,
                path);
        goto cleanup;
    }
    len = fread(buf, 1, FLAGS_CONFIG_MAX_BYTES + 1, file);
    if (ferror(file)) {
        fprintf(stderr, "%s: --config %s: %s\n", f->program, path,
                strerror(errno));
        goto cleanup;
    }
    rc = flags_read_config(f, buf, len, path, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", f->program, err);
    }

cleanup:
    free(buf);
    fclose(file);
    return rc;
}

/* ---- the command line ---- */

/* The entry argv's `arg` names ("--name" or "--name=value"), or NULL;
 * *value is the text after '=' or NULL. */
static const flag_spec *by_flag(const flags *f, const char *arg,
                                const char **value)
{
    *value = NULL;
    if (strcmp(arg, "-h") == 0) {
        arg = "--help";
    }
    if (strncmp(arg, "--", 2) != 0) {
        return NULL;
    }
    arg += 2;
    for (const flag_spec *s = f->table; s->name != NULL; s++) {
        if (vutil_flag_matches(arg, s->name, value)) {
            return s;
        }
    }
    return NULL;
}

static int usage_error(const flags *f, const char *message)
{
    fprintf(stderr, "%s: %s\n(see %s --help)\n", f->program, message,
            f->program);
    return FLAGS_USAGE;
}

/* One flag given on the command line, applied after the file. */
typedef struct given {
    const flag_spec *spec;
    const char *value;
} given;

/*
 * Sort argv into `out` (`*count` entries) without applying anything, so
 * that --help works whatever else is wrong and --config is found first.
 */
static int scan_argv(const flags *f, int argc, char **argv, given *out,
                     size_t *count, const char **config)
{
    char err[512];

    for (int i = 1; i < argc; i++) {
        const char *value = NULL;
        const flag_spec *s = by_flag(f, argv[i], &value);

        if (s == NULL) {
            snprintf(err, sizeof(err), "unknown argument '%s'", argv[i]);
            return usage_error(f, err);
        }
        if (s->kind == FLAG_HELP) {
            flags_print_help(f);
            return FLAGS_DONE;
        }
        if (s->kind == FLAG_VERSION) {
            return FLAGS_VERSION;
        }
        if (value == NULL && takes_value(s)) {
            if (i + 1 >= argc) {
                snprintf(err, sizeof(err), "--%s needs a value", s->name);
                return usage_error(f, err);
            }
            value = argv[++i];
        }
        if (s->kind == FLAG_CONFIG) {
            *config = value;
            continue;
        }
        out[(*count)++] = (given){s, value};
    }
    return 0;
}

int flags_parse(flags *f, int argc, char **argv)
{
    given *flags_given = NULL;
    const char *config = NULL;
    size_t count = 0;
    int rc;

    set_defaults(f);
    flags_given = calloc((size_t)argc + 1, sizeof(*flags_given));
    if (flags_given == NULL) {
        fprintf(stderr, "%s: out of memory\n", f->program);
        return FLAGS_USAGE;
    }
    rc = scan_argv(f, argc, argv, flags_given, &count, &config);
    if (rc == 0 && config != NULL) {
        rc = load_config(f, config);
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        char where[128];
        char err[512];

        snprintf(where, sizeof(where), "--%s", flags_given[i].spec->name);
        rc = set_value(f, flags_given[i].spec, flags_given[i].value, where,
                       err, sizeof(err));
        if (rc != 0) {
            usage_error(f, err);
        }
    }
    free(flags_given);
    return rc;
}

void flags_free(flags *f)
{
    if (f == NULL) {
        return;
    }
    for (const flag_spec *s = f->table; f->settings != NULL &&
                                        s->name != NULL; s++) {
        if (s->kind == FLAG_LIST) {
            flag_list *list = field(f, s);

            free(list->items);
            list->items = NULL;
            list->count = 0;
        }
    }
    free(f->config_text);
    f->config_text = NULL;
}

/* ---- --help ---- */

/* "--name METAVAR" as the synopsis and the flag list show it. */
static void flag_usage(const flag_spec *s, char *buf, size_t size)
{
    snprintf(buf, size, "--%s%s%s%s", s->name,
             s->metavar != NULL ? " " : "",
             s->metavar != NULL ? s->metavar : "",
             s->kind == FLAG_LIST ? "..." : "");
}

/* "(default 4)", "(repeatable, at most 32)", "(command line only)". */
static void flag_notes(const flag_spec *s, char *buf, size_t size)
{
    const char *unit = s->kind == FLAG_SIZE       ? " bytes"
                       : s->kind == FLAG_DURATION ? " seconds"
                                                  : "";
    size_t used = 0;

    buf[0] = '\0';
    if (s->kind == FLAG_COUNT || s->kind == FLAG_SIZE ||
        s->kind == FLAG_DURATION) {
        used = (size_t)snprintf(buf, size, "(default %llu%s; %llu to %llu)",
                                s->def_number, unit, s->min, s->max);
    } else if (s->def != NULL && s->def[0] != '\0') {
        used = (size_t)snprintf(buf, size, "(default %s)", s->def);
    } else if (s->kind == FLAG_LIST) {
        used = (size_t)snprintf(buf, size, "(repeatable, at most %llu)",
                                s->max);
    }
    if (s->config == NULL && s->kind != FLAG_HELP &&
        s->kind != FLAG_VERSION && s->kind != FLAG_CONFIG && used < size) {
        snprintf(buf + used, size - used, "%s(command line only)",
                 used > 0 ? " " : "");
    }
}

void flags_print_help(const flags *f)
{
    char text[256];
    char item[260];
    char notes[128];
    size_t col;

    col = (size_t)printf("usage: %s", f->program);
    for (const flag_spec *s = f->table; s->name != NULL; s++) {
        size_t indent = strlen("usage: ") + strlen(f->program) + 1;

        if (s->kind == FLAG_HELP || s->kind == FLAG_VERSION) {
            continue;
        }
        /* Each "[--flag VALUE]" stays on one line. */
        flag_usage(s, text, sizeof(text));
        snprintf(item, sizeof(item), "[%s]", text);
        col = vutil_help_item(item, col, indent - 1);
    }
    printf("\n\n");
    vutil_help_words(f->summary, strlen(f->summary), 0, 0, false);
    printf("\n\n");
    for (const flag_spec *s = f->table; s->name != NULL; s++) {
        flag_usage(s, text, sizeof(text));
        col = (size_t)printf("  %s", text);
        if (col + 2 > HELP_COLUMN) {
            printf("\n");
            col = 0;
        }
        printf("%*s", (int)(HELP_COLUMN - col), "");
        col = vutil_help_words(s->help, strlen(s->help), HELP_COLUMN,
                               HELP_COLUMN, false);
        flag_notes(s, notes, sizeof(notes));
        if (notes[0] != '\0') {
            vutil_help_words(notes, strlen(notes), col, HELP_COLUMN, true);
        }
        printf("\n");
    }
    if (f->epilogue != NULL) {
        printf("\n");
        vutil_help_words(f->epilogue, strlen(f->epilogue), 0, 0, false);
        printf("\n");
    }
}
